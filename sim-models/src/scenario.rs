//! The scenario: plain data, exactly as a RON file holds it.
//!
//! Every field is documented in `docs/scenario-format.md`. Build a [`Scenario`] in Rust or load one
//! with [`crate::load_scenario`]; either way [`Scenario::check`] (called by everything that runs a
//! scenario) rejects what cannot be simulated, naming the field path.

use crate::fault::FaultSpec;
use crate::load_balancer::LoadBalancer;
use crate::network::NetworkSpec;
use crate::program::Step;
use crate::rate::Rate;
use serde::{Deserialize, Serialize};
use sim_core::{Distribution, SimDuration};
use std::collections::BTreeMap;

/// A complete scenario: what runs, for how long, and what is measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A name for reports; defaults to the file name.
    #[serde(default)]
    pub name: String,
    /// The seed used when none is given on the command line.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time the run lasts.
    pub duration: SimDuration,
    /// Initial stretch excluded from the summary statistics (time series still show it).
    #[serde(default)]
    pub warmup: SimDuration,
    /// Time-series settings.
    #[serde(default)]
    pub time_series: TimeSeriesSpec,
    /// Safety limits that stop a run cleanly, keeping its results.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// Where requests come from, by name.
    #[serde(deserialize_with = "unique_names")]
    pub clients: BTreeMap<String, ClientSpec>,
    /// The services that handle them, by name.
    #[serde(deserialize_with = "unique_names")]
    pub services: BTreeMap<String, ServiceSpec>,
    /// Latency, loss and duplication between zones and services (default: an ideal network,
    /// every message delivered at once).
    #[serde(default)]
    pub network: NetworkSpec,
    /// What goes wrong, and when.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// Replicated key-value stores, by name: replicas on the same network electing a leader,
    /// and the client processes that use them (see `sim_store`).
    #[serde(
        default,
        deserialize_with = "unique_names",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub stores: BTreeMap<String, sim_store::StoreSpec>,
    /// Service-level objectives on clients' requests, with the SRE workbook's burn-rate
    /// alerts (see [`crate::slo`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slos: Vec<crate::slo::SloSpec>,
}

/// Reads a map of names, refusing a name given twice (serde's maps silently keep the last).
fn unique_names<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Names<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Names<T> {
        type Value = BTreeMap<String, T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map from names to entries, e.g. { \"db\": ( … ) }")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(name) = map.next_key::<String>()? {
                if out.contains_key(&name) {
                    return Err(serde::de::Error::custom(format!(
                        "the name {name:?} is given twice; each name may appear once"
                    )));
                }
                let entry = map.next_value()?;
                out.insert(name, entry);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Names(std::marker::PhantomData))
}

fn default_seed() -> u64 {
    1
}

/// Time-series settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSeriesSpec {
    /// Width of one bucket of simulated time (default 1 s).
    #[serde(default = "default_bucket")]
    pub bucket: SimDuration,
}

fn default_bucket() -> SimDuration {
    SimDuration::from_secs(1)
}

impl Default for TimeSeriesSpec {
    fn default() -> Self {
        TimeSeriesSpec {
            bucket: default_bucket(),
        }
    }
}

/// Limits that end a run early but cleanly: the report says which limit and keeps the results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Most events to process (default: no limit).
    #[serde(default)]
    pub max_events: Option<u64>,
    /// Most requests in flight at once before the run stops (default 1,000,000): a runaway
    /// overload ends with a report instead of exhausting memory.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: u64,
    /// Real time the run may take (default: no limit). A run stopped by it is not reproducible.
    #[serde(default)]
    pub wall_clock: Option<SimDuration>,
    /// Memory a run may need at most, estimated before it starts (default: half of this
    /// machine's memory, see [`crate::memory::default_max_memory`]); a scenario that would need
    /// more is refused, naming the fields that need it.
    #[serde(default)]
    pub max_memory: Option<sim_core::ByteSize>,
}

fn default_max_in_flight() -> u64 {
    1_000_000
}

impl Default for LimitsSpec {
    fn default() -> Self {
        LimitsSpec {
            max_events: None,
            max_in_flight: default_max_in_flight(),
            wall_clock: None,
            max_memory: None,
        }
    }
}

