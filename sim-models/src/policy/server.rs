//! Policies on a server's path: what an instance does with a request that arrives, and with
//! the queued request a freed worker is about to take.
//!
//! A service lists its server policies in `server_policies`; every instance runs its own copy
//! (each process sheds on what it sees). On arrival each layer may shed the request; at
//! dequeue each may drop the request a worker was about to take (CoDel, a bound on queue
//! wait); when an admitted request ends, each learns its latency (an adaptive concurrency
//! limit). Shed requests answer `Outcome::Shed`, counted by [`ShedReason`] at the service.
//!
//! Built-in layers are dispatched through [`ServerLayer`] (no virtual call on the hot path); a
//! user's own [`ServerPolicy`], registered by name in a [`PolicyRegistry`](super::PolicyRegistry),
//! runs as `ServerLayer::Custom`.

use super::adaptive_lifo::{AdaptiveLifo, AdaptiveLifoSpec};
use super::codel::{CoDel, CoDelSpec};
use super::concurrency_limit::LimitSpec;
use super::concurrency_limiter::ServerLimiter;
use super::load_shedding::{QueueLengthShedder, QueueWaitShedder};
use super::priority_classes::{CriticalitySpec, PriorityClasses};
pub use super::server_policy::{ServerArrival, ServerPolicy, ServerPolicyClone, ShedReason};
use super::tenant_rate_limit::{TenantRateLimit, TenantRateSpec};
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimRng, SimTime};
use std::collections::BTreeMap;

/// One server policy, as written in a scenario's `server_policies`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ServerPolicySpec {
    /// Sheds an arrival that finds `max` or more requests queued (a short queue by length).
    ShedQueueLength {
        /// Most requests allowed to wait.
        max: u32,
    },
    /// Drops, at dequeue, a request that has waited longer than `max_wait` (its caller has
    /// most likely given up: Amazon's "bound queue wait, not only queue length").
    ShedQueueWait {
        /// Longest useful wait.
        max_wait: SimDuration,
    },
    /// CoDel (RFC 8289) on the instance's queue, deciding at dequeue from each request's wait.
    CoDel(CoDelSpec),
    /// Facebook's controlled delay with adaptive LIFO.
    AdaptiveLifo(AdaptiveLifoSpec),
    /// Priority classes (SRE criticality): the queue serves higher classes first, each class
    /// is shed beyond its own queue length, and a full instance evicts the lowest first.
    Criticality(CriticalitySpec),
    /// A server concurrency limit: requests in the instance (queued, in service, waiting on
    /// calls) at most the limit, fixed or adaptive (Netflix concurrency-limits).
    ConcurrencyLimit(LimitSpec),
    /// A token bucket per tenant (noisy-neighbour protection).
    TenantRateLimit(TenantRateSpec),
    /// A server policy registered by name in a [`PolicyRegistry`](super::PolicyRegistry).
    Custom {
        /// The registered name.
        name: String,
        /// Its parameters.
        #[serde(default)]
        params: BTreeMap<String, f64>,
    },
}

impl ServerPolicySpec {
    /// The layer's kind, as reports name it.
    pub fn kind(&self) -> &str {
        match self {
            ServerPolicySpec::ShedQueueLength { .. } => "shed_queue_length",
            ServerPolicySpec::ShedQueueWait { .. } => "shed_queue_wait",
            ServerPolicySpec::CoDel(_) => "codel",
            ServerPolicySpec::AdaptiveLifo(_) => "adaptive_lifo",
            ServerPolicySpec::Criticality(_) => "criticality",
            ServerPolicySpec::ConcurrencyLimit(_) => "concurrency_limit",
            ServerPolicySpec::TenantRateLimit(_) => "tenant_rate_limit",
            ServerPolicySpec::Custom { name, .. } => name,
        }
    }
}

/// A runnable server layer: the built-ins by value, a user's policy boxed.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum ServerLayer {
    QueueLength(QueueLengthShedder),
    QueueWait(QueueWaitShedder),
    CoDel(CoDel),
    AdaptiveLifo(AdaptiveLifo),
    Criticality(PriorityClasses),
    ConcurrencyLimit(ServerLimiter),
    TenantRate(TenantRateLimit),
    Custom(Box<dyn ServerPolicy>),
}

