//! What both breakers share: the state a breaker is in, and which outcomes it counts as
//! failures.

use crate::outcome::Outcome;

/// A breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls pass and are measured.
    Closed,
    /// Calls are refused (`circuit_open`).
    Open,
    /// A limited number of probes pass.
    HalfOpen,
}

impl BreakerState {
    /// The level a time series shows: 0 closed, 1 half-open, 2 open.
    pub fn level(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        }
    }
}

/// Which calls a breaker may refuse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BreakerScope {
    /// Every call (the libraries' breakers).
    #[default]
    All,
    /// Only retries: first tries always pass and are measured, so while it is open the
    /// dependency sees each request once (Brooker's "retry circuit breaker", which bounds
    /// amplification without refusing work). Placed inside a `Retry` layer, it sees each
    /// attempt's number.
    RetriesOnly,
}

impl BreakerScope {
    /// Whether a call of this attempt number passes whatever the state.
    pub(super) fn passes(self, attempt: u32) -> bool {
        self == BreakerScope::RetriesOnly && attempt <= 1
    }
}

/// Whether `outcome` counts as a failure: one of `record`, or by default any error.
pub(super) fn is_failure(record: &Option<Vec<Outcome>>, outcome: Outcome) -> bool {
    match record {
        Some(list) => list.contains(&outcome),
        None => outcome.is_error(),
    }
}
