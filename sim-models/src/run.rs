//! Running a scenario: the library entry points the CLI, sweeps, the GUI and tests all use.

use crate::check::Problems;
use crate::observer::Observer;
use crate::policy::PolicyRegistry;
use crate::report::Report;
use crate::scenario::Scenario;
use crate::trace::{TraceConfig, Tracer};
use crate::world::World;
use sim_core::{verify_determinism, DeterminismReport, Divergence, RunLimits, SimTime, Simulation};

/// The engine limits a scenario asks for.
pub fn run_limits(scenario: &Scenario) -> RunLimits {
    RunLimits {
        end_time: SimTime(scenario.duration.as_nanos()),
        max_events: scenario.limits.max_events.unwrap_or(u64::MAX),
        wall_clock: scenario
            .limits
            .wall_clock
            .map(|d| std::time::Duration::from_nanos(d.as_nanos())),
        ..RunLimits::default()
    }
}

/// A ready-to-step simulation of `scenario` with `seed`: for viewers that advance a run
/// piece by piece. [`run`] is the one-call form.
pub fn simulation(scenario: &Scenario, seed: u64) -> Result<Simulation<World>, Problems> {
    simulation_with_policies(scenario, seed, &PolicyRegistry::new())
}

/// [`simulation`] with user-defined policies from `registry`.
pub fn simulation_with_policies(
    scenario: &Scenario,
    seed: u64,
    registry: &PolicyRegistry,
) -> Result<Simulation<World>, Problems> {
    Ok(Simulation::new(
        World::with_policies(scenario, seed, registry)?,
        run_limits(scenario),
    ))
}

/// [`simulation_with_policies`] watched by `observer` (see [`Observer`]): for viewers, tests
/// and recorders that follow a run as it happens. The observer changes no result.
pub fn simulation_observed<O: Observer>(
    scenario: &Scenario,
    seed: u64,
    registry: &PolicyRegistry,
    observer: O,
) -> Result<Simulation<World<O>>, Problems> {
    Ok(Simulation::new(
        World::with_observer(scenario, seed, registry, observer)?,
        run_limits(scenario),
    ))
}

/// A ready-to-step lean simulation of `scenario` with `seed` ([`World::lean`]): no
/// [`Statistics`](crate::Statistics), no report; the same events and results as any other run.
/// For benchmarks and for experiments that read only the model's state or an observer.
pub fn simulation_lean<O: Observer>(
    scenario: &Scenario,
    seed: u64,
    observer: O,
) -> Result<Simulation<World<O, ()>>, Problems> {
    Ok(Simulation::new(
        World::lean(scenario, seed, &PolicyRegistry::new(), observer)?,
        run_limits(scenario),
    ))
}

/// The outcome of a run: its summary and the final state of the system (for time series), with
/// the observer that watched it ([`World::observer`]).
#[derive(Clone, Debug)]
pub struct RunResult<O = ()> {
    /// The summary.
    pub report: Report,
    /// The system at the end of the run.
    pub world: World<O>,
    /// Simulated time at the end.
    pub end: SimTime,
    /// Width of a time-series bucket, in nanoseconds.
    pub bucket_ns: u64,
    /// The scenario's stores at the end of the run, in name order: their histories and
    /// leadership timelines (their figures are in `report.stores`).
    pub stores: Vec<sim_store::StoreModel>,
}

impl<O: Observer> RunResult<O> {
    /// The time series as CSV (see [`World::timeseries_csv`]).
    pub fn timeseries_csv(&self) -> String {
        self.world.timeseries_csv(self.end, self.bucket_ns)
    }

    /// The policies' time series as CSV (see [`World::policies_csv`]).
    pub fn policies_csv(&self) -> String {
        self.world.policies_csv(self.end, self.bucket_ns)
    }

    /// The caches' time series as CSV, if any service has a cache (see
    /// [`World::caches_csv`]).
    pub fn caches_csv(&self) -> Option<String> {
        self.world.caches_csv(self.end, self.bucket_ns)
    }

    /// Writes the request traces `tracer` recorded of this run as Chrome trace-event JSON
    /// (see [`crate::trace::write_chrome_json`]).
    pub fn write_trace(
        &self,
        tracer: &Tracer,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let services: Vec<&str> = self
            .world
            .services
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        let stores: Vec<&str> = self.stores.iter().map(|s| s.name.as_str()).collect();
        crate::trace::write_chrome_json(
            tracer,
            &services,
            &stores,
            &self.world.edges,
            &self.report.scenario,
            self.report.seed,
            out,
        )
    }
}

