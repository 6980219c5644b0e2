//! Resilience4j's `CircuitBreakerStateMachine`: a count or epoch-second time window
//! (`window.rs`), slow calls, a minimum number of calls, a number of half-open probes and
//! growing open waits.

use super::state::{is_failure, BreakerScope, BreakerState};
use super::window::{BreakerWindow, Window};
use crate::outcome::Outcome;
use crate::policy::hooks::Hooks;
use crate::policy::{Arrival, CallerPolicy, Ended, Verdict};
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimRng, SimTime};

/// Resilience4j's circuit breaker configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resilience4jBreakerSpec {
    /// `slidingWindowType` and `slidingWindowSize` (default `Count(100)`).
    #[serde(default = "r4j_window")]
    pub window: BreakerWindow,
    /// `minimumNumberOfCalls` (default 100; a count window caps it at its size).
    #[serde(default = "hundred")]
    pub minimum_calls: u32,
    /// `failureRateThreshold` in percent, in (0, 100] (default 50).
    #[serde(default = "fifty")]
    pub failure_rate_threshold: f64,
    /// `slowCallRateThreshold` in percent, in (0, 100] (default 100).
    #[serde(default = "hundred_f")]
    pub slow_call_rate_threshold: f64,
    /// `slowCallDurationThreshold`: a call is slow if it takes strictly longer (default 60 s).
    #[serde(default = "sixty_seconds")]
    pub slow_call_duration: SimDuration,
    /// `waitDurationInOpenState` (default 60 s).
    #[serde(default = "sixty_seconds")]
    pub wait_in_open: SimDuration,
    /// Multiplier of `IntervalFunction.ofExponentialBackoff(wait_in_open, m)` for the open
    /// wait after each failed probe round (default 1: constant).
    #[serde(default = "one")]
    pub wait_multiplier: f64,
    /// Cap of the growing open wait.
    #[serde(default)]
    pub max_wait_in_open: Option<SimDuration>,
    /// `permittedNumberOfCallsInHalfOpenState` (default 10).
    #[serde(default = "ten")]
    pub permitted_in_half_open: u32,
    /// `automaticTransitionFromOpenToHalfOpenEnabled` (default false).
    #[serde(default)]
    pub automatic_transition: bool,
    /// `maxWaitDurationInHalfOpenState`; 0 (default) waits for the probes forever.
    #[serde(default)]
    pub max_wait_in_half_open: SimDuration,
    /// `transitionToStateAfterWaitDuration`: `Open` (default) or `Closed`.
    #[serde(default)]
    pub after_half_open_wait: AfterHalfOpen,
    /// The outcomes recorded as failures (`recordExceptions`; default every error).
    #[serde(default)]
    pub record: Option<Vec<Outcome>>,
    /// Which calls it may refuse: `All` (default, the library's behaviour) or `RetriesOnly`.
    #[serde(default)]
    pub scope: BreakerScope,
}

/// Where Resilience4j goes when the half-open maximum wait expires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AfterHalfOpen {
    /// Open again.
    #[default]
    Open,
    /// Close.
    Closed,
}

fn r4j_window() -> BreakerWindow {
    BreakerWindow::Count(100)
}
fn hundred() -> u32 {
    100
}
fn ten() -> u32 {
    10
}
fn fifty() -> f64 {
    50.0
}
fn hundred_f() -> f64 {
    100.0
}
fn one() -> f64 {
    1.0
}
fn sixty_seconds() -> SimDuration {
    SimDuration::from_millis(60_000)
}

impl Default for Resilience4jBreakerSpec {
    fn default() -> Self {
        ron::from_str("()").expect("every field has a default")
    }
}

/// Resilience4j's `CircuitBreakerStateMachine`.
#[derive(Clone, Debug)]
pub struct Resilience4jBreaker {
    spec: Resilience4jBreakerSpec,
    state: BreakerState,
    window: Window,
    /// Size of the current window (the half-open one has `permitted_in_half_open` slots).
    size: u32,
    /// Recorded calls needed before a decision.
    minimum: u32,
    /// When the current state began.
    since: SimTime,
    /// The open wait in force.
    wait: SimDuration,
    /// Times opened since the last close (Resilience4j's `attempts`).
    opened: u32,
    /// Half-open probes still permitted.
    permits: u32,
}

