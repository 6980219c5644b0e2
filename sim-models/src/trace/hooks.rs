//! The tracer as an [`Observer`]: each hook the world tells it on a sampled request's path
//! opens or closes spans through the tracer's side tables; the rest it ignores.

use super::span::{SpanEnd, SpanKind, NO_SPAN};
use super::tracer::{slot, CallSlot, InvocationSlot, RequestSlot, Tracer};
use crate::ids::{ClientId, EdgeId, ServiceId};
use crate::observer::{
    CallRef, CallerRef, InstanceRef, InvocationRef, Observer, RequestId, StoreOperation,
};
use crate::outcome::Outcome;
use sim_core::{SimDuration, SimTime};

impl Tracer {
    /// Points call `call`'s slot at `up`, the span waiting for it, as it leaves along `edge`.
    fn set_message(&mut self, call: CallRef, up: u32, edge: EdgeId, publish: bool) {
        let empty = CallSlot {
            gen: 0,
            up: NO_SPAN,
            serve: NO_SPAN,
            children: Vec::new(),
            edge: EdgeId::new(0),
            publish: false,
        };
        let c = slot(&mut self.calls, call.index as usize, empty);
        c.gen = call.gen;
        c.up = up;
        c.serve = NO_SPAN;
        c.edge = edge;
        c.publish = publish;
        c.children.clear();
    }
}

/// A request is traced if its number is sampled and no cap is reached; every other hook
/// follows the spans the sampled requests opened.
impl Observer for Tracer {
    fn request_sent(
        &mut self,
        now: SimTime,
        request: RequestId,
        _client: ClientId,
        edge: EdgeId,
        service: ServiceId,
    ) {
        self.sent += 1;
        let seq = self.sent;
        let empty = RequestSlot {
            gen: 0,
            root: NO_SPAN,
            call: NO_SPAN,
        };
        slot(&mut self.requests, request.index as usize, empty).root = NO_SPAN;
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
        self.requests[request.index as usize] = RequestSlot {
            gen: request.gen,
            root,
            call: NO_SPAN,
        };
    }

    fn request_ended(
        &mut self,
        now: SimTime,
        request: RequestId,
        _client: ClientId,
        outcome: Outcome,
        _latency: SimDuration,
    ) {
        let Some(&r) = self.request_slot(request) else {
            return;
        };
        self.close_chain(r.call, SpanEnd::Outcome(outcome), now);
        self.close(r.root, SpanEnd::Outcome(outcome), now);
        self.requests[request.index as usize].root = NO_SPAN;
    }

    fn call_made(&mut self, now: SimTime, caller: CallerRef, edge: EdgeId, service: ServiceId) {
        let parent = match caller {
            CallerRef::Request(r) => self.request_slot(r).map_or(NO_SPAN, |s| s.root),
            CallerRef::Call { call, .. } => self.call_slot(call).map_or(NO_SPAN, |c| c.serve),
            CallerRef::Attempt { .. } => NO_SPAN, // attempts are sent, not called
            CallerRef::Published => self.publisher,
            // A cache's background fetch and a saga's calls are not traced.
            CallerRef::Background => NO_SPAN,
        };
        if parent == NO_SPAN {
            return;
        }
        let span = self.open(parent, SpanKind::Call, edge, service, now);
        match caller {
            CallerRef::Request(r) => self.requests[r.index as usize].call = span,
            CallerRef::Call { call, slot: k } => {
                let children = &mut self.calls[call.index as usize].children;
                *slot(children, k as usize, NO_SPAN) = span;
            }
            CallerRef::Published => self.publisher = span,
            CallerRef::Attempt { .. } | CallerRef::Background => unreachable!(),
        }
    }

    fn publishing(&mut self, _now: SimTime, call: CallRef) {
        self.publisher = self.call_slot(call).map_or(NO_SPAN, |c| c.serve);
    }

    fn call_created(
        &mut self,
        _now: SimTime,
        call: CallRef,
        caller: CallerRef,
        edge: EdgeId,
        _at: InstanceRef,
    ) {
        let up = self.caller_span(caller);
        if up == NO_SPAN {
            return;
        }
        self.set_message(call, up, edge, caller == CallerRef::Published);
    }

    fn message_duplicated(&mut self, _now: SimTime, call: CallRef, copy: CallRef) {
        if let Some(c) = self.call_slot(call) {
            let (up, edge, publish) = (c.up, c.edge, c.publish);
            self.set_message(copy, up, edge, publish);
        }
    }