/// Runs `scenario` with `seed` to its end (or a limit) and reports.
///
/// ```
/// use sim_models::{run, load_scenario_str};
/// let text = r#"(
///     duration: "1000s",
///     clients: { "users": Open(rate: 0.5, target: "server") },
///     services: { "server": (workers: 1, service_time: Exponential(mean: "1s")) },
/// )"#;
/// let scenario = load_scenario_str("example.ron", text, &[]).unwrap().scenario;
/// let result = run(&scenario, 7).unwrap();
/// let server = &result.report.services["server"];
/// assert!((server.utilization - 0.5).abs() < 0.1);
/// ```
pub fn run(scenario: &Scenario, seed: u64) -> Result<RunResult, Problems> {
    run_with_policies(scenario, seed, &PolicyRegistry::new())
}

/// [`run`] with user-defined policies: `Custom(name: …)` layers in the scenario are built by
/// the factories registered in `registry` (see `examples/custom_policy.rs`).
pub fn run_with_policies(
    scenario: &Scenario,
    seed: u64,
    registry: &PolicyRegistry,
) -> Result<RunResult, Problems> {
    run_controlled(scenario, seed, registry, Recording::default(), |_| {
        Control::Continue
    })
}

/// [`run_with_policies`], recording traces of a sample of the requests: the [`Tracer`] is the
/// run's observer (`result.world.observer()`; [`RunResult::write_trace`] writes it). Tracing
/// changes no outcome: the report is the same with or without it.
pub fn run_traced(
    scenario: &Scenario,
    seed: u64,
    registry: &PolicyRegistry,
    trace: TraceConfig,
) -> Result<RunResult<Tracer>, Problems> {
    let tracer = Tracer::new(trace, seed);
    run_controlled_observed(
        scenario,
        seed,
        registry,
        tracer,
        Recording::default(),
        |_| Control::Continue,
    )
}

/// [`run`] keeping only what the report needs: no time series, so
/// [`RunResult::timeseries_csv`], [`RunResult::policies_csv`] and charts would show zeros in
/// every bucket. The report is the same as [`run`]'s; sweeps and searches, which read only
/// reports, run this way.
pub fn run_summary(scenario: &Scenario, seed: u64) -> Result<RunResult, Problems> {
    let recording = Recording { series: false };
    run_controlled(scenario, seed, &PolicyRegistry::new(), recording, |_| {
        Control::Continue
    })
}

/// What a run records beyond its report and its observer. Recording changes no result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recording {
    /// Whether to keep the time series (per-bucket counts, levels and quantiles) that
    /// `timeseries.csv`, `policies.csv` and the charts show. The report never reads them.
    pub series: bool,
}

impl Default for Recording {
    /// Time series on: everything [`run`] gives.
    fn default() -> Self {
        Recording { series: true }
    }
}

/// Sets up what `sim` records, before it runs.
fn record<O: Observer>(sim: &mut Simulation<World<O>>, recording: Recording) {
    if !recording.series {
        sim.model_mut().disable_series();
    }
}

/// How far a run has got, as [`run_controlled`] tells its driver between slices of events.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Simulated time now.
    pub now: SimTime,
    /// Simulated time the run ends at.
    pub end: SimTime,
    /// Events processed so far.
    pub events: u64,
}

/// What a driver of [`run_controlled`] wants after a slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop now, keeping the results so far: the report's stop reason is `interrupted`.
    Stop,
}

/// Events between two calls of a [`run_controlled`] driver: a few milliseconds of work, so a
/// stop is prompt and the calls cost nothing measurable.
pub const PROGRESS_SLICE: u64 = 1 << 16;

/// [`run`] recording what `recording` says, calling `control` every [`PROGRESS_SLICE`] events with the run's progress:
/// it can show progress, and stop the run with its results kept (Ctrl-C). Stopping changes
/// nothing before the stop: the results so far are those of the uninterrupted run.
pub fn run_controlled(
    scenario: &Scenario,
    seed: u64,
    registry: &PolicyRegistry,
    recording: Recording,
    control: impl FnMut(Progress) -> Control,
) -> Result<RunResult, Problems> {
    run_controlled_observed(scenario, seed, registry, (), recording, control)
}

