//! Client-side adaptive throttling (Google SRE book, "Handling Overload"): each client counts
//! its `requests` and the `accepts` the backend answered without refusing, over the last two
//! minutes, and refuses a new request locally with probability
//! `max(0, (requests − K·accepts) / (requests + 1))`. Local refusals count as requests too.

use super::hooks::Hooks;
use super::sliding_count::SlidingCount;
use super::{Arrival, CallerPolicy, Ended, Verdict};
use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimRng, SimTime};

/// Adaptive throttling as written in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleSpec {
    /// K (default 2; 1.1 is aggressive). At least 1.
    #[serde(default = "two")]
    pub k: f64,
    /// The window (default 2 min).
    #[serde(default = "two_minutes")]
    pub window: SimDuration,
    /// Outcomes that count as the backend refusing (default: every error).
    #[serde(default)]
    pub refusals: Option<Vec<Outcome>>,
}

fn two() -> f64 {
    2.0
}
fn two_minutes() -> SimDuration {
    SimDuration::from_millis(120_000)
}

/// Running adaptive throttling.
#[derive(Clone, Debug)]
pub struct AdaptiveThrottle {
    spec: ThrottleSpec,
    requests: SlidingCount,
    accepts: SlidingCount,
}

impl AdaptiveThrottle {
    /// A throttle with empty counts.
    pub fn new(spec: ThrottleSpec) -> Self {
        AdaptiveThrottle {
            requests: SlidingCount::new(spec.window),
            accepts: SlidingCount::new(spec.window),
            spec,
        }
    }

    /// The probability of refusing a request at `now`.
    pub fn probability(&mut self, now: SimTime) -> f64 {
        let r = self.requests.sum(now) as f64;
        let a = self.accepts.sum(now) as f64;
        ((r - self.spec.k * a) / (r + 1.0)).max(0.0)
    }
}

impl CallerPolicy for AdaptiveThrottle {
    fn hooks(&self) -> Hooks {
        Hooks::ADMIT | Hooks::RECORD | Hooks::LEVEL
    }

    fn name(&self) -> &str {
        "adaptive_throttle"
    }

    fn admit(&mut self, now: SimTime, _: &Arrival, rng: &mut SimRng) -> Verdict {
        let p = self.probability(now);
        self.requests.add(now, 1);
        if p > 0.0 && sim_core::open01(rng) < p {
            Verdict::reject(Outcome::Throttled)
        } else {
            Verdict::Pass
        }
    }

    fn record(&mut self, now: SimTime, ended: &Ended) {
        let refused = match &self.spec.refusals {
            Some(list) => list.contains(&ended.outcome),
            None => ended.outcome.is_error(),
        };
        if !refused {
            self.accepts.add(now, 1);
        }
    }

    fn level(&mut self, now: SimTime) -> Option<f64> {
        Some(self.probability(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_probability_follows_the_sre_formula() {
        let mut t = AdaptiveThrottle::new(ThrottleSpec {
            k: 2.0,
            window: SimDuration::from_millis(120_000),
            refusals: None,
        });
        let now = SimTime::ZERO;
        let mut rng = sim_core::RngFactory::new(0).stream("x");
        let a = Arrival::default();
        // The first request finds nothing counted (p = 0); until its answer is counted as
        // an accept, p = (1 − 0) / 2; once it is, p = 0 again.
        assert_eq!(t.admit(now, &a, &mut rng), Verdict::Pass);
        assert_eq!(t.probability(now), 0.5);
        let accepted = Ended {
            outcome: Outcome::Completed,
            latency: SimDuration::ZERO,
            attempt: 1,
            outcome_before: None,
            inflight: 0,
        };
        t.record(now, &accepted);
        assert_eq!(t.probability(now), 0.0);
        // 100 requests, 30 accepted: p = (100 − 60) / 101.
        let mut t2 = AdaptiveThrottle::new(t.spec.clone());
        for i in 0..100 {
            t2.requests.add(now, 1);
            if i < 30 {
                t2.accepts.add(now, 1);
            }
        }
        assert!((t2.probability(now) - 40.0 / 101.0).abs() < 1e-12);
        // Refusals over many draws match p.
        let refused = (0..20_000)
            .filter(|_| {
                let mut probe = t2.clone();
                probe.admit(now, &a, &mut rng) != Verdict::Pass
            })
            .count() as f64
            / 20_000.0;
        assert!((refused - 40.0 / 101.0).abs() < 0.02, "{refused}");
    }
}
