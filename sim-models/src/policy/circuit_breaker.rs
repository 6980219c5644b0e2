//! Circuit breakers: stop calling a dependency that keeps failing, then probe it.
//!
//! ```text
//!            failure or slow-call rate ≥ threshold
//!            (after the minimum number of calls)
//!   CLOSED ─────────────────────────────────────────▶ OPEN ◀──────────┐
//!     ▲                                                │ wait in open   │ probes fail
//!     │ probes succeed                                 ▼                │
//!     └──────────────────────────────────────────── HALF_OPEN ──────────┘
//! ```
//!
//! Two libraries' versions, exactly: Resilience4j (count or epoch-second time window, slow
//! calls, minimum calls, a number of half-open probes, growing open waits) and Polly v8 (a
//! rolling time window of ten buckets, evaluated on failures only, one probe at a time).

use super::hooks::Hooks;
use super::{CallerPolicy, Ended, Verdict};
use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimRng, SimTime};
use std::collections::VecDeque;

/// A circuit breaker as written in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum BreakerSpec {
    /// Resilience4j `CircuitBreakerConfig`; every default is the library's.
    Resilience4j(Resilience4jBreakerSpec),
    /// Polly v8 `CircuitBreakerStrategyOptions`; every default is the library's.
    Polly(PollyBreakerSpec),
}

/// Resilience4j's sliding window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BreakerWindow {
    /// The last `n` calls.
    Count(u32),
    /// The calls of the current second and the previous `n − 1` whole seconds.
    Time(u32),
}

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
fn tenth() -> f64 {
    0.1
}
fn sixty_seconds() -> SimDuration {
    SimDuration::from_millis(60_000)
}
fn thirty_seconds() -> SimDuration {
    SimDuration::from_millis(30_000)
}
fn five_seconds() -> SimDuration {
    SimDuration::from_millis(5_000)
}

impl Default for Resilience4jBreakerSpec {
    fn default() -> Self {
        ron::from_str("()").expect("every field has a default")
    }
}

impl Default for PollyBreakerSpec {
    fn default() -> Self {
        ron::from_str("()").expect("every field has a default")
    }
}

/// A breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls pass and are measured.
    Closed,
    /// Calls are refused (`circuit_open`).
    Open,
    /// A limited number of probes pass.
    HalfOpen,
}

impl BreakerState {
    /// The level a time series shows: 0 closed, 1 half-open, 2 open.
    pub fn level(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        }
    }
}

fn is_failure(record: &Option<Vec<Outcome>>, outcome: Outcome) -> bool {
    match record {
        Some(list) => list.contains(&outcome),
        None => outcome.is_error(),
    }
}

// ---------------------------------------------------------------------------------------------
// Resilience4j

/// Totals of a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Totals {
    calls: u32,
    failed: u32,
    slow: u32,
}

/// Resilience4j's sliding windows. Both grow with the calls they see, never with the size the
/// scenario asks for: a window of 4,294,967,295 calls or seconds costs what the run records.
#[derive(Clone, Debug)]
enum Window {
    /// Ring buffer of the last outcomes (bit 0 failed, bit 1 slow), filled before it wraps.
    Count {
        ring: Vec<u8>,
        next: usize,
        totals: Totals,
    },
    /// The epoch seconds that saw calls, oldest first, within the last `seconds`.
    Time {
        seconds: u64,
        buckets: VecDeque<(u64, Totals)>,
        totals: Totals,
    },
}

impl Window {
    fn new(kind: BreakerWindow) -> Window {
        match kind {
            BreakerWindow::Count(_) => Window::Count {
                ring: Vec::new(),
                next: 0,
                totals: Totals::default(),
            },
            BreakerWindow::Time(n) => Window::Time {
                seconds: u64::from(n),
                buckets: VecDeque::new(),
                totals: Totals::default(),
            },
        }
    }

    fn record(&mut self, now: SimTime, failed: bool, slow: bool, size: u32) -> Totals {
        let bits = failed as u8 | (slow as u8) << 1;
        self.rotate(now);
        let add = |t: &mut Totals| {
            t.calls += 1;
            t.failed += failed as u32;
            t.slow += slow as u32;
        };
        match self {
            Window::Count { ring, next, totals } => {
                if ring.len() < size as usize {
                    ring.push(bits);
                } else {
                    let old = ring[*next];
                    totals.calls -= 1;
                    totals.failed -= (old & 1) as u32;
                    totals.slow -= (old >> 1) as u32;
                    ring[*next] = bits;
                    *next = (*next + 1) % size as usize;
                }
                add(totals);
                *totals
            }
            Window::Time {
                buckets, totals, ..
            } => {
                let sec = now.0 / 1_000_000_000;
                match buckets.back_mut() {
                    Some((s, b)) if *s == sec => add(b),
                    _ => {
                        let mut b = Totals::default();
                        add(&mut b);
                        buckets.push_back((sec, b));
                    }
                }
                add(totals);
                *totals
            }
        }
    }

    /// Drops from a time window the seconds that have left it by `now`.
    fn rotate(&mut self, now: SimTime) {
        if let Window::Time {
            seconds,
            buckets,
            totals,
        } = self
        {
            let sec = now.0 / 1_000_000_000;
            while let Some(&(s, b)) = buckets.front() {
                if s + *seconds > sec {
                    break;
                }
                totals.calls -= b.calls;
                totals.failed -= b.failed;
                totals.slow -= b.slow;
                buckets.pop_front();
            }
        }
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

    fn admit(&mut self, now: SimTime, _: &super::Arrival, _: &mut SimRng) -> Verdict {
        self.advance(now);
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

// ---------------------------------------------------------------------------------------------
// Polly

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

    fn admit(&mut self, now: SimTime, _: &super::Arrival, _: &mut SimRng) -> Verdict {
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
    use super::super::{Arrival, CallerPolicy, Ended, Verdict};
    use super::*;
    use sim_core::RngFactory;

    fn t(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }
    fn ended(outcome: Outcome, latency_ms: u64) -> Ended {
        Ended {
            outcome,
            latency: SimDuration::from_millis(latency_ms),
            attempt: 1,
            outcome_before: None,
            inflight: 0,
        }
    }
    fn passes(b: &mut dyn CallerPolicy, now: SimTime) -> bool {
        let mut rng = RngFactory::new(0).stream("x");
        matches!(b.admit(now, &Arrival::default(), &mut rng), Verdict::Pass)
    }
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

    #[test]
    fn polly_trips_on_a_failure_once_throughput_and_ratio_are_reached() {
        let mut b = PollyBreaker::new(PollyBreakerSpec {
            failure_ratio: 0.5,
            minimum_throughput: 4,
            sampling_duration: SimDuration::from_millis(10_000),
            break_duration: SimDuration::from_millis(1000),
            record: None,
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
        });
        b.record(t(0), &ended(Outcome::Timeout, 1));
        // 1.5 s later the first failure has left the window: 1 call, below throughput.
        b.record(t(1500), &ended(Outcome::Timeout, 1));
        assert_eq!(b.state(), BreakerState::Closed);
        b.record(t(1510), &ended(Outcome::Timeout, 1));
        assert_eq!(b.state(), BreakerState::Open);
    }
}
