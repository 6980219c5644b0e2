//! An admitted call runs its service's program: local work holds a worker for a drawn time,
//! calls and fan-outs send child calls and wait for enough of them, publishes fire and forget,
//! branches and routes pick where to go next.

use super::{Event, Timer, TimerFor, World};
use crate::call::{CallState, Caller, Outcome, Outgoing, Wait};
use crate::ids::{CallId, EdgeId, InstanceId, ServiceId};
use crate::observer::Observer;
use crate::program::Op;
use crate::statistics::StatisticsSlot;
use sim_core::{Context, SimTime};

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// Runs call `id`'s program from its current step until it waits or ends.
    #[inline]
    pub(super) fn run(&mut self, id: CallId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        loop {
            let c = *self.calls.at(id);
            let (s, i) = (c.service.index(), c.instance.index());
            let svc = &mut self.services[s];
            let Some(&op) = svc.program.ops.get(c.pc as usize) else {
                return self.end_program(id, ctx);
            };
            match op {
                Op::Work(k) => {
                    if !c.holds_worker {
                        if !svc.acquire(now, i, id, c.origin.criticality as u8, lend!(self)) {
                            self.calls.at(id).state = CallState::Queued;
                            return;
                        }
                        self.calls.at(id).holds_worker = true;
                    }
                    let gen = self.calls.gen(id);
                    let done = svc.work(now, i, k, (id.index(), gen));
                    self.calls.at(id).state = CallState::Working;
                    match done {
                        Some(done) => ctx.schedule_at(done, Event::WorkDone { call: id, gen }),
                        None => self.schedule_shared(c.service, c.instance, ctx),
                    }
                    return;
                }
                Op::Calls { first, count, .. } => {
                    return self.start_wait(id, first, count, ctx);
                }
                Op::Publish { service, edge } => {
                    let from = self.endpoint(c.service, c.instance);
                    let origin = c.origin;
                    let out = Outgoing {
                        caller: Caller::Nobody,
                        from,
                        service,
                        edge,
                        deadline: SimTime::MAX,
                        origin,
                    };
                    if O::WATCHING {
                        self.tell_publishing(id, now);
                    }
                    self.call(out, ctx);
                    self.calls.at(id).pc += 1;
                }
                Op::Branch { first, count, end } => {
                    let next = svc.branch(first, count).unwrap_or(end);
                    self.calls.at(id).pc = next;
                }
                Op::Jump(to) => self.calls.at(id).pc = to,
                Op::CacheLookup(cache) => {
                    if !self.cache_lookup(id, cache, ctx) {
                        return;
                    }
                }
                // The fill happened where the fetch's wait ended (`end_wait`).
                Op::CacheFill(_) => self.calls.at(id).pc += 1,
                Op::Saga(saga) => return self.saga_start(id, saga, ctx),
                Op::Store(k) => return self.store_call(id, k, ctx),
            }
        }
    }

    /// Call `id` sends the calls of its current step and waits for them.
    pub(super) fn start_wait(
        &mut self,
        id: CallId,
        first: u32,
        count: u16,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        let gen = self.calls.gen(id);
        let outstanding = if count >= 64 {
            u64::MAX
        } else {
            (1u64 << count) - 1
        };
        let token = self.begin_wait(id, outstanding, now);
        let c = *self.calls.at(id);
        let (s, i) = (c.service.index(), c.instance.index());
        let from = self.endpoint(c.service, c.instance);
        let deadlines = &self.services[s].deadlines;
        // The deadline forwarded to every call of the step, if any.
        let inherited = if deadlines.propagate && c.deadline != SimTime::MAX {
            SimTime(c.deadline.0.saturating_sub(deadlines.margin.as_nanos()))
        } else {
            SimTime::MAX
        };
        for slot in 0..count {
            let k = (first + slot as u32) as usize;
            let target = self.services[s].program.calls[k];
            let deadline = self.services[s]
                .call_timeout(i, k)
                .map_or(SimTime::MAX, |t| now + t)
                .min(inherited);
            let caller = Caller::Call {
                id,
                gen,
                slot: slot as u8,
                token,
            };
            // As for a request: through policies, the invocation answers by the deadline.
            if deadline != SimTime::MAX && !self.edges[target.edge].policies {
                let timer = Timer {
                    at: deadline.max(now),
                    gen,
                    what: TimerFor::Child {
                        call: id,
                        slot: slot as u8,
                        token,
                    },
                };
                let queue = self.timer_base[s] + first + slot as u32;
                self.set_timer(queue, timer, ctx);
            }
            let out = Outgoing {
                caller,
                from,
                service: target.service,
                edge: target.edge,
                deadline,
                origin: c.origin,
            };
            self.call(out, ctx);
        }
    }

    /// Instance `instance` of `service`'s shared processor changed: its next finish is
    /// scheduled (an older event goes stale by epoch).
    pub(super) fn schedule_shared(
        &mut self,
        service: ServiceId,
        instance: InstanceId,
        ctx: &mut Context<Event>,
    ) {
        let s = &mut self.services[service].sharing[instance.index()];
        if let Some((at, epoch)) = s.next(ctx.now()) {
            let event = Event::Shared {
                service,
                instance,
                epoch,
            };
            ctx.schedule_at(at, event);
        }
    }

    /// Instance `instance` of `service`'s shared processor reaches its next finish (event
    /// `epoch`): the requests done go on.
    pub(super) fn shared_due(
        &mut self,
        service: ServiceId,
        instance: InstanceId,
        epoch: u32,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        let s = &mut self.services[service].sharing[instance.index()];
        if s.epoch != epoch {
            return;
        }
        s.advance(now);
        while let Some((index, gen)) = self.services[service].sharing[instance.index()].pop_done() {
            let id = CallId::new(index);
            if let Some(c) = self.calls.get(id, gen) {
                if c.state == CallState::Working {
                    c.pc += 1;
                    self.run(id, ctx);
                }
            }
        }
        self.schedule_shared(service, instance, ctx);
    }

    /// Call `id` waits for something other than calls of its own (another request's cache
    /// fetch, a saga): as at a `Calls` step, an `Async` request waits parked, without a
    /// worker. Whoever ends the wait sets `wait.ok` or `wait.failed` and makes it `Ready`.
    pub(super) fn wait_for_other(&mut self, id: CallId, now: SimTime) {
        self.begin_wait(id, 0, now);
    }

    /// Call `id` begins a new wait (its token moves on) for the children whose bits are set
    /// in `outstanding`: an `Async` request waits parked, and any worker it had goes back to
    /// the pool (a call whose first step is a call never had one). Returns the wait's token.
    fn begin_wait(&mut self, id: CallId, outstanding: u64, now: SimTime) -> u32 {
        let c = self.calls.at(id);
        let token = c.wait.token.wrapping_add(1);
        c.wait = Wait {
            token,
            outstanding,
            ok: 0,
            failed: 0,
        };
        c.state = CallState::Waiting;
        let c = *c;
        let (s, i) = (c.service.index(), c.instance.index());
        if !self.services[s].holds_worker_while_waiting() {
            if c.holds_worker {
                self.calls.at(id).holds_worker = false;
                self.release_worker(c.service, c.instance, now);
            }
            self.services[s].park(now, i, 1, lend!(self));
        }
        token
    }

    /// Call `id`'s wait from [`World::wait_for_other`] is over: it is unparked; returns it.
    pub(super) fn waited_for_other(&mut self, id: CallId, now: SimTime) -> crate::call::Call {
        let c = *self.calls.at(id);
        let (s, i) = (c.service.index(), c.instance.index());
        if !self.services[s].holds_worker_while_waiting() {
            self.services[s].park(now, i, -1, lend!(self));
        }
        c
    }

    /// Call `id`'s wait is over (it is `Ready`): it moves on, or fails.
    pub(super) fn end_wait(&mut self, id: CallId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let c = *self.calls.at(id);
        let (s, i) = (c.service.index(), c.instance.index());
        let op = self.services[s].program.ops[c.pc as usize];
        let Op::Calls {
            first,
            need,
            optional,
            ..
        } = op
        else {
            match op {
                Op::CacheLookup(_) => return self.cache_wait_over(id, ctx),
                Op::Saga(_) => return self.saga_wait_over(id, ctx),
                Op::Store(_) => return self.store_wait_over(id, ctx),
                _ => unreachable!(
                    "a call waits only at a Calls step, a cache lookup, a saga or a store"
                ),
            }
        };
        self.abandon_children(id, first, now);
        if let Some(&Op::CacheFill(cache)) = self.services[s].program.ops.get(c.pc as usize + 1) {
            self.cache_fetched(id, cache, c.wait.ok >= need, now);
        }
        if !self.services[s].holds_worker_while_waiting() {
            self.services[s].park(now, i, -1, lend!(self));
        }
        if c.wait.ok >= need || optional {
            self.calls.at(id).pc += 1;
            self.run(id, ctx);
        } else {
            self.respond(id, Outcome::Dependency, ctx);
        }
    }

    /// Call `id` stops waiting for the calls of its step (at `first`) that have not answered.
    pub(super) fn abandon_children(&mut self, id: CallId, first: u32, now: SimTime) {
        if O::WATCHING {
            self.tell_children_abandoned(id, now);
        }
        let c = self.calls.at(id);
        let mut left = c.wait.outstanding;
        c.wait.outstanding = 0;
        let s = c.service.index();
        while left != 0 {
            let slot = left.trailing_zeros();
            left &= left - 1;
            let edge = self.services[s].program.calls[(first + slot) as usize].edge;
            self.edges[edge].call_ended();
            tell!(self, edge_abandoned(now, edge));
        }
    }

    /// Call `id`'s program has ended: it answers (or, with a route, moves on to the next
    /// service).
    pub(super) fn end_program(&mut self, id: CallId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let c = *self.calls.at(id);
        let (s, i) = (c.service.index(), c.instance.index());
        if c.doomed {
            return self.respond(id, Outcome::Injected, ctx);
        }
        let at = self.services[s].at(i);
        tell!(self, server_completed(now, at, now - c.arrived));
        let svc = &mut self.services[s];
        let corrupted = svc.corrupted();
        let next = if corrupted { None } else { svc.route() };
        if next.is_none() {
            // Its last leg: a saga's participant applies the call here, even if the answer
            // then arrives corrupted.
            self.saga_effect(c.caller);
        }
        match next {
            Some((next, edge)) => self.forward(id, next, edge, ctx),
            None if corrupted => self.respond(id, Outcome::Corrupted, ctx),
            None => self.respond(id, Outcome::Completed, ctx),
        }
    }

    /// Routing: call `id`, served here, goes on to service `next` along `edge`; whoever waits
    /// for it will get the answer from there.
    pub(super) fn forward(
        &mut self,
        id: CallId,
        next: ServiceId,
        edge: EdgeId,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        let c = *self.calls.at(id);
        if c.holds_worker {
            self.release_worker(c.service, c.instance, now);
        }
        // This leg succeeded: the service did its part.
        if self.services[c.service].watched {
            self.watch_end(&c, Outcome::Completed, now);
        }
        self.edge_resolved(c.edge, Outcome::Completed, now);
        self.service_answered(c.service, Outcome::Completed, now);
        if let Caller::Request { id: r, gen } = c.caller {
            if let Some(req) = self.requests.get(r, gen) {
                req.edge = edge;
            }
        }
        self.sent_along(edge, now);
        if O::WATCHING {
            self.tell_forwarded(id, edge, next, now);
        }
        let from = self.endpoint(c.service, c.instance);
        let Some(instance) = self.services[next].pick() else {
            self.calls.remove(id);
            return self.answer(c.caller, edge, next, Outcome::Unavailable, ctx);
        };
        let gen = self.calls.gen(id);
        let n = self.calls.at(id);
        n.service = next;
        n.instance = instance;
        n.edge = edge;
        n.pc = 0;
        n.state = CallState::Travelling;
        n.holds_worker = false;
        n.doomed = false;
        n.wait = Wait::default();
        self.transmit(id, gen, from, ctx);
    }
}
