//! Backoff: how long a caller waits before it tries again, as each library computes it.
//!
//! Each backoff is the exact formula of the library it is named after (see
//! `../shared/reference/policy-semantics.md`): the order of truncation, jitter and cap differs
//! between libraries, and a tuned value only carries over if the simulator follows the same
//! order. Every formula takes its random draw `u` in `[0, 1)` as an argument, so tests can
//! check a sequence against the library's formula for fixed draws.
//!
//! A leaf crate so that callers other than the services' retry layer (`sim-models`) use the
//! same formulas without depending on `sim-models`: the store clients that retry a conflicted
//! compare-and-set (`sim-store/src/read_modify_write.rs`).

use serde::{Deserialize, Serialize};
use sim_core::SimDuration;

/// How long to wait before the next attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Backoff {
    /// Retry at once.
    Immediate,
    /// The same wait every time.
    Constant(SimDuration),
    /// `initial + increment·(n−1)` before retry `n`, capped at `max`.
    Linear {
        /// Wait before the first retry.
        initial: SimDuration,
        /// Added for each further retry.
        increment: SimDuration,
        /// Cap.
        #[serde(default)]
        max: Option<SimDuration>,
    },
    /// The formulas of Brooker's "Exponential Backoff And Jitter" (AWS Architecture Blog):
    /// `expo(n) = min(cap, base·2ⁿ)` with `n` the failures so far, and a jitter.
    Exponential {
        /// Base.
        base: SimDuration,
        /// Cap.
        cap: SimDuration,
        /// Jitter (default `Full`).
        #[serde(default)]
        jitter: Jitter,
    },
    /// Resilience4j `IntervalFunction`: `x₁ = initial`, `x_{k+1} = ⌊x_k·multiplier⌋` in whole
    /// milliseconds, then `randomization` (uniform on `[x(1−f), x(1+f)+1)`, at least 1 ms),
    /// then the cap `max`. Defaults: 500 ms, multiplier 1 (constant; `ofExponentialBackoff`
    /// uses 1.5), randomization 0.
    Resilience4j {
        /// `initialInterval` (default 500 ms).
        #[serde(default = "r4j_initial")]
        initial: SimDuration,
        /// `multiplier` (default 1: a constant interval).
        #[serde(default = "one")]
        multiplier: f64,
        /// `randomizationFactor` in [0, 1] (default 0: no jitter).
        #[serde(default)]
        randomization: f64,
        /// `maxInterval`, applied after the jitter.
        #[serde(default)]
        max: Option<SimDuration>,
    },
    /// gRPC (gRFC A6): retry `n` waits `min(initial·multiplierⁿ⁻¹, max)·U(0.8, 1.2)`, or with
    /// `legacy_full_jitter` (older grpc-go) `U(0, min(…))`.
    Grpc {
        /// `initialBackoff`.
        initial: SimDuration,
        /// `maxBackoff`.
        max: SimDuration,
        /// `backoffMultiplier`.
        multiplier: f64,
        /// Use the pre-2024 full jitter.
        #[serde(default)]
        legacy_full_jitter: bool,
    },
    /// The AWS SDK standard mode: `U[0,1)·min(base·2ⁱ, cap)`. botocore uses `i = n − 1` for
    /// retry `n`; the Go SDK v2 uses `i = n` and returns exactly `cap` once `n > ⌊log₂(cap/base)⌋`.
    AwsStandard {
        /// Which SDK's exponent (default botocore).
        #[serde(default)]
        sdk: AwsSdk,
        /// Base (default 1 s).
        #[serde(default = "one_second")]
        base: SimDuration,
        /// Cap (default 20 s).
        #[serde(default = "twenty_seconds")]
        cap: SimDuration,
    },
    /// Envoy route retries: retry `k` waits `random % min(2^(k−1)·base, max)` milliseconds.
    Envoy {
        /// `base_interval` (default 25 ms).
        #[serde(default = "envoy_base")]
        base: SimDuration,
        /// `max_interval` (default 10 × base).
        #[serde(default)]
        max: Option<SimDuration>,
    },
    /// Polly v8 `RetryStrategyOptions`: constant `delay`, linear `delay·(a+1)` or exponential
    /// `delay·2ᵃ` with `a` the 0-based retry; `jitter` gives ±25% for constant and linear, and
    /// "decorrelated jitter V2" for exponential; `max` caps.
    Polly {
        /// `Delay` (default 2 s).
        #[serde(default = "two_seconds")]
        delay: SimDuration,
        /// `BackoffType` (default constant).
        #[serde(default)]
        kind: PollyBackoff,
        /// `UseJitter`.
        #[serde(default)]
        jitter: bool,
        /// `MaxDelay`.
        #[serde(default)]
        max: Option<SimDuration>,
    },
}

