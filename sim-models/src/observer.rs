//! Watching a run: an [`Observer`] is told, as it happens, each thing a request goes through —
//! sent, carried by the network, queued, served, retried, refused, answered — and each fault and
//! change of an instance's state.
//!
//! `World<O>` calls its observer's hooks directly (static dispatch: `World<()>`, the default,
//! compiles the observer's calls away). Observers compose as tuples: `(Recorder, Animator)`
//! tells both. An observer only watches: it cannot change the run, so attaching one never
//! changes a result. The world's own [`Statistics`](crate::Statistics) are fed by the same
//! hooks, in a slot of their own.

use crate::ids::{
    CallId, ClientId, EdgeId, FaultId, InstanceId, InvocationId, RequestIndex, ServiceId,
};
use crate::outcome::{Outcome, ShedReason};
use sim_core::{SimDuration, SimTime};

/// A client's request, unique over a run: its slot and that slot's generation.
///
/// The slot is the index of the world's own key, [`RequestIndex`], as a
/// bare `u32`: observers outside the crate read and store it as a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId {
    /// Its slot among the requests in flight.
    pub index: u32,
    /// How many requests had used the slot before it.
    pub gen: u32,
}

/// One call (a service's handling of one message), unique over a run like [`RequestId`]; its
/// slot is the index of a [`CallId`], as a bare `u32` for the same reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallRef {
    /// Its slot among the calls in flight.
    pub index: u32,
    /// How many calls had used the slot before it.
    pub gen: u32,
}

/// A call through a caller's policy stack — its attempts, backoffs, hedges and fallback —
/// unique over a run like [`RequestId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InvocationRef {
    /// Its slot among the invocations in flight.
    pub index: u32,
    /// How many invocations had used the slot before it.
    pub gen: u32,
}

/// Who waits for a call's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallerRef {
    /// A client's request.
    Request(RequestId),
    /// A call, waiting for child `slot` of its current wait (a call step's calls, a fan-out).
    Call {
        /// The waiting call.
        call: CallRef,
        /// Which of the wait's calls this is.
        slot: u8,
    },
    /// Attempt `attempt` (1 for the first) of an invocation.
    Attempt {
        /// The invocation.
        invocation: InvocationRef,
        /// Which attempt.
        attempt: u32,
    },
    /// Nobody: a published message (made while [`Observer::publishing`] says who publishes).
    Published,
    /// A cache's background fetch, or a saga's action or compensation: no request waits.
    Background,
}

impl RequestId {
    /// Request `id` of generation `gen`, as observers name it.
    #[inline]
    pub(crate) fn of(id: RequestIndex, gen: u32) -> RequestId {
        RequestId {
            index: id.index(),
            gen,
        }
    }
}

impl CallRef {
    /// Call `id` of generation `gen`, as observers name it.
    #[inline]
    pub(crate) fn of(id: CallId, gen: u32) -> CallRef {
        CallRef {
            index: id.index(),
            gen,
        }
    }
}

impl InvocationRef {
    /// Invocation `id` of generation `gen`, as observers name it.
    #[inline]
    pub(crate) fn of(id: InvocationId, gen: u32) -> InvocationRef {
        InvocationRef {
            index: id.index(),
            gen,
        }
    }
}

/// An instance of a service: the service and the instance's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceRef {
    /// The service.
    pub service: ServiceId,
    /// The instance, among the service's.
    pub instance: InstanceId,
}

/// A message between a caller and an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    /// The call it carries.
    pub call: CallRef,
    /// The instance serving the call.
    pub at: InstanceRef,
    /// The edge the call travels along.
    pub edge: EdgeId,
    /// Whether it goes to the instance (`true`: the request) or back to the caller (the answer).
    pub request: bool,
    /// How long it travels, or `None` if the network loses it.
    pub travel: Option<SimDuration>,
}

/// An operation a service's `Store` step runs on a store, as the store's history records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOperation {
    /// The store, by index among the scenario's stores in name order (as
    /// [`RunResult::stores`](crate::RunResult::stores)).
    pub store: u32,
    /// The store's process that runs it: one operation open at a time, as Jepsen's checkers
    /// require.
    pub process: u32,
    /// The key.
    pub key: u32,
    /// What it asks, with the values the store chose (a write's fresh value).
    pub call: sim_history::Call,
}

