//! Bronson et al.'s metastable failure (HotOS '21, §2.1): with one retry per request and a
//! server that works on abandoned attempts, a short trigger leaves the system stuck once the
//! load is above about half its capacity, and passes below it; a retry budget removes the
//! sustaining effect.

mod common;
use sim_models::{load_scenario, run, RunResult, Scenario};

fn bundled(name: &str) -> Scenario {
    load_scenario(format!("scenarios/{name}.ron"), &[])
        .unwrap()
        .scenario
}

/// Whether the run never recovered: nothing answered in its last 100 s, though the trigger
/// ended at 70 s.
fn stuck(r: &RunResult) -> bool {
    let c = &r.world.statistics().clients[0];
    (200..300).all(|i| c.series.completed.get(i) == 0)
}

/// Whether the run recovered: nothing failed in its last 150 s.
fn recovered(r: &RunResult) -> bool {
    common::sent_and_failed(r, 150, 300).1 == 0
}

#[test]
fn a_ten_second_trigger_leaves_the_system_stuck_in_at_least_90_percent_of_seeds_and_a_budget_prevents_it(
) {
    let (meta, fixed) = (
        bundled("metastable-retry"),
        bundled("metastable-retry-fixed"),
    );
    let mut n = 0;
    for seed in 1..=20 {
        let r = run(&meta, seed).unwrap();
        common::assert_conserved(&r);
        n += stuck(&r) as u32;
    }
    assert!(n >= 18, "stuck in {n} of 20 seeds");
    for seed in 1..=20 {
        let r = run(&fixed, seed).unwrap();
        common::assert_conserved(&r);
        assert!(recovered(&r), "seed {seed}");
    }
}

#[test]
fn the_metastable_boundary_lies_between_120_and_180_requests_per_second() {
    let at = |rate: u32| {
        let set = [format!("clients.users.rate={rate}")];
        load_scenario("scenarios/metastable-retry.ron", &set)
            .unwrap()
            .scenario
    };
    let (below, above) = (at(120), at(180));
    let mut stuck_above = 0;
    for seed in 1..=20 {
        assert!(recovered(&run(&below, seed).unwrap()), "120/s, seed {seed}");
        stuck_above += stuck(&run(&above, seed).unwrap()) as u32;
    }
    assert!(
        stuck_above >= 18,
        "180/s stuck in {stuck_above} of 20 seeds"
    );
}
