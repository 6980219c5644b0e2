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
//! | `BlackHole` | the instances accept requests and never answer: callers find out by their timeouts |
//! | `CorruptResponses` | a `fraction` of the service's successful answers arrive corrupted: the caller sees `corrupted` |
//! | `Partition` | messages between the places of side `a` and side `b` are lost (only a → b if `one_way`) |
//! | `NetworkDelay` | messages between `a` and `b` take `extra` longer |
//! | `PacketLoss` | messages between `a` and `b` are lost with probability `loss` |
//! | `FlappingLink` | the link between `a` and `b` fails and is repaired at random (`fail_rate`, `repair_rate`); down, it loses everything |
//!
//! Places in network faults are zone names, service or client names, or one instance as
//! `"service#2"`; an empty side means everywhere. Client load changes (steps, ramps, spikes) are
//! part of each client's `schedule`.

use crate::ids::{indexed_by, FaultId, InstanceId, ServiceId};
use crate::network::{NetEffect, Place};
use crate::rate::Rate;
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
    /// Instances accept requests and never answer (a hung process, a misrouted VIP).
    BlackHole {
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
    /// A fraction of the service's successful answers arrive corrupted; the caller sees an
    /// error (`corrupted`).
    CorruptResponses {
        /// The service.
        service: String,
        /// When it starts.
        start: SimDuration,
        /// How long it lasts.
        duration: SimDuration,
        /// Probability that an answer is corrupted, in [0, 1].
        fraction: f64,
    },
    /// Messages between side `a` and side `b` are lost; with `one_way`, only those from `a` to `b`.
    Partition {
        /// Places on one side.
        a: Vec<String>,
        /// Places on the other side.
        b: Vec<String>,
        /// Drop only messages from `a` to `b`.
        #[serde(default)]
        one_way: bool,
        /// When it starts.
        start: SimDuration,
        /// How long until it heals.
        duration: SimDuration,
        /// Hold the messages it blocks and deliver them when it heals, as a TCP sender
        /// retransmitting until then would, instead of dropping them (the default).
        #[serde(default)]
        hold: bool,
    },
    /// Messages between `a` and `b` take `extra` longer.
    NetworkDelay {
        /// Places on one side (default: everywhere).
        #[serde(default)]
        a: Vec<String>,
        /// Places on the other side (default: everywhere).
        #[serde(default)]
        b: Vec<String>,
        /// Added one-way latency.
        extra: SimDuration,
        /// When it starts.
        start: SimDuration,
        /// How long it lasts.
        duration: SimDuration,
    },
    /// Messages between `a` and `b` are lost with probability `loss`.
    PacketLoss {
        /// Places on one side (default: everywhere).
        #[serde(default)]
        a: Vec<String>,
        /// Places on the other side (default: everywhere).
        #[serde(default)]
        b: Vec<String>,
        /// Loss probability, in [0, 1].
        loss: f64,
        /// When it starts.
        start: SimDuration,
        /// How long it lasts.
        duration: SimDuration,
    },
    /// The link between `a` and `b` fails after exponential times of mean `1/fail_rate` and is
    /// repaired after exponential times of mean `1/repair_rate`; while down it loses everything.
    FlappingLink {
        /// Places on one side (default: everywhere).
        #[serde(default)]
        a: Vec<String>,
        /// Places on the other side (default: everywhere).
        #[serde(default)]
        b: Vec<String>,
        /// Failures per unit of up time (e.g. `"6/min"`).
        fail_rate: Rate,
        /// Repairs per unit of down time.
        repair_rate: Rate,
        /// When it starts (the link is up then).
        start: SimDuration,
        /// How long it flaps; the link is up afterwards.
        duration: SimDuration,
    },
    /// A store replica's clock steps forward by `by` (back, with `backwards`) at `at`: what an
    /// NTP step or a migrated VM does to a lease. Only stores keep clocks.
    ClockJump {
        /// The store.
        service: String,
        /// The replica (default: every replica).
        #[serde(default)]
        instance: Option<u32>,
        /// When it jumps.
        at: SimDuration,
        /// By how much.
        by: SimDuration,
        /// Step the clock back instead of forward.
        #[serde(default)]
        backwards: bool,
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
    /// The service the fault hits, if it hits one (network faults hit places).
    pub fn service(&self) -> Option<&str> {
        match self {
            FaultSpec::Crash { service, .. }
            | FaultSpec::Slowdown { service, .. }
            | FaultSpec::CapacityLoss { service, .. }
            | FaultSpec::Pause { service, .. }
            | FaultSpec::ErrorInjection { service, .. }
            | FaultSpec::BlackHole { service, .. }
            | FaultSpec::CorruptResponses { service, .. }
            | FaultSpec::ClockJump { service, .. } => Some(service),
            _ => None,
        }
    }

    /// The instance the fault names, if it names one.
    pub fn instance(&self) -> Option<u32> {
        match self {
            FaultSpec::Crash { instance, .. }
            | FaultSpec::CapacityLoss { instance, .. }
            | FaultSpec::Pause { instance, .. }
            | FaultSpec::BlackHole { instance, .. }
            | FaultSpec::ClockJump { instance, .. } => *instance,
            _ => None,
        }
    }

    /// The two sides of a network fault.
    pub fn sides(&self) -> Option<(&[String], &[String])> {
        match self {
            FaultSpec::Partition { a, b, .. }
            | FaultSpec::NetworkDelay { a, b, .. }
            | FaultSpec::PacketLoss { a, b, .. }
            | FaultSpec::FlappingLink { a, b, .. } => Some((a, b)),
            _ => None,
        }
    }

    /// When the fault starts and, if it ends, when.
    pub fn window(&self) -> (SimDuration, Option<SimDuration>) {
        match self {
            FaultSpec::Crash {
                at, restart_after, ..
            } => (*at, restart_after.map(|r| *at + r)),
            FaultSpec::ClockJump { at, .. } => (*at, None),
            FaultSpec::Slowdown {
                start, duration, ..
            }
            | FaultSpec::BlackHole {
                start, duration, ..
            }
            | FaultSpec::CorruptResponses {
                start, duration, ..
            }
            | FaultSpec::Partition {
                start, duration, ..
            }
            | FaultSpec::NetworkDelay {
                start, duration, ..
            }
            | FaultSpec::PacketLoss {
                start, duration, ..
            }
            | FaultSpec::FlappingLink {
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
    /// Instances accept and never answer.
    BlackHole,
    /// Successful answers are corrupted with this probability.
    Corrupt(f64),
    /// A network fault between the fault's two sides.
    Network(NetEffect, bool),
    /// A flapping link: failures and repairs per second.
    Flapping(f64, f64),
    /// A fault on a store, which the store's own model applies: the services' world leaves
    /// it alone.
    Elsewhere,
}

/// A fault ready to apply: service and instances by index, times in simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// What it does.
    pub kind: FaultKind,
    /// The service (network faults: none).
    pub service: Option<ServiceId>,
    /// The two sides of a network fault.
    pub sides: (Vec<Place>, Vec<Place>),
    /// The instances it hits (`None`: all).
    pub instance: Option<InstanceId>,
    /// When it starts.
    pub start: SimTime,
    /// When it ends, if it does.
    pub end: Option<SimTime>,
}

indexed_by!(FaultId, Fault);

impl Fault {
    /// Compiles a checked spec; `service` is the service it names, `place`
    /// resolves the names of network places.
    pub(crate) fn new(
        spec: &FaultSpec,
        service: Option<ServiceId>,
        place: &dyn Fn(&str) -> Place,
    ) -> Fault {
        let kind = match spec {
            FaultSpec::ClockJump { .. } => FaultKind::Elsewhere,
            FaultSpec::Crash { .. } => FaultKind::Crash,
            FaultSpec::Slowdown { factor, .. } => FaultKind::Slowdown(*factor),
            FaultSpec::CapacityLoss { workers, .. } => FaultKind::CapacityLoss(*workers),
            FaultSpec::Pause { .. } => FaultKind::Pause,
            FaultSpec::ErrorInjection { fraction, mode, .. } => {
                FaultKind::ErrorInjection(*fraction, *mode)
            }
            FaultSpec::BlackHole { .. } => FaultKind::BlackHole,
            FaultSpec::CorruptResponses { fraction, .. } => FaultKind::Corrupt(*fraction),
            FaultSpec::Partition {
                one_way,
                hold: true,
                start,
                duration,
                ..
            } => FaultKind::Network(
                NetEffect::Hold(SimTime((*start + *duration).as_nanos())),
                *one_way,
            ),
            FaultSpec::Partition { one_way, .. } => {
                FaultKind::Network(NetEffect::Partition, *one_way)
            }
            FaultSpec::NetworkDelay { extra, .. } => {
                FaultKind::Network(NetEffect::Delay(*extra), false)
            }
            FaultSpec::PacketLoss { loss, .. } => FaultKind::Network(NetEffect::Loss(*loss), false),
            FaultSpec::FlappingLink {
                fail_rate,
                repair_rate,
                ..
            } => FaultKind::Flapping(fail_rate.per_second(), repair_rate.per_second()),
        };
        let sides = spec.sides().map_or((Vec::new(), Vec::new()), |(a, b)| {
            (
                a.iter().map(|n| place(n)).collect(),
                b.iter().map(|n| place(n)).collect(),
            )
        });
        let (start, end) = spec.window();
        Fault {
            kind,
            service,
            sides,
            instance: spec.instance().map(|i| InstanceId::new(i as usize)),
            start: SimTime(start.as_nanos()),
            end: end.map(|e| SimTime(e.as_nanos())),
        }
    }

    /// A fault on a store, as the services' world holds it: in its place in the list (so
    /// fault numbers stay those of the scenario), doing nothing there.
    pub(crate) fn elsewhere(spec: &FaultSpec) -> Fault {
        let (start, end) = spec.window();
        Fault {
            kind: FaultKind::Elsewhere,
            service: None,
            sides: (Vec::new(), Vec::new()),
            instance: spec.instance().map(|i| InstanceId::new(i as usize)),
            start: SimTime(start.as_nanos()),
            end: end.map(|e| SimTime(e.as_nanos())),
        }
    }

    /// Whether it hits instance `i`.
    pub fn hits(&self, i: usize) -> bool {
        self.instance.is_none_or(|j| j.index() == i)
    }

    /// Whether it is in force at `now`: started, and not yet over.
    pub fn in_force(&self, now: SimTime) -> bool {
        self.start <= now && self.end.is_none_or(|end| now < end)
    }
}
