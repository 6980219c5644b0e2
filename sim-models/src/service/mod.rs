//! A service: one or more identical instances behind a load balancer, each with `workers` servers
//! in front of one FIFO queue, optionally bounded.
//!
//! One instance is the station of queueing theory (M/M/c, M/M/c/K, M/G/1, …). The service decides
//! what happens to an arriving request (which instance; start, queue or reject there) and which
//! queued request a freed worker takes next; the [`World`](crate::World) schedules the events.
//!
//! A service's state is [`Service`], here, built from [`ServiceParts`]; what it does is in one
//! file per concept: `admission.rs` (an arrival: which instance, refused, shed, or admitted to
//! a worker or the queue), `workers.rs` (busy workers, freed workers taking the next queued
//! call, local work, the server policies' levels), `faults.rs` (the faults in force: crashes,
//! capacity losses, slowdowns, error injections, corruption, black holes), `outlier.rs`
//! (outlier detection at its balancer), `health.rs` (health checks and liveness restarts),
//! `autoscale.rs` (the autoscaler) and `stats.rs` (how it names its instances to observers,
//! the autoscaler's lagging counts, and the operations' figures at the warm-up and the run's
//! end). What its servers measure it tells its observers (the `server_*` hooks); the world's
//! [`Statistics`](crate::Statistics) record it.

mod admission;
mod autoscale;
mod faults;
mod health;
mod ops_level;
mod outlier;
mod stats;
mod workers;

pub use admission::Admission;
pub use ops_level::OpsLevel;

use crate::fault::FailureMode;
use crate::ids::{indexed_by, CallId, EdgeId, ServiceId};
use crate::instance::Instance;
use crate::load_balancer::{Balancer, LoadBalancer};
use crate::outlier_detection::{OutlierDetector, OutlierSpec};
use crate::policy::{PolicyLevel, ServerLayer};
use crate::program::Program;
use crate::scenario::{Concurrency, DeadlineSpec};
use sim_core::{SimDuration, SimRng};

/// The state of one service during a run.
#[derive(Clone, Debug)]
pub struct Service {
    /// Its name in the scenario.
    pub name: String,
    /// Workers per instance, as configured.
    pub workers: u32,
    /// Its instances.
    pub instances: Vec<Instance>,
    /// Its steps, compiled.
    pub(crate) program: Program,
    /// Whether waiting on a call holds a worker.
    pub(crate) concurrency: Concurrency,
    /// What it does with deadlines.
    pub(crate) deadlines: DeadlineSpec,
    /// Message sizes, for links with a bandwidth.
    pub(crate) request_bytes: u64,
    pub(crate) response_bytes: u64,
    balancer: Balancer,
    service_rng: SimRng,
    /// Cumulative probabilities, the next service and the edge to it; past the last, the
    /// request leaves.
    routes: Vec<(f64, ServiceId, EdgeId)>,
    routing_rng: SimRng,
    /// Factors of the slowdowns in force.
    slowdowns: Vec<f64>,
    /// Failure probabilities and modes of the error injections in force.
    injections: Vec<(f64, FailureMode)>,
    /// Corruption probabilities of the corrupted-response faults in force.
    corruptions: Vec<f64>,
    errors_rng: SimRng,
    /// Instances up and not ejected now: the load balancer's candidates.
    eligible: usize,
    /// Instances up and in rotation: the candidates in panic mode.
    panic_pool: usize,
    /// Instances in rotation, up or not: what the panic threshold is a share of (an
    /// autoscaler's instances off, provisioning or draining are not).
    members: usize,
    /// Envoy outlier detection at its load balancer, if configured.
    outlier: Option<OutlierDetector>,
    outlier_rng: SimRng,
    /// Instances ejected, over time (a level in `server_levels`' last place when on).
    ejected_level: Option<PolicyLevel>,
    /// Health checks and liveness probes, if configured.
    prober: Option<crate::health::Prober>,
    health_rng: SimRng,
    /// With a health check: the percentage of healthy instances under which the balancer
    /// spreads over every instance up.
    panic_threshold: Option<f64>,
    /// Its autoscaler, if any.
    autoscaler: Option<crate::autoscaling::Autoscaler>,
    /// Whether instances its autoscaler asked for are provisioning now.
    lagging: bool,
    /// How its work grows with concurrency.
    pub(crate) contention: Option<crate::contention::ContentionSpec>,
    /// With processor sharing: each instance's shared processor (empty otherwise).
    pub(crate) sharing: Vec<crate::sharing::Sharing>,
    /// Its caches, numbered as its program's `Cache` steps number them.
    pub(crate) caches: Vec<crate::cache::Cache>,
    /// What its operations do over time: instances unhealthy (with a health check),
    /// restarting (with a liveness probe), serving and wanted (with an autoscaler).
    ops_levels: ops_level::OpsLevels,
    /// Requests queued, workers busy and async requests parked, over all instances.
    queued_total: u64,
    busy_total: u64,
    parked_total: u64,
    /// Whether its instances run server policies.
    has_policies: bool,
    /// Whether anything learns how its requests end (server policies, outlier detection).
    pub(crate) watched: bool,
    /// Draws of its server policies.
    server_rng: SimRng,
    /// Calls its policies shed during the current event, for the world to answer.
    pub(crate) shed: Vec<CallId>,
    /// Each server policy's level over time, summed over the instances.
    pub server_levels: Vec<PolicyLevel>,
    /// Its id: what it tells its observers.
    pub(crate) id: ServiceId,
}

