//! Resilience policies in whole runs: retry amplification with and without budgets, the
//! breaker against a slow dependency, bulkheads, rate limits, per-attempt timeouts, fallbacks
//! and a user-defined policy — over many seeds, with conservation checked on every run.

mod common;

use common::{run_checked, scenario};
use sim_core::{SimRng, SimTime};
use sim_models::policy::{Arrival, CallerPolicy, PolicyRegistry, Verdict};
use sim_models::{load_scenario, run_with_policies, EdgeReport, Outcome, Report};

fn edge<'a>(r: &'a Report, from: &str, to: &str) -> &'a EdgeReport {
    r.edges
        .iter()
        .find(|e| e.from == from && e.to == to)
        .unwrap_or_else(|| panic!("no edge {from} -> {to}"))
}

fn bundled(name: &str) -> sim_models::Scenario {
    let path = format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    load_scenario(std::path::Path::new(&path), &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

/// Attempts that reached the bottom service per user request.
fn bottom_amplification(r: &Report) -> f64 {
    edge(r, "api", "db").attempts as f64 / r.clients["users"].sent as f64
}

#[test]
fn three_layers_of_three_attempts_amplify_a_total_failure_about_27_times() {
    let s = bundled("retry-amplification.ron");
    for seed in 1..=20 {
        let r = run_checked(&s, seed);
        let a = bottom_amplification(&r);
        assert!((25.0..=27.0).contains(&a), "seed {seed}: {a}");
        for (from, to) in [("users", "edge"), ("edge", "api"), ("api", "db")] {
            let e = edge(&r, from, to);
            assert!(
                e.amplification >= 2.9,
                "seed {seed}: {from} -> {to} {}",
                e.amplification
            );
        }
    }
}

#[test]
fn retry_budgets_hold_the_same_failure_under_one_and_a_half_times() {
    let s = bundled("retry-amplification-budget.ron");
    for seed in 1..=20 {
        let r = run_checked(&s, seed);
        let a = bottom_amplification(&r);
        assert!(a <= 1.5, "seed {seed}: {a}");
        assert!(edge(&r, "edge", "api").rejections["budget_exhausted"] > 0);
    }
}

fn one_layer(policies: &str) -> String {
    format!(
        r#"(
            duration: "100s",
            clients: {{ "users": Open(rate: 50, target: "api") }},
            services: {{
                "api": (workers: 100, steps: [Call(to: "db", timeout: "5s", policies: [{policies}])]),
                "db": (workers: 100, service_time: Exponential(mean: "5ms")),
            }},
            faults: [ErrorInjection(service: "db", start: "0s", duration: "100s", fraction: 1.0)],
        )"#
    )
}

#[test]
fn without_a_budget_three_attempts_triple_the_load_and_each_budget_kind_keeps_it_near_one() {
    let retry = r#"Retry(max_attempts: 3, backoff: Constant("10ms"))"#;
    for seed in 1..=10 {
        let r = run_checked(&scenario(&one_layer(retry)), seed);
        let a = edge(&r, "api", "db").amplification;
        assert!(a >= 3.0 - 1e-9 * 0.0 - 0.01, "seed {seed}: no budget {a}");
        for budget in [
            "Grpc(max_tokens: 10, token_ratio: 0.1)",
            "AwsStandard()",
            "Sre(ratio: 0.1)",
            "Finagle(ttl: \"10s\", min_retries_per_sec: 1, percent_can_retry: 0.1)",
        ] {
            let text = one_layer(&format!("{retry}, RetryBudget({budget})"));
            let r = run_checked(&scenario(&text), seed);
            let a = edge(&r, "api", "db").amplification;
            assert!(a <= 1.2, "seed {seed}: {budget}: {a}");
        }
    }
}

#[test]
fn the_breaker_at_least_halves_the_callers_p99_and_keeps_its_workers_free() {
    for seed in 1..=10 {
        let slow = run_checked(&bundled("slow-dependency.ron"), seed);
        let guarded = run_checked(&bundled("slow-dependency-breaker.ron"), seed);
        let (p_slow, p_guarded) = (
            slow.clients["users"].latency.p99,
            guarded.clients["users"].latency.p99,
        );
        assert!(
            p_guarded * 2.0 <= p_slow,
            "seed {seed}: p99 {p_guarded} with the breaker vs {p_slow} without"
        );
        let (u_slow, u_guarded) = (
            slow.services["api"].utilization,
            guarded.services["api"].utilization,
        );
        assert!(
            u_guarded * 2.0 <= u_slow,
            "seed {seed}: {u_guarded} vs {u_slow}"
        );
        let e = edge(&guarded, "api", "recs");
        assert!(e.rejections["circuit_open"] > 0);
        // The fallback sits outside the breaker: every refused call was answered by it.
        assert!(e.fallbacks >= e.rejections["circuit_open"]);
        assert_eq!(e.errors["circuit_open"], 0);
    }
}

#[test]
fn a_per_attempt_timeout_after_the_retry_limits_each_attempt_not_the_call() {
    // db takes 100 ms; each attempt may take 30 ms; three attempts fail, the call fails as
    // `timeout` after ~3 × 30 ms + backoffs, and db saw 3 attempts per call.
    let text = r#"(
        duration: "20s",
        clients: { "users": Open(rate: 10, target: "api") },
        services: {
            "api": (workers: 100, steps: [Call(to: "db", policies: [
                Retry(max_attempts: 3, backoff: Constant("10ms")), Timeout("30ms")])]),
            "db": (workers: 100, service_time: Deterministic(value: "100ms")),
        },
    )"#;
    let r = run_checked(&scenario(text), 1);
    let e = edge(&r, "api", "db");
    assert_eq!(e.attempts, 3 * e.requests);
    assert_eq!(e.completed, 0);
    // Every call ended as `timeout`, but the one or two still in flight at the end.
    assert!(e.requests - e.errors["timeout"] <= 2, "{e:?}");
    // The call failed, so each request failed as `dependency`.
    let users = &r.clients["users"];
    assert!(users.sent - users.errors["dependency"] <= 2);
    // The abandoned attempts still ran to the end on db: wasted work.
    assert!(r.services["db"].wasted > 0, "{:?} {e:?}", r.services["db"]);
}

