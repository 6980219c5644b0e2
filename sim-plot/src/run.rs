//! One run's charts and report: what a run's time series show, over the run's own time axis,
//! with the scenario's fault windows shaded.
//!
//! The series come from the same in-memory buckets that `timeseries.csv` and `policies.csv` are
//! written from ([`RunSeries::of`]), converted to rates per second. Latency over time is the mean
//! of the requests completed in each bucket: percentiles are only recorded over the whole
//! measurement window (they are in the tables).

use crate::html::Page;
use crate::render::{write_file, PlotError};
use crate::style::Rgb;
use crate::time_chart::{BandRow, Line, Shade, StateBands, TimeChart};
use sim_core::NANOS_PER_SEC;
use sim_models::policy::ShedReason;
use sim_models::{FaultSpec, LatencyReport, Outcome, Report, RunResult, Scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One service's series, one value per time bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceTrack {
    /// The service.
    pub name: String,
    /// Workers over all its instances, as configured.
    pub workers: f64,
    /// Completions per second.
    pub throughput: Vec<f64>,
    /// Successful answers per second taken by callers still waiting.
    pub goodput: Vec<f64>,
    /// Failed calls per second by kind (every kind, zeros included).
    pub errors: Vec<(String, Vec<f64>)>,
    /// Mean latency of the requests completed in the bucket, seconds (NaN: none completed).
    pub latency_s: Vec<f64>,
    /// Time-average queue length.
    pub queue_length: Vec<f64>,
    /// Time-average busy workers.
    pub busy_workers: Vec<f64>,
}

/// One client's series.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientTrack {
    /// The client.
    pub name: String,
    /// Answers per second.
    pub answered: Vec<f64>,
    /// Failed requests per second, any kind.
    pub failed: Vec<f64>,
    /// Mean end-to-end latency of the answers in the bucket, seconds (NaN: none).
    pub latency_s: Vec<f64>,
    /// p50 and p99 of the end-to-end latencies of the answers in the bucket, seconds (NaN:
    /// none).
    pub latency_p50_s: Vec<f64>,
    /// See `latency_p50_s`.
    pub latency_p99_s: Vec<f64>,
}

/// The policies of one call edge (`from → to`) or one service's server policies.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyTrack {
    /// `from → to` for an edge, the service's name for server policies.
    pub component: String,
    /// How many instances the levels are summed over (the caller's, or the service's).
    pub instances: usize,
    /// Each layer's level (time average in the bucket, summed over instances).
    pub levels: Vec<(String, Vec<f64>)>,
    /// Calls refused per second by reason: `circuit_open`, …, `budget_exhausted` for an edge;
    /// `shed_REASON` for a service.
    pub refused: Vec<(String, Vec<f64>)>,
    /// Retries (hedges included) sent per second, for an edge; empty for a service.
    pub retries: Vec<f64>,
}

/// A run's time series as plain numbers: what `timeseries.csv` and `policies.csv` hold.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSeries {
    /// Bucket width, seconds.
    pub bucket_s: f64,
    /// End of the run, seconds.
    pub end_s: f64,
    /// Each bucket's start, seconds.
    pub starts: Vec<f64>,
    /// Each bucket's end (the last one may be partial), seconds.
    pub ends: Vec<f64>,
    /// Per service, in report order.
    pub services: Vec<ServiceTrack>,
    /// Per client.
    pub clients: Vec<ClientTrack>,
    /// Per call edge with policies, then per service with server policies or outlier detection.
    pub policies: Vec<PolicyTrack>,
}

