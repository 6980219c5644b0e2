//! A sweep's charts and report, from a plain table: one row per point of the sweep (its
//! parameter values) with each metric's mean and confidence interval.
//!
//! Every metric is drawn against every parameter that varies, with its confidence band; with
//! other parameters varying too, one line per combination of their values. When exactly two
//! parameters vary, each metric also gets a heatmap over both.

use crate::heatmap::Heatmap;
use crate::html::Page;
use crate::param_chart::{ParamAxis, ParamChart, ParamPoint, ParamSeries};
use crate::render::{write_file, PlotError};
use crate::Chart;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A metric's estimate at one point: the mean over replications and its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Mean.
    pub mean: f64,
    /// Low end of the interval.
    pub lo: f64,
    /// High end of the interval.
    pub hi: f64,
}

impl From<(f64, f64, f64)> for Estimate {
    /// `(mean, lo, hi)`.
    fn from((mean, lo, hi): (f64, f64, f64)) -> Estimate {
        Estimate { mean, lo, hi }
    }
}

/// One point of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    /// The parameters' values, in the order of [`SweepTable::params`], as written (`"8"`,
    /// `"100ms"`, `"breaker"`). Values that all read as numbers get a numeric axis.
    pub values: Vec<String>,
    /// Each metric's estimate, by name (with its unit, e.g. `"users p99 (s)"`).
    pub metrics: BTreeMap<String, Estimate>,
}

/// A sweep's results as plain data.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepTable {
    /// The parameters' names (e.g. `"services.db.workers"`).
    pub params: Vec<String>,
    /// The points, in the order they were swept.
    pub rows: Vec<SweepRow>,
}

/// What a sweep report says about the sweep besides its table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepInfo {
    /// The page's title (default: "SCENARIO — sweep report").
    pub title: String,
    /// The scenario swept.
    pub scenario: String,
    /// The seeds of each point's replications, in words (e.g. "1–20").
    pub seeds: String,
    /// How the intervals were computed (e.g. "95% Student-t").
    pub interval: String,
    /// Further sentences for the page.
    pub notes: Vec<String>,
}

/// One chart of a sweep.
#[derive(Clone, Debug)]
pub struct SweepChart {
    /// The file name without extension.
    pub stem: String,
    /// What it shows.
    pub caption: String,
    /// The chart.
    pub chart: Chart,
}

impl SweepTable {
    /// Indices of the parameters taking more than one value.
    pub fn varied(&self) -> Vec<usize> {
        (0..self.params.len())
            .filter(|&p| self.distinct(p).len() > 1)
            .collect()
    }

    /// Parameter `p`'s values in order of first appearance.
    pub fn distinct(&self, p: usize) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.rows
            .iter()
            .filter_map(|r| r.values.get(p))
            .filter(|v| seen.insert(v.as_str()))
            .cloned()
            .collect()
    }

    /// Every metric's name, sorted.
    pub fn metrics(&self) -> Vec<String> {
        let set: BTreeSet<&String> = self.rows.iter().flat_map(|r| r.metrics.keys()).collect();
        set.into_iter().cloned().collect()
    }

    fn value(&self, row: &SweepRow, p: usize) -> String {
        row.values.get(p).cloned().unwrap_or_default()
    }
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A file stem of `[a-z0-9_-]` only: other characters become one `_`, none at the ends.
fn stem_of(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let s: String = s.trim_matches('_').chars().take(40).collect();
    if s.is_empty() {
        "x".into()
    } else {
        s
    }
}

