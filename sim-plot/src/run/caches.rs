//! The charts of a run's caches: each cache's hit ratio, and the load it sends its origin —
//! where a cold cache or an expiry stampede shows.

use super::{Panels, RunChart, RunCharts};
use crate::time_chart::Line;

/// Adds the hit-ratio and origin-load charts if any service has a cache.
pub(super) fn charts(panels: &Panels<'_>, out: &mut RunCharts) {
    let series = panels.series;
    if series.caches.is_empty() {
        return;
    }
    let mut ratio = panels.chart("Cache hit ratio", "lookups served without a fetch (share)");
    let mut origin = panels.chart("Cache origin load", "calls to the origin/s");
    for (k, t) in series.caches.iter().enumerate() {
        // A bucket without lookups has no ratio (NaN): the line leaves a gap there.
        let points = series.points(&t.hit_ratio);
        ratio
            .lines
            .push(Line::new(t.component.clone(), points).color(k));
        origin.lines.push(
            Line::new(t.component.clone(), series.steps(&t.origin_rate))
                .step()
                .color(k),
        );
    }
    out.charts.push(RunChart {
        stem: "cache-hit-ratio".into(),
        caption: format!(
            "Each cache's hit ratio per {} s bucket: the lookups served without a fetch of \
             their own (fresh, stale while revalidating, or sharing another request's fetch) \
             over all lookups. A cold cache starts low; a stampede is a sudden dip.",
            panels.bucket
        ),
        chart: ratio,
    });
    out.charts.push(RunChart {
        stem: "cache-origin-load".into(),
        caption: "Calls each cache makes to its origin per second: misses, early \
                  recomputations and background revalidations. Entries that expire together \
                  show as a spike."
            .into(),
        chart: origin,
    });
}

#[cfg(test)]
mod tests {
    use super::super::run_charts;
    use super::super::tests::run;

    const STAMPEDE: &str = r#"Scenario(
        duration: "20s",
        time_series: (bucket: "1s"),
        clients: { "users": Open(rate: 2000, target: "api") },
        services: {
            "api": (instances: 2, workers: 64, concurrency: Async, steps: [
                Cache(of: "db", keys: 50, popularity: Zipf(1.0), ttl: "10s", warm: true),
            ]),
            "db": (workers: 16, service_time: Exponential(mean: "20ms")),
        },
    )"#;

    #[test]
    fn a_synchronised_expiry_shows_as_a_dip_and_a_spike() {
        let (result, scenario) = run(STAMPEDE, &[]);
        let charts = run_charts(&result, &scenario).charts;
        let ratio = charts.iter().find(|c| c.stem == "cache-hit-ratio").unwrap();
        let origin = charts
            .iter()
            .find(|c| c.stem == "cache-origin-load")
            .unwrap();
        assert_eq!(ratio.chart.lines[0].name, "api → db");
        // Warm until the entries expire together at 10 s.
        let at = |points: &[(f64, f64)], t: f64| {
            points
                .iter()
                .find(|p| p.0 >= t)
                .map(|p| p.1)
                .expect("a point")
        };
        let r = &ratio.chart.lines[0].points;
        assert_eq!(at(r, 5.0), 1.0);
        assert!(at(r, 10.0) < 0.99, "{r:?}");
        let o = &origin.chart.lines[0].points;
        assert_eq!(at(o, 5.0), 0.0);
        assert!(at(o, 10.0) >= 100.0, "{o:?}");
    }

    #[test]
    fn without_a_cache_there_is_no_cache_chart() {
        let (result, scenario) = run(super::super::tests::BREAKER, &[]);
        let charts = run_charts(&result, &scenario).charts;
        assert!(charts.iter().all(|c| !c.stem.starts_with("cache")));
    }
}
