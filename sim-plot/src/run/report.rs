//! A run's `report.html`: the summary tables (the run, faults, clients, services, stores, call
//! edges), every chart as SVG and PNG, each store's first anomaly as a timeline, and links to
//! the data files beside it.

use super::faults::fault_label;
use super::{run_charts, RunCharts};
use crate::html::Page;
use crate::render::{write_file, PlotError};
use sim_models::{LatencyReport, Observer, Report, RunResult, Scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn dur(s: f64) -> String {
    if !s.is_finite() {
        "–".into()
    } else if s == 0.0 {
        "0".into()
    } else if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn nonzero(map: &BTreeMap<String, u64>) -> String {
    let total: u64 = map.values().sum();
    let kinds: Vec<String> = map
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

/// The report page's summary tables: the run, faults, clients, services and call edges.
fn summary(page: &mut Page, r: &Report, scenario: &Scenario) {
    page.meta(&[
        ("scenario", r.scenario.clone()),
        ("seed", r.seed.to_string()),
        ("simulated", dur(r.sim_time_s)),
        ("warm-up", dur(r.warmup_s)),
        ("events", r.events.to_string()),
        ("stop", r.stop.message.clone()),
    ]);
    let errors: u64 = r.totals.errors.values().sum();
    page.paragraph(&format!(
        "{} requests sent over the whole run: {} answered, {} failed, {} still in flight at the end.",
        r.totals.sent, r.totals.completed, errors, r.in_flight_at_end
    ));
    if !scenario.faults.is_empty() {
        page.heading("Faults");
        let rows: Vec<Vec<String>> = scenario
            .faults
            .iter()
            .map(|f| {
                let (start, end) = f.window();
                vec![
                    fault_label(f),
                    dur(start.as_secs_f64()),
                    end.map_or("end of run".into(), |e| dur(e.as_secs_f64())),
                ]
            })
            .collect();
        page.table(&["fault", "from", "to"], &rows);
    }
    page.heading("Clients");
    let rows: Vec<Vec<String>> = r
        .clients
        .iter()
        .map(|(name, c)| {
            let mut row = vec![
                name.clone(),
                c.kind.clone(),
                c.sent.to_string(),
                c.completed.to_string(),
                nonzero(&c.errors),
                format!("{:.3}", c.throughput),
            ];
            row.extend(latency_cells(&c.latency));
            row
        })
        .collect();
    page.table(
        &[
            "client",
            "kind",
            "sent",
            "answered",
            "errors",
            "answers/s",
            "latency mean",
            "p50",
            "p99",
            "p99.9",
        ],
        &rows,
    );
    page.heading("Services");
    let rows: Vec<Vec<String>> = r
        .services
        .iter()
        .map(|(name, s)| {
            vec![
                name.clone(),
                format!("{} × {}", s.instances.len(), s.workers),
                s.arrivals.to_string(),
                s.completed.to_string(),
                nonzero(&s.errors),
                format!("{:.3}", s.throughput),
                format!("{:.3}", s.goodput),
                format!("{:.1}%", s.utilization * 100.0),
                format!("{:.3}", s.mean_queue_length),
                s.max_queue_length.to_string(),
                dur(s.latency.p50),
                dur(s.latency.p99),
                dur(s.wait.mean),
                s.wasted.to_string(),
                nonzero(&s.shed),
            ]
        })
        .collect();
    page.table(
        &[
            "service",
            "instances × workers",
            "arrivals",
            "completed",
            "errors",
            "throughput/s",
            "goodput/s",
            "utilisation",
            "mean queue",
            "max queue",
            "latency p50",
            "p99",
            "wait mean",
            "wasted",
            "shed",
        ],
        &rows,
    );
    if !r.stores.is_empty() {
        page.heading("Stores");
        let rows: Vec<Vec<String>> = r
            .stores
            .iter()
            .map(|(name, s)| {
                vec![
                    name.clone(),
                    format!("{} / {} / {}", s.ops.ok, s.ops.fail, s.ops.info),
                    dur(s.latency.p99_ms / 1e3),
                    s.elections.to_string(),
                    s.leaders_max.to_string(),
                    dur(s.split_brain_s),
                    s.lost_acked_writes.to_string(),
                    s.stale_reads.to_string(),
                    s.duplicate_adds.to_string(),
                    dur(s.unavailable_s),
                    match s.linearizable {
                        sim_history::Verdict::Linearizable => "linearizable",
                        sim_history::Verdict::NotLinearizable => "not linearizable",
                        _ => "unknown (search budget ran out)",
                    }
                    .to_string(),
                ]
            })
            .collect();
        page.table(
            &[
                "store",
                "ok / fail / info",
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
    }
    if !r.edges.is_empty() {
        page.heading("Call edges");
        let rows: Vec<Vec<String>> = r
            .edges
            .iter()
            .map(|e| {
                let levels: Vec<String> = e
                    .policies
                    .iter()
                    .map(|p| format!("{} {}", p.layer, crate::style::sig3(p.mean)))
                    .collect();
                vec![
                    format!("{} → {}", e.from, e.to),
                    e.requests.to_string(),
                    e.attempts.to_string(),
                    format!("{:.3}", e.amplification),
                    e.completed.to_string(),
                    nonzero(&e.errors),
                    e.retries.to_string(),
                    e.fallbacks.to_string(),
                    nonzero(&e.rejections),
                    levels.join(", "),
                ]
            })
            .collect();
        page.table(
            &[
                "edge",
                "requests",
                "attempts",
                "amplification",
                "answered",
                "errors",
                "retries",
                "fallbacks",
                "refused",
                "policy levels (mean)",
            ],
            &rows,
        );
    }
}

/// Writes every chart of [`run_charts`] into `dir` as SVG and PNG, and `report.html` showing
/// the summary tables and the charts (SVG, each with a link to its PNG) and linking the data
/// files already in `dir` (`summary.json`, `timeseries.csv`, `policies.csv`). Returns the files
/// written, the report last. `dir` must exist.
pub fn write_run_report<O: Observer>(
    dir: &Path,
    result: &RunResult<O>,
    scenario: &Scenario,
) -> Result<Vec<PathBuf>, PlotError> {
    let r = &result.report;
    let mut page = Page::new(&format!("{} — run report", r.scenario));
    summary(&mut page, r, scenario);
    let mut written = Vec::new();
    let RunCharts { charts, omitted } = run_charts(result, scenario);
    page.heading("Over time");
    if charts.is_empty() {
        page.note("The run recorded no time series to draw.");
    } else if scenario.faults.is_empty() {
        page.note("Time series of the whole run, warm-up included.");
    } else {
        page.note("Time series of the whole run, warm-up included; shaded: the faults' windows.");
    }
    for c in &charts {
        let svg = format!("{}.svg", c.stem);
        let png = format!("{}.png", c.stem);
        c.chart.save(&dir.join(&svg))?;
        c.chart.save(&dir.join(&png))?;
        written.push(dir.join(&svg));
        written.push(dir.join(&png));
        page.figure(&svg, &c.chart.title, &c.caption, &[("PNG", &png)]);
    }
    if !omitted.is_empty() {
        page.note(&format!(
            "Not drawn, for having nothing to show: {}.",
            omitted.join("; ")
        ));
    }
    for store in &result.stores {
        let Some((chart, why)) = super::anomaly_timeline(store) else {
            continue;
        };
        page.heading(&format!(
            "Store {}: why the history is not linearizable",
            store.name
        ));
        page.paragraph(&why);
        let stem = super::anomaly_stem(store);
        let (svg, png) = (format!("{stem}.svg"), format!("{stem}.png"));
        chart.save(&dir.join(&svg))?;
        chart.save(&dir.join(&png))?;
        written.push(dir.join(&svg));
        written.push(dir.join(&png));
        page.figure(
            &svg,
            &chart.title,
            &format!(
                "The operation marked ✗, then up to {} others on its key: those concurrent \
                 with it, the writes of the value it saw or expected, and the nearest in time; \
                 each from invocation to completion, coloured by outcome (an indeterminate \
                 one runs to the end). No order of the operations, each taking effect between \
                 its ends, explains what the clients saw. The whole history is in \
                 store-{}/history.jsonl.",
                super::ANOMALY_OPS - 1,
                store.name
            ),
            &[("PNG", &png)],
        );
    }
    let data: Vec<(&str, &str)> = [
        ("summary.json: the summary", "summary.json"),
        ("timeseries.csv: per bucket and component", "timeseries.csv"),
        (
            "policies.csv: policy levels and refusals per bucket",
            "policies.csv",
        ),
    ]
    .into_iter()
    .filter(|(_, f)| dir.join(f).is_file())
    .collect();
    if !data.is_empty() {
        page.heading("Data");
        page.links(&data);
    }
    let report = dir.join("report.html");
    write_file(&report, page.finish().as_bytes())?;
    written.push(report);
    Ok(written)
}
