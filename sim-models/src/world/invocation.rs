//! Calls through a policy stack: one logical call (an *invocation*) and its attempts.
//!
//! ```text
//! invoke ─▶ begin_attempt ─▶ admit_from: each layer's verdict ─▶ send_attempt ─▶ (network, server)
//!              ▲                 │ refuse / hold / queue                           │
//!              │ Retry event     ▼                                                 ▼
//!              └──────────── attempt_ended ◀──────────── attempt_answered / attempt_timeout
//!                                │ success, no retry left, budget empty, deadline
//!                                ▼
//!                             end_invocation: outer layers, fallback, answer the caller
//! ```
//!
//! Layers before the retry see the whole call (admitted on the first attempt, told its end in
//! `end_invocation`); layers after it see every attempt (admitted before it, told its end in
//! `attempt_ended`). A layer that refused a call is not told its end; the layers it had passed
//! are, with the refusal as the outcome — the way decorators unwind.

use super::{Event, Timer, TimerFor, World};
use crate::call::{Caller, Invocation, Outcome, Outgoing, Phase};
use crate::ids::{EdgeId, InvocationId};
use crate::policy::{Arrival, Ended, Hooks, Verdict};
use crate::statistics::StatisticsSlot;
use sim_core::{Context, SimDuration, SimTime};

impl<O: crate::observer::Observer, S: StatisticsSlot> World<O, S> {
    /// Makes call `out` through its edge's policies.
    pub(super) fn invoke(&mut self, out: Outgoing, ctx: &mut Context<Event>) {
        let Outgoing {
            caller,
            from,
            service,
            edge,
            deadline,
            origin,
        } = out;
        let now = ctx.now();
        tell!(self, edge_requested(now, edge));
        let e = &self.edges[edge];
        let stack = self.edge_stacks[edge.index()] + if e.from_client { 0 } else { from.instance };
        let (id, gen) = self.invocations.insert(Invocation {
            caller,
            edge,
            service,
            stack,
            from,
            deadline,
            started: now,
            attempt_started: now,
            attempts: 0,
            layer: 0,
            phase: Phase::Admitting,
            last: None,
            pending: Outcome::Completed,
            backoff: Default::default(),
            origin,
            inflight: 0,
            hedges: 0,
            deadline_armed: false,
        });
        if O::WATCHING {
            self.tell_invocation_started(id, gen, now);
        }
        let st = &mut self.stacks[stack as usize];
        let mut started = st.uses.started;
        while let Some(l) = started.pop_first() {
            st.layers[l].started(now);
        }
        if self.stacks[stack as usize].hedging {
            self.guard_deadline(id, gen, ctx); // attempts overlap: no single attempt timer
        }
        self.begin_attempt(id, gen, ctx);
    }

    /// Arms the timer of invocation `id`'s whole-call deadline, once. It is armed lazily,
    /// when the invocation waits with no earlier timer set: most calls end within their
    /// attempt timeout, and a timer per call that never fires cost as much as a policy layer.
    /// The caller sets no timer of its own for a call through policies: the invocation always
    /// answers by its deadline (the stack's fallback sees that timeout, as a decorator would).
    fn guard_deadline(&mut self, id: InvocationId, gen: u32, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let v = self.invocations.at(id);
        if v.deadline_armed || v.deadline == SimTime::MAX {
            return;
        }
        v.deadline_armed = true;
        let timer = Timer {
            at: v.deadline.max(now),
            gen,
            what: TimerFor::Invocation(id),
        };
        let queue = self.edge_timers[v.edge.index()];
        self.set_timer(queue, timer, ctx);
    }

    /// The next attempt of invocation `id` starts passing its layers: all of them the first
    /// time, those after the retry afterwards.
    fn begin_attempt(&mut self, id: InvocationId, gen: u32, ctx: &mut Context<Event>) {
        let retry = self.stacks[self.invocations.at(id).stack as usize].retry;
        let v = self.invocations.at(id);
        v.attempts += 1;
        v.attempt_started = ctx.now();
        v.layer = if v.attempts == 1 { 0 } else { retry as u16 + 1 };
        v.phase = Phase::Admitting;
        if O::WATCHING {
            self.tell_attempt_started(id, gen, ctx.now());
        }
        self.admit_from(id, gen, ctx);
    }

