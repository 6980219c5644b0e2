//! The hooks the world calls on a sampled request's path (through its cold shims in
//! `world/tracing.rs`): each opens or closes spans through the tracer's side tables.

use super::span::{SpanEnd, SpanKind, NO_SPAN};
use super::tracer::{CallSlot, InvocationSlot, RequestSlot, Tracer};
use crate::call::{Caller, Outcome};
use crate::ids::{CallId, InvocationId, RequestIndex};
use sim_core::SimTime;

impl Tracer {
    // Hooks, called by the world's cold shims (`world/tracing.rs`) while a request's path is
    // traced.

    /// Request number `seq` (slab `id`, `gen`) is sent along `edge` to `service`: traced if
    /// sampled and no cap is reached.
    pub(crate) fn request_sent(
        &mut self,
        seq: u64,
        id: RequestIndex,
        gen: u32,
        edge: u32,
        service: u32,
        now: SimTime,
    ) {
        let slot = id.index() as usize;
        if self.requests.len() <= slot {
            self.requests.resize(
                slot + 1,
                RequestSlot {
                    gen: 0,
                    root: NO_SPAN,
                    call: NO_SPAN,
                },
            );
        }
        self.requests[slot].root = NO_SPAN;
        if !self.sampled(seq) {
            return;
        }
        if self.roots.len() as u32 >= self.config.max_requests
            || self.spans.len() as u32 >= self.config.max_spans
        {
            self.over_cap += 1;
            self.capped_at.get_or_insert(now);
            return;
        }
        let root = self.open(NO_SPAN, SpanKind::Request { seq }, edge, service, now);
        self.roots.push(root);
        self.requests[slot] = RequestSlot {
            gen,
            root,
            call: NO_SPAN,
        };
    }

    /// Request `id` ends with `outcome` as its client sees it.
    pub(crate) fn request_ended(
        &mut self,
        id: RequestIndex,
        gen: u32,
        outcome: Outcome,
        now: SimTime,
    ) {
        let Some(&r) = self.request_slot(id, gen) else {
            return;
        };
        self.close_chain(r.call, SpanEnd::Outcome(outcome), now);
        self.close(r.root, SpanEnd::Outcome(outcome), now);
        self.requests[id.index() as usize].root = NO_SPAN;
    }

    /// `caller` makes a call along `edge` to `service` (bare or through a policy stack).
    pub(crate) fn call_started(&mut self, caller: Caller, edge: u32, service: u32, now: SimTime) {
        let parent = match caller {
            Caller::Request { id, gen } => self.request_slot(id, gen).map_or(NO_SPAN, |r| r.root),
            Caller::Call { id, gen, .. } => self.call_slot(id, gen).map_or(NO_SPAN, |c| c.serve),
            Caller::Attempt { .. } => NO_SPAN, // attempts are sent, not called
            Caller::Nobody => self.publisher,
            // A cache's background fetch and a saga's calls are not traced.
            Caller::Refresh { .. } | Caller::Saga { .. } => NO_SPAN,
        };
        if parent == NO_SPAN {
            return;
        }
        let span = self.open(parent, SpanKind::Call, edge, service, now);
        match caller {
            Caller::Request { id, .. } => self.requests[id.index() as usize].call = span,
            Caller::Call { id, slot, .. } => {
                let children = &mut self.calls[id.index() as usize].children;
                if children.len() <= slot as usize {
                    children.resize(slot as usize + 1, NO_SPAN);
                }
                children[slot as usize] = span;
            }
            Caller::Nobody => self.publisher = span,
            Caller::Attempt { .. } | Caller::Refresh { .. } | Caller::Saga { .. } => unreachable!(),
        }
    }

    /// Call `id` (serving span known) publishes a message: the publish's spans hang from it.
    pub(crate) fn publishing(&mut self, id: CallId, gen: u32) {
        self.publisher = self.call_slot(id, gen).map_or(NO_SPAN, |c| c.serve);
    }

    /// A publish has left.
    pub(crate) fn published(&mut self) {
        self.publisher = NO_SPAN;
    }

