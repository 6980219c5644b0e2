//! A runaway run stops cleanly at a limit, says which one, and keeps the results so far.

mod common;
use common::scenario;
use sim_models::run;

/// λ = 2/s into a service that handles 1/s: the queue grows without bound.
const OVERLOAD: &str = r#"(
    duration: "100000s",
    limits: (max_in_flight: 5000),
    clients: { "flood": Open(rate: 2.0, target: "slow") },
    services: { "slow": (workers: 1, service_time: Exponential(mean: "1s")) },
)"#;

#[test]
fn an_overloaded_system_stops_at_max_in_flight_with_its_results() {
    let r = run(&scenario(OVERLOAD), 1).unwrap().report;
    assert_eq!(r.stop.reason, "max_in_flight");
    assert!(!r.stop.complete);
    assert!(
        r.stop.message.contains("limits.max_in_flight"),
        "{}",
        r.stop.message
    );
    assert_eq!(r.in_flight_at_end, 5000);
    // About 5000 s in, the service has completed roughly one request per second.
    let slow = &r.services["slow"];
    assert!(
        r.sim_time_s > 4000.0 && r.sim_time_s < 6000.0,
        "{}",
        r.sim_time_s
    );
    assert!(slow.completed > 3000, "{}", slow.completed);
    assert!(slow.utilization > 0.95);
}

#[test]
fn max_events_stops_the_run_and_reports_the_limit() {
    let text = OVERLOAD.replace(
        "max_in_flight: 5000",
        "max_in_flight: 1000000, max_events: 12345",
    );
    let r = run(&scenario(&text), 1).unwrap().report;
    assert_eq!(r.stop.reason, "max_events");
    assert_eq!(r.events, 12345);
    assert!(r.services["slow"].completed > 0);
}

#[test]
fn a_wall_clock_budget_stops_a_long_run() {
    let text = OVERLOAD
        .replace(
            "max_in_flight: 5000",
            "max_in_flight: 10000000, wall_clock: \"50ms\"",
        )
        .replace("100000s", "10000000000s");
    let text = text.replace(
        "(\n    duration",
        "(\n    time_series: (bucket: \"100000s\"),\n    duration",
    );
    let r = run(&scenario(&text), 1).unwrap().report;
    assert_eq!(r.stop.reason, "wall_clock");
    assert!(r.events > 0);
}

#[test]
fn the_cli_still_writes_results_when_a_limit_stops_the_run() {
    let dir = std::env::temp_dir().join(format!("faultline-limits-{}", std::process::id()));
    let file = dir.join("overload.ron");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&file, OVERLOAD).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["run", "--json", "--out"])
        .arg(dir.join("out"))
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped early"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["stop"]["reason"], "max_in_flight");
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/summary.json")).unwrap()).unwrap();
    assert_eq!(saved, json);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_zero_time_loop_stops_as_no_progress_instead_of_hanging() {
    // One user who thinks for no time at a service that takes no time: the clock never moves.
    let text = r#"(
        duration: "100s",
        clients: { "eager": Closed(users: 1, think_time: Deterministic(value: "0s"), target: "instant") },
        services: { "instant": (workers: 1, service_time: Deterministic(value: "0s")) },
    )"#;
    let r = run(&scenario(text), 1).unwrap().report;
    assert_eq!(r.stop.reason, "no_progress");
    assert!(r.stop.message.contains("zero-delay"), "{}", r.stop.message);
    assert!(r.services["instant"].completed > 1_000_000);
}

#[test]
fn a_rate_too_small_to_ever_arrive_runs_to_the_end_with_no_requests() {
    let text = r#"(
        duration: "100s",
        clients: { "trickle": Open(rate: 1e-300, target: "s") },
        services: { "s": (workers: 1, service_time: Exponential(mean: "1s")) },
    )"#;
    let r = run(&scenario(text), 1).unwrap().report;
    assert!(r.stop.complete);
    assert_eq!(r.sim_time_s, 100.0);
    assert_eq!(r.clients["trickle"].sent, 0);
}

#[test]
fn statistics_cover_the_whole_run_even_when_events_run_out_early() {
    // Arrivals stop at 50 s; the run still lasts 100 s, so utilisation is about 0.25, not 0.5.
    let text = r#"(
        duration: "100s",
        clients: { "burst": Open(rate: 1, process: Constant, target: "s", schedule: [Step(at: "50s", rate: 0)]) },
        services: { "s": (workers: 1, service_time: Deterministic(value: "500ms")) },
    )"#;
    let r = run(&scenario(text), 1).unwrap().report;
    assert_eq!(r.stop.reason, "no_more_events");
    assert_eq!(r.sim_time_s, 100.0);
    let util = r.services["s"].utilization;
    assert!((util - 0.245).abs() < 1e-9, "{util}");
    common::assert_littles_law(&r);
}

#[test]
fn huge_buckets_and_latencies_neither_overflow_nor_hang() {
    // A second bucket that would end past 2^64 ns, where bucket arithmetic used to wrap and spin.
    let near_the_end_of_time = r#"(
        duration: "5000000h",
        time_series: (bucket: "3000000h"),
        clients: { "rare": Open(rate: 2.7e-7, target: "s") },
        services: { "s": (workers: 1, service_time: Exponential(mean: "1h")) },
    )"#;
    let far = run(&scenario(near_the_end_of_time), 1).unwrap();
    assert!(far.report.stop.complete);
    assert_eq!(far.timeseries_csv().lines().count(), 1 + 2 * 2);

    // 300,000 latencies of 10,000 h per bucket: a sum of 3·10^9 h, far past the 5,124 h a u64 of
    // nanoseconds holds.
    let text = r#"(
        duration: "500000h",
        time_series: (bucket: "300000h"),
        clients: { "rare": Open(rate: "1/h", process: Constant, target: "slow") },
        services: { "slow": (workers: 20000, service_time: Deterministic(value: "10000h")) },
    )"#;
    let result = run(&scenario(text), 1).unwrap();
    assert!(result.report.stop.complete);
    let csv = result.timeseries_csv();
    assert_eq!(csv.lines().count(), 1 + 2 * 2, "{csv}");
    // Latency means in the CSV agree with the summary: the per-bucket sums did not wrap.
    let summary_mean = result.report.services["slow"].latency.mean;
    let column = csv
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == "latency_mean_s")
        .unwrap();
    for line in csv.lines().filter(|l| l.contains(",service,")) {
        let mean: f64 = line
            .split(',')
            .nth(column)
            .unwrap()
            .parse()
            .unwrap_or(summary_mean);
        assert!((mean - summary_mean).abs() / summary_mean < 1e-9, "{line}");
    }
}
