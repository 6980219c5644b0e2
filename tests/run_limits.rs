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
            "max_in_flight: 100000000, wall_clock: \"50ms\"",
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
