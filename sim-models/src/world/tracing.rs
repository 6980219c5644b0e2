//! The world's side of request traces (`crate::trace`): one small method per hook.
//!
//! The request's path calls these as `if self.trace.is_some() { self.trace_…(id, now) }`, with
//! the few scalars it has at hand. Everything else a span needs (generations, callers, edges) is
//! looked up here, and every method is `#[cold]` and `#[inline(never)]`: an untraced run pays
//! one predictable branch per hook, and the hot functions stay small enough to be inlined as
//! they were before tracing existed (a hook whose arguments were computed in place kept `call`
//! and `start_queued` from being inlined: 2% more instructions on a tandem queue).

use super::World;
use crate::call::{Caller, Outcome, Outgoing};
use crate::ids::CallId;
use crate::ids::{InvocationId, RequestIndex};
use crate::trace::Tracer;
use sim_core::SimTime;

impl<O: crate::observer::Observer> World<O> {
    #[inline]
    fn tracer(&mut self) -> &mut Tracer {
        self.trace.as_deref_mut().expect("called only when tracing")
    }

    /// Request `id` (`gen`) was just sent: `totals.sent` is its number.
    #[cold]
    #[inline(never)]
    pub(super) fn trace_request_sent(&mut self, id: RequestIndex, gen: u32, now: SimTime) {
        let edge = self.requests.at(id).edge;
        let (seq, to) = (self.totals.sent, self.edges[edge as usize].to);
        self.tracer().request_sent(seq, id, gen, edge, to, now);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_call(&mut self, out: &Outgoing, now: SimTime) {
        let (caller, edge, service) = (out.caller, out.edge, out.service);
        self.tracer().call_started(caller, edge, service, now);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_message_sent(&mut self, id: CallId, gen: u32) {
        let caller = self.calls.at(id).caller;
        self.tracer().message_sent(id, gen, caller);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_message_duplicated(
        &mut self,
        id: CallId,
        gen: u32,
        dup: CallId,
        dup_gen: u32,
    ) {
        self.tracer().message_duplicated(id, gen, dup, dup_gen);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_message_dropped(&mut self, id: CallId, now: SimTime) {
        let publish = self.calls.at(id).caller == Caller::Nobody;
        let gen = self.calls.gen(id);
        self.tracer().message_dropped(id, gen, publish, now);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_serve_started(&mut self, id: CallId, now: SimTime) {
        let c = *self.calls.at(id);
        let gen = self.calls.gen(id);
        self.tracer()
            .serve_started(id, gen, c.edge, c.service, c.instance, now);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_worker_taken(&mut self, id: CallId, now: SimTime) {
        let gen = self.calls.gen(id);
        self.tracer().worker_taken(id, gen, now);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_serve_ended(&mut self, id: CallId, outcome: Outcome, now: SimTime) {
        let publish = self.calls.at(id).caller == Caller::Nobody;
        let gen = self.calls.gen(id);
        self.tracer().serve_ended(id, gen, outcome, publish, now);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_forwarded(&mut self, id: CallId, edge: u32, next: u32, now: SimTime) {
        let caller = self.calls.at(id).caller;
        let gen = self.calls.gen(id);
        self.tracer().forwarded(id, gen, caller, edge, next, now);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_publishing(&mut self, id: CallId) {
        let gen = self.calls.gen(id);
        self.tracer().publishing(id, gen);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_published(&mut self) {
        self.tracer().published();
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_child_answered(
        &mut self,
        id: CallId,
        gen: u32,
        slot: u8,
        outcome: Outcome,
        now: SimTime,
    ) {
        self.tracer().child_answered(id, gen, slot, outcome, now);
    }

    /// Call `id` is about to abandon the children of its wait still outstanding.
    #[cold]
    #[inline(never)]
    pub(super) fn trace_children_abandoned(&mut self, id: CallId, now: SimTime) {
        let left = self.calls.at(id).wait.outstanding;
        let gen = self.calls.gen(id);
        self.tracer().children_abandoned(id, gen, left, now);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_request_ended(&mut self, id: RequestIndex, outcome: Outcome, now: SimTime) {
        let gen = self.requests.gen(id);
        self.tracer().request_ended(id, gen, outcome, now);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_invocation_started(&mut self, id: InvocationId, gen: u32) {
        let caller = self.invocations.at(id).caller;
        self.tracer().invocation_started(id, gen, caller);
    }

    /// Invocation `id` has just begun its next attempt.
    #[cold]
    #[inline(never)]
    pub(super) fn trace_attempt_started(&mut self, id: InvocationId, gen: u32, now: SimTime) {
        let v = *self.invocations.at(id);
        let hedging = self.stacks[v.stack as usize].hedging;
        self.tracer()
            .attempt_started(id, gen, v.attempts, hedging, now);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_attempt_ended(
        &mut self,
        id: InvocationId,
        gen: u32,
        attempt: u32,
        outcome: Outcome,
        now: SimTime,
    ) {
        self.tracer().attempt_ended(id, gen, attempt, outcome, now);
    }

    /// Invocation `id` is about to abandon its hedged attempts still out.
    #[cold]
    #[inline(never)]
    pub(super) fn trace_attempts_abandoned(&mut self, id: InvocationId, now: SimTime) {
        let out = self.invocations.at(id).hedges;
        let gen = self.invocations.gen(id);
        self.tracer().attempts_abandoned(id, gen, out, now);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn trace_backoff_started(&mut self, id: InvocationId, gen: u32, now: SimTime) {
        self.tracer().backoff_started(id, gen, now);
    }

    /// Invocation `id` ends: `outcome`, answered as `answer` (a fallback's).
    #[cold]
    #[inline(never)]
    pub(super) fn trace_invocation_ended(
        &mut self,
        id: InvocationId,
        outcome: Outcome,
        answer: Outcome,
        now: SimTime,
    ) {
        let gen = self.invocations.gen(id);
        self.tracer()
            .invocation_ended(id, gen, outcome, answer, now);
    }
}