fn r4j_initial() -> SimDuration {
    SimDuration::from_millis(500)
}
fn one() -> f64 {
    1.0
}
fn one_second() -> SimDuration {
    SimDuration::from_millis(1000)
}
fn twenty_seconds() -> SimDuration {
    SimDuration::from_millis(20_000)
}
fn envoy_base() -> SimDuration {
    SimDuration::from_millis(25)
}
fn two_seconds() -> SimDuration {
    SimDuration::from_millis(2000)
}

impl Default for Backoff {
    /// Resilience4j's default: a constant 500 ms.
    fn default() -> Self {
        Backoff::Resilience4j {
            initial: r4j_initial(),
            multiplier: 1.0,
            randomization: 0.0,
            max: None,
        }
    }
}

/// Brooker's jitters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Jitter {
    /// `min(cap, base·2ⁿ)`.
    None,
    /// `U(0, min(cap, base·2ⁿ))`.
    #[default]
    Full,
    /// `v/2 + U(0, v/2)` with `v = min(cap, base·2ⁿ)`.
    Equal,
    /// `min(cap, U(base, previous·3))`, the previous wait starting at `base`.
    Decorrelated,
}

/// Which AWS SDK's backoff exponent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AwsSdk {
    /// botocore (Python): the first retry waits `U[0, base)`.
    #[default]
    Botocore,
    /// aws-sdk-go-v2: the first retry waits `U[0, 2·base)`.
    GoV2,
}

/// Polly's `DelayBackoffType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PollyBackoff {
    /// The same delay every time.
    #[default]
    Constant,
    /// `delay·(a+1)`.
    Linear,
    /// `delay·2ᵃ`.
    Exponential,
}

/// Per-call memory of the backoffs that depend on the previous wait (decorrelated jitters).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BackoffState {
    /// Brooker's previous sleep (ns), or Polly's previous `next` value; 0 before the first.
    pub prev: f64,
}

const MS: f64 = 1e6;

impl Backoff {
    /// The wait before retry number `n` (1 for the first retry, which follows one failure),
    /// for the uniform draw `u` in `[0, 1)`.
    pub fn delay(&self, n: u32, u: f64, state: &mut BackoffState) -> SimDuration {
        debug_assert!(n >= 1);
        let ns = |d: &SimDuration| d.as_nanos() as f64;
        let out = match self {
            Backoff::Immediate => 0.0,
            Backoff::Constant(d) => ns(d),
            Backoff::Linear {
                initial,
                increment,
                max,
            } => {
                let v = ns(initial) + ns(increment) * (n - 1) as f64;
                max.map_or(v, |m| v.min(ns(&m)))
            }
            Backoff::Exponential { base, cap, jitter } => {
                let (base, cap) = (ns(base), ns(cap));
                let expo = (base * 2f64.powi(n.min(1000) as i32)).min(cap);
                match jitter {
                    Jitter::None => expo,
                    Jitter::Full => u * expo,
                    Jitter::Equal => expo / 2.0 + u * expo / 2.0,
                    Jitter::Decorrelated => {
                        let prev = if state.prev > 0.0 { state.prev } else { base };
                        let hi = prev * 3.0;
                        let sleep = (base + u * (hi - base)).min(cap);
                        state.prev = sleep;
                        sleep
                    }
                }
            }
            Backoff::Resilience4j {
                initial,
                multiplier,
                randomization,
                max,
            } => {
                // Whole milliseconds, truncated at every step, as Java's long arithmetic does.
                let mut x = (ns(initial) / MS).floor();
                for _ in 1..n {
                    x = (x * multiplier).floor();
                }
                if *randomization > 0.0 {
                    let f = randomization;
                    x = (x - f * x + u * (2.0 * f * x + 1.0)).max(1.0).floor();
                }
                if let Some(m) = max {
                    x = x.min((ns(m) / MS).floor());
                }
                x * MS
            }
            Backoff::Grpc {
                initial,
                max,
                multiplier,
                legacy_full_jitter,
            } => {
                let v = (ns(initial) * multiplier.powi((n - 1).min(1000) as i32)).min(ns(max));
                if *legacy_full_jitter {
                    u * v
                } else {
                    v * (0.8 + 0.4 * u)
                }
            }
            Backoff::AwsStandard { sdk, base, cap } => {
                let (base, cap) = (ns(base), ns(cap));
                match sdk {
                    AwsSdk::Botocore => u * (base * 2f64.powi((n - 1).min(1000) as i32)).min(cap),
                    AwsSdk::GoV2 => {
                        let limit = (cap / base).log2().floor() as u32;
                        if n > limit {
                            cap
                        } else {
                            u * base * 2f64.powi(n as i32)
                        }
                    }
                }
            }
            Backoff::Envoy { base, max } => {
                let base_ms = (ns(base) / MS).floor();
                let max_ms = max.map_or(10.0 * base_ms, |m| (ns(&m) / MS).floor());
                let interval = (base_ms * 2f64.powi((n - 1).min(1000) as i32)).min(max_ms);
                // `random % interval` on whole milliseconds.
                (u * interval).floor() * MS
            }
            Backoff::Polly {
                delay,
                kind,
                jitter,
                max,
            } => {
                let a = (n - 1) as f64;
                let d = ns(delay);
                let v = match (kind, jitter) {
                    (PollyBackoff::Exponential, true) => {
                        // Decorrelated jitter V2 (Polly.Contrib.WaitAndRetry), in .NET ticks.
                        let t = a + u;
                        let next = 2f64.powf(t) * (4.0 * t).sqrt().tanh();
                        let v = (next - state.prev) / 1.4 * (d / 100.0);
                        state.prev = next;
                        v.floor() * 100.0
                    }
                    (PollyBackoff::Exponential, false) => d * 2f64.powf(a),
                    (PollyBackoff::Linear, j) => jittered(d * (a + 1.0), *j, u),
                    (PollyBackoff::Constant, j) => jittered(d, *j, u),
                };
                max.map_or(v, |m| v.min(ns(&m)))
            }
        };
        SimDuration::from_nanos_f64(out.max(0.0))
    }
}

