//! Range checks of policy parameters, with each library's own valid range in the message, so
//! that a value accepted here is accepted by the library it will be carried to.

use super::bulkhead::BulkheadSpec;
use super::circuit_breaker::{BreakerSpec, BreakerWindow};
use super::hedging::HedgeSpec;
use super::retry::Backoff;
use super::retry_budget::BudgetSpec;
use super::{PolicySpec, ServerPolicySpec};
use crate::outcome::Outcome;
use sim_core::SimDuration;

/// A problem: the field's path under the list (e.g. `2.failure_rate_threshold`), whether it
/// is only a warning, and the message.
pub type Finding = (String, bool, String);

/// Checks a policy list; paths are relative to the list.
pub fn validate(specs: &[PolicySpec]) -> Vec<Finding> {
    let mut out = Findings::default();
    let retry = specs
        .iter()
        .position(|s| matches!(s, PolicySpec::Retry(_) | PolicySpec::Hedge(_)));
    let retries = specs
        .iter()
        .filter(|s| matches!(s, PolicySpec::Retry(_)))
        .count();
    let ms = |d: SimDuration| d.as_nanos() as f64 / 1e6;
    if specs.len() > super::MAX_LAYERS {
        out.err(
            format!("{}", super::MAX_LAYERS),
            format!(
                "a policy list has at most {} layers, this one has {}",
                super::MAX_LAYERS,
                specs.len()
            ),
        );
        return out.0;
    }
    for (i, spec) in specs.iter().enumerate() {
        let at = |field: &str| {
            if field.is_empty() {
                format!("{i}")
            } else {
                format!("{i}.{field}")
            }
        };
        if let PolicySpec::CircuitBreaker(b) = spec {
            let scope = match b {
                BreakerSpec::Resilience4j(b) => b.scope,
                BreakerSpec::Polly(b) => b.scope,
            };
            if scope == crate::policy::BreakerScope::RetriesOnly && retry.is_none_or(|r| r > i) {
                out.warn(
                    at("scope"),
                    "a RetriesOnly breaker refuses only retries, and it sees attempt numbers only inside a Retry or Hedge layer (listed before it); here every call is a first try, so it never refuses anything".into(),
                );
            }
        }
        match spec {
            PolicySpec::Hedge(h) => {
                if specs[..i]
                    .iter()
                    .any(|s| matches!(s, PolicySpec::Retry(_) | PolicySpec::Hedge(_)))
                    || specs[i + 1..]
                        .iter()
                        .any(|s| matches!(s, PolicySpec::Retry(_) | PolicySpec::Hedge(_)))
                {
                    out.err(at(""), "a call uses either retries or hedging, never both, and one Hedge per list (gRFC A6)".into());
                }
                for (k, after) in specs.iter().enumerate().skip(i + 1) {
                    if !matches!(
                        after,
                        PolicySpec::RetryBudget(
                            BudgetSpec::Grpc { .. } | BudgetSpec::Finagle { .. }
                        )
                    ) {
                        out.err(format!("{k}"), format!("after a Hedge only a RetryBudget(Grpc(..)) or RetryBudget(Finagle(..)) may follow (the budgets of the libraries that hedge); put `{}` before the Hedge", after.kind()));
                    }
                }
                match h {
                    HedgeSpec::Grpc {
                        max_attempts,
                        non_fatal,
                        ..
                    } => {
                        if !(2..=5).contains(max_attempts) {
                            out.err(at("max_attempts"), format!("gRPC hedging needs maxAttempts > 1 and clamps it to 5: use 2 to 5, got {max_attempts}"));
                        }
                        check_errors(non_fatal, at("non_fatal"), &mut out);
                    }
                    HedgeSpec::Finagle { max_extra_load, .. } => {
                        if !(*max_extra_load > 0.0 && *max_extra_load <= 1.0) {
                            out.err(at("max_extra_load"), format!("Finagle's BackupRequestFilter requires maxExtraLoad in (0, 1], got {max_extra_load}"));
                        }
                    }
                }
            }
            PolicySpec::ConcurrencyLimit(l) => {
                if specs[..i]
                    .iter()
                    .any(|s| matches!(s, PolicySpec::ConcurrencyLimit(_)))
                {
                    out.err(at(""), "one ConcurrencyLimit per list".into());
                }
                for (field, message) in super::concurrency_limit::check(l) {
                    out.err(at(&field), message);
                }
            }
            PolicySpec::Timeout(d) => {
                if *d == SimDuration::ZERO {
                    out.err(at(""), "a timeout must be longer than zero".into());
                }
            }
            PolicySpec::Retry(r) => {
                if retries > 1 {
                    out.err(at(""), "one Retry per list: a second would multiply attempts again; put the stack on another edge instead".into());
                }
                if r.max_attempts.is_some() && r.max_retries.is_some() {
                    out.err(
                        at("max_retries"),
                        "give max_attempts (the first attempt included) or max_retries, not both"
                            .into(),
                    );
                }
                let attempts = r.attempts();
                if attempts == 0 {
                    out.err(
                        at("max_attempts"),
                        "must be at least 1 (the first attempt)".into(),
                    );
                }
                if attempts > 100 {
                    out.err(
                        at("max_attempts"),
                        format!("{attempts} attempts: at most 100"),
                    );
                }
                if let Some(list) = &r.retry_on {
                    check_errors(list, at("retry_on"), &mut out);
                }
                for p in r.backoff.problems() {
                    out.err(at(&p.path("backoff")), p.message);
                }
                match &r.backoff {
                    Backoff::Grpc { .. } => {
                        if attempts < 2 {
                            out.err(
                                at("max_attempts"),
                                "gRPC requires maxAttempts > 1 (the original included)".into(),
                            );
                        }
                        if attempts > 5 {
                            out.warn(at("max_attempts"), format!("gRPC clamps maxAttempts to 5 unless the channel raises the limit; {attempts} may not carry over"));
                        }
                    }
                    Backoff::Polly { .. } if r.max_retries == Some(0) => {
                        out.err(
                            at("max_retries"),
                            "Polly requires MaxRetryAttempts >= 1".into(),
                        );
                    }
                    _ => {}
                }
            }
            PolicySpec::RetryBudget(b) => {
                if retry.is_none_or(|r| i < r) {
                    out.err(
                        at(""),
                        "a retry budget counts attempts: list it after the Retry (or Hedge)".into(),
                    );
                }
                match b {
                    BudgetSpec::Grpc {
                        max_tokens,
                        token_ratio,
                    } => {
                        if !(*max_tokens > 0.0 && *max_tokens <= 1000.0) {
                            out.err(
                                at("max_tokens"),
                                format!("gRPC requires maxTokens in (0, 1000], got {max_tokens}"),
                            );
                        }
                        if *token_ratio <= 0.0 {
                            out.err(
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
                            out.err(at(""), "the AWS retry quota needs capacity and costs of at least 1 (defaults 500, 5, 10)".into());
                        }
                    }
                    BudgetSpec::Finagle {
                        ttl,
                        percent_can_retry,
                        ..
                    } => {
                        let s = ttl.as_nanos() as f64 / 1e9;
                        if !(1.0..=60.0).contains(&s) {
                            out.err(
                                at("ttl"),
                                format!("Finagle requires ttl between 1 s and 60 s, got {ttl}"),
                            );
                        }
                        if !(0.0..=1000.0).contains(percent_can_retry) {
                            out.err(at("percent_can_retry"), format!("Finagle requires percentCanRetry in [0, 1000], got {percent_can_retry}"));
                        }
                    }
                    BudgetSpec::Envoy { budget_percent, .. } => {
                        if !(0.0..=100.0).contains(budget_percent) {
                            out.err(at("budget_percent"), format!("Envoy requires budget_percent in [0, 100], got {budget_percent}"));
                        }
                    }
                    BudgetSpec::Brooker {
                        deposit,
                        capacity,
                        initial,
                    } => {
                        if !(deposit.is_finite() && *deposit > 0.0) {
                            out.err(at("deposit"), format!("each first try must deposit a positive fraction of a token (Brooker uses 0.1), got {deposit}"));
                        }
                        if !(capacity.is_finite() && *capacity > 1.0) {
                            out.err(at("capacity"), format!("a retry needs more than one whole token, so the bucket must hold more than 1 (Brooker uses 5), got {capacity}"));
                        }
                        if let Some(v) = initial {
                            if !(0.0..=*capacity).contains(v) {
                                out.err(
                                    at("initial"),
                                    format!("the initial fill must be in [0, capacity = {capacity}], got {v}"),
                                );
                            }
                        }
                    }
                    BudgetSpec::Sre { ratio, window } => {
                        if !(*ratio > 0.0 && *ratio <= 1.0) {
                            out.err(at("ratio"), format!("the retry ratio must be in (0, 1] (the SRE book uses 0.1), got {ratio}"));
                        }
                        if *window == SimDuration::ZERO {
                            out.err(at("window"), "must be longer than zero".into());
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
                        out.err(at(field), format!("Resilience4j requires a rate threshold in (0, 100] percent, got {v}"));
                    }
                }
                let size = match b.window {
                    BreakerWindow::Count(n) | BreakerWindow::Time(n) => n,
                };
                if size == 0 {
                    out.err(
                        at("window"),
                        "Resilience4j requires slidingWindowSize >= 1".into(),
                    );
                }
                if b.minimum_calls == 0 {
                    out.err(
                        at("minimum_calls"),
                        "Resilience4j requires minimumNumberOfCalls >= 1".into(),
                    );
                }
                if b.permitted_in_half_open == 0 {
                    out.err(
                        at("permitted_in_half_open"),
                        "Resilience4j requires permittedNumberOfCallsInHalfOpenState >= 1".into(),
                    );
                }
                if ms(b.wait_in_open) < 1.0 {
                    out.err(
                        at("wait_in_open"),
                        "Resilience4j requires waitDurationInOpenState of at least 1 ms".into(),
                    );
                }
                if b.slow_call_duration == SimDuration::ZERO {
                    out.err(
                        at("slow_call_duration"),
                        "Resilience4j requires slowCallDurationThreshold of at least 1 ns".into(),
                    );
                }
                if b.wait_multiplier < 1.0 {
                    out.err(at("wait_multiplier"), format!("Resilience4j's exponential interval requires multiplier >= 1.0, got {}", b.wait_multiplier));
                }
                if let Some(list) = &b.record {
                    check_errors(list, at("record"), &mut out);
                }
            }
            PolicySpec::CircuitBreaker(BreakerSpec::Polly(b)) => {
                if !(b.failure_ratio > 0.0 && b.failure_ratio <= 1.0) {
                    out.err(
                        at("failure_ratio"),
                        format!(
                            "Polly requires FailureRatio in (0, 1], got {}",
                            b.failure_ratio
                        ),
                    );
                }
                if b.minimum_throughput < 2 {
                    out.err(
                        at("minimum_throughput"),
                        format!(
                            "Polly requires MinimumThroughput >= 2, got {}",
                            b.minimum_throughput
                        ),
                    );
                }
                if b.sampling_duration < SimDuration::from_millis(500) {
                    out.err(
                        at("sampling_duration"),
                        "Polly requires SamplingDuration of at least 500 ms".into(),
                    );
                }
                if b.break_duration < SimDuration::from_millis(500) {
                    out.err(
                        at("break_duration"),
                        "Polly requires BreakDuration of at least 500 ms".into(),
                    );
                }
                if let Some(list) = &b.record {
                    check_errors(list, at("record"), &mut out);
                }
            }
            PolicySpec::Bulkhead(BulkheadSpec::ThreadPool {
                core_threads,
                max_threads,
                ..
            }) => {
                if *core_threads == 0 || max_threads < core_threads {
                    out.err(at(""), format!("Resilience4j requires coreThreadPoolSize >= 1 and maxThreadPoolSize >= coreThreadPoolSize, got {core_threads} and {max_threads}"));
                }
            }
            PolicySpec::Bulkhead(BulkheadSpec::Semaphore { .. }) => {}
            PolicySpec::RateLimiter(r) => {
                if r.limit_for_period == 0 {
                    out.err(
                        at("limit_for_period"),
                        "Resilience4j requires limitForPeriod >= 1".into(),
                    );
                }
                if r.refresh_period == SimDuration::ZERO {
                    out.err(
                        at("refresh_period"),
                        "Resilience4j requires limitRefreshPeriod of at least 1 ns".into(),
                    );
                }
            }
            PolicySpec::AdaptiveThrottle(t) => {
                if t.k < 1.0 || !t.k.is_finite() {
                    out.err(at("k"), format!("K must be at least 1 (the SRE book recommends 2; below 1 it refuses requests a healthy backend accepts), got {}", t.k));
                }
                if t.window == SimDuration::ZERO {
                    out.err(at("window"), "must be longer than zero".into());
                }
                if let Some(list) = &t.refusals {
                    check_errors(list, at("refusals"), &mut out);
                }
            }
            PolicySpec::Fallback(f) => {
                if let Some(list) = &f.on {
                    check_errors(list, at("on"), &mut out);
                }
            }
            PolicySpec::Custom { .. } => {}
        }
    }
    out.0
}

/// Checks a service's server policies; paths are relative to the list.
pub fn validate_server(specs: &[ServerPolicySpec]) -> Vec<Finding> {
    let mut out = Findings::default();
    for (i, spec) in specs.iter().enumerate() {
        let at = |field: &str| format!("{i}.{field}");
        if specs[..i].iter().any(|s| s.kind() == spec.kind()) {
            out.err(
                format!("{i}"),
                format!("a second `{}`: one of each per service", spec.kind()),
            );
        }
        match spec {
            ServerPolicySpec::ShedQueueLength { .. } | ServerPolicySpec::Criticality(_) => {}
            ServerPolicySpec::ShedQueueWait { max_wait } => {
                if *max_wait == SimDuration::ZERO {
                    out.err(
                        at("max_wait"),
                        "must be longer than zero: a zero wait sheds every queued request".into(),
                    );
                }
            }
            ServerPolicySpec::CoDel(c) => {
                if c.target == SimDuration::ZERO || c.interval == SimDuration::ZERO {
                    out.err(
                        at("target"),
                        "CoDel needs target > 0 and interval > 0 (RFC 8289: 5 ms and 100 ms)"
                            .into(),
                    );
                } else if c.target >= c.interval {
                    out.err(
                        at("target"),
                        format!(
                            "must be shorter than interval ({}): RFC 8289 sets target to 5-10% of interval",
                            c.interval
                        ),
                    );
                }
            }
            ServerPolicySpec::AdaptiveLifo(l) => {
                if l.m == SimDuration::ZERO || l.n == SimDuration::ZERO {
                    out.err(
                        at("m"),
                        "m and n must be longer than zero (Fail at Scale: 5 ms and 100 ms)".into(),
                    );
                } else if l.m > l.n {
                    out.err(
                        at("m"),
                        format!(
                            "the standing-queue timeout m must not exceed n ({}), got {}",
                            l.n, l.m
                        ),
                    );
                }
            }
            ServerPolicySpec::ConcurrencyLimit(l) => {
                for (field, message) in super::concurrency_limit::check(l) {
                    out.err(at(&field), message);
                }
            }
            ServerPolicySpec::TenantRateLimit(t) => {
                if !(t.rate.is_finite() && t.rate > 0.0) {
                    out.err(
                        at("rate"),
                        format!(
                            "must be a positive number of requests per second, got {}",
                            t.rate
                        ),
                    );
                }
                if let Some(b) = t.burst {
                    if !(b.is_finite() && b >= 1.0) {
                        out.err(at("burst"), format!("must be at least 1 request, got {b}"));
                    }
                }
            }
            ServerPolicySpec::Custom { .. } => {}
        }
    }
    out.0
}

/// Findings collected in order.
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn err(&mut self, path: String, message: String) {
        self.0.push((path, false, message));
    }
    fn warn(&mut self, path: String, message: String) {
        self.0.push((path, true, message));
    }
}

fn check_errors(list: &[Outcome], path: String, f: &mut Findings) {
    for o in list {
        if !o.is_error() {
            f.err(path.clone(), format!("`{o:?}` is not an error"));
        }
    }
}