    /// The message of call `id` (`gen`) leaves for an instance on behalf of `caller`.
    pub(crate) fn message_sent(&mut self, id: CallId, gen: u32, caller: Caller) {
        let up = self.caller_span(caller);
        if up == NO_SPAN {
            return;
        }
        self.set_message(id, gen, up);
    }

    fn set_message(&mut self, id: CallId, gen: u32, up: u32) {
        let slot = id.index() as usize;
        if self.calls.len() <= slot {
            self.calls.resize(
                slot + 1,
                CallSlot {
                    gen: 0,
                    up: NO_SPAN,
                    serve: NO_SPAN,
                    children: Vec::new(),
                },
            );
        }
        let c = &mut self.calls[slot];
        c.gen = gen;
        c.up = up;
        c.serve = NO_SPAN;
        c.children.clear();
    }

    /// The network duplicated call `id`'s message: the copy `dup` (`dup_gen`) has the same
    /// caller.
    pub(crate) fn message_duplicated(&mut self, id: CallId, gen: u32, dup: CallId, dup_gen: u32) {
        if let Some(up) = self.call_slot(id, gen).map(|c| c.up) {
            self.set_message(dup, dup_gen, up);
        }
    }

    /// Call `id`'s message vanished (lost or black-holed; `publish`: nobody waits for it).
    pub(crate) fn message_dropped(&mut self, id: CallId, gen: u32, publish: bool, now: SimTime) {
        let Some(c) = self.call_slot(id, gen) else {
            return;
        };
        let (up, serve) = (c.up, c.serve);
        c.up = NO_SPAN;
        self.close(serve, SpanEnd::Lost, now);
        if publish {
            self.close_chain(up, SpanEnd::Lost, now);
        }
    }

    /// Call `id`'s message reaches instance `instance` of `service`.
    pub(crate) fn serve_started(
        &mut self,
        id: CallId,
        gen: u32,
        edge: u32,
        service: u32,
        instance: u32,
        now: SimTime,
    ) {
        let Some(c) = self.call_slot(id, gen) else {
            return;
        };
        let up = c.up;
        let span = self.open(up, SpanKind::Serve, edge, service, now);
        self.spans[span as usize].instance = instance;
        let c = &mut self.calls[id.index() as usize];
        c.serve = span;
        c.children.clear();
    }

    /// Call `id`, queued, gets a worker.
    pub(crate) fn worker_taken(&mut self, id: CallId, gen: u32, now: SimTime) {
        let Some(serve) = self.call_slot(id, gen).map(|c| c.serve) else {
            return;
        };
        if let Some(s) = self.spans.get_mut(serve as usize) {
            if s.worker_at == SimTime::MAX {
                s.worker_at = now;
            }
        }
    }

    /// The instance is done with call `id`, which answers `outcome` (`publish`: nobody waits,
    /// so the publish's call ends too).
    pub(crate) fn serve_ended(
        &mut self,
        id: CallId,
        gen: u32,
        outcome: Outcome,
        publish: bool,
        now: SimTime,
    ) {
        let Some(c) = self.call_slot(id, gen) else {
            return;
        };
        let (up, serve) = (c.up, c.serve);
        self.close(serve, SpanEnd::Outcome(outcome), now);
        if publish {
            self.close_chain(up, SpanEnd::Outcome(outcome), now);
        }
    }

    /// A route forwards call `id`, served, along `edge` to `service`: a new call span continues
    /// the caller's, and the caller's answer will end both.
    pub(crate) fn forwarded(
        &mut self,
        id: CallId,
        gen: u32,
        caller: Caller,
        edge: u32,
        service: u32,
        now: SimTime,
    ) {
        let Some(c) = self.call_slot(id, gen) else {
            return;
        };
        let (up, serve) = (c.up, c.serve);
        self.close(serve, SpanEnd::Outcome(Outcome::Completed), now);
        let span = self.open(up, SpanKind::Call, edge, service, now);
        self.spans[span as usize].routed = true;
        let c = &mut self.calls[id.index() as usize];
        c.up = span;
        c.serve = NO_SPAN;
        if matches!(
            caller,
            Caller::Nobody | Caller::Refresh { .. } | Caller::Saga { .. }
        ) {
            return;
        }
        self.set_caller_span(caller, span);
    }

