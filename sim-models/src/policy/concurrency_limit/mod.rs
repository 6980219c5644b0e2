//! Adaptive concurrency limits: Netflix concurrency-limits' limit algorithms (`limit/*.java`),
//! which estimate how many calls a dependency can take at once from the round-trip times and
//! drops of completed calls. A limiter admits a call iff `inflight < ⌊limit⌋` (Netflix's
//! `SimpleLimiter`); this module holds only the limit, which the limiter feeds one sample per
//! completed call.
//!
//! The semantics are those of `/work/shared/reference/policy-semantics.md` §6, which summarises
//! the Java sources; where the summary is silent the Java code decides, and where the two
//! differ the summary wins and the item says so:
//!
//! - **Fixed** (`FixedLimit`): never changes.
//! - **AIMD** (`AIMDLimit`): `⌊L·ratio⌋` on a drop or an rtt over the timeout, else `L + 1`
//!   while `inflight·2 ≥ L`; clamped to `[min, max]`.
//! - **Vegas** (`VegasLimit`, `SimpleLimiter`'s default): estimates the queue from the ratio of
//!   the no-load rtt to the current one and steps by `log₁₀`-sized amounts.
//! - **Gradient** (`GradientLimit`, v1): the gradient of the minimum rtt since the last probe
//!   against the current one, with a `√L` queue allowance and periodic probes.
//! - **Gradient2** (`Gradient2Limit`): the gradient of a long exponential average rtt against
//!   the current one, optionally behind a [`WindowSpec`] (`WindowedLimit`).
//!
//! Netflix draws randomness in two places (Vegas's probe jitter, Gradient's probe countdown)
//! from `ThreadLocalRandom`; here the caller supplies a uniform draw `u ∈ (0, 1)` from the
//! simulator's seeded stream with every sample, and the algorithms read it only where Java
//! draws (see [`Limit::sample`]), so a run stays reproducible.
//!
//! Each algorithm has a file holding its state machine, its range check and their tests:
//! `fixed.rs`, `aimd.rs`, `vegas.rs`, `gradient.rs`, `gradient2.rs`, and `window.rs` for
//! `WindowedLimit`. This file keeps what they share with the outside: [`LimitSpec`] (one enum,
//! since its variants are the RON format), the running [`Limit`] that dispatches to them, and
//! [`check`]. Their common vocabulary sits in the leaves `sample.rs` and `ranges.rs`, so no
//! algorithm depends on this file.

mod aimd;
mod fixed;
mod gradient;
mod gradient2;
mod ranges;
mod sample;
mod vegas;
mod window;

use aimd::Aimd;
use gradient::Gradient;
use gradient2::Gradient2;
use sample::Sample;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimTime};
use vegas::Vegas;
use window::Window;
pub use window::WindowSpec;

