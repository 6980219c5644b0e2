//! The autoscaler in whole runs: the bundled lag scenario outruns it in nearly every seed and
//! its predictive floor removes the damage; scale-down waits out the stabilisation window and
//! drains without failing a request; replicas stay within their bounds; requests are conserved.

mod common;
use sim_models::{load_scenario, run, OpsLevel, RunResult};

/// A fault of `kind` with `fields` on each of the api's `instances`, as a scenario's list.
fn faults(instances: std::ops::Range<u32>, kind: &str, fields: &str) -> String {
    instances
        .map(|i| format!(r#"{kind}(service: "api", instance: {i}, {fields}), "#))
        .collect()
}

/// The api's instances serving in second `i`.
fn replicas(result: &RunResult, i: usize) -> f64 {
    let l = result.world.services[0]
        .ops_level(OpsLevel::Replicas)
        .unwrap();
    l.series.mean(i, result.end) / 1000.0
}

#[test]
fn a_ramp_outruns_the_autoscaler_in_at_least_90_percent_of_seeds_and_a_floor_prevents_it() {
    let lag = load_scenario("scenarios/autoscaling-lag.ron", &[])
        .unwrap()
        .scenario;
    let fixed = load_scenario("scenarios/autoscaling-lag-fixed.ron", &[])
        .unwrap()
        .scenario;
    let mut lagged = 0;
    for seed in 1..=20 {
        let result = run(&lag, seed).unwrap();
        common::assert_conserved(&result);
        let (sent, failed) = common::sent_and_failed(&result, 80, 200);
        let a = result.report.services["api"].autoscaling.clone().unwrap();
        // A fifth of the ramp's requests fail while the instances it asked for start, and
        // the report puts the cost on the lag: most calls that end while instances are
        // provisioning fail.
        if failed * 5 > sent
            && a.scale_ups >= 3
            && a.failed_under_provisioned * 2 > a.calls_under_provisioned
            && a.under_provisioned_s >= 90.0
        {
            lagged += 1;
        }
        // It does get there: by the end nothing fails.
        let (sent, failed) = common::sent_and_failed(&result, 320, 400);
        assert!(failed * 100 < sent, "seed {seed}: {failed} of {sent}");
    }
    assert!(
        lagged >= 18,
        "the ramp outran the autoscaler in {lagged} of 20 seeds"
    );
    for seed in 1..=20 {
        let result = run(&fixed, seed).unwrap();
        common::assert_conserved(&result);
        let (sent, failed) = common::sent_and_failed(&result, 0, 400);
        assert!(
            failed * 1000 < sent,
            "seed {seed}: {failed} of {sent} failed"
        );
        assert!(replicas(&result, 100) >= 15.0);
        // One provisioning, ahead of the ramp: 30 s of lag that costs nothing.
        let a = result.report.services["api"].autoscaling.clone().unwrap();
        assert_eq!(a.under_provisioned_s, 30.0);
        assert_eq!(a.failed_under_provisioned, 0);
        assert!(a.calls_under_provisioned > 10_000);
    }
}

/// Load that falls at 100 s from 3,000/s to 300/s, on an HPA targeting 50 % utilisation.
fn falling(grace: &str) -> sim_models::Scenario {
    common::scenario(&format!(
        r#"(
  duration: "600s",
  time_series: (bucket: "1s"),
  clients: {{ "users": Open(rate: 3000, target: "api", timeout: "2s", schedule: [Step(at: "100s", rate: 300)]) }},
  services: {{ "api": (instances: 16, workers: 8, service_time: Exponential(mean: "20ms"),
    autoscaling: (min_replicas: 2, max_replicas: 16, metric: Utilization(50),
                  termination_grace: "{grace}")) }},
)"#
    ))
}

#[test]
fn scale_down_waits_out_the_stabilisation_window_then_drains_without_failing_a_request() {
    let result = run(&falling("30s"), 1).unwrap();
    common::assert_conserved(&result);
    // 3,000/s at 400/s per instance needs 15 at 50 %: it keeps its 16.
    assert_eq!(replicas(&result, 90), 16.0);
    // After the fall every sync recommends ~2, but the window holds the old recommendation for
    // 300 s after it was last made (at ~90-100 s).
    assert_eq!(replicas(&result, 380), 16.0, "still within the window");
    assert!(
        replicas(&result, 450) <= 3.0,
        "then down at once: 100 % per period"
    );
    let a = result.report.services["api"].autoscaling.clone().unwrap();
    assert!(a.terminated >= 13, "{a:?}");
    // A drained instance gets no new request and finishes what it holds within its grace.
    let users = &result.report.clients["users"];
    let failed: u64 = users.errors.values().sum();
    assert_eq!(failed, 0, "{:?}", users.errors);
}

#[test]
fn without_grace_a_scale_down_ends_what_the_removed_instances_hold() {
    let result = run(&falling("0s"), 1).unwrap();
    common::assert_conserved(&result);
    let api = &result.report.services["api"];
    let crashed = api.errors.get("crashed").copied().unwrap_or(0);
    assert!(
        crashed > 0,
        "in-flight requests on removed instances are cut off"
    );
}

#[test]
fn replicas_stay_between_min_and_max_whatever_the_load() {
    let scenario = common::scenario(
        r#"(
  duration: "300s",
  time_series: (bucket: "1s"),
  clients: { "users": Open(rate: 20000, target: "api", timeout: "1s", schedule: [Step(at: "150s", rate: 1)]) },
  services: { "api": (instances: 3, workers: 4, service_time: Exponential(mean: "20ms"), deadlines: (drop_expired: true),
    autoscaling: (min_replicas: 3, max_replicas: 7, metric: InFlight(2), provisioning: "5s",
                  scale_down: (percent: 100.0, stabilization: "0s"))) },
)"#,
    );
    let result = run(&scenario, 1).unwrap();
    common::assert_conserved(&result);
    let counts: Vec<f64> = (0..300).map(|i| replicas(&result, i)).collect();
    assert!(
        counts.iter().all(|&r| (3.0..=7.0).contains(&r)),
        "{counts:?}"
    );
    assert_eq!(counts[140], 7.0, "overload takes it to the maximum");
    assert_eq!(counts[299], 3.0, "idle takes it back to the minimum");
}

