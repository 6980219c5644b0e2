//! Retry budgets: limits on retries across all the calls of one client, so that retries cannot
//! multiply load when everything fails. Five libraries' kinds, which differ in what they count:
//! gRPC tokens (every outcome), the AWS SDK quota (retries and successes), Finagle (a sliding
//! window of requests), Envoy (retries in flight), the SRE book's per-client ratio, and Marc
//! Brooker's adaptive retry token bucket (first tries).
//!
//! A budget goes after the `Retry` in a stack: it sees every attempt.

use super::hooks::Hooks;
use super::sliding_count::SlidingCount;
use super::{Arrival, CallerPolicy, Ended, Verdict};
use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimRng, SimTime};

/// A retry budget as written in a scenario. Every default is the library's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum BudgetSpec {
    /// gRPC `retryThrottling`: tokens start at `max_tokens`; a failed attempt takes 1, a
    /// success gives `token_ratio`; retries (and hedges) go only while tokens > max/2.
    Grpc {
        /// `maxTokens`, in (0, 1000].
        max_tokens: f64,
        /// `tokenRatio`, > 0.
        token_ratio: f64,
    },
    /// AWS SDK standard-mode retry quota: `capacity` (500) starts full; a retry takes
    /// `retry_cost` (5), or `timeout_cost` (10) after a timeout, and is refused if that much is
    /// not left; a success gives back what its last retry took, or `no_retry_increment` (1).
    AwsStandard {
        /// Capacity (default 500).
        #[serde(default = "aws_capacity")]
        capacity: u32,
        /// Cost of a retry (default 5; 14 with the 2026 defaults).
        #[serde(default = "aws_cost")]
        retry_cost: u32,
        /// Cost of a retry after a timeout (default 10).
        #[serde(default = "aws_timeout_cost")]
        timeout_cost: u32,
        /// Given back by a success without retries (default 1).
        #[serde(default = "one")]
        no_retry_increment: u32,
    },
    /// Finagle `RetryBudget`: over any `ttl`, retries ≤ `min_retries_per_sec`·ttl +
    /// `percent_can_retry`·requests (defaults 10 s, 10/s, 0.2: 100 + 20% per 10 s).
    Finagle {
        /// `ttl`, 1 s to 60 s (default 10 s).
        #[serde(default = "ten_seconds")]
        ttl: SimDuration,
        /// `minRetriesPerSec` (default 10).
        #[serde(default = "ten")]
        min_retries_per_sec: u32,
        /// `percentCanRetry`, 0 to 1000 (default 0.2).
        #[serde(default = "fifth")]
        percent_can_retry: f64,
    },
    /// Envoy `retry_budget`: retries in flight ≤ max(`budget_percent`% of attempts in flight,
    /// `min_retry_concurrency`) (defaults 20% and 3).
    Envoy {
        /// `budget_percent` (default 20).
        #[serde(default = "twenty")]
        budget_percent: f64,
        /// `min_retry_concurrency` (default 3).
        #[serde(default = "three")]
        min_retry_concurrency: u32,
    },
    /// Google SRE book: retry only while retries / requests < `ratio` (default 0.1) over the
    /// last `window` (default 2 min).
    Sre {
        /// The ratio.
        #[serde(default = "tenth")]
        ratio: f64,
        /// The window the ratio is measured over.
        #[serde(default = "two_minutes")]
        window: SimDuration,
    },
    /// Marc Brooker's adaptive retry token bucket ("Fixing retries with token buckets and
    /// circuit breakers", 2022, and its simulator `retry_sim/retry_strategy.py`): every first
    /// try deposits `deposit` (0.1) tokens, up to `capacity` (5); a retry goes only while the
    /// bucket holds more than one whole token, and spends one. `initial` is the fill at the
    /// start (default: full, as his simulator). Under sustained failure this converges to
    /// `deposit` retries per first try; below that failure rate it behaves like plain retries.
    Brooker {
        /// Tokens each first try deposits (default 0.1).
        #[serde(default = "tenth")]
        deposit: f64,
        /// Bucket size (default 5).
        #[serde(default = "five")]
        capacity: f64,
        /// Tokens at the start (default: `capacity`).
        #[serde(default)]
        initial: Option<f64>,
    },
}

