//! Checks that a scenario can be simulated, naming the field path of every problem.
//!
//! The loader turns paths into `file:line:column`; code that builds a [`Scenario`] in Rust gets the
//! paths alone. Everything that runs a scenario checks it first, so no model code has to cope
//! with zero workers or a route to nowhere.
//!
//! This file checks the scenario-wide fields and runs the sections in the order of the fields;
//! each section has its file: `clients.rs`, `services.rs` (a service's fields and its steps),
//! `policies.rs` (policy lists, and that call sites agree), `network.rs`, `faults.rs`,
//! `call_graph.rs` (calls that wait on themselves, routes with no way out) and `resources.rs`
//! (memory and running time, last). `names.rs` resolves the names fields refer to (services,
//! places, zones) and `problem.rs` holds the vocabulary: [`Problem`], [`Severity`], the
//! `Checker` that collects them.

mod call_graph;
mod clients;
mod drift;
mod faults;
mod names;
mod network;
mod policies;
mod problem;
mod resources;
mod services;
mod stores;

use crate::scenario::Scenario;
use problem::Checker;
use sim_core::SimDuration;

pub use clients::MAX_RATE_PER_SECOND;
pub use problem::{Problem, Problems, Severity};
pub use resources::WORK_WARNING_EVENTS;

/// Most time-series buckets a run may keep per metric: past this the series would cost more memory
/// than the simulation.
pub const MAX_BUCKETS: u64 = 1_000_000;

impl Scenario {
    /// Every problem found, errors and warnings, in the order of the fields.
    pub fn check(&self) -> Vec<Problem> {
        let mut c = Checker {
            problems: Vec::new(),
        };
        if self.duration == SimDuration::ZERO {
            c.error("duration", "must be longer than zero, e.g. \"60s\"");
        }
        if self.warmup >= self.duration && self.duration > SimDuration::ZERO {
            c.error(
                "warmup",
                format!(
                    "must be shorter than the duration ({}), got {}",
                    self.duration, self.warmup
                ),
            );
        }
        let bucket = self.time_series.bucket.as_nanos();
        if bucket == 0 {
            c.error("time_series.bucket", "must be longer than zero");
        } else if self.duration.as_nanos() / bucket > MAX_BUCKETS {
            let suggest = SimDuration::from_nanos(self.duration.as_nanos().div_ceil(MAX_BUCKETS));
            c.error(
                "time_series.bucket",
                format!(
                    "{} over {} makes more than {MAX_BUCKETS} buckets; use a bucket of at least {}",
                    self.time_series.bucket,
                    self.duration,
                    round_up_nice(suggest)
                ),
            );
        }
        if self.limits.max_in_flight == 0 {
            c.error("limits.max_in_flight", "must be at least 1");
        }
        // A scenario of stores alone needs no clients or services, but it has both or neither.
        if self.clients.is_empty() && (self.stores.is_empty() || !self.services.is_empty()) {
            c.error(
                "clients",
                "a scenario needs at least one client to send requests (or only stores, with their own clients)",
            );
        }
        if self.services.is_empty() && (self.stores.is_empty() || !self.clients.is_empty()) {
            c.error(
                "services",
                "a scenario needs at least one service (or only stores)",
            );
        }
        for (name, client) in &self.clients {
            self.check_client(&mut c, name, client);
        }
        self.check_policy_agreement(&mut c);
        for (name, s) in &self.services {
            self.check_service(&mut c, name, s);
            self.check_drift(&mut c, name, s);
        }
        self.check_network(&mut c);
        self.check_stores(&mut c);
        for (i, fault) in self.faults.iter().enumerate() {
            self.check_fault(&mut c, &format!("faults.{i}"), fault);
        }
        let measured = SimDuration(
            self.duration
                .as_nanos()
                .saturating_sub(self.warmup.as_nanos()),
        );
        for (k, slo) in self.slos.iter().enumerate() {
            let path = format!("slos.{k}");
            if !self.clients.contains_key(&slo.client) {
                c.error(
                    format!("{path}.client"),
                    format!("{:?} is not a client of this scenario", slo.client),
                );
            }
            if self.slos[..k].iter().any(|s| s.name == slo.name) {
                c.error(
                    format!("{path}.name"),
                    format!("{:?} names an SLO already", slo.name),
                );
            }
            for (field, message) in crate::slo::check_slo(slo, measured) {
                c.error(format!("{path}.{field}"), message);
            }
        }
        if self.slos.len() > 64 {
            c.error("slos", format!("at most 64 SLOs, got {}", self.slos.len()));
        }
        self.check_requests_can_leave(&mut c);
        self.check_call_cycles(&mut c);
        if !c.problems.iter().any(|p| p.severity == Severity::Error) {
            self.check_resources(&mut c);
        }
        c.problems
    }
}

/// Rounds a duration up to 1, 2 or 5 × a power of ten seconds, for friendlier suggestions.
fn round_up_nice(d: SimDuration) -> SimDuration {
    let mut unit = 1u64;
    loop {
        for m in [1, 2, 5] {
            if unit * m >= d.as_nanos() {
                return SimDuration::from_nanos(unit * m);
            }
        }
        unit *= 10;
    }
}
