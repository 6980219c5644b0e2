//! The tuner: the values of a few parameters that optimise one metric while others respect
//! their limits, judged over replications.
//!
//! # Input
//!
//! - A space: [`Parameter`]s, each with a list of candidate values (strings, interpreted by the
//!   caller). A *point* is one value index per parameter.
//! - An [`Objective`] (`max goodput`, `min p99`) and [`Constraint`]s (`p99 < 500ms`,
//!   `error_rate <= 1%`), parsed from the command line's text.
//! - `evaluate(point, replication)`: runs the point once and returns its metrics by name. It
//!   must be `Sync`: evaluations run in parallel (rayon). Replication `i` must mean the same
//!   seed for every point (common random numbers), so that points are compared on the same
//!   luck; the caller maps replications to seeds.
//!
//! # Algorithm
//!
//! - **Grid** when the space has at most [`TuneOptions::grid_limit`] points (64 by default):
//!   every point, [`TuneOptions::replications`] replications each (20 by default).
//! - **Random search with successive halving** otherwise: [`TuneOptions::candidates`] distinct
//!   points (64) drawn uniformly from the space with a ChaCha8 generator seeded by
//!   [`TuneOptions::seed`]; each gets [`TuneOptions::initial_replications`] (3); then, round
//!   after round, the better half is kept and its replications are doubled (only the new ones
//!   are run), until the replications reach [`TuneOptions::replications`] or one candidate is
//!   left. With the defaults: 64 × 3, 32 × 6, 16 × 12, 8 × 20 — 480 runs instead of 64 × 20,
//!   and 8 finalists measured as precisely as a grid's points.
//!
//! Halving ranks on point estimates: candidates whose constraint *means* respect the limits
//! first, by objective mean; then the rest, least violation first. The final judgment is
//! conservative.
//!
//! # Feasibility
//!
//! A candidate is feasible when every constraint holds for the whole two-sided 95% Student-t
//! confidence interval of the metric's mean over its replications ([`TuneOptions::level`]): for
//! `<` and `<=` the interval's upper end is below (or at) the limit, for `>` and `>=` its lower
//! end above. With one replication the interval is unbounded and nothing is feasible. A metric
//! that is NaN in any replication (e.g. a percentile with no answers) makes its mean NaN: never
//! feasible, and the worst objective. The best candidate is the feasible one with the best
//! objective mean; ties go to the earlier point. When none is feasible the result says so and
//! lists the candidates closest to feasibility: least total violation, each constraint's
//! violation measured at the interval's end and relative to its limit (absolute for a limit
//! of 0).
//!
//! # Determinism
//!
//! Evaluations are collected by index, never in completion order, and every sum runs in
//! replication order, so a result is identical whatever the number of threads.
//!
//! ```
//! use sim_sweep::tune::{tune, Parameter, TuneOptions};
//! use std::collections::BTreeMap;
//!
//! let space = [Parameter::new("workers", ["1", "2", "4", "8"])];
//! let objective = "min cost".parse().unwrap();
//! let constraints = ["p99 < 300ms".parse().unwrap()];
//! let result = tune(&space, &objective, &constraints, &TuneOptions::default(), |point, _rep| {
//!     let workers = [1.0, 2.0, 4.0, 8.0][point[0]];
//!     Ok(BTreeMap::from([("cost".to_string(), workers), ("p99".to_string(), 1.0 / workers)]))
//! })
//! .unwrap();
//! let best = result.best.unwrap();
//! assert_eq!(best.values[0].1, "4");
//! ```

mod expr;

pub use expr::{closest, parse_value, Comparison, Constraint, Direction, Objective, ParseError};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;

pub use crate::metrics::Metrics;

/// A parameter to tune and its candidate values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parameter {
    /// Its name (e.g. a scenario path such as `clients.users.policies.0.max_attempts`).
    pub name: String,
    /// The values to try, as the caller will apply them.
    pub values: Vec<String>,
}

impl Parameter {
    /// Parameter `name` with candidate `values`.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        Parameter {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }
}

/// How to search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Search {
    /// Grid up to [`TuneOptions::grid_limit`] points, random search with successive halving
    /// beyond.
    #[default]
    Auto,
    /// Every point (refused beyond a million points).
    Grid,
    /// Random search with successive halving, even on a small space.
    Halving,
}

/// The tuner's settings; [`Default`] gives the documented values.
#[derive(Clone, Debug, PartialEq)]
pub struct TuneOptions {
    /// How to search (default `Auto`).
    pub search: Search,
    /// Largest space searched as a grid by `Auto` (default 64 points).
    pub grid_limit: usize,
    /// Points drawn by random search (default 64).
    pub candidates: usize,
    /// Replications of each random candidate in the first round of halving (default 3).
    pub initial_replications: u32,
    /// Replications of each grid point, and of the finalists of halving (default 20).
    pub replications: u32,
    /// Seed of the random search's draws (default 1).
    pub seed: u64,
    /// Confidence level of the intervals (default 0.95).
    pub level: f64,
    /// Runners-up reported after the best (default 5).
    pub runners_up: usize,
    /// The memory the search's own bookkeeping may need (default: half the machine's, as
    /// for a run); a larger search is refused before it starts.
    pub max_memory: sim_core::ByteSize,
}