/// Polly's ±25% jitter for constant and linear delays.
fn jittered(d: f64, on: bool, u: f64) -> f64 {
    if on {
        d * 0.75 + d * 0.5 * u
    } else {
        d
    }
}

/// Something wrong with a backoff's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackoffProblem {
    /// The field at fault, relative to the backoff (`""` for the backoff as a whole).
    pub field: &'static str,
    /// Why.
    pub message: String,
}

impl BackoffProblem {
    /// The field's path under `backoff`, the path of the backoff itself: `backoff.initial`, or
    /// `backoff` when the backoff as a whole is at fault.
    pub fn path(&self, backoff: &str) -> String {
        if self.field.is_empty() {
            backoff.to_string()
        } else {
            format!("{backoff}.{}", self.field)
        }
    }
}

impl Backoff {
    /// What is wrong with these parameters, by the rules of the library they come from (an
    /// empty list when nothing is). Rules that involve the attempt count belong to the caller.
    pub fn problems(&self) -> Vec<BackoffProblem> {
        let mut out = Vec::new();
        let mut err = |field: &'static str, message: &str| {
            out.push(BackoffProblem {
                field,
                message: message.to_string(),
            })
        };
        let ms = |d: &SimDuration| d.as_nanos() as f64 / MS;
        match self {
            Backoff::Resilience4j {
                initial,
                multiplier,
                randomization,
                max,
            } => {
                if ms(initial) < 1.0 {
                    err(
                        "initial",
                        "Resilience4j intervals are whole milliseconds, at least 1 ms",
                    );
                }
                if *multiplier < 1.0 {
                    err(
                        "multiplier",
                        &format!("Resilience4j requires multiplier >= 1.0, got {multiplier}"),
                    );
                }
                if !(0.0..1.0).contains(randomization) {
                    err("randomization", &format!("Resilience4j requires randomizationFactor in [0, 1), got {randomization}"));
                }
                if max.is_some_and(|m| m < *initial) {
                    err("max", "must be at least the initial interval");
                }
            }
            Backoff::Grpc {
                initial,
                max,
                multiplier,
                ..
            } => {
                if *initial == SimDuration::ZERO || *max == SimDuration::ZERO {
                    err("", "gRPC requires initialBackoff > 0 and maxBackoff > 0");
                }
                if *multiplier <= 0.0 {
                    err(
                        "multiplier",
                        &format!("gRPC requires backoffMultiplier > 0, got {multiplier}"),
                    );
                }
            }
            Backoff::AwsStandard { base, cap, .. } => {
                if *base == SimDuration::ZERO || cap < base {
                    err(
                        "",
                        "the AWS SDK needs base > 0 and cap >= base (defaults 1 s and 20 s)",
                    );
                }
            }
            Backoff::Envoy { base, max } => {
                if ms(base) < 1.0 {
                    err("base", "Envoy's base_interval is whole milliseconds, at least 1 ms (default 25 ms)");
                }
                if max.is_some_and(|m| m < *base) {
                    err("max", "Envoy requires max_interval >= base_interval");
                }
            }
            Backoff::Polly { delay, max, .. } => {
                if *delay > SimDuration::from_millis(86_400_000) {
                    err("delay", "Polly requires Delay in [0, 1 day]");
                }
                if max.is_some_and(|m| m < *delay) {
                    err("max", "Polly's MaxDelay must be at least Delay");
                }
            }
            Backoff::Exponential { base, cap, .. } => {
                if *base == SimDuration::ZERO || cap < base {
                    err("", "needs base > 0 and cap >= base");
                }
            }
            Backoff::Linear { max, initial, .. } => {
                if max.is_some_and(|m| m < *initial) {
                    err("max", "must be at least the initial wait");
                }
            }
            Backoff::Immediate | Backoff::Constant(_) => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }

