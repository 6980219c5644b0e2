//! Building a [`World`] from a checked scenario: services and their programs, clients, the
//! deduplicated call edges with their policy stacks, faults, the network and the timer queues.

use super::{level_period, TimerQueue, Totals, World};
use crate::call::{Origin, Slab};
use crate::check::{Problems, Severity};
use crate::client::{Client, ClientKind};
use crate::edge::Edge;
use crate::fault::{Fault, FaultKind};
use crate::ids::{ClientId, EdgeId, ServiceId};
use crate::network::{Network, NO_ZONE};
use crate::observer::Observer;
use crate::policy::{
    Criticality, PolicyLevel, PolicyRegistry, PolicySpec, ServerLayer, ServerPolicySpec, StackSpec,
};
use crate::program::Program;
use crate::rate_schedule::ArrivalSchedule;
use crate::scenario::{ClientSpec, Scenario};
use crate::service::{Service, ServiceParts};
use crate::statistics::{Statistics, StatisticsShape, StatisticsSlot};
use sim_core::{RngFactory, SimDuration, SimTime};
use std::collections::{BTreeMap, VecDeque};

impl<O: Observer> World<O> {
    /// [`World::with_policies`] watched by `observer`, which is told what happens as it
    /// happens (see [`Observer`]); it changes no result.
    pub fn with_observer(
        scenario: &Scenario,
        seed: u64,
        registry: &PolicyRegistry,
        observer: O,
    ) -> Result<World<O>, Problems> {
        World::build(scenario, seed, registry, observer, Statistics::new)
    }
}

