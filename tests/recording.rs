//! What a run records beyond its report changes nothing in the report: a run without time
//! series (what `faultline run` without `--out`, sweeps and searches do) reports exactly what a
//! run with them reports, and its series read as empty.

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

#[test]
fn a_run_without_time_series_reports_exactly_what_a_run_with_them_reports() {
    for path in [
        "scenarios/cascade.ron",
        "scenarios/hedging.ron",
        "scenarios/partition.ron",
        "scenarios/retry-amplification-budget.ron",
        "scenarios/slow-dependency-breaker.ron",
        "scenarios/faults/instance-crash.ron",
        "scenarios/queueing/mmck.ron",
    ] {
        let s = bundled(path);
        for seed in 1..=2 {
            let full = sim_models::run(&s, seed).unwrap();
            let lean = sim_models::run_summary(&s, seed).unwrap();
            assert_eq!(
                serde_json::to_string(&full.report).unwrap(),
                serde_json::to_string(&lean.report).unwrap(),
                "{path} seed {seed}"
            );
            assert!(
                full.timeseries_csv().lines().count() > 1,
                "{path}: a full run keeps its series"
            );
            let policies = lean.policies_csv();
            assert!(
                policies
                    .lines()
                    .skip(1)
                    .all(|l| l.ends_with(",0") || l.ends_with(",0.0")),
                "{path}: a run without series records none: {}",
                policies.lines().nth(1).unwrap_or("")
            );
        }
    }
}

#[test]
fn recording_defaults_to_everything_run_gives() {
    let r = Recording::default();
    assert!(r.series);
    assert!(r.trace.is_none());
}