impl Resilience4jBreaker {
    /// A closed breaker.
    pub fn new(spec: Resilience4jBreakerSpec) -> Self {
        let mut b = Resilience4jBreaker {
            window: Window::new(spec.window),
            spec,
            state: BreakerState::Closed,
            size: 0,
            minimum: 0,
            since: SimTime::ZERO,
            wait: SimDuration::ZERO,
            opened: 0,
            permits: 0,
        };
        b.close(SimTime::ZERO);
        b
    }

    /// The state at `now` (timed transitions applied).
    pub fn state(&mut self, now: SimTime) -> BreakerState {
        self.advance(now);
        self.state
    }

    fn close(&mut self, now: SimTime) {
        self.state = BreakerState::Closed;
        self.since = now;
        self.opened = 0;
        self.window = Window::new(self.spec.window);
        (self.size, self.minimum) = match self.spec.window {
            BreakerWindow::Count(n) => (n, self.spec.minimum_calls.min(n)),
            BreakerWindow::Time(n) => (n, self.spec.minimum_calls),
        };
    }

    fn open(&mut self, now: SimTime) {
        self.opened += 1;
        self.state = BreakerState::Open;
        self.since = now;
        // `IntervalFunction.ofExponentialBackoff(wait, multiplier)`, whole milliseconds.
        let mut ms = (self.spec.wait_in_open.as_nanos() / 1_000_000) as f64;
        for _ in 1..self.opened {
            ms = (ms * self.spec.wait_multiplier).floor();
        }
        let mut wait = SimDuration::from_nanos_f64(ms * 1e6);
        if let Some(cap) = self.spec.max_wait_in_open {
            wait = wait.min(cap);
        }
        self.wait = wait;
    }

    fn half_open(&mut self, now: SimTime) {
        let p = self.spec.permitted_in_half_open;
        self.state = BreakerState::HalfOpen;
        self.since = now;
        self.permits = p;
        self.window = Window::new(BreakerWindow::Count(p));
        self.size = p;
        self.minimum = self.spec.minimum_calls.min(p);
    }

    /// Applies the transitions driven by timers (automatic half-open, half-open maximum wait).
    fn advance(&mut self, now: SimTime) {
        if self.state == BreakerState::Open
            && self.spec.automatic_transition
            && now >= self.since + self.wait
        {
            let at = self.since + self.wait;
            self.half_open(at);
        }
        let max = self.spec.max_wait_in_half_open;
        if self.state == BreakerState::HalfOpen
            && max > SimDuration::ZERO
            && now >= self.since + max
        {
            let at = self.since + max;
            match self.spec.after_half_open_wait {
                AfterHalfOpen::Open => self.open(at),
                AfterHalfOpen::Closed => self.close(at),
            }
            self.advance(now);
        }
    }
}

impl CallerPolicy for Resilience4jBreaker {
    fn hooks(&self) -> Hooks {
        Hooks::ADMIT | Hooks::RECORD | Hooks::LEVEL
    }

    fn name(&self) -> &str {
        "circuit_breaker"
    }

    fn admit(&mut self, now: SimTime, arrival: &Arrival, _: &mut SimRng) -> Verdict {
        self.advance(now);
        if self.spec.scope.passes(arrival.attempt) {
            return Verdict::Pass; // no permit taken: first tries are not probes
        }
        match self.state {
            BreakerState::Closed => Verdict::Pass,
            // Lazy transition: the first call strictly after the wait moves to half-open and
            // takes a permit itself.
            BreakerState::Open if now > self.since + self.wait => {
                self.half_open(now);
                self.permits -= 1;
                Verdict::Pass
            }
            BreakerState::Open => Verdict::reject(Outcome::CircuitOpen),
            BreakerState::HalfOpen if self.permits > 0 => {
                self.permits -= 1;
                Verdict::Pass
            }
            BreakerState::HalfOpen => Verdict::reject(Outcome::CircuitOpen),
        }
    }

