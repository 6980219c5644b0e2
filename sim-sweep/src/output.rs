//! The files of a sweep directory, and how they are written.
//!
//! - `sweep.json`, the [`Manifest`]: written first; what the sweep is (resume and merge compare it).
//! - `points/00017.json`, a [`PointRecord`] per point: its assignments and every replication's
//!   metrics at full precision, written atomically (temporary file, then rename) as soon as the
//!   point's replications are all done.
//! - `results.csv`, `paired.csv`, `summary.json`: built only from the point files (see
//!   [`write_results`]), so an interrupted and resumed sweep, or shards merged, give exactly the
//!   bytes of an uninterrupted sweep.
//!
//! Numbers are written with Rust's shortest round-trip formatting (CSV) and serde_json's (JSON):
//! both are deterministic. No map with a random order is ever iterated.

use crate::error::{ManifestDifference, OutputError, PointMismatch};
use crate::metrics::{self, Metrics};
use crate::spec::Vary;
use crate::stats::{self, Estimate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What a sweep directory holds a sweep of (`sweep.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`Manifest::FORMAT`].
    pub format: String,
    /// The scenario file as named when the sweep started (informative: not compared).
    pub scenario: String,
    /// The scenario's name.
    pub scenario_name: String,
    /// FNV-1a hash of the scenario file's text.
    pub scenario_hash: String,
    /// `--set` overrides applied to every point.
    pub sets: Vec<String>,
    /// The varied fields and their values.
    pub vary: Vec<Vary>,
    /// Number of points in the whole grid.
    pub points: usize,
    /// The seed of each replication.
    pub seeds: Vec<u64>,
    /// The baseline point's index.
    pub baseline: usize,
    /// `K/N` for a shard; `null` for a whole sweep (or a merged one).
    pub shard: Option<String>,
}

impl Manifest {
    /// The format tag of this version of the files.
    pub const FORMAT: &'static str = "faultline-sweep/1";

    /// The first way `self` and `other` describe different sweeps, if any (the scenario's file
    /// name and the shard are not compared).
    pub fn differs_from(&self, other: &Manifest) -> Option<ManifestDifference> {
        let fields: [(&str, String, String); 8] = [
            ("format", json(&self.format), json(&other.format)),
            (
                "scenario_hash (the scenario file's text)",
                json(&self.scenario_hash),
                json(&other.scenario_hash),
            ),
            (
                "scenario_name",
                json(&self.scenario_name),
                json(&other.scenario_name),
            ),
            ("sets", json(&self.sets), json(&other.sets)),
            ("vary", json(&self.vary), json(&other.vary)),
            ("points", json(&self.points), json(&other.points)),
            ("seeds", json(&self.seeds), json(&other.seeds)),
            ("baseline", json(&self.baseline), json(&other.baseline)),
        ];
        fields
            .into_iter()
            .find(|(_, a, b)| a != b)
            .map(|(field, this, other)| ManifestDifference { field, this, other })
    }
}

/// A value as compact JSON, to compare and show manifest fields.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// One varied field's value at a point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// The field path.
    pub path: String,
    /// The value, as RON text.
    pub value: String,
}

/// One replication of a point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replication {
    /// The seed it ran with.
    pub seed: u64,
    /// Why the run ended (`end_time` when it reached its planned end).
    pub stop: String,
    /// Its metrics.
    pub metrics: Metrics,
}

/// A finished point (`points/NNNNN.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointRecord {
    /// The point's index.
    pub point: usize,
    /// Its varied values, in vary order.
    pub assignments: Vec<Assignment>,
    /// Every replication, in seed order.
    pub replications: Vec<Replication>,
}

/// `DIR/points/00017.json`.
pub fn point_path(dir: &Path, index: usize) -> PathBuf {
    dir.join("points").join(format!("{index:05}.json"))
}

/// Writes `content` to `path` through a temporary file and a rename, so a reader (or a sweep
/// killed half-way) never sees half a file.
pub fn write_atomic(path: &Path, content: &str) -> Result<(), OutputError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let fail = |source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(&tmp, content).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

/// The text of a JSON file (pretty, with a final newline).
pub fn to_json<T: Serialize>(value: &T) -> String {
    // Plain data with string keys: serialising cannot fail.
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// Reads and parses a JSON file, saying which file is wrong and why.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, OutputError> {
    let text = std::fs::read_to_string(path).map_err(|source| OutputError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| OutputError::Format {
        path: path.to_path_buf(),
        source,
    })
}

/// The assignments of point `index` of the grid the manifest describes.
pub fn expected_assignments(vary: &[Vary], index: usize) -> Vec<Assignment> {
    let mut rest = index;
    let mut out: Vec<Assignment> = vary
        .iter()
        .rev()
        .map(|v| {
            let k = rest % v.values.len().max(1);
            rest /= v.values.len().max(1);
            Assignment {
                path: v.path.clone(),
                value: v.values.get(k).cloned().unwrap_or_default(),
            }
        })
        .collect();
    out.reverse();
    out
}

/// Whether a point file is the finished point `index` of the sweep the manifest describes.
pub fn record_fits(
    record: &PointRecord,
    manifest: &Manifest,
    index: usize,
) -> Result<(), PointMismatch> {
    if record.point != index {
        return Err(PointMismatch::OtherPoint {
            found: record.point,
        });
    }
    if record.assignments != expected_assignments(&manifest.vary, index) {
        return Err(PointMismatch::OtherValues);
    }
    let seeds: Vec<u64> = record.replications.iter().map(|r| r.seed).collect();
    if seeds != manifest.seeds {
        return Err(PointMismatch::OtherSeeds {
            found: seeds,
            expected: manifest.seeds.clone(),
        });
    }
    Ok(())
}

/// Reads every point of the sweep from `dir`'s point files, checking each against the manifest.
pub fn read_points(dir: &Path, manifest: &Manifest) -> Result<Vec<PointRecord>, OutputError> {
    (0..manifest.points)
        .map(|i| {
            let path = point_path(dir, i);
            let record: PointRecord = read_json(&path)?;
            record_fits(&record, manifest, i).map_err(|mismatch| OutputError::NotThePoint {
                path: path.clone(),
                point: i,
                mismatch,
            })?;
            Ok(record)
        })
        .collect()
}

/// A CSV cell: quoted if it holds a comma, a quote or a line break.
fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

/// Per point: each metric's estimate, and its paired difference from the baseline.
struct PointStats {
    estimates: BTreeMap<String, Estimate>,
    paired: BTreeMap<String, Estimate>,
}

/// The metric's value in each replication (`None` where a run lacks it).
fn column(record: &PointRecord, metric: &str) -> Vec<Option<f64>> {
    record
        .replications
        .iter()
        .map(|r| r.metrics.get(metric).copied())
        .collect()
}

#[derive(Serialize)]
struct SummaryPoint<'a> {
    point: usize,
    assignments: &'a [Assignment],
    metrics: &'a BTreeMap<String, Estimate>,
    paired: &'a BTreeMap<String, Estimate>,
}

#[derive(Serialize)]
struct Summary<'a> {
    format: &'a str,
    scenario: &'a str,
    scenario_hash: &'a str,
    sets: &'a [String],
    vary: &'a [Vary],
    seeds: &'a [u64],
    confidence: f64,
    baseline: usize,
    metrics: &'a [String],
    points: Vec<SummaryPoint<'a>>,
}

