//! Checkpoints of a run, so that the timeline can be dragged back: a clone of the simulation
//! every so often (a clone continues exactly as the original), and to go back to time `t`, the
//! last checkpoint at or before `t` is cloned and run forward to `t`.

use crate::animator::Animator;
use sim_core::{SimDuration, SimTime, Simulation};
use sim_models::World;

/// The most checkpoints kept: past it, every other one goes and the spacing doubles.
pub const MAX_CHECKPOINTS: usize = 64;

/// The run this timeline checkpoints.
pub type Sim = Simulation<World<Animator>>;

/// One checkpoint: the simulation at a time, and how many of the user's added faults it holds.
#[derive(Clone)]
struct Checkpoint {
    at: SimTime,
    sim: Sim,
    faults: usize,
}

/// A run's checkpoints, oldest first.
#[derive(Clone)]
pub struct Timeline {
    every: SimDuration,
    points: Vec<Checkpoint>,
}

impl Timeline {
    /// A timeline for a run ending at `end`, starting with `sim` (at t = 0).
    pub fn new(sim: &Sim, end: SimTime) -> Timeline {
        let every = SimDuration((end.0 / 60).max(1_000_000_000));
        Timeline {
            every,
            points: vec![Checkpoint {
                at: sim.now(),
                sim: sim.clone(),
                faults: 0,
            }],
        }
    }

    /// The spacing of checkpoints.
    pub fn every(&self) -> SimDuration {
        self.every
    }

    /// How many checkpoints there are.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether there are none (never: the start is always kept).
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Keeps a checkpoint of `sim` (holding `faults` of the user's faults) if the last one is
    /// `every` or more before it.
    pub fn note(&mut self, sim: &Sim, faults: usize) {
        let last = self.points.last().map_or(SimTime::ZERO, |c| c.at);
        if sim.now() < last + self.every {
            return;
        }
        self.points.push(Checkpoint {
            at: sim.now(),
            sim: sim.clone(),
            faults,
        });
        if self.points.len() > MAX_CHECKPOINTS {
            // Keep the start and every other one after it.
            let mut k = 0;
            self.points.retain(|_| {
                k += 1;
                k % 2 == 1
            });
            self.every = SimDuration(self.every.0.saturating_mul(2));
        }
    }

    /// Forgets the checkpoints after `t` (the run's future changed from there).
    pub fn truncate_after(&mut self, t: SimTime) {
        self.points.retain(|c| c.at <= t);
    }

    /// A copy of the simulation at the last checkpoint at or before `t`, and how many of the
    /// user's faults it holds.
    pub fn before(&self, t: SimTime) -> (Sim, usize) {
        let c = self
            .points
            .iter()
            .rev()
            .find(|c| c.at <= t)
            .unwrap_or(&self.points[0]);
        (c.sim.clone(), c.faults)
    }
}