/// Everything needed to build a [`Service`]; the identities of its random streams derive from
/// `name`.
pub(crate) struct ServiceParts {
    pub(crate) id: ServiceId,
    pub(crate) name: String,
    pub(crate) instances: u32,
    pub(crate) zones: Vec<u16>,
    pub(crate) workers: u32,
    pub(crate) capacity: Option<u64>,
    pub(crate) load_balancer: LoadBalancer,
    pub(crate) program: Program,
    pub(crate) concurrency: Concurrency,
    pub(crate) deadlines: DeadlineSpec,
    pub(crate) request_bytes: u64,
    pub(crate) response_bytes: u64,
    pub(crate) routes: Vec<(f64, ServiceId, EdgeId)>,
    pub(crate) service_rng: SimRng,
    pub(crate) routing_rng: SimRng,
    pub(crate) balancer_rng: SimRng,
    pub(crate) errors_rng: SimRng,
    pub(crate) bucket: SimDuration,
    /// Its server policies, one copy per instance.
    pub(crate) server_layers: Vec<ServerLayer>,
    /// Priority classes of its queue (1: none).
    pub(crate) classes: usize,
    pub(crate) server_rng: SimRng,
    /// Outlier detection at its load balancer.
    pub(crate) outlier: Option<OutlierSpec>,
    pub(crate) outlier_rng: SimRng,
    /// The health check at its load balancer.
    pub(crate) health_check: Option<crate::health::HealthCheckSpec>,
    /// Its liveness probe.
    pub(crate) liveness: Option<crate::health::LivenessSpec>,
    pub(crate) health_rng: SimRng,
    /// Its autoscaler; then `instances` is the number allocated (`max_replicas`) and
    /// `initial` the number serving at the start.
    pub(crate) autoscaling: Option<crate::autoscaling::AutoscalingSpec>,
    pub(crate) initial: u32,
    /// Its caches, for its program's `Cache` steps.
    pub(crate) caches: Vec<crate::cache::Cache>,
}

indexed_by!(ServiceId, Service);

