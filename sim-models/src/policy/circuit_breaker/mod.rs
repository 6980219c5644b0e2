//! Circuit breakers: stop calling a dependency that keeps failing, then probe it.
//!
//! ```text
//!            failure or slow-call rate ≥ threshold
//!            (after the minimum number of calls)
//!   CLOSED ─────────────────────────────────────────▶ OPEN ◀──────────┐
//!     ▲                                                │ wait in open   │ probes fail
//!     │ probes succeed                                 ▼                │
//!     └──────────────────────────────────────────── HALF_OPEN ──────────┘
//! ```
//!
//! Two libraries' versions, exactly: Resilience4j (count or epoch-second time window, slow
//! calls, minimum calls, a number of half-open probes, growing open waits) and Polly v8 (a
//! rolling time window of ten buckets, evaluated on failures only, one probe at a time).
//!
//! Each library's breaker has its own file, with its spec (every default the library's), its
//! state machine and their tests: `resilience4j.rs` and `polly.rs`. Their vocabulary sits in
//! leaves, so neither depends on this file or on the other: `state.rs` ([`BreakerState`] and
//! which outcomes count as failures) and `window.rs` (Resilience4j's sliding windows). This
//! file holds only [`BreakerSpec`], the choice between them.

mod polly;
mod resilience4j;
mod state;
mod window;

use serde::{Deserialize, Serialize};

pub use polly::{PollyBreaker, PollyBreakerSpec};
pub use resilience4j::{AfterHalfOpen, Resilience4jBreaker, Resilience4jBreakerSpec};
pub use state::{BreakerScope, BreakerState};
pub use window::BreakerWindow;

/// A circuit breaker as written in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum BreakerSpec {
    /// Resilience4j `CircuitBreakerConfig`; every default is the library's.
    Resilience4j(Resilience4jBreakerSpec),
    /// Polly v8 `CircuitBreakerStrategyOptions`; every default is the library's.
    Polly(PollyBreakerSpec),
}

/// What the breakers' tests share.
#[cfg(test)]
mod testing {
    use crate::outcome::Outcome;
    use crate::policy::{Arrival, CallerPolicy, Ended, Verdict};
    use sim_core::{RngFactory, SimDuration, SimTime};

    pub(super) fn t(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }
    pub(super) fn ended(outcome: Outcome, latency_ms: u64) -> Ended {
        Ended {
            outcome,
            latency: SimDuration::from_millis(latency_ms),
            attempt: 1,
            outcome_before: None,
            inflight: 0,
        }
    }
    pub(super) fn passes(b: &mut dyn CallerPolicy, now: SimTime) -> bool {
        let mut rng = RngFactory::new(0).stream("x");
        matches!(b.admit(now, &Arrival::default(), &mut rng), Verdict::Pass)
    }
}

#[cfg(test)]
mod scope_tests {
    use super::testing::{ended, t};
    use super::*;
    use crate::outcome::Outcome;
    use crate::policy::{Arrival, CallerPolicy, Verdict};
    use sim_core::RngFactory;

    fn passes(b: &mut dyn CallerPolicy, ms: u64, attempt: u32) -> bool {
        let mut rng = RngFactory::new(0).stream("x");
        let arrival = Arrival {
            attempt,
            ..Arrival::default()
        };
        matches!(b.admit(t(ms), &arrival, &mut rng), Verdict::Pass)
    }

    fn open_breakers(scope: BreakerScope) -> Vec<Box<dyn CallerPolicy>> {
        let mut r4j = Resilience4jBreaker::new(Resilience4jBreakerSpec {
            window: BreakerWindow::Count(4),
            minimum_calls: 4,
            scope,
            ..Default::default()
        });
        let mut polly = PollyBreaker::new(PollyBreakerSpec {
            minimum_throughput: 4,
            failure_ratio: 0.5,
            scope,
            ..Default::default()
        });
        for i in 0..4 {
            r4j.record(t(i), &ended(Outcome::Timeout, 1));
            polly.record(t(i), &ended(Outcome::Timeout, 1));
        }
        vec![Box::new(r4j), Box::new(polly)]
    }

    #[test]
    fn an_open_retries_only_breaker_lets_first_tries_through_and_refuses_retries() {
        for mut b in open_breakers(BreakerScope::RetriesOnly) {
            assert_eq!(b.level(t(10)), Some(2.0), "open");
            assert!(passes(b.as_mut(), 10, 1));
            assert!(!passes(b.as_mut(), 10, 2));
            assert!(!passes(b.as_mut(), 10, 3));
            // First tries took no probe's turn: it is still open.
            assert_eq!(b.level(t(11)), Some(2.0));
        }
    }

    #[test]
    fn an_open_breaker_of_the_default_scope_refuses_every_call() {
        for mut b in open_breakers(BreakerScope::All) {
            assert!(!passes(b.as_mut(), 10, 1));
            assert!(!passes(b.as_mut(), 10, 2));
        }
    }
}
