//! Range checks of policy parameters, with each library's own valid range in the message, so
//! that a value accepted here is accepted by the library it will be carried to.

use super::bulkhead::BulkheadSpec;
use super::circuit_breaker::{BreakerSpec, BreakerWindow};
use super::retry::Backoff;
use super::retry_budget::BudgetSpec;
use super::PolicySpec;
use crate::call::Outcome;
use sim_core::SimDuration;

/// A problem: the field's path under the list (e.g. `2.failure_rate_threshold`), whether it
/// is only a warning, and the message.
pub type Finding = (String, bool, String);

/// Checks a policy list; paths are relative to the list.
pub fn validate(specs: &[PolicySpec]) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let mut err = |path: String, msg: String| out.push((path, false, msg));
    let retry = specs.iter().position(|s| matches!(s, PolicySpec::Retry(_)));
    let retries = specs
        .iter()
        .filter(|s| matches!(s, PolicySpec::Retry(_)))
        .count();
    let ms = |d: SimDuration| d.as_nanos() as f64 / 1e6;
    for (i, spec) in specs.iter().enumerate() {
        let at = |field: &str| {
            if field.is_empty() {
                format!("{i}")
            } else {
                format!("{i}.{field}")
            }
        };
        match spec {
            PolicySpec::Timeout(d) => {
                if *d == SimDuration::ZERO {
                    err(at(""), "a timeout must be longer than zero".into());
                }
            }
            PolicySpec::Retry(r) => {
                if retries > 1 {
                    err(at(""), "one Retry per list: a second would multiply attempts again; put the stack on another edge instead".into());
                }
                if r.max_attempts.is_some() && r.max_retries.is_some() {
                    err(
                        at("max_retries"),
                        "give max_attempts (the first attempt included) or max_retries, not both"
                            .into(),
                    );
                }
                let attempts = r.attempts();
                if attempts == 0 {
                    err(
                        at("max_attempts"),
                        "must be at least 1 (the first attempt)".into(),
                    );
                }
                if attempts > 100 {
                    err(
                        at("max_attempts"),
                        format!("{attempts} attempts: at most 100"),
                    );
                }
                if let Some(list) = &r.retry_on {
                    check_errors(list, at("retry_on"), &mut err);
                }
                match &r.backoff {
                    Backoff::Resilience4j {
                        initial,
                        multiplier,
                        randomization,
                        max,
                    } => {
                        if ms(*initial) < 1.0 {
                            err(
                                at("backoff.initial"),
                                "Resilience4j intervals are whole milliseconds, at least 1 ms"
                                    .into(),
                            );
                        }
                        if *multiplier < 1.0 {
                            err(
                                at("backoff.multiplier"),
                                format!(
                                    "Resilience4j requires multiplier >= 1.0, got {multiplier}"
                                ),
                            );
                        }
                        if !(0.0..1.0).contains(randomization) {
                            err(at("backoff.randomization"), format!("Resilience4j requires randomizationFactor in [0, 1), got {randomization}"));
                        }
                        if max.is_some_and(|m| m < *initial) {
                            err(
                                at("backoff.max"),
                                "must be at least the initial interval".into(),
                            );
                        }
                    }
                    Backoff::Grpc {
                        initial,
                        max,
                        multiplier,
                        ..
                    } => {
                        if attempts < 2 {
                            err(
                                at("max_attempts"),
                                "gRPC requires maxAttempts > 1 (the original included)".into(),
                            );
                        }
                        if attempts > 5 {
                            out_warn(&mut err, at("max_attempts"), format!("gRPC clamps maxAttempts to 5 unless the channel raises the limit; {attempts} may not carry over"));
                        }
                        if *initial == SimDuration::ZERO || *max == SimDuration::ZERO {
                            err(
                                at("backoff"),
                                "gRPC requires initialBackoff > 0 and maxBackoff > 0".into(),
                            );
                        }
                        if *multiplier <= 0.0 {
                            err(
                                at("backoff.multiplier"),
                                format!("gRPC requires backoffMultiplier > 0, got {multiplier}"),
                            );
                        }
                    }
                    Backoff::AwsStandard { base, cap, .. } => {
                        if *base == SimDuration::ZERO || cap < base {
                            err(at("backoff"), "the AWS SDK needs base > 0 and cap >= base (defaults 1 s and 20 s)".into());
                        }
                    }
                    Backoff::Envoy { base, max } => {
                        if ms(*base) < 1.0 {
                            err(at("backoff.base"), "Envoy's base_interval is whole milliseconds, at least 1 ms (default 25 ms)".into());
                        }
                        if max.is_some_and(|m| m < *base) {
                            err(
                                at("backoff.max"),
                                "Envoy requires max_interval >= base_interval".into(),
                            );
                        }
                    }
                    Backoff::Polly { delay, max, .. } => {
                        if *delay > SimDuration::from_millis(86_400_000) {
                            err(
                                at("backoff.delay"),
                                "Polly requires Delay in [0, 1 day]".into(),
                            );
                        }
                        if max.is_some_and(|m| m < *delay) {
                            err(
                                at("backoff.max"),
                                "Polly's MaxDelay must be at least Delay".into(),
                            );
                        }
                        if r.max_retries.is_some_and(|n| n == 0) {
                            err(
                                at("max_retries"),
                                "Polly requires MaxRetryAttempts >= 1".into(),
                            );
                        }
                    }
                    Backoff::Exponential { base, cap, .. } => {
                        if *base == SimDuration::ZERO || cap < base {
                            err(at("backoff"), "needs base > 0 and cap >= base".into());
                        }
                    }
                    Backoff::Linear { max, initial, .. } => {
                        if max.is_some_and(|m| m < *initial) {
                            err(
                                at("backoff.max"),
                                "must be at least the initial wait".into(),
                            );
                        }
                    }
                    Backoff::Immediate | Backoff::Constant(_) => {}
                }
            }
            PolicySpec::RetryBudget(b) => {
                if retry.is_none_or(|r| i < r) {
                    err(
                        at(""),
                        "a retry budget counts attempts: list it after the Retry".into(),
                    );
                }
                match b {
                    BudgetSpec::Grpc {
                        max_tokens,
                        token_ratio,
                    } => {
                        if !(*max_tokens > 0.0 && *max_tokens <= 1000.0) {
                            err(
                                at("max_tokens"),
                                format!("gRPC requires maxTokens in (0, 1000], got {max_tokens}"),
                            );
                        }
                        if *token_ratio <= 0.0 {
                            err(
                                at("token_ratio"),
                                format!("gRPC requires tokenRatio > 0, got {token_ratio}"),
                            );
                        }
                    }
                    BudgetSpec::AwsStandard {
                        capacity,
                        retry_cost,
                        timeout_cost,
                        ..
                    } => {
                        if *capacity == 0 || *retry_cost == 0 || *timeout_cost == 0 {
                            err(at(""), "the AWS retry quota needs capacity and costs of at least 1 (defaults 500, 5, 10)".into());
                        }
                    }
                    BudgetSpec::Finagle {
                        ttl,
                        percent_can_retry,
                        ..
                    } => {
                        let s = ttl.as_nanos() as f64 / 1e9;
                        if !(1.0..=60.0).contains(&s) {
                            err(
                                at("ttl"),
                                format!("Finagle requires ttl between 1 s and 60 s, got {ttl}"),
                            );
                        }
                        if !(0.0..=1000.0).contains(percent_can_retry) {
                            err(at("percent_can_retry"), format!("Finagle requires percentCanRetry in [0, 1000], got {percent_can_retry}"));
                        }
                    }
                    BudgetSpec::Envoy { budget_percent, .. } => {
                        if !(0.0..=100.0).contains(budget_percent) {
                            err(at("budget_percent"), format!("Envoy requires budget_percent in [0, 100], got {budget_percent}"));
                        }
                    }
                    BudgetSpec::Sre { ratio, window } => {
                        if !(*ratio > 0.0 && *ratio <= 1.0) {
                            err(at("ratio"), format!("the retry ratio must be in (0, 1] (the SRE book uses 0.1), got {ratio}"));
                        }
                        if *window == SimDuration::ZERO {
                            err(at("window"), "must be longer than zero".into());
                        }
                    }
                }
            }
            PolicySpec::CircuitBreaker(BreakerSpec::Resilience4j(b)) => {
                for (field, v) in [
                    ("failure_rate_threshold", b.failure_rate_threshold),
                    ("slow_call_rate_threshold", b.slow_call_rate_threshold),
                ] {
                    if !(v > 0.0 && v <= 100.0) {
                        err(at(field), format!("Resilience4j requires a rate threshold in (0, 100] percent, got {v}"));
                    }
                }
                let size = match b.window {
                    BreakerWindow::Count(n) | BreakerWindow::Time(n) => n,
                };
                if size == 0 {
                    err(
                        at("window"),
                        "Resilience4j requires slidingWindowSize >= 1".into(),
                    );
                }
                if b.minimum_calls == 0 {
                    err(
                        at("minimum_calls"),
                        "Resilience4j requires minimumNumberOfCalls >= 1".into(),
                    );
                }
                if b.permitted_in_half_open == 0 {
                    err(
                        at("permitted_in_half_open"),
                        "Resilience4j requires permittedNumberOfCallsInHalfOpenState >= 1".into(),
                    );
                }
                if ms(b.wait_in_open) < 1.0 {
                    err(
                        at("wait_in_open"),
                        "Resilience4j requires waitDurationInOpenState of at least 1 ms".into(),
                    );
                }
                if b.slow_call_duration == SimDuration::ZERO {
                    err(
                        at("slow_call_duration"),
                        "Resilience4j requires slowCallDurationThreshold of at least 1 ns".into(),
                    );
                }
                if b.wait_multiplier < 1.0 {
                    err(at("wait_multiplier"), format!("Resilience4j's exponential interval requires multiplier >= 1.0, got {}", b.wait_multiplier));
                }
                if let Some(list) = &b.record {
                    check_errors(list, at("record"), &mut err);
                }
            }
            PolicySpec::CircuitBreaker(BreakerSpec::Polly(b)) => {
                if !(b.failure_ratio > 0.0 && b.failure_ratio <= 1.0) {
                    err(
                        at("failure_ratio"),
                        format!(
                            "Polly requires FailureRatio in (0, 1], got {}",
                            b.failure_ratio
                        ),
                    );
                }
                if b.minimum_throughput < 2 {
                    err(
                        at("minimum_throughput"),
                        format!(
                            "Polly requires MinimumThroughput >= 2, got {}",
                            b.minimum_throughput
                        ),
                    );
                }
                if b.sampling_duration < SimDuration::from_millis(500) {
                    err(
                        at("sampling_duration"),
                        "Polly requires SamplingDuration of at least 500 ms".into(),
                    );
                }
                if b.break_duration < SimDuration::from_millis(500) {
                    err(
                        at("break_duration"),
                        "Polly requires BreakDuration of at least 500 ms".into(),
                    );
                }
                if let Some(list) = &b.record {
                    check_errors(list, at("record"), &mut err);
                }
            }
            PolicySpec::Bulkhead(BulkheadSpec::ThreadPool {
                core_threads,
                max_threads,
                ..
            }) => {
                if *core_threads == 0 || max_threads < core_threads {
                    err(at(""), format!("Resilience4j requires coreThreadPoolSize >= 1 and maxThreadPoolSize >= coreThreadPoolSize, got {core_threads} and {max_threads}"));
                }
            }
            PolicySpec::Bulkhead(BulkheadSpec::Semaphore { .. }) => {}
            PolicySpec::RateLimiter(r) => {
                if r.limit_for_period == 0 {
                    err(
                        at("limit_for_period"),
                        "Resilience4j requires limitForPeriod >= 1".into(),
                    );
                }
                if r.refresh_period == SimDuration::ZERO {
                    err(
                        at("refresh_period"),
                        "Resilience4j requires limitRefreshPeriod of at least 1 ns".into(),
                    );
                }
            }
            PolicySpec::AdaptiveThrottle(t) => {
                if t.k < 1.0 || !t.k.is_finite() {
                    err(at("k"), format!("K must be at least 1 (the SRE book recommends 2; below 1 it refuses requests a healthy backend accepts), got {}", t.k));
                }
                if t.window == SimDuration::ZERO {
                    err(at("window"), "must be longer than zero".into());
                }
                if let Some(list) = &t.refusals {
                    check_errors(list, at("refusals"), &mut err);
                }
            }
            PolicySpec::Fallback(f) => {
                if let Some(list) = &f.on {
                    check_errors(list, at("on"), &mut err);
                }
            }
            PolicySpec::Custom { .. } => {}
        }
    }
    out.into_iter()
        .map(|(path, _, msg)| match msg.strip_prefix(WARNING) {
            Some(m) => (path, true, m.to_string()),
            None => (path, false, msg),
        })
        .collect()
}

const WARNING: &str = "warning: ";

fn out_warn(err: &mut impl FnMut(String, String), path: String, msg: String) {
    // Marked by a prefix that `validate` turns into the warning flag.
    err(path, format!("{WARNING}{msg}"));
}

fn check_errors(list: &[Outcome], path: String, err: &mut impl FnMut(String, String)) {
    for o in list {
        if !o.is_error() {
            err(path.clone(), format!("`{o:?}` is not an error"));
        }
    }
}
