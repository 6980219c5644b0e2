//! The failure-mode library: each scenario shows what its header promises in at least 18 of
//! 20 seeds, and its `-fixed` variant removes it in as many; the library covers the eight
//! failure modes the product names.

mod common;
use sim_models::{load_scenario, run, RunResult, Scenario};

fn bundled(name: &str) -> Scenario {
    load_scenario(format!("scenarios/{name}.ron"), &[])
        .unwrap()
        .scenario
}

/// Runs `name` for seeds 1–20 and counts the seeds for which `shows` holds.
fn seeds_showing(name: &str, shows: impl Fn(&RunResult) -> bool) -> u32 {
    let s = bundled(name);
    (1..=20)
        .map(|seed| {
            let r = run(&s, seed).unwrap();
            common::assert_conserved(&r);
            shows(&r) as u32
        })
        .sum()
}

fn failed(r: &RunResult) -> u64 {
    r.report.clients["users"].errors.values().sum()
}

/// Seconds in `[from, to)` in which the users got no answer at all.
fn silent_seconds(r: &RunResult, from: usize, to: usize) -> usize {
    let c = &r.world.statistics().clients[0];
    (from..to)
        .filter(|&i| c.series.completed.get(i) == 0)
        .count()
}

#[test]
fn retries_without_jitter_after_a_crash_arrive_as_one_herd_and_jitter_disperses_it() {
    // The herd: the restarted api refuses a wave of retries, and some requests fail for good.
    let herd = seeds_showing("thundering-herd", |r| {
        r.report.services["api"].rejected >= 50 && failed(r) >= 20
    });
    assert!(herd >= 18, "herd in {herd} of 20 seeds");
    let calm = seeds_showing("thundering-herd-fixed", |r| {
        r.report.services["api"].rejected == 0 && failed(r) == 0
    });
    assert!(calm >= 18, "no refusals in only {calm} of 20 seeds");
}

#[test]
fn a_twenty_percent_overload_explodes_latency_until_nobody_is_answered_and_codel_keeps_it_short() {
    let exploded = seeds_showing("latency-explosion", |r| {
        silent_seconds(r, 60, 130) >= 20 && r.report.clients["users"].errors["timeout"] >= 2000
    });
    assert!(exploded >= 18, "explosion in {exploded} of 20 seeds");
    let bounded = seeds_showing("latency-explosion-fixed", |r| {
        // The api's 100/s of capacity keeps answering through the overload (62 s to 90 s).
        let c = &r.world.statistics().clients[0];
        let answered: u64 = (62..90).map(|i| c.series.completed.get(i)).sum();
        r.report.clients["users"].errors["timeout"] == 0 && answered >= 2520
    });
    assert!(bounded >= 18, "bounded in only {bounded} of 20 seeds");
}

#[test]
fn a_slow_call_exhausts_the_callers_workers_for_every_request_and_a_bulkhead_confines_it() {
    let exhausted = seeds_showing("resource-exhaustion", |r| silent_seconds(r, 60, 125) >= 50);
    assert!(exhausted >= 18, "exhausted in {exhausted} of 20 seeds");
    let confined = seeds_showing("resource-exhaustion-fixed", |r| {
        let (sent, failed) = common::sent_and_failed(r, 60, 120);
        let c = &r.world.statistics().clients[0];
        failed as f64 <= 0.25 * sent as f64 && (61..120).all(|i| c.series.completed.get(i) >= 100)
    });
    assert!(confined >= 18, "confined in only {confined} of 20 seeds");
}

#[test]
fn the_library_lists_a_scenario_for_each_of_the_eight_failure_modes() {
    let modes = [
        ("partition", "partition.ron"),
        ("latency explosion", "latency-explosion.ron"),
        ("resource exhaustion", "resource-exhaustion.ron"),
        ("dependency collapse", "cascade.ron"),
        ("retry storm", "metastable-retry.ron"),
        ("split brain", "split-brain.ron"),
        ("configuration drift", "config-drift.ron"),
        ("thundering herd", "thundering-herd.ron"),
    ];
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("scenarios")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for (mode, file) in modes {
        assert!(
            text.contains(&format!("scenarios/{file}")),
            "{mode}: {file} missing from:\n{text}"
        );
    }
    let listed = text
        .lines()
        .filter(|l| l.trim_start().starts_with("scenarios/") && l.contains(".ron"))
        .count();
    assert!(listed >= 12, "{listed} scenarios listed");
}
