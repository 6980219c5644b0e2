//! Each fault does exactly what it says, and every request still ends in exactly one state.
//!
//! The scenarios use constant arrivals and deterministic service so that the expected counts are
//! exact, not statistical.

mod common;
use common::{run_checked, scenario};
use sim_models::Report;

/// One arrival a second (at 1 s, 2 s, …) to one instance with one worker and 10 s of work each,
/// plus the given faults.
fn slow_server(faults: &str, duration: &str) -> Report {
    let text = format!(
        r#"(
            duration: "{duration}",
            clients: {{ "users": Open(rate: 1, process: Constant, target: "db") }},
            services: {{ "db": (workers: 1, service_time: Deterministic(value: "10s")) }},
            faults: [{faults}],
        )"#
    );
    run_checked(&scenario(&text), 1)
}

#[test]
fn a_crash_loses_exactly_the_queued_and_in_flight_work() {
    // At 5.5 s the request that arrived at 1 s is in service and those of 2–5 s are queued: 5 lost.
    // The instance never restarts, so the arrivals of 6–9 s find nothing up.
    let r = slow_server(r#"Crash(service: "db", at: "5.5s")"#, "10s");
    let db = &r.services["db"];
    assert_eq!(db.errors["crashed"], 5);
    assert_eq!(db.errors["unavailable"], 4);
    assert_eq!(db.completed, 0);
    assert_eq!(r.clients["users"].errors["crashed"], 5);
    assert_eq!(r.in_flight_at_end, 0);
}

#[test]
fn a_crashed_instance_restarts_empty() {
    // Down from 5.5 s to 7.5 s: arrivals at 6 and 7 s find it down; 8 s is taken at once and
    // finishes at 18 s; 9–19 s queue behind it.
    let r = slow_server(
        r#"Crash(service: "db", at: "5.5s", restart_after: "2s")"#,
        "20s",
    );
    let db = &r.services["db"];
    assert_eq!((db.errors["crashed"], db.errors["unavailable"]), (5, 2));
    assert_eq!(db.completed, 1);
    assert_eq!(r.clients["users"].latency.max, 10.0);
}

#[test]
fn a_pause_delays_work_but_loses_nothing() {
    let fast = |faults: &str| {
        let text = format!(
            r#"(
                duration: "100s",
                clients: {{ "users": Open(rate: 1, process: Constant, target: "db") }},
                services: {{ "db": (workers: 1, service_time: Deterministic(value: "500ms")) }},
                faults: [{faults}],
            )"#
        );
        run_checked(&scenario(&text), 1)
    };
    let calm = fast("");
    let paused = fast(r#"Pause(service: "db", start: "10.25s", duration: "5s")"#);
    let (c, p) = (&calm.services["db"], &paused.services["db"]);
    assert_eq!(p.errors.values().sum::<u64>(), 0, "a pause loses nothing");
    assert_eq!(p.completed, c.completed, "everything is still answered");
    // The request taken at 10 s had 0.25 s left when the freeze began: done at 15.5 s.
    assert_eq!(c.latency.max, 0.5);
    assert_eq!(p.latency.max, 5.5);
    // Arrivals at 11–15 s wait for the thaw, then one another.
    assert!(p.wait.mean > c.wait.mean);
}

#[test]
fn a_slowdown_multiplies_the_work_started_while_it_lasts() {
    let text = r#"(
        duration: "100s",
        clients: { "users": Open(rate: 1, process: Constant, target: "db") },
        services: { "db": (workers: 1, service_time: Deterministic(value: "100ms")) },
        faults: [Slowdown(service: "db", start: "10s", duration: "10s", factor: 5.0)],
    )"#;
    let r = run_checked(&scenario(text), 1);
    let db = &r.services["db"];
    // 99 requests: the 10 that start in [10 s, 20 s) take 0.5 s, the rest 0.1 s.
    assert_eq!(db.completed, 99);
    assert_eq!(db.latency.max, 0.5);
    assert!(
        (db.latency.mean - (10.0 * 0.5 + 89.0 * 0.1) / 99.0).abs() < 1e-9,
        "{}",
        db.latency.mean
    );
}

#[test]
fn capacity_loss_holds_work_back_until_capacity_returns() {
    let text = r#"(
        duration: "40s",
        time_series: (bucket: "10s"),
        clients: { "users": Open(rate: 1, process: Constant, target: "db") },
        services: { "db": (workers: 2, service_time: Deterministic(value: "100ms")) },
        faults: [CapacityLoss(service: "db", start: "10.5s", duration: "10s", workers: 0)],
    )"#;
    let result = sim_models::run(&scenario(text), 1).unwrap();
    common::assert_conserved(&result);
    let db = &result.report.services["db"];
    assert_eq!(db.errors.values().sum::<u64>(), 0);
    // Arrivals at 11–20 s wait until 20.5 s; all 39 are answered within the run.
    assert_eq!(db.completed, 39);
    let completions: Vec<u64> = result
        .timeseries_csv()
        .lines()
        .filter(|l| l.contains(",service,"))
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    // [0,10): 1–9 s; [10,20): only 10 s, before the loss; [20,30): the ten held back plus 21–29 s.
    assert_eq!(
        completions,
        [9, 1, 19, 10],
        "nothing completes while no worker is left"
    );
}

