//! Judging candidates from their samples: each constraint checked on the mean (while halving) or
//! on the whole interval (the final judgment), violations measured relative to the limit, and
//! the order in which candidates are better.

use super::estimate::Estimate;
use super::expr::{Constraint, Direction, Objective};
use super::result::{Candidate, ConstraintCheck};
use super::space::Parameter;
use std::cmp::Ordering;

/// A candidate's standing.
pub(super) struct Judged {
    objective: Estimate,
    checks: Vec<ConstraintCheck>,
    feasible: bool,
    violation: f64,
}

/// Judges a candidate from its samples (tracked metrics: objective first, then each distinct
/// constraint metric): on the interval's end if `conservative`, else on the mean.
pub(super) fn judge(
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
pub(super) fn compare(a: &Judged, b: &Judged, direction: Direction) -> Ordering {
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

pub(super) fn candidate(space: &[Parameter], point: &[usize], j: Judged) -> Candidate {
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
