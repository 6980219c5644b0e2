//! What every policy on a server's path shares: the [`ServerPolicy`] trait a layer implements
//! (built-in or a user's own), the [`ServerArrival`] it judges, and the [`ShedReason`] it gives.

use super::criticality::Criticality;
pub use crate::outcome::ShedReason;
use sim_core::{SimDuration, SimRng, SimTime};

/// A request reaching an instance, as server policies see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerArrival {
    /// Requests queued at the instance now.
    pub queued: usize,
    /// Requests in the instance now (queued, in service, waiting on calls).
    pub in_system: u64,
    /// Busy workers now.
    pub busy: u32,
    /// Workers it has.
    pub workers: u32,
    /// The request's priority class.
    pub criticality: Criticality,
    /// The request's tenant (index into the scenario's tenants).
    pub tenant: u16,
}

/// A layer on a server's path. Every built-in server policy implements it; so can a user's
/// own. All methods but `name` have do-nothing defaults.
///
/// ```
/// use sim_models::policy::{ServerArrival, ServerPolicy};
/// use sim_core::{SimRng, SimTime};
///
/// /// Sheds every arrival that finds all workers busy (no queueing at all).
/// #[derive(Clone, Debug)]
/// struct NoQueue;
///
/// impl ServerPolicy for NoQueue {
///     fn name(&self) -> &str { "no_queue" }
///     fn arrive(&mut self, _: SimTime, a: &ServerArrival, _: &mut SimRng) -> bool {
///         a.busy < a.workers
///     }
/// }
/// ```
pub trait ServerPolicy: std::fmt::Debug + Send + ServerPolicyClone {
    /// The layer's name in reports.
    fn name(&self) -> &str;

    /// A request arrives at `now`: `true` admits it, `false` sheds it.
    fn arrive(&mut self, _now: SimTime, _arrival: &ServerArrival, _rng: &mut SimRng) -> bool {
        true
    }

    /// A request joins the queue at `now`, finding `queued` others there: the longest it may
    /// wait before it is dropped (`None`: no limit of this layer's).
    fn enqueue(&mut self, _now: SimTime, _queued: usize) -> Option<SimDuration> {
        None
    }

    /// A worker is about to take a queued request that has waited `waited`, leaving `left`
    /// queued (`None`: the worker found the queue empty). `true` drops the request instead.
    fn dequeue(&mut self, _now: SimTime, _waited: Option<SimDuration>, _left: usize) -> bool {
        false
    }

    /// Whether the queue serves its newest request first now.
    fn newest_first(&mut self, _now: SimTime) -> bool {
        false
    }

    /// A request this instance admitted has ended after `latency` (from arrival), with
    /// `inflight` requests in the instance when it arrived (itself included); `dropped` if it
    /// was shed or timed out rather than served.
    fn finished(
        &mut self,
        _now: SimTime,
        _latency: SimDuration,
        _inflight: u32,
        _dropped: bool,
        _rng: &mut SimRng,
    ) {
    }

    /// The level a time series shows (a concurrency limit, CoDel's dropping state).
    fn level(&self) -> Option<f64> {
        None
    }
}

/// Lets a boxed server policy be cloned with the world.
pub trait ServerPolicyClone {
    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn ServerPolicy>;
}

impl<T: ServerPolicy + Clone + 'static> ServerPolicyClone for T {
    fn clone_box(&self) -> Box<dyn ServerPolicy> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn ServerPolicy> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}
