//! Requests and calls in flight, kept in slabs keyed by typed `u32` indices (`ids.rs`) so that
//! events carry an index and a generation instead of a pointer, and a finished one's slot is
//! reused without allocating.
//!
//! A *request* is what a client sends and waits for. A *call* is one service's handling of one
//! message: the client's request at its target service, or a call one service makes to another.
//! Each call knows its *caller* — a request, another call, or nobody (a published message) — and
//! answers it with an [`Outcome`].

use crate::ids::{
    CallId, ClientId, EdgeId, InstanceId, InvocationId, RequestIndex, ServiceId, SlabKey,
};
pub use crate::outcome::{Outcome, OutcomeCounts};
use sim_core::SimTime;

/// Who a request is for, carried on every call it causes: its tenant and its priority class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The tenant (index into the scenario's tenants).
    pub tenant: u16,
    /// Its criticality.
    pub criticality: crate::policy::Criticality,
}

/// A call about to leave: who waits for it, where it leaves from, the service and edge it
/// goes to, when its caller stops waiting (`SimTime::MAX`: never) and whom it is for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Outgoing {
    /// Who waits for the answer.
    pub(crate) caller: Caller,
    /// Where the caller is.
    pub(crate) from: crate::network::Endpoint,
    /// The service called.
    pub(crate) service: ServiceId,
    /// The call edge.
    pub(crate) edge: EdgeId,
    /// When the caller stops waiting.
    pub(crate) deadline: SimTime,
    /// Its tenant and priority class.
    pub(crate) origin: Origin,
}

/// Who waits for a call's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A client's request.
    Request {
        /// Its index.
        id: RequestIndex,
        /// Its generation: a stale answer to a reused slot is recognised and ignored.
        gen: u32,
    },
    /// Another call, waiting on child `slot` of its wait number `token`.
    Call {
        /// The caller's index.
        id: CallId,
        /// The caller's generation.
        gen: u32,
        /// Which of the wait's calls this is.
        slot: u8,
        /// Which wait of the caller this answers.
        token: u32,
    },
    /// Attempt number `attempt` of a call through a policy stack.
    Attempt {
        /// The invocation's index.
        id: InvocationId,
        /// Its generation.
        gen: u32,
        /// Which attempt (1 for the first).
        attempt: u32,
    },
    /// Nobody: a published message.
    Nobody,
    /// A call of saga `saga` (the `token`-th it made): step `step`'s action, or its
    /// compensation.
    Saga {
        /// The saga.
        saga: crate::ids::SagaId,
        /// Which of its calls this is.
        token: u32,
        /// The step.
        step: u8,
        /// Whether this undoes the step.
        compensating: bool,
    },
    /// A cache's background fetch number `token` of `key` for instance `instance` of
    /// `service` (its cache number `cache`).
    Refresh {
        /// The caching service.
        service: ServiceId,
        /// Its instance.
        instance: InstanceId,
        /// The key fetched.
        key: u32,
        /// Which of the service's caches.
        cache: u8,
        /// Which fetch of the key this is.
        token: u16,
    },
}

impl Caller {
    /// Whether no timer of a caller watches for the answer (a published message, a cache's
    /// background fetch): an answer that never comes is counted lost where it vanishes.
    #[inline]
    pub(crate) fn detached(self) -> bool {
        matches!(self, Caller::Nobody | Caller::Refresh { .. })
    }
}

/// Where a call through a policy stack is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Passing the stack's layers before an attempt.
    Admitting,
    /// Held by a layer (a rate limiter's reservation, a refusal that comes after a wait).
    Held,
    /// Waiting in a layer's queue (a bulkhead).
    Queued,
    /// An attempt is out.
    InFlight,
    /// Waiting out a backoff before the next attempt.
    BackingOff,
}

