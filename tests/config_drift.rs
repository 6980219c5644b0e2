//! Configuration drift: one instance configured unlike its peers behaves as configured, and
//! the rest of the service as the service is — the "one bad host" that an average hides.

mod common;
use sim_models::run;

/// Users → api (3 instances of 8 workers, round-robin, 10 ms of work): each instance is 1/8
/// busy.
fn alone(drift: &str) -> sim_models::Scenario {
    common::scenario(&format!(
        r#"(
  duration: "60s",
  clients: {{ "users": Open(rate: 300, target: "api") }},
  services: {{ "api": (instances: 3, workers: 8, service_time: Exponential(mean: "10ms"), drift: [{drift}]) }},
)"#
    ))
}

/// Users → api (3 instances) → db; db slows down fiftyfold from 20 s to 40 s, and fails a
/// fifth of its requests throughout.
fn scenario(drift: &str) -> sim_models::Scenario {
    common::scenario(&format!(
        r#"(
  duration: "60s",
  clients: {{ "users": Open(rate: 300, target: "api", timeout: "2s") }},
  services: {{
    "api": (instances: 3, workers: 8, load_balancer: RoundRobin,
      steps: [Work(Exponential(mean: "2ms")), Call(to: "db", timeout: "100ms", policies: [Retry(max_attempts: 2)])],
      drift: [{drift}]),
    "db": (instances: 4, workers: 16, service_time: Exponential(mean: "10ms")),
  }},
  faults: [
    Slowdown(service: "db", start: "20s", duration: "20s", factor: 50.0),
    ErrorInjection(service: "db", start: "0s", duration: "60s", fraction: 0.2),
  ],
)"#
    ))
}

#[test]
fn an_instance_with_fewer_workers_is_busier_than_its_peers_under_the_same_share() {
    let r = common::run_checked(&alone("(instances: [1], workers: 2)"), 1);
    let api = &r.services["api"];
    let u: Vec<f64> = api.instances.iter().map(|i| i.utilization).collect();
    // Round-robin gives each a third; the instance with a quarter of the workers is four
    // times as busy (each instance's utilisation is over its own workers).
    assert!((u[1] / u[0] - 4.0).abs() < 0.4, "{u:?}");
    assert!((u[2] / u[0] - 1.0).abs() < 0.1, "{u:?}");
}

#[test]
fn a_slower_build_on_one_instance_takes_longer_there_only() {
    let result = run(&alone("(instances: [2], slowdown: 5.0)"), 1).unwrap();
    common::assert_conserved(&result);
    let api = &result.report.services["api"];
    let u: Vec<f64> = api.instances.iter().map(|i| i.utilization).collect();
    assert!((u[2] / u[0] - 5.0).abs() < 0.5, "{u:?}");
    assert!((u[1] / u[0] - 1.0).abs() < 0.1, "{u:?}");
}

#[test]
fn a_longer_timeout_on_one_instance_holds_its_workers_through_a_slow_dependency() {
    // With the service's 100 ms timeout an api worker gives up on the slow db (500 ms a
    // request) quickly; the drifted instance waits it out, so its thread-per-request workers
    // run out.
    let result = run(
        &scenario(r#"(instances: [0], timeouts: { "db": "2s" })"#),
        1,
    )
    .unwrap();
    common::assert_conserved(&result);
    let api = &result.report.services["api"];
    let u: Vec<f64> = api.instances.iter().map(|i| i.utilization).collect();
    assert!(u[0] > 1.5 * u[1] && u[0] > 1.5 * u[2], "{u:?}");
}

/// Users → api (3 instances) → db, which fails 20 % of requests at once; api retries.
fn retrying(drift: &str) -> sim_models::Scenario {
    common::scenario(&format!(
        r#"(
  duration: "60s",
  clients: {{ "users": Open(rate: 300, target: "api") }},
  services: {{
    "api": (instances: 3, workers: 64,
      steps: [Call(to: "db", policies: [Retry(max_attempts: 2, backoff: Immediate)])], drift: [{drift}]),
    "db": (instances: 4, workers: 16, service_time: Exponential(mean: "10ms")),
  }},
  faults: [ErrorInjection(service: "db", start: "0s", duration: "60s", fraction: 0.2)],
)"#
    ))
}