fn aws_capacity() -> u32 {
    500
}
fn aws_cost() -> u32 {
    5
}
fn aws_timeout_cost() -> u32 {
    10
}
fn one() -> u32 {
    1
}
fn ten() -> u32 {
    10
}
fn three() -> u32 {
    3
}
fn five() -> f64 {
    5.0
}
fn fifth() -> f64 {
    0.2
}
fn tenth() -> f64 {
    0.1
}
fn twenty() -> f64 {
    20.0
}
fn ten_seconds() -> SimDuration {
    SimDuration::from_millis(10_000)
}
fn two_minutes() -> SimDuration {
    SimDuration::from_millis(120_000)
}

#[derive(Clone, Debug)]
enum State {
    Grpc {
        tokens: f64,
    },
    Aws {
        available: u32,
    },
    Finagle {
        deposits: SlidingCount,
        withdrawal: i64,
        reserve: i64,
    },
    Envoy {
        active: u32,
        retries_active: u32,
    },
    Sre {
        requests: SlidingCount,
        retries: SlidingCount,
    },
    Brooker {
        tokens: f64,
    },
}

/// A running retry budget.
#[derive(Clone, Debug)]
pub struct RetryBudget {
    spec: BudgetSpec,
    state: State,
    /// Retries refused (for reports).
    pub refused: u64,
}

impl RetryBudget {
    /// A full budget.
    pub fn new(spec: BudgetSpec) -> Self {
        let state = match &spec {
            BudgetSpec::Grpc { max_tokens, .. } => State::Grpc {
                tokens: *max_tokens,
            },
            BudgetSpec::AwsStandard { capacity, .. } => State::Aws {
                available: *capacity,
            },
            BudgetSpec::Finagle {
                ttl,
                min_retries_per_sec,
                percent_can_retry,
            } => {
                // Integer arithmetic, as Finagle's token bucket: deposits of 1000 per request.
                let withdrawal = (1000.0 / percent_can_retry).floor() as i64;
                let reserve = *min_retries_per_sec as i64
                    * (ttl.as_nanos() / 1_000_000_000) as i64
                    * withdrawal;
                State::Finagle {
                    deposits: SlidingCount::new(*ttl),
                    withdrawal,
                    reserve,
                }
            }
            BudgetSpec::Envoy { .. } => State::Envoy {
                active: 0,
                retries_active: 0,
            },
            BudgetSpec::Sre { window, .. } => State::Sre {
                requests: SlidingCount::new(*window),
                retries: SlidingCount::new(*window),
            },
            BudgetSpec::Brooker {
                capacity, initial, ..
            } => State::Brooker {
                tokens: initial.unwrap_or(*capacity),
            },
        };
        RetryBudget {
            spec,
            state,
            refused: 0,
        }
    }
}

impl CallerPolicy for RetryBudget {
    fn hooks(&self) -> Hooks {
        Hooks::ADMIT | Hooks::STARTED | Hooks::RECORD | Hooks::MAY_RETRY | Hooks::LEVEL
    }

    fn name(&self) -> &str {
        "retry_budget"
    }

    fn admit(&mut self, _: SimTime, arrival: &Arrival, _: &mut SimRng) -> Verdict {
        if let State::Envoy {
            active,
            retries_active,
        } = &mut self.state
        {
            *active += 1;
            if arrival.attempt > 1 {
                *retries_active += 1;
            }
        }
        Verdict::Pass
    }

    fn started(&mut self, now: SimTime) {
        match &mut self.state {
            State::Finagle { deposits, .. } => deposits.add(now, 1000),
            State::Sre { requests, .. } => requests.add(now, 1),
            State::Brooker { tokens } => {
                if let BudgetSpec::Brooker {
                    deposit, capacity, ..
                } = &self.spec
                {
                    *tokens = (*tokens + deposit).min(*capacity);
                }
            }
            _ => {}
        }
    }

    fn record(&mut self, _: SimTime, ended: &Ended) {
        let ok = !ended.outcome.is_error();
        match (&mut self.state, &self.spec) {
            (
                State::Grpc { tokens },
                BudgetSpec::Grpc {
                    max_tokens,
                    token_ratio,
                },
            ) => {
                *tokens = if ok {
                    (*tokens + token_ratio).min(*max_tokens)
                } else {
                    (*tokens - 1.0).max(0.0)
                };
            }
            (
                State::Aws { available },
                BudgetSpec::AwsStandard {
                    capacity,
                    retry_cost,
                    timeout_cost,
                    no_retry_increment,
                },
            ) if ok => {
                let refund = match ended.attempt {
                    1 => *no_retry_increment,
                    // It retried: give back what the last retry took.
                    _ if ended.outcome_before == Some(Outcome::Timeout) => *timeout_cost,
                    _ => *retry_cost,
                };
                *available = (*available + refund).min(*capacity);
            }
            (
                State::Envoy {
                    active,
                    retries_active,
                },
                _,
            ) => {
                *active = active.saturating_sub(1);
                if ended.attempt > 1 {
                    *retries_active = retries_active.saturating_sub(1);
                }
            }
            _ => {}
        }
    }

