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
//! # The code
//!
//! This file is the search itself (grid, or rounds of halving); beside it, `space.rs` (the
//! parameters, points and random draws), `options.rs` (the settings and what is refused before
//! a search starts), `evaluation.rs` (running the caller's evaluations), `estimate.rs` (means
//! and intervals), `judge.rs` (feasibility and ranking), `result.rs` (what was found and its
//! report), `error.rs`, and `expr.rs` (objectives and constraints as written).
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

mod error;
mod estimate;
mod evaluation;
mod expr;
mod judge;
mod options;
mod result;
mod space;

pub use error::{SpaceError, TuneError};
pub use estimate::Estimate;
pub use expr::{closest, parse_value, Comparison, Constraint, Direction, Objective, ParseError};
pub use options::{Search, TuneOptions};
pub use result::{Candidate, ConstraintCheck, Method, Round, TuneResult};
pub use space::Parameter;

pub use crate::metrics::Metrics;

use evaluation::Runner;
use judge::{candidate, compare, judge, Judged};
use options::{check, check_memory};
use space::{sample, unflatten};

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
                return Err(SpaceError::GridTooLarge { points: size }.into());
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
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
}