impl Default for TuneOptions {
    fn default() -> Self {
        TuneOptions {
            search: Search::Auto,
            grid_limit: 64,
            candidates: 64,
            initial_replications: 3,
            replications: 20,
            seed: 1,
            level: 0.95,
            runners_up: 5,
            max_memory: sim_models::memory::default_max_memory(),
        }
    }
}

/// The method a search used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Every point of the space.
    Grid,
    /// Random candidates narrowed by successive halving.
    RandomHalving,
}

/// A metric's mean over replications with its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The mean.
    pub mean: f64,
    /// Half the interval's width: it is `mean ± half_width` (infinite with one replication).
    pub half_width: f64,
    /// Replications.
    pub n: u32,
}

impl Estimate {
    /// The Student-t interval at `level` of the mean of `samples`.
    pub fn of(samples: &[f64], level: f64) -> Estimate {
        let n = samples.len();
        let mean = samples.iter().sum::<f64>() / n.max(1) as f64;
        let half_width = if n < 2 {
            f64::INFINITY
        } else {
            let var = samples.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
            crate::stats::t_quantile_at(n - 1, level) * (var / n as f64).sqrt()
        };
        Estimate {
            mean,
            half_width,
            n: n as u32,
        }
    }

    /// The interval's lower end.
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    /// The interval's upper end.
    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ± {}", num(self.mean), num(self.half_width))
    }
}

/// A number in a report: four significant digits, or scientific beyond.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{x:.3e}")
    } else {
        let decimals = if a == 0.0 {
            0
        } else {
            (3 - a.log10().floor() as i32).max(0) as usize
        };
        format!("{x:.decimals$}")
    }
}

/// How a candidate fares against one constraint.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstraintCheck {
    /// The constraint.
    pub constraint: Constraint,
    /// The metric's mean and interval.
    pub estimate: Estimate,
    /// Whether the whole interval respects the limit.
    pub satisfied: bool,
    /// How far the interval's end is past the limit, relative to the limit (0 if satisfied).
    pub violation: f64,
}

/// A point of the space with its results.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The index of each parameter's value.
    pub point: Vec<usize>,
    /// Each parameter's name and value.
    pub values: Vec<(String, String)>,
    /// The objective's mean and interval.
    pub objective: Estimate,
    /// Each constraint, in the order given.
    pub constraints: Vec<ConstraintCheck>,
    /// Whether every constraint is satisfied.
    pub feasible: bool,
    /// The sum of the constraints' violations.
    pub violation: f64,
}

impl Candidate {
    /// The values as `name=value` pairs, comma-separated.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .values
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        parts.join(", ")
    }
}

/// One round of a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    /// Candidates evaluated in the round.
    pub candidates: usize,
    /// Replications each has after it.
    pub replications: u32,
    /// Evaluations run in it.
    pub evaluations: u64,
}