impl RunSeries {
    /// The series of a finished run.
    pub fn of(result: &RunResult) -> RunSeries {
        let world = &result.world;
        let end = result.end;
        let width = result.bucket_ns.max(1);
        let buckets = end.0.div_ceil(width) as usize;
        let s = |ns: u64| ns as f64 / NANOS_PER_SEC as f64;
        let starts: Vec<f64> = (0..buckets).map(|i| s(i as u64 * width)).collect();
        let ends: Vec<f64> = (0..buckets)
            .map(|i| s((i as u64 + 1).saturating_mul(width).min(end.0)))
            .collect();
        let spans: Vec<f64> = starts.iter().zip(&ends).map(|(a, b)| b - a).collect();
        let rate = |count: &dyn Fn(usize) -> f64| -> Vec<f64> {
            (0..buckets)
                .map(|i| {
                    if spans[i] > 0.0 {
                        count(i) / spans[i]
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        let mean_latency = |sum: &dyn Fn(usize) -> u128, n: &dyn Fn(usize) -> u64| -> Vec<f64> {
            (0..buckets)
                .map(|i| match n(i) {
                    0 => f64::NAN,
                    n => sum(i) as f64 / n as f64 / NANOS_PER_SEC as f64,
                })
                .collect()
        };
        let services = world
            .services
            .iter()
            .map(|sv| {
                let se = &sv.series;
                ServiceTrack {
                    name: sv.name.clone(),
                    workers: sv.total_workers() as f64,
                    throughput: rate(&|i| se.completed.get(i) as f64),
                    goodput: rate(&|i| se.goodput.get(i) as f64),
                    errors: Outcome::ERRORS
                        .iter()
                        .zip(&se.errors_by_kind)
                        .map(|(o, k)| (o.name().to_string(), rate(&|i| k.get(i) as f64)))
                        .collect(),
                    latency_s: mean_latency(&|i| se.latency_sum.get(i), &|i| se.completed.get(i)),
                    queue_length: (0..buckets).map(|i| se.queued.mean(i, end)).collect(),
                    busy_workers: (0..buckets).map(|i| se.busy.mean(i, end)).collect(),
                }
            })
            .collect();
        let clients = world
            .clients
            .iter()
            .map(|c| {
                let se = &c.series;
                ClientTrack {
                    name: c.name.clone(),
                    answered: rate(&|i| se.completed.get(i) as f64),
                    failed: rate(&|i| se.errors.get(i) as f64),
                    latency_s: mean_latency(&|i| se.latency_sum.get(i), &|i| se.completed.get(i)),
                    latency_p50_s: quantile_s(&se.latency_quantiles, 0),
                    latency_p99_s: quantile_s(&se.latency_quantiles, 2),
                }
            })
            .collect();

        let mut policies = Vec::new();
        let reasons: Vec<&str> = Outcome::LOCAL_REJECTIONS
            .iter()
            .map(|o| o.name())
            .chain(["budget_exhausted"])
            .collect();
        for (e, edge) in world.edges.iter().enumerate() {
            if !edge.policies {
                continue;
            }
            let to = &world.services[edge.to as usize].name;
            let instances = if edge.from_client {
                1
            } else {
                world
                    .services
                    .iter()
                    .find(|s| s.name == edge.from)
                    .map_or(1, |s| s.instances.len())
            };
            policies.push(PolicyTrack {
                component: format!("{} → {to}", edge.from),
                instances,
                levels: world.policy_levels[e]
                    .iter()
                    .filter(|p| p.reported)
                    .map(|p| {
                        let v = (0..buckets)
                            .map(|i| p.series.mean(i, end) / 1000.0)
                            .collect();
                        (p.layer.clone(), v)
                    })
                    .collect(),
                refused: reasons
                    .iter()
                    .zip(&world.rejection_series[e])
                    .map(|(r, series)| (r.to_string(), rate(&|i| series.get(i) as f64)))
                    .collect(),
                retries: rate(&|i| world.retry_series[e].get(i) as f64),
            });
        }
        for sv in world
            .services
            .iter()
            .filter(|s| !s.server_levels.is_empty() || s.ejected_level().is_some())
        {
            policies.push(PolicyTrack {
                component: sv.name.clone(),
                instances: sv.instances.len(),
                levels: sv
                    .server_levels
                    .iter()
                    .chain(sv.ejected_level())
                    .filter(|p| p.reported)
                    .map(|p| {
                        let v = (0..buckets)
                            .map(|i| p.series.mean(i, end) / 1000.0)
                            .collect();
                        (p.layer.clone(), v)
                    })
                    .collect(),
                refused: ShedReason::ALL
                    .iter()
                    .map(|&r| {
                        let series = &sv.series.shed[r as usize];
                        (
                            format!("shed_{}", r.name()),
                            rate(&|i| series.get(i) as f64),
                        )
                    })
                    .collect(),
                retries: Vec::new(),
            });
        }
        RunSeries {
            bucket_s: s(width),
            end_s: s(end.0),
            starts,
            ends,
            services,
            clients,
            policies,
        }
    }

    /// Each bucket's middle: where a line puts the bucket's value.
    pub fn mids(&self) -> Vec<f64> {
        self.starts
            .iter()
            .zip(&self.ends)
            .map(|(a, b)| (a + b) / 2.0)
            .collect()
    }

    fn points(&self, values: &[f64]) -> Vec<(f64, f64)> {
        self.mids()
            .into_iter()
            .zip(values.iter().copied())
            .collect()
    }

    /// Staircase points: each value from its bucket's start, the last held to the end.
    fn steps(&self, values: &[f64]) -> Vec<(f64, f64)> {
        let mut p: Vec<(f64, f64)> = self
            .starts
            .iter()
            .copied()
            .zip(values.iter().copied())
            .collect();
        if let Some(&v) = values.last() {
            p.push((self.end_s, v));
        }
        p
    }
}

/// One chart of a run, with the file name it is written under and what it shows.
#[derive(Clone, Debug)]
pub struct RunChart {
    /// The file name without extension (`throughput` → `throughput.svg`, `throughput.png`).
    pub stem: String,
    /// A sentence saying what the chart shows, for the report.
    pub caption: String,
    /// The chart.
    pub chart: TimeChart,
}

/// A run's charts, and the ones left out for having nothing to show.
#[derive(Clone, Debug)]
pub struct RunCharts {
    /// The charts, in reading order.
    pub charts: Vec<RunChart>,
    /// Why each chart that is not drawn was left out, in words ("queue length: no request
    /// waited").
    pub omitted: Vec<String>,
}

/// A short label for a fault: what and where.
pub fn fault_label(f: &FaultSpec) -> String {
    let pct = |x: f64| format!("{}%", crate::style::sig3(x * 100.0));
    let side = |s: &[String]| {
        if s.is_empty() {
            "*".to_string()
        } else {
            s.join(",")
        }
    };
    let target = |service: &str, instance: Option<u32>| match instance {
        Some(i) => format!("{service}#{i}"),
        None => service.to_string(),
    };
    match f {
        FaultSpec::Crash {
            service, instance, ..
        } => format!("crash {}", target(service, *instance)),
        FaultSpec::Slowdown {
            service, factor, ..
        } => format!("slowdown {service} ×{}", crate::style::sig3(*factor)),
        FaultSpec::CapacityLoss {
            service,
            instance,
            workers,
            ..
        } => format!("capacity {} → {workers}", target(service, *instance)),
        FaultSpec::Pause {
            service, instance, ..
        } => format!("pause {}", target(service, *instance)),
        FaultSpec::ErrorInjection {
            service, fraction, ..
        } => format!("errors {} {service}", pct(*fraction)),
        FaultSpec::BlackHole {
            service, instance, ..
        } => format!("black hole {}", target(service, *instance)),
        FaultSpec::CorruptResponses {
            service, fraction, ..
        } => format!("corrupt {} {service}", pct(*fraction)),
        FaultSpec::Partition { a, b, one_way, .. } => {
            let arrow = if *one_way { "→" } else { "|" };
            format!("partition {} {arrow} {}", side(a), side(b))
        }
        FaultSpec::NetworkDelay { a, b, extra, .. } => {
            format!("delay +{extra} {}–{}", side(a), side(b))
        }
        FaultSpec::PacketLoss { a, b, loss, .. } => {
            format!("loss {} {}–{}", pct(*loss), side(a), side(b))
        }
        FaultSpec::FlappingLink { a, b, .. } => format!("flapping {}–{}", side(a), side(b)),
    }
}

/// The scenario's fault windows as shaded intervals (a fault without an end lasts to `end_s`).
pub fn fault_shades(scenario: &Scenario, end_s: f64) -> Vec<Shade> {
    scenario
        .faults
        .iter()
        .map(|f| {
            let (start, stop) = f.window();
            Shade {
                start: start.as_secs_f64(),
                end: stop.map_or(end_s, |e| e.as_secs_f64()).min(end_s),
                label: fault_label(f),
            }
        })
        .filter(|s| s.end > s.start)
        .collect()
}

fn any_nonzero<'a>(mut values: impl Iterator<Item = &'a f64>) -> bool {
    values.any(|v| v.is_finite() && *v != 0.0)
}

/// Breaker states, in band order: closed, half-open, open, and buckets that mixed them.
const BREAKER_STATES: [(&str, Rgb); 4] = [
    ("closed", Rgb(0x8C, 0xC8, 0x7F)),
    ("half-open", Rgb(0xED, 0xC9, 0x48)),
    ("open", Rgb(0xE1, 0x57, 0x59)),
    ("mixed", Rgb(0xC9, 0xB8, 0xD6)),
];

/// The breaker's state in one bucket from its level summed over `instances` caller instances
/// (each 0 closed, 1 half-open, 2 open) and averaged over the bucket. All closed or all open
/// throughout is certain; half-open only with one instance (with more, a mean of 1 may as well
/// be one open and one closed); anything else is "mixed".
fn breaker_state(level: f64, instances: usize) -> usize {
    let m = level / instances.max(1) as f64;
    if !m.is_finite() {
        3
    } else if m < 0.02 {
        0
    } else if m > 1.98 {
        2
    } else if instances <= 1 && (m - 1.0).abs() < 0.02 {
        1
    } else {
        3
    }
}

/// What a layer's level measures, for the y axis.
fn level_unit(layer: &str) -> (&'static str, &'static str) {
    match layer {
        "retry_budget" => ("Retry budget", "tokens (summed over instances)"),
        "bulkhead" => ("Bulkhead", "calls inside (summed over instances)"),
        "rate_limiter" => ("Rate limiter", "permissions left (summed)"),
        "adaptive_throttle" => ("Adaptive throttling", "rejection probability (summed)"),
        "concurrency_limit" => ("Concurrency limit", "limit (summed over instances)"),
        "hedge" => ("Hedging delay", "delay (s, summed over instances)"),
        "codel" => ("CoDel", "instances dropping"),
        "outlier_ejected" => ("Outlier detection", "instances ejected"),
        _ => ("Policy level", "level (summed over instances)"),
    }
}

/// A file stem made of `[a-z0-9_-]` only, whatever the layer is called.
fn stem_of(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

/// The charts that have something to show for this run, in reading order: throughput and
/// goodput, errors by kind, latency, queues, saturation, circuit breakers, refusals, then one
/// chart per other kind of policy level.
pub fn run_charts(result: &RunResult, scenario: &Scenario) -> RunCharts {
    let series = RunSeries::of(result);
    let shades = fault_shades(scenario, series.end_s);
    let base = |title: &str, y: &str| {
        let mut c = TimeChart::new(title, y).x_range(0.0, series.end_s);
        c.shaded = shades.clone();
        c
    };
    let bucket = crate::style::sig3(series.bucket_s);
    let mut charts = Vec::new();
    let mut omitted = Vec::new();
    if series.starts.is_empty() {
        omitted.push("every chart: the run recorded no time bucket".into());
        return RunCharts { charts, omitted };
    }

    // Throughput and goodput.
    let mut c = base("Throughput and goodput", "requests/s");
    for (i, s) in series.services.iter().enumerate() {
        c.lines.push(
            Line::new(
                format!("{} throughput", s.name),
                series.points(&s.throughput),
            )
            .color(i),
        );
        c.lines.push(
            Line::new(format!("{} goodput", s.name), series.points(&s.goodput))
                .color(i)
                .dashed(),
        );
    }
    let ns = series.services.len();
    for (j, cl) in series.clients.iter().enumerate() {
        c.lines.push(
            Line::new(format!("{} answered", cl.name), series.points(&cl.answered)).color(ns + j),
        );
    }
    {
        charts.push(RunChart {
            stem: "throughput".into(),
            caption: format!(
                "Completions per second at each service (solid) and goodput, the successful answers \
                 taken by callers still waiting (dashed); for clients, answers per second. \
                 Buckets of {bucket} s."
            ),
            chart: c,
        });
    }

    // Errors by kind, over all services, and each client's failed requests.
    let mut c = base("Errors by kind", "failed calls/s");
    let kinds: Vec<&str> = series
        .services
        .first()
        .map(|s| s.errors.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    for (k, kind) in kinds.iter().enumerate() {
        let total: Vec<f64> = (0..series.starts.len())
            .map(|i| series.services.iter().map(|s| s.errors[k].1[i]).sum())
            .collect();
        if any_nonzero(total.iter()) {
            let n = c.lines.len();
            c.lines
                .push(Line::new(*kind, series.points(&total)).color(n));
        }
    }
    let by_kind = c.lines.len();
    for (j, cl) in series.clients.iter().enumerate() {
        if any_nonzero(cl.failed.iter()) {
            c.lines.push(
                Line::new(
                    format!("{} failed (any kind)", cl.name),
                    series.points(&cl.failed),
                )
                .color(by_kind + j)
                .dashed(),
            );
        }
    }
    if !c.lines.is_empty() {
        let note = if by_kind > 0 {
            "Calls that failed per second, by kind, summed over the services called (solid)"
        } else {
            "No call to a service failed"
        };
        charts.push(RunChart {
            stem: "errors".into(),
            caption: format!(
                "{note}; dashed: each client's failed requests per second, end to end."
            ),
            chart: c,
        });
    } else {
        omitted.push("errors: no call and no request failed".into());
    }

    // Mean latency per bucket.
    let lat_max = series
        .clients
        .iter()
        .flat_map(|c| c.latency_s.iter())
        .chain(series.services.iter().flat_map(|s| s.latency_s.iter()))
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NAN, f64::max);
    if lat_max.is_finite() {
        let (unit, scale) = if lat_max < 1.0 {
            ("ms", 1e3)
        } else {
            ("s", 1.0)
        };
        let mut c = base("Mean latency", &format!("mean latency ({unit})"));
        let scaled = |v: &[f64]| v.iter().map(|x| x * scale).collect::<Vec<f64>>();
        for (j, cl) in series.clients.iter().enumerate() {
            c.lines.push(
                Line::new(
                    format!("{} (end to end)", cl.name),
                    series.points(&scaled(&cl.latency_s)),
                )
                .color(ns + j),
            );
        }
        for (i, s) in series.services.iter().enumerate() {
            c.lines.push(
                Line::new(s.name.clone(), series.points(&scaled(&s.latency_s)))
                    .color(i)
                    .dashed(),
            );
        }
        charts.push(RunChart {
            stem: "latency".into(),
            caption: "Mean latency of the requests completed in each bucket: clients end to end \
                      (solid), services from arrival to completion (dashed); the clients' percentiles \
                      per bucket are in their own chart. Gaps: buckets where nothing completed."
                .into(),
            chart: c,
        });
    } else {
        omitted.push("latency: no request completed".into());
    }

    // Client latency percentiles per bucket.
    let p_max = series
        .clients
        .iter()
        .flat_map(|c| c.latency_p99_s.iter())
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NAN, f64::max);
    if p_max.is_finite() {
        let (unit, scale) = if p_max < 1.0 { ("ms", 1e3) } else { ("s", 1.0) };
        let mut c = base("Client latency percentiles", &format!("latency ({unit})"));
        let scaled = |v: &[f64]| v.iter().map(|x| x * scale).collect::<Vec<f64>>();
        for (j, cl) in series.clients.iter().enumerate() {
            c.lines.push(
                Line::new(
                    format!("{} p50", cl.name),
                    series.points(&scaled(&cl.latency_p50_s)),
                )
                .color(j),
            );
            c.lines.push(
                Line::new(
                    format!("{} p99", cl.name),
                    series.points(&scaled(&cl.latency_p99_s)),
                )
                .color(j)
                .dashed(),
            );
        }
        charts.push(RunChart {
            stem: "percentiles".into(),
            caption: "End-to-end latency of each client's answers in each bucket: p50 (solid) \
                      and p99 (dashed), within 0.4%. Gaps: buckets where nothing was answered."
                .into(),
            chart: c,
        });
    }

    // Queues.
    let mut c = base("Queue length", "requests waiting (time average)");
    for (i, s) in series.services.iter().enumerate() {
        c.lines
            .push(Line::new(s.name.clone(), series.points(&s.queue_length)).color(i));
    }
    if c.lines
        .iter()
        .any(|l| any_nonzero(l.points.iter().map(|p| &p.1)))
    {
        charts.push(RunChart {
            stem: "queues".into(),
            caption:
                "Requests waiting for a worker at each service (all instances), time-averaged \
                      in each bucket."
                    .into(),
            chart: c,
        });
    } else {
        omitted.push("queue length: no request waited for a worker".into());
    }

    // Worker saturation.
    let mut c = base("Worker saturation", "busy workers (% of configured)");
    for (i, s) in series.services.iter().enumerate() {
        let pct: Vec<f64> = s
            .busy_workers
            .iter()
            .map(|b| {
                if s.workers > 0.0 {
                    b / s.workers * 100.0
                } else {
                    f64::NAN
                }
            })
            .collect();
        c.lines
            .push(Line::new(s.name.clone(), series.points(&pct)).color(i));
    }
    if c.lines
        .iter()
        .any(|l| any_nonzero(l.points.iter().map(|p| &p.1)))
    {
        charts.push(RunChart {
            stem: "saturation".into(),
            caption: "Busy workers as a share of each service's configured workers (all \
                      instances), time-averaged in each bucket: 100% is saturation."
                .into(),
            chart: c,
        });
    } else {
        omitted.push("worker saturation: no worker was ever busy".into());
    }

    // Circuit breakers: state bands, and the calls they refused.
    let mut rows = Vec::new();
    let mut c = base("Circuit breakers", "calls refused, circuit open (per s)");
    for (k, t) in series.policies.iter().enumerate() {
        for (layer, levels) in &t.levels {
            if layer != "circuit_breaker" {
                continue;
            }
            let mut spans: Vec<(f64, f64, usize)> = Vec::new();
            for (i, &level) in levels.iter().enumerate() {
                let state = breaker_state(level, t.instances);
                let (a, b) = (series.starts[i], series.ends[i]);
                match spans.last_mut() {
                    Some(last) if last.2 == state && last.1 == a => last.1 = b,
                    _ => spans.push((a, b, state)),
                }
            }
            rows.push(BandRow {
                name: t.component.clone(),
                spans,
            });
        }
        if t.levels.iter().any(|(l, _)| l == "circuit_breaker") {
            if let Some((_, refused)) = t.refused.iter().find(|(r, _)| r == "circuit_open") {
                if any_nonzero(refused.iter()) {
                    c.lines.push(
                        Line::new(format!("{} refused", t.component), series.steps(refused))
                            .step()
                            .color(k),
                    );
                }
            }
        }
    }
    if !rows.is_empty() {
        c.states = Some(StateBands {
            states: BREAKER_STATES
                .iter()
                .map(|(n, c)| (n.to_string(), *c))
                .collect(),
            rows,
        });
        charts.push(RunChart {
            stem: "breakers".into(),
            caption: "Each circuit breaker's state per bucket (bands) and the calls it refused \
                      per second (line). A band shows a state the breaker held through the whole \
                      bucket on every caller instance; \"mixed\" marks buckets where it changed, \
                      or where the caller's instances were in different states (the series hold \
                      the state summed over instances, so half-open shows as such only for a \
                      caller with one instance)."
                .into(),
            chart: c,
        });
    }

    // Refusals by policies: rejections at callers, sheds at servers.
    let mut c = base("Calls refused by policies", "calls/s");
    for t in &series.policies {
        let breaker = t.levels.iter().any(|(l, _)| l == "circuit_breaker");
        for (reason, values) in &t.refused {
            // A breaker's refusals are drawn with its states above.
            if breaker && reason == "circuit_open" {
                continue;
            }
            if any_nonzero(values.iter()) {
                let n = c.lines.len();
                c.lines.push(
                    Line::new(
                        format!("{} {}", t.component, reason.replace('_', " ")),
                        series.steps(values),
                    )
                    .step()
                    .color(n),
                );
            }
        }
    }
    if !c.lines.is_empty() {
        charts.push(RunChart {
            stem: "rejections".into(),
            caption: "Calls refused per second by caller-side policies (bulkhead full, rate \
                      limited, throttled, limit exceeded, retry budget exhausted; a circuit \
                      breaker's refusals are in its own chart) and requests shed by server \
                      policies, per edge or service."
                .into(),
            chart: c,
        });
    } else if !series.policies.is_empty() {
        omitted.push("calls refused by policies: none was refused".into());
    }

    // Retries: the load a retry storm adds, per edge.
    let mut c = base("Retries", "retries/s");
    for t in series
        .policies
        .iter()
        .filter(|t| any_nonzero(t.retries.iter()))
    {
        let n = c.lines.len();
        c.lines.push(
            Line::new(t.component.clone(), series.steps(&t.retries))
                .step()
                .color(n),
        );
    }
    if !c.lines.is_empty() {
        charts.push(RunChart {
            stem: "retries".into(),
            caption: "Retries sent per second on each edge with policies (hedged attempts \
                      included): the extra load retries put on the service called."
                .into(),
            chart: c,
        });
    } else if !series.policies.is_empty() {
        omitted.push("retries: no call was retried".into());
    }

    // Every other policy level, one chart per kind of layer.
    let mut layers: BTreeMap<&str, Vec<(String, &Vec<f64>)>> = BTreeMap::new();
    for t in &series.policies {
        for (layer, levels) in &t.levels {
            if layer != "circuit_breaker" {
                layers
                    .entry(layer.as_str())
                    .or_default()
                    .push((t.component.clone(), levels));
            }
        }
    }
    let mut used = std::collections::BTreeSet::new();
    for (layer, tracks) in layers {
        if !tracks.iter().any(|(_, v)| any_nonzero(v.iter())) {
            omitted.push(format!("{layer}: its level stayed at zero"));
            continue;
        }
        let (title, unit) = level_unit(layer);
        let title = if title == "Policy level" {
            format!("Policy level: {layer}")
        } else {
            title.to_string()
        };
        let mut c = base(&title, unit);
        for (i, (component, levels)) in tracks.iter().enumerate() {
            c.lines
                .push(Line::new(component.clone(), series.points(levels)).color(i));
        }
        let mut stem = format!("policy-{}", stem_of(layer));
        while !used.insert(stem.clone()) {
            stem.push('_');
        }
        charts.push(RunChart {
            stem,
            caption: format!(
                "The {layer} layer's level, time-averaged in each bucket and summed over the \
                 caller's (or the service's) instances."
            ),
            chart: c,
        });
    }
    RunCharts { charts, omitted }
}

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
pub fn write_run_report(
    dir: &Path,
    result: &RunResult,
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

/// Quantile `q` (0: p50, 1: p90, 2: p99) of each bucket of `series`, in seconds (NaN: none).
fn quantile_s(series: &sim_core::QuantileSeries, q: usize) -> Vec<f64> {
    (0..series.len())
        .map(|i| series.get(i).map_or(f64::NAN, |v| v[q] as f64 / 1e9))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_states_from_mean_levels() {
        assert_eq!(breaker_state(0.0, 1), 0);
        assert_eq!(breaker_state(1.0, 1), 1);
        assert_eq!(breaker_state(2.0, 1), 2);
        assert_eq!(breaker_state(0.5, 1), 3);
        assert_eq!(breaker_state(f64::NAN, 1), 3);
        // Two instances: both open is open; a mean of one each is ambiguous.
        assert_eq!(breaker_state(4.0, 2), 2);
        assert_eq!(breaker_state(2.0, 2), 3);
        assert_eq!(breaker_state(0.0, 2), 0);
    }

    const BREAKER: &str = r#"Scenario(
        duration: "20s",
        time_series: (bucket: "1s"),
        clients: { "users": Open(rate: 60, target: "api", timeout: "2s") },
        services: {
            "api": (instances: 2, workers: 8, steps: [
                Work(Exponential(mean: "2ms")),
                Call(to: "db", timeout: "1s", policies: [
                    Fallback(kind: Static),
                    CircuitBreaker(Resilience4j(
                        window: Count(10),
                        minimum_calls: 5,
                        slow_call_duration: "50ms",
                        slow_call_rate_threshold: 50,
                        wait_in_open: "2s",
                        permitted_in_half_open: 2,
                    )),
                ]),
            ]),
            "db": (workers: 20, service_time: Exponential(mean: "5ms")),
        },
        faults: [Slowdown(service: "db", start: "5s", duration: "8s", factor: 40.0)],
    )"#;

    fn run(text: &str, sets: &[&str]) -> (RunResult, Scenario) {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let scenario = sim_models::load_scenario_str("test.ron", text, &sets)
            .expect("valid scenario")
            .scenario;
        (sim_models::run(&scenario, 1).expect("runs"), scenario)
    }

    fn close(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn the_series_are_the_numbers_of_the_csv_files() {
        let (result, _) = run(BREAKER, &[]);
        let series = RunSeries::of(&result);
        assert_eq!(series.starts.len(), 20);
        let csv = result.timeseries_csv();
        let mut rows = 0;
        for line in csv.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let bucket = (f[0].parse::<f64>().unwrap() / series.bucket_s).round() as usize;
            let num = |i: usize| f[i].parse::<f64>().unwrap_or(f64::NAN);
            if f[2] == "service" {
                let s = series.services.iter().find(|s| s.name == f[1]).unwrap();
                assert!(close(s.throughput[bucket], num(6)), "{line}");
                assert!(close(s.goodput[bucket], num(7)), "{line}");
                assert!(close(s.latency_s[bucket], num(8)), "{line}");
                assert!(close(s.queue_length[bucket], num(9)), "{line}");
                assert!(close(s.busy_workers[bucket], num(10)), "{line}");
            } else {
                let c = series.clients.iter().find(|c| c.name == f[1]).unwrap();
                assert!(close(c.answered[bucket], num(6)), "{line}");
                assert!(close(c.latency_s[bucket], num(8)), "{line}");
            }
            rows += 1;
        }
        assert_eq!(rows, 20 * 3);
        let edge = &series.policies[0];
        assert_eq!((edge.component.as_str(), edge.instances), ("api → db", 2));
        for line in result.policies_csv().lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let bucket = f[0].parse::<usize>().unwrap();
            let v: f64 = f[3].parse().unwrap();
            if f[2] == "circuit_breaker" {
                assert!(close(edge.levels[0].1[bucket], v), "{line}");
            } else if let Some(reason) = f[2].strip_prefix("rejected_") {
                let (_, r) = edge.refused.iter().find(|(r, _)| r == reason).unwrap();
                assert!(close(r[bucket], v), "{line}"); // 1 s buckets: per bucket = per second
            }
        }
    }

    #[test]
    fn a_breaker_gets_state_bands_and_faults_are_shaded() {
        let (result, scenario) = run(BREAKER, &[]);
        let charts = run_charts(&result, &scenario).charts;
        let breakers = charts
            .iter()
            .find(|c| c.stem == "breakers")
            .expect("breaker chart");
        let bands = breakers.chart.states.as_ref().unwrap();
        assert_eq!(bands.rows[0].name, "api → db");
        let states: Vec<usize> = bands.rows[0].spans.iter().map(|s| s.2).collect();
        assert_eq!(states[0], 0, "closed before the slowdown");
        assert!(states.contains(&2), "open during it: {states:?}");
        for c in &charts {
            assert_eq!(c.chart.shaded.len(), 1, "{}", c.stem);
            assert_eq!(c.chart.shaded[0].label, "slowdown db ×40");
            assert_eq!(
                (c.chart.shaded[0].start, c.chart.shaded[0].end),
                (5.0, 13.0)
            );
        }
    }

    #[test]
    fn without_faults_nothing_is_shaded() {
        let (result, scenario) = run(BREAKER, &["faults=[]"]);
        let RunCharts { charts, omitted } = run_charts(&result, &scenario);
        assert!(charts.iter().all(|c| c.chart.shaded.is_empty()));
        assert!(
            omitted.iter().any(|o| o.starts_with("errors")),
            "{omitted:?}"
        );
        let svg = charts[0].chart.to_svg().unwrap();
        assert!(!svg.contains("fault window"));
    }

    #[test]
    fn stems_are_safe_file_names() {
        assert_eq!(stem_of("retry_budget"), "retry_budget");
        assert_eq!(stem_of("my <policy>/../x"), "my__policy_____x");
        assert_eq!(stem_of(""), "_");
    }
}