    fn record(&mut self, now: SimTime, ended: &Ended) {
        self.advance(now);
        if self.state == BreakerState::Open {
            return; // recorded into the metrics of the open state: no effect
        }
        let failed = is_failure(&self.spec.record, ended.outcome);
        let slow = ended.latency > self.spec.slow_call_duration;
        let t = self.window.record(now, failed, slow, self.size);
        if t.calls == 0 || t.calls < self.minimum {
            return;
        }
        let failure_rate = t.failed as f64 * 100.0 / t.calls as f64;
        let slow_rate = t.slow as f64 * 100.0 / t.calls as f64;
        let exceeded = failure_rate >= self.spec.failure_rate_threshold
            || slow_rate >= self.spec.slow_call_rate_threshold;
        match (self.state, exceeded) {
            (BreakerState::Closed, true) => self.open(now),
            (BreakerState::HalfOpen, true) => self.open(now),
            (BreakerState::HalfOpen, false) => self.close(now),
            _ => {}
        }
    }

    fn level(&mut self, now: SimTime) -> Option<f64> {
        Some(self.state(now).level())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ended, passes, t};
    use super::*;

    fn r4j(window: BreakerWindow, minimum_calls: u32) -> Resilience4jBreaker {
        Resilience4jBreaker::new(Resilience4jBreakerSpec {
            window,
            minimum_calls,
            wait_in_open: SimDuration::from_millis(1000),
            permitted_in_half_open: 3,
            ..Default::default()
        })
    }

    #[test]
    fn resilience4j_trips_at_exactly_the_threshold_not_below() {
        // Window of 10, threshold 50%: 4 failures of 10 stay closed, the 5th trips (≥).
        let mut b = r4j(BreakerWindow::Count(10), 10);
        for i in 0..10 {
            let o = if i < 4 {
                Outcome::Timeout
            } else {
                Outcome::Completed
            };
            b.record(t(i), &ended(o, 1));
        }
        assert_eq!(b.state(t(10)), BreakerState::Closed);
        b.record(t(11), &ended(Outcome::Timeout, 1)); // evicts a failure: still 4 of 10
        assert_eq!(b.state(t(11)), BreakerState::Closed);
        b.record(t(12), &ended(Outcome::Timeout, 1)); // evicts a failure: still 4 of 10
        b.record(t(13), &ended(Outcome::Timeout, 1));
        b.record(t(14), &ended(Outcome::Timeout, 1));
        b.record(t(15), &ended(Outcome::Timeout, 1)); // 5 of 10: 50% ≥ 50%
        assert_eq!(b.state(t(15)), BreakerState::Open);
        assert!(!passes(&mut b, t(16)));
    }

    #[test]
    fn resilience4j_never_trips_below_the_minimum_number_of_calls() {
        let mut b = r4j(BreakerWindow::Count(100), 20);
        for i in 0..19 {
            b.record(t(i), &ended(Outcome::Rejected, 1));
        }
        assert_eq!(
            b.state(t(19)),
            BreakerState::Closed,
            "19 failures < 20 calls"
        );
        b.record(t(20), &ended(Outcome::Rejected, 1));
        assert_eq!(b.state(t(20)), BreakerState::Open);
    }

    #[test]
    fn resilience4j_slow_calls_are_strictly_slower_than_the_threshold() {
        let spec = Resilience4jBreakerSpec {
            window: BreakerWindow::Count(4),
            minimum_calls: 4,
            slow_call_rate_threshold: 100.0,
            slow_call_duration: SimDuration::from_millis(100),
            ..Default::default()
        };
        let mut b = Resilience4jBreaker::new(spec.clone());
        for i in 0..4 {
            b.record(t(i), &ended(Outcome::Completed, 100)); // exactly the threshold: not slow
        }
        assert_eq!(b.state(t(5)), BreakerState::Closed);
        let mut b = Resilience4jBreaker::new(spec);
        for i in 0..4 {
            b.record(t(i), &ended(Outcome::Completed, 101));
        }
        assert_eq!(b.state(t(5)), BreakerState::Open);
    }

