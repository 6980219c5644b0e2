//! Sagas on the clock: a call at a `Saga` step starts one and waits; the orchestrator sends one
//! participant call at a time (bypassing policy stacks: the saga's retries are its own), times
//! it out, backs off and resends, and undoes in reverse; participants apply what they
//! complete; the waiting request goes on or fails when the saga ends.

use super::{Event, Timer, TimerFor, World};
use crate::call::{CallState, Caller, Outcome, Outgoing};
use crate::ids::{CallId, SagaId};
use crate::observer::Observer;
use crate::saga::{Next, SagaRun, SagaState};
use crate::statistics::StatisticsSlot;
use sim_core::{Context, SimTime};

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// Call `id` at a `Saga` step starts saga `saga` of its program and waits for its end.
    pub(super) fn saga_start(&mut self, id: CallId, saga: u8, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let gen = self.calls.gen(id);
        let c = *self.calls.at(id);
        let s = c.service.index();
        let steps = self.services[s].program.sagas[saga as usize].steps.len();
        let run = SagaRun::new(
            c.service,
            saga,
            c.instance,
            (id.index(), gen),
            c.origin,
            now,
            0,
        );
        let n = self.sagas.start(run, steps);
        self.wait_for_other(id, now);
        self.saga_send(SagaId::new(n), 0, false, ctx);
    }

    /// Whether saga `saga` waits for its call `token`.
    pub(super) fn saga_calling(&self, saga: SagaId, token: u32) -> bool {
        let r = &self.sagas.runs[saga.index() as usize];
        r.token == token && r.state == SagaState::Calling
    }

    /// Saga `saga` sends step `step`'s action, or its compensation.
    fn saga_send(&mut self, saga: SagaId, step: u8, compensating: bool, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let r = &mut self.sagas.runs[saga.index() as usize];
        r.token = r.token.wrapping_add(1);
        r.state = SagaState::Calling;
        r.step = step;
        let r = *r;
        let s = r.service.index();
        let def_step = self.services[s].program.sagas[r.saga as usize].steps[step as usize];
        let k = if compensating {
            def_step
                .compensation
                .expect("only steps with a compensation are undone")
        } else {
            def_step.action
        };
        let target = self.services[s].program.calls[k as usize];
        let deadline = self.services[s]
            .call_timeout(r.instance.index(), k as usize)
            .map_or(SimTime::MAX, |t| now + t);
        if deadline != SimTime::MAX {
            let timer = Timer {
                at: deadline,
                gen: r.token,
                what: TimerFor::Saga(saga),
            };
            self.set_timer(self.timer_base[s] + k, timer, ctx);
        }
        let caller = Caller::Saga {
            saga,
            token: r.token,
            step,
            compensating,
        };
        let out = Outgoing {
            caller,
            from: self.endpoint(r.service, r.instance),
            service: target.service,
            edge: target.edge,
            deadline,
            origin: r.origin,
        };
        self.sent_along(target.edge, ctx.now());
        if !self.send_call(out, ctx) {
            self.answer(
                caller,
                target.edge,
                target.service,
                Outcome::Unavailable,
                ctx,
            );
        }
    }

    /// Saga `saga`'s call (the one it waits for) ended with `outcome`; `timed_out`: without
    /// an answer. A timeout, or an answer corrupted after the participant completed the
    /// call, leaves the step's effect unknown.
    pub(super) fn saga_answered(
        &mut self,
        saga: SagaId,
        outcome: Outcome,
        timed_out: bool,
        ctx: &mut Context<Event>,
    ) {
        let unknown = timed_out || outcome == Outcome::Corrupted;
        let n = saga.index() as usize;
        let (s, k) = (self.sagas.runs[n].service, self.sagas.runs[n].saga as usize);
        let def = &self.services[s].program.sagas[k];
        match self.sagas.runs[n].answered(!outcome.is_error(), unknown, def) {
            Next::Send { step, compensating } => self.saga_send(saga, step, compensating, ctx),
            Next::Retry(wait) => {
                let r = &mut self.sagas.runs[n];
                r.state = SagaState::BackingOff;
                r.token = r.token.wrapping_add(1);
                let token = r.token;
                ctx.schedule_at(ctx.now() + wait, Event::SagaRetry { saga, token });
            }
            Next::Done(state) => self.saga_done(saga, state, ctx),
        }
    }

    /// Saga `saga`'s call `token` waited its timeout.
    pub(super) fn saga_timeout(&mut self, saga: SagaId, token: u32, ctx: &mut Context<Event>) {
        if !self.saga_calling(saga, token) {
            return;
        }
        let r = self.sagas.runs[saga.index() as usize];
        let st = self.services[r.service].program.sagas[r.saga as usize].steps[r.step as usize];
        let k = if r.compensating {
            st.compensation.expect("undone steps have a compensation")
        } else {
            st.action
        };
        let target = self.services[r.service].program.calls[k as usize];
        self.resolve(target.edge, target.service, Outcome::Timeout, ctx.now());
        self.saga_answered(saga, Outcome::Timeout, true, ctx);
    }

    /// Saga `saga`'s backoff `token` is over: it resends.
    pub(super) fn saga_retry(&mut self, saga: SagaId, token: u32, ctx: &mut Context<Event>) {
        let r = self.sagas.runs[saga.index() as usize];
        if r.token == token && r.state == SagaState::BackingOff {
            self.saga_send(saga, r.step, r.compensating, ctx);
        }
    }

    /// Saga `saga` is over: the request that runs it goes on or fails, if it still waits.
    fn saga_done(&mut self, saga: SagaId, state: SagaState, ctx: &mut Context<Event>) {
        let r = &mut self.sagas.runs[saga.index() as usize];
        r.state = state;
        r.ended = ctx.now();
        r.token = r.token.wrapping_add(1);
        let (index, gen) = r.call;
        let id = CallId::new(index);
        let Some(c) = self.calls.get(id, gen) else {
            return; // its instance crashed: the saga ran on without it
        };
        if c.state != CallState::Waiting {
            return;
        }
        if state == SagaState::Completed {
            c.wait.ok = 1;
        } else {
            c.wait.failed = 1;
        }
        c.state = CallState::Ready;
        self.ready.push_back((id, gen));
    }

    /// Call `id` finished waiting for its saga: it goes on if the saga completed, and fails
    /// `dependency` otherwise.
    pub(super) fn saga_wait_over(&mut self, id: CallId, ctx: &mut Context<Event>) {
        let c = self.waited_for_other(id, ctx.now());
        if c.wait.ok > 0 {
            self.calls.at(id).pc += 1;
            self.run(id, ctx);
        } else {
            self.respond(id, Outcome::Dependency, ctx);
        }
    }

    /// A participant completed a call for `caller`: if that is a saga's, the step's action or
    /// compensation takes effect there (once per key, with idempotency keys).
    #[inline]
    pub(super) fn saga_effect(&mut self, caller: Caller) {
        let Caller::Saga {
            saga,
            step,
            compensating,
            ..
        } = caller
        else {
            return;
        };
        let r = self.sagas.runs[saga.index() as usize];
        let keys = self.services[r.service].program.sagas[r.saga as usize].keys;
        self.sagas.completions += 1;
        self.sagas
            .effects_mut(saga.index(), step)
            .apply(compensating, keys);
    }
}