/// Writes `results.csv`, `paired.csv` and `summary.json` into `dir` from the point records
/// (every point of the sweep, in index order).
///
/// - `results.csv`: one row per point: `point`, the varied values (one column per path), then
///   for each metric `<metric>.mean`, `<metric>.ci_low`, `<metric>.ci_high` (95% Student t;
///   empty with fewer than two replications, or where no run had the metric).
/// - `paired.csv`: the same layout for the paired differences from the baseline point:
///   `<metric>.diff_mean`, `<metric>.diff_ci_low`, `<metric>.diff_ci_high`.
/// - `summary.json`: the sweep (scenario, sets, vary, seeds, baseline) and per point and metric
///   `n`, `mean`, `stddev`, `ci_low`, `ci_high`, and the paired difference likewise.
///
/// Metrics are in [`metrics::ordered`] order: headline figures first.
pub fn write_results(
    dir: &Path,
    manifest: &Manifest,
    records: &[PointRecord],
) -> Result<(), OutputError> {
    let names: BTreeSet<&String> = records
        .iter()
        .flat_map(|r| r.replications.iter().flat_map(|rep| rep.metrics.keys()))
        .collect();
    let names = metrics::ordered(names);
    let Some(base) = records.get(manifest.baseline) else {
        return Err(OutputError::NoBaseline {
            baseline: manifest.baseline,
            points: records.len(),
        });
    };
    let stats: Vec<PointStats> = records
        .iter()
        .map(|r| PointStats {
            estimates: names
                .iter()
                .filter_map(|m| {
                    let xs: Vec<f64> = column(r, m).into_iter().flatten().collect();
                    Some((m.clone(), stats::estimate(&xs)?))
                })
                .collect(),
            paired: names
                .iter()
                .filter_map(|m| Some((m.clone(), stats::paired(&column(r, m), &column(base, m))?)))
                .collect(),
        })
        .collect();

    let header = |suffixes: [&str; 3]| {
        let mut h = String::from("point");
        for v in &manifest.vary {
            h.push(',');
            h += &cell(&v.path);
        }
        for m in &names {
            for s in suffixes {
                h.push(',');
                h += &cell(&format!("{m}.{s}"));
            }
        }
        h + "\n"
    };
    let table = |suffixes: [&str; 3], pick: &dyn Fn(&PointStats) -> &BTreeMap<String, Estimate>| {
        let mut out = header(suffixes);
        for (r, st) in records.iter().zip(&stats) {
            out += &r.point.to_string();
            for a in &r.assignments {
                out.push(',');
                out += &cell(&a.value);
            }
            for m in &names {
                let e = pick(st).get(m);
                let _ = write!(
                    out,
                    ",{},{},{}",
                    num(e.map(|e| e.mean)),
                    num(e.and_then(|e| e.ci_low)),
                    num(e.and_then(|e| e.ci_high))
                );
            }
            out.push('\n');
        }
        out
    };
    write_atomic(
        &dir.join("results.csv"),
        &table(["mean", "ci_low", "ci_high"], &|s| &s.estimates),
    )?;
    write_atomic(
        &dir.join("paired.csv"),
        &table(["diff_mean", "diff_ci_low", "diff_ci_high"], &|s| &s.paired),
    )?;
    let summary = Summary {
        format: Manifest::FORMAT,
        scenario: &manifest.scenario_name,
        scenario_hash: &manifest.scenario_hash,
        sets: &manifest.sets,
        vary: &manifest.vary,
        seeds: &manifest.seeds,
        confidence: stats::LEVEL,
        baseline: manifest.baseline,
        metrics: &names,
        points: records
            .iter()
            .zip(&stats)
            .map(|(r, s)| SummaryPoint {
                point: r.point,
                assignments: &r.assignments,
                metrics: &s.estimates,
                paired: &s.paired,
            })
            .collect(),
    };
    write_atomic(&dir.join("summary.json"), &to_json(&summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_with_commas_or_quotes_are_quoted() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("Constant(\"1s\")"), "\"Constant(\"\"1s\"\")\"");
        assert_eq!(cell("a,b"), "\"a,b\"");
    }

    #[test]
    fn expected_assignments_follow_the_grid_order() {
        let vary = vec![
            Vary {
                path: "a".into(),
                values: vec!["1".into(), "2".into()],
            },
            Vary {
                path: "b".into(),
                values: vec!["x".into(), "y".into(), "z".into()],
            },
        ];
        for p in crate::grid::points(&vary) {
            let a: Vec<(String, String)> = expected_assignments(&vary, p.index)
                .into_iter()
                .map(|a| (a.path, a.value))
                .collect();
            assert_eq!(a, p.assignments);
        }
    }
}
