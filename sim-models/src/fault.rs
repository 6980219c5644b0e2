//! Faults on a timeline: what goes wrong, where and when.
//!
//! Faults are data in the scenario (`faults: [...]`), compiled here into [`Fault`]s that name
//! services and instances by index. The [`World`](crate::World) schedules a start and an end event
//! for each and applies them; pauses are known in advance, so an instance computes the exact
//! completion time of its work around them when the work starts.
//!
//! | fault | effect while active |
//! |---|---|
//! | `Crash` | the instance is down: its queued and in-service requests are lost (`crashed`); it restarts after `restart_after`, empty |
//! | `Slowdown` | work started at the service takes `factor` times longer |
//! | `CapacityLoss` | each target instance has only `workers` workers; busy ones beyond that finish and retire |
//! | `Pause` | the instance freezes (a GC or stop-the-world pause): nothing progresses, nothing is lost |
//! | `ErrorInjection` | a `fraction` of arriving requests fail (`injected`): at once (`Fast`) or after being served (`Slow`) |

use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimTime};

/// A fault as written in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FaultSpec {
    /// Instances go down at `at`, losing their queued and in-service requests, and come back
    /// empty after `restart_after` (never, if absent).
    Crash {
        /// The service.
        service: String,
        /// The instance (default: every instance).
        #[serde(default)]
        instance: Option<u32>,
        /// When it crashes.
        at: SimDuration,
        /// How long until it restarts.
        #[serde(default)]
        restart_after: Option<SimDuration>,
    },
    /// Work started at the service takes `factor` times as long.
    Slowdown {
        /// The service.
        service: String,
        /// When it starts.
        start: SimDuration,
        /// How long it lasts.
        duration: SimDuration,
        /// Multiplier of service times (> 0; above 1 slows down).
        factor: f64,
    },
    /// Instances keep only `workers` workers (a CPU throttle, lost threads).
    CapacityLoss {
        /// The service.
        service: String,
        /// The instance (default: every instance).
        #[serde(default)]
        instance: Option<u32>,
        /// When it starts.
        start: SimDuration,
        /// How long it lasts.
        duration: SimDuration,
        /// Workers per instance while it lasts (may be 0).
        workers: u32,
    },
    /// Instances freeze: no work progresses, nothing is lost; work resumes where it stopped.
    Pause {
        /// The service.
        service: String,
        /// The instance (default: every instance).
        #[serde(default)]
        instance: Option<u32>,
        /// When it starts.
        start: SimDuration,
        /// How long it lasts.
        duration: SimDuration,
    },
    /// A fraction of the requests arriving at the service fail.
    ErrorInjection {
        /// The service.
        service: String,
        /// When it starts.
        start: SimDuration,
        /// How long it lasts.
        duration: SimDuration,
        /// Probability that an arriving request fails, in [0, 1].
        fraction: f64,
        /// `Fast`: fail on arrival; `Slow`: fail after being served (default `Fast`).
        #[serde(default)]
        mode: FailureMode,
    },
}

/// When an injected failure shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailureMode {
    /// At once, without using a worker.
    #[default]
    Fast,
    /// After the request has been served, wasting the work.
    Slow,
}

impl FaultSpec {
    /// The service the fault hits.
    pub fn service(&self) -> &str {
        match self {
            FaultSpec::Crash { service, .. }
            | FaultSpec::Slowdown { service, .. }
            | FaultSpec::CapacityLoss { service, .. }
            | FaultSpec::Pause { service, .. }
            | FaultSpec::ErrorInjection { service, .. } => service,
        }
    }

    /// The instance the fault names, if it names one.
    pub fn instance(&self) -> Option<u32> {
        match self {
            FaultSpec::Crash { instance, .. }
            | FaultSpec::CapacityLoss { instance, .. }
            | FaultSpec::Pause { instance, .. } => *instance,
            FaultSpec::Slowdown { .. } | FaultSpec::ErrorInjection { .. } => None,
        }
    }

    /// When the fault starts and, if it ends, when.
    pub fn window(&self) -> (SimDuration, Option<SimDuration>) {
        match self {
            FaultSpec::Crash {
                at, restart_after, ..
            } => (*at, restart_after.map(|r| *at + r)),
            FaultSpec::Slowdown {
                start, duration, ..
            }
            | FaultSpec::CapacityLoss {
                start, duration, ..
            }
            | FaultSpec::Pause {
                start, duration, ..
            }
            | FaultSpec::ErrorInjection {
                start, duration, ..
            } => (*start, Some(*start + *duration)),
        }
    }
}

/// What a compiled fault does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FaultKind {
    /// Instances go down, losing their work.
    Crash,
    /// Service times × factor.
    Slowdown(f64),
    /// Workers per instance.
    CapacityLoss(u32),
    /// Instances freeze (applied through [`crate::Instance`]'s pause windows).
    Pause,
    /// Arrivals fail with this probability, fast or slow.
    ErrorInjection(f64, FailureMode),
}

/// A fault ready to apply: service and instances by index, times in simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// What it does.
    pub kind: FaultKind,
    /// Index of the service.
    pub service: u32,
    /// The instances it hits (`None`: all).
    pub instance: Option<u32>,
    /// When it starts.
    pub start: SimTime,
    /// When it ends, if it does.
    pub end: Option<SimTime>,
}

impl Fault {
    /// Compiles a checked spec; `service` is the index of the service it names.
    pub(crate) fn new(spec: &FaultSpec, service: u32) -> Fault {
        let kind = match spec {
            FaultSpec::Crash { .. } => FaultKind::Crash,
            FaultSpec::Slowdown { factor, .. } => FaultKind::Slowdown(*factor),
            FaultSpec::CapacityLoss { workers, .. } => FaultKind::CapacityLoss(*workers),
            FaultSpec::Pause { .. } => FaultKind::Pause,
            FaultSpec::ErrorInjection { fraction, mode, .. } => {
                FaultKind::ErrorInjection(*fraction, *mode)
            }
        };
        let (start, end) = spec.window();
        Fault {
            kind,
            service,
            instance: spec.instance(),
            start: SimTime(start.as_nanos()),
            end: end.map(|e| SimTime(e.as_nanos())),
        }
    }

    /// Whether it hits instance `i`.
    pub fn hits(&self, i: usize) -> bool {
        self.instance.is_none_or(|j| j as usize == i)
    }
}
