//! Autoscaling as a scenario writes it ([`AutoscalingSpec`]: the Kubernetes
//! HorizontalPodAutoscaler's fields and defaults, with the provisioning a new instance needs)
//! and its range checks ([`check`]).

use crate::health::ColdStartSpec;
use serde::{Deserialize, Serialize};
use sim_core::SimDuration;

/// What the autoscaler holds at its target, averaged over the instances.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ScaleMetric {
    /// Percent of an instance's workers busy, averaged over the sync period (the HPA's CPU
    /// `averageUtilization`).
    Utilization(f64),
    /// Requests in an instance (in service, queued, or waiting on calls) at the sync, per
    /// instance (an `AverageValue` target on a custom metric).
    InFlight(f64),
}

/// One rate rule of an HPA `behavior`: at most `pods` instances, or `percent` of those there at
/// the start of the last `period`, may be added (or removed) per `period`; the rule allowing
/// the larger change wins (`selectPolicy: Max`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingRules {
    /// A `Pods` policy's value, if any.
    #[serde(default)]
    pub pods: Option<u32>,
    /// A `Percent` policy's value, if any.
    #[serde(default)]
    pub percent: Option<f64>,
    /// The policies' `periodSeconds` (default 15 s).
    #[serde(default = "fifteen_seconds")]
    pub period: SimDuration,
    /// `stabilizationWindowSeconds`: a scale-down uses the highest recommendation of this
    /// window, a scale-up the lowest.
    pub stabilization: SimDuration,
}

/// A floor on the replicas from a time on: scheduled or predictive scaling (KEDA's cron
/// scaler, a forecast) ahead of a known peak.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicaFloor {
    /// From when.
    pub at: SimDuration,
    /// The new minimum.
    pub min_replicas: u32,
}

/// The Kubernetes HorizontalPodAutoscaler on a service: every `sync_period` it sets
/// desired = ⌈current × metric / target⌉, within `tolerance`, stabilised and rate-limited by its
/// behaviour, between `min_replicas` and `max_replicas`. The service's `instances` is where
/// it starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingSpec {
    /// Fewest instances (default 1).
    #[serde(default = "one")]
    pub min_replicas: u32,
    /// Most instances.
    pub max_replicas: u32,
    /// What it holds at target.
    pub metric: ScaleMetric,
    /// Time between its decisions (the controller's `--horizontal-pod-autoscaler-sync-period`,
    /// default 15 s).
    #[serde(default = "fifteen_seconds")]
    pub sync_period: SimDuration,
    /// A ratio of metric to target within `1 ± tolerance` changes nothing (default 0.1).
    #[serde(default = "tenth")]
    pub tolerance: f64,
    /// Scale-up behaviour (default: 100 % or 4 instances per 15 s, no stabilisation).
    #[serde(default = "scale_up_default")]
    pub scale_up: ScalingRules,
    /// Scale-down behaviour (default: 100 % per 15 s after a 300 s stabilisation window).
    #[serde(default = "scale_down_default")]
    pub scale_down: ScalingRules,
    /// From the decision to add an instance until it serves: scheduling, image pull, start-up
    /// (default 30 s).
    #[serde(default = "thirty_seconds")]
    pub provisioning: SimDuration,
    /// How a new instance is slow at first, if it is.
    #[serde(default)]
    pub cold_start: Option<ColdStartSpec>,
    /// A removed instance stops getting requests at once and is stopped this long after
    /// (`terminationGracePeriodSeconds`, default 30 s); calls still there end `crashed`.
    #[serde(default = "thirty_seconds")]
    pub termination_grace: SimDuration,
    /// Floors on the replicas from given times (scheduled or predictive scaling).
    #[serde(default)]
    pub floors: Vec<ReplicaFloor>,
}

