//! The charts and `report.html` of a finished sweep, drawn from its `results.csv`.
//!
//! The report is built from the result file, as the result file is built from the point
//! files, so a merged or resumed sweep draws exactly what an uninterrupted one does. It charts
//! the headline metrics (`goodput`, `p99`, `amplification`, …, and each store's lost writes,
//! unavailability, p99 and read-modify-write work) against each varied field with their 95%
//! intervals, and a heatmap of each when exactly two fields vary; every other metric is in
//! `results.csv`.

use crate::Failure;
use sim_plot::{sweep_report, SweepInfo, SweepRow, SweepTable};
use std::path::Path;

/// Splits one CSV line into cells (cells with commas or quotes are quoted, quotes doubled).
fn cells(line: &str) -> Vec<String> {
    let (mut out, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    out.push(cell);
    out
}

/// The unit a headline metric is shown with.
fn labelled(metric: &str) -> String {
    match metric {
        "goodput" => "goodput (answers/s)".into(),
        "p50" | "p90" | "p99" | "p999" | "mean_latency" => format!("{metric} (s)"),
        "amplification" => "amplification (attempts per request)".into(),
        other => other.into(),
    }
}

/// How a varied field is named on a chart: fields varied together (`a.x+b.x`) by what they
/// share (`x (2 fields)`), or by the first of them.
fn named(param: &str) -> String {
    let paths: Vec<&str> = param.split('+').collect();
    if paths.len() == 1 {
        return param.to_string();
    }
    let split: Vec<Vec<&str>> = paths.iter().map(|p| p.split('.').collect()).collect();
    let mut shared: Vec<&str> = Vec::new();
    for k in 1.. {
        let Some(part) = split[0].len().checked_sub(k).map(|i| split[0][i]) else {
            break;
        };
        if split.iter().all(|s| s.len() >= k && s[s.len() - k] == part) {
            shared.insert(0, part);
        } else {
            break;
        }
    }
    let n = paths.len();
    if shared.is_empty() {
        format!("{} and {} more", paths[0], n - 1)
    } else {
        format!("{} ({n} fields)", shared.join("."))
    }
}

/// Reads `dir/results.csv` into the plot crate's plain table (headline metrics only).
fn table(csv: &str) -> Result<SweepTable, String> {
    let mut lines = csv.lines();
    let header = cells(lines.next().ok_or("results.csv is empty")?);
    let first_metric = header
        .iter()
        .position(|h| h.ends_with(".mean"))
        .ok_or("results.csv has no metric columns")?;
    let params = header[1..first_metric].iter().map(|p| named(p)).collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let columns = |m: &str| {
        Some([
            column(&format!("{m}.mean"))?,
            column(&format!("{m}.ci_low"))?,
            column(&format!("{m}.ci_high"))?,
        ])
    };
    let number = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    let lines: Vec<Vec<String>> = lines.filter(|l| !l.is_empty()).map(cells).collect();
    // Each store's headline figures, store by store in the order the file lists them.
    let mut stores: Vec<&str> = Vec::new();
    for h in &header {
        if let Some(name) = h.strip_prefix("stores.").and_then(|r| r.split('.').next()) {
            if !stores.contains(&name) {
                stores.push(name);
            }
        }
    }
    // Figures zero at every point: a scenario of stores alone has no services.
    let flat_zero = |cols: &[usize; 3]| {
        lines
            .iter()
            .all(|c| c.get(cols[0]).is_none_or(|v| number(v) == 0.0))
    };
    let mut metrics: Vec<(String, [usize; 3])> = sim_sweep::metrics::HEADLINE
        .iter()
        .filter_map(|m| Some((labelled(m), columns(m)?)))
        .filter(|(_, cols)| stores.is_empty() || !flat_zero(cols))
        .collect();
    for store in &stores {
        for m in sim_sweep::metrics::STORE_HEADLINE {
            let name = format!("stores.{store}.{m}");
            // A figure that stays zero throughout (no lost writes anywhere) says so in
            // results.csv; a chart of it would only add noise.
            if let Some(cols) = columns(&name).filter(|c| !flat_zero(c)) {
                metrics.push((name, cols));
            }
        }
    }
    let rows = lines
        .into_iter()
        .map(|c| {
            let at = |i: usize| c.get(i).map_or(f64::NAN, |s| number(s));
            SweepRow {
                values: c.get(1..first_metric).unwrap_or_default().to_vec(),
                metrics: metrics
                    .iter()
                    .map(|(name, [m, lo, hi])| (name.clone(), (at(*m), at(*lo), at(*hi)).into()))
                    .collect(),
            }
        })
        .collect();
    Ok(SweepTable { params, rows })
}

/// Draws the sweep in `dir` (which holds its `results.csv`) and writes `report.html`.
pub(crate) fn write(dir: &Path, scenario: &str, seeds: &str) -> Result<usize, Failure> {
    let path = dir.join("results.csv");
    let csv = std::fs::read_to_string(&path)
        .map_err(|e| Failure::Internal(format!("error: cannot read {}: {e}", path.display())))?;
    let table =
        table(&csv).map_err(|e| Failure::Internal(format!("error: {}: {e}", path.display())))?;
    let info = SweepInfo {
        title: String::new(),
        scenario: scenario.to_string(),
        seeds: seeds.to_string(),
        interval: "95% Student-t over the replications".into(),
        notes: vec![
            "Every metric of every point, with paired differences against the baseline, is in results.csv and paired.csv.".into(),
        ],
    };
    let files = sweep_report(dir, &table, &info)
        .map_err(|e| Failure::Internal(format!("error: sweep report: {e}")))?;
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_varied_together_are_named_by_what_they_share() {
        assert_eq!(
            named("stores.a.clients.0.processes+stores.b.clients.0.processes"),
            "clients.0.processes (2 fields)"
        );
        assert_eq!(named("a.x+b.y"), "a.x and 1 more");
        assert_eq!(named("services.db.workers"), "services.db.workers");
    }

    #[test]
    fn a_store_sweep_charts_each_stores_figures_and_not_the_absent_services() {
        let csv = "point,stores.kv.replication,goodput.mean,goodput.ci_low,goodput.ci_high,\
stores.kv.lost_acked_writes.mean,stores.kv.lost_acked_writes.ci_low,stores.kv.lost_acked_writes.ci_high
0,Async,0,0,0,300,250,350
1,Quorum,0,0,0,0,0,0
";
        let t = table(csv).unwrap();
        let names: Vec<&String> = t.rows[0].metrics.keys().collect();
        assert_eq!(names, ["stores.kv.lost_acked_writes"]);
        assert_eq!(t.rows[0].metrics["stores.kv.lost_acked_writes"].mean, 300.0);
    }

    #[test]
    fn quoted_cells_keep_their_commas_and_quotes() {
        assert_eq!(
            cells(r#"1,"Exponential(base: ""5ms"", cap: ""10ms"")",3"#),
            vec!["1", r#"Exponential(base: "5ms", cap: "10ms")"#, "3"]
        );
    }

    #[test]
    fn a_results_file_becomes_one_row_per_point_with_headline_intervals() {
        let csv = "point,a,goodput.mean,goodput.ci_low,goodput.ci_high,x.mean,x.ci_low,x.ci_high\n\
                   0,1,10,9,11,5,4,6\n1,2,20,,22,5,4,6\n";
        let t = table(csv).unwrap();
        assert_eq!(t.params, vec!["a"]);
        assert_eq!(t.rows.len(), 2);
        let g = t.rows[1].metrics["goodput (answers/s)"];
        assert_eq!((g.mean, g.hi), (20.0, 22.0));
        assert!(g.lo.is_nan(), "an empty interval end is not a number");
        assert!(
            !t.rows[0].metrics.contains_key("x"),
            "only headline metrics are drawn"
        );
    }
}