    /// Invocation `id` passes its layers from `layer` on, and its attempt leaves if all let it.
    pub(super) fn admit_from(&mut self, id: InvocationId, gen: u32, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let Some(v) = self.invocations.get(id, gen) else {
            return; // it ended meanwhile
        };
        let v = *v;
        let s = v.stack as usize;
        let n = self.stacks[s].layers.len();
        let mut admitting = self.stacks[s].uses.admit.within(v.layer as usize, n);
        while let Some(layer) = admitting.pop_first() {
            let arrival = Arrival {
                attempt: v.attempts,
                waiting: self.stacks[s].queues[layer].len(),
                queued: false,
            };
            let st = &mut self.stacks[s];
            let verdict = st.layers[layer].admit(now, &arrival, &mut st.rng);
            if verdict == Verdict::Pass {
                if let crate::policy::Layer::Limiter(l) = &self.stacks[s].layers[layer] {
                    self.invocations.at(id).inflight = l.inflight();
                }
                continue;
            }
            let inv = self.invocations.at(id);
            inv.layer = layer as u16;
            match verdict {
                Verdict::Pass => unreachable!(),
                Verdict::Reject { outcome, after } if after > SimDuration::ZERO => {
                    inv.phase = Phase::Held;
                    inv.pending = outcome;
                    ctx.schedule_in(after, Event::Resume { inv: id, gen });
                    self.guard_deadline(id, gen, ctx);
                }
                Verdict::Reject { outcome, .. } => self.refused(id, gen, outcome, ctx),
                Verdict::Delay(d) => {
                    inv.layer += 1;
                    inv.phase = Phase::Held;
                    inv.pending = Outcome::Completed;
                    ctx.schedule_in(d, Event::Resume { inv: id, gen });
                    self.guard_deadline(id, gen, ctx);
                }
                Verdict::Queue { max, outcome } => {
                    inv.phase = Phase::Queued;
                    inv.pending = outcome;
                    self.stacks[s].queues[layer].push_back((id, gen));
                    self.guard_deadline(id, gen, ctx);
                    if let Some(m) = max {
                        let attempt = v.attempts;
                        ctx.schedule_in(
                            m,
                            Event::QueueTimeout {
                                inv: id,
                                gen,
                                attempt,
                            },
                        );
                    }
                }
            }
            return;
        }
        self.invocations.at(id).layer = n as u16;
        self.send_attempt(id, gen, ctx);
    }

    /// Invocation `id`'s attempt has passed every layer: it goes to an instance.
    fn send_attempt(&mut self, id: InvocationId, gen: u32, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let v = *self.invocations.at(id);
        self.edges[v.edge].attempt_sent();
        tell!(self, edge_attempted(now, v.edge));
        if v.attempts > 1 {
            tell!(self, retried(now, v.edge, v.attempts));
        }
        let mut deadline = v.deadline;
        if let Some(t) = self.stacks[v.stack as usize].attempt_timeout {
            let at = now + t;
            if at < deadline {
                let timer = Timer {
                    at,
                    gen,
                    what: TimerFor::Attempt(id, v.attempts),
                };
                self.set_timer(self.edge_timers[v.edge.index()] + 1, timer, ctx);
                deadline = at;
            }
        }
        if deadline == v.deadline {
            self.guard_deadline(id, gen, ctx); // no attempt timer fires before it
        }
        let inv = self.invocations.at(id);
        inv.phase = Phase::InFlight;
        let hedging = self.stacks[v.stack as usize].hedging;
        if hedging {
            inv.hedges |= 1 << (v.attempts - 1);
            self.schedule_hedge(id, gen, v.stack as usize, v.attempts, ctx);
        }
        let caller = Caller::Attempt {
            id,
            gen,
            attempt: v.attempts,
        };
        let out = Outgoing {
            caller,
            from: v.from,
            service: v.service,
            edge: v.edge,
            deadline,
            origin: v.origin,
        };
        if !self.send_call(out, ctx) {
            // No instance up: the client library fails the attempt at once.
            if hedging {
                self.hedge_answered(id, gen, v.attempts, Outcome::Unavailable, ctx);
            } else {
                self.attempt_ended(id, gen, Outcome::Unavailable, true, ctx);
            }
        }
    }

