//! How to search, and what a search is refused for before it starts: an empty or repeated
//! parameter, settings out of range, and bookkeeping larger than the memory limit.

use super::error::SpaceError;
use super::space::Parameter;
use std::collections::BTreeSet;

/// How to search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Search {
    /// Grid up to [`TuneOptions::grid_limit`] points, random search with successive halving
    /// beyond.
    #[default]
    Auto,
    /// Every point (refused beyond a million points).
    Grid,
    /// Random search with successive halving, even on a small space.
    Halving,
}

/// The tuner's settings; [`Default`] gives the documented values.
#[derive(Clone, Debug, PartialEq)]
pub struct TuneOptions {
    /// How to search (default `Auto`).
    pub search: Search,
    /// Largest space searched as a grid by `Auto` (default 64 points).
    pub grid_limit: usize,
    /// Points drawn by random search (default 64).
    pub candidates: usize,
    /// Replications of each random candidate in the first round of halving (default 3).
    pub initial_replications: u32,
    /// Replications of each grid point, and of the finalists of halving (default 20).
    pub replications: u32,
    /// Seed of the random search's draws (default 1).
    pub seed: u64,
    /// Confidence level of the intervals (default 0.95).
    pub level: f64,
    /// Runners-up reported after the best (default 5).
    pub runners_up: usize,
    /// The memory the search's own bookkeeping may need (default: half the machine's, as
    /// for a run); a larger search is refused before it starts.
    pub max_memory: sim_core::ByteSize,
}

impl Default for TuneOptions {
    fn default() -> Self {
        TuneOptions {
            search: Search::Auto,
            grid_limit: 64,
            candidates: 64,
            initial_replications: 3,
            replications: 20,
            seed: 1,
            level: 0.95,
            runners_up: 5,
            max_memory: sim_models::memory::default_max_memory(),
        }
    }
}

/// Refuses an empty space, a parameter without values or given twice, and settings out of range.
pub(super) fn check(space: &[Parameter], options: &TuneOptions) -> Result<(), SpaceError> {
    if space.is_empty() {
        return Err(SpaceError::NoParameter);
    }
    let mut names = BTreeSet::new();
    for p in space {
        if p.values.is_empty() {
            return Err(SpaceError::NoValues {
                name: p.name.clone(),
            });
        }
        if !names.insert(&p.name) {
            return Err(SpaceError::Repeated {
                name: p.name.clone(),
            });
        }
    }
    if options.replications == 0 || options.initial_replications == 0 {
        return Err(SpaceError::NoReplications);
    }
    if u64::from(options.replications) > crate::spec::MAX_SEEDS {
        return Err(SpaceError::TooManyReplications {
            replications: options.replications,
            limit: crate::spec::MAX_SEEDS,
        });
    }
    if options.candidates == 0 {
        return Err(SpaceError::NoCandidates);
    }
    if options.candidates > crate::grid::MAX_POINTS {
        return Err(SpaceError::TooManyCandidates {
            candidates: options.candidates,
            limit: crate::grid::MAX_POINTS,
        });
    }
    if !(options.level > 0.0 && options.level < 1.0) {
        return Err(SpaceError::Level {
            level: options.level,
        });
    }
    Ok(())
}

/// Refuses a search whose bookkeeping would exceed `options.max_memory`: per point its
/// coordinates and samples, and per evaluation of the largest round its job and result.
pub(super) fn check_memory(
    space: &[Parameter],
    points: usize,
    metrics: usize,
    options: &TuneOptions,
) -> Result<(), SpaceError> {
    let (points, metrics, reps) = (
        points as u64,
        metrics as u64,
        u64::from(options.replications),
    );
    let per_point = 48 + 8 * space.len() as u64 + metrics * (24 + 8 * reps);
    let per_evaluation = 64 + 8 * metrics;
    let total = points
        .saturating_mul(per_point)
        .saturating_add(points.saturating_mul(reps).saturating_mul(per_evaluation));
    if total <= options.max_memory.0 {
        return Ok(());
    }
    Err(SpaceError::Memory {
        points,
        replications: reps,
        needed: sim_core::ByteSize(total),
        limit: options.max_memory,
    })
}
