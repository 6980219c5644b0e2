//! Why a search could not run.

use super::expr::ParseError;
use sim_core::ByteSize;

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TuneError {
    /// An objective or constraint could not be read.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The space or the options cannot be searched.
    #[error("cannot search: {0}")]
    Space(#[from] SpaceError),
    /// A metric named by the objective or a constraint is not among the metrics.
    #[error("unknown metric {name:?} in the {role}; closest: {}", suggestions.join(", "))]
    UnknownMetric {
        /// The name as given.
        name: String,
        /// `objective` or `constraint "…"`.
        role: String,
        /// The closest names among the first evaluation's metrics.
        suggestions: Vec<String>,
    },
    /// A later evaluation lacks a metric the first one had.
    #[error("metric {name:?} is missing from the evaluation of {point} (replication {replication}), though the first evaluation had it")]
    MissingMetric {
        /// The metric.
        name: String,
        /// The point, as `name=value` pairs.
        point: String,
        /// The replication.
        replication: u32,
    },
    /// `evaluate` failed.
    #[error("evaluation of {point} (replication {replication}) failed: {message}")]
    Evaluation {
        /// The point, as `name=value` pairs.
        point: String,
        /// The replication.
        replication: u32,
        /// The error it returned.
        message: String,
    },
}

/// Why a space cannot be searched with the options given: refused before anything runs.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SpaceError {
    /// No parameter.
    #[error("no parameter to tune")]
    NoParameter,
    /// A parameter without candidate values.
    #[error("parameter {name:?} has no candidate value")]
    NoValues {
        /// The parameter.
        name: String,
    },
    /// A parameter given twice.
    #[error("parameter {name:?} is given twice")]
    Repeated {
        /// The parameter.
        name: String,
    },
    /// No replications (of the grid's points and finalists, or of halving's first round).
    #[error("replications must be at least 1")]
    NoReplications,
    /// More replications than a sweep may have.
    #[error("{replications} replications: at most {limit} (an interval narrows as 1/√n: 1,000 already gives one 14 times tighter than 5)")]
    TooManyReplications {
        /// The replications asked for.
        replications: u32,
        /// The most allowed ([`crate::spec::MAX_SEEDS`]).
        limit: u64,
    },
    /// Random search with no candidate.
    #[error("random search needs at least one candidate")]
    NoCandidates,
    /// More random candidates than a sweep may have points.
    #[error("{candidates} candidates: random search draws at most {limit}")]
    TooManyCandidates {
        /// The candidates asked for.
        candidates: usize,
        /// The most allowed ([`crate::grid::MAX_POINTS`]).
        limit: usize,
    },
    /// A confidence level outside (0, 1).
    #[error("the confidence level must be in (0, 1), got {level}")]
    Level {
        /// The level given.
        level: f64,
    },
    /// A grid search over too many points.
    #[error("a grid of {points} points is too large; use random search with halving")]
    GridTooLarge {
        /// The points of the space.
        points: u128,
    },
    /// The search's bookkeeping would exceed the memory limit.
    #[error("{points} points × {replications} replications would need {needed} of memory, more than {limit} (limits.max_memory, by default half the memory this process may have); lower --seeds, --candidates or the number of --vary values")]
    Memory {
        /// The points to evaluate.
        points: u64,
        /// The replications of each, at most.
        replications: u64,
        /// The memory the search would need.
        needed: ByteSize,
        /// The limit (`limits.max_memory`).
        limit: ByteSize,
    },
}
