//! A sweep checked against its scenario: every point loaded and checked before anything runs.

use crate::grid::{self, Point};
use crate::output::Manifest;
use crate::spec::{Baseline, SweepSpec};
use crate::SweepError;
use sim_models::{
    closest_field_paths, field_paths, load_scenario_str_with, LoadError, LoadedScenario, Scenario,
};

/// One point with its scenario, overrides and varied values applied and checked.
#[derive(Clone, Debug)]
pub struct PlannedPoint {
    /// Its index and assignments.
    pub point: Point,
    /// The scenario to run.
    pub scenario: Scenario,
}

/// A sweep ready to run: the points, the seeds and the baseline, all checked.
#[derive(Clone, Debug)]
pub struct Plan {
    /// What was asked for.
    pub spec: SweepSpec,
    /// Every point of the grid, in index order.
    pub points: Vec<PlannedPoint>,
    /// The seed of each replication: `seeds[i] = scenario seed + i` (wrapping), the scenario
    /// seed being the file's `seed` after the `--set` overrides. Replication `i` of every point
    /// uses `seeds[i]`: common random numbers, as every component draws from its own stream
    /// derived from the seed and its name.
    pub seeds: Vec<u64>,
    /// Index of the baseline point for paired differences.
    pub baseline: usize,
    /// Warnings the scenario raised (located), for the caller to show.
    pub warnings: Vec<String>,
}

/// FNV-1a, 64 bits: a stable fingerprint of the scenario text for the manifest.
pub fn text_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