    fn seq(b: &Backoff, draws: &[f64]) -> Vec<f64> {
        let mut st = BackoffState::default();
        draws
            .iter()
            .enumerate()
            .map(|(i, &u)| b.delay(i as u32 + 1, u, &mut st).as_nanos() as f64 / MS)
            .collect()
    }

    #[test]
    fn resilience4j_exponential_truncates_to_whole_milliseconds_at_every_step() {
        let b = Backoff::Resilience4j {
            initial: ms(500),
            multiplier: 1.5,
            randomization: 0.0,
            max: None,
        };
        assert_eq!(seq(&b, &[0.0; 5]), [500.0, 750.0, 1125.0, 1687.0, 2530.0]);
    }

    #[test]
    fn resilience4j_randomization_is_uniform_on_x_times_one_plus_minus_f_and_capped_after() {
        let b = Backoff::Resilience4j {
            initial: ms(1000),
            multiplier: 2.0,
            randomization: 0.5,
            max: Some(ms(2500)),
        };
        // u = 0 gives x(1 − f); u → 1 gives x(1 + f) + 1 - ε; the cap applies after the jitter.
        assert_eq!(seq(&b, &[0.0, 0.0, 0.0]), [500.0, 1000.0, 2000.0]);
        assert_eq!(seq(&b, &[0.5, 0.5, 0.5]), [1000.0, 2000.0, 2500.0]);
        assert_eq!(seq(&b, &[0.999_999]), [1500.0]);
    }

    #[test]
    fn grpc_backoff_multiplies_caps_then_jitters_by_plus_minus_twenty_percent() {
        let b = Backoff::Grpc {
            initial: ms(100),
            max: ms(1000),
            multiplier: 2.0,
            legacy_full_jitter: false,
        };
        assert_eq!(
            seq(&b, &[0.5, 0.5, 0.5, 0.5, 0.5]),
            [100.0, 200.0, 400.0, 800.0, 1000.0]
        );
        assert_eq!(seq(&b, &[0.0, 0.0])[1], 160.0);
        let legacy = Backoff::Grpc {
            initial: ms(100),
            max: ms(1000),
            multiplier: 2.0,
            legacy_full_jitter: true,
        };
        assert_eq!(seq(&legacy, &[0.25, 0.25, 0.25]), [25.0, 50.0, 100.0]);
    }

    #[test]
    fn aws_standard_botocore_and_go_differ_by_one_in_the_exponent() {
        let boto = Backoff::AwsStandard {
            sdk: AwsSdk::Botocore,
            base: ms(1000),
            cap: ms(20_000),
        };
        assert_eq!(
            seq(&boto, &[0.5; 6]),
            [500.0, 1000.0, 2000.0, 4000.0, 8000.0, 10_000.0]
        );
        let go = Backoff::AwsStandard {
            sdk: AwsSdk::GoV2,
            base: ms(1000),
            cap: ms(20_000),
        };
        // Retries 1..=4 jitter base·2ⁿ; from the fifth the wait is exactly the cap.
        assert_eq!(
            seq(&go, &[0.5; 6]),
            [1000.0, 2000.0, 4000.0, 8000.0, 20_000.0, 20_000.0]
        );
    }

