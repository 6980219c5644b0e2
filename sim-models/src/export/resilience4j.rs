//! Resilience4j: Spring Boot `application.yml` instances.

use super::document::{Body, Draft, Library, Untranslated};
use super::plan::{outcomes, Plan};
use super::yaml::{dur, misread_name, num, Tree};
use crate::policy::bulkhead::BulkheadSpec;
use crate::policy::circuit_breaker::{
    AfterHalfOpen, BreakerSpec, BreakerWindow, Resilience4jBreakerSpec,
};
use crate::policy::concurrency_limit::LimitSpec;
use crate::policy::rate_limiter::RateLimiterSpec;
use crate::policy::retry::{Backoff, RetrySpec};
use crate::policy::PolicySpec;
use serde_yaml::{Mapping, Value};
use sim_core::SimDuration;

/// Spring Boot's default decorator order, outermost first:
/// `Retry(CircuitBreaker(RateLimiter(TimeLimiter(Bulkhead(call)))))`.
const R4J_ORDER: [&str; 5] = [
    "retry",
    "circuitbreaker",
    "ratelimiter",
    "timelimiter",
    "bulkhead",
];

fn r4j_aspect(module: &str) -> &str {
    match module {
        "thread-pool-bulkhead" => "bulkhead",
        m => m,
    }
}