/// A call through a policy stack: one logical call and its attempts.
#[derive(Clone, Copy, Debug)]
pub struct Invocation {
    /// Who waits for the answer.
    pub caller: Caller,
    /// The edge.
    pub edge: EdgeId,
    /// The service called.
    pub service: ServiceId,
    /// The caller instance's stack (index into the world's stacks).
    pub stack: u32,
    /// Where the caller is.
    pub from: crate::network::Endpoint,
    /// When the whole call must be over (`SimTime::MAX`: never).
    pub deadline: SimTime,
    /// When it started.
    pub started: SimTime,
    /// When the current attempt started passing the layers after the retry.
    pub attempt_started: SimTime,
    /// Attempts begun.
    pub attempts: u32,
    /// The next layer to pass.
    pub layer: u16,
    /// Where it is.
    pub phase: Phase,
    /// How the previous attempt ended.
    pub last: Option<Outcome>,
    /// A refusal to deliver after a hold.
    pub pending: Outcome,
    /// Memory of decorrelated backoffs.
    pub backoff: crate::policy::BackoffState,
    /// Its tenant and priority class.
    pub origin: Origin,
    /// Calls in flight through its stack's concurrency limit when it passed it.
    pub inflight: u32,
    /// With hedging: the attempts out now, bit `n - 1` for attempt `n`.
    pub hedges: u8,
    /// Whether a timer guards `deadline` yet (armed only when no attempt timeout fires first).
    pub deadline_armed: bool,
}

impl Invocation {
    /// How many of its attempts are out now.
    pub fn attempts_out(&self) -> u32 {
        if self.hedges != 0 {
            self.hedges.count_ones()
        } else {
            (self.phase == Phase::InFlight) as u32
        }
    }
}

/// Where a call is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallState {
    /// The request message is on its way to the instance.
    Travelling,
    /// Waiting in the instance's queue for a worker.
    Queued,
    /// A worker is doing local work for it.
    Working,
    /// Waiting on calls of its own.
    Waiting,
    /// Its wait is over; it continues when the current event's work is done.
    Ready,
    /// Its answer is on its way back.
    Replying,
    /// A server policy dropped it from the queue; it answers `shed` at the end of the event.
    Shed,
}

/// A wait on a step's calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wait {
    /// Identifies this wait among the caller's waits.
    pub token: u32,
    /// Bit `k` is set while call `k` of the step has not answered.
    pub outstanding: u64,
    /// Successful answers so far.
    pub ok: u16,
    /// Failed ones (timeouts included).
    pub failed: u16,
}

/// One call in flight.
#[derive(Clone, Copy, Debug)]
pub struct Call {
    /// Who waits for the answer.
    pub caller: Caller,
    /// The call edge it travels.
    pub edge: EdgeId,
    /// The service handling it.
    pub service: ServiceId,
    /// The instance of that service.
    pub instance: InstanceId,
    /// When it arrived at the instance.
    pub arrived: SimTime,
    /// When its caller stops waiting ([`SimTime::MAX`]: never).
    pub deadline: SimTime,
    /// The step it is at.
    pub pc: u16,
    /// Where it is in its life.
    pub state: CallState,
    /// Whether it holds one of the instance's workers.
    pub holds_worker: bool,
    /// Whether an injected failure will fail it when it finishes.
    pub doomed: bool,
    /// The answer it sends (once `Replying`).
    pub outcome: Outcome,
    /// Its current wait on calls of its own.
    pub wait: Wait,
    /// Its tenant and priority class.
    pub origin: Origin,
    /// Requests in its instance when it was admitted, itself included (for an adaptive
    /// server concurrency limit; saturates, far above any limit, to keep a call in 72 bytes).
    pub inflight: u16,
}

/// A request a client is waiting for.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// The client.
    pub client: ClientId,
    /// When it was sent.
    pub created: SimTime,
    /// The edge of the call now carrying it (routing moves it from service to service).
    pub edge: EdgeId,
}

struct Entry<T> {
    value: T,
    gen: u32,
    live: bool,
}

impl<T: Clone> Clone for Entry<T> {
    fn clone(&self) -> Self {
        Entry {
            value: self.value.clone(),
            gen: self.gen,
            live: self.live,
        }
    }
}

/// Values in flight, by index, with a generation per slot so that an event about a value that
/// has since ended (and whose slot was reused) is recognised as stale. `K` is the key type of
/// its slots ([`CallId`], [`RequestIndex`](crate::RequestIndex), …), so that one slab's index
/// cannot be used in another.
#[derive(Clone)]
pub struct Slab<K, T> {
    entries: Vec<Entry<T>>,
    free: Vec<K>,
}