    /// Hedging: after attempt `attempt` of invocation `id` leaves, the next is due after the
    /// hedging delay, if the policy allows another.
    fn schedule_hedge(
        &mut self,
        id: InvocationId,
        gen: u32,
        s: usize,
        attempt: u32,
        ctx: &mut Context<Event>,
    ) {
        let h = self.stacks[s].hedge();
        if attempt < h.max_attempts() {
            let delay = h.delay(ctx.now());
            ctx.schedule_in(
                delay,
                Event::Hedge {
                    inv: id,
                    gen,
                    attempt,
                },
            );
        }
    }

    /// Hedging: the delay after attempt `attempt` is over; the next goes if none has answered
    /// well meanwhile and the budgets allow it.
    pub(super) fn hedge_due(
        &mut self,
        id: InvocationId,
        gen: u32,
        attempt: u32,
        ctx: &mut Context<Event>,
    ) {
        let live = self.invocations.get(id, gen);
        if live.is_some_and(|v| v.attempts == attempt && v.phase == Phase::InFlight) {
            self.try_hedge(id, gen, Outcome::Timeout, ctx);
        }
    }

    /// Hedging: sends invocation `id`'s next attempt if it may have one (`outcome`: what
    /// prompted it, for budgets that price retries by cause).
    fn try_hedge(
        &mut self,
        id: InvocationId,
        gen: u32,
        outcome: Outcome,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        let v = *self.invocations.at(id);
        let s = v.stack as usize;
        let retry = self.stacks[s].retry;
        let most = self.stacks[s].hedge().max_attempts();
        if v.attempts >= most || now >= v.deadline || !self.caller_waiting(v.caller) {
            return;
        }
        // The hedge's own budget (Finagle's backup budget), then the client's retry budget.
        let st = &mut self.stacks[s];
        let mut asked = st.uses.may_retry.within(retry, st.layers.len());
        let mut denied = false;
        while let Some(l) = asked.pop_first() {
            if !st.layers[l].may_retry(now, outcome) {
                denied = true;
                break;
            }
        }
        if denied {
            tell!(self, retry_denied(now, v.edge));
            return;
        }
        self.begin_attempt(id, gen, ctx);
    }

    /// Hedging: the answer to attempt `attempt` arrives. The first success wins and the
    /// others are abandoned; a fatal failure ends the call; a non-fatal one waits for the
    /// others (and with gRPC sends the next hedge at once). Returns whether the invocation
    /// still waited for this attempt.
    fn hedge_answered(
        &mut self,
        id: InvocationId,
        gen: u32,
        attempt: u32,
        outcome: Outcome,
        ctx: &mut Context<Event>,
    ) -> bool {
        let now = ctx.now();
        let Some(v) = self.invocations.get(id, gen) else {
            return false;
        };
        let bit = 1u8 << (attempt - 1);
        if v.phase != Phase::InFlight || v.hedges & bit == 0 {
            return false;
        }
        v.hedges &= !bit;
        v.last = Some(outcome);
        let v = *v;
        if O::WATCHING {
            self.tell_attempt_ended(id, gen, attempt, outcome, now);
        }
        self.edges[v.edge].attempt_resolved();
        self.service_answered(v.service, outcome, now);
        let s = v.stack as usize;
        let (retry, n) = (self.stacks[s].retry, self.stacks[s].layers.len());
        // The original left when the call started, the newest when its attempt began.
        let sent = if attempt == v.attempts {
            v.attempt_started
        } else {
            v.started
        };
        let ended = Ended {
            outcome,
            latency: now - sent,
            attempt,
            outcome_before: None,
            inflight: v.inflight,
        };
        self.record_layers(s, retry + 1, n, &ended, now);
        let h = self.stacks[s].hedge();
        if outcome == Outcome::Completed || !h.non_fatal(outcome) {
            if outcome == Outcome::Completed {
                h.observe(now, ended.latency);
            }
            self.abandon_hedges(id, now);
            self.end_invocation(id, outcome, ctx);
            return true;
        }
        if h.hedges_on_failure() {
            self.try_hedge(id, gen, outcome, ctx);
        }
        if self
            .invocations
            .get(id, gen)
            .is_some_and(|v| v.hedges == 0 && v.phase == Phase::InFlight)
        {
            self.end_invocation(id, outcome, ctx); // nothing left out, nothing more to send
        }
        true
    }

