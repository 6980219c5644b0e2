//! Polly v8's `CircuitStateController` with `AdvancedCircuitBehavior`: a rolling time window of
//! ten buckets, evaluated on failures only, one probe at a time.

use super::state::{is_failure, BreakerScope, BreakerState};
use crate::outcome::Outcome;
use crate::policy::hooks::Hooks;
use crate::policy::{Arrival, CallerPolicy, Ended, Verdict};
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimRng, SimTime};

/// Polly v8's circuit breaker configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollyBreakerSpec {
    /// `FailureRatio` in (0, 1] (default 0.1).
    #[serde(default = "tenth")]
    pub failure_ratio: f64,
    /// `MinimumThroughput`, at least 2 (default 100).
    #[serde(default = "hundred")]
    pub minimum_throughput: u32,
    /// `SamplingDuration`, at least 500 ms (default 30 s).
    #[serde(default = "thirty_seconds")]
    pub sampling_duration: SimDuration,
    /// `BreakDuration`, at least 500 ms (default 5 s).
    #[serde(default = "five_seconds")]
    pub break_duration: SimDuration,
    /// The outcomes handled as failures (`ShouldHandle`; default every error).
    #[serde(default)]
    pub record: Option<Vec<Outcome>>,
    /// Which calls it may refuse: `All` (default, the library's behaviour) or `RetriesOnly`.
    #[serde(default)]
    pub scope: BreakerScope,
}

fn hundred() -> u32 {
    100
}
fn tenth() -> f64 {
    0.1
}
fn thirty_seconds() -> SimDuration {
    SimDuration::from_millis(30_000)
}
fn five_seconds() -> SimDuration {
    SimDuration::from_millis(5_000)
}

impl Default for PollyBreakerSpec {
    fn default() -> Self {
        ron::from_str("()").expect("every field has a default")
    }
}

/// Polly v8's `CircuitStateController` with `AdvancedCircuitBehavior` and rolling health
/// metrics.
#[derive(Clone, Debug)]
pub struct PollyBreaker {
    spec: PollyBreakerSpec,
    state: BreakerState,
    /// Rolling windows: (start, successes, failures).
    windows: std::collections::VecDeque<(SimTime, u32, u32)>,
    /// Width of one window.
    width: SimDuration,
    /// Calls are blocked until then (open), or the probe's turn ends then (half-open).
    blocked_until: SimTime,
}

impl PollyBreaker {
    /// A closed breaker.
    pub fn new(spec: PollyBreakerSpec) -> Self {
        let sampling = spec.sampling_duration.as_nanos();
        // Ten windows, or one if the sampling duration is under 200 ms.
        let width = if sampling < 200_000_000 {
            sampling
        } else {
            sampling / 10
        };
        PollyBreaker {
            spec,
            state: BreakerState::Closed,
            windows: Default::default(),
            width: SimDuration::from_nanos(width),
            blocked_until: SimTime::ZERO,
        }
    }

    /// The state at `now`, as the last call left it.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    fn update_window(&mut self, now: SimTime) {
        let start_new = self.windows.back().is_none_or(|w| now - w.0 >= self.width);
        if start_new {
            self.windows.push_back((now, 0, 0));
        }
        while self
            .windows
            .front()
            .is_some_and(|w| now - w.0 >= self.spec.sampling_duration)
        {
            self.windows.pop_front();
        }
    }
}

impl CallerPolicy for PollyBreaker {
    fn hooks(&self) -> Hooks {
        Hooks::ADMIT | Hooks::RECORD | Hooks::LEVEL
    }

    fn name(&self) -> &str {
        "circuit_breaker"
    }

