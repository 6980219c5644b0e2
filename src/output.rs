//! Turning a report into what people and programs read: tables, JSON, files.

use crate::Failure;
use sim_models::{LatencyReport, Observer, Report, RunResult};
use std::fmt::Write;
use std::path::Path;

/// The summary as pretty JSON (stable field order; identical inputs give identical bytes).
pub(crate) fn json(report: &Report) -> Result<String, String> {
    serde_json::to_string_pretty(report)
        .map_err(|e| format!("error: internal error: cannot encode the summary: {e}"))
}

/// A duration in seconds with a readable unit.
fn dur(s: f64) -> String {
    if s == 0.0 {
        "0s".into()
    } else if s >= 1.0 {
        format!("{s:.3}s")
    } else if s >= 1e-3 {
        format!("{:.3}ms", s * 1e3)
    } else {
        format!("{:.3}µs", s * 1e6)
    }
}

/// All errors, with the kinds that occurred: `12 (crashed 7, unavailable 5)`.
fn error_cell(errors: &std::collections::BTreeMap<String, u64>) -> String {
    let total: u64 = errors.values().sum();
    let kinds: Vec<String> = errors
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if kinds.is_empty() {
        total.to_string()
    } else {
        format!("{total} ({})", kinds.join(", "))
    }
}

fn latency_cells(l: &LatencyReport) -> [String; 4] {
    [dur(l.mean), dur(l.p50), dur(l.p99), dur(l.p999)]
}

/// Lays out rows under a header with columns padded to their widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<String>, out: &mut String| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&width)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|s| s.to_string()).collect(), &mut out);
    for r in rows {
        line(r.clone(), &mut out);
    }
    out
}

/// The summary as tables, one row per service and per client.
pub(crate) fn tables(r: &Report) -> String {
    let mut out = format!(
        "scenario {} · seed {} · {:.0}s simulated ({:.0}s warm-up excluded) · {} events · {}\n\n",
        r.scenario, r.seed, r.sim_time_s, r.warmup_s, r.events, r.stop.message
    );
    if !r.services.is_empty() {
        out += &services_table(r);
        out.push('\n');
    }
    if !r.clients.is_empty() {
        out += &clients_table(r);
    }
    if let Some(a) = r
        .amplification
        .as_ref()
        .filter(|a| a.per_user_request > 1.0)
    {
        let _ = writeln!(
            out,
            "\nend-to-end amplification: {} carries {:.1} attempts per user request",
            a.edge.replace(" -> ", " → "),
            a.per_user_request
        );
    }
    for extra in [
        health_table(r),
        autoscaling_table(r),
        caches_table(r),
        sagas_table(r),
        slos_table(r),
    ] {
        if !extra.is_empty() {
            out.push('\n');
            out += &extra;
        }
    }
    if !r.stores.is_empty() {
        if !r.services.is_empty() {
            out.push('\n');
        }
        out += &stores_table(r);
    }
    if r.in_flight_at_end > 0 {
        let n = r.in_flight_at_end;
        let verb = if n == 1 {
            "request was"
        } else {
            "requests were"
        };
        let _ = writeln!(out, "\n{n} {verb} still in flight at the end.");
    }
    out
}