#[test]
fn drifted_retry_parameters_change_the_retries_from_that_instance_only() {
    let base = run(&retrying(""), 1).unwrap();
    let drifted = run(
        &retrying(
            r#"(instances: [0], policies: { "db": [Retry(max_attempts: 4, backoff: Immediate)] })"#,
        ),
        1,
    )
    .unwrap();
    common::assert_conserved(&drifted);
    let retries = |r: &sim_models::RunResult| {
        let e = r.report.edges.iter().find(|e| e.to == "db").unwrap();
        e.retries as f64 / e.requests as f64
    };
    // Retries per call: 0.2 with two attempts, 0.2 + 0.04 + 0.008 with four; one caller
    // in three drifted.
    let (b, d) = (retries(&base), retries(&drifted));
    assert!((b - 0.2).abs() < 0.01, "{b}");
    assert!((d - (2.0 * 0.2 + 0.248) / 3.0).abs() < 0.01, "{d}");
}

#[test]
fn drift_that_does_not_fit_the_service_is_a_located_error() {
    let text = |drift: &str| {
        format!(
            "(\n duration: \"10s\",\n clients: {{ \"u\": Open(rate: 1, target: \"api\") }},\n services: {{\n  \"api\": (instances: 2, workers: 2, steps: [Call(to: \"db\", policies: [Retry(max_attempts: 2)])],\n   drift: [{drift}]),\n  \"db\": (workers: 1, service_time: Exponential(mean: \"1ms\")),\n }},\n)"
        )
    };
    for (drift, expect) in [
        (
            "(instances: [2], workers: 1)",
            "services.api.drift.0.instances.0",
        ),
        (
            "(instances: [0], workers: 0)",
            "services.api.drift.0.workers",
        ),
        (
            "(instances: [0], workers: 1), (instances: [1, 0], slowdown: 2.0)",
            "services.api.drift.1.instances.1",
        ),
        (
            r#"(instances: [0], timeouts: { "cache": "1s" })"#,
            "services.api.drift.0.timeouts.cache",
        ),
        (
            r#"(instances: [0], policies: { "db": [Timeout("1s")] })"#,
            "same kinds in the same order",
        ),
        (
            r#"(instances: [0], policies: { "db": [Retry(max_attempts: 0)] })"#,
            "services.api.drift.0.policies.db",
        ),
    ] {
        let err = sim_models::load_scenario_str("drift.ron", &text(drift), &[])
            .err()
            .unwrap_or_else(|| panic!("{drift} was accepted"))
            .to_string();
        assert!(err.contains(expect), "{drift}: {err}");
        assert!(err.contains("drift.ron:6:"), "{drift}: not located: {err}");
    }
}

#[test]
fn the_bundled_drift_fails_a_quarter_of_requests_in_at_least_90_percent_of_seeds_and_least_outstanding_prevents_it(
) {
    let load = |name: &str| {
        sim_models::load_scenario(format!("scenarios/{name}.ron"), &[])
            .unwrap()
            .scenario
    };
    let (drifted, fixed) = (load("config-drift"), load("config-drift-fixed"));
    let mut shown = 0;
    for seed in 1..=20 {
        let r = common::run_checked(&drifted, seed);
        let c = &r.clients["users"];
        let failed = c.errors.values().sum::<u64>() as f64 / c.sent as f64;
        let inst = &r.services["api"].instances;
        // About the quarter round-robin sends the short-handed instance, while the service's
        // mean utilisation looks healthy.
        if (0.2..0.3).contains(&failed)
            && inst[3].utilization > 0.95
            && inst[..3].iter().all(|i| i.utilization < 0.5)
        {
            shown += 1;
        }
    }
    assert!(shown >= 18, "shown in {shown} of 20 seeds");
    for seed in 1..=20 {
        let r = common::run_checked(&fixed, seed);
        assert_eq!(
            r.clients["users"].errors.values().sum::<u64>(),
            0,
            "seed {seed}"
        );
    }
}
