//! Resources, checked last, once everything else passes: the memory a run would need at most,
//! and a warning for a run that would take more than a few minutes.

use super::problem::Checker;
use crate::scenario::Scenario;
use sim_core::ByteSize;

/// Events past which `check` warns that a run will take a while: about five minutes at the
/// engine's speed with policies on every call.
pub const WORK_WARNING_EVENTS: f64 = 6e8;
/// The engine's speed assumed for that warning, in events per second of real time.
const ASSUMED_EVENTS_PER_SECOND: f64 = 2e6;

/// `12 minutes`, `3.5 hours`, `41 days`.
fn human_minutes(m: f64) -> String {
    if m < 90.0 {
        format!("about {m:.0} minutes")
    } else if m < 48.0 * 60.0 {
        format!("about {:.1} hours", m / 60.0)
    } else {
        format!("about {:.0} days", m / 1440.0)
    }
}

impl Scenario {
    /// Refuses a run that would need more memory than it may have, naming the fields that
    /// need it; warns about one that would take more than a few minutes of real time.
    pub(super) fn check_resources(&self, c: &mut Checker) {
        let traffic = self.traffic();
        let memory = self.memory_estimate_with(&traffic);
        let limit = self.memory_limit();
        if memory.total > limit.0 {
            let path = memory
                .parts
                .first()
                .map_or(String::new(), |p| p.path.clone());
            let set = if self.limits.max_memory.is_some() {
                "limits.max_memory"
            } else {
                "limits.max_memory, by default half the memory this process may have"
            };
            c.error(
                path,
                format!(
                    "a run would need up to {} of memory, more than {} ({set}): {}; lower these, or raise limits.max_memory if the machine has the memory",
                    ByteSize(memory.total),
                    limit,
                    memory.describe(3)
                ),
            );
        }
        let bounded = self.limits.wall_clock.is_some()
            || self
                .limits
                .max_events
                .is_some_and(|n| (n as f64) <= WORK_WARNING_EVENTS);
        if traffic.events > WORK_WARNING_EVENTS && !bounded {
            let minutes = traffic.events / ASSUMED_EVENTS_PER_SECOND / 60.0;
            let (amp, at) = &traffic.worst_amplification;
            let retries = if *amp > 1.0 {
                format!(
                    ", with up to {amp:.0} attempts per call from {}",
                    at.join(" × ")
                )
            } else {
                String::new()
            };
            c.warn(
                "duration",
                format!(
                    "up to {:.1e} events over {} ({:.1e} requests at the clients' peak rates{retries}): at about {:.0}M events/s that is {}; shorten duration, lower the rates{}, or set limits.max_events or limits.wall_clock to bound it (Ctrl-C stops a run and keeps its results)",
                    traffic.events,
                    self.duration,
                    traffic.client_requests.iter().sum::<f64>(),
                    ASSUMED_EVENTS_PER_SECOND / 1e6,
                    human_minutes(minutes),
                    if *amp > 1.0 { ", cap the attempts" } else { "" },
                ),
            );
        }
    }
}
