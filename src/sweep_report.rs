//! The charts and `report.html` of a finished sweep, drawn from its `results.csv`.
//!
//! The report is built from the result file, as the result file is built from the point
//! files, so a merged or resumed sweep draws exactly what an uninterrupted one does. It charts
//! the headline metrics (`goodput`, `p99`, `amplification`, …) against each varied field with
//! their 95% intervals, and a heatmap of each when exactly two fields vary; every other metric
//! is in `results.csv`.

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

/// Reads `dir/results.csv` into the plot crate's plain table (headline metrics only).
fn table(csv: &str) -> Result<SweepTable, String> {
    let mut lines = csv.lines();
    let header = cells(lines.next().ok_or("results.csv is empty")?);
    let first_metric = header
        .iter()
        .position(|h| h.ends_with(".mean"))
        .ok_or("results.csv has no metric columns")?;
    let params = header[1..first_metric].to_vec();
    let column = |name: &str| header.iter().position(|h| h == name);
    let metrics: Vec<(String, [usize; 3])> = sim_sweep::metrics::HEADLINE
        .iter()
        .filter_map(|m| {
            let cols = [
                column(&format!("{m}.mean"))?,
                column(&format!("{m}.ci_low"))?,
                column(&format!("{m}.ci_high"))?,
            ];
            Some((labelled(m), cols))
        })
        .collect();
    let number = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            let c = cells(line);
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