    /// Call `id` takes the answer `outcome` of child `slot`.
    pub(crate) fn child_answered(
        &mut self,
        id: CallId,
        gen: u32,
        slot: u8,
        outcome: Outcome,
        now: SimTime,
    ) {
        let Some(span) = self
            .call_slot(id, gen)
            .and_then(|c| c.children.get(slot as usize).copied())
        else {
            return;
        };
        self.close_chain(span, SpanEnd::Outcome(outcome), now);
    }

    /// Call `id` stops waiting for the children in `slots` (bit `k`: child `k`).
    pub(crate) fn children_abandoned(
        &mut self,
        id: CallId,
        gen: u32,
        mut slots: u64,
        now: SimTime,
    ) {
        let Some(c) = self.call_slot(id, gen) else {
            return;
        };
        let children = std::mem::take(&mut c.children);
        while slots != 0 {
            let k = slots.trailing_zeros() as usize;
            slots &= slots - 1;
            if let Some(&span) = children.get(k) {
                self.close_chain(span, SpanEnd::Abandoned, now);
            }
        }
        self.calls[id.index() as usize].children = children;
    }

    /// Invocation `id` (`gen`) starts for `caller`, whose call span it continues.
    pub(crate) fn invocation_started(&mut self, id: InvocationId, gen: u32, caller: Caller) {
        let call = self.caller_span(caller);
        let slot = id.index() as usize;
        if self.invocations.len() <= slot {
            self.invocations.resize(
                slot + 1,
                InvocationSlot {
                    gen: 0,
                    call: NO_SPAN,
                    backoff: NO_SPAN,
                    attempts: Vec::new(),
                },
            );
        }
        let v = &mut self.invocations[slot];
        v.gen = gen;
        v.call = call;
        v.backoff = NO_SPAN;
        v.attempts.clear();
    }

    /// Attempt `n` of invocation `id` starts passing its layers (`hedge`: a hedge, else a
    /// retry if `n > 1`); a backoff before it is over.
    pub(crate) fn attempt_started(
        &mut self,
        id: InvocationId,
        gen: u32,
        n: u32,
        hedge: bool,
        now: SimTime,
    ) {
        let Some(v) = self.invocation_slot(id, gen) else {
            return;
        };
        let (call, backoff) = (v.call, v.backoff);
        v.backoff = NO_SPAN;
        self.close(backoff, SpanEnd::Done, now);
        let (edge, service) = {
            let c = &self.spans[call as usize];
            (c.edge, c.service)
        };
        let span = self.open(call, SpanKind::Attempt { n, hedge }, edge, service, now);
        let attempts = &mut self.invocations[id.index() as usize].attempts;
        if attempts.len() < n as usize {
            attempts.resize(n as usize, NO_SPAN);
        }
        attempts[n as usize - 1] = span;
    }

    /// Attempt `n` of invocation `id` ended with `outcome` (an answer, its timeout, a layer's
    /// refusal).
    pub(crate) fn attempt_ended(
        &mut self,
        id: InvocationId,
        gen: u32,
        n: u32,
        outcome: Outcome,
        now: SimTime,
    ) {
        let Some(span) = self
            .invocation_slot(id, gen)
            .and_then(|v| v.attempts.get(n as usize - 1).copied())
        else {
            return;
        };
        self.close_chain(span, SpanEnd::Outcome(outcome), now);
    }