/// What a search found.
#[derive(Clone, Debug, PartialEq)]
pub struct TuneResult {
    /// The method used.
    pub method: Method,
    /// The objective.
    pub objective: Objective,
    /// The confidence level of every interval.
    pub level: f64,
    /// Points in the space (saturating).
    pub space: u128,
    /// The best feasible candidate, if any is feasible.
    pub best: Option<Candidate>,
    /// The next best feasible candidates (at most [`TuneOptions::runners_up`]).
    pub runners_up: Vec<Candidate>,
    /// When nothing is feasible: the candidates closest to feasibility, least violation first.
    pub closest: Vec<Candidate>,
    /// Finalists (every point of a grid; the last round's survivors of halving), best first:
    /// feasible by objective, then the others by violation.
    pub finalists: Vec<Candidate>,
    /// Finalists judged infeasible.
    pub infeasible: usize,
    /// Distinct points evaluated.
    pub candidates: usize,
    /// Candidates dropped by halving before the final round.
    pub eliminated: usize,
    /// Calls of `evaluate`.
    pub evaluations: u64,
    /// The rounds, in order (one for a grid).
    pub rounds: Vec<Round>,
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuneError {
    /// An objective or constraint could not be read.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The space or the options cannot be searched.
    #[error("cannot search: {0}")]
    Space(String),
    /// A metric named by the objective or a constraint is not among the metrics.
    #[error("unknown metric {name:?} in the {role}; closest: {}", suggestions.join(", "))]
    UnknownMetric {
        /// The name as given.
        name: String,
        /// `objective` or `constraint "…"`.
        role: String,
        /// The closest names among the first evaluation's metrics.
        suggestions: Vec<String>,
    },
    /// A later evaluation lacks a metric the first one had.
    #[error("metric {name:?} is missing from the evaluation of {point} (replication {replication}), though the first evaluation had it")]
    MissingMetric {
        /// The metric.
        name: String,
        /// The point, as `name=value` pairs.
        point: String,
        /// The replication.
        replication: u32,
    },
    /// `evaluate` failed.
    #[error("evaluation of {point} (replication {replication}) failed: {message}")]
    Evaluation {
        /// The point, as `name=value` pairs.
        point: String,
        /// The replication.
        replication: u32,
        /// The error it returned.
        message: String,
    },
}

/// Searches `space` for the point that optimises `objective` under `constraints` (see the
/// module documentation for the algorithm and the feasibility rule).
///
/// Errors: an empty space or bad options; an objective or constraint naming a metric the first
/// evaluation does not have (with the closest names); a later evaluation missing one; the
/// first failing evaluation, in evaluation order.
pub fn tune<F>(
    space: &[Parameter],
    objective: &Objective,
    constraints: &[Constraint],
    options: &TuneOptions,
    evaluate: F,
) -> Result<TuneResult, TuneError>
where
    F: Fn(&[usize], u32) -> Result<Metrics, String> + Sync,
{
    check(space, options)?;
    let size = space
        .iter()
        .fold(1u128, |acc, p| acc.saturating_mul(p.values.len() as u128));
    let grid = match options.search {
        Search::Auto => size <= options.grid_limit as u128,
        Search::Grid => {
            if size > 1_000_000 {
                return Err(TuneError::Space(format!(
                    "a grid of {size} points is too large; use random search with halving"
                )));
            }
            true
        }
        Search::Halving => false,
    };
    let points: Vec<Vec<usize>> = if grid {
        (0..size as u64)
            .map(|i| unflatten(space, i as u128))
            .collect()
    } else {
        sample(space, size, options.candidates, options.seed)
    };
    let mut metrics = vec![objective.metric.clone()];
    for c in constraints {
        if !metrics.contains(&c.metric) {
            metrics.push(c.metric.clone());
        }
    }
    check_memory(space, points.len(), metrics.len(), options)?;
    let mut run = Runner {
        space,
        evaluate: &evaluate,
        metrics: &metrics,
        objective,
        constraints,
        checked: false,
        evaluations: 0,
    };
    let mut samples: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); metrics.len()]; points.len()];
    let mut alive: Vec<usize> = (0..points.len()).collect();
    let mut rounds = Vec::new();
    let final_reps = options.replications;
    let mut done = 0;
    let mut reps = if grid {
        final_reps
    } else {
        options.initial_replications.min(final_reps)
    };
    loop {
        let before = run.evaluations;
        run.batch(&points, &alive, done, reps, &mut samples)?;
        rounds.push(Round {
            candidates: alive.len(),
            replications: reps,
            evaluations: run.evaluations - before,
        });
        done = reps;
        if alive.len() <= 1 || reps >= final_reps {
            break;
        }
        // Keep the better half, judged on point estimates.
        let judged: Vec<Judged> = alive
            .iter()
            .map(|&c| judge(&samples[c], objective, constraints, options.level, false))
            .collect();
        let mut order: Vec<usize> = (0..alive.len()).collect();
        order.sort_by(|&a, &b| compare(&judged[a], &judged[b], objective.direction));
        order.truncate(alive.len().div_ceil(2));
        order.sort_unstable();
        alive = order.into_iter().map(|k| alive[k]).collect();
        reps = reps.saturating_mul(2).min(final_reps);
    }
    // The final, conservative judgment of the finalists.
    let mut finalists: Vec<(Judged, usize)> = alive
        .iter()
        .map(|&c| {
            (
                judge(&samples[c], objective, constraints, options.level, true),
                c,
            )
        })
        .collect();
    finalists.sort_by(|a, b| compare(&a.0, &b.0, objective.direction));
    let finalists: Vec<Candidate> = finalists
        .into_iter()
        .map(|(j, c)| candidate(space, &points[c], j))
        .collect();
    let feasible: Vec<&Candidate> = finalists.iter().filter(|c| c.feasible).collect();
    let best = feasible.first().map(|c| (*c).clone());
    let runners_up = feasible
        .iter()
        .skip(1)
        .take(options.runners_up)
        .map(|c| (*c).clone())
        .collect();
    let closest = if best.is_none() {
        finalists
            .iter()
            .take(options.runners_up.max(1))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    Ok(TuneResult {
        method: if grid {
            Method::Grid
        } else {
            Method::RandomHalving
        },
        objective: objective.clone(),
        level: options.level,
        space: size,
        best,
        runners_up,
        closest,
        infeasible: finalists.len() - feasible.len(),
        candidates: points.len(),
        eliminated: points.len() - alive.len(),
        evaluations: run.evaluations,
        rounds,
        finalists,
    })
}

fn check(space: &[Parameter], options: &TuneOptions) -> Result<(), TuneError> {
    let bad = |why: String| Err(TuneError::Space(why));
    if space.is_empty() {
        return bad("no parameter to tune".into());
    }
    let mut names = BTreeSet::new();
    for p in space {
        if p.values.is_empty() {
            return bad(format!("parameter {:?} has no candidate value", p.name));
        }
        if !names.insert(&p.name) {
            return bad(format!("parameter {:?} is given twice", p.name));
        }
    }
    if options.replications == 0 || options.initial_replications == 0 {
        return bad("replications must be at least 1".into());
    }
    if u64::from(options.replications) > crate::spec::MAX_SEEDS {
        return bad(format!(
            "{} replications: at most {} (an interval narrows as 1/√n: 1,000 already gives one 14 times tighter than 5)",
            options.replications,
            crate::spec::MAX_SEEDS
        ));
    }
    if options.candidates == 0 {
        return bad("random search needs at least one candidate".into());
    }
    if options.candidates > crate::grid::MAX_POINTS {
        return bad(format!(
            "{} candidates: random search draws at most {}",
            options.candidates,
            crate::grid::MAX_POINTS
        ));
    }
    if !(options.level > 0.0 && options.level < 1.0) {
        return bad(format!(
            "the confidence level must be in (0, 1), got {}",
            options.level
        ));
    }
    Ok(())
}