#[test]
fn a_semaphore_bulkhead_refuses_calls_beyond_its_limit_and_no_more() {
    let text = r#"(
        duration: "20s",
        clients: { "users": Open(rate: 100, process: Constant, target: "api") },
        services: {
            "api": (workers: 100, steps: [Call(to: "db", policies: [
                Bulkhead(Semaphore(max_concurrent: 5))])]),
            "db": (workers: 100, service_time: Deterministic(value: "100ms")),
        },
    )"#;
    // 100 calls/s of 100 ms: 10 would be in flight; 5 may be, so half are refused.
    let r = run_checked(&scenario(text), 1);
    let e = edge(&r, "api", "db");
    let refused = e.rejections["bulkhead_full"] as f64 / e.requests as f64;
    assert!((refused - 0.5).abs() < 0.02, "{refused}");
    assert_eq!(e.errors["bulkhead_full"], e.rejections["bulkhead_full"]);
    assert_eq!(e.policies[0].layer, "bulkhead");
    assert!(
        (e.policies[0].mean - 5.0).abs() < 0.2,
        "{}",
        e.policies[0].mean
    );
}

#[test]
fn a_bulkhead_with_a_wait_queues_calls_instead_of_refusing_them() {
    let text = r#"(
        duration: "20s",
        clients: { "users": Open(rate: 40, process: Constant, target: "api") },
        services: {
            "api": (workers: 100, steps: [Call(to: "db", policies: [
                Bulkhead(Semaphore(max_concurrent: 5, max_wait: "1s"))])]),
            "db": (workers: 100, service_time: Deterministic(value: "100ms")),
        },
    )"#;
    // 40/s of 100 ms needs 4 permits: all pass, none waits long.
    let r = run_checked(&scenario(text), 1);
    let e = edge(&r, "api", "db");
    assert_eq!(e.rejections["bulkhead_full"], 0);
    assert!(
        e.requests - e.completed <= 5,
        "all but those in flight at the end: {e:?}"
    );
}

