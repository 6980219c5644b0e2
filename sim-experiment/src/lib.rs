//! # sim-experiment: property-style experiments over Faultline scenarios
//!
//! A claim about a distributed system — "with a retry budget the database's load stays under
//! 1.5× the users' for any failure fraction" — checked in an ordinary `cargo test` over many
//! runs of one scenario. Each case draws a seed, a value of every varied field (the sweep's
//! `--vary` syntax and path checks) and each generated fault ([`FaultGen`]: a partition of
//! random length at a random time, a crash of a random instance). Cases run in parallel
//! (rayon); the verdict is the same on any number of threads. A failure is shrunk with
//! proptest — to the earliest value of each list and the earliest, shortest faults that still
//! fail, the seed held — and reported with the `faultline run … --seed N --set …` command that
//! reproduces it.
//!
//! ```no_run
//! use sim_experiment::{ensure, Experiment};
//! Experiment::load("scenarios/retry-amplification-budget.ron")
//!     .unwrap()
//!     .vary("faults.0.fraction=0.1..0.9:0.1")
//!     .seeds(200)
//!     .check(|run| {
//!         let amplification = run.metric("amplification")?;
//!         ensure!(amplification <= 1.5, "amplification {amplification:.2}");
//!         Ok(())
//!     });
//! ```
//!
//! Environment variables, read when an experiment runs, as proptest and madsim users expect:
//! [`CASES_VAR`] (`FAULTLINE_CASES`, the number of cases), [`SEED_VAR`] (`FAULTLINE_SEED`,
//! which cases are drawn; a failure prints it) and [`SHRINK_VAR`] (`FAULTLINE_SHRINK_RUNS`).
//!
//! Each case runs without time series unless [`Experiment::with_series`] asks for them; its
//! statistics are the report's. An observer ([`Experiment::check_observed`]) sees every event
//! of the run, for properties the report cannot express.
//!
//! Files: [`experiment`](mod@experiment) (the builder), [`verdict`] ([`Run`], what a property
//! sees; [`Verdict`] and [`Failure`], what comes out), `case.rs` (a case's overrides and
//! command), [`fault_gen`] (generated faults), `search.rs` (drawing, running and shrinking),
//! `env.rs` (the environment variables), `regressions.rs` (regression files), [`error`].
#![warn(missing_docs, unreachable_pub)]

mod case;
mod env;
pub mod error;
pub mod experiment;
pub mod fault_gen;
mod regressions;
mod search;
pub mod verdict;

pub use case::Case;
pub use env::{CASES_VAR, SEED_VAR, SHRINK_VAR};
pub use error::ExperimentError;
pub use experiment::{Experiment, MAX_CASES};
pub use fault_gen::{FaultDraw, FaultGen};
pub use verdict::{Failure, FoundAt, Run, Verdict};

/// Returns `Err` from a property with a message unless `cond` holds: `ensure!(x <= 1.5, "x
/// is {x}")`, or `ensure!(x <= 1.5)` for a message naming the condition.
#[macro_export]
macro_rules! ensure {
    ($cond:expr $(,)?) => {
        let holds: bool = $cond;
        if !holds {
            return Err(format!("condition failed: {}", stringify!($cond)));
        }
    };
    ($cond:expr, $($fmt:tt)+) => {
        let holds: bool = $cond;
        if !holds {
            return Err(format!($($fmt)+));
        }
    };
}