/// A limit algorithm as written in a scenario (RON). Every default is Netflix's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum LimitSpec {
    /// `FixedLimit`: always `limit`.
    Fixed {
        /// The limit (at least 1).
        limit: u32,
    },
    /// `AIMDLimit`: additive increase while busy, multiplicative decrease on a drop or a slow
    /// call.
    Aimd {
        /// `initialLimit` (default 20).
        #[serde(default = "twenty")]
        initial: u32,
        /// `minLimit` (default 20).
        #[serde(default = "twenty")]
        min: u32,
        /// `maxLimit` (default 200).
        #[serde(default = "two_hundred")]
        max: u32,
        /// `backoffRatio`, in [0.5, 1) (default 0.9).
        #[serde(default = "point_nine")]
        backoff_ratio: f64,
        /// `timeout`: a call slower than this counts as a drop (default 5 s).
        #[serde(default = "five_seconds")]
        timeout: SimDuration,
    },
    /// `VegasLimit`: TCP Vegas's queue estimate.
    Vegas {
        /// `initialLimit` (default 20).
        #[serde(default = "twenty")]
        initial: u32,
        /// `maxConcurrency` (default 1000).
        #[serde(default = "thousand")]
        max_concurrency: u32,
        /// `smoothing`, in (0, 1]: the weight of each new estimate (default 1.0).
        #[serde(default = "one_f")]
        smoothing: f64,
        /// `probeMultiplier`: the no-load rtt is probed about every `jitter·probe_multiplier·L`
        /// samples (default 30).
        #[serde(default = "thirty")]
        probe_multiplier: u32,
    },
    /// `GradientLimit` (v1): minimum rtt since the last probe against the current rtt.
    Gradient {
        /// `initialLimit` (default 50).
        #[serde(default = "fifty")]
        initial: u32,
        /// `minLimit` (default 1).
        #[serde(default = "one")]
        min: u32,
        /// `maxConcurrency` (default 1000).
        #[serde(default = "thousand")]
        max: u32,
        /// `smoothing`, in (0, 1]: applied only when the limit falls (default 0.2).
        #[serde(default = "point_two")]
        smoothing: f64,
        /// `rttTolerance`, at least 1: how much the rtt may grow over the no-load rtt before
        /// the limit falls (default 2.0).
        #[serde(default = "two_f")]
        rtt_tolerance: f64,
        /// `backoffRatio` on a drop, in [0.5, 1] (default 0.9).
        #[serde(default = "point_nine")]
        backoff_ratio: f64,
        /// `probeInterval`: samples between probes, plus a uniform `[0, probe_interval)`
        /// (default 1000); `None` turns probing off (Netflix's `-1`).
        #[serde(default = "thousand_some")]
        probe_interval: Option<u32>,
    },
    /// `Gradient2Limit`: long average rtt against the current rtt.
    Gradient2 {
        /// `initialLimit` (default 20).
        #[serde(default = "twenty")]
        initial: u32,
        /// `minLimit` (default 20).
        #[serde(default = "twenty")]
        min: u32,
        /// `maxConcurrency` (default 200).
        #[serde(default = "two_hundred")]
        max: u32,
        /// `smoothing`, in (0, 1] (default 0.2).
        #[serde(default = "point_two")]
        smoothing: f64,
        /// `queueSize`: how far the limit may grow per update while latency is flat (default 4).
        #[serde(default = "four")]
        queue_size: u32,
        /// `longWindow`: samples in the long rtt's exponential average (default 600).
        #[serde(default = "six_hundred")]
        long_window: u32,
        /// `rttTolerance`, at least 1 (default 1.5).
        #[serde(default = "one_point_five")]
        rtt_tolerance: f64,
        /// A `WindowedLimit` in front (`Some(WindowSpec::default())` is Netflix's usual
        /// wrapper); `None` (the default, as `Gradient2Limit.newDefault()`) feeds every sample
        /// straight in.
        #[serde(default)]
        window: Option<WindowSpec>,
    },
}

fn one() -> u32 {
    1
}
fn four() -> u32 {
    4
}
fn twenty() -> u32 {
    20
}
fn thirty() -> u32 {
    30
}
fn fifty() -> u32 {
    50
}
fn two_hundred() -> u32 {
    200
}
fn six_hundred() -> u32 {
    600
}
fn thousand() -> u32 {
    1000
}
fn thousand_some() -> Option<u32> {
    Some(1000)
}
fn point_two() -> f64 {
    0.2
}
fn point_nine() -> f64 {
    0.9
}
fn one_f() -> f64 {
    1.0
}
fn one_point_five() -> f64 {
    1.5
}
fn two_f() -> f64 {
    2.0
}
fn five_seconds() -> SimDuration {
    SimDuration::from_secs(5)
}

/// A running limit.
#[derive(Clone, Debug)]
pub struct Limit {
    algo: Algo,
    /// A `WindowedLimit` in front of the algorithm, when the spec asks for one.
    window: Option<Window>,
}

#[derive(Clone, Debug)]
enum Algo {
    Fixed(u32),
    Aimd(Aimd),
    Vegas(Vegas),
    Gradient(Gradient),
    Gradient2(Gradient2),
}

impl Limit {
    /// A limit at its initial value.
    pub fn new(spec: &LimitSpec) -> Limit {
        let mut window = None;
        let algo = match *spec {
            LimitSpec::Fixed { limit } => Algo::Fixed(limit),
            LimitSpec::Aimd {
                initial,
                min,
                max,
                backoff_ratio,
                timeout,
            } => Algo::Aimd(Aimd::new(initial, min, max, backoff_ratio, timeout)),
            LimitSpec::Vegas {
                initial,
                max_concurrency,
                smoothing,
                probe_multiplier,
            } => Algo::Vegas(Vegas::new(
                initial,
                max_concurrency,
                smoothing,
                probe_multiplier,
            )),
            LimitSpec::Gradient {
                initial,
                min,
                max,
                smoothing,
                rtt_tolerance,
                backoff_ratio,
                probe_interval,
            } => Algo::Gradient(Gradient::new(
                initial,
                min,
                max,
                smoothing,
                rtt_tolerance,
                backoff_ratio,
                probe_interval,
            )),
            LimitSpec::Gradient2 {
                initial,
                min,
                max,
                smoothing,
                queue_size,
                long_window,
                rtt_tolerance,
                window: ref w,
            } => {
                window = w.as_ref().map(Window::new);
                Algo::Gradient2(Gradient2::new(
                    initial,
                    min,
                    max,
                    smoothing,
                    queue_size,
                    long_window,
                    rtt_tolerance,
                ))
            }
        };
        Limit { algo, window }
    }

