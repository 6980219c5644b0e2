//! # sim-sweep: parameter sweeps over Faultline scenarios
//!
//! A sweep runs one scenario at every point of a grid — the cartesian product of the values of
//! some fields (`--vary PATH=VALUES`) — with `N` replications per point, and reports each
//! metric's mean with a 95% Student-t interval, and its paired difference from a baseline point.
//! It is a client of the engine's library API ([`sim_models::load_scenario_str`],
//! [`sim_models::run`]), usable from the CLI (`faultline sweep`), tests and notebooks.
//!
//! The flow:
//!
//! 1. [`SweepSpec`] ([`spec`]): the scenario text, the overrides, the varied fields (listed
//!    values or exact ranges), the number of replications and the baseline — from the command
//!    line ([`SweepSpec::from_args`]) or a `Sweep(…)` RON file.
//! 2. [`Plan::new`] ([`plan`]): loads each varied value (and, for grids up to
//!    [`plan::CHECK_AHEAD_POINTS`], every point) through the same `--set` machinery as the
//!    scenario file, so a bad path or value is a located error before anything runs; picks
//!    the seeds (replication `i` uses `scenario seed + i` at every point: common random
//!    numbers) and the baseline. Points are made as they run, so a plan is small whatever
//!    the grid's size; [`memory`] estimates what the sweep will hold and refuses one that
//!    exceeds the memory limit.
//! 3. [`run_sweep`] ([`runner`]): runs every (point, replication) pair on a rayon pool, writes
//!    each finished point's file atomically, skips finished points on resume, and builds
//!    `results.csv`, `paired.csv` and `summary.json` from the point files alone ([`output`]).
//! 4. [`merge()`] ([`mod@merge`]): combines the directories of shards (`--shard K/N`) into exactly
//!    what the whole sweep writes.
//!
//! Each step fails with a typed error ([`mod@error`]: [`SpecError`], [`PlanError`],
//! [`MemoryError`], [`RunError`], [`MergeError`], [`OutputError`], all within [`SweepError`])
//! whose variants carry what they name — the path, the value, the limit — and whose message is
//! what the command line prints.
//!
//! [`tune`](mod@tune) searches the same kind of space for the values that optimise one metric
//! while others stay within limits (grid search, or random search with successive halving
//! over replications), judged by confidence intervals.
//!
//! ```
//! use sim_sweep::{run_sweep, Plan, RunOptions, SweepSpec, Vary, Baseline};
//! let spec = SweepSpec {
//!     scenario_file: "mm1.ron".into(),
//!     scenario_text: r#"Scenario(
//!         duration: "200s",
//!         clients: { "users": Open(rate: 0.5, target: "server") },
//!         services: { "server": (workers: 1, service_time: Exponential(mean: "1s")) },
//!     )"#.into(),
//!     sets: vec![],
//!     vary: vec![Vary::parse("services.server.workers=1,2").unwrap()],
//!     seeds: 3,
//!     baseline: Baseline::Index(0),
//!     load: sim_models::LoadOptions::default(),
//! };
//! let plan = Plan::new(spec).unwrap();
//! let out = std::env::temp_dir().join(format!("sim-sweep-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&out);
//! let options = RunOptions { out: out.clone(), jobs: Some(2), resume: false, shard: None, progress: false };
//! let done = run_sweep(&plan, &options).unwrap();
//! assert_eq!((done.points, done.runs), (2, 6));
//! let results = std::fs::read_to_string(out.join("results.csv")).unwrap();
//! assert!(results.starts_with("point,services.server.workers,goodput.mean,"));
//! # std::fs::remove_dir_all(&out).unwrap();
//! ```
#![warn(missing_docs, unreachable_pub)]

pub mod error;
pub mod grid;
pub mod memory;
pub mod merge;
pub mod metrics;
pub mod output;
pub mod plan;
pub mod runner;
pub mod spec;
pub mod stats;
pub mod tune;

pub use error::{
    BaselineError, GridError, ManifestDifference, MemoryError, MergeError, OutputError, PlanError,
    PointMismatch, RunError, ShardError, SpecError, SweepError, VaryError,
};
pub use grid::{Point, Shard};
pub use merge::{merge, MergeSummary};
pub use metrics::{metrics, Metrics};
pub use output::{Manifest, PointRecord};
pub use plan::{check_vary, Plan};
pub use runner::{run_sweep, RunOptions, RunSummary};
pub use spec::{Baseline, SweepArgs, SweepSpec, Vary};
pub use stats::{estimate, paired, Estimate};
