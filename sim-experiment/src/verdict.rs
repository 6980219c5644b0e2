//! What an experiment's property sees of a run ([`Run`]) and what the experiment concludes
//! ([`Verdict`], [`Failure`]).

use crate::case::Case;
use crate::env::SEED_VAR;
use sim_models::{Observer, Report, RunResult, Scenario};
use std::fmt;

/// One case's run, as the property sees it.
pub struct Run<'a, O = ()> {
    /// The case: seed, values, faults.
    pub case: &'a Case,
    /// The scenario it ran.
    pub scenario: &'a Scenario,
    /// The report and the final state of the system, with its observer.
    pub result: &'a RunResult<O>,
}

impl<O: Observer> Run<'_, O> {
    /// The run's summary (what `faultline run --json` prints).
    pub fn report(&self) -> &Report {
        &self.result.report
    }

    /// The observer that watched the run.
    pub fn observer(&self) -> &O {
        self.result.world.observer()
    }

    /// A metric by its sweep name (`amplification`, `services.db.utilization`,
    /// `edges.api->db.attempts`: see [`sim_sweep::metrics`](mod@sim_sweep::metrics)); an error naming the closest
    /// ones if the run does not define it, so that a property can use `?`.
    pub fn metric(&self, name: &str) -> Result<f64, String> {
        let all = sim_sweep::metrics::metrics(&self.result.report);
        all.get(name).copied().ok_or_else(|| {
            let prefix = name.rsplit_once('.').map_or("", |(p, _)| p);
            let near: Vec<&str> = all
                .keys()
                .filter(|k| k.starts_with(prefix))
                .take(8)
                .map(String::as_str)
                .collect();
            format!(
                "this run has no metric `{name}` (some it has: {})",
                near.join(", ")
            )
        })
    }
}

/// How an experiment ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every case had the property.
    Passed {
        /// How many cases ran.
        cases: u64,
    },
    /// A case did not: the smallest failing case found.
    Failed(Box<Failure>),
}

/// A failing property, shrunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What the property said of the minimal case.
    pub message: String,
    /// The minimal failing case.
    pub case: Case,
    /// The command that runs the minimal case.
    pub command: String,
    /// The first failing case found, before shrinking, and what the property said of it.
    pub first: (Case, String),
    /// Where the first failing case came from.
    pub found_at: FoundAt,
    /// Runs spent shrinking.
    pub shrink_runs: u32,
    /// The seed of the search: `FAULTLINE_SEED` with this value draws the same cases.
    pub search_seed: u64,
    /// Anything else to know: the case could not be stored in the regression file, and why.
    pub note: Option<String>,
}

/// Where a failing case came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoundAt {
    /// Drawn as case `index` (from 0) of `of`.
    Case {
        /// Its position.
        index: u64,
        /// How many cases the search draws.
        of: u64,
    },
    /// Stored in the experiment's regression file, on `line`.
    Regression {
        /// The line, from 1.
        line: usize,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "property failed: {}", self.message)?;
        writeln!(f, "minimal case: {}", self.case)?;
        writeln!(f, "reproduce with: {}", self.command)?;
        match self.found_at {
            FoundAt::Case { index, of } => write!(
                f,
                "found at case {} of {of} ({SEED_VAR}={} draws the same cases)",
                index + 1,
                self.search_seed
            )?,
            FoundAt::Regression { line } => {
                write!(f, "found by the regression file's line {line}")?
            }
        }
        writeln!(
            f,
            ", shrunk in {} runs from: {}",
            self.shrink_runs, self.first.0
        )?;
        write!(f, "which failed with: {}", self.first.1)?;
        if let Some(note) = &self.note {
            write!(f, "\nnote: {note}")?;
        }
        Ok(())
    }
}