impl<O: Observer> World<O, ()> {
    /// [`World::with_observer`] without [`Statistics`]: the lean run, which records only what
    /// the model needs and what `observer` takes. It has no report; its results are the same.
    pub fn lean(
        scenario: &Scenario,
        seed: u64,
        registry: &PolicyRegistry,
        observer: O,
    ) -> Result<World<O, ()>, Problems> {
        World::build(scenario, seed, registry, observer, |_| ())
    }
}

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// Builds the world of a checked `scenario`; `stats` makes its statistics from their
    /// shape.
    fn build(
        scenario: &Scenario,
        seed: u64,
        registry: &PolicyRegistry,
        observer: O,
        stats: impl FnOnce(StatisticsShape) -> S,
    ) -> Result<World<O, S>, Problems> {
        let errors: Vec<_> = scenario
            .check()
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        if !errors.is_empty() {
            return Err(Problems(errors));
        }
        let rngs = RngFactory::new(seed);
        let bucket = scenario.time_series.bucket;
        let names: Vec<&String> = scenario.services.keys().collect();
        let index_of =
            |name: &str| ServiceId::new(names.iter().position(|n| *n == name).expect("checked"));
        let zones = scenario.zones();
        let zone_of = |name: &str| zones.iter().position(|z| z == name).expect("zone") as u16;

        // Edges, deduplicated per (caller, callee) in a deterministic order.
        let mut edges: Vec<Edge> = Vec::new();
        let mut edge_ids: BTreeMap<(bool, String, ServiceId), EdgeId> = BTreeMap::new();
        let mut edge = |from: &str, from_client: bool, to: ServiceId| -> EdgeId {
            *edge_ids
                .entry((from_client, from.to_string(), to))
                .or_insert_with(|| {
                    edges.push(Edge::new(from.to_string(), from_client, to));
                    EdgeId::new(edges.len() - 1)
                })
        };
        let client_edges: Vec<EdgeId> = scenario
            .clients
            .iter()
            .map(|(name, c)| edge(name, true, index_of(c.target())))
            .collect();
        // The policies of each edge, by the first call site that declares them (the check
        // makes sure the others agree), with where they were written.
        let mut edge_policies: BTreeMap<EdgeId, (Vec<PolicySpec>, String)> = BTreeMap::new();
        for ((name, c), &e) in scenario.clients.iter().zip(&client_edges) {
            if !c.policies().is_empty() {
                edge_policies.insert(
                    e,
                    (c.policies().to_vec(), format!("clients.{name}.policies")),
                );
            }
        }
        let tenants = scenario.tenants();
        let mut problems = Vec::new();
        let mut services: Vec<Service> = Vec::with_capacity(scenario.services.len());
        for (name, s) in &scenario.services {
            let mut server_layers = Vec::new();
            for (k, spec) in s.server_policies.iter().enumerate() {
                match ServerLayer::build(spec, tenants.len(), registry) {
                    Ok(layer) => server_layers.push(layer),
                    Err(message) => problems.push(crate::check::Problem {
                        severity: Severity::Error,
                        path: format!("services.{name}.server_policies.{k}"),
                        message,
                    }),
                }
            }
            let classes = if s
                .server_policies
                .iter()
                .any(|p| matches!(p, ServerPolicySpec::Criticality(_)))
            {
                Criticality::COUNT
            } else {
                1
            };
            let program = if s.steps.is_empty() {
                let work = s.service_time.clone().expect("checked");
                Program::compile(&[crate::program::Step::Work(work)], &mut |_, _| {
                    unreachable!("a service without steps calls nobody")
                })
            } else {
                Program::compile(&s.steps, &mut |to: &str, policies: &[PolicySpec]| {
                    let t = index_of(to);
                    let e = edge(name, false, t);
                    if !policies.is_empty() {
                        edge_policies.entry(e).or_insert_with(|| {
                            (policies.to_vec(), format!("services.{name}.steps"))
                        });
                    }
                    (t, e)
                })
            };
            let mut cum = 0.0;
            let routes = s
                .routes
                .iter()
                .map(|r| {
                    cum += r.probability;
                    let to = index_of(&r.to);
                    (cum, to, edge(name, false, to))
                })
                .collect();
            let instances = s.allocated_instances();
            let caches = program
                .caches
                .iter()
                .map(|spec| {
                    let rng = rngs.stream(&format!("service/{name}/cache/{}", spec.of));
                    crate::cache::Cache::new(spec, instances, s.instances, bucket, rng)
                })
                .collect();
            let service = Service::new(ServiceParts {
                id: ServiceId::new(services.len()),
                name: name.clone(),
                instances,
                initial: s.instances,
                autoscaling: s.autoscaling.clone(),
                zones: s.zones.iter().map(|z| zone_of(z)).collect(),
                workers: s.workers,
                capacity: s.capacity,
                load_balancer: s.load_balancer,
                program,
                concurrency: s.concurrency,
                deadlines: s.deadlines.clone(),
                request_bytes: s.request_bytes,
                response_bytes: s.response_bytes,
                routes,
                service_rng: rngs.stream(&format!("service/{name}/service_time")),
                routing_rng: rngs.stream(&format!("service/{name}/routing")),
                balancer_rng: rngs.stream(&format!("service/{name}/load_balancer")),
                errors_rng: rngs.stream(&format!("service/{name}/errors")),
                bucket,
                server_layers,
                classes,
                server_rng: rngs.stream(&format!("service/{name}/server_policies")),
                outlier: s.outlier_detection.clone(),
                outlier_rng: rngs.stream(&format!("service/{name}/outlier_detection")),
                health_check: s.health_check.clone(),
                liveness: s.liveness.clone(),
                health_rng: rngs.stream(&format!("service/{name}/health")),
                caches,
            });
            match service {
                Ok(mut service) => {
                    service.contention = s.contention;
                    if let Some(crate::contention::ContentionSpec::ProcessorSharing { cores }) =
                        s.contention
                    {
                        service.sharing = (0..service.instances.len())
                            .map(|_| crate::sharing::Sharing::new(cores))
                            .collect();
                    }
                    drift(&mut service, s, &index_of);
                    services.push(service)
                }
                Err(e) => {
                    return Err(Problems(vec![crate::check::Problem {
                        severity: Severity::Error,
                        path: format!("services.{name}.instances"),
                        message: format!(
                            "this machine cannot hold {instances} instances ({e}); lower it, or limits.max_memory so that check refuses such runs before they start"
                        ),
                    }]))
                }
            }
        }
        let mut client_zones = Vec::new();
        let mut client_origins = Vec::new();
        let mut client_timeouts = Vec::new();
        let clients: Vec<Client> = scenario
            .clients
            .iter()
            .map(|(name, c)| {
                client_zones.push(c.zone().map_or(NO_ZONE, zone_of));
                let tenant = c.tenant().unwrap_or(name);
                client_origins.push(Origin {
                    tenant: tenants.iter().position(|t| t == tenant).expect("tenant") as u16,
                    criticality: c.criticality(),
                });
                client_timeouts.push(c.timeout());
                let kind = match c {
                    ClientSpec::Open {
                        rate,
                        process,
                        schedule,
                        ..
                    } => ClientKind::Open {
                        schedule: ArrivalSchedule::new(*process, *rate, schedule),
                        rng: rngs.stream(&format!("client/{name}/arrivals")),
                    },
                    ClientSpec::Closed {
                        users, think_time, ..
                    } => ClientKind::Closed {
                        users: *users,
                        think_time: think_time.sampler().expect("checked"),
                        rng: rngs.stream(&format!("client/{name}/think_time")),
                    },
                };
                Client::new(name.clone(), kind, index_of(c.target()))
            })
            .collect();
        let place =
            |name: &str| crate::place::resolve_place(scenario, &zones, name).expect("checked");
        let faults: Vec<Fault> = scenario
            .faults
            .iter()
            .map(|f| match f.service() {
                Some(s) if scenario.stores.contains_key(s) => Fault::elsewhere(f),
                service => Fault::new(f, service.map(index_of), &place),
            })
            .collect();
        for f in &faults {
            if let (FaultKind::Pause, Some(s)) = (f.kind, f.service) {
                let end = f.end.expect("a pause has a duration");
                for (i, inst) in services[s].instances.iter_mut().enumerate() {
                    if f.hits(i) {
                        inst.pauses.push((f.start, end));
                        inst.pauses.sort_unstable();
                    }
                }
            }
        }
        let network_faults = faults
            .iter()
            .any(|f| matches!(f.kind, FaultKind::Network(..) | FaultKind::Flapping(..)));
        let network = Network::new(
            &scenario.network,
            &place,
            scenario.clients.len() + scenario.services.len(),
            zones.len(),
            network_faults,
            rngs.stream("network"),
        );
        // Policy stacks: one per caller instance of each edge with policies.
        let mut stacks = Vec::new();
        let mut stack_edges = Vec::new();
        let mut edge_stacks = vec![u32::MAX; edges.len()];
        let mut policy_levels: Vec<Vec<PolicyLevel>> = vec![Vec::new(); edges.len()];
        for (&e, (specs, path)) in &edge_policies {
            let spec = StackSpec::new(specs);
            let ed = &mut edges[e];
            ed.policies = true;
            let to = &services[ed.to].name;
            let callers = if ed.from_client {
                1
            } else {
                services[index_of(&ed.from)].instances.len()
            };
            edge_stacks[e.index()] = stacks.len() as u32;
            let drifted = (!ed.from_client)
                .then(|| &scenario.services[&ed.from].drift)
                .filter(|d| !d.is_empty());
            for i in 0..callers {
                let rng = rngs.stream(&format!("policy/{}/{to}/{i}", ed.from));
                let own = drifted
                    .and_then(|d| crate::drift::of(d, i as u32))
                    .and_then(|d| d.policies.get(to))
                    .map(|specs| StackSpec::new(specs));
                match own.as_ref().unwrap_or(&spec).build(registry, rng) {
                    Ok(stack) => {
                        stacks.push(stack);
                        stack_edges.push(e);
                    }
                    Err(message) => {
                        problems.push(crate::check::Problem {
                            severity: Severity::Error,
                            path: path.clone(),
                            message,
                        });
                        break;
                    }
                }
            }
            if let Some(stack) = stacks.last() {
                let levels = stack
                    .layers
                    .iter()
                    .map(|l| PolicyLevel::new(l.name(), bucket))
                    .collect();
                policy_levels[e.index()] = levels;
            }
            // A timeout outside the retry bounds the whole call, like the call's own timeout.
            if let Some(t) = spec.call_timeout {
                if let Some(c) = client_edges.iter().position(|&x| x == e) {
                    let cur = &mut client_timeouts[c];
                    *cur = Some(cur.map_or(t, |x| x.min(t)));
                }
                for s in services.iter_mut() {
                    for target in s.program.calls.iter_mut().filter(|x| x.edge == e) {
                        target.timeout = Some(target.timeout.map_or(t, |x| x.min(t)));
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(Problems(problems));
        }
        let mut timer_base = Vec::new();
        let mut queues = scenario.clients.len();
        for s in &services {
            timer_base.push(queues as u32);
            queues += s.program.calls.len();
        }
        // Two more per edge with policies: its calls' deadlines and its attempts' timeouts.
        let mut edge_timers = vec![u32::MAX; edges.len()];
        for (e, t) in edge_timers.iter_mut().enumerate() {
            if edges[e].policies {
                *t = queues as u32;
                queues += 2;
            }
        }
        let policies: Vec<bool> = edges.iter().map(|e| e.policies).collect();
        let slos: Vec<crate::slo::SloTrack> = scenario
            .slos
            .iter()
            .map(|spec| {
                let client = scenario
                    .clients
                    .keys()
                    .position(|c| *c == spec.client)
                    .map(ClientId::new)
                    .expect("checked");
                let measured = SimDuration(
                    scenario
                        .duration
                        .as_nanos()
                        .saturating_sub(scenario.warmup.as_nanos()),
                );
                crate::slo::SloTrack::new(spec.clone(), client, scenario.duration, measured)
            })
            .collect();
        let stats = stats(StatisticsShape {
            bucket,
            clients: clients.len(),
            instances: services.iter().map(|s| s.instances.len()).collect(),
            policies: &policies,
            slos,
        });
        let mut world = World {
            timers: vec![TimerQueue::default(); queues],
            timer_base,
            edge_timers,
            services,
            clients,
            edges,
            faults,
            network,
            zones,
            requests: Slab::default(),
            calls: Slab::default(),
            invocations: Slab::default(),
            stacks,
            stack_edges,
            edge_stacks,
            policy_levels,
            resume: VecDeque::new(),
            level_period: level_period(bucket),
            ready: VecDeque::new(),
            cache_links: Vec::new(),
            sagas: Default::default(),
            client_zones,
            client_origins,
            client_timeouts,
            client_edges,
            max_in_flight: scenario.limits.max_in_flight,
            warmup: SimTime(scenario.warmup.as_nanos()),
            measured_from: SimTime::ZERO,
            totals: Totals::default(),
            links: Default::default(),
            observer,
            stats,
        };
        world.link_stores(scenario, seed);
        world.start_levels();
        Ok(world)
    }
}

/// Applies a service's configuration drift to the instances it names.
fn drift(
    service: &mut Service,
    spec: &crate::scenario::ServiceSpec,
    index_of: &dyn Fn(&str) -> ServiceId,
) {
    for d in &spec.drift {
        // Each call target's timeout at these instances: theirs for the services they name.
        let timeouts: Vec<_> = if d.timeouts.is_empty() {
            Vec::new()
        } else {
            let own = |to: ServiceId| d.timeouts.iter().find(|(name, _)| index_of(name) == to);
            (service.program.calls.iter())
                .map(|t| own(t.service).map(|(_, &d)| d).or(t.timeout))
                .collect()
        };
        for &i in &d.instances {
            let Some(inst) = service.instances.get_mut(i as usize) else {
                continue;
            };
            if let Some(w) = d.workers {
                inst.workers = w;
                inst.base_workers = w;
            }
            if let Some(k) = d.capacity {
                inst.capacity = k;
            }
            if let Some(f) = d.slowdown {
                inst.work_factor = f;
            }
            inst.call_timeouts.clone_from(&timeouts);
        }
    }
}
