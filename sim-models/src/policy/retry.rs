//! Retry: which failures are tried again, how many times, and how long to wait first.
//!
//! The waits are `sim-backoff`'s library formulas; this module adds what a retry layer of a
//! service decides: the attempt count and which outcomes are retried.

use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
pub use sim_backoff::{AwsSdk, Backoff, BackoffState, Jitter, PollyBackoff};

/// A retry layer as written in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// Attempts in all, the first included (Resilience4j, gRPC and the AWS SDKs count this
    /// way). Default 3, or 4 with a `Polly` backoff (Polly's default is 3 *retries*).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Retries after the first attempt (Polly's `MaxRetryAttempts`); an alternative to
    /// `max_attempts`.
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// The outcomes that are retried (default: every error).
    #[serde(default)]
    pub retry_on: Option<Vec<Outcome>>,
    /// The wait before each retry.
    #[serde(default)]
    pub backoff: Backoff,
}

impl RetrySpec {
    /// Attempts in all, the first included.
    pub fn attempts(&self) -> u32 {
        match (self.max_attempts, self.max_retries) {
            (Some(a), _) => a,
            (None, Some(r)) => r + 1,
            (None, None) if matches!(self.backoff, Backoff::Polly { .. }) => 4,
            (None, None) => 3,
        }
    }

    /// Whether `outcome` is retried.
    pub fn retries(&self, outcome: Outcome) -> bool {
        match &self.retry_on {
            Some(list) => list.contains(&outcome),
            None => outcome.is_error(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::SimDuration;

    fn ms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }

    #[test]
    fn max_attempts_counts_the_first_and_polly_defaults_to_three_retries() {
        let spec = |backoff, max_attempts, max_retries| RetrySpec {
            max_attempts,
            max_retries,
            retry_on: None,
            backoff,
        };
        assert_eq!(spec(Backoff::default(), None, None).attempts(), 3);
        let polly = Backoff::Polly {
            delay: ms(1),
            kind: PollyBackoff::Constant,
            jitter: false,
            max: None,
        };
        assert_eq!(spec(polly.clone(), None, None).attempts(), 4);
        assert_eq!(spec(polly, None, Some(2)).attempts(), 3);
        assert_eq!(spec(Backoff::default(), Some(5), None).attempts(), 5);
    }
}
