//! Why an experiment could not be run: its input is wrong (the scenario, a varied field, a
//! generated fault, an environment variable) or a case could not be run at all. A property
//! that fails is not an error: it is a [`Failure`](crate::Failure).

use sim_models::LoadError;
use sim_sweep::{PlanError, VaryError};

/// Why an experiment could not be run. The message says where and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// The scenario file could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A `vary` argument could not be read.
    #[error("vary `{arg}`: {source}")]
    Vary {
        /// The argument as given.
        arg: String,
        /// What is wrong with it.
        source: VaryError,
    },
    /// A fixed override, a varied path or one of its values does not fit the scenario.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A generated fault does not fit the scenario or has bad ranges.
    #[error("generated fault {index}: {reason}")]
    Fault {
        /// Its position among the experiment's generated faults.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The number of cases is 0 or above [`MAX_CASES`](crate::MAX_CASES).
    #[error("an experiment runs 1 to {max} cases, not {cases}")]
    Cases {
        /// The number asked for.
        cases: u64,
        /// The most allowed.
        max: u64,
    },
    /// An environment variable the experiment reads is not a number.
    #[error("environment variable {name}={value} is not a whole number")]
    Env {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// A regression file cannot be read or written, or a case in it no longer fits the
    /// experiment (`line` 0: the file as a whole).
    #[error("regression file {file}:{line}: {reason}")]
    Regression {
        /// The file.
        file: String,
        /// The line of the case, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A case's scenario could not be built or run (a generated fault that the scenario
    /// refuses, a varied combination that is invalid together).
    #[error("case could not run ({command}):\n{problems}")]
    Case {
        /// The command that shows the same problem.
        command: String,
        /// What the loader or the engine said.
        problems: String,
    },
}
