//! What the world tells its observer of who calls whom (the hooks a request trace draws):
//! one small method per hook.
//!
//! The request's path calls these as `if O::WATCHING { self.tell_…(id, now) }`, with the few
//! scalars it has at hand; everything else a hook needs (generations, callers, edges) is
//! looked up here. For `World<()>` the branch is compiled away. Every method is `#[cold]` and
//! `#[inline(never)]`, so that the hot functions stay small enough to be inlined as they are
//! unwatched (a hook whose arguments were computed in place kept `call` and `start_queued` from
//! being inlined: 2% more instructions on a tandem queue).

use super::World;
use crate::call::{Caller, Outcome, Outgoing};
use crate::ids::{CallId, EdgeId, InvocationId, ServiceId};
use crate::observer::{CallRef, CallerRef, InstanceRef, InvocationRef, Observer, RequestId};
use crate::statistics::StatisticsSlot;
use sim_core::SimTime;

/// `caller` as observers name it.
fn caller_ref(caller: Caller) -> CallerRef {
    match caller {
        Caller::Request { id, gen } => CallerRef::Request(RequestId::of(id, gen)),
        Caller::Call { id, gen, slot, .. } => CallerRef::Call {
            call: CallRef::of(id, gen),
            slot,
        },
        Caller::Attempt { id, gen, attempt } => CallerRef::Attempt {
            invocation: InvocationRef::of(id, gen),
            attempt,
        },
        Caller::Nobody => CallerRef::Published,
        Caller::Refresh { .. } | Caller::Saga { .. } => CallerRef::Background,
    }
}

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    fn call_ref(&self, id: CallId) -> CallRef {
        CallRef::of(id, self.calls.gen(id))
    }

    #[cold]
    #[inline(never)]
    pub(super) fn tell_call_made(&mut self, out: &Outgoing, now: SimTime) {
        let caller = caller_ref(out.caller);
        self.observer.call_made(now, caller, out.edge, out.service);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn tell_call_created(&mut self, id: CallId, gen: u32, now: SimTime) {
        let c = *self.calls.at(id);
        let at = InstanceRef {
            service: c.service,
            instance: c.instance,
        };
        let call = CallRef::of(id, gen);
        self.observer
            .call_created(now, call, caller_ref(c.caller), c.edge, at);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn tell_message_duplicated(
        &mut self,
        id: CallId,
        gen: u32,
        dup: CallId,
        dup_gen: u32,
        now: SimTime,
    ) {
        let call = CallRef::of(id, gen);
        let copy = CallRef::of(dup, dup_gen);
        self.observer.message_duplicated(now, call, copy);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn tell_call_dropped(&mut self, id: CallId, now: SimTime) {
        let call = self.call_ref(id);
        self.observer.call_dropped(now, call);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn tell_worker_taken(&mut self, id: CallId, now: SimTime) {
        let c = *self.calls.at(id);
        let (call, at) = self.observed(id, c.service, c.instance);
        self.observer.worker_taken(now, call, at);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn tell_forwarded(
        &mut self,
        id: CallId,
        edge: EdgeId,
        next: ServiceId,
        now: SimTime,
    ) {
        let caller = caller_ref(self.calls.at(id).caller);
        let call = self.call_ref(id);
        self.observer.call_forwarded(now, call, caller, edge, next);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn tell_publishing(&mut self, id: CallId, now: SimTime) {
        let call = self.call_ref(id);
        self.observer.publishing(now, call);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn tell_child_answered(
        &mut self,
        id: CallId,
        gen: u32,
        slot: u8,
        outcome: Outcome,
        now: SimTime,
    ) {
        let call = CallRef::of(id, gen);
        self.observer.child_answered(now, call, slot, outcome);
    }

    /// Call `id` is about to abandon the children of its wait still outstanding.
    #[cold]
    #[inline(never)]
    pub(super) fn tell_children_abandoned(&mut self, id: CallId, now: SimTime) {
        let left = self.calls.at(id).wait.outstanding;
        let call = self.call_ref(id);
        self.observer.children_abandoned(now, call, left);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn tell_invocation_started(&mut self, id: InvocationId, gen: u32, now: SimTime) {
        let caller = caller_ref(self.invocations.at(id).caller);
        self.observer
            .invocation_started(now, InvocationRef::of(id, gen), caller);
    }

    /// Invocation `id` has just begun its next attempt.
    #[cold]
    #[inline(never)]
    pub(super) fn tell_attempt_started(&mut self, id: InvocationId, gen: u32, now: SimTime) {
        let v = *self.invocations.at(id);
        let hedging = self.stacks[v.stack as usize].hedging;
        self.observer
            .attempt_started(now, InvocationRef::of(id, gen), v.attempts, hedging);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn tell_attempt_ended(
        &mut self,
        id: InvocationId,
        gen: u32,
        attempt: u32,
        outcome: Outcome,
        now: SimTime,
    ) {
        self.observer
            .attempt_ended(now, InvocationRef::of(id, gen), attempt, outcome);
    }

    /// Invocation `id` is about to abandon its hedged attempts still out.
    #[cold]
    #[inline(never)]
    pub(super) fn tell_attempts_abandoned(&mut self, id: InvocationId, now: SimTime) {
        let out = self.invocations.at(id).hedges;
        let gen = self.invocations.gen(id);
        self.observer
            .attempts_abandoned(now, InvocationRef::of(id, gen), out);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn tell_backoff_started(&mut self, id: InvocationId, gen: u32, now: SimTime) {
        self.observer
            .backoff_started(now, InvocationRef::of(id, gen));
    }

    /// Invocation `id` ends: `outcome`, answered as `answer` (a fallback's).
    #[cold]
    #[inline(never)]
    pub(super) fn tell_invocation_ended(
        &mut self,
        id: InvocationId,
        outcome: Outcome,
        answer: Outcome,
        now: SimTime,
    ) {
        let gen = self.invocations.gen(id);
        self.observer
            .invocation_ended(now, InvocationRef::of(id, gen), outcome, answer);
    }
}
