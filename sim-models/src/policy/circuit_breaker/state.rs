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

/// Whether `outcome` counts as a failure: one of `record`, or by default any error.
pub(super) fn is_failure(record: &Option<Vec<Outcome>>, outcome: Outcome) -> bool {
    match record {
        Some(list) => list.contains(&outcome),
        None => outcome.is_error(),
    }
}