#[test]
fn a_bulkhead_wait_that_runs_out_refuses_the_call_after_its_max_wait() {
    // One permit, 90 ms calls, one arrival every 50 ms, waits of at most 30 ms: the call at
    // 50 ms would get the permit at 90 ms but gives up at 80 ms; the call at 100 ms finds it
    // free. Exactly every other call is refused, each after waiting 30 ms.
    let text = r#"(
        duration: "20s",
        clients: { "users": Open(rate: 20, process: Constant, target: "api") },
        services: {
            "api": (workers: 100, steps: [Call(to: "db", policies: [
                Bulkhead(Semaphore(max_concurrent: 1, max_wait: "30ms"))])]),
            "db": (workers: 100, service_time: Deterministic(value: "90ms")),
        },
    )"#;
    let r = run_checked(&scenario(text), 1);
    let e = edge(&r, "api", "db");
    let refused = e.rejections["bulkhead_full"];
    assert!(refused.abs_diff(e.requests / 2) <= 1, "{e:?}");
    assert_eq!(e.attempts + refused, e.requests);
    // Each refusal failed its request (the call is not optional).
    assert!(r.clients["users"].errors["dependency"].abs_diff(refused) <= 1);
}

#[test]
fn a_rate_limiter_lets_through_its_limit_per_period() {
    let text = r#"(
        duration: "20s",
        clients: { "users": Open(rate: 200, target: "api") },
        services: {
            "api": (workers: 1000, steps: [Call(to: "db", policies: [
                RateLimiter(limit_for_period: 10, refresh_period: "100ms", timeout: "0s")])]),
            "db": (workers: 1000, service_time: Deterministic(value: "1ms")),
        },
    )"#;
    let r = run_checked(&scenario(text), 3);
    let e = edge(&r, "api", "db");
    let per_sec = e.attempts as f64 / 20.0;
    assert!(
        per_sec <= 100.0 + 0.5 && per_sec > 95.0,
        "{per_sec} attempts/s"
    );
    assert!(e.rejections["rate_limited"] > 0);
}

#[test]
fn adaptive_throttling_lets_the_backend_see_about_k_requests_per_accepted_one() {
    // db accepts at most 100/s (10 workers, no queue, 100 ms each) and refuses the rest;
    // users send 400/s. With K = 2 the client sheds locally until the backend sees about
    // 2 requests per accepted one (SRE book: "1 rejected request per accepted one").
    let text = |policies: &str| {
        format!(
            r#"(
            duration: "60s",
            clients: {{ "users": Open(rate: 400, target: "api") }},
            services: {{
                "api": (workers: 1000, steps: [Call(to: "db", policies: [{policies}])]),
                "db": (workers: 10, capacity: 10, service_time: Deterministic(value: "100ms")),
            }},
        )"#
        )
    };
    let r = run_checked(&scenario(&text("AdaptiveThrottle(k: 2.0)")), 1);
    let e = edge(&r, "api", "db");
    let per_accepted = e.attempts as f64 / e.completed as f64;
    assert!((1.7..2.3).contains(&per_accepted), "{per_accepted}");
    assert!(e.rejections["throttled"] > 0);
    let bare = run_checked(&scenario(&text("")), 1);
    let e = edge(&bare, "api", "db");
    assert!(e.attempts as f64 / e.completed as f64 > 3.5);
}

/// A user-defined policy: refuses every call while the number of calls it let through and
/// that failed exceeds a limit.
#[derive(Clone, Debug)]
struct FailureCap {
    limit: u32,
    failures: u32,
}

impl CallerPolicy for FailureCap {
    fn name(&self) -> &str {
        "failure_cap"
    }
    fn admit(&mut self, _: SimTime, _: &Arrival, _: &mut SimRng) -> Verdict {
        if self.failures >= self.limit {
            Verdict::reject(Outcome::CircuitOpen)
        } else {
            Verdict::Pass
        }
    }
    fn record(&mut self, _: SimTime, ended: &sim_models::policy::Ended) {
        self.failures += ended.outcome.is_error() as u32;
    }
}

#[test]
fn a_policy_registered_by_name_runs_from_a_scenario_and_an_unknown_name_is_an_error() {
    let text = r#"(
        duration: "10s",
        clients: { "users": Open(rate: 100, target: "api", policies: [
            Custom(name: "failure_cap", params: { "limit": 7 })]) },
        services: { "api": (workers: 10, service_time: Exponential(mean: "1ms")) },
        faults: [ErrorInjection(service: "api", start: "0s", duration: "10s", fraction: 1.0)],
    )"#;
    let mut registry = PolicyRegistry::new();
    registry.register("failure_cap", |p| {
        let limit = *p.get("limit").ok_or("needs `limit`")? as u32;
        Ok(Box::new(FailureCap { limit, failures: 0 }))
    });
    let s = scenario(text);
    let r = run_with_policies(&s, 1, &registry).unwrap().report;
    let e = edge(&r, "users", "api");
    assert_eq!(e.attempts, 7, "exactly `limit` calls got through");
    assert_eq!(e.rejections["circuit_open"], e.requests - 7);
    let err = run_with_policies(&s, 1, &PolicyRegistry::new()).unwrap_err();
    assert!(
        err.to_string().contains("clients.users.policies")
            && err.to_string().contains("unknown policy `failure_cap`"),
        "{err}"
    );
}

