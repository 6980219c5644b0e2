//! Autoscaling: the Kubernetes HorizontalPodAutoscaler on a service, with the time a new
//! instance takes to provision and warm up, and the grace a removed one gets to finish.
//!
//! An autoscaled service has `max_replicas` instances allocated from the start; those beyond
//! its `instances` are `Off` (down, as if crashed, and out of rotation). Every `sync_period`
//! the service measures each serving instance (percent of its workers busy over the period,
//! from busy gauges of its own, `Autoscaler::busy`, which the service keeps as the report's
//! statistics keep theirs; or requests in it now), `hpa::recommend` turns that
//! into a recommendation (⌈ready × metric / target⌉, the tolerance, instances not yet ready
//! counted idle when scaling up), and `Hpa::decide` stabilises it (a scale-down takes the
//! highest recommendation of its 300 s window), rate-limits it (by default up to 4 instances or
//! 100 % per 15 s up, 100 % per 15 s down) and bounds it (`min_replicas`, or a `floor` in
//! force, to `max_replicas`). New instances are `Provisioning` for `provisioning`, then serve,
//! empty and cold; removed ones (those provisioning first, then the newest serving) leave the
//! balancer at once (`Draining`) and stop after `termination_grace`, ending what they still
//! hold `crashed`. A draining instance is not reused: with every instance allocated, scale-up
//! stops at the ones `Off`.
//!
//! Files: `spec.rs` (fields, defaults, checks), `hpa.rs` (the controller's arithmetic, plain
//! data, tested against the reference). The service drives it in `service/autoscale.rs`; the
//! world schedules syncs, provisioning and terminations in `world/autoscale.rs`.

mod hpa;
mod spec;

pub use hpa::{recommend, Hpa, Observation};
pub use spec::{check, AutoscalingSpec, ReplicaFloor, ScaleMetric, ScalingRules, MAX_REPLICAS};

use sim_core::{Gauge, SimTime};

/// Where one allocated instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replica {
    /// Not provisioned.
    Off,
    /// Starting; serves from the provisioning event of this epoch.
    Provisioning {
        /// Which provisioning this is, so that a cancelled one's event is ignored.
        epoch: u32,
    },
    /// In rotation.
    Serving,
    /// Out of rotation, finishing what it holds until it is stopped.
    Draining,
}

/// Scaling actions and counts since the warm-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScaleStats {
    /// Syncs that added instances.
    pub scale_ups: u64,
    /// Syncs that removed instances.
    pub scale_downs: u64,
    /// Instances that started provisioning.
    pub provisioned: u64,
    /// Instances stopped after draining.
    pub terminated: u64,
    /// Time during which instances it asked for were still provisioning: the autoscaler's
    /// lag (ended spells only; see [`Autoscaler::lag_since`]).
    pub under_provisioned: sim_core::SimDuration,
    /// Calls to the service that ended during that time, as its callers saw them, and those
    /// that failed: the lag's cost to the service's objective.
    pub calls_under_provisioned: u64,
    /// See `calls_under_provisioned`.
    pub failed_under_provisioned: u64,
}

/// The autoscaler of one service.
#[derive(Clone, Debug)]
pub struct Autoscaler {
    /// Its configuration.
    pub spec: AutoscalingSpec,
    /// Its memory of recommendations and scale events.
    pub hpa: Hpa,
    /// Each allocated instance's state.
    pub replicas: Vec<Replica>,
    /// Each instance's busy workers since the last sync, which the utilization metric
    /// averages; reset at every sync and at the warm-up (as the report's are), so that a sync
    /// after the warm-up measures from there.
    pub busy: Vec<Gauge>,
    /// Provisionings started so far (the next epoch).
    pub epochs: u32,
    /// Since when instances have been provisioning, if some are.
    pub lag_since: Option<SimTime>,
    /// Since the warm-up.
    pub stats: ScaleStats,
}

impl Autoscaler {
    /// An autoscaler over `allocated` instances of which the first `initial` serve.
    pub fn new(spec: AutoscalingSpec, initial: u32, allocated: usize) -> Self {
        Autoscaler {
            spec,
            hpa: Hpa::new(initial),
            replicas: (0..allocated)
                .map(|i| {
                    if i < initial as usize {
                        Replica::Serving
                    } else {
                        Replica::Off
                    }
                })
                .collect(),
            busy: vec![Gauge::new(); allocated],
            epochs: 0,
            lag_since: None,
            stats: ScaleStats::default(),
        }
    }

    /// Instances serving or provisioning: the replicas the controller counts as current.
    pub fn current(&self) -> u32 {
        self.replicas
            .iter()
            .filter(|r| matches!(r, Replica::Serving | Replica::Provisioning { .. }))
            .count() as u32
    }

    /// The lowest replicas allowed at `now`: `min_replicas`, or the latest floor in force.
    pub fn min_at(&self, now: SimTime) -> u32 {
        self.spec
            .floors
            .iter()
            .rev()
            .find(|f| SimTime::ZERO + f.at <= now)
            .map_or(self.spec.min_replicas, |f| {
                f.min_replicas.max(self.spec.min_replicas)
            })
    }
}
