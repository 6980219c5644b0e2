//! Determinism self-check: hash the event stream of two runs and name the first event that differs.
//!
//! Two runs that agree have equal digest checkpoints; at the first checkpoint that differs, both
//! runs are replayed with the events of that window recorded in full, and the first differing
//! event is reported.

use crate::digest::{EventDigest, RecordedEvent, CHECKPOINT_EVERY};
use crate::simulation::{Model, Simulation};

/// The outcome of a determinism check that passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeterminismReport {
    /// Events in each run.
    pub events: u64,
    /// The hash of the event stream, equal in both runs.
    pub hash: u64,
}

/// Two runs of the same input that did not process the same events.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Divergence {
    /// The first event that differs, as each run saw it (`None`: that run had ended).
    #[error("runs diverge at event #{index}: first run {first}, second run {second}", first = show(.first), second = show(.second))]
    AtEvent {
        /// Index of the first differing event.
        index: u64,
        /// The first run's event there.
        first: Option<RecordedEvent>,
        /// The second run's event there.
        second: Option<RecordedEvent>,
    },
    /// The hashes differ inside a window of events, but replaying it did not reproduce the
    /// difference: the nondeterminism itself is not reproducible (e.g. it depends on wall time).
    #[error("runs diverge between events #{from} and #{to}, but a replay of that window did not reproduce it")]
    InWindow {
        /// First event of the window.
        from: u64,
        /// One past the last event of the window.
        to: u64,
    },
}

fn show(e: &Option<RecordedEvent>) -> String {
    match e {
        Some(e) => e.to_string(),
        None => "had no more events".to_string(),
    }
}

/// Runs the simulation that `build` makes twice and checks that both runs process the same events
/// at the same times. On divergence, names the first event that differs.
///
/// ```
/// use sim_core::{verify_determinism, Context, Model, RunLimits, SimDuration, Simulation};
/// struct Echo;
/// impl Model for Echo {
///     type Event = u8;
///     fn init(&mut self, ctx: &mut Context<u8>) { ctx.schedule_in(SimDuration(1), 0) }
///     fn handle(&mut self, e: u8, ctx: &mut Context<u8>) {
///         if e < 100 { ctx.schedule_in(SimDuration(1), e + 1) }
///     }
/// }
/// let report = verify_determinism(|| Simulation::new(Echo, RunLimits::default())).unwrap();
/// assert_eq!(report.events, 101);
/// ```
pub fn verify_determinism<M: Model>(
    build: impl Fn() -> Simulation<M>,
) -> Result<DeterminismReport, Divergence> {
    let run = |digest: EventDigest| {
        let mut sim = build().with_digest(digest);
        sim.run();
        let events = sim.events();
        let (_, d) = sim.into_parts();
        (events, d.expect("digest was attached"))
    };
    let (events_a, a) = run(EventDigest::new());
    let (events_b, b) = run(EventDigest::new());
    if events_a == events_b && a.hash == b.hash {
        return Ok(DeterminismReport {
            events: events_a,
            hash: a.hash,
        });
    }
    // The first checkpoint that differs bounds the window; a missing checkpoint counts as differing.
    let k = a
        .checkpoints
        .iter()
        .zip(&b.checkpoints)
        .position(|(x, y)| x != y)
        .unwrap_or(a.checkpoints.len().min(b.checkpoints.len())) as u64;
    let (from, to) = (k * CHECKPOINT_EVERY, (k + 1) * CHECKPOINT_EVERY);
    let (_, ra) = run(EventDigest::recording(from, to));
    let (_, rb) = run(EventDigest::recording(from, to));
    let n = ra.recorded.len().max(rb.recorded.len());
    for i in 0..n {
        let (x, y) = (ra.recorded.get(i), rb.recorded.get(i));
        if x != y {
            return Err(Divergence::AtEvent {
                index: from + i as u64,
                first: x.cloned(),
                second: y.cloned(),
            });
        }
    }
    Err(Divergence::InWindow { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::StableHasher;
    use crate::simulation::{Context, RunLimits};
    use crate::time::SimDuration;
    use std::hash::Hasher;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Counts up to 5000; when `leak` is set, its step at event 3000 depends on global state that
    /// survives between runs, the classic way a simulator loses determinism.
    struct Counter {
        leak: Option<&'static AtomicU64>,
    }

    impl Model for Counter {
        type Event = u64;
        fn init(&mut self, ctx: &mut Context<u64>) {
            ctx.schedule_in(SimDuration(1), 0);
        }
        fn handle(&mut self, n: u64, ctx: &mut Context<u64>) {
            if n >= 5000 {
                return;
            }
            let mut next = n + 1;
            if n == 3000 {
                if let Some(g) = self.leak {
                    next += g.fetch_add(1, Ordering::Relaxed) * 1_000_000;
                }
            }
            ctx.schedule_in(SimDuration(1), next);
        }
    }

    #[test]
    fn identical_runs_pass_the_check() {
        let r =
            verify_determinism(|| Simulation::new(Counter { leak: None }, RunLimits::default()))
                .unwrap();
        assert_eq!(r.events, 5001);
    }

    #[test]
    fn a_divergent_run_names_the_first_differing_event() {
        static GLOBAL: AtomicU64 = AtomicU64::new(0);
        let err = verify_determinism(|| {
            Simulation::new(
                Counter {
                    leak: Some(&GLOBAL),
                },
                RunLimits::default(),
            )
        })
        .unwrap_err();
        match err {
            Divergence::AtEvent {
                index,
                first,
                second,
            } => {
                // Event #3000 carries n = 3000 and schedules the leaky successor: #3001 differs.
                assert_eq!(index, 3001);
                assert_ne!(first.unwrap().event, second.unwrap().event);
            }
            other => panic!("expected a located divergence, got {other}"),
        }
    }

    #[test]
    fn stable_hasher_widens_usize_like_u64() {
        let mut a = StableHasher::default();
        let mut b = StableHasher::default();
        a.write_usize(7);
        b.write_u64(7);
        assert_eq!(a.finish(), b.finish());
    }
}