/// A loader error in the user's words: overrides that came from `--vary` are called so.
fn load_error(e: LoadError, context: &str, varied: &[String]) -> SweepError {
    let flag = |arg: &str| {
        if varied.iter().any(|v| v == arg) {
            "--vary"
        } else {
            "--set"
        }
    };
    let lines: Vec<String> = match e {
        LoadError::Io { .. } | LoadError::TooLarge { .. } => vec![e.to_string()],
        LoadError::Set { arg, message } => vec![format!("{} {arg}: {message}", flag(&arg))],
        LoadError::Invalid(errors) => errors
            .into_iter()
            .map(|e| match &e.set_arg {
                Some(arg) => {
                    let path = if e.path.is_empty() {
                        String::new()
                    } else {
                        format!(" {}:", e.path)
                    };
                    format!("{} ({} {arg}):{path} {}", e.file, flag(arg), e.message)
                }
                None => e.to_string(),
            })
            .collect(),
    };
    SweepError::Input(
        lines
            .into_iter()
            .map(|l| format!("{context}{l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

impl Plan {
    /// Checks `spec` against its scenario: the overrides, each varied path (a path that names
    /// no field is an error naming the closest ones), each value on its own, then each point
    /// (a combination may be invalid when its values are not, e.g. a warm-up longer than a
    /// varied duration), and the baseline.
    pub fn new(spec: SweepSpec) -> Result<Plan, SweepError> {
        let (base, warnings) = check_vary(&spec)?;
        let (file, text) = (spec.scenario_file.as_str(), spec.scenario_text.as_str());
        let n = grid::count(&spec.vary).map_err(SweepError::Input)?;
        let mut points = Vec::with_capacity(n);
        for point in grid::points(&spec.vary) {
            let varied = point.sets();
            let sets: Vec<String> = spec.sets.iter().chain(&varied).cloned().collect();
            let context = format!("point {} ({}): ", point.index, point.describe());
            let mut scenario = load_scenario_str_with(file, text, &sets, &spec.load)
                .map_err(|e| load_error(e, &context, &varied))?
                .scenario;
            if scenario.name.is_empty() {
                scenario.name = scenario_stem(file);
            }
            points.push(PlannedPoint { point, scenario });
        }
        let baseline = resolve_baseline(&spec.baseline, &spec, &points)?;
        let seeds = (0..spec.seeds)
            .map(|i| base.scenario.seed.wrapping_add(i))
            .collect();
        Ok(Plan {
            spec,
            points,
            seeds,
            baseline,
            warnings,
        })
    }

    /// The scenario's name (the file's stem when it has none).
    pub fn scenario_name(&self) -> String {
        self.points
            .first()
            .map(|p| p.scenario.name.clone())
            .unwrap_or_default()
    }

    /// The manifest describing this sweep (for the whole grid, or one shard of it).
    pub fn manifest(&self, shard: Option<grid::Shard>) -> Manifest {
        Manifest {
            format: Manifest::FORMAT.into(),
            scenario: self.spec.scenario_file.clone(),
            scenario_name: self.scenario_name(),
            scenario_hash: text_hash(&self.spec.scenario_text),
            sets: self.spec.sets.clone(),
            vary: self.spec.vary.clone(),
            points: self.points.len(),
            seeds: self.seeds.clone(),
            baseline: self.baseline,
            shard: shard.map(|s| s.to_string()),
        }
    }
}

fn scenario_stem(file: &str) -> String {
    std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn resolve_baseline(
    baseline: &Baseline,
    spec: &SweepSpec,
    points: &[PlannedPoint],
) -> Result<usize, SweepError> {
    let bad = |m: String| Err(SweepError::Input(format!("--baseline: {m}")));
    match baseline {
        Baseline::Index(i) if *i < points.len() => Ok(*i),
        Baseline::Index(i) => bad(format!(
            "point {i} does not exist: the sweep has points 0 to {}",
            points.len() - 1
        )),
        Baseline::At(at) => {
            for (path, value) in at {
                let Some(v) = spec.vary.iter().find(|v| &v.path == path) else {
                    let varied: Vec<&str> = spec.vary.iter().map(|v| v.path.as_str()).collect();
                    return bad(format!(
                        "`{path}` is not varied (varied: {})",
                        varied.join(", ")
                    ));
                };
                if !v.values.contains(value) {
                    return bad(format!(
                        "`{path}` never takes the value `{value}` (its values: {})",
                        v.values.join(", ")
                    ));
                }
            }
            let matching: Vec<usize> = points
                .iter()
                .filter(|p| {
                    at.iter().all(|(path, value)| {
                        p.point
                            .assignments
                            .iter()
                            .any(|(q, w)| q == path && w == value)
                    })
                })
                .map(|p| p.point.index)
                .collect();
            match matching.as_slice() {
                [one] => Ok(*one),
                _ => {
                    let missing: Vec<&str> = spec
                        .vary
                        .iter()
                        .filter(|v| !at.iter().any(|(p, _)| p == &v.path))
                        .map(|v| v.path.as_str())
                        .collect();
                    bad(format!(
                        "matches {} points; give a value for {} too",
                        matching.len(),
                        missing.join(", ")
                    ))
                }
            }
        }
    }
}

/// Checks `spec`'s overrides, each varied path (a path that names no field is an error naming
/// the closest ones) and each value on its own, without building the grid: what a sweep checks
/// before its points, and all a search over a space too large to list checks up front.
/// Returns the scenario with the overrides only, and its warnings.
pub fn check_vary(spec: &SweepSpec) -> Result<(LoadedScenario, Vec<String>), SweepError> {
    let file = spec.scenario_file.as_str();
    let text = spec.scenario_text.as_str();
    let base = load_scenario_str_with(file, text, &spec.sets, &spec.load)
        .map_err(|e| load_error(e, "", &[]))?;
    let warnings = base.warnings.iter().map(|w| w.to_string()).collect();
    let known = field_paths(&base.text);
    for v in &spec.vary {
        if v.path == "seed" {
            return Err(SweepError::Input(
                "--vary seed: replications take their seeds from --seeds (seed + 0, 1, …); varying the scenario's seed would change nothing".into(),
            ));
        }
        // A path is known, or lies under a known field with no fields listed below it: one
        // the text leaves out, whose own fields the loader checks when it inserts it.
        let under_absent = v.path.match_indices('.').any(|(i, _)| {
            let parent = &v.path[..=i];
            known.iter().any(|k| k == &v.path[..i]) && !known.iter().any(|k| k.starts_with(parent))
        });
        if !known.iter().any(|k| k == &v.path) && !under_absent {
            let hint = closest_field_paths(&base.text, &v.path);
            let mut msg = format!(
                "--vary {}: the scenario {file} has no field `{}`",
                v.path, v.path
            );
            if !hint.is_empty() {
                let hint: Vec<String> = hint.iter().map(|h| format!("`{h}`")).collect();
                msg += &format!("; did you mean {}?", hint.join(" or "));
            }
            return Err(SweepError::Input(msg));
        }
        for value in &v.values {
            let arg = format!("{}={value}", v.path);
            let sets: Vec<String> = spec.sets.iter().cloned().chain([arg.clone()]).collect();
            load_scenario_str_with(file, text, &sets, &spec.load).map_err(|e| {
                let context = format!("with --vary {arg}: ");
                match load_error(e, "", std::slice::from_ref(&arg)) {
                    SweepError::Input(m) if !m.contains(&format!("--vary {arg}")) => {
                        SweepError::Input(format!("{context}{m}"))
                    }
                    other => other,
                }
            })?;
        }
    }
    Ok((base, warnings))
}