    fn admit(&mut self, now: SimTime, arrival: &Arrival, _: &mut SimRng) -> Verdict {
        if self.spec.scope.passes(arrival.attempt) {
            return Verdict::Pass; // the probe's turn is for a retry
        }
        match self.state {
            BreakerState::Closed => Verdict::Pass,
            // One probe: the first call after the block flips to half-open and holds the turn
            // for one break duration; if it has not finished by then, another may probe.
            BreakerState::Open | BreakerState::HalfOpen if now >= self.blocked_until => {
                self.state = BreakerState::HalfOpen;
                self.blocked_until = now + self.spec.break_duration;
                Verdict::Pass
            }
            _ => Verdict::reject(Outcome::CircuitOpen),
        }
    }

    fn record(&mut self, now: SimTime, ended: &Ended) {
        let failed = is_failure(&self.spec.record, ended.outcome);
        match (self.state, failed) {
            (BreakerState::HalfOpen, false) => {
                self.state = BreakerState::Closed;
                self.windows.clear();
            }
            (BreakerState::HalfOpen, true) => {
                self.state = BreakerState::Open;
                self.blocked_until = now + self.spec.break_duration;
            }
            (BreakerState::Closed, _) => {
                self.update_window(now);
                let w = self.windows.back_mut().expect("just updated");
                if failed {
                    w.2 += 1;
                } else {
                    w.1 += 1;
                    return; // Polly evaluates on failures only
                }
                let (ok, bad) = self
                    .windows
                    .iter()
                    .fold((0u64, 0u64), |(s, f), w| (s + w.1 as u64, f + w.2 as u64));
                let throughput = ok + bad;
                if throughput >= self.spec.minimum_throughput as u64
                    && bad as f64 / throughput as f64 >= self.spec.failure_ratio
                {
                    self.state = BreakerState::Open;
                    self.blocked_until = now + self.spec.break_duration;
                }
            }
            (BreakerState::Open, _) => {}
        }
    }

    fn level(&mut self, now: SimTime) -> Option<f64> {
        Some(match self.state {
            BreakerState::Open | BreakerState::HalfOpen if now >= self.blocked_until => {
                BreakerState::HalfOpen.level()
            }
            s => s.level(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ended, passes, t};
    use super::*;

    #[test]
    fn polly_trips_on_a_failure_once_throughput_and_ratio_are_reached() {
        let mut b = PollyBreaker::new(PollyBreakerSpec {
            failure_ratio: 0.5,
            minimum_throughput: 4,
            sampling_duration: SimDuration::from_millis(10_000),
            break_duration: SimDuration::from_millis(1000),
            record: None,
            scope: BreakerScope::All,
        });
        b.record(t(0), &ended(Outcome::Completed, 1));
        b.record(t(1), &ended(Outcome::Timeout, 1));
        b.record(t(2), &ended(Outcome::Completed, 1));
        assert_eq!(
            b.state(),
            BreakerState::Closed,
            "3 calls < minimum throughput"
        );
        b.record(t(3), &ended(Outcome::Timeout, 1)); // 2 of 4 = 0.5 ≥ 0.5
        assert_eq!(b.state(), BreakerState::Open);
        assert!(!passes(&mut b, t(1002)));
        // Exactly one probe after the break.
        assert!(passes(&mut b, t(1003)));
        assert!(!passes(&mut b, t(1004)));
        b.record(t(1010), &ended(Outcome::Completed, 1));
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn polly_forgets_windows_older_than_the_sampling_duration() {
        let mut b = PollyBreaker::new(PollyBreakerSpec {
            failure_ratio: 0.5,
            minimum_throughput: 2,
            sampling_duration: SimDuration::from_millis(1000),
            break_duration: SimDuration::from_millis(1000),
            record: None,
            scope: BreakerScope::All,
        });
        b.record(t(0), &ended(Outcome::Timeout, 1));
        // 1.5 s later the first failure has left the window: 1 call, below throughput.
        b.record(t(1500), &ended(Outcome::Timeout, 1));
        assert_eq!(b.state(), BreakerState::Closed);
        b.record(t(1510), &ended(Outcome::Timeout, 1));
        assert_eq!(b.state(), BreakerState::Open);
    }
}