/// What happens in a run, hook by hook. Every hook does nothing unless implemented.
#[allow(unused_variables)]
pub trait Observer {
    /// Whether it watches at all: `false` only for `()`, so that the world skips even the
    /// look-ups that would feed its hooks. The statistics' slot is told its hooks whatever the
    /// observer's `WATCHING`, with what the world has at hand: in an unwatched run
    /// `request_ended`'s [`RequestId`] carries generation 0.
    const WATCHING: bool = true;

    /// Client `client` sent a request along `edge` to `service`.
    #[inline]
    fn request_sent(
        &mut self,
        now: SimTime,
        request: RequestId,
        client: ClientId,
        edge: EdgeId,
        service: ServiceId,
    ) {
    }

    /// A request ended: answered (`Completed`, `Fallback`) or failed with `outcome`, `latency`
    /// after it was sent. Each request sent ends exactly once, unless in flight at the end.
    #[inline]
    fn request_ended(
        &mut self,
        now: SimTime,
        request: RequestId,
        client: ClientId,
        outcome: Outcome,
        latency: SimDuration,
    ) {
    }

    /// A message left for its destination (`travel` says when it arrives, if it does). On an
    /// ideal network requests travel no time and answers are not sent as messages at all.
    #[inline]
    fn message_sent(&mut self, now: SimTime, message: Message) {}

    /// A call's request reached its instance.
    #[inline]
    fn message_delivered(&mut self, now: SimTime, call: CallRef, at: InstanceRef) {}

    /// A call waits in its instance's queue for a worker.
    #[inline]
    fn call_queued(&mut self, now: SimTime, call: CallRef, at: InstanceRef) {}

    /// A call begins to be served: admitted and, for a thread-per-request service, given a
    /// worker. Told again (after [`worker_taken`](Self::worker_taken)) when a call that waited
    /// for a worker, at admission or at a step of local work, gets one.
    #[inline]
    fn call_started(&mut self, now: SimTime, call: CallRef, at: InstanceRef) {}

    /// A call's instance answers it with `outcome` (also when it refuses it at admission, or
    /// crashes while holding it).
    #[inline]
    fn call_finished(&mut self, now: SimTime, call: CallRef, at: InstanceRef, outcome: Outcome) {}

    /// A caller sends attempt `attempt` (2 or more: a retry or a hedge) of a call on `edge`.
    #[inline]
    fn retried(&mut self, now: SimTime, edge: EdgeId, attempt: u32) {}

    /// A layer of a caller's policy stack on edge `edge` refused a call itself, for `reason`
    /// (`CircuitOpen`, `BulkheadFull`, `RateLimited`, `Throttled`, `LimitExceeded`).
    #[inline]
    fn refused(&mut self, now: SimTime, edge: EdgeId, reason: Outcome) {}

    /// A retry budget on edge `edge` denied a retry (the call ends with its last attempt's
    /// outcome) or a hedge (the attempts already out go on).
    #[inline]
    fn retry_denied(&mut self, now: SimTime, edge: EdgeId) {}

    /// A call along edge `edge` ended as its caller saw it: answered, failed, timed out or
    /// refused by the caller's own policies. With policies on the edge this is the whole call,
    /// after its retries; without, its one attempt. Abandoned calls and lost publishes do not
    /// end this way.
    #[inline]
    fn edge_resolved(&mut self, now: SimTime, edge: EdgeId, outcome: Outcome) {}

    /// A call (one request the caller's logic asked for, with its retries if it goes through
    /// policies) starts along `edge`: a client's request, a call step's call, a publish, a
    /// route's forward or a saga's call.
    #[inline]
    fn edge_requested(&mut self, now: SimTime, edge: EdgeId) {}

    /// An attempt leaves along `edge`: a bare call's one attempt, or each attempt (first,
    /// retry or hedge) a policy stack lets through.
    #[inline]
    fn edge_attempted(&mut self, now: SimTime, edge: EdgeId) {}

    /// A caller stopped waiting for a call along `edge` with no answer and no timeout of its
    /// own: its fan-out had what it needed, a sibling failed, or the caller crashed.
    #[inline]
    fn edge_abandoned(&mut self, now: SimTime, edge: EdgeId) {}

    /// An answer from `service` along `edge` arrived that no caller takes any more (the caller
    /// gave up, timed out, crashed, or the request was duplicated): `outcome` is what it said
    /// (`Completed`: work nobody used).
    #[inline]
    fn answer_late(&mut self, now: SimTime, edge: EdgeId, service: ServiceId, outcome: Outcome) {}

