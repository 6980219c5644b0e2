//! The experiment: a scenario, what varies between cases, how many cases, and the property
//! each case's run must have.

use crate::env::{env_number, CASES_VAR, SEED_VAR, SHRINK_VAR};
use crate::error::ExperimentError;
use crate::fault_gen::{FaultGen, Resolved};
use crate::regressions;
use crate::search::{search, Plan};
use crate::verdict::{Run, Verdict};
use sim_models::{LoadOptions, Observer};
use sim_sweep::{Baseline, SweepSpec, Vary, VaryError};
use std::path::PathBuf;

/// The most cases one experiment runs.
pub const MAX_CASES: u64 = 100_000;

/// A property checked over many runs of one scenario: each case draws a seed, a value of
/// every varied field and each generated fault; all cases run in parallel; the first failing
/// case (in case order, so the same on any number of threads) is shrunk with proptest to the
/// simplest values and the earliest, shortest faults that still fail, with its seed held.
///
/// ```no_run
/// use sim_experiment::{ensure, Experiment, FaultGen};
/// Experiment::load("scenarios/retry-amplification-budget.ron")
///     .unwrap()
///     .vary("faults.0.fraction=0.1..0.9:0.1")
///     .fault(FaultGen::crash("db").starting("5s", "40s").lasting("100ms", "10s"))
///     .seeds(50)
///     .check(|run| {
///         let a = run.metric("amplification")?;
///         ensure!(a <= 1.5, "amplification {a:.2} > 1.5");
///         Ok(())
///     });
/// ```
#[derive(Clone, Debug)]
pub struct Experiment {
    file: String,
    text: String,
    load: LoadOptions,
    sets: Vec<String>,
    vary: Vec<Vary>,
    faults: Vec<FaultGen>,
    cases: u64,
    series: bool,
    search_seed: u64,
    shrink_runs: u32,
    regressions: Option<PathBuf>,
    /// Whether the environment variables are read.
    environment: bool,
    /// The first `vary` argument that could not be read, reported when the experiment runs.
    mistake: Option<(String, VaryError)>,
}

impl Experiment {
    /// An experiment on the scenario in file `path` (named so in commands and messages: a path
    /// relative to where `faultline` will run, as `cargo test` runs from the package root).
    pub fn load(path: &str) -> Result<Experiment, ExperimentError> {
        let loaded = sim_models::load_scenario(path, &[])?;
        Ok(Self::from_text(path, &loaded.text))
    }

    /// An experiment on scenario text `text`, named `file` in messages and commands.
    pub fn from_text(file: &str, text: &str) -> Experiment {
        Experiment {
            file: file.to_string(),
            text: text.to_string(),
            load: LoadOptions::default(),
            sets: Vec::new(),
            vary: Vec::new(),
            faults: Vec::new(),
            cases: 32,
            series: false,
            search_seed: 0,
            shrink_runs: 256,
            regressions: None,
            environment: true,
            mistake: None,
        }
    }

    /// Overrides a field in every case, as `faultline run --set PATH=VALUE` does.
    pub fn set(mut self, arg: &str) -> Self {
        self.sets.push(arg.to_string());
        self
    }

    /// Varies a field over the sweep's syntax: `PATH=v1,v2,…` or `PATH=lo..hi:step`. Each case
    /// takes one value; shrinking prefers the earlier ones, so list the simplest first.
    pub fn vary(mut self, arg: &str) -> Self {
        match Vary::parse(arg) {
            Ok(v) => self.vary.push(v),
            Err(source) => {
                self.mistake.get_or_insert((arg.to_string(), source));
            }
        }
        self
    }

    /// Adds a fault that each case draws afresh (see [`FaultGen`]).
    pub fn fault(mut self, fault: FaultGen) -> Self {
        self.faults.push(fault);
        self
    }

    /// Runs `n` cases, each with its own seed ([`CASES_VAR`] overrides it).
    pub fn seeds(mut self, n: u64) -> Self {
        self.cases = n;
        self
    }

    /// Draws the cases from `seed` ([`SEED_VAR`] overrides it; 0 unless set).
    pub fn search_seed(mut self, seed: u64) -> Self {
        self.search_seed = seed;
        self
    }