    fn may_retry(&mut self, now: SimTime, outcome: Outcome) -> bool {
        let allowed = match (&mut self.state, &self.spec) {
            (State::Grpc { tokens }, BudgetSpec::Grpc { max_tokens, .. }) => {
                *tokens > max_tokens / 2.0
            }
            (
                State::Aws { available },
                BudgetSpec::AwsStandard {
                    retry_cost,
                    timeout_cost,
                    ..
                },
            ) => {
                let cost = if outcome == Outcome::Timeout {
                    *timeout_cost
                } else {
                    *retry_cost
                };
                if *available >= cost {
                    *available -= cost;
                    true
                } else {
                    false
                }
            }
            (
                State::Finagle {
                    deposits,
                    withdrawal,
                    reserve,
                },
                _,
            ) => {
                let balance = deposits.sum(now) + *reserve;
                if balance >= *withdrawal {
                    deposits.add(now, -*withdrawal);
                    true
                } else {
                    false
                }
            }
            (
                State::Envoy {
                    active,
                    retries_active,
                },
                BudgetSpec::Envoy {
                    budget_percent,
                    min_retry_concurrency,
                },
            ) => {
                let limit =
                    (budget_percent / 100.0 * *active as f64).max(*min_retry_concurrency as f64);
                (*retries_active as f64) < limit
            }
            (State::Sre { requests, retries }, BudgetSpec::Sre { ratio, .. }) => {
                let req = requests.sum(now).max(1) as f64;
                if (retries.sum(now) as f64) / req < *ratio {
                    retries.add(now, 1);
                    true
                } else {
                    false
                }
            }
            (State::Brooker { tokens }, _) => {
                // Strictly more than one whole token, as his simulator.
                if *tokens > 1.0 {
                    *tokens -= 1.0;
                    true
                } else {
                    false
                }
            }
            _ => unreachable!("state matches spec"),
        };
        if !allowed {
            self.refused += 1;
        }
        allowed
    }

