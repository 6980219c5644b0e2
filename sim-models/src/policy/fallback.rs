//! Fallbacks: answer a failed call with a static value, the last good answer, or a degraded
//! one. The caller goes on as if it had succeeded, but reports count `fallback` apart from
//! success, so a fallback never hides an outage.

use super::hooks::Hooks;
use super::{CallerPolicy, Ended};
use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimTime};

/// A fallback as written in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FallbackSpec {
    /// What the fallback answers with.
    #[serde(default)]
    pub kind: FallbackKind,
    /// The errors it covers (default every error).
    #[serde(default)]
    pub on: Option<Vec<Outcome>>,
}

/// What a fallback answers with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FallbackKind {
    /// A fixed answer: always available.
    #[default]
    Static,
    /// The last successful answer, if one arrived within `ttl`.
    Cached {
        /// How long a cached answer stays usable.
        ttl: SimDuration,
    },
    /// A degraded answer computed locally: always available.
    Degraded,
}

/// A running fallback.
#[derive(Clone, Debug)]
pub struct Fallback {
    spec: FallbackSpec,
    last_success: Option<SimTime>,
}

impl Fallback {
    /// A fallback with nothing cached.
    pub fn new(spec: FallbackSpec) -> Self {
        Fallback {
            spec,
            last_success: None,
        }
    }
}

impl CallerPolicy for Fallback {
    fn hooks(&self) -> Hooks {
        Hooks::RECORD | Hooks::ANSWER
    }

    fn name(&self) -> &str {
        "fallback"
    }

    fn record(&mut self, now: SimTime, ended: &Ended) {
        if ended.outcome == Outcome::Completed {
            self.last_success = Some(now);
        }
    }

    fn answer(&mut self, now: SimTime, outcome: Outcome) -> Outcome {
        if outcome == Outcome::Completed {
            self.last_success = Some(now);
        }
        let covered = match &self.spec.on {
            Some(list) => list.contains(&outcome),
            None => outcome.is_error(),
        };
        let available = match self.spec.kind {
            FallbackKind::Cached { ttl } => self.last_success.is_some_and(|t| now - t <= ttl),
            _ => true,
        };
        if covered && available {
            Outcome::Fallback
        } else {
            outcome
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_fallback_needs_a_recent_success() {
        let mut f = Fallback::new(FallbackSpec {
            kind: FallbackKind::Cached {
                ttl: SimDuration::from_millis(1000),
            },
            on: None,
        });
        assert_eq!(f.answer(SimTime(0), Outcome::Timeout), Outcome::Timeout);
        assert_eq!(f.answer(SimTime(1), Outcome::Completed), Outcome::Completed);
        assert_eq!(
            f.answer(SimTime(500_000_000), Outcome::Timeout),
            Outcome::Fallback
        );
        assert_eq!(
            f.answer(SimTime(2_000_000_000), Outcome::Timeout),
            Outcome::Timeout
        );
    }

    #[test]
    fn a_static_fallback_covers_only_the_listed_errors() {
        let mut f = Fallback::new(FallbackSpec {
            kind: FallbackKind::Static,
            on: Some(vec![Outcome::CircuitOpen]),
        });
        assert_eq!(
            f.answer(SimTime(0), Outcome::CircuitOpen),
            Outcome::Fallback
        );
        assert_eq!(f.answer(SimTime(0), Outcome::Timeout), Outcome::Timeout);
    }
}
