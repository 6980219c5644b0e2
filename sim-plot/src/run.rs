//! One run's charts and report: what a run's time series show, over the run's own time axis,
//! with the scenario's fault windows shaded.
//!
//! The series come from the same in-memory buckets that `timeseries.csv` and `policies.csv` are
//! written from ([`RunSeries::of`]), converted to rates per second. Latency over time is the mean
//! of the requests completed in each bucket: percentiles are only recorded over the whole
//! measurement window (they are in the tables).
//!
//! The code: `series.rs` reads the series ([`RunSeries`]), `faults.rs` labels and shades the
//! faults, `traffic.rs` draws throughput, errors, latency, queues and saturation, `policies.rs`
//! circuit breakers, refusals, retries and policy levels, `caches.rs` caches' hit ratios and
//! origin load, `slos.rs` SLO burn rates against their alert thresholds, `stores.rs` each store's leaders,
//! operations, replication lag and first anomaly, and `report.rs` writes `report.html`.

mod caches;
mod faults;
mod policies;
mod report;
mod series;
mod slos;
mod stores;
mod traffic;

pub use faults::{fault_label, fault_shades};
pub use report::write_run_report;
pub use series::{CacheTrack, ClientTrack, PolicyTrack, RunSeries, ServiceTrack};
pub use stores::{anomaly_stem, anomaly_timeline, ANOMALY_OPS};

use crate::time_chart::{Shade, TimeChart};
use sim_models::{Observer, RunResult, Scenario};

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

/// What every chart of a run shares: the series, and the time axis with the faults shaded.
struct Panels<'a> {
    series: &'a RunSeries,
    shades: Vec<Shade>,
    /// The bucket width in seconds, as captions write it.
    bucket: String,
}

impl Panels<'_> {
    /// An empty chart over the whole run, the faults' windows shaded.
    fn chart(&self, title: &str, y: &str) -> TimeChart {
        let mut c = TimeChart::new(title, y).x_range(0.0, self.series.end_s);
        c.shaded = self.shades.clone();
        c
    }
}

/// A file stem made of `[a-z0-9_-]` only, whatever a layer or a store is called.
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

fn any_nonzero<'a>(mut values: impl Iterator<Item = &'a f64>) -> bool {
    values.any(|v| v.is_finite() && *v != 0.0)
}

/// The charts that have something to show for this run, in reading order: throughput and
/// goodput, errors by kind, latency, queues, saturation, circuit breakers, refusals, one
/// chart per other kind of policy level, then each store's leaders, operations and lag.
pub fn run_charts<O: Observer>(result: &RunResult<O>, scenario: &Scenario) -> RunCharts {
    let series = RunSeries::of(result);
    let panels = Panels {
        series: &series,
        shades: fault_shades(scenario, series.end_s),
        bucket: crate::style::sig3(series.bucket_s),
    };
    let mut out = RunCharts {
        charts: Vec::new(),
        omitted: Vec::new(),
    };
    if series.starts.is_empty() {
        out.omitted
            .push("every chart: the run recorded no time bucket".into());
        return out;
    }
    traffic::charts(&panels, &mut out);
    policies::charts(&panels, &mut out);
    caches::charts(&panels, &mut out);
    slos::charts(&panels, result, &mut out);
    stores::charts(&panels, &result.stores, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const BREAKER: &str = r#"Scenario(
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

    pub(super) fn run(text: &str, sets: &[&str]) -> (RunResult, Scenario) {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let scenario = sim_models::load_scenario_str("test.ron", text, &sets)
            .expect("valid scenario")
            .scenario;
        (sim_models::run(&scenario, 1).expect("runs"), scenario)
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
    fn stems_are_safe_file_names() {
        assert_eq!(stem_of("retry_budget"), "retry_budget");
        assert_eq!(stem_of("my <policy>/../x"), "my__policy_____x");
        assert_eq!(stem_of(""), "_");
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
}