    /// Invocation `id` stops waiting for the attempts in `attempts` (bit `n − 1`: attempt `n`).
    pub(crate) fn attempts_abandoned(
        &mut self,
        id: InvocationId,
        gen: u32,
        mut attempts: u8,
        now: SimTime,
    ) {
        let Some(v) = self.invocation_slot(id, gen) else {
            return;
        };
        let spans = std::mem::take(&mut v.attempts);
        while attempts != 0 {
            let k = attempts.trailing_zeros() as usize;
            attempts &= attempts - 1;
            if let Some(&span) = spans.get(k) {
                self.close_chain(span, SpanEnd::Abandoned, now);
            }
        }
        self.invocations[id.index() as usize].attempts = spans;
    }

    /// Invocation `id` backs off before its next attempt.
    pub(crate) fn backoff_started(&mut self, id: InvocationId, gen: u32, now: SimTime) {
        let Some(v) = self.invocation_slot(id, gen) else {
            return;
        };
        let call = v.call;
        let (edge, service) = {
            let c = &self.spans[call as usize];
            (c.edge, c.service)
        };
        let span = self.open(call, SpanKind::Backoff, edge, service, now);
        self.invocations[id.index() as usize].backoff = span;
    }

    /// Invocation `id` ends: its call answers `answer` (`outcome` before a fallback).
    pub(crate) fn invocation_ended(
        &mut self,
        id: InvocationId,
        gen: u32,
        outcome: Outcome,
        answer: Outcome,
        now: SimTime,
    ) {
        let Some(v) = self.invocation_slot(id, gen) else {
            return;
        };
        let (call, backoff) = (v.call, v.backoff);
        let attempts = std::mem::take(&mut v.attempts);
        v.call = NO_SPAN;
        self.close(backoff, SpanEnd::Done, now);
        for &a in &attempts {
            self.close_chain(a, SpanEnd::Abandoned, now);
        }
        self.invocations[id.index() as usize].attempts = attempts;
        if let Some(s) = self.spans.get_mut(call as usize) {
            if s.is_open() && answer != outcome {
                s.before_fallback = Some(outcome);
            }
        }
        self.close(call, SpanEnd::Outcome(answer), now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TraceConfig;

    #[test]
    fn the_cap_stops_new_traces_but_counts_them() {
        let mut t = Tracer::new(
            TraceConfig {
                sample: 1.0,
                max_requests: 2,
                max_spans: 100,
            },
            1,
        );
        for seq in 1..=5 {
            t.request_sent(seq, RequestIndex::new(seq as u32), 0, 0, 0, SimTime(seq));
        }
        assert_eq!(t.roots.len(), 2);
        assert_eq!(t.over_cap, 3);
        assert_eq!(t.capped_at, Some(SimTime(3)));
    }

    #[test]
    fn a_route_chain_ends_with_the_answer_and_open_spans_end_in_flight() {
        let mut t = Tracer::new(TraceConfig::sampling(1.0), 1);
        let req = Caller::Request {
            id: RequestIndex::new(0),
            gen: 0,
        };
        t.request_sent(1, RequestIndex::new(0), 0, 0, 0, SimTime(0));
        t.call_started(req, 0, 0, SimTime(0));
        let call = CallId::new(5);
        t.message_sent(call, 3, req);
        t.serve_started(call, 3, 0, 0, 0, SimTime(1));
        t.forwarded(call, 3, req, 1, 1, SimTime(2));
        t.serve_started(call, 3, 1, 1, 0, SimTime(3));
        t.request_ended(RequestIndex::new(0), 0, Outcome::Timeout, SimTime(4));
        t.finish(SimTime(10));
        let s = &t.spans;
        assert_eq!(s.len(), 5);
        assert_eq!(s[0].kind, SpanKind::Request { seq: 1 });
        assert_eq!(
            s[1].outcome,
            SpanEnd::Outcome(Outcome::Timeout),
            "first call"
        );
        assert_eq!(
            s[2].outcome,
            SpanEnd::Outcome(Outcome::Completed),
            "first serve"
        );
        assert_eq!(
            (s[3].parent, s[3].outcome),
            (1, SpanEnd::Outcome(Outcome::Timeout))
        );
        assert_eq!((s[4].parent, s[4].end), (3, SimTime(10)), "late serve");
        assert_eq!(s[4].outcome, SpanEnd::InFlight);
    }
}