    /// A call to `service` ended with `outcome` as its caller saw it: each attempt through
    /// policies, the one call without; a route's forward counts as a completed call to the
    /// service it leaves.
    #[inline]
    fn service_answered(&mut self, now: SimTime, service: ServiceId, outcome: Outcome) {}

    /// A published message along `edge` was lost or swallowed before anyone handled it.
    #[inline]
    fn publish_lost(&mut self, now: SimTime, edge: EdgeId) {}

    // What an instance's server sees, with no call attached: the figures a service reports
    // (arrivals, completions, latency and wait at the server, sheds, and its levels).

    /// A request reached instance `at`, which was `up` (a down instance refuses it at once).
    #[inline]
    fn server_arrival(&mut self, now: SimTime, at: InstanceRef, up: bool) {}

    /// Instance `at` swallowed a request: a black hole.
    #[inline]
    fn server_black_holed(&mut self, now: SimTime, at: InstanceRef) {}

    /// Instance `at` dropped a request unserved because its deadline had passed
    /// (`drop_expired`), on arrival or when a worker took it.
    #[inline]
    fn server_expired(&mut self, now: SimTime, at: InstanceRef) {}

    /// A server policy of instance `at` shed a request for `reason` (on arrival, in the queue,
    /// or evicted by a higher class).
    #[inline]
    fn server_shed(&mut self, now: SimTime, at: InstanceRef, reason: ShedReason) {}

    /// A request at instance `at` got a worker after waiting `waited` for one (zero when one
    /// was free): once per request for a thread-per-request service, once per step of local
    /// work for an `Async` one.
    #[inline]
    fn server_waited(&mut self, now: SimTime, at: InstanceRef, waited: SimDuration) {}

    /// Instance `at` finished a request successfully, `latency` after it arrived (whether or
    /// not anyone still waits for the answer).
    #[inline]
    fn server_completed(&mut self, now: SimTime, at: InstanceRef, latency: SimDuration) {}

    /// Instance `at` now has `busy` workers busy, and its service `total` over all instances.
    #[inline]
    fn server_busy(&mut self, now: SimTime, at: InstanceRef, busy: u32, total: u64) {}

    /// `service` now has `queued` requests waiting for a worker, over all instances.
    #[inline]
    fn server_queued(&mut self, now: SimTime, service: ServiceId, queued: u64) {}

    /// `service` (an `Async` one) now has `parked` requests waiting on calls without a
    /// worker, over all instances.
    #[inline]
    fn server_parked(&mut self, now: SimTime, service: ServiceId, parked: u64) {}

    /// A worker of a call's instance takes it, after it waited in the queue (a
    /// thread-per-request service's admission, or a step of local work): the end of its wait.
    #[inline]
    fn worker_taken(&mut self, now: SimTime, call: CallRef, at: InstanceRef) {}

    // Who calls whom: what a request trace draws. A request's or a call's call is made once by
    // its caller (`call_made`); through a policy stack it is an invocation whose attempts each
    // create a call of their own, otherwise it creates one call straight away
    // (`call_created`). A saga's calls and a cache's background fetches are created without
    // being made (their caller is `CallerRef::Background`).

    /// `caller` makes a call along `edge` to `service` (bare, or through the edge's policies).
    #[inline]
    fn call_made(&mut self, now: SimTime, caller: CallerRef, edge: EdgeId, service: ServiceId) {}

    /// Call `call` was created to carry one request message for `caller` along `edge` to
    /// instance `at`.
    #[inline]
    fn call_created(
        &mut self,
        now: SimTime,
        call: CallRef,
        caller: CallerRef,
        edge: EdgeId,
        at: InstanceRef,
    ) {
    }

    /// The network duplicated call `call`'s request message: `copy` is a call of its own, for
    /// the same caller.
    #[inline]
    fn message_duplicated(&mut self, now: SimTime, call: CallRef, copy: CallRef) {}

    /// Call `call` vanished without an answer: its request message was lost or black-holed.
    #[inline]
    fn call_dropped(&mut self, now: SimTime, call: CallRef) {}

    /// A route forwards call `call`, served so far, along `edge` to `service`: the same call
    /// goes on there, and its answer still goes to `caller`. If no instance of `service` is up,
    /// the call ends here: `caller` is answered `unavailable`, with no `call_finished`.
    #[inline]
    fn call_forwarded(
        &mut self,
        now: SimTime,
        call: CallRef,
        caller: CallerRef,
        edge: EdgeId,
        service: ServiceId,
    ) {
    }

