//! The bundled cascade (`scenarios/cascade.ron`) happens on its own from the model: a database
//! slowdown saturates the API's thread-per-request workers and fails the front end, then the
//! system recovers. It must show in at least 95% of 50 seeds, and never without the slowdown.

mod common;
use sim_models::{load_scenario, run, RunResult};

/// What one run shows, from its time series (1 s buckets).
struct Seen {
    /// The api's busy workers reached 95% of its 40 in some second of the slowdown.
    api_saturated: bool,
    /// Users saw more than a quarter of their requests fail between 60 s and 100 s.
    front_failed: bool,
    /// From 100 s on, under 1% of the users' requests failed.
    recovered: bool,
    /// The most api workers busy in any second.
    api_peak: f64,
    /// Users' errors over the whole run.
    errors: u64,
}

fn seen(result: &RunResult) -> Seen {
    common::assert_conserved(result);
    let w = &result.world;
    let end = result.end;
    let api = &w.statistics().servers[w.services.iter().position(|s| s.name == "api").unwrap()];
    let users = &w.statistics().clients[0];
    let window = |from: usize, to: usize| {
        let sent: u64 = (from..to).map(|i| users.series.sent.get(i)).sum();
        let failed: u64 = (from..to).map(|i| users.series.errors.get(i)).sum();
        (sent, failed)
    };
    let api_peak = (0..180)
        .map(|i| api.series.busy.mean(i, end))
        .fold(0.0, f64::max);
    let saturated = (60..90).any(|i| api.series.busy.mean(i, end) >= 0.95 * 40.0);
    let (sent, failed) = window(60, 100);
    let (after, failed_after) = window(100, 180);
    Seen {
        api_saturated: saturated,
        front_failed: failed * 4 > sent,
        recovered: failed_after * 100 < after,
        api_peak,
        errors: (0..180).map(|i| users.series.errors.get(i)).sum(),
    }
}

#[test]
fn a_database_slowdown_cascades_to_the_front_end_in_at_least_95_percent_of_seeds_then_recovers() {
    let scenario = load_scenario("scenarios/cascade.ron", &[])
        .unwrap()
        .scenario;
    let cascades = (1..=50)
        .filter(|&seed| {
            let s = seen(&run(&scenario, seed).unwrap());
            s.api_saturated && s.front_failed && s.recovered
        })
        .count();
    assert!(
        cascades >= 48,
        "the cascade showed in {cascades} of 50 seeds"
    );
}

#[test]
fn without_the_slowdown_nothing_saturates_and_nothing_fails() {
    let scenario = load_scenario("scenarios/cascade.ron", &["faults=[]".into()])
        .unwrap()
        .scenario;
    for seed in 1..=50 {
        let s = seen(&run(&scenario, seed).unwrap());
        assert!(
            !s.api_saturated && s.api_peak < 20.0,
            "seed {seed}: api peaked at {} busy workers",
            s.api_peak
        );
        assert_eq!(s.errors, 0, "seed {seed}");
    }
}
