//! How much memory a run of a scenario can need, from everything that scales with its input,
//! estimated before anything is allocated; and how much a run may have.
//!
//! The per-item costs below are measured (with a counting allocator, including the slack of
//! growing vectors) and kept honest by `tests/memory_estimate.rs`, which fails if a run needs
//! more than its estimate or far less.

use crate::policy::{BreakerSpec, BreakerWindow, PolicySpec, ServerPolicySpec};
use crate::scenario::{ClientSpec, Scenario};
use crate::traffic::Traffic;
use sim_core::ByteSize;
use std::sync::OnceLock;

/// One thing that needs memory, named by the field that sizes it.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryPart {
    /// The field responsible, e.g. `services.api.instances` or `time_series.bucket`.
    pub path: String,
    /// Bytes it needs at most.
    pub bytes: u64,
    /// How that follows from the input, for people: `100000000 instances × 320 B`.
    pub what: String,
}

/// A run's memory, at most, by what needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryEstimate {
    /// All of it.
    pub total: u64,
    /// Its parts, largest first.
    pub parts: Vec<MemoryPart>,
}

impl MemoryEstimate {
    /// The largest parts as one line: `25.3 GiB for services.api.instances (…), …`.
    pub fn describe(&self, most: usize) -> String {
        self.parts
            .iter()
            .take(most)
            .map(|p| format!("{} for {} ({})", ByteSize(p.bytes), p.path, p.what))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A client's statistics: its latency histograms and counters.
const CLIENT_BYTES: u64 = 128 << 10;
/// A service's statistics: its latency histograms, counters and compiled program.
const SERVICE_BYTES: u64 = 132 << 10;
/// One instance: queue, gauges and counters.
const INSTANCE_BYTES: u64 = 384;
/// One key of a cache, per instance: its entry (expiry, fetch times, recency links, waiters).
const CACHE_ENTRY_BYTES: u64 = 48;
/// One key of a cache's popularity table.
const CACHE_KEY_BYTES: u64 = 8;
/// One bucket of a cache's three time series.
const CACHE_SERIES_BYTES: u64 = 48;
/// One saga's record, and one step's effects (kept for the whole run, in vectors that grow
/// by doubling).
const SAGA_BYTES: u64 = 2 * 64;
const SAGA_STEP_BYTES: u64 = 2 * 10;
/// One slice of an SLO's counts (good and bad requests, 8 B) and of the prefix sums its chart
/// and report build from them (16 B).
const SLO_SLICE_BYTES: u64 = 24;
/// One layer of a caller's policy stack, per caller instance (histogram-free state).
const LAYER_BYTES: u64 = 768;
/// Per tenant, per instance, of a per-tenant rate limit.
const TENANT_BYTES: u64 = 32;
/// One bucket of every time series of a client or a service (counts, sums, levels and
/// quantiles), with the slack of a vector that grows by doubling.
const SERIES_BYTES: u64 = 128;
/// One bucket of a caller policy layer's level and its edge's rejection and retry series.
const LAYER_SERIES_BYTES: u64 = 48;
/// One request in flight with its call, invocation, pending events and timers, with slack.
const IN_FLIGHT_BYTES: u64 = 512;
/// One entry of the network's link tables.
const LINK_ENTRY_BYTES: u64 = 4;
/// One operation of a store's history (the record, its open flag, with slack), and what the
/// checker and the measures hold per operation at the end.
const STORE_OP_BYTES: u64 = 256;
/// One log entry on one replica, with slack.
const LOG_ENTRY_BYTES: u64 = 96;
/// One remembered idempotency key on one replica.
const IDEMPOTENCY_KEY_BYTES: u64 = 64;
/// One register on one replica.
const REGISTER_BYTES: u64 = 32;
/// The quickest a store's client can turn an operation around when its think time and the
/// service time add to nothing: a network round trip it cannot skip.
const STORE_OP_FLOOR_S: f64 = 1e-4;

/// One entry of a count window (a byte, doubled for growth) and of a time window (a second's
/// totals in a deque, doubled).
const COUNT_SLOT_BYTES: u64 = 2;
const SECOND_SLOT_BYTES: u64 = 48;

impl Scenario {
    /// The most memory a run of this scenario can need, by part. Meaningful once the scenario's
    /// other checks pass.
    pub fn memory_estimate(&self) -> MemoryEstimate {
        self.memory_estimate_with(&self.traffic())
    }

    pub(crate) fn memory_estimate_with(&self, traffic: &Traffic) -> MemoryEstimate {
        let mut parts = Vec::new();
        let part = |parts: &mut Vec<MemoryPart>, path: String, bytes: u64, what: String| {
            if bytes > 0 {
                parts.push(MemoryPart { path, bytes, what });
            }
        };
        let n_clients = self.clients.len() as u64;
        let n_services = self.services.len() as u64;
        part(
            &mut parts,
            "clients".into(),
            n_clients * CLIENT_BYTES,
            format!(
                "{} × {}",
                count(n_clients, "client"),
                ByteSize(CLIENT_BYTES)
            ),
        );
        part(
            &mut parts,
            "services".into(),
            n_services * SERVICE_BYTES,
            format!(
                "{} × {}",
                count(n_services, "service"),
                ByteSize(SERVICE_BYTES)
            ),
        );
        // The network's link tables are dense: one entry per pair of nodes and of zones.
        let nodes = n_clients + n_services;
        let zones = self.zones().len() as u64;
        part(
            &mut parts,
            "network".into(),
            (nodes.saturating_mul(nodes))
                .saturating_add(zones.saturating_mul(zones))
                .saturating_mul(LINK_ENTRY_BYTES),
            format!("link tables of {nodes}² clients and services and {zones}² zones × {LINK_ENTRY_BYTES} B"),
        );
        let tenants = self.tenants().len() as u64;
        let secs = self.duration.as_secs_f64();
        let mut layers_with_series = 0u64;
        let mut cache_series = 0u64;
        // A caller's policy list: its layers cost per caller instance, its windows likewise.
        let stack = |parts: &mut Vec<MemoryPart>,
                     layers: &mut u64,
                     path: &str,
                     policies: &[PolicySpec],
                     callers: u64,
                     calls: f64| {
            let mut bytes = 0u64;
            for (k, p) in policies.iter().enumerate() {
                bytes = bytes.saturating_add(LAYER_BYTES);
                if let PolicySpec::CircuitBreaker(BreakerSpec::Resilience4j(b)) = p {
                    // A window holds what it has seen: at most its size, at most the run's calls.
                    let per_caller = calls / callers.max(1) as f64 + 1.0;
                    let (slots, slot) = match b.window {
                        BreakerWindow::Count(n) => (f64::from(n).min(per_caller), COUNT_SLOT_BYTES),
                        BreakerWindow::Time(n) => (
                            f64::from(n).min(secs + 1.0).min(per_caller),
                            SECOND_SLOT_BYTES,
                        ),
                    };
                    let w = (slots * slot as f64) as u64;
                    part(
                        parts,
                        format!("{path}.{k}.window"),
                        w.saturating_mul(callers),
                        format!("{callers} callers × {slots:.0} slots × {} B", slot),
                    );
                }
            }
            *layers += policies.len() as u64;
            bytes
        };
        for ((name, c), requests) in self.clients.iter().zip(&traffic.client_requests) {
            let calls = requests * crate::traffic::attempts(c.policies());
            stack(
                &mut parts,
                &mut layers_with_series,
                &format!("clients.{name}.policies"),
                c.policies(),
                1,
                calls,
            );
        }
        for ((name, s), calls) in self.services.iter().zip(&traffic.service_calls) {
            let instances = u64::from(s.allocated_instances());
            let mut per_instance = INSTANCE_BYTES;
            if s.server_policies
                .iter()
                .any(|p| matches!(p, ServerPolicySpec::TenantRateLimit(_)))
            {
                per_instance += tenants * TENANT_BYTES;
            }
            per_instance += s.server_policies.len() as u64 * LAYER_BYTES;
            // Every call site's policy list: one stack per caller instance and target.
            let mut sites = Vec::new();
            crate::program::call_sites(&s.steps, format!("services.{name}.steps"), &mut sites);
            let mut seen = std::collections::BTreeSet::new();
            for (path, to, policies) in sites {
                if !policies.is_empty() && seen.insert(to) {
                    per_instance += stack(
                        &mut parts,
                        &mut layers_with_series,
                        &format!("{path}.policies"),
                        policies,
                        instances,
                        *calls,
                    );
                }
            }
            let mut sagas = Vec::new();
            crate::program::saga_steps(&s.steps, &format!("services.{name}.steps"), &mut sagas);
            for (path, saga) in sagas {
                let per = SAGA_BYTES + saga.steps.len() as u64 * SAGA_STEP_BYTES;
                // Each request served here may start one.
                let runs = calls.ceil() as u64;
                part(
                    &mut parts,
                    path,
                    runs.saturating_mul(per),
                    format!("{runs} sagas × {}", ByteSize(per)),
                );
            }
            let mut caches = Vec::new();
            crate::program::cache_steps(&s.steps, &format!("services.{name}.steps"), &mut caches);
            let mut origins = std::collections::BTreeSet::new();
            for (path, cache) in caches {
                if origins.insert(&cache.of) {
                    let keys = u64::from(cache.keys);
                    part(
                        &mut parts,
                        format!("{path}.keys"),
                        keys.saturating_mul(
                            instances.saturating_mul(CACHE_ENTRY_BYTES) + CACHE_KEY_BYTES,
                        ),
                        format!("{keys} keys × {instances} instances × {CACHE_ENTRY_BYTES} B"),
                    );
                    cache_series += 1;
                }
            }
            part(
                &mut parts,
                format!("services.{name}.instances"),
                instances.saturating_mul(per_instance),
                format!("{instances} instances × {}", ByteSize(per_instance)),
            );
        }
        // Services' `Store` steps add operations to the stores they call: one per call
        // served, at most, per step.
        let mut from_services: std::collections::BTreeMap<&str, f64> = Default::default();
        for ((name, s), calls) in self.services.iter().zip(&traffic.service_calls) {
            let mut steps = Vec::new();
            crate::program::store_steps(&s.steps, &format!("services.{name}.steps"), &mut steps);
            for (_, step) in steps {
                *from_services.entry(step.store.as_str()).or_default() += calls;
            }
        }
        for (name, st) in &self.stores {
            let extra = from_services.get(name.as_str()).copied().unwrap_or(0.0);
            store_parts(&mut parts, name, st, self.duration, extra);
        }
        let measured = self
            .duration
            .as_nanos()
            .saturating_sub(self.warmup.as_nanos());
        for (k, slo) in self.slos.iter().enumerate() {
            let measured = sim_core::SimDuration(measured);
            let period = slo.period.unwrap_or(measured);
            let slice = crate::slo::slice_of(period, measured, self.duration);
            let slices = self.duration.as_nanos() / slice + 1;
            part(
                &mut parts,
                format!("slos.{k}"),
                slices.saturating_mul(SLO_SLICE_BYTES),
                format!("{slices} slices × {SLO_SLICE_BYTES} B"),
            );
        }
        let bucket = self.time_series.bucket.as_nanos().max(1);
        let buckets = self.duration.as_nanos() / bucket + 1;
        let components = n_clients + n_services;
        let per_bucket = components * SERIES_BYTES
            + layers_with_series * LAYER_SERIES_BYTES
            + cache_series * CACHE_SERIES_BYTES;
        part(
            &mut parts,
            "time_series.bucket".into(),
            buckets.saturating_mul(per_bucket),
            format!(
                "{buckets} buckets × {components} clients and services × {} B{}",
                SERIES_BYTES,
                if layers_with_series > 0 {
                    format!(" and {layers_with_series} policy layers × {LAYER_SERIES_BYTES} B")
                } else {
                    String::new()
                }
            ),
        );
        // Requests in flight are bounded by the limit, and by what the run can send at all.
        let sent: f64 = traffic.client_requests.iter().sum();
        let closed: u64 = self
            .clients
            .values()
            .map(|c| match c {
                ClientSpec::Closed { users, .. } => u64::from(*users),
                ClientSpec::Open { .. } => 0,
            })
            .sum();
        let in_flight = self.limits.max_in_flight.min(
            (sent.ceil() as u64)
                .saturating_add(closed)
                .saturating_add(1),
        );
        part(
            &mut parts,
            "limits.max_in_flight".into(),
            in_flight.saturating_mul(IN_FLIGHT_BYTES),
            format!("{in_flight} requests in flight × {IN_FLIGHT_BYTES} B"),
        );
        parts.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
        MemoryEstimate {
            total: parts.iter().fold(0u64, |t, p| t.saturating_add(p.bytes)),
            parts,
        }
    }

    /// The memory a run may use: `limits.max_memory`, or half of this machine's.
    pub fn memory_limit(&self) -> ByteSize {
        self.limits.max_memory.unwrap_or_else(default_max_memory)
    }
}

/// A store's history, logs, registers and idempotency keys (with `from_services` operations
/// that services' steps submit). Each client process does one
/// operation at a time, so it does at most one per think time plus service time (a
/// read-modify-write client reads and writes back to back, without thinking), or its
/// `operations` limit.
fn store_parts(
    parts: &mut Vec<MemoryPart>,
    name: &str,
    st: &sim_store::StoreSpec,
    duration: sim_core::SimDuration,
    from_services: f64,
) {
    let service = st.service_time.mean_secs().unwrap_or(0.0);
    let replicas = u64::from(st.replicas);
    // Operations services' steps submit: count each as a write, at worst.
    let (mut ops, mut writes, mut keyed) = (from_services, from_services, from_services);
    for c in &st.clients {
        let think = if c.read_modify_write.is_some() {
            0.0
        } else {
            c.think_time.mean_secs().unwrap_or(0.0)
        };
        let active = (duration.as_secs_f64() - c.start.as_secs_f64()).max(0.0);
        let mut per_process = active / (think + service).max(STORE_OP_FLOOR_S) + 1.0;
        if let Some(n) = c.operations {
            let tries = c
                .read_modify_write
                .as_ref()
                .map_or(1.0, |r| 2.0 * f64::from(r.max_tries));
            per_process = per_process.min(n as f64 * tries);
        }
        let n = per_process * f64::from(c.processes);
        let m = c.mix;
        let write_share = if c.read_modify_write.is_some() {
            0.5
        } else {
            let total = m.read + m.write + m.cas + m.add;
            if total > 0.0 {
                (m.write + m.cas + m.add) / total
            } else {
                0.0
            }
        };
        ops += n;
        writes += n * write_share;
        if c.idempotency_keys {
            keyed += n * write_share;
        }
    }
    let ops = ops.ceil() as u64;
    let entries = (writes.ceil() as u64).saturating_mul(replicas);
    let keyed = (keyed.ceil() as u64).saturating_mul(replicas);
    let registers = u64::from(st.keys).saturating_mul(replicas);
    parts.push(MemoryPart {
        path: format!("stores.{name}.clients"),
        bytes: ops.saturating_mul(STORE_OP_BYTES),
        what: format!("{ops} operations × {STORE_OP_BYTES} B of history"),
    });
    parts.push(MemoryPart {
        path: format!("stores.{name}.replicas"),
        bytes: entries
            .saturating_mul(LOG_ENTRY_BYTES)
            .saturating_add(keyed.saturating_mul(IDEMPOTENCY_KEY_BYTES))
            .saturating_add(registers.saturating_mul(REGISTER_BYTES)),
        what: format!(
            "{replicas} replicas × ({} log entries × {LOG_ENTRY_BYTES} B, {} keys × {REGISTER_BYTES} B{})",
            entries / replicas.max(1),
            st.keys,
            if keyed > 0 {
                format!(", {} idempotency keys × {IDEMPOTENCY_KEY_BYTES} B", keyed / replicas.max(1))
            } else {
                String::new()
            }
        ),
    });
}

/// `1 client`, `3 clients`.
fn count(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Half the memory this process may use: the machine's physical memory, or less where a cgroup
/// or an address-space limit (`ulimit -v`) says so. 8 GiB where none of these can be read.
pub fn default_max_memory() -> ByteSize {
    static LIMIT: OnceLock<ByteSize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        let available = [physical_memory(), cgroup_memory(), address_space_limit()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(16 << 30);
        ByteSize(available / 2)
    })
}

fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

fn cgroup_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok()?;
    text.trim().parse().ok()
}

fn address_space_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max address space"))?;
    // "Max address space   <soft>   <hard>   bytes": the soft limit applies.
    line.split_whitespace().nth(3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limit_is_half_of_some_real_memory() {
        let limit = default_max_memory().0;
        assert!(limit >= 64 << 20, "{limit}");
        if let Some(physical) = physical_memory() {
            assert!(limit <= physical / 2);
        }
    }
}