#[test]
fn the_panic_threshold_is_a_share_of_the_instances_serving_not_of_those_allocated() {
    // Two serving of ten allocated; one stops answering. One healthy of two is not below 50 %,
    // so the balancer must keep the silent one out of rotation.
    let scenario = common::scenario(
        r#"(
  duration: "120s",
  clients: { "users": Open(rate: 200, target: "api", timeout: "1s") },
  services: { "api": (instances: 2, workers: 8, service_time: Exponential(mean: "10ms"),
    health_check: (interval: "1s", timeout: "200ms", unhealthy_threshold: 2),
    autoscaling: (min_replicas: 2, max_replicas: 10, metric: Utilization(90))) },
  faults: [BlackHole(service: "api", instance: 0, start: "20s", duration: "90s")],
)"#,
    );
    let result = run(&scenario, 1).unwrap();
    common::assert_conserved(&result);
    let h = result.report.services["api"].health.clone().unwrap();
    assert_eq!(h.sent_to_unhealthy, 0);
    let timeouts = result.report.clients["users"].errors["timeout"];
    assert!(
        timeouts < 500,
        "only while it was being detected: {timeouts}"
    );
}

#[test]
fn draining_instances_are_never_picked_whatever_the_balancer() {
    for balancer in [
        "Random",
        "PowerOfTwoChoices",
        "RoundRobin",
        "LeastOutstanding",
    ] {
        let scenario = common::scenario(&format!(
            r#"(
  duration: "600s",
  clients: {{ "users": Open(rate: 3000, target: "api", timeout: "2s", schedule: [Step(at: "100s", rate: 300)]) }},
  services: {{ "api": (instances: 16, workers: 8, service_time: Exponential(mean: "20ms"), load_balancer: {balancer},
    health_check: (), autoscaling: (min_replicas: 2, max_replicas: 20, metric: Utilization(50))) }},
)"#
        ));
        let result = run(&scenario, 1).unwrap();
        common::assert_conserved(&result);
        let a = result.report.services["api"].autoscaling.clone().unwrap();
        assert!(a.terminated >= 13, "{balancer}: {a:?}");
        let failed: u64 = result.report.clients["users"].errors.values().sum();
        assert_eq!(
            failed, 0,
            "{balancer}: {:?}",
            result.report.clients["users"].errors
        );
    }
}