fn one() -> u32 {
    1
}
fn tenth() -> f64 {
    0.1
}
fn fifteen_seconds() -> SimDuration {
    SimDuration::from_secs(15)
}
fn thirty_seconds() -> SimDuration {
    SimDuration::from_secs(30)
}
fn scale_up_default() -> ScalingRules {
    ScalingRules {
        pods: Some(4),
        percent: Some(100.0),
        period: fifteen_seconds(),
        stabilization: SimDuration::ZERO,
    }
}
fn scale_down_default() -> ScalingRules {
    ScalingRules {
        pods: None,
        percent: Some(100.0),
        period: fifteen_seconds(),
        stabilization: SimDuration::from_secs(300),
    }
}

/// The most instances an autoscaled service may have: each is allocated up front.
pub const MAX_REPLICAS: u32 = 10_000;

/// Range checks, given the service's starting `instances`: `(field, message)` pairs, empty if
/// the HPA would accept it.
pub fn check(spec: &AutoscalingSpec, instances: u32) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut bad = |field: &str, message: String| out.push((field.to_string(), message));
    if spec.min_replicas == 0 {
        bad(
            "min_replicas",
            "must be at least 1 (the HPA does not scale to zero)".to_string(),
        );
    }
    if spec.max_replicas < spec.min_replicas {
        bad(
            "max_replicas",
            format!(
                "must be at least min_replicas ({}); got {}",
                spec.min_replicas, spec.max_replicas
            ),
        );
    }
    if spec.max_replicas > MAX_REPLICAS {
        bad(
            "max_replicas",
            format!("at most {MAX_REPLICAS}; got {}", spec.max_replicas),
        );
    }
    if !(spec.min_replicas..=spec.max_replicas).contains(&instances) {
        bad(
            "min_replicas",
            format!(
                "the service starts with {instances} instance(s), outside [min_replicas, max_replicas] = [{}, {}]",
                spec.min_replicas, spec.max_replicas
            ),
        );
    }
    let target = match spec.metric {
        ScaleMetric::Utilization(t) | ScaleMetric::InFlight(t) => t,
    };
    if !(target.is_finite() && target > 0.0) {
        bad(
            "metric",
            format!("the target must be above 0; got {target}"),
        );
    }
    if matches!(spec.metric, ScaleMetric::Utilization(t) if t > 100.0) {
        bad(
            "metric",
            format!(
                "a utilisation target is a percentage of the workers, at most 100; got {target}"
            ),
        );
    }
    if spec.sync_period == SimDuration::ZERO {
        bad("sync_period", "must be longer than 0".to_string());
    }
    if !(spec.tolerance.is_finite() && (0.0..1.0).contains(&spec.tolerance)) {
        bad(
            "tolerance",
            format!("must be in [0, 1); got {}", spec.tolerance),
        );
    }
    for (name, rules) in [
        ("scale_up", &spec.scale_up),
        ("scale_down", &spec.scale_down),
    ] {
        if rules.pods.is_none() && rules.percent.is_none() {
            bad(
                name,
                "needs a pods or a percent policy, or it could never scale".to_string(),
            );
        }
        if rules.pods == Some(0) {
            bad(&format!("{name}.pods"), "must be at least 1".to_string());
        }
        if let Some(p) = rules.percent {
            if !(p.is_finite() && p > 0.0) {
                bad(
                    &format!("{name}.percent"),
                    format!("must be above 0; got {p}"),
                );
            }
        }
        if rules.period == SimDuration::ZERO {
            bad(
                &format!("{name}.period"),
                "must be longer than 0".to_string(),
            );
        }
    }
    if let Some(c) = &spec.cold_start {
        if !(c.slowdown.is_finite() && c.slowdown >= 1.0) {
            bad(
                "cold_start.slowdown",
                format!(
                    "is how many times longer work takes while cold, at least 1; got {}",
                    c.slowdown
                ),
            );
        }
    }
    for (k, f) in spec.floors.iter().enumerate() {
        if f.min_replicas > spec.max_replicas {
            bad(
                &format!("floors.{k}.min_replicas"),
                format!(
                    "above max_replicas ({}); got {}",
                    spec.max_replicas, f.min_replicas
                ),
            );
        }
        if k > 0 && f.at < spec.floors[k - 1].at {
            bad(
                &format!("floors.{k}.at"),
                "floors must be in time order".to_string(),
            );
        }
    }
    out
}