/// Refuses a search whose bookkeeping would exceed `options.max_memory`: per point its
/// coordinates and samples, and per evaluation of the largest round its job and result.
fn check_memory(
    space: &[Parameter],
    points: usize,
    metrics: usize,
    options: &TuneOptions,
) -> Result<(), TuneError> {
    let (points, metrics, reps) = (
        points as u64,
        metrics as u64,
        u64::from(options.replications),
    );
    let per_point = 48 + 8 * space.len() as u64 + metrics * (24 + 8 * reps);
    let per_evaluation = 64 + 8 * metrics;
    let total = points
        .saturating_mul(per_point)
        .saturating_add(points.saturating_mul(reps).saturating_mul(per_evaluation));
    if total <= options.max_memory.0 {
        return Ok(());
    }
    Err(TuneError::Space(format!(
        "{points} points × {reps} replications would need {} of memory, more than {} (limits.max_memory, by default half the memory this process may have); lower --seeds, --candidates or the number of --vary values",
        sim_core::ByteSize(total),
        options.max_memory
    )))
}

/// Point number `i` of the space, the first parameter varying slowest.
fn unflatten(space: &[Parameter], mut i: u128) -> Vec<usize> {
    let mut point = vec![0; space.len()];
    for (k, p) in space.iter().enumerate().rev() {
        let n = p.values.len() as u128;
        point[k] = (i % n) as usize;
        i /= n;
    }
    point
}

/// `n` distinct points drawn uniformly (all of them if the space is no larger), in space order.
fn sample(space: &[Parameter], size: u128, n: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    if size <= n as u128 {
        return (0..size).map(|i| unflatten(space, i)).collect();
    }
    if let Ok(len) = usize::try_from(size) {
        let mut picked = rand::seq::index::sample(&mut rng, len, n).into_vec();
        picked.sort_unstable();
        return picked
            .into_iter()
            .map(|i| unflatten(space, i as u128))
            .collect();
    }
    // A space too large to index: draw each parameter's value, skipping repeats.
    let mut seen = BTreeSet::new();
    while seen.len() < n {
        let point: Vec<usize> = space
            .iter()
            .map(|p| rand::Rng::random_range(&mut rng, 0..p.values.len()))
            .collect();
        seen.insert(point);
    }
    seen.into_iter().collect()
}

/// Runs evaluations and keeps the tracked metrics.
struct Runner<'a, F> {
    space: &'a [Parameter],
    evaluate: &'a F,
    /// Tracked metrics: the objective's, then the constraints' (each once).
    metrics: &'a [String],
    objective: &'a Objective,
    constraints: &'a [Constraint],
    /// Whether the metric names were checked against a first evaluation.
    checked: bool,
    evaluations: u64,
}

impl<F> Runner<'_, F>
where
    F: Fn(&[usize], u32) -> Result<Metrics, String> + Sync,
{
    /// Replications `from..to` of candidates `which`, appended to their samples.
    fn batch(
        &mut self,
        points: &[Vec<usize>],
        which: &[usize],
        from: u32,
        to: u32,
        samples: &mut [Vec<Vec<f64>>],
    ) -> Result<(), TuneError> {
        let jobs: Vec<(usize, u32)> = which
            .iter()
            .flat_map(|&c| (from..to).map(move |r| (c, r)))
            .collect();
        let mut skip = 0;
        let mut first = None;
        if !self.checked {
            // One evaluation alone first: a misspelt metric fails before the rest run.
            let Some(&(c, r)) = jobs.first() else {
                return Ok(());
            };
            let m = (self.evaluate)(&points[c], r).map_err(|e| self.failed(&points[c], r, e))?;
            self.check_names(&m)?;
            self.checked = true;
            first = Some(self.extract(&m, &points[c], r)?);
            skip = 1;
        }
        let (evaluate, metrics) = (self.evaluate, self.metrics);
        let results: Vec<Result<Vec<f64>, Result<String, String>>> = jobs[skip..]
            .par_iter()
            .map(|&(c, r)| match evaluate(&points[c], r) {
                Ok(m) => metrics
                    .iter()
                    .map(|name| m.get(name).copied().ok_or_else(|| Ok(name.clone())))
                    .collect(),
                Err(e) => Err(Err(e)),
            })
            .collect();
        self.evaluations += jobs.len() as u64;
        for (k, result) in first.into_iter().map(Ok).chain(results).enumerate() {
            let (c, r) = jobs[k];
            let values = match result {
                Ok(v) => v,
                Err(Ok(name)) => {
                    return Err(TuneError::MissingMetric {
                        name,
                        point: describe(self.space, &points[c]),
                        replication: r,
                    })
                }
                Err(Err(message)) => return Err(self.failed(&points[c], r, message)),
            };
            for (slot, v) in samples[c].iter_mut().zip(values) {
                slot.push(v);
            }
        }
        Ok(())
    }

    fn failed(&self, point: &[usize], replication: u32, message: String) -> TuneError {
        TuneError::Evaluation {
            point: describe(self.space, point),
            replication,
            message,
        }
    }

    fn check_names(&self, m: &Metrics) -> Result<(), TuneError> {
        let known = || m.keys().map(String::as_str);
        let unknown = |name: &str, role: String| TuneError::UnknownMetric {
            name: name.to_string(),
            role,
            suggestions: closest(name, known(), 3),
        };
        if !m.contains_key(&self.objective.metric) {
            return Err(unknown(&self.objective.metric, "objective".into()));
        }
        for c in self.constraints {
            if !m.contains_key(&c.metric) {
                return Err(unknown(&c.metric, format!("constraint \"{c}\"")));
            }
        }
        Ok(())
    }

    fn extract(&self, m: &Metrics, point: &[usize], r: u32) -> Result<Vec<f64>, TuneError> {
        self.metrics
            .iter()
            .map(|name| {
                m.get(name)
                    .copied()
                    .ok_or_else(|| TuneError::MissingMetric {
                        name: name.clone(),
                        point: describe(self.space, point),
                        replication: r,
                    })
            })
            .collect()
    }
}