pub(super) fn resilience4j(
    caller: &str,
    plans: &[Plan],
    un: &mut Vec<Untranslated>,
) -> Option<Draft> {
    let lib = Library::Resilience4j;
    let mut root = Mapping::new();
    let mut remarks = Vec::new();
    for p in plans.iter().filter(|p| p.uses(lib)) {
        remarks.extend(misread_name(p.target));
        // (stack index, module) of every instance written for this edge, for the order check.
        let mut order: Vec<(usize, &'static str)> = Vec::new();
        let mut instance = |root: &mut Mapping, module: &'static str, at: usize| -> String {
            let instances = root.child("resilience4j").child(module).child("instances");
            let mut name = p.target.to_string();
            let mut n = 1;
            while instances.contains_key(name.as_str()) {
                n += 1;
                name = format!("{}-{n}", p.target);
            }
            order.push((at, module));
            name
        };
        for (i, spec) in p.layers_for(lib) {
            let layer = Some((i, spec));
            match spec {
                PolicySpec::CircuitBreaker(BreakerSpec::Resilience4j(b)) => {
                    let name = instance(&mut root, "circuitbreaker", i);
                    let m = r4j_module(&mut root, "circuitbreaker").child(&name);
                    r4j_breaker(m, b, p, layer, un);
                }
                PolicySpec::Retry(r) => {
                    let name = instance(&mut root, "retry", i);
                    let m = r4j_module(&mut root, "retry").child(&name);
                    r4j_retry(m, r, p, layer, un);
                }
                PolicySpec::Bulkhead(BulkheadSpec::Semaphore {
                    max_concurrent,
                    max_wait,
                }) => {
                    let name = instance(&mut root, "bulkhead", i);
                    r4j_module(&mut root, "bulkhead")
                        .child(&name)
                        .put("maxConcurrentCalls", *max_concurrent)
                        .put("maxWaitDuration", dur(*max_wait, lib));
                }
                PolicySpec::Bulkhead(BulkheadSpec::ThreadPool {
                    core_threads,
                    max_threads,
                    queue_capacity,
                }) => {
                    let name = instance(&mut root, "thread-pool-bulkhead", i);
                    r4j_module(&mut root, "thread-pool-bulkhead")
                        .child(&name)
                        .put("coreThreadPoolSize", *core_threads)
                        .put("maxThreadPoolSize", *max_threads)
                        .put("queueCapacity", *queue_capacity);
                }
                PolicySpec::RateLimiter(RateLimiterSpec {
                    limit_for_period,
                    refresh_period,
                    timeout,
                }) => {
                    let name = instance(&mut root, "ratelimiter", i);
                    r4j_module(&mut root, "ratelimiter")
                        .child(&name)
                        .put("limitForPeriod", *limit_for_period)
                        .put("limitRefreshPeriod", dur(*refresh_period, lib))
                        .put("timeoutDuration", dur(*timeout, lib));
                }
                PolicySpec::ConcurrencyLimit(LimitSpec::Fixed { limit }) => {
                    let name = instance(&mut root, "bulkhead", i);
                    r4j_module(&mut root, "bulkhead")
                        .child(&name)
                        .put("maxConcurrentCalls", *limit)
                        .put("maxWaitDuration", dur(SimDuration::ZERO, lib));
                    remarks.push(format!(
                        "calls to {}: bulkhead {name} is ConcurrencyLimit(Fixed(limit: {limit})): \
                         a semaphore that refuses at once",
                        p.target
                    ));
                }
                other => p.note(
                    un,
                    lib,
                    layer,
                    ron::to_string(other).unwrap_or_else(|_| other.kind().into()),
                    "no Resilience4j equivalent",
                ),
            }
        }
        if p.home == lib {
            // One TimeLimiter per name: the per-attempt limit if there is one, else the
            // whole call's.
            let per_attempt = p.attempt_timeout.is_some();
            let chosen = if per_attempt {
                p.attempt_timeout
            } else {
                p.stack_timeout
            };
            if let Some(t) = chosen {
                let at = p
                    .timeouts
                    .iter()
                    .find(|(_, a)| *a == per_attempt)
                    .map_or(0, |(i, _)| *i);
                let name = instance(&mut root, "timelimiter", at);
                r4j_module(&mut root, "timelimiter")
                    .child(&name)
                    .put("timeoutDuration", dur(t, lib));
            }
            if let (true, Some(t)) = (per_attempt, p.stack_timeout) {
                p.note(
                    un,
                    lib,
                    None,
                    format!("Timeout(\"{t}\") around the Retry (the whole call)"),
                    "the TimeLimiter above limits each attempt; a second limit around the retries \
                     needs its own TimeLimiter instance with a lower timeLimiterAspectOrder than \
                     retryAspectOrder",
                );
            }
        }
        if let Some(t) = p.edge_timeout {
            remarks.push(format!(
                "calls to {}: the call's own timeout of {t} is your HTTP or RPC client's \
                 timeout, not a Resilience4j setting",
                p.target
            ));
        }
        // The order of the decorators: Spring Boot nests them in a fixed order.
        let mut sorted = order.clone();
        sorted.sort_by_key(|(i, _)| *i);
        let in_stack: Vec<&str> = sorted.iter().map(|(_, m)| r4j_aspect(m)).collect();
        let rank = |m: &str| R4J_ORDER.iter().position(|x| *x == m).unwrap_or(0);
        if in_stack.windows(2).any(|w| rank(w[0]) > rank(w[1])) {
            remarks.push(format!(
                "calls to {}: the simulated order, outermost first, is {}; Spring Boot nests \
                 Retry(CircuitBreaker(RateLimiter(TimeLimiter(Bulkhead(call))))) unless \
                 retryAspectOrder, circuitBreakerAspectOrder, rateLimiterAspectOrder, \
                 timeLimiterAspectOrder and bulkheadAspectOrder say otherwise (the lower value \
                 runs outside): set them to match",
                p.target,
                in_stack.join(" → ")
            ));
        }
    }
    if root.is_empty() {
        return None;
    }
    Some(Draft {
        library: lib,
        target: None,
        remarks,
        body: Body::Yaml {
            title: format!(
                "Resilience4j 2.x, Spring Boot application.yml: the calls of {caller} (exported \
                 by Faultline)"
            ),
            value: Value::Mapping(root),
        },
    })
}

fn r4j_module<'m>(root: &'m mut Mapping, module: &str) -> &'m mut Mapping {
    root.child("resilience4j").child(module).child("instances")
}