#[test]
fn with_most_instances_down_the_autoscaler_does_not_scale_below_what_there_is() {
    // Seven of ten crash for a minute: the three left are overloaded, and the seven count as
    // not ready, so the recommendation must not fall below ten (which would drain the live
    // ones).
    let crashes = faults(0..7, "Crash", r#"at: "50s", restart_after: "60s""#);
    let scenario = common::scenario(&format!(
        r#"(
  duration: "150s",
  time_series: (bucket: "1s"),
  clients: {{ "users": Open(rate: 1500, target: "api", timeout: "1s") }},
  services: {{ "api": (instances: 10, workers: 4, service_time: Exponential(mean: "20ms"), deadlines: (drop_expired: true),
    autoscaling: (min_replicas: 2, max_replicas: 10, metric: Utilization(80),
                  scale_down: (percent: 100.0, stabilization: "0s"))) }},
  faults: [{crashes}],
)"#
    ));
    let result = run(&scenario, 1).unwrap();
    common::assert_conserved(&result);
    for i in 50..110 {
        assert_eq!(
            replicas(&result, i),
            10.0,
            "second {i}: nothing drained during the outage"
        );
    }
    let unavailable = result.report.clients["users"].errors["unavailable"];
    assert_eq!(unavailable, 0, "the live instances stayed in rotation");
}

#[test]
fn an_instance_killed_and_then_scaled_away_leaves_no_restart_counted() {
    // The liveness probe kills instances in a long CrashLoopBackOff; the autoscaler then
    // removes them. Off, they are neither restarting nor unhealthy.
    let holes = faults(2..16, "BlackHole", r#"start: "330s", duration: "20s""#);
    let scenario = common::scenario(&format!(
        r#"(
  duration: "900s",
  clients: {{ "users": Open(rate: 3000, target: "api", timeout: "2s", schedule: [Step(at: "100s", rate: 300)]) }},
  services: {{ "api": (instances: 16, workers: 8, service_time: Exponential(mean: "20ms"),
    liveness: (period: "1s", timeout: "500ms", failure_threshold: 3, startup: "5s", restart_backoff: (initial: "200s", max: "300s")),
    autoscaling: (min_replicas: 2, max_replicas: 16, metric: Utilization(50))) }},
  faults: [{holes}],
)"#
    ));
    let result = run(&scenario, 1).unwrap();
    common::assert_conserved(&result);
    let h = result.report.services["api"].health.clone().unwrap();
    let restarting = h.levels.iter().find(|l| l.layer == "restarting").unwrap();
    assert_eq!(restarting.end, 0.0, "{h:?}");
    let serving = result.report.services["api"].autoscaling.clone().unwrap();
    assert!(serving.replicas.end <= 3.0, "{serving:?}");
}

#[test]
fn floors_hold_even_when_no_instance_has_metrics() {
    // Every instance is down from 30 s to 130 s; a floor of 10 applies from 60 s.
    let crashes = faults(0..3, "Crash", r#"at: "30s", restart_after: "100s""#);
    let scenario = common::scenario(&format!(
        r#"(
  duration: "150s",
  time_series: (bucket: "1s"),
  clients: {{ "users": Open(rate: 100, target: "api", timeout: "1s") }},
  services: {{ "api": (instances: 3, workers: 4, service_time: Exponential(mean: "10ms"),
    autoscaling: (min_replicas: 3, max_replicas: 12, metric: Utilization(50), provisioning: "10s",
                  floors: [(at: "60s", min_replicas: 10)])) }},
  faults: [{crashes}],
)"#
    ));
    let result = run(&scenario, 1).unwrap();
    common::assert_conserved(&result);
    let desired = result.world.services[0]
        .ops_level(OpsLevel::Desired)
        .unwrap();
    assert_eq!(desired.series.mean(80, result.end) / 1000.0, 10.0);
    assert_eq!(
        replicas(&result, 100),
        10.0,
        "the floor's seven new instances serve by ~75 s"
    );
}