/// A source of requests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ClientSpec {
    /// Open loop: requests arrive at a rate, whether or not earlier ones were answered.
    Open {
        /// Mean arrival rate (per second, or with a unit: `"300/min"`).
        rate: Rate,
        /// How arrivals are spaced: `Poisson` (default) or `Constant`.
        #[serde(default)]
        process: ArrivalProcess,
        /// Changes of the rate over time: steps, ramps and spikes, in time order.
        #[serde(default)]
        schedule: Vec<RateChange>,
        /// The service that receives the requests.
        target: String,
        /// How long the client waits for an answer before giving up (`timeout`); also the
        /// request's deadline. Default: it waits forever.
        #[serde(default)]
        timeout: Option<SimDuration>,
        /// The zone the client sends from (default: the first zone, or none).
        #[serde(default)]
        zone: Option<String>,
        /// Resilience policies on the client's calls, outermost first (see `policy`).
        #[serde(default)]
        policies: Vec<crate::policy::PolicySpec>,
        /// The tenant its requests belong to (default: the client's own name), for per-tenant
        /// server limits.
        #[serde(default)]
        tenant: Option<String>,
        /// The priority class of its requests, carried on every call they cause (default
        /// `Critical`).
        #[serde(default)]
        criticality: crate::policy::Criticality,
    },
    /// Closed loop: `users` each send a request, wait for its answer, think, and repeat.
    Closed {
        /// Number of users.
        users: u32,
        /// Time a user waits between an answer and its next request.
        think_time: Distribution,
        /// The service that receives the requests.
        target: String,
        /// How long a user waits for an answer before giving up (`timeout`); also the request's
        /// deadline. Default: forever.
        #[serde(default)]
        timeout: Option<SimDuration>,
        /// The zone the users send from.
        #[serde(default)]
        zone: Option<String>,
        /// Resilience policies on the client's calls, outermost first (see `policy`).
        #[serde(default)]
        policies: Vec<crate::policy::PolicySpec>,
        /// The tenant its requests belong to (default: the client's own name), for per-tenant
        /// server limits.
        #[serde(default)]
        tenant: Option<String>,
        /// The priority class of its requests, carried on every call they cause (default
        /// `Critical`).
        #[serde(default)]
        criticality: crate::policy::Criticality,
    },
}

impl ClientSpec {
    /// The service the client sends to.
    pub fn target(&self) -> &str {
        match self {
            ClientSpec::Open { target, .. } | ClientSpec::Closed { target, .. } => target,
        }
    }

    /// How long the client waits for an answer, if it gives up at all.
    pub fn timeout(&self) -> Option<SimDuration> {
        match self {
            ClientSpec::Open { timeout, .. } | ClientSpec::Closed { timeout, .. } => *timeout,
        }
    }

    /// Its resilience policies, outermost first.
    pub fn policies(&self) -> &[crate::policy::PolicySpec] {
        match self {
            ClientSpec::Open { policies, .. } | ClientSpec::Closed { policies, .. } => policies,
        }
    }

    /// The tenant its requests belong to, if named (otherwise the client's own name).
    pub fn tenant(&self) -> Option<&str> {
        match self {
            ClientSpec::Open { tenant, .. } | ClientSpec::Closed { tenant, .. } => {
                tenant.as_deref()
            }
        }
    }

    /// The priority class of its requests.
    pub fn criticality(&self) -> crate::policy::Criticality {
        match self {
            ClientSpec::Open { criticality, .. } | ClientSpec::Closed { criticality, .. } => {
                *criticality
            }
        }
    }

    /// The zone it sends from, if named.
    pub fn zone(&self) -> Option<&str> {
        match self {
            ClientSpec::Open { zone, .. } | ClientSpec::Closed { zone, .. } => zone.as_deref(),
        }
    }
}

/// How an open-loop client spaces its arrivals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArrivalProcess {
    /// Exponential gaps (a Poisson process); with a schedule, a non-homogeneous Poisson process.
    #[default]
    Poisson,
    /// Evenly spaced arrivals, `1/rate` apart.
    Constant,
}

/// A change in an open-loop client's rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RateChange {
    /// From `at` on, the rate is `rate`.
    Step {
        /// When the step happens.
        at: SimDuration,
        /// The new rate.
        rate: Rate,
    },
    /// The rate moves linearly from its current value to `to` between `start` and `end`.
    Ramp {
        /// When the ramp begins.
        start: SimDuration,
        /// When it reaches `to`.
        end: SimDuration,
        /// The rate at the end of the ramp, kept afterwards.
        to: Rate,
    },
    /// The rate is `rate` for `duration` from `start`, then returns to what it was.
    Spike {
        /// When the spike begins.
        start: SimDuration,
        /// How long it lasts.
        duration: SimDuration,
        /// The rate during the spike.
        rate: Rate,
    },
}

