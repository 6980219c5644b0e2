//! Speed of the linearizability checker, measured (never asserted in tests: these machines are
//! shared). `cargo bench -p sim-history` prints how long the checker takes to decide a
//! 100,000-operation history over 100 keys (5 processes per key, 5% indeterminate
//! operations), and with 20 processes per key, each also with the last read of every key
//! corrupted (the search must exhaust what precedes it): target ≤ 2 s. Best of three.

#[path = "../tests/support/mod.rs"]
mod support;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim_history::linearizable::{check, DEFAULT_STEP_BUDGET};
use std::time::Instant;

fn time(label: &str, h: &sim_history::History) {
    let mut best = f64::INFINITY;
    let mut result = None;
    for _ in 0..3 {
        let t = Instant::now();
        let r = check(h, DEFAULT_STEP_BUDGET);
        best = best.min(t.elapsed().as_secs_f64());
        result = Some(r);
    }
    let r = result.expect("ran");
    println!(
        "checker, {label}: {} operations over {} keys: {:?} in {:.3} s best of 3 ({} search steps; target <= 2 s)",
        h.len(),
        r.keys,
        r.verdict,
        best,
        r.steps
    );
}

fn main() {
    for processes in [5, 20] {
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let shape = support::Shape {
            keys: 100,
            processes_per_key: processes,
            ops_per_key: 1_000,
            info: 0.05,
            adds: false,
        };
        let h = support::linearizable(&mut rng, &shape);
        time(&format!("{processes} processes per key"), &h);
        // The same with the last read of every key corrupted: the search must exhaust what
        // precedes it before it can say no.
        let mut ops = h.operations().to_vec();
        for k in 0..shape.keys {
            if let Some(o) = ops.iter_mut().rev().find(|o| {
                o.key == sim_history::Key(k)
                    && matches!(o.result, sim_history::Completion::Ok(Some(_)))
            }) {
                o.result = sim_history::Completion::Ok(Some(-1));
            }
        }
        time(
            &format!("{processes} processes per key, one bad read per key"),
            &sim_history::History::from_operations(ops),
        );
    }
}