    #[test]
    fn resilience4j_half_open_admits_exactly_the_permitted_probes_then_decides() {
        let mut b = r4j(BreakerWindow::Count(4), 4);
        for i in 0..4 {
            b.record(t(i), &ended(Outcome::Timeout, 1));
        }
        assert_eq!(b.state(t(3)), BreakerState::Open);
        // Opened at 3 ms with a 1 s wait: at exactly 1003 ms still open (strictly after).
        assert!(!passes(&mut b, t(1003)));
        let admitted = (0..10).filter(|_| passes(&mut b, t(1004))).count();
        assert_eq!(admitted, 3, "three probes, no more");
        assert_eq!(b.state(t(1004)), BreakerState::HalfOpen);
        for _ in 0..3 {
            b.record(t(1010), &ended(Outcome::Completed, 1));
        }
        assert_eq!(b.state(t(1010)), BreakerState::Closed);
    }

    #[test]
    fn resilience4j_failed_probes_reopen_with_a_growing_wait() {
        let mut b = Resilience4jBreaker::new(Resilience4jBreakerSpec {
            window: BreakerWindow::Count(2),
            minimum_calls: 2,
            wait_in_open: SimDuration::from_millis(1000),
            wait_multiplier: 2.0,
            permitted_in_half_open: 1,
            ..Default::default()
        });
        b.record(t(0), &ended(Outcome::Timeout, 1));
        b.record(t(0), &ended(Outcome::Timeout, 1));
        assert!(passes(&mut b, t(1001)));
        b.record(t(1001), &ended(Outcome::Timeout, 1)); // the probe fails: open for 2 s
        assert_eq!(b.state(t(1001)), BreakerState::Open);
        assert!(!passes(&mut b, t(3001)));
        assert!(passes(&mut b, t(3002)));
    }

    #[test]
    fn resilience4j_time_windows_align_to_whole_seconds() {
        // A 2-second window holds the current partial second and the previous whole one.
        let mut b = r4j(BreakerWindow::Time(2), 4);
        b.record(t(100), &ended(Outcome::Timeout, 1));
        b.record(t(900), &ended(Outcome::Timeout, 1));
        b.record(t(1100), &ended(Outcome::Timeout, 1));
        // At 2.05 s second 0 has left the window (seconds 1 and 2 remain): only 1 + 1 calls.
        b.record(t(2050), &ended(Outcome::Timeout, 1));
        assert_eq!(b.state(t(2050)), BreakerState::Closed, "2 calls in window");
        b.record(t(2060), &ended(Outcome::Timeout, 1));
        b.record(t(2070), &ended(Outcome::Timeout, 1));
        assert_eq!(
            b.state(t(2070)),
            BreakerState::Open,
            "4 calls in seconds 1-2"
        );
    }

    #[test]
    fn resilience4j_windows_grow_with_the_calls_seen_not_with_their_size() {
        for window in [
            BreakerWindow::Count(u32::MAX),
            BreakerWindow::Time(u32::MAX),
        ] {
            let mut b = r4j(window, 1000);
            for i in 0..500 {
                b.record(t(i * 10), &ended(Outcome::Completed, 1));
            }
            let kept = match &b.window {
                Window::Count { ring, .. } => ring.capacity(),
                Window::Time { buckets, .. } => buckets.capacity(),
            };
            assert!(kept <= 1024, "{window:?} keeps room for {kept} entries");
            assert_eq!(b.state(t(5000)), BreakerState::Closed);
        }
    }

    #[test]
    fn resilience4j_automatic_transition_is_half_open_at_exactly_the_wait() {
        let mut b = Resilience4jBreaker::new(Resilience4jBreakerSpec {
            window: BreakerWindow::Count(1),
            minimum_calls: 1,
            wait_in_open: SimDuration::from_millis(500),
            automatic_transition: true,
            ..Default::default()
        });
        b.record(t(0), &ended(Outcome::Timeout, 1));
        assert_eq!(b.state(t(499)), BreakerState::Open);
        assert_eq!(b.state(t(500)), BreakerState::HalfOpen);
    }
}