/// The metric `metric` against parameter `p`: one line per combination of the other varied
/// parameters' values.
pub fn metric_chart(table: &SweepTable, metric: &str, p: usize) -> ParamChart {
    let values = table.distinct(p);
    let numeric = !values.is_empty() && values.iter().all(|v| number(v).is_some());
    let axis = if numeric {
        ParamAxis::Numeric
    } else {
        ParamAxis::Categorical(values.clone())
    };
    let param = table.params.get(p).cloned().unwrap_or_default();
    let others: Vec<usize> = table.varied().into_iter().filter(|&q| q != p).collect();
    let mut groups: Vec<(String, Vec<ParamPoint>)> = Vec::new();
    for row in &table.rows {
        let Some(e) = row.metrics.get(metric) else {
            continue;
        };
        let v = table.value(row, p);
        let x = if numeric {
            number(&v).unwrap_or(f64::NAN)
        } else {
            values
                .iter()
                .position(|c| *c == v)
                .map_or(f64::NAN, |i| i as f64)
        };
        let key = if others.is_empty() {
            metric.to_string()
        } else {
            others
                .iter()
                .map(|&q| format!("{}={}", table.params[q], table.value(row, q)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let point = ParamPoint {
            x,
            mean: e.mean,
            lo: e.lo,
            hi: e.hi,
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, points)) => points.push(point),
            None => groups.push((key, vec![point])),
        }
    }
    let mut chart = ParamChart::new(format!("{metric} against {param}"), param, metric, axis);
    chart.series = groups
        .into_iter()
        .map(|(name, points)| ParamSeries { name, points })
        .collect();
    chart
}

/// The metric `metric` over the two parameters `px` (across) and `py` (up).
pub fn metric_heatmap(table: &SweepTable, metric: &str, px: usize, py: usize) -> Heatmap {
    let xs = table.distinct(px);
    let ys = table.distinct(py);
    let mut values = vec![vec![f64::NAN; xs.len()]; ys.len()];
    for row in &table.rows {
        let (Some(x), Some(y)) = (
            xs.iter().position(|v| *v == table.value(row, px)),
            ys.iter().position(|v| *v == table.value(row, py)),
        ) else {
            continue;
        };
        if let Some(e) = row.metrics.get(metric) {
            if values[y][x].is_nan() {
                values[y][x] = e.mean;
            }
        }
    }
    let mut map = Heatmap::new(
        metric,
        table.params[px].clone(),
        xs,
        table.params[py].clone(),
        ys,
    );
    map.title = format!("{metric}: {} × {}", table.params[px], table.params[py]);
    map.values = values;
    map
}

/// Every chart of a sweep: each metric against each varied parameter (against the first
/// parameter when none varies), and a heatmap per metric when exactly two vary.
pub fn sweep_charts(table: &SweepTable) -> Vec<SweepChart> {
    let mut charts = Vec::new();
    let mut used = BTreeSet::new();
    let mut unique = |stem: String| {
        let mut s = stem;
        while !used.insert(s.clone()) {
            s.push('_');
        }
        s
    };
    let varied = table.varied();
    let against = if varied.is_empty() && !table.params.is_empty() {
        vec![0]
    } else {
        varied.clone()
    };
    // Each store's figures (`stores.NAME.FIGURE`) share a chart per figure, a line per store.
    let mut families: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for metric in table.metrics() {
        let Some((store, figure)) = metric
            .strip_prefix("stores.")
            .and_then(|r| r.split_once('.'))
        else {
            continue;
        };
        let member = (store.to_string(), metric.clone());
        match families.iter_mut().find(|(f, _)| f == figure) {
            Some((_, members)) => members.push(member),
            None => families.push((figure.to_string(), vec![member])),
        }
    }
    for (figure, members) in &families {
        for &p in &against {
            // The first store's chart, with every store's lines, each named by its store.
            let mut chart = metric_chart(table, &members[0].1, p);
            chart.title = format!("{figure} against {} (a line per store)", table.params[p]);
            chart.y_label = figure.clone();
            chart.series.clear();
            for (store, metric) in members {
                for mut s in metric_chart(table, metric, p).series {
                    s.name = if s.name == *metric {
                        store.clone()
                    } else {
                        format!("{store}: {}", s.name)
                    };
                    chart.series.push(s);
                }
            }
            charts.push(SweepChart {
                stem: unique(format!(
                    "sweep-stores-{}-{}",
                    stem_of(figure),
                    stem_of(&table.params[p])
                )),
                caption: format!(
                    "Each store's {figure} against {}: mean (line and dots) and confidence \
                     interval (band and whiskers).",
                    table.params[p]
                ),
                chart: Chart::Param(chart),
            });
        }
    }
    for metric in table.metrics() {
        // A store's figure is drawn above, a line per store; its heatmap is its own.
        let against: &[usize] = if metric.starts_with("stores.") {
            &[]
        } else {
            &against
        };
        for &p in against {
            let chart = metric_chart(table, &metric, p);
            let lines = chart.series.len();
            charts.push(SweepChart {
                stem: unique(format!(
                    "sweep-{}-{}",
                    stem_of(&metric),
                    stem_of(&table.params[p])
                )),
                caption: format!(
                    "{metric} against {}: mean (line and dots) and confidence interval (band and \
                     whiskers){}.",
                    table.params[p],
                    if lines > 1 {
                        ", one line per value of the other parameters"
                    } else {
                        ""
                    }
                ),
                chart: Chart::Param(chart),
            });
        }
        if let [px, py] = varied[..] {
            charts.push(SweepChart {
                stem: unique(format!("heatmap-{}", stem_of(&metric))),
                caption: format!(
                    "{metric} (mean) over {} and {}; grey: no estimate.",
                    table.params[px], table.params[py]
                ),
                chart: Chart::Heatmap(metric_heatmap(table, &metric, px, py)),
            });
        }
    }
    charts
}

/// Writes the charts of [`sweep_charts`] into `dir` (created if needed) as SVG and PNG, and
/// `report.html` with the table and the charts. Returns the files written, the report last.
pub fn sweep_report(
    dir: &Path,
    table: &SweepTable,
    info: &SweepInfo,
) -> Result<Vec<PathBuf>, PlotError> {
    std::fs::create_dir_all(dir).map_err(|source| PlotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let title = if info.title.is_empty() {
        format!("{} — sweep report", info.scenario)
    } else {
        info.title.clone()
    };
    let mut page = Page::new(&title);
    let mut meta = vec![
        ("scenario", info.scenario.clone()),
        ("points", table.rows.len().to_string()),
    ];
    if !info.seeds.is_empty() {
        meta.push(("seeds", info.seeds.clone()));
    }
    if !info.interval.is_empty() {
        meta.push(("intervals", info.interval.clone()));
    }
    page.meta(&meta);
    for n in &info.notes {
        page.paragraph(n);
    }
    let metrics = table.metrics();
    page.heading("Results");
    let headers: Vec<&str> = table
        .params
        .iter()
        .map(String::as_str)
        .chain(metrics.iter().map(String::as_str))
        .collect();
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|r| {
            (0..table.params.len())
                .map(|p| table.value(r, p))
                .chain(metrics.iter().map(|m| match r.metrics.get(m) {
                    Some(e) => format!(
                        "{} [{}, {}]",
                        crate::style::sig3(e.mean),
                        crate::style::sig3(e.lo),
                        crate::style::sig3(e.hi)
                    ),
                    None => "–".into(),
                }))
                .collect()
        })
        .collect();
    page.table(&headers, &rows);
    page.note("Each cell: mean [interval low, high].");

    let mut written = Vec::new();
    let charts = sweep_charts(table);
    if !charts.is_empty() {
        page.heading("Charts");
    }
    if table.varied().len() > 2 {
        page.note(
            "More than two parameters vary: no heatmap (one is drawn when exactly two vary).",
        );
    }
    for c in &charts {
        let svg = format!("{}.svg", c.stem);
        let png = format!("{}.png", c.stem);
        c.chart.save(&dir.join(&svg))?;
        c.chart.save(&dir.join(&png))?;
        written.push(dir.join(&svg));
        written.push(dir.join(&png));
        page.figure(&svg, c.chart.title(), &c.caption, &[("PNG", &png)]);
    }
    let report = dir.join("report.html");
    write_file(&report, page.finish().as_bytes())?;
    written.push(report);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(values: &[&str], metrics: &[(&str, f64)]) -> SweepRow {
        SweepRow {
            values: values.iter().map(|v| v.to_string()).collect(),
            metrics: metrics
                .iter()
                .map(|&(k, m)| (k.to_string(), (m, m * 0.9, m * 1.1).into()))
                .collect(),
        }
    }

    fn two_by_two() -> SweepTable {
        SweepTable {
            params: vec!["workers".into(), "policy".into(), "fixed".into()],
            rows: vec![
                row(&["8", "none", "x"], &[("p99 (s)", 1.0)]),
                row(&["16", "none", "x"], &[("p99 (s)", 0.5)]),
                row(&["8", "breaker", "x"], &[("p99 (s)", 0.3)]),
                row(&["16", "breaker", "x"], &[("p99 (s)", 0.2)]),
            ],
        }
    }

    #[test]
    fn only_varied_parameters_get_charts_and_two_get_a_heatmap() {
        let t = two_by_two();
        assert_eq!(t.varied(), vec![0, 1]);
        let stems: Vec<String> = sweep_charts(&t).into_iter().map(|c| c.stem).collect();
        assert_eq!(
            stems,
            ["sweep-p99_s-workers", "sweep-p99_s-policy", "heatmap-p99_s"]
        );
        let c = metric_chart(&t, "p99 (s)", 0);
        assert_eq!(c.x, ParamAxis::Numeric);
        assert_eq!(c.series.len(), 2, "one line per policy");
        assert_eq!(c.series[0].name, "policy=none");
        let c = metric_chart(&t, "p99 (s)", 1);
        assert_eq!(
            c.x,
            ParamAxis::Categorical(vec!["none".into(), "breaker".into()])
        );
        let h = metric_heatmap(&t, "p99 (s)", 0, 1);
        assert_eq!(h.values, vec![vec![1.0, 0.5], vec![0.3, 0.2]]);
    }

    #[test]
    fn each_store_figure_gets_one_chart_with_a_line_per_store() {
        let t = SweepTable {
            params: vec!["clients".into()],
            rows: vec![
                row(&["10"], &[("stores.a.calls", 5.0), ("stores.b.calls", 9.0)]),
                row(
                    &["20"],
                    &[("stores.a.calls", 7.0), ("stores.b.calls", 30.0)],
                ),
            ],
        };
        let charts = sweep_charts(&t);
        assert_eq!(charts.len(), 1, "one chart for both stores");
        assert_eq!(charts[0].stem, "sweep-stores-calls-clients");
        let Chart::Param(c) = &charts[0].chart else {
            panic!("a parameter chart");
        };
        let names: Vec<&str> = c.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(c.series[1].points[1].mean, 30.0);
        assert_eq!(c.y_label, "calls");
    }

    #[test]
    fn degenerate_tables_never_panic() {
        let cases = [
            SweepTable::default(),
            SweepTable {
                params: vec!["a".into()],
                rows: vec![row(&["1"], &[("m", 1.0)])],
            },
            SweepTable {
                params: vec![],
                rows: vec![row(&[], &[("m", f64::NAN)])],
            },
            SweepTable {
                params: vec!["a".into(), "b".into()],
                rows: vec![row(&["1"], &[("m", 0.0)]), row(&["2", "x", "extra"], &[])],
            },
        ];
        for t in cases {
            for c in sweep_charts(&t) {
                c.chart.to_svg().unwrap();
            }
        }
    }
}