    #[test]
    fn envoy_draws_whole_milliseconds_below_a_doubling_interval_capped_at_ten_bases() {
        let b = Backoff::Envoy {
            base: ms(25),
            max: None,
        };
        assert_eq!(
            seq(&b, &[0.999; 6]),
            [24.0, 49.0, 99.0, 199.0, 249.0, 249.0]
        );
        assert_eq!(seq(&b, &[0.0]), [0.0]);
    }

    #[test]
    fn brooker_jitters_follow_the_blog_formulas() {
        let b = |jitter| Backoff::Exponential {
            base: ms(5),
            cap: ms(2000),
            jitter,
        };
        assert_eq!(seq(&b(Jitter::None), &[0.3; 3]), [10.0, 20.0, 40.0]);
        assert_eq!(seq(&b(Jitter::Full), &[0.5; 3]), [5.0, 10.0, 20.0]);
        assert_eq!(seq(&b(Jitter::Equal), &[0.5; 3]), [7.5, 15.0, 30.0]);
        // Decorrelated: U(base, 3·prev), prev starting at base; capped.
        assert_eq!(
            seq(&b(Jitter::Decorrelated), &[1.0, 1.0, 0.0]),
            [15.0, 45.0, 5.0]
        );
        assert!(seq(&b(Jitter::Decorrelated), &[1.0; 12])
            .iter()
            .all(|&v| v <= 2000.0));
    }

    #[test]
    fn polly_counts_retries_from_zero_and_jitters_constant_delays_by_a_quarter() {
        let exp = Backoff::Polly {
            delay: ms(200),
            kind: PollyBackoff::Exponential,
            jitter: false,
            max: Some(ms(1000)),
        };
        assert_eq!(seq(&exp, &[0.0; 4]), [200.0, 400.0, 800.0, 1000.0]);
        let lin = Backoff::Polly {
            delay: ms(200),
            kind: PollyBackoff::Linear,
            jitter: false,
            max: None,
        };
        assert_eq!(seq(&lin, &[0.0; 3]), [200.0, 400.0, 600.0]);
        let jit = Backoff::Polly {
            delay: ms(200),
            kind: PollyBackoff::Constant,
            jitter: true,
            max: None,
        };
        assert_eq!(seq(&jit, &[0.0, 0.5, 1.0]), [150.0, 200.0, 250.0]);
    }

    #[test]
    fn polly_decorrelated_jitter_v2_telescopes_to_its_formula() {
        let b = Backoff::Polly {
            delay: ms(1000),
            kind: PollyBackoff::Exponential,
            jitter: true,
            max: None,
        };
        let draws = [0.3, 0.7, 0.1];
        let got = seq(&b, &draws);
        // The waits telescope: their sum is f(t_last)·delay/1.4 with f(t) = 2ᵗ·tanh(√(4t)).
        let f = |t: f64| 2f64.powf(t) * (4.0 * t).sqrt().tanh();
        let total: f64 = got.iter().sum();
        let expect = f(2.0 + 0.1) / 1.4 * 1000.0;
        assert!((total - expect).abs() < 0.001, "{total} vs {expect}");
        assert!((got[0] - f(0.3) / 1.4 * 1000.0).abs() < 0.001);
    }

    #[test]
    fn a_problem_of_the_whole_backoff_is_placed_at_the_backoff() {
        let whole = Backoff::Exponential {
            base: ms(0),
            cap: ms(10),
            jitter: Jitter::Full,
        };
        let paths: Vec<String> = whole.problems().iter().map(|p| p.path("backoff")).collect();
        assert_eq!(paths, ["backoff"]);
        let field = BackoffProblem {
            field: "initial",
            message: String::new(),
        };
        assert_eq!(field.path("x.backoff"), "x.backoff.initial");
    }

    #[test]
    fn problems_name_the_field_and_the_library_rule() {
        let bad = Backoff::Resilience4j {
            initial: ms(0),
            multiplier: 0.5,
            randomization: 1.0,
            max: None,
        };
        let fields: Vec<_> = bad.problems().iter().map(|p| p.field).collect();
        assert_eq!(fields, ["initial", "multiplier", "randomization"]);
        let expo = Backoff::Exponential {
            base: ms(10),
            cap: ms(5),
            jitter: Jitter::Full,
        };
        assert_eq!(expo.problems()[0].message, "needs base > 0 and cap >= base");
        assert!(Backoff::Immediate.problems().is_empty());
    }
}
