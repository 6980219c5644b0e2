//! Health checking while the system runs: a load balancer's active health check (readiness)
//! that takes failing instances out of its rotation, and a liveness probe that kills and
//! restarts them, as Envoy and Kubernetes do.
//!
//! A probe is sent to one instance every interval (each instance's first at a random point of
//! the first interval: instances do not start in step; Envoy's `interval_jitter` adds to each
//! interval). A `Queued` probe is a real request to the handler: it waits behind the calls
//! queued when it arrives and is answered when a worker takes it — when as many workers have
//! been handed on as there were calls ahead of it, plus one. Its own work is not modelled (a
//! probe handler is cheap), and calls shed from the queue ahead of it still count as ahead: a
//! shedding instance answers its probe a little later than it would. A `Priority` probe is
//! answered at once. Either way a crashed instance refuses the probe (a failure at once), a
//! paused one answers when it thaws, a black-holed one never, and a probe unanswered at its
//! timeout fails. Probes are sent by something on the instance's own machine (the kubelet, a
//! sidecar): the network between services does not touch them.
//!
//! Results count in runs (`Streak`): `unhealthy_threshold` failures in a row mark an instance
//! unhealthy, `healthy_threshold` successes healthy again. `failure_threshold` liveness
//! failures in a row kill it: it goes down as a crash does (its calls end `crashed`), waits out
//! Kubernetes' CrashLoopBackOff (`CrashLoop`), starts up, and serves again empty, unhealthy to
//! the health check until it passes, and cold if `cold_start` says so. Only one probe of each
//! kind is out at a time, as the kubelet's prober waits for each.
//!
//! Files: `spec.rs` (the scenario's fields, defaults and range checks), `prober.rs` (the
//! state machines, plain data); the service drives them in `service/health.rs` and the world
//! schedules probes and restarts in `world/health.rs`.

mod prober;
mod spec;

pub use prober::{
    CrashLoop, HealthStats, InstanceHealth, InstanceNow, Pending, ProbeKind, Prober, Sent, Streak,
    Verdict,
};
pub use spec::{
    check_health_check, check_liveness, ColdStartSpec, HealthCheckSpec, LivenessSpec, ProbeMode,
    RestartBackoffSpec,
};