#[test]
fn policy_runs_are_deterministic() {
    let s = bundled("slow-dependency-breaker.ron");
    let a = serde_json::to_string(&run_checked(&s, 9)).unwrap();
    let b = serde_json::to_string(&run_checked(&s, 9)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_caller_concurrency_limit_fails_fast_instead_of_queueing_at_an_overloaded_dependency() {
    // api (async, so its own workers are not the bottleneck) calls db, which can serve 400/s
    // and is offered 600/s; db's queue grows without a limit on api's side.
    let text = |policies: &str| {
        format!(
            r#"(
            duration: "60s",
            warmup: "10s",
            clients: {{ "users": Open(rate: 600, target: "api") }},
            services: {{
                "api": (workers: 50, concurrency: Async, steps: [
                    Call(to: "db", timeout: "2s", policies: [{policies}]),
                ]),
                "db": (workers: 4, service_time: Exponential(mean: "10ms")),
            }},
        )"#
        )
    };
    for seed in 1..=3 {
        let bare = run_checked(&scenario(&text("")), seed);
        let limited = run_checked(&scenario(&text("ConcurrencyLimit(Vegas())")), seed);
        let e = edge(&limited, "api", "db");
        assert!(
            e.rejections["limit_exceeded"] > 1000,
            "seed {seed}: {:?}",
            e.rejections
        );
        let limit = e
            .policies
            .iter()
            .find(|p| p.layer == "concurrency_limit")
            .unwrap();
        assert!(
            (4.0..30.0).contains(&limit.mean),
            "seed {seed}: {}",
            limit.mean
        );
        let db_p99 = |r: &Report| r.services["db"].latency.p99;
        assert!(db_p99(&bare) > 1.0, "seed {seed}: {}", db_p99(&bare));
        assert!(db_p99(&limited) < 0.15, "seed {seed}: {}", db_p99(&limited));
        assert!(limited.services["db"].goodput > 350.0);
    }
}

#[test]
fn hedging_cuts_the_p99_of_a_long_tail_at_a_few_percent_extra_load() {
    let hedged = bundled("hedging.ron");
    let mut bare = hedged.clone();
    for c in bare.clients.values_mut() {
        if let sim_models::ClientSpec::Open { policies, .. } = c {
            policies.clear();
        }
    }
    for seed in 1..=10 {
        let b = run_checked(&bare, seed);
        let h = run_checked(&hedged, seed);
        let p99 = |r: &Report| r.clients["users"].latency.p99;
        assert!(p99(&b) > 0.4, "seed {seed}: {}", p99(&b));
        assert!(
            p99(&h) < p99(&b) / 5.0,
            "seed {seed}: {} vs {}",
            p99(&h),
            p99(&b)
        );
        let extra = edge(&h, "users", "api").amplification - 1.0;
        assert!(
            (0.03..0.10).contains(&extra),
            "seed {seed}: extra load {extra}"
        );
        assert!(
            h.services["api"].wasted > 0,
            "losing hedges are wasted work"
        );
    }
}

#[test]
fn finagle_backups_stay_within_their_extra_load_budget() {
    let text = |load: f64| {
        format!(
            r#"(
            duration: "120s",
            warmup: "10s",
            clients: {{ "users": Open(rate: 100, target: "api", policies: [
                Hedge(Finagle(max_extra_load: {load})),
            ]) }},
            services: {{
                "api": (instances: 4, workers: 50,
                        service_time: HyperExponential(probs: [0.95, 0.05], means: ["10ms", "400ms"])),
            }},
        )"#
        )
    };
    for seed in 1..=5 {
        for load in [0.01, 0.05] {
            let r = run_checked(&scenario(&text(load)), seed);
            let extra = edge(&r, "users", "api").amplification - 1.0;
            assert!(extra <= load + 0.005, "seed {seed}: {load}: {extra}");
            assert!(
                extra >= load * 0.5,
                "seed {seed}: {load}: backups were sent: {extra}"
            );
        }
    }
}

