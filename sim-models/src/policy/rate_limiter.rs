//! Resilience4j's `AtomicRateLimiter`: `limit_for_period` permissions per `refresh_period`,
//! in cycles counted from the limiter's creation (the start of the run). Permissions do not
//! carry over above the limit but may go negative: a caller reserves a permission of a later
//! cycle and waits for it, if that wait fits in `timeout`; otherwise it waits the whole
//! timeout and then fails (`rate_limited`).

use super::hooks::Hooks;
use super::{Arrival, CallerPolicy, Verdict};
use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimRng, SimTime};

/// A rate limiter as written in a scenario. Defaults are Resilience4j's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimiterSpec {
    /// `limitForPeriod` (default 50).
    #[serde(default = "fifty")]
    pub limit_for_period: u32,
    /// `limitRefreshPeriod` (default 500 ns).
    #[serde(default = "half_microsecond")]
    pub refresh_period: SimDuration,
    /// `timeoutDuration` (default 5 s).
    #[serde(default = "five_seconds")]
    pub timeout: SimDuration,
}

fn fifty() -> u32 {
    50
}
fn half_microsecond() -> SimDuration {
    SimDuration::from_nanos(500)
}
fn five_seconds() -> SimDuration {
    SimDuration::from_millis(5000)
}

/// A running rate limiter.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    spec: RateLimiterSpec,
    cycle: u64,
    permissions: i64,
}

impl RateLimiter {
    /// A limiter with a full first cycle.
    pub fn new(spec: RateLimiterSpec) -> Self {
        RateLimiter {
            permissions: spec.limit_for_period as i64,
            spec,
            cycle: 0,
        }
    }

    fn refresh(&mut self, now: SimTime) {
        let period = self.spec.refresh_period.as_nanos().max(1);
        let cycle = now.0 / period;
        if cycle > self.cycle {
            let limit = self.spec.limit_for_period as i64;
            let gained = (cycle - self.cycle)
                .saturating_mul(limit as u64)
                .min(i64::MAX as u64);
            self.permissions = self.permissions.saturating_add(gained as i64).min(limit);
            self.cycle = cycle;
        }
    }

    /// How long a caller asking at `now` waits for one permission (0: none).
    fn wait_for_one(&self, now: SimTime) -> u64 {
        if self.permissions >= 1 {
            return 0;
        }
        let period = self.spec.refresh_period.as_nanos().max(1);
        let limit = self.spec.limit_for_period as i64;
        let to_next = (self.cycle + 1) * period - now.0;
        let at_next = self.permissions + limit;
        let x = -(at_next - 1);
        // Java's divCeil on ints: (x + y − 1) / y, truncating.
        let full_cycles = ((x + limit - 1) / limit).max(0) as u64;
        full_cycles * period + to_next
    }
}

impl CallerPolicy for RateLimiter {
    fn hooks(&self) -> Hooks {
        Hooks::ADMIT | Hooks::LEVEL
    }

    fn name(&self) -> &str {
        "rate_limiter"
    }

    fn admit(&mut self, now: SimTime, _: &Arrival, _: &mut SimRng) -> Verdict {
        self.refresh(now);
        let wait = self.wait_for_one(now);
        if wait > self.spec.timeout.as_nanos() {
            return Verdict::Reject {
                outcome: Outcome::RateLimited,
                after: self.spec.timeout,
            };
        }
        self.permissions -= 1;
        if wait == 0 {
            Verdict::Pass
        } else {
            Verdict::Delay(SimDuration::from_nanos(wait))
        }
    }

    fn level(&mut self, now: SimTime) -> Option<f64> {
        self.refresh(now);
        Some(self.permissions as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_reserve_later_cycles_and_a_wait_past_the_timeout_fails_after_it() {
        let mut r = RateLimiter::new(RateLimiterSpec {
            limit_for_period: 2,
            refresh_period: SimDuration::from_millis(100),
            timeout: SimDuration::from_millis(150),
        });
        let mut rng = sim_core::RngFactory::new(0).stream("x");
        let a = Arrival::default();
        let now = SimTime(10_000_000); // 10 ms into the first cycle
        assert_eq!(r.admit(now, &a, &mut rng), Verdict::Pass);
        assert_eq!(r.admit(now, &a, &mut rng), Verdict::Pass);
        // The next cycle starts in 90 ms; then the one after in 190 ms.
        assert_eq!(
            r.admit(now, &a, &mut rng),
            Verdict::Delay(SimDuration::from_millis(90))
        );
        assert_eq!(
            r.admit(now, &a, &mut rng),
            Verdict::Delay(SimDuration::from_millis(90))
        );
        assert_eq!(
            r.admit(now, &a, &mut rng),
            Verdict::Reject {
                outcome: Outcome::RateLimited,
                after: SimDuration::from_millis(150)
            }
        );
        // Two cycles later the reservations are paid back; no carry-over above the limit.
        let later = SimTime(1_000_000_000);
        assert_eq!(r.level(later), Some(2.0));
    }
}