    /// Call `call` publishes a message: the next [`CallerRef::Published`] call is its.
    #[inline]
    fn publishing(&mut self, now: SimTime, call: CallRef) {}

    /// Call `call` takes the answer `outcome` of child `slot` of its wait.
    #[inline]
    fn child_answered(&mut self, now: SimTime, call: CallRef, slot: u8, outcome: Outcome) {}

    /// Call `call` stops waiting for the children in `slots` (bit `k`: child `k`).
    #[inline]
    fn children_abandoned(&mut self, now: SimTime, call: CallRef, slots: u64) {}

    /// An invocation (a call through a policy stack) starts for `caller`.
    #[inline]
    fn invocation_started(&mut self, now: SimTime, invocation: InvocationRef, caller: CallerRef) {}

    /// Attempt `attempt` of an invocation starts through its layers (`hedge`: a hedge, else a
    /// retry if `attempt > 1`); a backoff before it is over.
    #[inline]
    fn attempt_started(
        &mut self,
        now: SimTime,
        invocation: InvocationRef,
        attempt: u32,
        hedge: bool,
    ) {
    }

    /// Attempt `attempt` of an invocation ended with `outcome` (an answer, its timeout, a
    /// layer's refusal).
    #[inline]
    fn attempt_ended(
        &mut self,
        now: SimTime,
        invocation: InvocationRef,
        attempt: u32,
        outcome: Outcome,
    ) {
    }

    /// An invocation stops waiting for the attempts in `attempts` (bit `n − 1`: attempt `n`).
    #[inline]
    fn attempts_abandoned(&mut self, now: SimTime, invocation: InvocationRef, attempts: u8) {}

    /// An invocation backs off before its next attempt.
    #[inline]
    fn backoff_started(&mut self, now: SimTime, invocation: InvocationRef) {}

    /// An invocation ends: its caller gets `answer` (`outcome` before a fallback).
    #[inline]
    fn invocation_ended(
        &mut self,
        now: SimTime,
        invocation: InvocationRef,
        outcome: Outcome,
        answer: Outcome,
    ) {
    }

    /// Call `call`'s `Store` step invoked `op` on the store (told when the store takes it in,
    /// at the same instant; the call may have ended meanwhile, its instance crashed).
    #[inline]
    fn store_invoked(&mut self, now: SimTime, call: CallRef, op: StoreOperation) {}

    /// Operation `op`, invoked for `call`, ended with `result` as the store's client saw it
    /// (`Info`: it gave up, not knowing whether it took effect). Told even if `call` has ended
    /// meanwhile (its instance crashed): the operation ran on without it.
    #[inline]
    fn store_completed(
        &mut self,
        now: SimTime,
        call: CallRef,
        op: StoreOperation,
        result: sim_history::Completion,
    ) {
    }

    /// Fault `fault` (index into the scenario's faults, then injected ones) started or ended.
    #[inline]
    fn fault_changed(&mut self, now: SimTime, fault: FaultId, started: bool) {}

    /// An instance went down (crash) or came back up (restart).
    #[inline]
    fn instance_changed(&mut self, now: SimTime, at: InstanceRef, up: bool) {}

    /// The warm-up ended at `now`: summary statistics measure from here.
    #[inline]
    fn warmup_ended(&mut self, now: SimTime) {}

    /// The run ended at `now` (its end, a limit, or a driver's stop): whatever is still open
    /// is in flight.
    #[inline]
    fn run_ended(&mut self, now: SimTime) {}
}

/// The lean mode: records nothing, costs nothing.
impl Observer for () {
    const WATCHING: bool = false;
}

