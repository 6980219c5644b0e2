//! Speed of a replicated store, measured (never asserted in tests: these machines are shared).
//! `cargo bench -p sim-store` prints, best of three: a 3-replica Raft store with quorum writes
//! and reads through the log, 150 client processes doing ~10,000 operations per simulated
//! second for 20 simulated seconds on a 1 ms network — operations simulated per wall second
//! (target ≥ 200,000), and the same with the verdict (the linearizability check of the whole
//! history included).

#[path = "../tests/support/mod.rs"]
mod support;

use sim_core::SimDuration;
use std::time::Instant;

fn main() {
    let spec = support::spec(
        r#"(
        replicas: 3, zones: ["a", "b", "c"],
        election: Raft(election_timeout_min: "150ms", election_timeout_max: "300ms", heartbeat: "50ms"),
        first_leader: 0,
        workers: 8,
        service_time: Exponential(mean: "200us"),
        keys: 1000,
        clients: [(processes: 150, zone: "a", timeout: "500ms", think_time: Exponential(mean: "10ms"),
                   mix: (read: 0.5, write: 0.4, cas: 0.1))],
    )"#,
    );
    let duration = SimDuration::from_secs(20);
    let (mut sim_best, mut all_best) = (f64::INFINITY, f64::INFINITY);
    let mut ops = 0;
    let mut verdict = None;
    for _ in 0..3 {
        let t = Instant::now();
        let mut model = support::simulate(&spec, 1, duration, vec![], vec![]);
        let simulated = t.elapsed().as_secs_f64();
        let r = model.measure(
            sim_core::SimTime::ZERO + duration,
            sim_history::linearizable::DEFAULT_STEP_BUDGET,
        );
        let total = t.elapsed().as_secs_f64();
        sim_best = sim_best.min(simulated);
        all_best = all_best.min(total);
        ops = model.history.len();
        verdict = Some(r.linearizable);
    }
    println!(
        "store: {ops} operations ({:.0}/s simulated) in {sim_best:.3} s: {:.0} operations per wall second (target >= 200,000); with the verdict ({:?}): {all_best:.3} s, {:.0}/s",
        ops as f64 / duration.as_secs_f64(),
        ops as f64 / sim_best,
        verdict.expect("ran"),
        ops as f64 / all_best,
    );
}
