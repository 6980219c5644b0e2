//! Health checking as a scenario writes it: a readiness check at the load balancer
//! ([`HealthCheckSpec`], Envoy's active health checking and Kubernetes readiness probes) and a
//! liveness probe that restarts instances ([`LivenessSpec`], Kubernetes), with the range checks
//! each applies ([`check_health_check`], [`check_liveness`]).

use serde::{Deserialize, Serialize};
use sim_core::SimDuration;

/// How a probe reaches the instance's handler.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProbeMode {
    /// A real request: it waits behind the calls queued when it arrives and needs a worker, so
    /// an overloaded instance answers it late or not at all (an HTTP probe served by the
    /// application's own thread pool: the Kubernetes default in practice).
    #[default]
    Queued,
    /// Answered at once by a path that does not share the workers (an admin port, a
    /// dedicated probe thread): only a crashed, paused or black-holed instance fails it.
    Priority,
}

/// Active health checking at a service's load balancer: instances that fail it stop getting
/// traffic until they pass again. Defaults are Kubernetes' readiness-probe defaults; the field
/// names are Envoy's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckSpec {
    /// Time between probes of one instance (Envoy `interval`, Kubernetes `periodSeconds`;
    /// default 10 s).
    #[serde(default = "ten_seconds")]
    pub interval: SimDuration,
    /// A probe not answered within this fails (default 1 s).
    #[serde(default = "one_second")]
    pub timeout: SimDuration,
    /// Consecutive failures that mark a healthy instance unhealthy (Envoy
    /// `unhealthy_threshold`, Kubernetes `failureThreshold`; default 3).
    #[serde(default = "three")]
    pub unhealthy_threshold: u32,
    /// Consecutive successes that mark an unhealthy instance healthy again (Envoy
    /// `healthy_threshold`, Kubernetes `successThreshold`; default 1).
    #[serde(default = "one")]
    pub healthy_threshold: u32,
    /// Each interval is lengthened by a uniform draw in `[0, interval_jitter]` (Envoy
    /// `interval_jitter`; default 0).
    #[serde(default)]
    pub interval_jitter: SimDuration,
    /// Whether the probe queues behind real work (default) or is answered at once.
    #[serde(default)]
    pub probe: ProbeMode,
    /// When fewer than this percentage of the instances are healthy, the balancer ignores
    /// health and spreads over every instance up (Envoy's `healthy_panic_threshold`, default
    /// 50). 0 turns panic mode off: with no healthy instance there is nowhere to send a
    /// request, as with a Kubernetes Service whose pods are all unready.
    #[serde(default = "fifty")]
    pub panic_threshold: f64,
}

/// Kubernetes' CrashLoopBackOff: the wait before restarting an instance that keeps failing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestartBackoffSpec {
    /// The wait before the second restart in a row; each later one doubles it (default 10 s).
    /// The first restart is immediate.
    #[serde(default = "ten_seconds")]
    pub initial: SimDuration,
    /// The longest wait (default 300 s).
    #[serde(default = "three_hundred_seconds")]
    pub max: SimDuration,
    /// An instance that ran this long before failing starts a new loop: its next restart is
    /// immediate again (default 600 s, twice the longest wait, as the kubelet does).
    #[serde(default = "six_hundred_seconds")]
    pub reset_after: SimDuration,
}

impl Default for RestartBackoffSpec {
    fn default() -> Self {
        ron::from_str("()").expect("every field has a default")
    }
}

/// A restarted instance's first minutes: work takes `slowdown` times longer for `duration`
/// (empty caches, a JIT not yet warm, connection pools to refill).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColdStartSpec {
    /// How long it stays cold after it starts serving.
    pub duration: SimDuration,
    /// How many times longer its work takes meanwhile (at least 1).
    pub slowdown: f64,
}

/// A Kubernetes liveness probe: an instance that fails it `failure_threshold` times in a row
/// is killed and restarted, after the CrashLoopBackOff wait and its start-up time, empty and
/// possibly cold. Defaults are Kubernetes'.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivenessSpec {
    /// Time between probes (`periodSeconds`, default 10 s).
    #[serde(default = "ten_seconds")]
    pub period: SimDuration,
    /// A probe not answered within this fails (`timeoutSeconds`, default 1 s).
    #[serde(default = "one_second")]
    pub timeout: SimDuration,
    /// Consecutive failures that kill the instance (`failureThreshold`, default 3).
    #[serde(default = "three")]
    pub failure_threshold: u32,
    /// Whether the probe queues behind real work (default) or is answered at once.
    #[serde(default)]
    pub probe: ProbeMode,
    /// No probe until this long after the instance starts serving
    /// (`initialDelaySeconds`, default 0).
    #[serde(default)]
    pub initial_delay: SimDuration,
    /// From the restart to serving again: the process starting (default 0).
    #[serde(default)]
    pub startup: SimDuration,
    /// The wait before each restart (CrashLoopBackOff).
    #[serde(default)]
    pub restart_backoff: RestartBackoffSpec,
    /// How a restarted instance is slow at first, if it is.
    #[serde(default)]
    pub cold_start: Option<ColdStartSpec>,
}

