//! Why a search could not run.

use super::expr::ParseError;

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuneError {
    /// An objective or constraint could not be read.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The space or the options cannot be searched.
    #[error("cannot search: {0}")]
    Space(String),
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
