//! Per-tenant rate limits at a server (noisy-neighbour protection): each tenant has its own
//! token bucket of `burst` tokens refilled at `rate` per second; a request of a tenant whose
//! bucket is empty is shed, so one tenant's surge cannot take the others' capacity.
//!
//! Tenants are named on clients (`tenant`, default the client's name) and propagated on every
//! call a request causes. Each instance keeps its own buckets, as a local limiter does.

use super::server_policy::{ServerArrival, ServerPolicy};
use serde::{Deserialize, Serialize};
use sim_core::{SimRng, SimTime};

/// A per-tenant limit as written in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantRateSpec {
    /// Tokens per second each tenant earns.
    pub rate: f64,
    /// Most tokens a tenant can save up (default: one second's worth).
    #[serde(default)]
    pub burst: Option<f64>,
}

impl TenantRateSpec {
    /// The bucket size.
    pub fn burst(&self) -> f64 {
        self.burst.unwrap_or(self.rate).max(1.0)
    }
}

/// Running per-tenant buckets.
#[derive(Clone, Debug)]
pub struct TenantRateLimit {
    rate: f64,
    burst: f64,
    /// Tokens of each tenant at `last[t]`.
    tokens: Vec<f64>,
    last: Vec<SimTime>,
}

impl TenantRateLimit {
    /// Full buckets for `tenants` tenants.
    pub fn new(spec: TenantRateSpec, tenants: usize) -> Self {
        let burst = spec.burst();
        TenantRateLimit {
            rate: spec.rate,
            burst,
            tokens: vec![burst; tenants.max(1)],
            last: vec![SimTime::ZERO; tenants.max(1)],
        }
    }

    /// Tenant `t`'s tokens at `now`.
    fn refill(&mut self, t: usize, now: SimTime) -> f64 {
        let dt = (now - self.last[t]).as_secs_f64();
        self.tokens[t] = (self.tokens[t] + dt * self.rate).min(self.burst);
        self.last[t] = now;
        self.tokens[t]
    }
}

impl ServerPolicy for TenantRateLimit {
    fn name(&self) -> &str {
        "tenant_rate_limit"
    }

    fn arrive(&mut self, now: SimTime, a: &ServerArrival, _rng: &mut SimRng) -> bool {
        let t = (a.tenant as usize).min(self.tokens.len() - 1);
        if self.refill(t, now) >= 1.0 {
            self.tokens[t] -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::criticality::Criticality;

    #[test]
    fn each_tenant_spends_its_own_bucket() {
        let mut p = TenantRateLimit::new(
            TenantRateSpec {
                rate: 10.0,
                burst: Some(3.0),
            },
            2,
        );
        let mut rng = sim_core::RngFactory::new(1).stream("t");
        let a = |tenant| ServerArrival {
            queued: 0,
            in_system: 0,
            busy: 0,
            workers: 1,
            criticality: Criticality::Critical,
            tenant,
        };
        let t0 = SimTime::ZERO;
        let admitted = (0..5).filter(|_| p.arrive(t0, &a(0), &mut rng)).count();
        assert_eq!(admitted, 3, "tenant 0 has a burst of 3");
        assert!(p.arrive(t0, &a(1), &mut rng), "tenant 1 is untouched");
        // 10 per second: one token back after 100 ms, not before.
        assert!(!p.arrive(SimTime(99_000_000), &a(0), &mut rng));
        assert!(p.arrive(SimTime(150_000_000), &a(0), &mut rng));
        assert!(!p.arrive(SimTime(150_000_000), &a(0), &mut rng));
    }
}