#[test]
fn retries_over_time_add_up_to_each_edges_retries() {
    let s = bundled("retry-amplification-budget.ron");
    let result = sim_models::run(&s, 3).unwrap();
    let world = &result.world;
    for (e, report) in result.report.edges.iter().enumerate() {
        let series = &world.statistics().retry_series[e];
        let total: u64 = (0..series.len()).map(|i| series.get(i)).sum();
        assert_eq!(total, report.retries, "{} -> {}", report.from, report.to);
    }
    assert!(edge(&result.report, "api", "db").retries > 0);
}

/// 200 requests/s to an api that fails 60% of requests, through three attempts and a breaker
/// of `scope` (or none).
fn retried_through_breaker(scope: Option<&str>) -> sim_models::Scenario {
    let breaker = scope.map_or(String::new(), |s| {
        format!(
            r#"CircuitBreaker(Resilience4j(window: Count(50), minimum_calls: 50, wait_in_open: "5s", scope: {s})),"#
        )
    });
    common::scenario(&format!(
        r#"(
  duration: "120s",
  warmup: "10s",
  clients: {{ "users": Open(rate: 200, target: "api", policies: [
      Retry(max_attempts: 3, backoff: Constant("10ms")), {breaker}
  ]) }},
  services: {{ "api": (workers: 50, service_time: Exponential(mean: "5ms")) }},
  faults: [ErrorInjection(service: "api", start: "0s", duration: "120s", fraction: 0.6)],
)"#
    ))
}

#[test]
fn a_retries_only_breaker_bounds_amplification_to_one_without_refusing_first_tries() {
    let success = |r: &sim_models::Report| {
        let c = &r.clients["users"];
        c.completed as f64 / c.sent as f64
    };
    let none = common::run_checked(&retried_through_breaker(None), 1);
    let retries_only = common::run_checked(&retried_through_breaker(Some("RetriesOnly")), 1);
    let all = common::run_checked(&retried_through_breaker(Some("All")), 1);
    // Without a breaker: 1 + 0.6 + 0.36 attempts per request, 1 − 0.6³ succeed.
    assert!((none.edges[0].amplification - 1.96).abs() < 0.03);
    assert!((success(&none) - 0.784).abs() < 0.02);
    // Brooker's retry breaker: it opens on the 60% failure rate and stops the retries, so the
    // api sees each request about once, and the first tries still succeed 40% of the time.
    let amp = retries_only.edges[0].amplification;
    assert!(amp < 1.05, "{amp}");
    assert!(
        (success(&retries_only) - 0.4).abs() < 0.02,
        "{}",
        success(&retries_only)
    );
    assert!(retries_only.edges[0].rejections["circuit_open"] > 10_000);
    // A breaker of every call refuses the first tries too: nearly nothing gets through.
    assert!(success(&all) < 0.05, "{}", success(&all));
}

/// 200 requests/s to an api that fails `fraction` of attempts, with three retries under
/// Brooker's adaptive token bucket at his simulator's settings (0.1 per first try, size 5).
fn brooker_bucket(fraction: f64) -> sim_models::Scenario {
    common::scenario(&format!(
        r#"(
  duration: "120s",
  warmup: "10s",
  clients: {{ "users": Open(rate: 200, target: "api", policies: [
      Retry(max_attempts: 4, backoff: Constant("10ms")), RetryBudget(Brooker()),
  ]) }},
  services: {{ "api": (workers: 50, service_time: Exponential(mean: "5ms")) }},
  faults: [ErrorInjection(service: "api", start: "0s", duration: "120s", fraction: {fraction})],
)"#
    ))
}

#[test]
fn brookers_token_bucket_retries_freely_below_its_deposit_rate_and_a_tenth_above_it() {
    let low = common::run_checked(&brooker_bucket(0.05), 1);
    let high = common::run_checked(&brooker_bucket(0.6), 1);
    // 5% failures: retries as three plain retries would, 1 + p + p² + p³ attempts per request.
    let amp = low.edges[0].amplification;
    assert!((amp - 1.0526).abs() < 0.005, "{amp}");
    // 60%: a tenth of a retry per first try, so 1.1 attempts; 0.4 + 0.1 × 0.4 succeed.
    let amp = high.edges[0].amplification;
    assert!((amp - 1.1).abs() < 0.01, "{amp}");
    let c = &high.clients["users"];
    let success = c.completed as f64 / c.sent as f64;
    assert!((success - 0.44).abs() < 0.015, "{success}");
}