/// A service: `instances` identical instances behind a load balancer, each with `workers`
/// servers in front of one FIFO queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Number of instances (default 1).
    #[serde(default = "one_instance")]
    pub instances: u32,
    /// How requests are spread over the instances (default round-robin).
    #[serde(default)]
    pub load_balancer: LoadBalancer,
    /// Requests an instance serves at once (the `c` of M/M/c). At least 1.
    pub workers: u32,
    /// Time a worker spends on one request when the service has no `steps` (then its handling
    /// is that one piece of local work).
    #[serde(default)]
    pub service_time: Option<Distribution>,
    /// How the service handles a request: local work, calls to other services, publishing,
    /// branches (see `docs/scenario-format.md`). Default: `[Work(service_time)]`.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Whether a worker stays held while the request waits on a downstream call
    /// (`ThreadPerRequest`, the default: what makes cascades) or is freed (`Async`).
    #[serde(default)]
    pub concurrency: Concurrency,
    /// Zones its instances are placed in: instance `i` goes to `zones[i % zones.len()]`.
    #[serde(default)]
    pub zones: Vec<String>,
    /// Deadlines: whether calls forward the remaining budget and whether expired work is dropped.
    #[serde(default)]
    pub deadlines: DeadlineSpec,
    /// Size of a request to this service, in bytes (matters only on links with a bandwidth).
    #[serde(default)]
    pub request_bytes: u64,
    /// Size of a response from this service, in bytes.
    #[serde(default)]
    pub response_bytes: u64,
    /// Most requests in one instance at once, in service and queued together (the `K` of
    /// M/M/c/K); arrivals beyond it are rejected. Default: unbounded.
    #[serde(default)]
    pub capacity: Option<u64>,
    /// Where a request goes when served here: to `to` with `probability`; with the remaining
    /// probability it leaves the system, answered (Jackson-network routing).
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Policies on the server's path, run by every instance in this order: load shedding,
    /// CoDel, adaptive LIFO, priority classes, a concurrency limit, per-tenant rate limits.
    #[serde(default)]
    pub server_policies: Vec<crate::policy::ServerPolicySpec>,
    /// Envoy outlier detection at its load balancer: instances that fail are ejected from it
    /// for a while.
    #[serde(default)]
    pub outlier_detection: Option<crate::outlier_detection::OutlierSpec>,
    /// An active health check at its load balancer (readiness): instances that fail it stop
    /// getting traffic until they pass again.
    #[serde(default)]
    pub health_check: Option<crate::health::HealthCheckSpec>,
    /// A liveness probe: instances that fail it are killed and restarted (Kubernetes).
    #[serde(default)]
    pub liveness: Option<crate::health::LivenessSpec>,
    /// A Kubernetes HorizontalPodAutoscaler: `instances` is where it starts.
    #[serde(default)]
    pub autoscaling: Option<crate::autoscaling::AutoscalingSpec>,
    /// Instances configured unlike their peers (configuration drift).
    #[serde(default)]
    pub drift: Vec<crate::drift::DriftSpec>,
    /// How its work grows with the requests its instances serve at once (default: it does
    /// not).
    #[serde(default)]
    pub contention: Option<crate::contention::ContentionSpec>,
}

impl ServiceSpec {
    /// Instances allocated for a run: `instances`, or with an autoscaler as many as it may
    /// ever have.
    pub fn allocated_instances(&self) -> u32 {
        self.autoscaling
            .as_ref()
            .map_or(self.instances, |a| a.max_replicas.max(self.instances))
    }
}

/// Whether a worker is held while a request waits on a downstream call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Concurrency {
    /// One worker (thread) per request from admission to answer, held while it waits on calls:
    /// a slow dependency exhausts the workers, as in servlet containers and most RPC servers.
    #[default]
    ThreadPerRequest,
    /// Workers are needed only for local work; a request waiting on a call holds none (event
    /// loops, async runtimes). It still counts against `capacity`.
    Async,
}

/// What a service does with deadlines.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineSpec {
    /// Forward the remaining budget of the request (minus `margin`) as the deadline of every
    /// call it makes, as gRPC does; the call's own timeout still applies if shorter.
    #[serde(default)]
    pub propagate: bool,
    /// Budget kept back when propagating, for the work after the call returns.
    #[serde(default)]
    pub margin: SimDuration,
    /// Drop a request whose deadline has already passed instead of working on it (when it
    /// arrives and when a worker takes it from the queue); many real servers do not.
    #[serde(default)]
    pub drop_expired: bool,
}

/// One outgoing route of a service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The next service.
    pub to: String,
    /// The probability of going there, in [0, 1] (default 1).
    #[serde(default = "one")]
    pub probability: f64,
}

fn one() -> f64 {
    1.0
}

fn one_instance() -> u32 {
    1
}