    /// Hedging: invocation `id` stops waiting for the attempts still out.
    fn abandon_hedges(&mut self, id: InvocationId, now: SimTime) {
        if O::WATCHING {
            self.tell_attempts_abandoned(id, now);
        }
        let v = self.invocations.at(id);
        let out = v.hedges.count_ones();
        v.hedges = 0;
        let edge = v.edge.index();
        for _ in 0..out {
            self.edges[edge].attempt_resolved();
        }
    }

    /// The answer to attempt `attempt` of invocation `id` arrives; returns whether the
    /// invocation still waited for it (otherwise it is late).
    pub(super) fn attempt_answered(
        &mut self,
        id: InvocationId,
        gen: u32,
        attempt: u32,
        outcome: Outcome,
        ctx: &mut Context<Event>,
    ) -> bool {
        let Some(v) = self.invocations.get(id, gen) else {
            return false;
        };
        if v.hedges != 0 {
            return self.hedge_answered(id, gen, attempt, outcome, ctx);
        }
        if v.attempts != attempt || v.phase != Phase::InFlight {
            return false;
        }
        self.attempt_ended(id, gen, outcome, true, ctx);
        true
    }

    /// A layer refused invocation `id`'s attempt with `outcome`.
    fn refused(&mut self, id: InvocationId, gen: u32, outcome: Outcome, ctx: &mut Context<Event>) {
        let edge = self.invocations.at(id).edge;
        tell!(self, refused(ctx.now(), edge, outcome));
        self.attempt_ended(id, gen, outcome, false, ctx);
    }

    /// Invocation `id`'s current attempt ended with `outcome` (`sent`: it had left; otherwise
    /// a layer refused it): the layers it passed after the retry learn it, then the call
    /// retries or finishes.
    fn attempt_ended(
        &mut self,
        id: InvocationId,
        gen: u32,
        outcome: Outcome,
        sent: bool,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        let v = *self.invocations.at(id);
        if O::WATCHING {
            self.tell_attempt_ended(id, gen, v.attempts, outcome, now);
        }
        if sent {
            self.edges[v.edge].attempt_resolved();
            self.service_answered(v.service, outcome, now);
        }
        let s = v.stack as usize;
        let (retry, n) = (self.stacks[s].retry, self.stacks[s].layers.len());
        let inner = (retry + 1).min(n);
        let ended = Ended {
            outcome,
            latency: now - v.attempt_started,
            attempt: v.attempts,
            outcome_before: v.last,
            inflight: v.inflight,
        };
        self.record_layers(s, inner, (v.layer as usize).max(inner), &ended, now);
        self.invocations.at(id).last = Some(outcome);
        if outcome.is_error()
            && retry < n
            && v.layer as usize > retry
            && self.caller_waiting(v.caller)
        {
            let inv = self.invocations.at(id);
            let st = &mut self.stacks[s];
            let delay =
                st.layers[retry].retry_delay(v.attempts, outcome, &mut inv.backoff, &mut st.rng);
            if let Some(d) = delay.filter(|&d| now + d < v.deadline) {
                let st = &mut self.stacks[s];
                let mut asked = st.uses.may_retry.without(retry);
                let mut allowed = true;
                while let Some(l) = asked.pop_first() {
                    if !st.layers[l].may_retry(now, outcome) {
                        allowed = false;
                        break;
                    }
                }
                if allowed {
                    self.invocations.at(id).phase = Phase::BackingOff;
                    ctx.schedule_in(d, Event::Retry { inv: id, gen });
                    if O::WATCHING {
                        self.tell_backoff_started(id, gen, now);
                    }
                    return;
                }
                tell!(self, retry_denied(now, v.edge));
            }
        }
        self.end_invocation(id, outcome, ctx);
    }