    /// The current limit as the limiter uses it: a call is admitted iff `inflight < limit()`.
    /// The floor of [`Limit::value`], as Java's `(int) estimatedLimit`.
    pub fn limit(&self) -> u32 {
        // `as` saturates: a value below 0 (never reached) would admit nothing.
        self.value() as u32
    }

    /// The exact internal (possibly fractional) value, for time series.
    pub fn value(&self) -> f64 {
        match &self.algo {
            Algo::Fixed(l) => *l as f64,
            Algo::Aimd(a) => a.value(),
            Algo::Vegas(v) => v.value(),
            Algo::Gradient(g) => g.value(),
            Algo::Gradient2(g) => g.value(),
        }
    }

    /// One completed call: `now`, its round-trip time, the inflight count captured when it
    /// started (Netflix's listener captures inflight after incrementing, i.e. including
    /// itself), and whether it was dropped (`onDropped`: a timeout or a rejection by the
    /// server). A call the limiter ignores (`onIgnore`) is not a sample.
    ///
    /// `u` is a uniform draw in (0, 1) from the caller's seeded stream. It is read only where
    /// Netflix draws from `ThreadLocalRandom`, and otherwise ignored:
    /// - Vegas: `probeJitter = nextDouble(0.5, 1)` becomes `0.5 + 0.5·u`, drawn on the first
    ///   sample (Java draws it in the constructor, which has no `u` here) and again on each
    ///   probe, from the `u` of the sample that probes.
    /// - Gradient (v1): `probeInterval + nextInt(probeInterval)` becomes
    ///   `probe_interval + ⌊u·probe_interval⌋`, drawn on the first sample and on each probe
    ///   likewise.
    ///
    /// A sample with a zero rtt is ignored by Vegas, Gradient and Gradient2: Java's Vegas
    /// rejects `rtt ≤ 0` before touching any state, and the Gradients would divide by it.
    pub fn sample(&mut self, now: SimTime, rtt: SimDuration, inflight: u32, dropped: bool, u: f64) {
        let mut s = Sample {
            rtt: rtt.as_nanos(),
            inflight,
            dropped,
        };
        if let Some(w) = &mut self.window {
            match w.add(now, s) {
                Some(window) => s = window,
                None => return,
            }
        }
        match &mut self.algo {
            Algo::Fixed(_) => {}
            Algo::Aimd(a) => a.update(s),
            Algo::Vegas(v) => v.update(s, u),
            Algo::Gradient(g) => g.update(s, u),
            Algo::Gradient2(g) => g.update(s),
        }
    }
}