fn describe(space: &[Parameter], point: &[usize]) -> String {
    let parts: Vec<String> = space
        .iter()
        .zip(point)
        .map(|(p, &i)| format!("{}={}", p.name, p.values[i]))
        .collect();
    parts.join(", ")
}

/// A candidate's standing.
struct Judged {
    objective: Estimate,
    checks: Vec<ConstraintCheck>,
    feasible: bool,
    violation: f64,
}

/// Judges a candidate from its samples (tracked metrics: objective first, then each distinct
/// constraint metric): on the interval's end if `conservative`, else on the mean.
fn judge(
    samples: &[Vec<f64>],
    objective: &Objective,
    constraints: &[Constraint],
    level: f64,
    conservative: bool,
) -> Judged {
    let mut names = vec![&objective.metric];
    for c in constraints {
        if !names.contains(&&c.metric) {
            names.push(&c.metric);
        }
    }
    let estimate = |metric: &String| {
        let k = names.iter().position(|n| *n == metric).expect("tracked");
        Estimate::of(&samples[k], level)
    };
    let checks: Vec<ConstraintCheck> = constraints
        .iter()
        .map(|c| {
            let e = estimate(&c.metric);
            let x = match (conservative, c.comparison.is_upper_bound()) {
                (false, _) => e.mean,
                (true, true) => e.high(),
                (true, false) => e.low(),
            };
            let satisfied = c.comparison.holds(x, c.limit);
            let past = if c.comparison.is_upper_bound() {
                x - c.limit
            } else {
                c.limit - x
            };
            let scale = if c.limit != 0.0 { c.limit.abs() } else { 1.0 };
            let violation = if x.is_nan() {
                f64::INFINITY
            } else {
                (past / scale).max(0.0)
            };
            ConstraintCheck {
                constraint: c.clone(),
                estimate: e,
                satisfied,
                violation,
            }
        })
        .collect();
    let objective = estimate(&objective.metric);
    Judged {
        feasible: !objective.mean.is_nan() && checks.iter().all(|c| c.satisfied),
        violation: checks.iter().map(|c| c.violation).sum(),
        checks,
        objective,
    }
}

/// Better first: feasible before infeasible; feasible by objective mean (NaN last); infeasible
/// by violation, then objective. Equal candidates keep their order (the sort is stable).
fn compare(a: &Judged, b: &Judged, direction: Direction) -> Ordering {
    let objective = |x: &Judged, y: &Judged| {
        let key = |j: &Judged| {
            let m = j.objective.mean;
            if m.is_nan() {
                f64::NEG_INFINITY
            } else if direction == Direction::Maximize {
                m
            } else {
                -m
            }
        };
        key(y).total_cmp(&key(x))
    };
    match (a.feasible, b.feasible) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (true, true) => objective(a, b),
        (false, false) => a
            .violation
            .total_cmp(&b.violation)
            .then_with(|| objective(a, b)),
    }
}

fn candidate(space: &[Parameter], point: &[usize], j: Judged) -> Candidate {
    Candidate {
        point: point.to_vec(),
        values: space
            .iter()
            .zip(point)
            .map(|(p, &i)| (p.name.clone(), p.values[i].clone()))
            .collect(),
        objective: j.objective,
        constraints: j.checks,
        feasible: j.feasible,
        violation: j.violation,
    }
}

