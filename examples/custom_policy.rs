//! Resilience policies written outside Faultline's crates, registered by name and used from a
//! RON scenario (`examples/latency_shed.ron`): one on the caller's path, one on the server's.
//!
//! `latency_shed` (caller side) keeps an exponentially weighted moving average of the latency of the calls
//! it lets through and refuses calls while the average is above `threshold_ms`, letting one
//! call in every `probe_every` through so that it notices recovery.
//!
//! `queue_per_worker` (server side) sheds an arrival that would wait behind `k` or more
//! queued requests per worker.
//!
//! Run: `cargo run --release --example custom_policy`

use sim_core::{SimRng, SimTime};
use sim_models::policy::{
    Arrival, CallerPolicy, Ended, PolicyRegistry, ServerArrival, ServerPolicy, Verdict,
};
use sim_models::{load_scenario, run_with_policies, Outcome};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
struct LatencyShed {
    threshold_s: f64,
    weight: f64,
    probe_every: u32,
    average_s: f64,
    refused_in_a_row: u32,
}

impl LatencyShed {
    fn from_params(p: &BTreeMap<String, f64>) -> Result<Self, String> {
        let get = |k: &str, default: f64| p.get(k).copied().unwrap_or(default);
        let weight = get("weight", 0.1);
        if !(weight > 0.0 && weight <= 1.0) {
            return Err(format!("weight must be in (0, 1], got {weight}"));
        }
        Ok(LatencyShed {
            threshold_s: get("threshold_ms", 100.0) / 1000.0,
            weight,
            probe_every: get("probe_every", 20.0).max(1.0) as u32,
            average_s: 0.0,
            refused_in_a_row: 0,
        })
    }
}

impl CallerPolicy for LatencyShed {
    fn name(&self) -> &str {
        "latency_shed"
    }

    fn admit(&mut self, _now: SimTime, _: &Arrival, _: &mut SimRng) -> Verdict {
        if self.average_s > self.threshold_s && self.refused_in_a_row + 1 < self.probe_every {
            self.refused_in_a_row += 1;
            return Verdict::reject(Outcome::Throttled);
        }
        self.refused_in_a_row = 0;
        Verdict::Pass
    }

    fn record(&mut self, _now: SimTime, ended: &Ended) {
        let latency = ended.latency.as_secs_f64();
        self.average_s += self.weight * (latency - self.average_s);
    }

    fn level(&mut self, _now: SimTime) -> Option<f64> {
        Some(self.average_s * 1000.0) // shown in milliseconds
    }
}

#[derive(Clone, Debug)]
struct QueuePerWorker {
    k: f64,
}

impl ServerPolicy for QueuePerWorker {
    fn name(&self) -> &str {
        "queue_per_worker"
    }

    fn arrive(&mut self, _now: SimTime, a: &ServerArrival, _: &mut SimRng) -> bool {
        (a.queued as f64) < self.k * a.workers as f64
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut registry = PolicyRegistry::new();
    registry.register("latency_shed", |params| {
        Ok(Box::new(LatencyShed::from_params(params)?))
    });
    registry.register_server("queue_per_worker", |params| {
        let k = params.get("k").copied().unwrap_or(1.0);
        if k.is_nan() || k < 0.0 {
            return Err(format!("k must be at least 0, got {k}"));
        }
        Ok(Box::new(QueuePerWorker { k }))
    });
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/latency_shed.ron");
    let scenario = load_scenario(std::path::Path::new(path), &[])?.scenario;
    let result = run_with_policies(&scenario, 1, &registry)?;
    let r = &result.report;
    let users = &r.clients["users"];
    println!("users: {} sent, p99 {:.3} s", users.sent, users.latency.p99);
    for e in r.edges.iter().filter(|e| e.from == "api") {
        println!(
            "api -> {}: {} calls, {} attempts, {} refused by latency_shed, {} fallbacks",
            e.to, e.requests, e.attempts, e.rejections["throttled"], e.fallbacks
        );
        for p in &e.policies {
            println!("  {}: mean level {:.1}", p.layer, p.mean);
        }
    }
    println!(
        "recs: {} requests shed by queue_per_worker",
        r.services["recs"].shed["custom"]
    );
    Ok(())
}