#[test]
fn injected_errors_fail_fast_or_after_wasting_the_work() {
    let inject = |mode: &str| {
        let text = format!(
            r#"(
                duration: "100s",
                clients: {{ "users": Open(rate: 1, process: Constant, target: "db") }},
                services: {{ "db": (workers: 1, service_time: Deterministic(value: "500ms")) }},
                faults: [ErrorInjection(service: "db", start: "10s", duration: "20s", fraction: 1.0, mode: {mode})],
            )"#
        );
        run_checked(&scenario(&text), 1)
    };
    let fast = inject("Fast");
    let slow = inject("Slow");
    // Arrivals at 10–29 s: 20 fail.
    assert_eq!(fast.clients["users"].errors["injected"], 20);
    assert_eq!(slow.clients["users"].errors["injected"], 20);
    // Fast failures never reach a worker; slow ones use it first, and neither completes.
    for r in [&fast, &slow] {
        assert_eq!(r.services["db"].completed, 99 - 20);
        assert_eq!(r.services["db"].errors["injected"], 20);
    }
    assert!(slow.services["db"].utilization > fast.services["db"].utilization);
}

#[test]
fn a_partial_error_rate_fails_about_that_fraction() {
    let text = r#"(
        duration: "20000s",
        clients: { "users": Open(rate: 10, target: "db") },
        services: { "db": (instances: 2, workers: 8, service_time: Exponential(mean: "100ms")) },
        faults: [ErrorInjection(service: "db", start: "0s", duration: "20000s", fraction: 0.3)],
    )"#;
    let r = run_checked(&scenario(text), 1);
    let c = &r.clients["users"];
    let share = c.errors["injected"] as f64 / c.sent as f64;
    // 200,000 Bernoulli(0.3) draws: 5 standard deviations is about 0.005.
    assert!((share - 0.3).abs() < 0.005, "{share}");
}

#[test]
fn crashing_one_of_several_instances_sends_the_load_to_the_others() {
    let text = r#"(
        duration: "100s",
        clients: { "users": Open(rate: 20, process: Constant, target: "api") },
        services: { "api": (instances: 4, workers: 2, load_balancer: LeastOutstanding,
                            service_time: Deterministic(value: "50ms")) },
        faults: [Crash(service: "api", instance: 2, at: "10s", restart_after: "30s")],
    )"#;
    let r = run_checked(&scenario(text), 1);
    let api = &r.services["api"];
    assert_eq!(api.errors["unavailable"], 0, "three instances stay up");
    let arrivals: Vec<u64> = api.instances.iter().map(|i| i.arrivals).collect();
    assert!(
        arrivals[2] < arrivals[0] && arrivals[2] < arrivals[1] && arrivals[2] < arrivals[3],
        "{arrivals:?}"
    );
}

/// Two instances, one arrival a second, 50 ms of work: each instance serves every other request.
fn pair(faults: &str) -> Report {
    let text = format!(
        r#"(
            duration: "60s",
            clients: {{ "users": Open(rate: 1, process: Constant, target: "db") }},
            services: {{ "db": (instances: 2, workers: 1, service_time: Deterministic(value: "50ms")) }},
            faults: [{faults}],
        )"#
    );
    run_checked(&scenario(&text), 1)
}

#[test]
fn an_instance_stays_down_until_the_last_overlapping_crash_restarts_it() {
    // Both instances down 10.5–20.5 s; instance 1 also crashes at 15.5 s for good. The restart
    // at 20.5 s must bring back instance 0 only.
    let r = pair(
        r#"Crash(service: "db", at: "10.5s", restart_after: "10s"), Crash(service: "db", instance: 1, at: "15.5s")"#,
    );
    let db = &r.services["db"];
    assert_eq!(
        db.instances[1].arrivals, 5,
        "instance 1 served only before 10.5 s: 2, 4, 6, 8, 10 s"
    );
    assert_eq!(db.errors["unavailable"], 10, "11–20 s found no instance up");
    assert_eq!(
        db.errors["crashed"], 0,
        "50 ms requests are never held at a crash"
    );
}

#[test]
fn the_strictest_of_overlapping_capacity_losses_applies_until_it_ends() {
    let text = r#"(
        duration: "80s",
        time_series: (bucket: "10s"),
        clients: { "users": Open(rate: 1, process: Constant, target: "db") },
        services: { "db": (workers: 2, service_time: Deterministic(value: "100ms")) },
        faults: [
            CapacityLoss(service: "db", start: "10.5s", duration: "50s", workers: 0),
            CapacityLoss(service: "db", start: "20.5s", duration: "10s", workers: 1),
        ],
    )"#;
    let result = sim_models::run(&scenario(text), 1).unwrap();
    common::assert_conserved(&result);
    let completions: Vec<u64> = result
        .timeseries_csv()
        .lines()
        .filter(|l| l.contains(",service,"))
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    // No worker from 10.5 s until the zero-worker loss ends at 60.5 s, whatever the milder loss
    // does meanwhile; then the fifty held back go at once, with 61–69 s (59 in all).
    assert_eq!(completions, [9, 1, 0, 0, 0, 0, 59, 10]);
}
