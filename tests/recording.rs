//! What a run records beyond its report changes nothing in the report: a run without time
//! series (what `faultline run` without `--out`, sweeps and searches do) reports exactly what a
//! run with them reports, and its series read as zeros.

use sim_models::{load_scenario, Recording, Scenario};
use std::path::Path;

fn bundled(path: &str) -> Scenario {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    load_scenario(
        &file,
        &["duration=120s".to_string(), "warmup=10s".to_string()],
    )
    .unwrap_or_else(|e| panic!("{path}: {e}"))
    .scenario
}

/// Whether every value after the first `skip` columns of every data row of `csv` is zero or
/// blank.
fn all_zero(csv: &str, skip: usize) -> bool {
    csv.lines()
        .skip(1)
        .flat_map(|row| row.split(',').skip(skip))
        .all(|v| v.is_empty() || v.parse::<f64>().is_ok_and(|x| x == 0.0))
}

/// A service that ejects a failing instance: the one series kept outside the service's own.
const EJECTING: &str = r#"(
    duration: "60s",
    clients: { "users": Open(rate: 300, target: "api", timeout: "1s") },
    services: {
        "api": (instances: 3, workers: 4, capacity: 8, service_time: Exponential(mean: "5ms"),
                outlier_detection: (max_ejection_percent: 50)),
    },
    faults: [CapacityLoss(service: "api", instance: 0, start: "0s", duration: "30s", workers: 0)],
)"#;

#[test]
fn a_run_without_time_series_reports_exactly_what_a_run_with_them_reports() {
    let mut scenarios: Vec<(String, Scenario)> = [
        "scenarios/cascade.ron",
        "scenarios/hedging.ron",
        "scenarios/partition.ron",
        "scenarios/retry-amplification-budget.ron",
        "scenarios/slow-dependency-breaker.ron",
        "scenarios/faults/instance-crash.ron",
        "scenarios/queueing/mmck.ron",
    ]
    .into_iter()
    .map(|p| (p.to_string(), bundled(p)))
    .collect();
    let ejecting = sim_models::load_scenario_str("ejecting.ron", EJECTING, &[])
        .unwrap()
        .scenario;
    scenarios.push(("ejecting".to_string(), ejecting));
    for (path, s) in &scenarios {
        for seed in 1..=2 {
            let full = sim_models::run(s, seed).unwrap();
            let lean = sim_models::run_summary(s, seed).unwrap();
            assert_eq!(
                serde_json::to_string(&full.report).unwrap(),
                serde_json::to_string(&lean.report).unwrap(),
                "{path} seed {seed}"
            );
            assert!(
                !all_zero(&full.timeseries_csv(), 3),
                "{path}: a full run keeps its series"
            );
            assert!(
                all_zero(&lean.timeseries_csv(), 3) && all_zero(&lean.policies_csv(), 3),
                "{path}: a run without series records none"
            );
        }
    }
}

#[test]
fn recording_defaults_to_everything_run_gives() {
    let r = Recording::default();
    assert!(r.series);
}