    /// Spends at most `n` runs shrinking a failure ([`SHRINK_VAR`] overrides it; 256 unless
    /// set).
    pub fn shrink_runs(mut self, n: u32) -> Self {
        self.shrink_runs = n;
        self
    }

    /// Keeps a regression file at `path`: its cases run first, before any case is drawn, and
    /// each new minimal failure is appended to it (one JSON line per case, with its values and
    /// fault draws; commit it beside the test).
    pub fn regressions(mut self, path: impl Into<PathBuf>) -> Self {
        self.regressions = Some(path.into());
        self
    }

    /// Ignores [`CASES_VAR`], [`SEED_VAR`] and [`SHRINK_VAR`]: for a test whose verdict must
    /// not depend on the shell it runs in (a test of a known failure, say).
    pub fn ignore_environment(mut self) -> Self {
        self.environment = false;
        self
    }

    /// Keeps the time series (`run.result.timeseries_csv()`); off unless asked, so that each
    /// case records only the report and its observer.
    pub fn with_series(mut self) -> Self {
        self.series = true;
        self
    }

    /// Checks `property` on every case and panics with the minimal failing case and the
    /// command that reproduces it, or with the reason the experiment could not run.
    pub fn check<P>(self, property: P)
    where
        P: Fn(&Run<'_, ()>) -> Result<(), String> + Sync,
    {
        self.check_observed(|| (), property)
    }

    /// [`check`](Self::check) with an observer made by `make` for each run.
    pub fn check_observed<O, M, P>(self, make: M, property: P)
    where
        O: Observer,
        M: Fn() -> O + Sync,
        P: Fn(&Run<'_, O>) -> Result<(), String> + Sync,
    {
        match self.run(make, property) {
            Ok(Verdict::Passed { .. }) => {}
            Ok(Verdict::Failed(failure)) => panic!("{failure}"),
            Err(e) => panic!("experiment on {} could not run: {e}", self.file),
        }
    }

    /// Runs the experiment: [`Verdict::Passed`], the shrunk [`Failure`](crate::Failure), or why it could not
    /// run.
    pub fn run<O, M, P>(&self, make: M, property: P) -> Result<Verdict, ExperimentError>
    where
        O: Observer,
        M: Fn() -> O + Sync,
        P: Fn(&Run<'_, O>) -> Result<(), String> + Sync,
    {
        let plan = self.plan()?;
        search(&plan, &make, &property)
    }

    /// Checks everything that can be checked before a case runs, and settles the numbers.
    fn plan(&self) -> Result<Plan, ExperimentError> {
        if let Some((arg, source)) = &self.mistake {
            return Err(ExperimentError::Vary {
                arg: arg.clone(),
                source: source.clone(),
            });
        }
        let env = |name| match self.environment {
            true => env_number(name),
            false => Ok(None),
        };
        let cases = env(CASES_VAR)?.unwrap_or(self.cases);
        if cases == 0 || cases > MAX_CASES {
            return Err(ExperimentError::Cases {
                cases,
                max: MAX_CASES,
            });
        }
        let spec = SweepSpec {
            scenario_file: self.file.clone(),
            scenario_text: self.text.clone(),
            sets: self.sets.clone(),
            vary: self.vary.clone(),
            seeds: 1,
            baseline: Baseline::Index(0),
            load: self.load,
        };
        let (base, _warnings) = sim_sweep::plan::check_vary(&spec)?;
        let faults: Vec<Resolved> = self
            .faults
            .iter()
            .enumerate()
            .map(|(i, f)| f.resolve(i, &base.scenario, &self.vary))
            .collect::<Result<_, _>>()?;
        let shrink = env(SHRINK_VAR)?.unwrap_or(u64::from(self.shrink_runs));
        let regressions = match &self.regressions {
            Some(path) => regressions::read(path, &self.vary, &faults)?,
            None => Vec::new(),
        };
        Ok(Plan {
            file: self.file.clone(),
            text: self.text.clone(),
            load: self.load,
            sets: self.sets.clone(),
            vary: self.vary.clone(),
            faults,
            existing_faults: base.scenario.faults.len(),
            cases,
            series: self.series,
            search_seed: env(SEED_VAR)?.unwrap_or(self.search_seed),
            shrink_runs: u32::try_from(shrink).unwrap_or(u32::MAX),
            regression_file: self.regressions.clone(),
            regressions,
        })
    }
}