impl fmt::Display for TuneResult {
    /// A report for people: the search, the best candidate with its intervals, the runners-up,
    /// or, when nothing is feasible, the closest candidates and what they violate.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.method {
            Method::Grid => writeln!(
                f,
                "grid search: {} points × {} replications = {} evaluations",
                self.candidates,
                self.rounds.last().map_or(0, |r| r.replications),
                self.evaluations
            )?,
            Method::RandomHalving => {
                let reps: Vec<String> = self
                    .rounds
                    .iter()
                    .map(|r| format!("{} × {}", r.candidates, r.replications))
                    .collect();
                writeln!(
                    f,
                    "random search: {} of {} points, successive halving {} = {} evaluations",
                    self.candidates,
                    self.space,
                    reps.join(", "),
                    self.evaluations
                )?
            }
        }
        let show = |f: &mut fmt::Formatter<'_>, c: &Candidate| -> fmt::Result {
            writeln!(f, "  {}", c.describe())?;
            writeln!(
                f,
                "    {} ({}): {} ({}% interval, n = {})",
                self.objective.metric,
                match self.objective.direction {
                    Direction::Maximize => "max",
                    Direction::Minimize => "min",
                },
                c.objective,
                (self.level * 100.0).round(),
                c.objective.n
            )?;
            for k in &c.constraints {
                writeln!(
                    f,
                    "    {}: {} {}",
                    k.constraint,
                    k.estimate,
                    if k.satisfied {
                        "ok".to_string()
                    } else {
                        format!("VIOLATED (by {:.1}%)", 100.0 * k.violation)
                    }
                )?;
            }
            Ok(())
        };
        match &self.best {
            Some(best) => {
                writeln!(f, "best:")?;
                show(f, best)?;
                if !self.runners_up.is_empty() {
                    writeln!(f, "runners-up:")?;
                    for c in &self.runners_up {
                        show(f, c)?;
                    }
                }
            }
            None => {
                writeln!(
                    f,
                    "no candidate meets every constraint with confidence; closest:"
                )?;
                for c in &self.closest {
                    show(f, c)?;
                }
            }
        }
        writeln!(
            f,
            "infeasible: {} of {} finalists ({} eliminated earlier)",
            self.infeasible,
            self.finalists.len(),
            self.eliminated
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

    /// A standard normal draw from a stream seeded by `key`.
    fn normal(key: u64) -> f64 {
        let mut rng = ChaCha8Rng::seed_from_u64(key);
        let (u, v): (f64, f64) = (rng.random(), rng.random());
        (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Noise with a part shared by every point of a replication (common random numbers) and a
    /// part of the point's own.
    fn noise(point: &[usize], rep: u32, sd: f64) -> f64 {
        let own = point.iter().fold(rep as u64 + 1, |h, &i| {
            h.wrapping_mul(1_000_003).wrapping_add(i as u64)
        });
        sd * (normal(rep as u64 + 7_777) + normal(own))
    }

    fn metrics(pairs: &[(&str, f64)]) -> Metrics {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn axis(name: &str, n: usize) -> Parameter {
        Parameter::new(name, (0..n).map(|i| i.to_string()))
    }

    /// goodput peaks at (5, 2); p99 grows with x, so `p99 < 500ms` allows x ≤ 4.
    fn bowl(point: &[usize], rep: u32) -> Result<Metrics, String> {
        let (x, y) = (point[0] as f64, point[1] as f64);
        let goodput = 100.0 - (x - 5.0).powi(2) - 2.0 * (y - 2.0).powi(2) + noise(point, rep, 0.3);
        let p99 = 0.05 + 0.1 * x + noise(point, rep, 0.005);
        Ok(metrics(&[
            ("goodput", goodput),
            ("p99", p99),
            ("error_rate", 0.001),
            ("services.api.latency.p99", p99),
        ]))
    }

    fn objective(text: &str) -> Objective {
        text.parse().unwrap()
    }

    fn constraints(texts: &[&str]) -> Vec<Constraint> {
        texts.iter().map(|t| t.parse().unwrap()).collect()
    }

    #[test]
    fn grid_search_finds_the_best_point_that_meets_the_constraints() {
        let space = [axis("x", 8), axis("y", 8)];
        let result = tune(
            &space,
            &objective("max goodput"),
            &constraints(&["p99 < 500ms", "error_rate <= 1%"]),
            &TuneOptions::default(),
            bowl,
        )
        .unwrap();
        assert_eq!(result.method, Method::Grid);
        assert_eq!(result.evaluations, 64 * 20);
        let best = result.best.as_ref().unwrap();
        // The unconstrained peak x = 5 has p99 0.55 s: the best allowed is x = 4.
        assert_eq!(best.point, [4, 2]);
        assert_eq!(
            best.values,
            [("x".into(), "4".into()), ("y".into(), "2".into())]
        );
        assert!((best.objective.mean - 99.0).abs() < 0.5);
        assert_eq!(best.objective.n, 20);
        assert!(best.constraints.iter().all(|c| c.satisfied));
        assert!(best.constraints[0].estimate.high() < 0.5);
        assert_eq!(result.runners_up.len(), 5);
        assert!(result
            .runners_up
            .windows(2)
            .all(|w| w[0].objective.mean >= w[1].objective.mean));
        assert!(result.runners_up[0].objective.mean <= best.objective.mean);
        // x ≥ 5 breaks the latency limit: 3 × 8 points.
        assert_eq!(result.infeasible, 24);
        assert!(result.closest.is_empty());
        let report = result.to_string();
        assert!(report.contains("best:\n  x=4, y=2\n"), "{report}");
    }

    #[test]
    fn successive_halving_gets_near_the_optimum_with_far_fewer_runs_than_a_grid() {
        // 20 × 20 × 10 = 4000 points: beyond the grid limit.
        let space = [axis("x", 20), axis("y", 20), axis("z", 10)];
        let truth = |p: &[usize]| {
            let (x, y, z) = (p[0] as f64, p[1] as f64, p[2] as f64);
            100.0 - ((x - 13.0).powi(2) + (y - 6.0).powi(2)) / 4.0 - (z - 3.0).powi(2)
        };
        let calls = AtomicU64::new(0);
        let options = TuneOptions::default();
        let result = tune(
            &space,
            &objective("max goodput"),
            &[],
            &options,
            |p, rep| {
                calls.fetch_add(1, AtomicOrdering::Relaxed);
                Ok(metrics(&[("goodput", truth(p) + noise(p, rep, 1.0))]))
            },
        )
        .unwrap();
        assert_eq!(result.method, Method::RandomHalving);
        assert_eq!(result.space, 4000);
        // 64 × 3, then 32, 16, 8 candidates topped up to 6, 12, 20 replications.
        let rounds: Vec<(usize, u32)> = result
            .rounds
            .iter()
            .map(|r| (r.candidates, r.replications))
            .collect();
        assert_eq!(rounds, [(64, 3), (32, 6), (16, 12), (8, 20)]);
        assert_eq!(result.evaluations, 64 * 3 + 32 * 3 + 16 * 6 + 8 * 8);
        assert_eq!(calls.load(AtomicOrdering::Relaxed), result.evaluations);
        let full_grid = 4000 * u64::from(options.replications);
        assert!(
            result.evaluations * 100 < full_grid,
            "{}",
            result.evaluations
        );
        assert_eq!(result.finalists.len(), 8);
        assert_eq!(result.eliminated, 56);
        // Near the optimum (100 at x = 13, y = 6, z = 3), and the best of what was sampled
        // up to the noise of 20 replications.
        let best = result.best.unwrap();
        let sampled_best = sample(&space, 4000, 64, options.seed)
            .iter()
            .map(|p| truth(p))
            .fold(f64::MIN, f64::max);
        assert!(truth(&best.point) >= sampled_best - 1.0, "{:?}", best.point);
        assert!(truth(&best.point) >= 95.0, "{:?}", best.point);
    }

    #[test]
    fn the_result_is_the_same_on_one_thread_and_on_two() {
        let space = [axis("x", 12), axis("y", 12)];
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    tune(
                        &space,
                        &objective("max goodput"),
                        &constraints(&["p99 < 0.5"]),
                        &TuneOptions::default(),
                        bowl,
                    )
                })
                .unwrap()
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one.method, Method::RandomHalving);
        assert_eq!(one, two);
        assert_eq!(one.to_string(), two.to_string());
    }

    #[test]
    fn when_nothing_is_feasible_the_closest_candidates_are_reported() {
        let space = [axis("x", 8), axis("y", 8)];
        let result = tune(
            &space,
            &objective("max goodput"),
            &constraints(&["p99 < 10ms"]),
            &TuneOptions::default(),
            bowl,
        )
        .unwrap();
        assert!(result.best.is_none());
        assert!(result.runners_up.is_empty());
        assert_eq!(result.infeasible, 64);
        assert_eq!(result.closest.len(), 5);
        // x = 0 has the lowest p99 (50 ms): its points are the closest.
        assert!(result.closest.iter().all(|c| c.point[0] == 0));
        assert!(result
            .closest
            .windows(2)
            .all(|w| w[0].violation <= w[1].violation));
        assert!(result.closest[0].violation > 3.0);
        let report = result.to_string();
        assert!(
            report.contains("no candidate meets every constraint"),
            "{report}"
        );
        assert!(report.contains("VIOLATED"), "{report}");
    }

    #[test]
    fn a_mean_within_the_limit_is_not_enough_the_interval_must_be() {
        // Point 1 has the better goodput and a p99 mean of 0.45 s < 0.5 s, but so noisy that
        // its interval reaches past the limit; point 0 is steady.
        let space = [Parameter::new("mode", ["steady", "jumpy"])];
        let result = tune(
            &space,
            &objective("max goodput"),
            &constraints(&["p99 < 500ms"]),
            &TuneOptions {
                replications: 6,
                ..TuneOptions::default()
            },
            |p, rep| {
                let p99 = if p[0] == 0 {
                    0.3
                } else {
                    0.45 + 0.2 * normal(rep as u64)
                };
                Ok(metrics(&[("goodput", 10.0 + p[0] as f64), ("p99", p99)]))
            },
        )
        .unwrap();
        let best = result.best.unwrap();
        assert_eq!(best.values[0].1, "steady");
        assert_eq!(result.infeasible, 1);
        let jumpy = &result.finalists[1];
        assert!(jumpy.constraints[0].estimate.mean < 0.5);
        assert!(jumpy.constraints[0].estimate.high() > 0.5);
    }

    #[test]
    fn min_objectives_prefer_the_smallest_mean_and_nan_is_never_best() {
        let space = [Parameter::new("workers", ["1", "2", "4", "8"])];
        let result = tune(
            &space,
            &objective("min p99"),
            &[],
            &TuneOptions::default(),
            |p, rep| {
                let p99 = match p[0] {
                    3 => f64::NAN, // no answers at all
                    i => 1.0 / (1 << i) as f64 + noise(p, rep, 0.001),
                };
                Ok(metrics(&[("p99", p99)]))
            },
        )
        .unwrap();
        assert_eq!(result.best.unwrap().values[0].1, "4");
        assert_eq!(result.infeasible, 1);
        assert!(result.finalists[3].objective.mean.is_nan());
    }

    #[test]
    fn an_unknown_metric_stops_after_one_evaluation_and_names_the_closest() {
        let calls = AtomicU64::new(0);
        let counted = |p: &[usize], r: u32| {
            calls.fetch_add(1, AtomicOrdering::Relaxed);
            bowl(p, r)
        };
        let space = [axis("x", 8), axis("y", 8)];
        let err = tune(
            &space,
            &objective("max goodptu"),
            &[],
            &TuneOptions::default(),
            counted,
        )
        .unwrap_err();
        assert_eq!(calls.load(AtomicOrdering::Relaxed), 1);
        match &err {
            TuneError::UnknownMetric {
                name,
                role,
                suggestions,
            } => {
                assert_eq!((name.as_str(), role.as_str()), ("goodptu", "objective"));
                assert_eq!(suggestions[0], "goodput");
            }
            other => panic!("{other}"),
        }
        let err = tune(
            &space,
            &objective("max goodput"),
            &constraints(&["latency.p99 < 1s"]),
            &TuneOptions::default(),
            bowl,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "unknown metric \"latency.p99\" in the constraint \"latency.p99 < 1s\"; closest: \
             services.api.latency.p99, p99, goodput"
        );
    }

    #[test]
    fn a_failed_or_incomplete_evaluation_is_reported_with_its_point() {
        let space = [axis("x", 8), axis("y", 8)];
        let err = tune(
            &space,
            &objective("max goodput"),
            &[],
            &TuneOptions::default(),
            |p, r| {
                if p == [3, 4] && r == 2 {
                    Err("scenario check failed".into())
                } else if p[0] >= 6 && r == 5 {
                    Err("later".into())
                } else {
                    bowl(p, r)
                }
            },
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "evaluation of x=3, y=4 (replication 2) failed: scenario check failed"
        );
        let err = tune(
            &space,
            &objective("max goodput"),
            &constraints(&["p99 < 1s"]),
            &TuneOptions::default(),
            |p, r| {
                let mut m = bowl(p, r)?;
                if r == 7 {
                    m.remove("p99");
                }
                Ok(m)
            },
        )
        .unwrap_err();
        assert!(matches!(
            err,
            TuneError::MissingMetric { ref name, replication: 7, .. } if name == "p99"
        ));
    }

    #[test]
    fn an_empty_space_or_bad_options_are_refused() {
        let go = |space: &[Parameter], options: TuneOptions| {
            tune(space, &objective("max goodput"), &[], &options, bowl)
                .unwrap_err()
                .to_string()
        };
        assert!(go(&[], TuneOptions::default()).contains("no parameter"));
        assert!(go(
            &[Parameter::new("x", Vec::<String>::new())],
            TuneOptions::default()
        )
        .contains("no candidate value"));
        assert!(go(&[axis("x", 2), axis("x", 2)], TuneOptions::default()).contains("twice"));
        let opts = TuneOptions {
            replications: 0,
            ..TuneOptions::default()
        };
        assert!(go(&[axis("x", 2)], opts).contains("at least 1"));
        let opts = TuneOptions {
            search: Search::Grid,
            ..TuneOptions::default()
        };
        assert!(go(&[axis("x", 2000), axis("y", 2000)], opts).contains("too large"));
    }

    #[test]
    fn random_candidates_are_distinct_seeded_and_in_space_order() {
        let space = [axis("x", 30), axis("y", 30)];
        let a = sample(&space, 900, 64, 5);
        assert_eq!(a, sample(&space, 900, 64, 5));
        assert_ne!(a, sample(&space, 900, 64, 6));
        assert_eq!(a.len(), 64);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        // A space too large to index still gives distinct points.
        let huge: Vec<Parameter> = (0..30).map(|i| axis(&format!("p{i}"), 100)).collect();
        let b = sample(&huge, u128::MAX, 10, 1);
        assert_eq!(b.iter().collect::<BTreeSet<_>>().len(), 10);
    }

    #[test]
    fn estimates_use_student_t() {
        // t(0.975, 4) = 2.776; sd of [1, 2, 3, 4, 5] is √2.5.
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95);
        assert_eq!(e.mean, 3.0);
        assert!((e.half_width - 2.776445 * (2.5f64).sqrt() / 5f64.sqrt()).abs() < 1e-5);
        assert!(Estimate::of(&[1.0], 0.95).half_width.is_infinite());
    }
}
