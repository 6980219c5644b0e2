//! A sweep checked against its scenario: every point loaded and checked before anything runs.

use crate::error::{PlanError, SweepError};
use crate::grid::{self, Point};
use crate::output::Manifest;
use crate::spec::{Baseline, SweepSpec};
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

/// Grids up to this many points have every point loaded and checked before anything runs;
/// larger ones check each value on its own up front and each combination as it runs.
pub const CHECK_AHEAD_POINTS: usize = 10_000;

/// A sweep ready to run: the count of points, the seeds and the baseline, all checked. Points
/// are made as they run ([`Plan::point`]), so a plan costs the same for 2 points as for a
/// million.
#[derive(Clone, Debug)]
pub struct Plan {
    /// What was asked for.
    pub spec: SweepSpec,
    /// How many points the grid has.
    pub points: usize,
    /// The seed of each replication: `seeds[i] = scenario seed + i` (wrapping), the scenario
    /// seed being the file's `seed` after the `--set` overrides. Replication `i` of every point
    /// uses `seeds[i]`: common random numbers, as every component draws from its own stream
    /// derived from the seed and its name. At most [`crate::spec::MAX_SEEDS`].
    pub seeds: Vec<u64>,
    /// Index of the baseline point for paired differences.
    pub baseline: usize,
    /// Warnings the scenario raised (located), for the caller to show.
    pub warnings: Vec<String>,
    /// The scenario's name (the file's stem when it has none).
    pub name: String,
    /// Whether every point was loaded and checked up front (grids up to
    /// [`CHECK_AHEAD_POINTS`]); otherwise a bad combination stops the sweep when it is reached.
    pub checked_ahead: bool,
    /// What sizes the sweep's memory: the largest run and the results of one run.
    pub sizes: crate::memory::RunSizes,
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

/// A loader error in the user's words, one line per problem: overrides that came from
/// `--vary` are called so.
fn load_problems(e: LoadError, varied: &[String]) -> Vec<String> {
    let flag = |arg: &str| {
        if varied.iter().any(|v| v == arg) {
            "--vary"
        } else {
            "--set"
        }
    };
    match e {
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
    }
}

impl Plan {
    /// Checks `spec` against its scenario: the counts, the overrides, each varied path (a path
    /// that names no field is an error naming the closest ones), each value on its own, then —
    /// for grids up to [`CHECK_AHEAD_POINTS`] — each point (a combination may be invalid when
    /// its values are not, e.g. a warm-up longer than a varied duration), and the baseline.
    /// Nothing here grows with the number of points or replications but the seed list.
    pub fn new(spec: SweepSpec) -> Result<Plan, SweepError> {
        spec.check_counts()?;
        let (base, warnings, single) = check_values(&spec)?;
        let points = grid::count(&spec.vary)?;
        let name = if base.scenario.name.is_empty() {
            scenario_stem(&spec.scenario_file)
        } else {
            base.scenario.name.clone()
        };
        let mut sizes = crate::memory::RunSizes::probe(&base.scenario)?;
        sizes.widen(single);
        let checked_ahead = points <= CHECK_AHEAD_POINTS;
        if checked_ahead {
            for index in 0..points {
                let planned = point_of(&spec, &name, index)?;
                sizes.widen(planned.scenario.memory_estimate().total);
            }
        }
        let baseline = resolve_baseline(&spec.baseline, &spec, points)?;
        let seeds = (0..spec.seeds)
            .map(|i| base.scenario.seed.wrapping_add(i))
            .collect();
        Ok(Plan {
            spec,
            points,
            seeds,
            baseline,
            warnings,
            name,
            checked_ahead,
            sizes,
        })
    }

    /// Point `index` with its scenario loaded and checked (the caller keeps `index` below
    /// [`Plan::points`]).
    pub fn point(&self, index: usize) -> Result<PlannedPoint, PlanError> {
        point_of(&self.spec, &self.name, index)
    }

    /// The scenario's name (the file's stem when it has none).
    pub fn scenario_name(&self) -> String {
        self.name.clone()
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
            points: self.points,
            seeds: self.seeds.clone(),
            baseline: self.baseline,
            shard: shard.map(|s| s.to_string()),
        }
    }
}

