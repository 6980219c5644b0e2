//! The charts of a run's traffic: throughput and goodput, errors by kind, mean latency, the
//! clients' latency percentiles, queue lengths and worker saturation.

use super::{any_nonzero, Panels, RunChart, RunCharts};
use crate::time_chart::Line;

/// Adds the traffic charts that have something to show to `out`, in reading order, and says
/// why each other one is left out.
pub(super) fn charts(panels: &Panels<'_>, out: &mut RunCharts) {
    let series = panels.series;
    let base = |title: &str, y: &str| panels.chart(title, y);
    let bucket = &panels.bucket;
    let RunCharts { charts, omitted } = out;

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
}
