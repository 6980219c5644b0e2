//! Helpers shared by the workspace tests.
#![allow(dead_code)] // each test binary uses its own subset

use sim_core::{student_t_interval, Interval};
use sim_models::{load_scenario_str, run, Report, Scenario};

/// Parses scenario text, panicking with the located errors if it is invalid.
pub fn scenario(text: &str) -> Scenario {
    match load_scenario_str("test.ron", text, &[]) {
        Ok(l) => l.scenario,
        Err(e) => panic!("test scenario is invalid:\n{e}"),
    }
}

/// Runs `scenario` once per seed in `1..=seeds`, checks Little's law and conservation on every
/// service of every run, and returns the reports.
pub fn replicate(scenario: &Scenario, seeds: u64) -> Vec<Report> {
    (1..=seeds)
        .map(|seed| {
            let result = run(scenario, seed).expect("valid scenario");
            let r = &result.report;
            assert!(
                r.stop.complete,
                "seed {seed} stopped early: {}",
                r.stop.message
            );
            assert_littles_law(r);
            assert_conserved(&result);
            result.report
        })
        .collect()
}

/// Runs `scenario` once with `seed`, checking conservation.
pub fn run_checked(scenario: &Scenario, seed: u64) -> Report {
    let result = run(scenario, seed).expect("valid scenario");
    assert_conserved(&result);
    result.report
}

/// L = λW on every service: the time-average number present equals throughput × mean latency.
/// Edge effects (requests straddling the window) are O(L/N), far below the 2% allowed here.
pub fn assert_littles_law(r: &Report) {
    for (name, s) in &r.services {
        let little = s.throughput * s.latency.mean;
        let tolerance = 0.02 * s.mean_in_system.max(little) + 1e-3;
        assert!(
            (s.mean_in_system - little).abs() <= tolerance,
            "Little's law fails at {name} (seed {}): L = {} but λW = {} × {} = {little}",
            r.seed,
            s.mean_in_system,
            s.throughput,
            s.latency.mean
        );
    }
}

/// Every request sent ends in exactly one state: answered, one kind of error, or still in flight;
/// every call the instances' counters say they hold is a live call record there; and no call
/// edge resolved more attempts than it sent. The second part compares the services' own
/// counters with the call records, so a call lost or ended twice shows (ending one twice also
/// panics in the slab).
pub fn assert_conserved(result: &sim_models::RunResult) {
    let r = &result.report;
    let held: u64 = result.world.services.iter().map(|s| s.in_system()).sum();
    assert_eq!(
        result.world.calls_held(),
        held,
        "call records say instances hold {} calls, their counters say {held} (seed {})",
        result.world.calls_held(),
        r.seed
    );
    if let Err(e) = result.world.conservation() {
        panic!("seed {}: {e}", r.seed);
    }
    let t = &r.totals;
    let errors: u64 = t.errors.values().sum();
    assert_eq!(
        t.sent,
        t.completed + errors + r.in_flight_at_end,
        "conservation fails (seed {}): sent {} ≠ completed {} + errors {:?} + in flight {}",
        r.seed,
        t.sent,
        t.completed,
        t.errors,
        r.in_flight_at_end
    );
}

/// The 99% Student-t interval of `metric` over the runs.
pub fn interval(reports: &[Report], metric: impl Fn(&Report) -> f64) -> Interval {
    let xs: Vec<f64> = reports.iter().map(metric).collect();
    student_t_interval(&xs, 0.99)
}

/// Asserts that the 99% interval of `metric` contains `theory`, and that it is tight enough
/// (half-width under `max_rel` of theory) for the check to mean something.
pub fn assert_contains(
    what: &str,
    reports: &[Report],
    theory: f64,
    max_rel: f64,
    metric: impl Fn(&Report) -> f64,
) {
    let ci = interval(reports, metric);
    assert!(
        ci.contains(theory),
        "{what}: theory {theory} lies outside the 99% interval [{:.6}, {:.6}] (n = {})",
        ci.low(),
        ci.high(),
        ci.n
    );
    assert!(
        ci.half_width <= max_rel * theory,
        "{what}: interval ±{:.6} is wider than {}% of {theory}: the test would prove little",
        ci.half_width,
        max_rel * 100.0
    );
}

/// Runs the `faultline` binary with `args` from the repository root.
pub fn faultline(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the faultline binary runs")
}

/// Every scenario file bundled under `scenarios/`, recursively, in a stable order (the sweep
/// files under `scenarios/sweeps/` are not scenarios: see [`bundled_sweeps`]).
pub fn bundled_scenarios() -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && path.file_name().is_some_and(|n| n == "sweeps") {
                continue;
            } else if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "ron") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        &mut out,
    );
    out.sort();
    assert!(
        out.len() >= 6,
        "expected the bundled scenarios, found {out:?}"
    );
    out
}

/// Every sweep file bundled under `scenarios/sweeps/`, in a stable order.
pub fn bundled_sweeps() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps");
    let mut out: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    out.sort();
    out
}

/// The first client's requests sent and failed in the time-series buckets `[from, to)`.
pub fn sent_and_failed(result: &sim_models::RunResult, from: usize, to: usize) -> (u64, u64) {
    let client = &result.world.statistics().clients[0];
    let sent = (from..to).map(|i| client.series.sent.get(i)).sum();
    let failed = (from..to).map(|i| client.series.errors.get(i)).sum();
    (sent, failed)
}
