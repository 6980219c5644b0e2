//! The charts of a run's SLOs: each alert's burn rate over its long window, against the
//! threshold at which it fires.

use super::{stem_of, Panels, RunChart, RunCharts};
use crate::time_chart::Line;
use sim_models::{Observer, RunResult};

/// Adds one chart per SLO.
pub(super) fn charts<O: Observer>(panels: &Panels<'_>, result: &RunResult<O>, out: &mut RunCharts) {
    let bucket = sim_core::SimDuration(result.bucket_ns.max(1));
    let slos = &result.world.statistics().slos;
    for (k, t) in slos.iter().enumerate() {
        let mut c = panels.chart(
            &format!("SLO {}: burn rate", t.spec.name),
            "error-budget burn rate (1 = on budget)",
        );
        for (i, (alert, threshold, points)) in
            t.burn_series(bucket, result.end).into_iter().enumerate()
        {
            let window = if alert == "page" { "1 h" } else { "6 h" };
            c.lines.push(
                Line::new(format!("{alert}: burn over {window} (scaled)"), points)
                    .step()
                    .color(i),
            );
            let flat = vec![(0.0, threshold), (panels.series.end_s, threshold)];
            c.lines.push(
                Line::new(format!("{alert} fires at {threshold}×"), flat)
                    .dashed()
                    .color(i),
            );
        }
        let mut stem = format!("slo-{}", stem_of(&t.spec.name));
        if slos[..k]
            .iter()
            .any(|o| stem_of(&o.spec.name) == stem_of(&t.spec.name))
        {
            stem.push_str(&format!("-{k}"));
        }
        out.charts.push(RunChart {
            stem,
            caption: format!(
                "SLO {} on {}'s requests: the error-budget burn rate over each alert's long \
                 window (the SRE workbook's 1 h and 6 h, scaled to the SLO period), with the \
                 rates at which the page (14.4×) and the ticket (6×) fire; each also needs the \
                 same rate over its short window (5 min, 30 min), in the report.",
                t.spec.name, t.spec.client
            ),
            chart: c,
        });
    }
}