macro_rules! tuple_observer {
    ($($name:ident . $i:tt),+) => {
        tuple_observer!(@impl [$($name: Observer),+] ($($name,)+), $($name . $i),+);
    };
    (@impl [$($generics:tt)*] $tuple:ty, $($name:ident . $i:tt),+) => {
        /// Tells each observer of the tuple, in order.
        impl<$($generics)*> Observer for $tuple {
            const WATCHING: bool = $($name::WATCHING)||+;
            #[inline]
            fn request_sent(&mut self, now: SimTime, request: RequestId, client: ClientId, edge: EdgeId, service: ServiceId) {
                $(self.$i.request_sent(now, request, client, edge, service);)+
            }
            #[inline]
            fn request_ended(&mut self, now: SimTime, request: RequestId, client: ClientId, outcome: Outcome, latency: SimDuration) {
                $(self.$i.request_ended(now, request, client, outcome, latency);)+
            }
            #[inline]
            fn message_sent(&mut self, now: SimTime, message: Message) {
                $(self.$i.message_sent(now, message);)+
            }
            #[inline]
            fn message_delivered(&mut self, now: SimTime, call: CallRef, at: InstanceRef) {
                $(self.$i.message_delivered(now, call, at);)+
            }
            #[inline]
            fn call_queued(&mut self, now: SimTime, call: CallRef, at: InstanceRef) {
                $(self.$i.call_queued(now, call, at);)+
            }
            #[inline]
            fn call_started(&mut self, now: SimTime, call: CallRef, at: InstanceRef) {
                $(self.$i.call_started(now, call, at);)+
            }
            #[inline]
            fn call_finished(&mut self, now: SimTime, call: CallRef, at: InstanceRef, outcome: Outcome) {
                $(self.$i.call_finished(now, call, at, outcome);)+
            }
            #[inline]
            fn retried(&mut self, now: SimTime, edge: EdgeId, attempt: u32) {
                $(self.$i.retried(now, edge, attempt);)+
            }
            #[inline]
            fn refused(&mut self, now: SimTime, edge: EdgeId, reason: Outcome) {
                $(self.$i.refused(now, edge, reason);)+
            }
            #[inline]
            fn retry_denied(&mut self, now: SimTime, edge: EdgeId) {
                $(self.$i.retry_denied(now, edge);)+
            }
            #[inline]
            fn edge_resolved(&mut self, now: SimTime, edge: EdgeId, outcome: Outcome) {
                $(self.$i.edge_resolved(now, edge, outcome);)+
            }
            #[inline]
            fn worker_taken(&mut self, now: SimTime, call: CallRef, at: InstanceRef) {
                $(self.$i.worker_taken(now, call, at);)+
            }
            #[inline]
            fn call_made(&mut self, now: SimTime, caller: CallerRef, edge: EdgeId, service: ServiceId) {
                $(self.$i.call_made(now, caller, edge, service);)+
            }
            #[inline]
            fn call_created(&mut self, now: SimTime, call: CallRef, caller: CallerRef, edge: EdgeId, at: InstanceRef) {
                $(self.$i.call_created(now, call, caller, edge, at);)+
            }
            #[inline]
            fn message_duplicated(&mut self, now: SimTime, call: CallRef, copy: CallRef) {
                $(self.$i.message_duplicated(now, call, copy);)+
            }
            #[inline]
            fn call_dropped(&mut self, now: SimTime, call: CallRef) {
                $(self.$i.call_dropped(now, call);)+
            }
            #[inline]
            fn call_forwarded(&mut self, now: SimTime, call: CallRef, caller: CallerRef, edge: EdgeId, service: ServiceId) {
                $(self.$i.call_forwarded(now, call, caller, edge, service);)+
            }
            #[inline]
            fn publishing(&mut self, now: SimTime, call: CallRef) {
                $(self.$i.publishing(now, call);)+
            }
            #[inline]
            fn child_answered(&mut self, now: SimTime, call: CallRef, slot: u8, outcome: Outcome) {
                $(self.$i.child_answered(now, call, slot, outcome);)+
            }
            #[inline]
            fn children_abandoned(&mut self, now: SimTime, call: CallRef, slots: u64) {
                $(self.$i.children_abandoned(now, call, slots);)+
            }
            #[inline]
            fn invocation_started(&mut self, now: SimTime, invocation: InvocationRef, caller: CallerRef) {
                $(self.$i.invocation_started(now, invocation, caller);)+
            }
            #[inline]
            fn attempt_started(&mut self, now: SimTime, invocation: InvocationRef, attempt: u32, hedge: bool) {
                $(self.$i.attempt_started(now, invocation, attempt, hedge);)+
            }
            #[inline]
            fn attempt_ended(&mut self, now: SimTime, invocation: InvocationRef, attempt: u32, outcome: Outcome) {
                $(self.$i.attempt_ended(now, invocation, attempt, outcome);)+
            }
            #[inline]
            fn attempts_abandoned(&mut self, now: SimTime, invocation: InvocationRef, attempts: u8) {
                $(self.$i.attempts_abandoned(now, invocation, attempts);)+
            }
            #[inline]
            fn backoff_started(&mut self, now: SimTime, invocation: InvocationRef) {
                $(self.$i.backoff_started(now, invocation);)+
            }
            #[inline]
            fn invocation_ended(&mut self, now: SimTime, invocation: InvocationRef, outcome: Outcome, answer: Outcome) {
                $(self.$i.invocation_ended(now, invocation, outcome, answer);)+
            }
            #[inline]
            fn store_invoked(&mut self, now: SimTime, call: CallRef, op: StoreOperation) {
                $(self.$i.store_invoked(now, call, op);)+
            }
            #[inline]
            fn store_completed(&mut self, now: SimTime, call: CallRef, op: StoreOperation, result: sim_history::Completion) {
                $(self.$i.store_completed(now, call, op, result);)+
            }
            #[inline]
            fn fault_changed(&mut self, now: SimTime, fault: FaultId, started: bool) {
                $(self.$i.fault_changed(now, fault, started);)+
            }
            #[inline]
            fn instance_changed(&mut self, now: SimTime, at: InstanceRef, up: bool) {
                $(self.$i.instance_changed(now, at, up);)+
            }
            #[inline]
            fn edge_requested(&mut self, now: SimTime, edge: EdgeId) {
                $(self.$i.edge_requested(now, edge);)+
            }
            #[inline]
            fn edge_attempted(&mut self, now: SimTime, edge: EdgeId) {
                $(self.$i.edge_attempted(now, edge);)+
            }
            #[inline]
            fn edge_abandoned(&mut self, now: SimTime, edge: EdgeId) {
                $(self.$i.edge_abandoned(now, edge);)+
            }
            #[inline]
            fn answer_late(&mut self, now: SimTime, edge: EdgeId, service: ServiceId, outcome: Outcome) {
                $(self.$i.answer_late(now, edge, service, outcome);)+
            }
            #[inline]
            fn service_answered(&mut self, now: SimTime, service: ServiceId, outcome: Outcome) {
                $(self.$i.service_answered(now, service, outcome);)+
            }
            #[inline]
            fn publish_lost(&mut self, now: SimTime, edge: EdgeId) {
                $(self.$i.publish_lost(now, edge);)+
            }
            #[inline]
            fn server_arrival(&mut self, now: SimTime, at: InstanceRef, up: bool) {
                $(self.$i.server_arrival(now, at, up);)+
            }
            #[inline]
            fn server_black_holed(&mut self, now: SimTime, at: InstanceRef) {
                $(self.$i.server_black_holed(now, at);)+
            }
            #[inline]
            fn server_expired(&mut self, now: SimTime, at: InstanceRef) {
                $(self.$i.server_expired(now, at);)+
            }
            #[inline]
            fn server_shed(&mut self, now: SimTime, at: InstanceRef, reason: ShedReason) {
                $(self.$i.server_shed(now, at, reason);)+
            }
            #[inline]
            fn server_waited(&mut self, now: SimTime, at: InstanceRef, waited: SimDuration) {
                $(self.$i.server_waited(now, at, waited);)+
            }
            #[inline]
            fn server_completed(&mut self, now: SimTime, at: InstanceRef, latency: SimDuration) {
                $(self.$i.server_completed(now, at, latency);)+
            }
            #[inline]
            fn server_busy(&mut self, now: SimTime, at: InstanceRef, busy: u32, total: u64) {
                $(self.$i.server_busy(now, at, busy, total);)+
            }
            #[inline]
            fn server_queued(&mut self, now: SimTime, service: ServiceId, queued: u64) {
                $(self.$i.server_queued(now, service, queued);)+
            }
            #[inline]
            fn server_parked(&mut self, now: SimTime, service: ServiceId, parked: u64) {
                $(self.$i.server_parked(now, service, parked);)+
            }
            #[inline]
            fn warmup_ended(&mut self, now: SimTime) {
                $(self.$i.warmup_ended(now);)+
            }
            #[inline]
            fn run_ended(&mut self, now: SimTime) {
                $(self.$i.run_ended(now);)+
            }
        }
    };
}

/// Two observers lent together: the world lends its statistics and its observer to a
/// service, which tells them what its servers see.
pub(crate) struct Both<'w, A, B>(pub(crate) &'w mut A, pub(crate) &'w mut B);

tuple_observer!(@impl ['w, A: Observer, B: Observer] Both<'w, A, B>, A.0, B.1);
tuple_observer!(A.0);
tuple_observer!(A.0, B.1);
tuple_observer!(A.0, B.1, C.2);
tuple_observer!(A.0, B.1, C.2, D.3);
