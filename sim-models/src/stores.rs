//! A scenario's stores, run beside its services. Each store is its own model (`sim_store`),
//! built on the scenario's network spec with the same zones, and hit by the scenario's faults
//! that name it (crash, pause, clock jump) or that cut, slow or drop messages between places it
//! is in (a zone, the store, `store#i`). A store that no service calls runs as a simulation of
//! its own over the same simulated time; one that a service's `Store` step calls runs inside
//! the services' world (`world/store_call.rs`) and is only measured here.

use crate::fault::{Fault, FaultKind, FaultSpec};
// A service, a client or another store contains none of this store's endpoints.
use crate::network::{Network, Place};
use crate::place::ELSEWHERE;
use crate::scenario::Scenario;
use sim_core::{RngFactory, RunLimits, SimDuration, Simulation};
use sim_history::linearizable::DEFAULT_STEP_BUDGET;
use sim_store::{
    StoreFault, StoreModel, StoreNetFault, StoreReport, FIRST_CALLER_NODE, REPLICAS_NODE,
};
use std::collections::BTreeMap;

/// What running a scenario's stores gave.
pub(crate) struct StoreRuns {
    /// Each store's figures, by name.
    pub reports: BTreeMap<String, StoreReport>,
    /// Each store at the end (history, timeline), in name order.
    pub models: Vec<StoreModel>,
    /// Events the stores processed, over all of them.
    pub events: u64,
    /// Why the last store's run stopped.
    pub stop: Option<sim_core::StopReason>,
}

/// Runs every store of a checked scenario with `seed` within `limits` (the scenario's, ending
/// where the services' run ended), except the `linked` ones, which ran inside the services'
/// run (services call them) and are only measured here.
pub(crate) fn run_stores(
    scenario: &Scenario,
    seed: u64,
    limits: &RunLimits,
    linked: Vec<(String, StoreModel)>,
) -> StoreRuns {
    let end = limits.end_time;
    let mut runs = StoreRuns {
        reports: BTreeMap::new(),
        models: Vec::new(),
        events: 0,
        stop: None,
    };
    let mut linked: BTreeMap<String, StoreModel> = linked.into_iter().collect();
    for name in scenario.stores.keys() {
        let mut model = match linked.remove(name) {
            Some(model) => model,
            None => {
                let mut sim = store_simulation(scenario, seed, limits, name);
                runs.stop = Some(sim.run());
                runs.events += sim.events();
                sim.into_parts().0
            }
        };
        runs.reports
            .insert(name.clone(), model.measure(end, DEFAULT_STEP_BUDGET));
        runs.models.push(model);
    }
    runs
}

/// A ready-to-run simulation of store `name` of a checked scenario, within `limits`.
pub(crate) fn store_simulation(
    scenario: &Scenario,
    seed: u64,
    limits: &RunLimits,
    name: &str,
) -> Simulation<StoreModel> {
    let end = limits.end_time;
    let zones = scenario.zones();
    let spec = &scenario.stores[name];
    let zone = |z: &str| {
        zones
            .iter()
            .position(|n| n == z)
            .map_or(sim_net::NO_ZONE, |i| i as u16)
    };
    let place = |p: &str| store_place(scenario, &zones, name, p);
    let (faults, net_faults) = store_faults(&scenario.faults, name, &place);
    let network = Network::new(
        &scenario.network,
        &place,
        FIRST_CALLER_NODE as usize + scenario.services.len(),
        zones.len(),
        !net_faults.is_empty(),
        RngFactory::new(seed).stream(&format!("store/{name}/network")),
    );
    let duration = SimDuration::from_nanos(end.0);
    let mut model = StoreModel::new(
        name, spec, seed, network, &zone, faults, net_faults, duration,
    );
    model.record_applied(scenario.time_series.bucket);
    Simulation::new(model, limits.clone())
}

/// `specs` (a scenario's faults) as store `name` sees them.
fn store_faults(
    specs: &[FaultSpec],
    name: &str,
    place: &dyn Fn(&str) -> Place,
) -> (Vec<StoreFault>, Vec<StoreNetFault>) {
    let mut faults = Vec::new();
    let mut net = Vec::new();
    for spec in specs {
        match spec {
            FaultSpec::Crash {
                service,
                instance,
                at,
                restart_after,
            } if service == name => faults.push(StoreFault::Crash {
                replica: *instance,
                at: *at,
                restart_after: *restart_after,
            }),
            FaultSpec::Pause {
                service,
                instance,
                start,
                duration,
            } if service == name => faults.push(StoreFault::Pause {
                replica: *instance,
                start: *start,
                duration: *duration,
            }),
            FaultSpec::ClockJump {
                service,
                instance,
                at,
                by,
                backwards,
            } if service == name => {
                let ns = i64::try_from(by.as_nanos()).unwrap_or(i64::MAX);
                faults.push(StoreFault::ClockJump {
                    replica: *instance,
                    at: *at,
                    by: if *backwards { -ns } else { ns },
                });
            }
            FaultSpec::Partition { .. }
            | FaultSpec::NetworkDelay { .. }
            | FaultSpec::PacketLoss { .. } => {
                let f = Fault::new(spec, None, place);
                let FaultKind::Network(effect, one_way) = f.kind else {
                    unreachable!("a network fault");
                };
                let (start, end) = spec.window();
                net.push(StoreNetFault {
                    start,
                    end,
                    effect,
                    a: f.sides.0,
                    b: f.sides.1,
                    one_way,
                });
            }
            _ => {} // a service's fault, or a flapping link (the check warns)
        }
    }
    (faults, net)
}

/// The stores some service's `Store` step names: those that run inside the services' world.
pub(crate) fn called_stores(scenario: &Scenario) -> std::collections::BTreeSet<&str> {
    let mut steps = Vec::new();
    for (name, s) in &scenario.services {
        crate::program::store_steps(&s.steps, &format!("services.{name}.steps"), &mut steps);
    }
    steps.into_iter().map(|(_, st)| st.store.as_str()).collect()
}

/// Where place `p` (a zone, the store, `store#i`, a calling service or `service#i`) is in store
/// `name`'s network; anything else is elsewhere.
fn store_place(scenario: &Scenario, zones: &[String], name: &str, p: &str) -> Place {
    if let Some(z) = zones.iter().position(|n| n == p) {
        return Place::Zone(z as u16);
    }
    if p == name {
        return Place::Node(REPLICAS_NODE);
    }
    // A service's Store steps come from its own node here (see `world/store_call.rs`).
    let service = |n: &str| {
        scenario
            .services
            .keys()
            .position(|s| s == n)
            .map(|s| FIRST_CALLER_NODE + s as u32)
    };
    if let Some(node) = service(p) {
        return Place::Node(node);
    }
    match p.rsplit_once('#') {
        Some((store, i)) if store == name => i
            .parse()
            .map_or(ELSEWHERE, |i| Place::Instance(REPLICAS_NODE, i)),
        Some((svc, i)) => match (service(svc), i.parse()) {
            (Some(node), Ok(i)) => Place::Instance(node, i),
            _ => ELSEWHERE,
        },
        _ => ELSEWHERE,
    }
}

/// `fault`, added to a running scenario, as store `name` sees it (nothing, if it does not
/// reach the store).
pub(crate) fn store_fault(
    scenario: &Scenario,
    name: &str,
    fault: &FaultSpec,
) -> (Vec<StoreFault>, Vec<StoreNetFault>) {
    let zones = scenario.zones();
    store_faults(std::slice::from_ref(fault), name, &|p: &str| {
        store_place(scenario, &zones, name, p)
    })
}