fn ten_seconds() -> SimDuration {
    SimDuration::from_secs(10)
}
fn one_second() -> SimDuration {
    SimDuration::from_secs(1)
}
fn three_hundred_seconds() -> SimDuration {
    SimDuration::from_secs(300)
}
fn six_hundred_seconds() -> SimDuration {
    SimDuration::from_secs(600)
}
fn one() -> u32 {
    1
}
fn three() -> u32 {
    3
}
fn fifty() -> f64 {
    50.0
}

/// Range checks of a health check: `(field, message)` pairs, empty if it is valid.
pub fn check_health_check(spec: &HealthCheckSpec) -> Vec<(String, String)> {
    let mut out = Vec::new();
    positive(&mut out, "interval", spec.interval);
    positive(&mut out, "timeout", spec.timeout);
    at_least_one(&mut out, "unhealthy_threshold", spec.unhealthy_threshold);
    at_least_one(&mut out, "healthy_threshold", spec.healthy_threshold);
    if !(0.0..=100.0).contains(&spec.panic_threshold) {
        out.push((
            "panic_threshold".to_string(),
            format!(
                "is a percentage of the instances, in [0, 100] (Envoy healthy_panic_threshold); got {}",
                spec.panic_threshold
            ),
        ));
    }
    out
}

/// Range checks of a liveness probe: `(field, message)` pairs, empty if it is valid.
pub fn check_liveness(spec: &LivenessSpec) -> Vec<(String, String)> {
    let mut out = Vec::new();
    positive(&mut out, "period", spec.period);
    positive(&mut out, "timeout", spec.timeout);
    at_least_one(&mut out, "failure_threshold", spec.failure_threshold);
    let b = &spec.restart_backoff;
    if b.max < b.initial {
        out.push((
            "restart_backoff.max".to_string(),
            format!(
                "is the longest wait, so it must be at least initial ({}); got {}",
                b.initial, b.max
            ),
        ));
    }
    if let Some(c) = &spec.cold_start {
        if !(c.slowdown.is_finite() && c.slowdown >= 1.0) {
            out.push((
                "cold_start.slowdown".to_string(),
                format!(
                    "is how many times longer work takes while cold, at least 1; got {}",
                    c.slowdown
                ),
            ));
        }
    }
    out
}

fn positive(out: &mut Vec<(String, String)>, field: &str, value: SimDuration) {
    if value == SimDuration::ZERO {
        out.push((field.to_string(), "must be longer than 0".to_string()));
    }
}

fn at_least_one(out: &mut Vec<(String, String)>, field: &str, value: u32) {
    if value == 0 {
        out.push((
            field.to_string(),
            "counts consecutive probes, so it must be at least 1 (0 would change state without any probe)".to_string(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_kubernetes_probe_defaults() {
        let h: HealthCheckSpec = ron::from_str("()").unwrap();
        assert_eq!(h.interval, SimDuration::from_secs(10));
        assert_eq!(h.timeout, SimDuration::from_secs(1));
        assert_eq!((h.unhealthy_threshold, h.healthy_threshold), (3, 1));
        assert_eq!(h.panic_threshold, 50.0);
        let l: LivenessSpec = ron::from_str("()").unwrap();
        assert_eq!(
            (l.period, l.failure_threshold),
            (SimDuration::from_secs(10), 3)
        );
        assert_eq!(l.restart_backoff.initial, SimDuration::from_secs(10));
        assert_eq!(l.restart_backoff.max, SimDuration::from_secs(300));
        assert_eq!(l.restart_backoff.reset_after, SimDuration::from_secs(600));
    }

    #[test]
    fn a_zero_threshold_and_an_inverted_backoff_are_refused_by_field() {
        let h: HealthCheckSpec = ron::from_str("(healthy_threshold: 0)").unwrap();
        let fields: Vec<String> = check_health_check(&h).into_iter().map(|p| p.0).collect();
        assert_eq!(fields, ["healthy_threshold"]);
        let l: LivenessSpec = ron::from_str(
            r#"(failure_threshold: 0, restart_backoff: (initial: "60s", max: "30s"))"#,
        )
        .unwrap();
        let fields: Vec<String> = check_liveness(&l).into_iter().map(|p| p.0).collect();
        assert_eq!(fields, ["failure_threshold", "restart_backoff.max"]);
    }
}