    /// Invocation `id` ends with `outcome`: the layers before the retry learn it (a fallback
    /// may replace it), and the caller gets the answer if it still waits.
    fn end_invocation(&mut self, id: InvocationId, outcome: Outcome, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let v = *self.invocations.at(id);
        let s = v.stack as usize;
        let retry = self.stacks[s].retry;
        let outer = if v.attempts <= 1 {
            (v.layer as usize).min(retry)
        } else {
            retry
        };
        let ended = Ended {
            outcome,
            latency: now - v.started,
            attempt: v.attempts,
            outcome_before: None,
            inflight: v.inflight,
        };
        self.record_layers(s, 0, outer, &ended, now);
        let mut answer = outcome;
        let st = &mut self.stacks[s];
        let mut answering = st.uses.answer.within(0, outer);
        while let Some(l) = answering.pop_last() {
            answer = st.layers[l].answer(now, answer);
        }
        if O::WATCHING {
            self.tell_invocation_ended(id, outcome, answer, now);
        }
        self.invocations.remove(id);
        if self.caller_waiting(v.caller) {
            self.answer(v.caller, v.edge, v.service, answer, ctx);
        }
    }

    /// Whether `caller` still waits for an answer.
    fn caller_waiting(&mut self, caller: Caller) -> bool {
        match caller {
            Caller::Request { id, gen } => self.requests.peek(id, gen).is_some(),
            Caller::Call {
                id,
                gen,
                slot,
                token,
            } => self.call_waits_for(id, gen, slot, token),
            Caller::Attempt { .. } => unreachable!("attempts are not invocations"),
            Caller::Nobody | Caller::Refresh { .. } => true,
            Caller::Saga { saga, token, .. } => self.saga_calling(saga, token),
        }
    }

    /// Layers `from..to` of stack `s` (innermost first) learn that a call ended, and let
    /// queued calls in if that freed room.
    fn record_layers(&mut self, s: usize, from: usize, to: usize, ended: &Ended, now: SimTime) {
        let mut told = self.stacks[s].uses.ended.within(from, to);
        while let Some(l) = told.pop_last() {
            let hooks = self.stacks[s].hooks[l];
            if hooks.has(Hooks::RECORD) {
                self.stacks[s].layers[l].record(now, ended);
            }
            // Only a layer that admits can have queued a call.
            if hooks.has(Hooks::ADMIT) {
                self.wake(s, l, now);
            }
        }
    }

    /// Lets the calls at the head of layer `l`'s queue in while it admits them.
    fn wake(&mut self, s: usize, l: usize, now: SimTime) {
        while let Some(&(id, gen)) = self.stacks[s].queues[l].front() {
            let Some(v) = self
                .invocations
                .peek(id, gen)
                .filter(|v| v.phase == Phase::Queued && v.layer as usize == l)
            else {
                self.stacks[s].queues[l].pop_front(); // gone or moved on
                continue;
            };
            let arrival = Arrival {
                attempt: v.attempts,
                waiting: self.stacks[s].queues[l].len() - 1,
                queued: true,
            };
            let st = &mut self.stacks[s];
            let verdict = st.layers[l].admit(now, &arrival, &mut st.rng);
            if verdict != Verdict::Pass {
                break;
            }
            self.stacks[s].queues[l].pop_front();
            let v = self.invocations.at(id);
            v.layer += 1;
            v.phase = Phase::Admitting;
            self.resume.push_back((id, gen));
        }
    }

    /// Every layer's level at the start (a budget starts full).
    pub(super) fn start_levels(&mut self) {
        for svc in &mut self.services {
            svc.start_levels();
        }
        self.sample_levels(SimTime::ZERO);
    }

    /// Every caller layer's level at `now`, summed per edge into its series.
    ///
    /// Levels are sampled every [`World::level_period`] rather than followed on every call:
    /// asking nine layers for their level at each admission and answer cost more than the
    /// layers' own decisions. Sampling only observes (a breaker's timed transitions are dated
    /// when they were due, whenever they are looked at), so it changes no outcome.
    pub(super) fn sample_levels(&mut self, now: SimTime) {
        for s in 0..self.stacks.len() {
            let mut levels = self.stacks[s].uses.level;
            while let Some(l) = levels.pop_first() {
                self.update_level(self.stack_edges[s], s, l, now);
            }
        }
    }

