//! What a search found — the best candidate, the runners-up or the closest to feasibility, the
//! rounds — and its report for people.

use super::estimate::Estimate;
use super::expr::{Constraint, Direction, Objective};
use std::fmt;

/// The method a search used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Every point of the space.
    Grid,
    /// Random candidates narrowed by successive halving.
    RandomHalving,
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
    /// The next best feasible candidates (at most [`TuneOptions::runners_up`](crate::tune::TuneOptions::runners_up)).
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