impl<K, T> Default for Slab<K, T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<K: SlabKey, T> std::fmt::Debug for Slab<K, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slab({} live)", self.len())
    }
}

impl<K: SlabKey, T> Slab<K, T> {
    /// Stores a value; returns its key and generation.
    #[inline]
    pub fn insert(&mut self, value: T) -> (K, u32) {
        match self.free.pop() {
            Some(id) => {
                let e = &mut self.entries[id.index() as usize];
                e.value = value;
                e.gen = e.gen.wrapping_add(1);
                e.live = true;
                (id, e.gen)
            }
            None => {
                self.entries.push(Entry {
                    value,
                    gen: 0,
                    live: true,
                });
                (K::new((self.entries.len() - 1) as u32), 0)
            }
        }
    }

    /// Ends the value at `id` and frees its slot.
    ///
    /// # Panics
    /// If it already ended: ending something twice is a bug that would corrupt the accounting,
    /// so it stops the run loudly instead.
    #[inline]
    pub fn remove(&mut self, id: K) -> &T {
        let e = &mut self.entries[id.index() as usize];
        assert!(e.live, "slot {} ended twice", id.index());
        e.live = false;
        self.free.push(id);
        &e.value
    }

    /// The live value at `id` if its generation is still `gen`.
    #[inline]
    pub fn get(&mut self, id: K, gen: u32) -> Option<&mut T> {
        let e = self.entries.get_mut(id.index() as usize)?;
        (e.live && e.gen == gen).then_some(&mut e.value)
    }

    /// The live value at `id` if its generation is still `gen`, read-only.
    #[inline]
    pub fn peek(&self, id: K, gen: u32) -> Option<&T> {
        let e = self.entries.get(id.index() as usize)?;
        (e.live && e.gen == gen).then_some(&e.value)
    }

    /// The generation of the value at `id`.
    #[inline]
    pub fn gen(&self, id: K) -> u32 {
        self.entries[id.index() as usize].gen
    }

    /// The live value at `id`.
    #[inline]
    pub fn at(&mut self, id: K) -> &mut T {
        let e = &mut self.entries[id.index() as usize];
        debug_assert!(e.live);
        &mut e.value
    }

    /// The live values with their keys.
    pub fn iter(&self) -> impl Iterator<Item = (K, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.live)
            .map(|(i, e)| (K::new(i as u32), &e.value))
    }

    /// Number of live values.
    pub fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    /// Whether none is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_are_indexed_by_outcome_minus_one() {
        for (k, o) in Outcome::ERRORS.iter().enumerate() {
            assert_eq!(*o as usize - 1, k, "{o:?}");
        }
        assert_eq!(
            Outcome::ERRORS.len() + 2,
            Outcome::COUNT,
            "all but completed and fallback"
        );
        assert_eq!(Outcome::Fallback as usize, Outcome::COUNT - 1);
    }

    #[test]
    fn a_reused_slot_has_a_new_generation_so_stale_events_miss_it() {
        let mut s: Slab<crate::ids::RequestIndex, i32> = Slab::default();
        let (a, g0) = s.insert(1);
        s.remove(a);
        let (b, g1) = s.insert(2);
        assert_eq!(a, b);
        assert_ne!(g0, g1);
        assert!(s.get(a, g0).is_none());
        assert_eq!(s.get(b, g1), Some(&mut 2));
    }

    #[test]
    #[should_panic(expected = "ended twice")]
    fn ending_twice_is_a_loud_bug() {
        let mut s: Slab<crate::ids::RequestIndex, i32> = Slab::default();
        let (a, _) = s.insert(1);
        s.remove(a);
        s.remove(a);
    }
}

#[cfg(test)]
mod tests_size {
    #[test]
    fn a_call_fits_in_72_bytes() {
        // Calls are the bulk of the memory per request in flight (the benchmark's figure).
        assert_eq!(std::mem::size_of::<super::Call>(), 72);
    }
}