impl Service {
    /// Fails, instead of aborting the process, when the machine cannot hold its instances.
    pub(crate) fn new(p: ServiceParts) -> Result<Self, std::collections::TryReserveError> {
        let watched = !p.server_layers.is_empty() || p.outlier.is_some();
        let mut instances = Vec::new();
        instances.try_reserve_exact(p.instances as usize)?;
        instances.extend((0..p.instances as usize).map(|i| {
            let mut inst = Instance::new(p.workers, p.capacity, p.classes, p.server_layers.clone());
            if !p.zones.is_empty() {
                inst.zone = p.zones[i % p.zones.len()];
            }
            if i >= p.initial as usize {
                // Allocated for the autoscaler, not provisioned: held down and out of rotation.
                inst.up = false;
                inst.crashes_in_force = 1;
                inst.in_rotation = false;
            }
            inst
        }));
        Ok(Service {
            name: p.name,
            workers: p.workers,
            instances,
            program: p.program,
            concurrency: p.concurrency,
            deadlines: p.deadlines,
            request_bytes: p.request_bytes,
            response_bytes: p.response_bytes,
            balancer: Balancer::new(p.load_balancer, p.balancer_rng),
            service_rng: p.service_rng,
            routes: p.routes,
            routing_rng: p.routing_rng,
            slowdowns: Vec::new(),
            injections: Vec::new(),
            corruptions: Vec::new(),
            errors_rng: p.errors_rng,
            eligible: p.initial as usize,
            panic_pool: p.initial as usize,
            members: p.initial as usize,
            ejected_level: p
                .outlier
                .as_ref()
                .map(|_| PolicyLevel::new("outlier_ejected", p.bucket)),
            outlier: p
                .outlier
                .map(|spec| OutlierDetector::new(spec, p.instances as usize)),
            outlier_rng: p.outlier_rng,
            panic_threshold: p.health_check.as_ref().map(|h| h.panic_threshold),
            ops_levels: ops_level::OpsLevels::new(
                |kind| match kind {
                    OpsLevel::Unhealthy => p.health_check.is_some(),
                    OpsLevel::Restarting => p.liveness.is_some(),
                    OpsLevel::Replicas | OpsLevel::Desired => p.autoscaling.is_some(),
                },
                p.bucket,
            ),
            prober: (p.health_check.is_some() || p.liveness.is_some()).then(|| {
                crate::health::Prober::new(p.health_check, p.liveness, p.instances as usize)
            }),
            health_rng: p.health_rng,
            autoscaler: p.autoscaling.map(|spec| {
                crate::autoscaling::Autoscaler::new(spec, p.initial, p.instances as usize)
            }),
            caches: p.caches,
            lagging: false,
            contention: None,
            sharing: Vec::new(),
            queued_total: 0,
            busy_total: 0,
            parked_total: 0,
            has_policies: !p.server_layers.is_empty(),
            watched,
            server_rng: p.server_rng,
            shed: Vec::new(),
            server_levels: p
                .server_layers
                .iter()
                .map(|l| PolicyLevel::new(l.name(), p.bucket))
                .collect(),
            id: p.id,
        })
    }

    /// Requests here now, in service, queued or parked, over all instances.
    pub fn in_system(&self) -> u64 {
        self.busy_total + self.queued_total + self.parked_total
    }

    /// Its caches, one per origin its `Cache` steps name.
    pub fn caches(&self) -> &[crate::cache::Cache] {
        &self.caches
    }

    /// Workers busy now, over all instances.
    pub fn busy_workers(&self) -> u64 {
        self.busy_total
    }

    /// Requests queued now, over all instances.
    pub fn queue_length(&self) -> u64 {
        self.queued_total
    }

    /// Workers configured over all instances: the denominator of utilisation.
    pub fn total_workers(&self) -> u64 {
        self.instances.iter().map(|i| i.base_workers as u64).sum()
    }

    /// Instance `i`'s timeout on call target `k` of the program: its own if its
    /// configuration drifted, the program's otherwise.
    #[inline]
    pub(crate) fn call_timeout(&self, i: usize, k: usize) -> Option<SimDuration> {
        match self.instances[i].call_timeouts.get(k) {
            Some(&t) => t,
            None => self.program.calls[k].timeout,
        }
    }

    /// Whether a request waiting on a call keeps its worker.
    #[inline]
    pub(crate) fn holds_worker_while_waiting(&self) -> bool {
        self.concurrency == Concurrency::ThreadPerRequest
    }

    /// Where a request served here goes next — another service and the edge to it — or `None`
    /// to answer.
    #[inline]
    pub(crate) fn route(&mut self) -> Option<(ServiceId, EdgeId)> {
        if self.routes.is_empty() {
            return None;
        }
        let u = sim_core::open01(&mut self.routing_rng);
        self.routes
            .iter()
            .find(|(cum, _, _)| u < *cum)
            .map(|&(_, to, edge)| (to, edge))
    }

    /// Picks the path of a branch: the op of the chosen path among `paths`, or `None` for
    /// the probability left over.
    #[inline]
    pub(crate) fn branch(&mut self, first: u32, count: u16) -> Option<u16> {
        let u = sim_core::open01(&mut self.routing_rng);
        let paths = &self.program.branches[first as usize..first as usize + count as usize];
        paths.iter().find(|(cum, _)| u < *cum).map(|&(_, pc)| pc)
    }
}
