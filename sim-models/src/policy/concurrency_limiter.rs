//! Concurrency limiters on either side of a call, as Netflix concurrency-limits'
//! `SimpleLimiter`: a call is admitted iff fewer than ⌊limit⌋ are in flight, and each admitted
//! call that ends reports a sample to the limit algorithm ([`Limit`]): its round-trip time,
//! the calls in flight when it started (itself included), and whether it was dropped.
//!
//! On the caller's side a refused call fails at once with `limit_exceeded`; on the server's
//! side the request is shed. A success is a sample (`onSuccess`), a timeout or an overload
//! refusal from the other side is a drop (`onDropped`), any other failure is ignored
//! (`onIgnore`).

use super::concurrency_limit::{Limit, LimitSpec};
use super::hooks::Hooks;
use super::server_policy::{ServerArrival, ServerPolicy};
use super::{Arrival, CallerPolicy, Ended, Verdict};
use crate::outcome::Outcome;
use sim_core::{SimDuration, SimRng, SimTime};

/// How a call's end counts for a limit: `Some(dropped)` for a sample, `None` to ignore it.
pub fn sample_kind(outcome: Outcome) -> Option<bool> {
    match outcome {
        Outcome::Completed => Some(false),
        Outcome::Timeout | Outcome::Rejected | Outcome::Shed | Outcome::Expired => Some(true),
        _ => None,
    }
}

/// A caller-side concurrency limit (`ConcurrencyLimit(..)` in a policy list).
#[derive(Clone, Debug)]
pub struct ConcurrencyLimiter {
    limit: Limit,
    inflight: u32,
    /// A uniform draw from the stack's stream, taken at the last admission, for the limit
    /// algorithm's probe jitter (`record` has no stream of its own).
    u: f64,
}

impl ConcurrencyLimiter {
    /// A limiter with nothing in flight, at its initial limit.
    pub fn new(spec: &LimitSpec) -> Self {
        ConcurrencyLimiter {
            limit: Limit::new(spec),
            inflight: 0,
            u: 0.5,
        }
    }

    /// Calls in flight through it now (the value the engine hands back in
    /// [`Ended::inflight`] for the call it just admitted).
    pub fn inflight(&self) -> u32 {
        self.inflight
    }
}

impl CallerPolicy for ConcurrencyLimiter {
    fn hooks(&self) -> Hooks {
        Hooks::ADMIT | Hooks::RECORD | Hooks::LEVEL
    }

    fn name(&self) -> &str {
        "concurrency_limit"
    }

    fn admit(&mut self, _now: SimTime, _arrival: &Arrival, rng: &mut SimRng) -> Verdict {
        if self.inflight >= self.limit.limit() {
            return Verdict::reject(Outcome::LimitExceeded);
        }
        self.inflight += 1;
        self.u = sim_core::open01(rng);
        Verdict::Pass
    }

    fn record(&mut self, now: SimTime, ended: &Ended) {
        self.inflight = self.inflight.saturating_sub(1);
        if let Some(dropped) = sample_kind(ended.outcome) {
            self.limit
                .sample(now, ended.latency, ended.inflight, dropped, self.u);
        }
    }

    fn level(&mut self, _now: SimTime) -> Option<f64> {
        Some(self.limit.value())
    }
}

/// A server concurrency limit: admits while the instance holds fewer requests than the
/// limit; an adaptive limit learns from each admitted request's latency.
#[derive(Clone, Debug)]
pub struct ServerLimiter {
    limit: Limit,
}

impl ServerLimiter {
    /// A limiter at its initial limit.
    pub fn new(spec: &LimitSpec) -> Self {
        ServerLimiter {
            limit: Limit::new(spec),
        }
    }
}

impl ServerPolicy for ServerLimiter {
    fn name(&self) -> &str {
        "concurrency_limit"
    }

    fn arrive(&mut self, _now: SimTime, a: &ServerArrival, _rng: &mut SimRng) -> bool {
        a.in_system < self.limit.limit() as u64
    }

    fn finished(
        &mut self,
        now: SimTime,
        latency: SimDuration,
        inflight: u32,
        dropped: bool,
        rng: &mut SimRng,
    ) {
        let u = sim_core::open01(rng);
        self.limit.sample(now, latency, inflight, dropped, u);
    }

    fn level(&self) -> Option<f64> {
        Some(self.limit.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(outcome: Outcome, ms: u64, inflight: u32) -> Ended {
        Ended {
            outcome,
            latency: SimDuration::from_millis(ms),
            attempt: 1,
            outcome_before: None,
            inflight,
        }
    }

    #[test]
    fn a_caller_limiter_refuses_at_the_limit_and_frees_a_slot_when_a_call_ends() {
        let mut l = ConcurrencyLimiter::new(&LimitSpec::Fixed { limit: 2 });
        let mut rng = sim_core::RngFactory::new(1).stream("t");
        let t = SimTime::ZERO;
        let a = Arrival::default();
        assert_eq!(l.admit(t, &a, &mut rng), Verdict::Pass);
        assert_eq!(l.admit(t, &a, &mut rng), Verdict::Pass);
        assert_eq!(
            l.admit(t, &a, &mut rng),
            Verdict::reject(Outcome::LimitExceeded)
        );
        l.record(t, &ended(Outcome::Injected, 5, 1));
        assert_eq!(l.inflight(), 1);
        assert_eq!(l.admit(t, &a, &mut rng), Verdict::Pass);
    }

    #[test]
    fn an_aimd_caller_limit_backs_off_on_timeouts_and_ignores_other_failures() {
        let spec = LimitSpec::Aimd {
            initial: 100,
            min: 20,
            max: 200,
            backoff_ratio: 0.9,
            timeout: SimDuration::from_secs(5),
        };
        let mut l = ConcurrencyLimiter::new(&spec);
        l.inflight = 10;
        l.record(SimTime::ZERO, &ended(Outcome::Timeout, 10, 10));
        assert_eq!(l.level(SimTime::ZERO), Some(90.0));
        l.record(SimTime::ZERO, &ended(Outcome::Injected, 10, 10));
        assert_eq!(l.level(SimTime::ZERO), Some(90.0));
        // Success with inflight·2 >= L grows by one.
        l.record(SimTime::ZERO, &ended(Outcome::Completed, 10, 45));
        assert_eq!(l.level(SimTime::ZERO), Some(91.0));
    }
}