/// Range checks, with the library's own valid range in each message: `(field, message)` pairs,
/// the field as written in the spec (`window.window_size` inside a window). Netflix checks
/// only some of these itself (AIMD's and Gradient's backoff ratio, rtt tolerance, window
/// sizes); the others (zero limits, `min > max`, an initial limit outside `[min, max]`,
/// smoothing outside (0, 1]) Netflix accepts or only logs, but they make a limit that admits
/// nothing, never moves or ignores its bounds.
pub fn check(spec: &LimitSpec) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut err = |field: &str, message: String| out.push((field.to_string(), message));
    match *spec {
        LimitSpec::Fixed { limit } => fixed::check(limit, &mut err),
        LimitSpec::Aimd {
            initial,
            min,
            max,
            backoff_ratio,
            timeout,
        } => aimd::check(initial, min, max, backoff_ratio, timeout, &mut err),
        LimitSpec::Vegas {
            initial,
            max_concurrency,
            smoothing,
            probe_multiplier,
        } => vegas::check(
            initial,
            max_concurrency,
            smoothing,
            probe_multiplier,
            &mut err,
        ),
        LimitSpec::Gradient {
            initial,
            min,
            max,
            smoothing,
            rtt_tolerance,
            backoff_ratio,
            probe_interval,
        } => gradient::check(
            initial,
            min,
            max,
            smoothing,
            rtt_tolerance,
            backoff_ratio,
            probe_interval,
            &mut err,
        ),
        LimitSpec::Gradient2 {
            initial,
            min,
            max,
            smoothing,
            long_window,
            rtt_tolerance,
            ref window,
            ..
        } => {
            gradient2::check(
                initial,
                min,
                max,
                smoothing,
                long_window,
                rtt_tolerance,
                &mut err,
            );
            if let Some(w) = window {
                window::check(w, &mut err);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const MS: u64 = 1_000_000;

    pub(super) fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    pub(super) fn at_ms(n: u64) -> SimTime {
        SimTime(n * MS)
    }

    #[test]
    fn defaults_are_netflixs() {
        let ron = |s: &str| ron::from_str::<LimitSpec>(s).unwrap();
        assert_eq!(
            ron("Aimd()"),
            LimitSpec::Aimd {
                initial: 20,
                min: 20,
                max: 200,
                backoff_ratio: 0.9,
                timeout: SimDuration::from_secs(5)
            }
        );
        assert_eq!(
            ron("Vegas()"),
            LimitSpec::Vegas {
                initial: 20,
                max_concurrency: 1000,
                smoothing: 1.0,
                probe_multiplier: 30
            }
        );
        assert_eq!(
            ron("Gradient()"),
            LimitSpec::Gradient {
                initial: 50,
                min: 1,
                max: 1000,
                smoothing: 0.2,
                rtt_tolerance: 2.0,
                backoff_ratio: 0.9,
                probe_interval: Some(1000)
            }
        );
        assert_eq!(
            ron("Gradient2()"),
            LimitSpec::Gradient2 {
                initial: 20,
                min: 20,
                max: 200,
                smoothing: 0.2,
                queue_size: 4,
                long_window: 600,
                rtt_tolerance: 1.5,
                window: None
            }
        );
        assert_eq!(
            ron("Gradient2(window: Some(()))"),
            gradient2_spec_with(Some(WindowSpec::default()))
        );
        assert_eq!(
            WindowSpec::default(),
            WindowSpec {
                min_window: SimDuration::from_secs(1),
                max_window: SimDuration::from_secs(1),
                window_size: 10,
                min_rtt_threshold: SimDuration::from_nanos(100_000),
            }
        );
        assert_eq!(
            ron("Aimd(timeout: \"100ms\")"),
            LimitSpec::Aimd {
                initial: 20,
                min: 20,
                max: 200,
                backoff_ratio: 0.9,
                timeout: ms(100)
            }
        );
        assert!(ron::from_str::<LimitSpec>("Aimd(backof_ratio: 0.8)").is_err());
        assert!(ron::from_str::<LimitSpec>("Gradient2(window: Some((size: 10)))").is_err());
    }

    pub(super) fn gradient2_spec_with(window: Option<WindowSpec>) -> LimitSpec {
        LimitSpec::Gradient2 {
            initial: 20,
            min: 20,
            max: 200,
            smoothing: 0.2,
            queue_size: 4,
            long_window: 600,
            rtt_tolerance: 1.5,
            window,
        }
    }

    pub(super) fn fields(spec: &LimitSpec) -> Vec<String> {
        check(spec).into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn check_rejects_zero_limits() {
        assert_eq!(fields(&LimitSpec::Fixed { limit: 0 }), ["limit"]);
        assert!(check(&LimitSpec::Fixed { limit: 1 }).is_empty());
        let aimd = LimitSpec::Aimd {
            initial: 0,
            min: 0,
            max: 0,
            backoff_ratio: 0.9,
            timeout: SimDuration::from_secs(5),
        };
        assert_eq!(fields(&aimd), ["min", "max"]);
        let aimd = LimitSpec::Aimd {
            initial: 0,
            min: 0,
            max: 10,
            backoff_ratio: 0.9,
            timeout: SimDuration::from_secs(5),
        };
        assert_eq!(fields(&aimd), ["min", "initial"]);
        let vegas = LimitSpec::Vegas {
            initial: 0,
            max_concurrency: 0,
            smoothing: 1.0,
            probe_multiplier: 0,
        };
        assert_eq!(
            fields(&vegas),
            ["max_concurrency", "initial", "probe_multiplier"]
        );
        let gradient = LimitSpec::Gradient {
            initial: 50,
            min: 0,
            max: 1000,
            smoothing: 0.2,
            rtt_tolerance: 0.9,
            backoff_ratio: 0.9,
            probe_interval: Some(0),
        };
        assert_eq!(
            fields(&gradient),
            ["min", "rtt_tolerance", "probe_interval"]
        );
        let found = check(&gradient);
        assert!(found[1].1.contains(">= 1.0"), "{}", found[1].1);
    }
}
