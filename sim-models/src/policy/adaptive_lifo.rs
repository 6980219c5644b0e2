//! Facebook's controlled delay with adaptive LIFO ("Fail at Scale", Maurer, ACM Queue 2015).
//!
//! Controlled delay: a request joining the queue gets a timeout of `n` (100 ms) if the queue
//! has been empty within the last `n`, and only `m` (5 ms) if it has not — a standing queue,
//! where waiting longer would only add delay. A request whose queue wait passes its timeout is
//! dropped. Adaptive LIFO: while the queue is standing, workers take the newest request
//! first, whose caller is most likely still waiting; otherwise the oldest, as usual.

use super::server_policy::ServerPolicy;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimTime};

/// Controlled delay and adaptive LIFO as written in a scenario; defaults are the paper's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdaptiveLifoSpec {
    /// Timeout in a standing queue (`M`, default 5 ms).
    #[serde(default = "five_ms")]
    pub m: SimDuration,
    /// Timeout otherwise, and how long the queue must have been non-empty to be standing
    /// (`N`, default 100 ms).
    #[serde(default = "hundred_ms")]
    pub n: SimDuration,
    /// Serve newest first while the queue is standing (default true; false keeps only the
    /// controlled-delay timeouts).
    #[serde(default = "yes")]
    pub lifo: bool,
}

impl Default for AdaptiveLifoSpec {
    fn default() -> Self {
        AdaptiveLifoSpec {
            m: five_ms(),
            n: hundred_ms(),
            lifo: true,
        }
    }
}

fn five_ms() -> SimDuration {
    SimDuration::from_millis(5)
}
fn hundred_ms() -> SimDuration {
    SimDuration::from_millis(100)
}
fn yes() -> bool {
    true
}

/// A running controlled-delay queue policy.
#[derive(Clone, Debug)]
pub struct AdaptiveLifo {
    spec: AdaptiveLifoSpec,
    /// The last time the queue was empty (`queue.lastEmptyTime`).
    last_empty: SimTime,
    /// Whether the queue is empty now.
    empty: bool,
}

impl AdaptiveLifo {
    /// A policy whose queue starts empty.
    pub fn new(spec: AdaptiveLifoSpec) -> Self {
        AdaptiveLifo {
            spec,
            last_empty: SimTime::ZERO,
            empty: true,
        }
    }

    /// Whether the queue has not been empty for the last `n`: a standing queue.
    pub fn standing(&self, now: SimTime) -> bool {
        !self.empty && self.last_empty.0.saturating_add(self.spec.n.as_nanos()) < now.0
    }
}

impl ServerPolicy for AdaptiveLifo {
    fn name(&self) -> &str {
        "adaptive_lifo"
    }

    fn enqueue(&mut self, now: SimTime, queued: usize) -> Option<SimDuration> {
        if queued == 0 {
            // It was empty until now.
            self.last_empty = now;
            self.empty = false;
        }
        Some(if self.standing(now) {
            self.spec.m
        } else {
            self.spec.n
        })
    }

    fn dequeue(&mut self, now: SimTime, waited: Option<SimDuration>, left: usize) -> bool {
        if waited.is_none() || left == 0 {
            self.last_empty = now;
            self.empty = true;
        }
        false // the timeouts given at enqueue do the dropping
    }

    fn newest_first(&mut self, now: SimTime) -> bool {
        self.spec.lifo && self.standing(now)
    }

    fn level(&self) -> Option<f64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    #[test]
    fn a_queue_not_empty_for_longer_than_n_gives_the_short_timeout_and_serves_newest_first() {
        let mut p = AdaptiveLifo::new(AdaptiveLifoSpec::default());
        let n = SimDuration::from_millis(100);
        let m = SimDuration::from_millis(5);
        assert_eq!(p.enqueue(at(1000), 0), Some(n));
        assert!(!p.newest_first(at(1050)));
        assert_eq!(p.enqueue(at(1100), 3), Some(n)); // exactly N: not yet standing
        assert_eq!(p.enqueue(at(1101), 4), Some(m));
        assert!(p.newest_first(at(1101)));
        // The queue drains: no longer standing, FIFO and long timeouts again.
        p.dequeue(at(1200), Some(m), 0);
        assert!(!p.newest_first(at(1250)));
        assert_eq!(p.enqueue(at(1250), 0), Some(n));
    }

    #[test]
    fn lifo_can_be_switched_off_keeping_the_timeouts() {
        let mut p = AdaptiveLifo::new(AdaptiveLifoSpec {
            lifo: false,
            ..AdaptiveLifoSpec::default()
        });
        p.enqueue(at(0), 0);
        assert_eq!(p.enqueue(at(500), 9), Some(SimDuration::from_millis(5)));
        assert!(!p.newest_first(at(500)));
    }
}
