//! Forking a run: a `Simulation<World>` clone is a checkpoint that continues exactly as the
//! original; `inject_fault` then changes the future of one copy ("what if this instance crashed
//! now?") without touching its past.

use super::{Event, World};
use crate::check::{Problem, Problems, Severity};
use crate::fault::{Fault, FaultKind, FaultSpec};
use crate::ids::{FaultId, ServiceId};
use crate::scenario::Scenario;
use crate::statistics::StatisticsSlot;
use sim_core::{SimTime, Simulation};

impl<O: crate::observer::Observer, S: StatisticsSlot> World<O, S> {
    /// Adds a compiled fault; returns the events that start and end it.
    fn add_fault(&mut self, fault: Fault) -> Vec<(SimTime, Event)> {
        let index = FaultId::new(self.faults.len());
        if let (FaultKind::Pause, Some(s)) = (fault.kind, fault.service) {
            let end = fault.end.expect("a pause has a duration");
            for (i, inst) in self.services[s].instances.iter_mut().enumerate() {
                if fault.hits(i) {
                    inst.pauses.push((fault.start, end));
                    inst.pauses.sort_unstable();
                }
            }
        }
        if matches!(fault.kind, FaultKind::Network(..) | FaultKind::Flapping(..)) {
            // Messages now go through the network's fault checks.
            self.network.expect_faults();
        }
        let mut events = vec![(fault.start, Event::FaultStart { fault: index })];
        if let Some(end) = fault.end {
            events.push((end, Event::FaultEnd { fault: index }));
        }
        self.faults.push(fault);
        events
    }
}

/// Adds `fault` to the paused run `sim` of `scenario` (the scenario it was built from): it takes
/// effect at its own start time, which must not be before the run's clock. Checked as if it were
/// in the scenario's `faults` list; the run before now is unchanged, and a clone taken before
/// the call runs on without it.
///
/// ```
/// use sim_models::{finish, inject_fault, load_scenario_str, simulation, FaultSpec};
/// use sim_core::{SimDuration, SimTime};
/// let text = r#"(duration: "60s",
///     clients: { "u": Open(rate: 50.0, target: "db") },
///     services: { "db": (instances: 2, workers: 4, service_time: Exponential(mean: "10ms")) })"#;
/// let scenario = load_scenario_str("x.ron", text, &[]).unwrap().scenario;
/// let mut sim = simulation(&scenario, 1).unwrap();
/// sim.run_until(SimTime(30_000_000_000));
/// let mut what_if = sim.clone();
/// let crash = FaultSpec::Crash {
///     service: "db".into(),
///     instance: Some(0),
///     at: SimDuration::from_secs(30),
///     restart_after: Some(SimDuration::from_secs(10)),
/// };
/// inject_fault(&mut what_if, &scenario, crash).unwrap();
/// what_if.run();
/// sim.run();
/// let (crashed, steady) = (finish(what_if, &scenario, 1), finish(sim, &scenario, 1));
/// let failed = |r: &sim_models::RunResult| r.report.clients["u"].errors.values().sum::<u64>();
/// assert!(failed(&crashed) > failed(&steady));
/// ```
pub fn inject_fault<O: crate::observer::Observer>(
    sim: &mut Simulation<World<O>>,
    scenario: &Scenario,
    fault: FaultSpec,
) -> Result<(), Problems> {
    let path = format!("faults.{}", sim.model().faults.len());
    let (start, _) = fault.window();
    if SimTime(start.as_nanos()) < sim.now() {
        return Err(Problems(vec![Problem {
            severity: Severity::Error,
            path,
            message: format!(
                "starts at {start}, before the run's clock ({}): a fork changes only the future",
                sim.now()
            ),
        }]));
    }
    // Checked exactly as a fault written in the file: the scenario with it added.
    let mut with = scenario.clone();
    with.faults.truncate(sim.model().faults.len());
    with.faults.push(fault.clone());
    let errors: Vec<Problem> = with
        .check()
        .into_iter()
        .filter(|p| p.severity == Severity::Error && p.path.starts_with(&path))
        .collect();
    if !errors.is_empty() {
        return Err(Problems(errors));
    }
    // A fault on a store's replicas reaches the store only if it runs inside the world; a
    // network fault reaches the services and every store that does.
    if let Some(name) = fault.service().filter(|n| scenario.stores.contains_key(*n)) {
        if !sim.model().links_store(name) {
            return Err(Problems(vec![Problem {
                severity: Severity::Error,
                path: format!("{path}.service"),
                message: format!(
                    "store {name:?} runs apart from the services (none of them calls it), so a \
                     fault cannot be added to it mid-run; write it in the scenario's faults"
                ),
            }]));
        }
    }
    let (on_store, wakes) = sim.model_mut().add_store_fault(scenario, &fault);
    for (time, event) in wakes {
        sim.schedule_at(time, event);
    }
    if on_store {
        // It strikes the store's replicas; the world keeps its place in the list.
        for (time, event) in sim.model_mut().add_fault(Fault::elsewhere(&fault)) {
            sim.schedule_at(time, event);
        }
        return Ok(());
    }
    let world = sim.model();
    let service = fault.service().map(|name| {
        scenario
            .services
            .keys()
            .position(|s| s == name)
            .map(ServiceId::new)
            .expect("checked")
    });
    let place =
        |name: &str| crate::place::resolve_place(scenario, &world.zones, name).expect("checked");
    let compiled = Fault::new(&fault, service, &place);
    for (time, event) in sim.model_mut().add_fault(compiled) {
        sim.schedule_at(time, event);
    }
    Ok(())
}