macro_rules! dispatch_server {
    ($layer:expr, $p:ident => $body:expr) => {
        match $layer {
            ServerLayer::QueueLength($p) => $body,
            ServerLayer::QueueWait($p) => $body,
            ServerLayer::CoDel($p) => $body,
            ServerLayer::AdaptiveLifo($p) => $body,
            ServerLayer::Criticality($p) => $body,
            ServerLayer::ConcurrencyLimit($p) => $body,
            ServerLayer::TenantRate($p) => $body,
            ServerLayer::Custom($p) => $body,
        }
    };
}

impl ServerLayer {
    /// The layer of `spec` for a service whose requests come from `tenants` tenants.
    pub fn build(
        spec: &ServerPolicySpec,
        tenants: usize,
        registry: &super::PolicyRegistry,
    ) -> Result<ServerLayer, String> {
        Ok(match spec {
            ServerPolicySpec::ShedQueueLength { max } => {
                ServerLayer::QueueLength(QueueLengthShedder::new(*max))
            }
            ServerPolicySpec::ShedQueueWait { max_wait } => {
                ServerLayer::QueueWait(QueueWaitShedder::new(*max_wait))
            }
            ServerPolicySpec::CoDel(s) => ServerLayer::CoDel(CoDel::new(s.clone())),
            ServerPolicySpec::AdaptiveLifo(s) => {
                ServerLayer::AdaptiveLifo(AdaptiveLifo::new(s.clone()))
            }
            ServerPolicySpec::Criticality(s) => ServerLayer::Criticality(PriorityClasses::new(s)),
            ServerPolicySpec::ConcurrencyLimit(s) => {
                ServerLayer::ConcurrencyLimit(ServerLimiter::new(s))
            }
            ServerPolicySpec::TenantRateLimit(s) => {
                ServerLayer::TenantRate(TenantRateLimit::new(s.clone(), tenants))
            }
            ServerPolicySpec::Custom { name, params } => ServerLayer::Custom(
                registry
                    .build_server(name, params)
                    .map_err(|e| e.to_string())?,
            ),
        })
    }

    /// Why this layer sheds what it sheds.
    pub fn reason(&self) -> ShedReason {
        match self {
            ServerLayer::QueueLength(_) => ShedReason::QueueLength,
            ServerLayer::QueueWait(_) => ShedReason::QueueWait,
            ServerLayer::CoDel(_) => ShedReason::CoDel,
            ServerLayer::AdaptiveLifo(_) => ShedReason::ControlledDelay,
            ServerLayer::Criticality(_) => ShedReason::Criticality,
            ServerLayer::ConcurrencyLimit(_) => ShedReason::ConcurrencyLimit,
            ServerLayer::TenantRate(_) => ShedReason::TenantRate,
            ServerLayer::Custom(_) => ShedReason::Custom,
        }
    }

    /// The layer's name.
    pub fn name(&self) -> &str {
        dispatch_server!(self, p => p.name())
    }
    /// See [`ServerPolicy::arrive`].
    #[inline]
    pub fn arrive(&mut self, now: SimTime, a: &ServerArrival, rng: &mut SimRng) -> bool {
        dispatch_server!(self, p => p.arrive(now, a, rng))
    }
    /// See [`ServerPolicy::enqueue`].
    #[inline]
    pub fn enqueue(&mut self, now: SimTime, queued: usize) -> Option<SimDuration> {
        dispatch_server!(self, p => p.enqueue(now, queued))
    }
    /// See [`ServerPolicy::dequeue`].
    #[inline]
    pub fn dequeue(&mut self, now: SimTime, waited: Option<SimDuration>, left: usize) -> bool {
        dispatch_server!(self, p => p.dequeue(now, waited, left))
    }
    /// See [`ServerPolicy::newest_first`].
    #[inline]
    pub fn newest_first(&mut self, now: SimTime) -> bool {
        dispatch_server!(self, p => p.newest_first(now))
    }
    /// See [`ServerPolicy::finished`].
    #[inline]
    pub fn finished(
        &mut self,
        now: SimTime,
        latency: SimDuration,
        inflight: u32,
        dropped: bool,
        rng: &mut SimRng,
    ) {
        dispatch_server!(self, p => p.finished(now, latency, inflight, dropped, rng))
    }
    /// See [`ServerPolicy::level`].
    pub fn level(&self) -> Option<f64> {
        dispatch_server!(self, p => p.level())
    }
}
