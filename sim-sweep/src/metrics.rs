//! What a sweep measures: a flat map of named numbers from one run's [`Report`].
//!
//! Every number of the report's `services`, `clients`, `edges`, `totals`, `network` and `stores`
//! sections (a store's verdict as `stores.<name>.linearizable`: 1 or 0),
//! named by its path in the JSON summary (`faultline run --json`), with two changes: an edge is
//! named `edges.<from>-><to>` instead of by its position, and a list of policy levels by layer
//! (`edges.users->api.policies.retry.mean`). Instances are named by position
//! (`services.db.instances.0.utilization`). For example:
//! `services.db.goodput`, `services.db.latency.p99`, `services.db.utilization`,
//! `services.db.errors.timeout`, `clients.users.latency.p99`, `clients.users.errors.rejected`,
//! `edges.api->db.amplification`, `edges.api->db.attempts`,
//! `edges.api->db.rejections.budget_exhausted`, `totals.sent`. Times are in seconds, rates
//! per second, counts are counts over the measurement window, as in the summary.
//!
//! Plus the headline figures (the tuner's objectives), exactly:
//!
//! | name | definition |
//! |---|---|
//! | `goodput` | Σ over clients of `completed` (successful answers) / `measured_s`: successful answers to all clients per second over the measured window |
//! | `success_rate` | Σ `completed` / (Σ `completed` + Σ errors of every kind), over clients: the share of ended requests answered successfully (requests still in flight, and requests a client-side fallback answered, count in neither) |
//! | `error_rate` | Σ errors / (Σ `completed` + Σ errors), over clients: `1 − success_rate` |
//! | `p50`, `p90`, `p99`, `p999` | the client latency percentile, in seconds; with several clients the worst (largest) over the clients that had an answer |
//! | `mean_latency` | the client mean latency in seconds, worst over clients, as above |
//! | `amplification` | max over edges of the edge's `attempts` / Σ over clients of `sent`: how many attempts the busiest edge saw per request the users sent |
//!
//! A figure that cannot be defined for a run (no client request ended, no client got an answer,
//! nothing was sent) is left out of that run's map rather than given a made-up value, and so is
//! any non-finite number; statistics then use the runs that have it (`n` says how many).

use serde_json::Value;
use sim_models::Report;
use std::collections::BTreeMap;

/// One run's metrics, by name.
pub type Metrics = BTreeMap<String, f64>;

/// The headline figures, in the order result files list them (before the other metrics).
pub const HEADLINE: [&str; 9] = [
    "goodput",
    "success_rate",
    "error_rate",
    "p50",
    "p90",
    "p99",
    "p999",
    "mean_latency",
    "amplification",
];

/// The headline figures of each store, each after `stores.NAME.`: what a sweep report charts
/// for a store (the CAP trade-off, Brooker's work and completion time).
pub const STORE_HEADLINE: [&str; 6] = [
    "lost_acked_writes",
    "unavailable_s",
    "latency.p99_ms",
    "stale_reads",
    "read_modify_write.calls",
    "read_modify_write.makespan_ms",
];

/// The metrics of one run (see the module documentation).
pub fn metrics(report: &Report) -> Metrics {
    let mut out = Metrics::new();
    flatten("services", &json(&report.services), &mut out);
    flatten("clients", &json(&report.clients), &mut out);
    flatten("totals", &json(&report.totals), &mut out);
    flatten("network", &json(&report.network), &mut out);
    flatten("stores", &json(&report.stores), &mut out);
    for (name, s) in &report.stores {
        // The verdict as a number, so that a sweep can average it: 1 linearizable, 0 not
        // (left out when the checker's budget ran out).
        match s.linearizable {
            sim_history::Verdict::Linearizable => {
                out.insert(format!("stores.{name}.linearizable"), 1.0);
            }
            sim_history::Verdict::NotLinearizable => {
                out.insert(format!("stores.{name}.linearizable"), 0.0);
            }
            sim_history::Verdict::Unknown => {}
        }
    }
    for e in &report.edges {
        let mut name = format!("edges.{}->{}", e.from, e.to);
        // A client and a service of the same name calling the same service: keep both.
        let base = name.clone();
        let mut k = 2;
        while out.keys().any(|m| m.starts_with(&format!("{name}."))) {
            name = format!("{base}#{k}");
            k += 1;
        }
        flatten(&name, &json(e), &mut out);
    }
    headline(report, &mut out);
    out.retain(|_, v| v.is_finite());
    out
}

/// The headline figures of the module documentation.
fn headline(r: &Report, out: &mut Metrics) {
    let clients = || r.clients.values();
    let completed: u64 = clients().map(|c| c.completed).sum();
    let errors: u64 = clients().map(|c| c.errors.values().sum::<u64>()).sum();
    let sent: u64 = clients().map(|c| c.sent).sum();
    if r.measured_s > 0.0 {
        out.insert("goodput".into(), completed as f64 / r.measured_s);
    }
    let ended = completed + errors;
    if ended > 0 {
        out.insert("success_rate".into(), completed as f64 / ended as f64);
        out.insert("error_rate".into(), errors as f64 / ended as f64);
    }
    let answered: Vec<_> = clients().filter(|c| c.completed > 0).collect();
    if !answered.is_empty() {
        let worst = |f: fn(&sim_models::LatencyReport) -> f64| {
            answered
                .iter()
                .map(|c| f(&c.latency))
                .fold(f64::NEG_INFINITY, f64::max)
        };
        out.insert("p50".into(), worst(|l| l.p50));
        out.insert("p90".into(), worst(|l| l.p90));
        out.insert("p99".into(), worst(|l| l.p99));
        out.insert("p999".into(), worst(|l| l.p999));
        out.insert("mean_latency".into(), worst(|l| l.mean));
    }
    if sent > 0 {
        if let Some(max) = r.edges.iter().map(|e| e.attempts).max() {
            out.insert("amplification".into(), max as f64 / sent as f64);
        }
    }
}

/// Adds every number under `value` to `out`, named `prefix.key.key…`.
fn flatten(prefix: &str, value: &Value, out: &mut Metrics) {
    match value {
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                out.insert(prefix.to_string(), x);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                // Policy levels are named by their layer, everything else by position.
                let key = match v.get("layer").and_then(Value::as_str) {
                    Some(layer) => layer.to_string(),
                    None => i.to_string(),
                };
                flatten(&format!("{prefix}.{key}"), v, out);
            }
        }
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// A part of the report as a JSON value (the parts are plain data, so this cannot fail).
fn json<T: serde::Serialize>(part: &T) -> Value {
    serde_json::to_value(part).unwrap_or(Value::Null)
}

/// Orders metric names as result files list them: the headline figures first, in
/// [`HEADLINE`] order, then the rest alphabetically.
pub fn ordered<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut names: Vec<&String> = names.into_iter().collect();
    names.sort_by_key(|n| {
        (
            HEADLINE
                .iter()
                .position(|h| h == n)
                .unwrap_or(HEADLINE.len()),
            n.as_str(),
        )
    });
    names.dedup();
    names.into_iter().cloned().collect()
}