    /// Layer `l` of stack `s` may have changed its level: the edge's sum follows.
    fn update_level(&mut self, edge: EdgeId, s: usize, l: usize, now: SimTime) {
        let Some(level) = self.stacks[s].layers[l].level(now) else {
            return;
        };
        self.policy_levels[edge.index()][l].reported = true;
        let last = &mut self.stacks[s].levels[l];
        if *last == level {
            return;
        }
        let delta = level - *last;
        *last = level;
        self.policy_levels[edge.index()][l].add(now, delta);
    }

    /// A backoff is over: the next attempt, unless the caller gave up meanwhile.
    pub(super) fn retry_due(&mut self, id: InvocationId, gen: u32, ctx: &mut Context<Event>) {
        let Some(v) = self.invocations.get(id, gen) else {
            return;
        };
        if v.phase != Phase::BackingOff {
            return;
        }
        let v = *v;
        if !self.caller_waiting(v.caller) {
            return self.end_invocation(id, v.last.unwrap_or(Outcome::Timeout), ctx);
        }
        self.begin_attempt(id, gen, ctx);
    }

    /// A hold is over: a pending refusal is delivered, or admission goes on.
    pub(super) fn resume_due(&mut self, id: InvocationId, gen: u32, ctx: &mut Context<Event>) {
        let Some(v) = self.invocations.get(id, gen) else {
            return;
        };
        if v.phase != Phase::Held {
            return;
        }
        v.phase = Phase::Admitting;
        let pending = v.pending;
        if pending != Outcome::Completed {
            self.refused(id, gen, pending, ctx);
        } else {
            self.admit_from(id, gen, ctx);
        }
    }

    /// Attempt `attempt`'s own timeout runs out.
    pub(super) fn attempt_timeout(
        &mut self,
        id: InvocationId,
        gen: u32,
        attempt: u32,
        ctx: &mut Context<Event>,
    ) {
        let live = self.invocations.get(id, gen);
        if live.is_some_and(|v| v.attempts == attempt && v.phase == Phase::InFlight) {
            self.attempt_ended(id, gen, Outcome::Timeout, true, ctx);
        }
    }

    /// Attempt `attempt` has waited in a layer's queue as long as the layer allows.
    pub(super) fn queue_timeout(
        &mut self,
        id: InvocationId,
        gen: u32,
        attempt: u32,
        ctx: &mut Context<Event>,
    ) {
        let Some(v) = self.invocations.get(id, gen) else {
            return;
        };
        let v = *v;
        if v.attempts == attempt && v.phase == Phase::Queued {
            self.leave_queue(id, gen, &v);
            self.refused(id, gen, v.pending, ctx);
        }
    }

    /// The whole call's deadline: whatever it is doing, it ends as `timeout`.
    pub(super) fn call_deadline(&mut self, id: InvocationId, gen: u32, ctx: &mut Context<Event>) {
        let Some(v) = self.invocations.get(id, gen) else {
            return;
        };
        let v = *v;
        match v.phase {
            Phase::InFlight if v.hedges != 0 => {
                self.service_answered(v.service, Outcome::Timeout, ctx.now());
                self.abandon_hedges(id, ctx.now());
                self.end_invocation(id, Outcome::Timeout, ctx);
            }
            Phase::InFlight => self.attempt_ended(id, gen, Outcome::Timeout, true, ctx),
            Phase::Queued => {
                self.leave_queue(id, gen, &v);
                self.attempt_ended(id, gen, Outcome::Timeout, false, ctx);
            }
            Phase::Held => self.attempt_ended(id, gen, Outcome::Timeout, false, ctx),
            Phase::BackingOff | Phase::Admitting => self.end_invocation(id, Outcome::Timeout, ctx),
        }
    }

    fn leave_queue(&mut self, id: InvocationId, gen: u32, v: &Invocation) {
        let q = &mut self.stacks[v.stack as usize].queues[v.layer as usize];
        if let Some(k) = q.iter().position(|&x| x == (id, gen)) {
            q.remove(k);
        }
    }
}
