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

/// Runs `scenario` once per seed in `1..=seeds`, checks Little's law on every service of every
/// run, and returns the reports.
pub fn replicate(scenario: &Scenario, seeds: u64) -> Vec<Report> {
    (1..=seeds)
        .map(|seed| {
            let r = run(scenario, seed).expect("valid scenario").report;
            assert!(
                r.stop.complete,
                "seed {seed} stopped early: {}",
                r.stop.message
            );
            assert_littles_law(&r);
            r
        })
        .collect()
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