    fn level(&mut self, now: SimTime) -> Option<f64> {
        Some(match &mut self.state {
            State::Grpc { tokens } => *tokens,
            State::Aws { available } => *available as f64,
            State::Finagle {
                deposits,
                withdrawal,
                reserve,
            } => ((deposits.sum(now) + *reserve) / *withdrawal) as f64,
            State::Envoy { retries_active, .. } => *retries_active as f64,
            State::Sre { requests, retries } => {
                retries.sum(now) as f64 / requests.sum(now).max(1) as f64
            }
            State::Brooker { tokens } => *tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(attempt: u32) -> Ended {
        Ended {
            outcome: Outcome::Unavailable,
            latency: SimDuration::ZERO,
            attempt,
            outcome_before: None,
            inflight: 0,
        }
    }

    #[test]
    fn grpc_throttling_stops_retries_at_half_the_tokens() {
        let mut b = RetryBudget::new(BudgetSpec::Grpc {
            max_tokens: 10.0,
            token_ratio: 0.1,
        });
        let now = SimTime::ZERO;
        let mut allowed = Vec::new();
        for _ in 0..6 {
            b.record(now, &fail(1));
            allowed.push(b.may_retry(now, Outcome::Unavailable));
        }
        // 9, 8, 7, 6 tokens: retry; at 5 (not > 5) the failure is not retried.
        assert_eq!(allowed, [true, true, true, true, false, false]);
        // Each lost token takes 10 successes to win back.
        let ok = Ended {
            outcome: Outcome::Completed,
            ..fail(1)
        };
        for _ in 0..11 {
            b.record(now, &ok);
        }
        assert!(b.may_retry(now, Outcome::Unavailable));
    }

    #[test]
    fn aws_quota_empties_after_a_hundred_failed_retries_and_refills_by_one_per_success() {
        let mut b = RetryBudget::new(BudgetSpec::AwsStandard {
            capacity: 500,
            retry_cost: 5,
            timeout_cost: 10,
            no_retry_increment: 1,
        });
        let now = SimTime::ZERO;
        let granted = (0..200)
            .filter(|_| b.may_retry(now, Outcome::Unavailable))
            .count();
        assert_eq!(granted, 100);
        let ok = Ended {
            outcome: Outcome::Completed,
            ..fail(1)
        };
        for _ in 0..4 {
            b.record(now, &ok);
        }
        assert!(!b.may_retry(now, Outcome::Unavailable), "4 < 5");
        b.record(now, &ok);
        assert!(b.may_retry(now, Outcome::Unavailable));
        assert!(
            !b.may_retry(now, Outcome::Timeout),
            "a timeout retry costs 10"
        );
    }

    #[test]
    fn finagle_default_budget_allows_one_hundred_plus_twenty_percent_per_ten_seconds() {
        let mut b = RetryBudget::new(BudgetSpec::Finagle {
            ttl: SimDuration::from_millis(10_000),
            min_retries_per_sec: 10,
            percent_can_retry: 0.2,
        });
        // 1000 requests over 5 s, each wanting to retry as often as it may.
        let mut granted = 0;
        for i in 0..1000u64 {
            let now = SimTime(i * 5_000_000);
            b.started(now);
            while b.may_retry(now, Outcome::Unavailable) {
                granted += 1;
            }
        }
        assert_eq!(granted, 100 + 200);
    }

    #[test]
    fn envoy_budget_limits_retries_in_flight_not_their_rate() {
        let mut b = RetryBudget::new(BudgetSpec::Envoy {
            budget_percent: 20.0,
            min_retry_concurrency: 3,
        });
        let mut rng = sim_core::RngFactory::new(0).stream("x");
        let now = SimTime::ZERO;
        let retry = Arrival {
            attempt: 2,
            ..Default::default()
        };
        for _ in 0..3 {
            assert!(b.may_retry(now, Outcome::Unavailable));
            b.admit(now, &retry, &mut rng);
        }
        assert!(
            !b.may_retry(now, Outcome::Unavailable),
            "3 retries in flight"
        );
        b.record(now, &fail(2));
        assert!(b.may_retry(now, Outcome::Unavailable), "one finished");
    }

    #[test]
    fn sre_ratio_keeps_retries_under_a_tenth_of_requests() {
        let mut b = RetryBudget::new(BudgetSpec::Sre {
            ratio: 0.1,
            window: SimDuration::from_millis(120_000),
        });
        let mut granted = 0;
        for i in 0..1000u64 {
            let now = SimTime(i * 1_000_000);
            b.started(now);
            if b.may_retry(now, Outcome::Unavailable) {
                granted += 1;
            }
        }
        assert!((99..=101).contains(&granted), "{granted}");
    }

    /// Brooker's set-up: each logical call fails each attempt with probability `p`, retries up
    /// to three times while the budget lets it. Returns attempts per first try.
    fn brooker_load(p: f64, calls: u32) -> f64 {
        use rand::Rng;
        let mut b = RetryBudget::new(BudgetSpec::Brooker {
            deposit: 0.1,
            capacity: 5.0,
            initial: None,
        });
        let mut rng = sim_core::RngFactory::new(7).stream("brooker");
        let now = SimTime::ZERO;
        let mut attempts = 0u64;
        for _ in 0..calls {
            b.started(now);
            for retry in 0..=3 {
                attempts += 1;
                let failed = rng.random::<f64>() < p;
                if !failed || retry == 3 || !b.may_retry(now, Outcome::Unavailable) {
                    break;
                }
            }
        }
        attempts as f64 / calls as f64
    }

    #[test]
    fn brooker_bucket_converges_to_the_deposit_in_retries_per_first_try_under_total_failure() {
        // Starts full (5), each first try adds 0.1, each retry needs more than one whole token.
        let load = brooker_load(1.0, 100_000);
        assert!((load - 1.1).abs() < 0.001, "{load}");
    }

    #[test]
    fn brooker_bucket_behaves_like_plain_retries_below_the_deposit_rate_and_caps_above_it() {
        // Below 10%: p + p² + p³ retries per call, as three plain retries.
        for p in [0.01, 0.05] {
            let load = brooker_load(p, 200_000);
            let plain = 1.0 + p + p * p + p * p * p;
            assert!((load - plain).abs() < 0.004, "p = {p}: {load} vs {plain}");
        }
        // Above it the budget binds: 0.1 retries per call, whatever the failure rate.
        for p in [0.3, 0.5, 0.9] {
            let load = brooker_load(p, 200_000);
            assert!((load - 1.1).abs() < 0.002, "p = {p}: {load}");
        }
    }
}