/// One row per service with a health check or a liveness probe; empty if none has.
fn health_table(r: &Report) -> String {
    let rows: Vec<Vec<String>> = r
        .services
        .iter()
        .filter_map(|(name, s)| s.health.as_ref().map(|h| (name, h)))
        .map(|(name, h)| {
            let probes = |p: &sim_models::ProbeCounts| format!("{} ok, {} failed", p.ok, p.failed);
            vec![
                name.clone(),
                probes(&h.readiness_probes),
                format!("{:.1}", h.unhealthy_s),
                h.sent_to_unhealthy.to_string(),
                probes(&h.liveness_probes),
                h.restarts.to_string(),
                format!("{:.1}", h.restarting_s),
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    table(
        &[
            "health",
            "health checks",
            "unhealthy s",
            "sent to unhealthy",
            "liveness probes",
            "restarts",
            "restarting s",
        ],
        &rows,
    )
}

/// One row per autoscaled service; empty if none is.
fn autoscaling_table(r: &Report) -> String {
    let rows: Vec<Vec<String>> = r
        .services
        .iter()
        .filter_map(|(name, s)| s.autoscaling.as_ref().map(|a| (name, a)))
        .map(|(name, a)| {
            vec![
                name.clone(),
                format!("{:.1}", a.replicas.mean),
                format!("{}", a.replicas.end),
                format!("{}", a.desired.end),
                a.scale_ups.to_string(),
                a.scale_downs.to_string(),
                a.provisioned.to_string(),
                a.terminated.to_string(),
                format!("{:.1}", a.under_provisioned_s),
                format!(
                    "{} of {}",
                    a.failed_under_provisioned, a.calls_under_provisioned
                ),
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    table(
        &[
            "autoscaling",
            "replicas mean",
            "at end",
            "desired at end",
            "scale-ups",
            "scale-downs",
            "provisioned",
            "terminated",
            "lagging s",
            "failed while lagging",
        ],
        &rows,
    )
}

/// One row per cache (service and origin); empty if no service has one.
fn caches_table(r: &Report) -> String {
    let rows: Vec<Vec<String>> = r
        .services
        .iter()
        .flat_map(|(name, s)| s.caches.iter().map(move |(of, c)| (name, of, c)))
        .map(|(name, of, c)| {
            vec![
                format!("{name} → {of}"),
                c.counts.lookups.to_string(),
                format!("{:.1}%", 100.0 * c.hit_ratio),
                c.counts.misses.to_string(),
                c.counts.coalesced.to_string(),
                c.counts.stale_hits.to_string(),
                c.counts.early_fetches.to_string(),
                c.counts.failed_fetches.to_string(),
                c.counts.evictions.to_string(),
                format!("{:.1}", c.origin_rate),
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    table(
        &[
            "cache",
            "lookups",
            "hit ratio",
            "misses",
            "coalesced",
            "stale hits",
            "early fetches",
            "failed fetches",
            "evictions",
            "origin calls/s",
        ],
        &rows,
    )
}

/// One row per saga (orchestrating service and name); empty if there is none.
fn sagas_table(r: &Report) -> String {
    let rows: Vec<Vec<String>> = r
        .services
        .iter()
        .flat_map(|(name, s)| s.sagas.iter().map(move |(saga, x)| (name, saga, x)))
        .map(|(name, saga, x)| {
            vec![
                format!("{name}: {saga}"),
                x.started.to_string(),
                x.completed.to_string(),
                x.compensated.to_string(),
                x.stuck.to_string(),
                x.retries.to_string(),
                format!("{} + {}", x.duplicate_actions, x.duplicate_compensations),
                x.deduplicated.to_string(),
                x.inconsistent.to_string(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    table(
        &[
            "saga",
            "started",
            "completed",
            "compensated",
            "stuck",
            "retries",
            "duplicates (do + undo)",
            "deduplicated",
            "inconsistent",
        ],
        &rows,
    )
}

/// One row per SLO; empty if the scenario has none.
fn slos_table(r: &Report) -> String {
    let rows: Vec<Vec<String>> = r
        .slos
        .iter()
        .map(|(name, s)| {
            let count = |kind: &str| s.alerts.iter().filter(|a| a.kind == kind).count();
            let detected = s
                .detection
                .iter()
                .map(|d| match d.page_after_s {
                    Some(t) => format!("{}: paged after {}", d.fault, secs(t)),
                    None => format!("{}: not paged", d.fault),
                })
                .collect::<Vec<_>>()
                .join("; ");
            vec![
                format!("{name} ({})", s.client),
                format!("{}%", 100.0 * s.target),
                format!("{:.4}%", 100.0 * s.sli),
                format!("{:.1}%", 100.0 * s.budget_consumed),
                count("page").to_string(),
                count("ticket").to_string(),
                detected,
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    table(
        &[
            "slo",
            "target",
            "sli",
            "budget spent",
            "pages",
            "tickets",
            "detection",
        ],
        &rows,
    )
}

/// Seconds for people: milliseconds below one second.
fn secs(t: f64) -> String {
    if t < 1.0 {
        format!("{:.0} ms", t * 1000.0)
    } else {
        format!("{t:.1} s")
    }
}

/// One row per service.
fn services_table(r: &Report) -> String {
    let rows: Vec<Vec<String>> = r
        .services
        .iter()
        .map(|(name, s)| {
            let mut row = vec![
                name.clone(),
                s.workers.to_string(),
                s.arrivals.to_string(),
                s.completed.to_string(),
                s.rejected.to_string(),
                error_cell(&s.errors),
                format!("{:.4}", s.throughput),
                format!("{:.1}%", s.utilization * 100.0),
                format!("{:.3}", s.mean_queue_length),
            ];
            row.extend(latency_cells(&s.latency));
            row.push(dur(s.wait.mean));
            row
        })
        .collect();
    table(
        &[
            "service",
            "workers",
            "arrivals",
            "completed",
            "rejected",
            "errors",
            "throughput/s",
            "util",
            "mean queue",
            "latency mean",
            "p50",
            "p99",
            "p99.9",
            "wait mean",
        ],
        &rows,
    )
}

/// One row per client.
fn clients_table(r: &Report) -> String {
    let rows: Vec<Vec<String>> = r
        .clients
        .iter()
        .map(|(name, c)| {
            let mut row = vec![
                name.clone(),
                c.kind.clone(),
                c.sent.to_string(),
                c.completed.to_string(),
                c.rejected.to_string(),
                error_cell(&c.errors),
                format!("{:.4}", c.throughput),
            ];
            row.extend(latency_cells(&c.latency));
            row
        })
        .collect();
    table(
        &[
            "client",
            "kind",
            "sent",
            "completed",
            "rejected",
            "errors",
            "throughput/s",
            "latency mean",
            "p50",
            "p99",
            "p99.9",
        ],
        &rows,
    )
}

/// One row per store, then the first anomaly of each store that has one.
fn stores_table(r: &Report) -> String {
    let rows: Vec<Vec<String>> = r
        .stores
        .iter()
        .map(|(name, s)| {
            vec![
                name.clone(),
                s.ops.ok.to_string(),
                s.ops.fail.to_string(),
                s.ops.info.to_string(),
                dur(s.latency.p99_ms / 1e3),
                s.elections.to_string(),
                s.leaders_max.to_string(),
                dur(s.split_brain_s),
                s.lost_acked_writes.to_string(),
                s.stale_reads.to_string(),
                s.duplicate_adds.to_string(),
                dur(s.unavailable_s),
                serde_json::to_value(s.linearizable)
                    .ok()
                    .and_then(|v| v.as_str().map(|v| v.replace('_', " ")))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "store",
            "ok",
            "fail",
            "info",
            "p99",
            "elections",
            "leaders max",
            "split brain",
            "lost acked writes",
            "stale reads",
            "duplicate adds",
            "unavailable",
            "linearizable",
        ],
        &rows,
    );
    for (name, s) in &r.stores {
        if let Some(a) = &s.first_anomaly {
            let _ = writeln!(out, "\n{name}: {a}");
        }
    }
    let rmw: Vec<Vec<String>> = r
        .stores
        .iter()
        .filter_map(|(name, s)| {
            let m = s.read_modify_write.as_ref()?;
            Some(vec![
                name.clone(),
                m.operations.to_string(),
                m.completed.to_string(),
                m.abandoned.to_string(),
                m.indeterminate.to_string(),
                m.unfinished.to_string(),
                m.calls.to_string(),
                format!("{:.2}", m.tries_mean),
                dur(m.time_mean_ms / 1e3),
                dur(m.time_p99_ms / 1e3),
                dur(m.makespan_ms / 1e3),
            ])
        })
        .collect();
    if !rmw.is_empty() {
        out.push('\n');
        out += &table(
            &[
                "read-modify-write",
                "operations",
                "completed",
                "abandoned",
                "indeterminate",
                "unfinished",
                "calls",
                "tries mean",
                "time mean",
                "p99",
                "makespan",
            ],
            &rmw,
        );
    }
    out
}

/// Writes `summary.json` and `timeseries.csv` into `dir`, each through a temporary file and a
/// rename, so a reader never sees half a file. A directory that cannot be created is the user's
/// input (exit 2); a write that fails after that is the machine's (exit 1).
pub(crate) fn write_dir<O: Observer>(dir: &Path, result: &RunResult<O>) -> Result<(), Failure> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Failure::Input(format!(
            "error: --out {}: cannot create the directory: {e}",
            dir.display()
        ))
    })?;
    let write = |name: &str, content: &str| -> Result<(), Failure> {
        let path = dir.join(name);
        let tmp = path.with_file_name(format!(
            ".{}.tmp",
            path.file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned())
        ));
        let fail = |e: std::io::Error| {
            Failure::Internal(format!("error: cannot write {}: {e}", path.display()))
        };
        std::fs::write(&tmp, content).map_err(fail)?;
        std::fs::rename(&tmp, &path).map_err(fail)
    };
    write(
        "summary.json",
        &(json(&result.report).map_err(Failure::Internal)? + "\n"),
    )?;
    write("timeseries.csv", &result.timeseries_csv())?;
    write("policies.csv", &result.policies_csv())?;
    if let Some(csv) = result.caches_csv() {
        write("caches.csv", &csv)?;
    }
    // Each store's history, as Jepsen writes one, for Knossos, Elle or a notebook.
    for store in &result.stores {
        let sub = dir.join(format!("store-{}", store.name));
        std::fs::create_dir_all(&sub).map_err(|e| {
            Failure::Internal(format!("error: cannot create {}: {e}", sub.display()))
        })?;
        let name = |file: &str| format!("store-{}/{file}", store.name);
        let mut jsonl = Vec::new();
        let mut edn = Vec::new();
        sim_history::export::write_jsonl(&store.history, &mut jsonl)
            .and_then(|()| sim_history::export::write_edn(&store.history, &mut edn))
            .map_err(|e| Failure::Internal(format!("error: cannot encode a history: {e}")))?;
        write(&name("history.jsonl"), &String::from_utf8_lossy(&jsonl))?;
        write(&name("history.edn"), &String::from_utf8_lossy(&edn))?;
    }
    Ok(())
}

/// Writes the run's charts (SVG and PNG) and `report.html` into `dir`, which `write_dir` made,
/// and says how many and how long they took.
pub(crate) fn write_plots<O: Observer>(
    dir: &Path,
    result: &RunResult<O>,
    scenario: &sim_models::Scenario,
) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let written = sim_plot::write_run_report(dir, result, scenario)
        .map_err(|e| Failure::Internal(format!("error: {e}")))?;
    eprintln!(
        "wrote {} ({} charts as SVG and PNG) in {:.2?}",
        dir.join("report.html").display(),
        written.len().saturating_sub(1) / 2,
        started.elapsed()
    );
    Ok(())
}