    fn call_dropped(&mut self, now: SimTime, call: CallRef) {
        let Some(c) = self.call_slot(call) else {
            return;
        };
        let (up, serve, publish) = (c.up, c.serve, c.publish);
        c.up = NO_SPAN;
        self.close(serve, SpanEnd::Lost, now);
        if publish {
            self.close_chain(up, SpanEnd::Lost, now);
        }
    }

    fn message_delivered(&mut self, now: SimTime, call: CallRef, at: InstanceRef) {
        let Some(c) = self.call_slot(call) else {
            return;
        };
        let (up, edge) = (c.up, c.edge);
        let span = self.open(up, SpanKind::Serve, edge, at.service, now);
        self.spans[span as usize].instance = at.instance.index() as u32;
        let c = &mut self.calls[call.index as usize];
        c.serve = span;
        c.children.clear();
    }

    fn worker_taken(&mut self, now: SimTime, call: CallRef, _at: InstanceRef) {
        let Some(serve) = self.call_slot(call).map(|c| c.serve) else {
            return;
        };
        if let Some(s) = self.spans.get_mut(serve as usize) {
            if s.worker_at == SimTime::MAX {
                s.worker_at = now;
            }
        }
    }

    fn call_finished(&mut self, now: SimTime, call: CallRef, _at: InstanceRef, outcome: Outcome) {
        let Some(c) = self.call_slot(call) else {
            return;
        };
        let (up, serve, publish) = (c.up, c.serve, c.publish);
        self.close(serve, SpanEnd::Outcome(outcome), now);
        if publish {
            // Nobody waits: the publish's call ends with it.
            self.close_chain(up, SpanEnd::Outcome(outcome), now);
        }
    }

    fn call_forwarded(
        &mut self,
        now: SimTime,
        call: CallRef,
        caller: CallerRef,
        edge: EdgeId,
        service: ServiceId,
    ) {
        let Some(c) = self.call_slot(call) else {
            return;
        };
        let (up, serve) = (c.up, c.serve);
        self.close(serve, SpanEnd::Outcome(Outcome::Completed), now);
        let span = self.open(up, SpanKind::Call, edge, service, now);
        self.spans[span as usize].routed = true;
        let c = &mut self.calls[call.index as usize];
        c.up = span;
        c.serve = NO_SPAN;
        c.edge = edge;
        self.set_caller_span(caller, span);
    }

    fn child_answered(&mut self, now: SimTime, call: CallRef, slot: u8, outcome: Outcome) {
        let Some(span) = self
            .call_slot(call)
            .and_then(|c| c.children.get(slot as usize).copied())
        else {
            return;
        };
        self.close_chain(span, SpanEnd::Outcome(outcome), now);
    }