/// [`run_controlled`] telling `observer` what happens (as [`run_observed`]): `faultline run
/// --trace` runs this way with a [`Tracer`].
pub fn run_controlled_observed<O: Observer>(
    scenario: &Scenario,
    seed: u64,
    registry: &PolicyRegistry,
    observer: O,
    recording: Recording,
    mut control: impl FnMut(Progress) -> Control,
) -> Result<RunResult<O>, Problems> {
    let mut sim = simulation_observed(scenario, seed, registry, observer)?;
    record(&mut sim, recording);
    while sim.run_for(PROGRESS_SLICE).is_none() {
        let progress = Progress {
            now: sim.now(),
            end: sim.end_time(),
            events: sim.events(),
        };
        if control(progress) == Control::Stop {
            sim.interrupt();
        }
    }
    Ok(finish(sim, scenario, seed))
}

/// The result of a run of `scenario` with `seed` that has stopped, or that a driver ends here
/// (a viewer, a fork): its time series are closed at the clock and the report says why it
/// stopped (`interrupted` if it had not).
pub fn finish<O: Observer>(
    mut sim: Simulation<World<O>>,
    scenario: &Scenario,
    seed: u64,
) -> RunResult<O> {
    sim.interrupt();
    let stop = sim.step().cloned().expect("stopped");
    let end = sim.now();
    let events = sim.events();
    let (mut world, _) = sim.into_parts();
    world.finish(end);
    let limits = RunLimits {
        end_time: end,
        ..run_limits(scenario)
    };
    let (linked, linked_events) = world.take_linked_stores(end);
    let events = events + linked_events;
    let stores = crate::stores::run_stores(scenario, seed, &limits, linked);
    // A scenario of stores alone: the stores' run is the run.
    let stop = match stores.stop {
        Some(s) if scenario.services.is_empty() => s,
        _ => stop,
    };
    let mut report = world.report(&scenario.name, seed, end, events + stores.events, &stop);
    report.stores = stores.reports;
    let stores = stores.models;
    RunResult {
        report,
        world,
        end,
        bucket_ns: scenario.time_series.bucket.as_nanos(),
        stores,
    }
}

/// Runs `scenario` with `seed` to its end (or a limit), telling `observer` what happens; the
/// result holds the observer (`result.world.observer()`) and the same report as [`run`].
pub fn run_observed<O: Observer>(
    scenario: &Scenario,
    seed: u64,
    observer: O,
) -> Result<RunResult<O>, Problems> {
    run_observed_recording(scenario, seed, observer, Recording::default())
}

/// [`run_observed`] recording what `recording` says: an experiment that reads only the report
/// and its observer runs without time series.
pub fn run_observed_recording<O: Observer>(
    scenario: &Scenario,
    seed: u64,
    observer: O,
    recording: Recording,
) -> Result<RunResult<O>, Problems> {
    let mut sim = simulation_observed(scenario, seed, &PolicyRegistry::new(), observer)?;
    record(&mut sim, recording);
    sim.run();
    Ok(finish(sim, scenario, seed))
}

/// Runs `scenario` twice with `seed` and checks that both runs process the same events (the
/// services' world, then each store); on divergence, names the first event that differs.
pub fn verify(
    scenario: &Scenario,
    seed: u64,
) -> Result<Result<DeterminismReport, Divergence>, Problems> {
    World::new(scenario, seed)?; // surface scenario errors before running
    let world = match verify_determinism(|| simulation(scenario, seed).expect("checked above")) {
        Ok(r) => r,
        Err(d) => return Ok(Err(d)),
    };
    // Each store services do not call is its own simulation: each must repeat itself too (a
    // store they call runs inside the world, whose digest covers its wakes).
    let limits = run_limits(scenario);
    let mut all = world;
    let called = crate::stores::called_stores(scenario);
    for name in scenario
        .stores
        .keys()
        .filter(|n| !called.contains(n.as_str()))
    {
        match verify_determinism(|| crate::stores::store_simulation(scenario, seed, &limits, name))
        {
            Ok(r) => {
                all.events += r.events;
                all.hash = all.hash.rotate_left(17) ^ r.hash;
            }
            Err(d) => return Ok(Err(d)),
        }
    }
    Ok(Ok(all))
}
