//! Each store: its own spec (`sim_store`'s checks, located under `stores.NAME`), its name
//! against the services' and clients', and how many operations its clients would record.

use super::problem::Checker;
use crate::scenario::Scenario;

/// The most client operations a run of one store may record (each kept in its history, about
/// 80 bytes, and checked at the end).
pub(crate) const MAX_STORE_OPERATIONS: f64 = 20e6;

impl Scenario {
    pub(super) fn check_stores(&self, c: &mut Checker) {
        for (name, store) in &self.stores {
            let path = format!("stores.{name}");
            if self.services.contains_key(name) || self.clients.contains_key(name) {
                c.error(
                    path.clone(),
                    format!("{name:?} is also the name of a service or client; a store needs a name of its own, so that faults and partitions can tell them apart"),
                );
            }
            // Its own client processes, or services' `Store` steps: someone must use it.
            if store.clients.is_empty()
                && !crate::stores::called_stores(self).contains(name.as_str())
            {
                c.error(
                    format!("{path}.clients"),
                    "a store needs at least one group of client processes, or a service step \
                     that reads or writes it (`Store(store: ..., op: ...)`)"
                        .to_string(),
                );
            }
            for p in store.check() {
                let at = format!("{path}.{}", p.path);
                if p.error {
                    c.error(at, p.message);
                } else {
                    c.warn(at, p.message);
                }
            }
            // Operations the clients would record: each process does one per think time
            // (and at least a millisecond of round trip), up to its own limit.
            let seconds = self.duration.as_secs_f64();
            let ops: f64 = store
                .clients
                .iter()
                .map(|g| {
                    let think = g.think_time.mean_secs().unwrap_or(0.0).max(0.001);
                    let each =
                        (seconds / think).min(g.operations.map_or(f64::INFINITY, |n| n as f64));
                    g.processes as f64 * each
                })
                .sum();
            if ops > MAX_STORE_OPERATIONS {
                c.error(
                    format!("{path}.clients"),
                    format!(
                        "its processes would record about {ops:.2e} operations over {}, more than the {MAX_STORE_OPERATIONS:.0e} a run keeps and checks; use fewer processes, a longer think_time, a shorter duration, or an `operations` limit per process",
                        self.duration
                    ),
                );
            }
        }
        if !self.stores.is_empty() {
            for (i, f) in self.faults.iter().enumerate() {
                if matches!(f, crate::fault::FaultSpec::FlappingLink { .. }) {
                    c.warn(
                        format!("faults.{i}"),
                        "flapping links do not affect stores yet: only their services see it",
                    );
                }
            }
        }
    }
}