    fn children_abandoned(&mut self, now: SimTime, call: CallRef, mut slots: u64) {
        let Some(c) = self.call_slot(call) else {
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
        self.calls[call.index as usize].children = children;
    }

    fn invocation_started(&mut self, _now: SimTime, invocation: InvocationRef, caller: CallerRef) {
        let call = self.caller_span(caller);
        let empty = InvocationSlot {
            gen: 0,
            call: NO_SPAN,
            backoff: NO_SPAN,
            attempts: Vec::new(),
        };
        let v = slot(&mut self.invocations, invocation.index as usize, empty);
        v.gen = invocation.gen;
        v.call = call;
        v.backoff = NO_SPAN;
        v.attempts.clear();
    }

    fn attempt_started(&mut self, now: SimTime, invocation: InvocationRef, n: u32, hedge: bool) {
        let Some(v) = self.invocation_slot(invocation) else {
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
        let attempts = &mut self.invocations[invocation.index as usize].attempts;
        *slot(attempts, n as usize - 1, NO_SPAN) = span;
    }

    fn attempt_ended(&mut self, now: SimTime, invocation: InvocationRef, n: u32, outcome: Outcome) {
        let Some(span) = self
            .invocation_slot(invocation)
            .and_then(|v| v.attempts.get(n as usize - 1).copied())
        else {
            return;
        };
        self.close_chain(span, SpanEnd::Outcome(outcome), now);
    }

    fn attempts_abandoned(&mut self, now: SimTime, invocation: InvocationRef, mut attempts: u8) {
        let Some(v) = self.invocation_slot(invocation) else {
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
        self.invocations[invocation.index as usize].attempts = spans;
    }

    fn backoff_started(&mut self, now: SimTime, invocation: InvocationRef) {
        let Some(v) = self.invocation_slot(invocation) else {
            return;
        };
        let call = v.call;
        let (edge, service) = {
            let c = &self.spans[call as usize];
            (c.edge, c.service)
        };
        let span = self.open(call, SpanKind::Backoff, edge, service, now);
        self.invocations[invocation.index as usize].backoff = span;
    }

    fn invocation_ended(
        &mut self,
        now: SimTime,
        invocation: InvocationRef,
        outcome: Outcome,
        answer: Outcome,
    ) {
        let Some(v) = self.invocation_slot(invocation) else {
            return;
        };
        let (call, backoff) = (v.call, v.backoff);
        let attempts = std::mem::take(&mut v.attempts);
        v.call = NO_SPAN;
        self.close(backoff, SpanEnd::Done, now);
        for &a in &attempts {
            self.close_chain(a, SpanEnd::Abandoned, now);
        }
        self.invocations[invocation.index as usize].attempts = attempts;
        if let Some(s) = self.spans.get_mut(call as usize) {
            if s.is_open() && answer != outcome {
                s.before_fallback = Some(outcome);
            }
        }
        self.close(call, SpanEnd::Outcome(answer), now);
    }

    fn store_invoked(&mut self, now: SimTime, call: CallRef, op: StoreOperation) {
        let Some(serve) = self.call_slot(call).map(|c| c.serve) else {
            return;
        };
        if serve == NO_SPAN {
            return;
        }
        let (edge, service) = {
            let s = &self.spans[serve as usize];
            (s.edge, s.service)
        };
        let kind = SpanKind::Store {
            store: op.store,
            key: op.key,
            call: op.call,
            read: None,
        };
        let span = self.open(serve, kind, edge, service, now);
        let open = slot(&mut self.store_ops, op.store as usize, Vec::new());
        *slot(open, op.process as usize, NO_SPAN) = span;
    }

    fn store_completed(
        &mut self,
        now: SimTime,
        _call: CallRef,
        op: StoreOperation,
        result: sim_history::Completion,
    ) {
        let Some(span) = self
            .store_ops
            .get_mut(op.store as usize)
            .and_then(|open| open.get_mut(op.process as usize))
        else {
            return;
        };
        let span = std::mem::replace(span, NO_SPAN);
        if let (Some(s), sim_history::Completion::Ok(v)) =
            (self.spans.get_mut(span as usize), result)
        {
            if let SpanKind::Store { read, .. } = &mut s.kind {
                *read = v;
            }
        }
        // As the step reads it: refused fails the request `dependency`, unanswered `timeout`.
        let outcome = match result {
            sim_history::Completion::Ok(_) => Outcome::Completed,
            sim_history::Completion::Fail => Outcome::Dependency,
            sim_history::Completion::Info => Outcome::Timeout,
        };
        self.close(span, SpanEnd::Outcome(outcome), now);
    }

    fn run_ended(&mut self, now: SimTime) {
        self.finish(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TraceConfig;

    fn request(index: u32) -> RequestId {
        RequestId { index, gen: 0 }
    }

    fn client(index: usize) -> ClientId {
        ClientId::new(index)
    }

    fn edge(index: usize) -> EdgeId {
        EdgeId::new(index)
    }

    fn service(index: usize) -> ServiceId {
        ServiceId::new(index)
    }

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
            t.request_sent(
                SimTime(seq),
                request(seq as u32),
                client(0),
                edge(0),
                service(0),
            );
        }
        assert_eq!(t.roots.len(), 2);
        assert_eq!(t.over_cap, 3);
        assert_eq!(t.capped_at, Some(SimTime(3)));
    }

    #[test]
    fn a_route_chain_ends_with_the_answer_and_open_spans_end_in_flight() {
        let mut t = Tracer::new(TraceConfig::sampling(1.0), 1);
        let req = CallerRef::Request(request(0));
        let at = |s| InstanceRef {
            service: service(s),
            instance: crate::InstanceId::new(0),
        };
        t.request_sent(SimTime(0), request(0), client(0), edge(0), service(0));
        t.call_made(SimTime(0), req, edge(0), service(0));
        let call = CallRef { index: 5, gen: 3 };
        t.call_created(SimTime(0), call, req, edge(0), at(0));
        t.message_delivered(SimTime(1), call, at(0));
        t.call_forwarded(SimTime(2), call, req, edge(1), service(1));
        t.message_delivered(SimTime(3), call, at(1));
        let latency = SimDuration::from_nanos(4);
        t.request_ended(SimTime(4), request(0), client(0), Outcome::Timeout, latency);
        t.run_ended(SimTime(10));
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
        assert_eq!(
            (s[4].edge, s[4].service),
            (edge(1), service(1)),
            "served where routed"
        );
        assert_eq!(s[4].outcome, SpanEnd::InFlight);
    }
}