/// Point `index` of `spec`'s grid, loaded through the `--set` machinery and checked.
fn point_of(spec: &SweepSpec, name: &str, index: usize) -> Result<PlannedPoint, PlanError> {
    let point = grid::point(&spec.vary, index);
    let varied = point.sets();
    let sets: Vec<String> = spec.sets.iter().chain(&varied).cloned().collect();
    let mut scenario =
        load_scenario_str_with(&spec.scenario_file, &spec.scenario_text, &sets, &spec.load)
            .map_err(|e| PlanError::Point {
                index: point.index,
                values: point.describe(),
                problems: load_problems(e, &varied),
            })?
            .scenario;
    if scenario.name.is_empty() {
        scenario.name = name.to_string();
    }
    Ok(PlannedPoint { point, scenario })
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
    points: usize,
) -> Result<usize, PlanError> {
    match baseline {
        Baseline::Index(i) if *i < points => Ok(*i),
        Baseline::Index(i) => Err(PlanError::NoSuchBaseline { index: *i, points }),
        Baseline::At(at) => {
            let mut positions = Vec::with_capacity(spec.vary.len());
            for (path, _) in at {
                if !spec.vary.iter().any(|v| &v.path == path) {
                    return Err(PlanError::BaselineNotVaried {
                        path: path.clone(),
                        varied: spec.vary.iter().map(|v| v.path.clone()).collect(),
                    });
                }
            }
            let mut missing = Vec::new();
            for v in &spec.vary {
                let given: Vec<&String> = at
                    .iter()
                    .filter(|(p, _)| p == &v.path)
                    .map(|(_, value)| value)
                    .collect();
                let mut found = None;
                for value in &given {
                    match v.values.iter().position(|x| x == *value) {
                        None => {
                            return Err(PlanError::BaselineValue {
                                path: v.path.clone(),
                                value: value.to_string(),
                                values: v.values.clone(),
                            })
                        }
                        Some(k) if found.is_some_and(|f| f != k) => {
                            return Err(PlanError::BaselineTwoValues {
                                path: v.path.clone(),
                            })
                        }
                        Some(k) => found = Some(k),
                    }
                }
                match found {
                    Some(k) => positions.push(k),
                    None => missing.push(v),
                }
            }
            if missing.is_empty() {
                return Ok(grid::index_of(&spec.vary, &positions));
            }
            Err(PlanError::BaselineAmbiguous {
                matching: missing
                    .iter()
                    .fold(1usize, |n, v| n.saturating_mul(v.values.len())),
                missing: missing.iter().map(|v| v.path.clone()).collect(),
            })
        }
    }
}

/// Checks `spec`'s overrides, each varied path (a path that names no field is an error naming
/// the closest ones) and each value on its own, without building the grid: what a sweep checks
/// before its points, and all a search over a space too large to list checks up front.
/// Returns the scenario with the overrides only, and its warnings.
pub fn check_vary(spec: &SweepSpec) -> Result<(LoadedScenario, Vec<String>), PlanError> {
    check_values(spec).map(|(base, warnings, _)| (base, warnings))
}

/// [`check_vary`], and the most memory a run needs with any one value on its own.
fn check_values(spec: &SweepSpec) -> Result<(LoadedScenario, Vec<String>, u64), PlanError> {
    let file = spec.scenario_file.as_str();
    let text = spec.scenario_text.as_str();
    let base = load_scenario_str_with(file, text, &spec.sets, &spec.load).map_err(|e| {
        PlanError::Scenario {
            problems: load_problems(e, &[]),
        }
    })?;
    let warnings = base.warnings.iter().map(|w| w.to_string()).collect();
    let known = field_paths(&base.text);
    let mut single = 0;
    for v in &spec.vary {
        if v.paths().any(|p| p == "seed") {
            return Err(PlanError::VariedSeed);
        }
        for path in v.paths() {
            // A path is known, or lies under a known field with no fields listed below it:
            // one the text leaves out, whose own fields the loader checks when it inserts it.
            let under_absent = path.match_indices('.').any(|(i, _)| {
                let parent = &path[..=i];
                known.iter().any(|k| k == &path[..i])
                    && !known.iter().any(|k| k.starts_with(parent))
            });
            if !known.iter().any(|k| k == path) && !under_absent {
                return Err(PlanError::UnknownField {
                    path: path.to_string(),
                    file: file.into(),
                    suggestions: closest_field_paths(&base.text, path),
                });
            }
        }
        for value in &v.values {
            let arg = format!("{}={value}", v.path);
            let sets: Vec<String> = spec.sets.iter().cloned().chain(v.sets(value)).collect();
            let one = load_scenario_str_with(file, text, &sets, &spec.load).map_err(|e| {
                PlanError::Value {
                    problems: load_problems(e, std::slice::from_ref(&arg)),
                    arg: arg.clone(),
                }
            })?;
            single = single.max(one.scenario.memory_estimate().total);
        }
    }
    Ok((base, warnings, single))
}