fn r4j_breaker(
    m: &mut Mapping,
    b: &Resilience4jBreakerSpec,
    p: &Plan,
    layer: Option<(usize, &PolicySpec)>,
    un: &mut Vec<Untranslated>,
) {
    let lib = Library::Resilience4j;
    let (kind, size) = match b.window {
        BreakerWindow::Count(n) => ("COUNT_BASED", n),
        BreakerWindow::Time(n) => ("TIME_BASED", n),
    };
    m.put("slidingWindowType", kind)
        .put("slidingWindowSize", size)
        .put("minimumNumberOfCalls", b.minimum_calls)
        .put("failureRateThreshold", num(b.failure_rate_threshold))
        .put("slowCallRateThreshold", num(b.slow_call_rate_threshold))
        .put("slowCallDurationThreshold", dur(b.slow_call_duration, lib))
        .put("waitDurationInOpenState", dur(b.wait_in_open, lib));
    if b.wait_multiplier != 1.0 {
        m.put("enableExponentialBackoff", true)
            .put("exponentialBackoffMultiplier", num(b.wait_multiplier));
        if let Some(max) = b.max_wait_in_open {
            m.put("exponentialMaxWaitDurationInOpenState", dur(max, lib));
        }
    }
    m.put(
        "permittedNumberOfCallsInHalfOpenState",
        b.permitted_in_half_open,
    )
    .put(
        "automaticTransitionFromOpenToHalfOpenEnabled",
        b.automatic_transition,
    )
    .put(
        "maxWaitDurationInHalfOpenState",
        dur(b.max_wait_in_half_open, lib),
    );
    if b.after_half_open_wait == AfterHalfOpen::Closed && b.max_wait_in_half_open.as_nanos() > 0 {
        p.note(
            un,
            lib,
            layer,
            "after_half_open_wait: Closed".into(),
            "transitionToStateAfterWaitDuration(CLOSED) has no Spring Boot property in the \
             versions checked: set it in a CircuitBreakerConfigCustomizer",
        );
    }
    if b.scope == crate::policy::BreakerScope::RetriesOnly {
        p.note(
            un,
            lib,
            layer,
            "scope: RetriesOnly".into(),
            "Resilience4j's breaker refuses every call: to stop only retries, keep the breaker \
             off the call and give the Retry a retryOnResultPredicate / retryExceptions check \
             that declines to retry while CircuitBreaker.getState() is OPEN",
        );
    }
    if let Some(list) = &b.record {
        p.note(
            un,
            lib,
            layer,
            format!("record: {}", outcomes(list)),
            "recordExceptions takes your exception classes: list the ones these outcomes raise",
        );
    }
}

fn r4j_retry(
    m: &mut Mapping,
    r: &RetrySpec,
    p: &Plan,
    layer: Option<(usize, &PolicySpec)>,
    un: &mut Vec<Untranslated>,
) {
    let lib = Library::Resilience4j;
    m.put("maxAttempts", r.attempts());
    match &r.backoff {
        Backoff::Immediate => {
            m.put("waitDuration", dur(SimDuration::ZERO, lib));
        }
        Backoff::Constant(d) => {
            m.put("waitDuration", dur(*d, lib));
        }
        Backoff::Resilience4j {
            initial,
            multiplier,
            randomization,
            max,
        } => {
            let randomized = *randomization > 0.0;
            // A cap needs the exponential function (a multiplier of 1 keeps it constant);
            // without jitter a capped constant wait is just the smaller of the two.
            let exponential = *multiplier != 1.0 || (max.is_some() && randomized);
            let wait = match max {
                Some(cap) if !exponential => (*initial).min(*cap),
                _ => *initial,
            };
            m.put("waitDuration", dur(wait, lib));
            if exponential {
                m.put("enableExponentialBackoff", true)
                    .put("exponentialBackoffMultiplier", num(*multiplier));
                if let Some(cap) = max {
                    m.put("exponentialMaxWaitDuration", dur(*cap, lib));
                }
            }
            if randomized {
                m.put("enableRandomizedWait", true)
                    .put("randomizedWaitFactor", num(*randomization));
            }
        }
        other => p.note(
            un,
            lib,
            layer,
            format!("backoff: {}", ron::to_string(other).unwrap_or_default()),
            "no Resilience4j IntervalFunction computes it",
        ),
    }
    if let Some(list) = &r.retry_on {
        p.note(
            un,
            lib,
            layer,
            format!("retry_on: {}", outcomes(list)),
            "retryExceptions takes your exception classes: list the ones these outcomes raise",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::export_stack;
    use crate::export::testing::specs;

    #[test]
    fn resilience4j_breaker_and_retry_export_the_exact_spring_boot_yaml() {
        let stack = specs(
            r#"[
                Retry((
                    max_attempts: Some(4),
                    backoff: Resilience4j(initial: "1500ms", multiplier: 2.0, randomization: 0.5, max: Some("10s")),
                )),
                CircuitBreaker(Resilience4j((
                    window: Count(20),
                    minimum_calls: 10,
                    failure_rate_threshold: 40.0,
                    slow_call_rate_threshold: 80.0,
                    slow_call_duration: "800ms",
                    wait_in_open: "5s",
                    permitted_in_half_open: 3,
                ))),
                Timeout("250ms"),
            ]"#,
        );
        let export = export_stack("checkout", "payments", &stack);
        assert_eq!(export.untranslated, []);
        assert_eq!(export.documents.len(), 1);
        let doc = &export.documents[0];
        assert_eq!(doc.library, Library::Resilience4j);
        assert_eq!(doc.remarks, Vec::<String>::new());
        assert_eq!(
            doc.text,
            "\
# Resilience4j 2.x, Spring Boot application.yml: the calls of checkout (exported by Faultline)
resilience4j:
  retry:
    instances:
      payments:
        maxAttempts: 4
        waitDuration: 1500ms
        enableExponentialBackoff: true
        exponentialBackoffMultiplier: 2
        exponentialMaxWaitDuration: 10s
        enableRandomizedWait: true
        randomizedWaitFactor: 0.5
  circuitbreaker:
    instances:
      payments:
        slidingWindowType: COUNT_BASED
        slidingWindowSize: 20
        minimumNumberOfCalls: 10
        failureRateThreshold: 40
        slowCallRateThreshold: 80
        slowCallDurationThreshold: 800ms
        waitDurationInOpenState: 5s
        permittedNumberOfCallsInHalfOpenState: 3
        automaticTransitionFromOpenToHalfOpenEnabled: false
        maxWaitDurationInHalfOpenState: 0ms
  timelimiter:
    instances:
      payments:
        timeoutDuration: 250ms
"
        );
    }

    #[test]
    fn a_constant_resilience4j_wait_with_a_cap_is_the_smaller_constant() {
        let stack =
            specs(r#"[Retry((backoff: Resilience4j(initial: "800ms", max: Some("300ms"))))]"#);
        let text = &export_stack("a", "b", &stack).documents[0].text;
        assert!(text.contains("        maxAttempts: 3\n        waitDuration: 300ms\n"));
        assert!(!text.contains("enableExponentialBackoff"));
    }

    #[test]
    fn a_stack_in_another_order_than_spring_boots_says_which_aspect_orders_to_set() {
        let stack =
            specs(r#"[CircuitBreaker(Resilience4j(())), Retry((backoff: Constant("20ms")))]"#);
        let doc = &export_stack("a", "b", &stack).documents[0];
        assert_eq!(doc.remarks.len(), 1);
        assert!(doc.remarks[0].contains("circuitbreaker → retry"));
        assert!(doc.remarks[0].contains("retryAspectOrder"));
        assert!(doc.text.contains("# calls to b: the simulated order"));
    }
}
