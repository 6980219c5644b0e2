//! The simulated system: clients, services, the network and the calls between them, as one
//! [`Model`].
//!
//! One request's life: a client sends it; the target service's load balancer picks an
//! instance and the network carries the message there (`Deliver`). The instance admits it (or
//! refuses it: down, full, expired, injected failure, black hole) and runs the service's
//! program step by step: local work holds a worker for a drawn time (`WorkDone`); a call or
//! fan-out sends child calls the same way and waits, keeping its worker unless the service is
//! `Async`; a timeout (`CallTimeout`) ends the wait for a child that has not answered. When the
//! program ends the answer travels back (`Reply`) to whoever waits: the client (which records
//! the end-to-end outcome) or the parent call (which moves on, or fails with `dependency`).
//! An answer nobody waits for any more is *late*; a successful one is *wasted* work.
//!
//! Work that must happen "now" but not inside another handler — a call whose wait is over, a
//! queued call that a freed worker takes — goes on the `ready` list, drained at the end of each
//! event, so that no chain of answers recurses deeply.
//!
//! Faults (`fault.rs`) start and end as events: a crash ends every call its instance holds, a
//! restart brings the instance back empty, a capacity change lets queued work start or retires
//! workers, slowdowns, error injections, black holes and corruption change what new work costs
//! or how it ends; network faults change what the network does to messages. Pauses need no
//! events: instances compute completion times around them.

use crate::call::{
    Call, CallId, CallState, Caller, Invocation, Origin, Outcome, OutcomeCounts, Outgoing, Request,
    Slab, Wait,
};
use crate::check::{Problems, Severity};
use crate::client::{Client, ClientKind};
use crate::edge::Edge;
use crate::fault::{Fault, FaultKind};
use crate::network::{Delivery, Endpoint, Network, NO_ZONE};
use crate::observer::{CallRef, InstanceRef, Message, Observer, RequestId};
pub use crate::policy::PolicyLevel;
use crate::policy::{
    Criticality, PolicyRegistry, PolicySpec, ServerLayer, ServerPolicySpec, Stack, StackSpec,
};
use crate::program::{Op, Program};
use crate::rate_schedule::ArrivalSchedule;
use crate::scenario::{ClientSpec, Scenario};
use crate::service::{Admission, Service, ServiceParts};
use crate::trace::{TraceConfig, Tracer};
use sim_core::{Context, CountSeries, Model, RngFactory, SimDuration, SimTime, StopReason};
use std::collections::{BTreeMap, VecDeque};

mod fork;
mod invocation;
mod tracing;

pub use fork::inject_fault;

/// Everything that happens in the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// The warm-up ends: statistics restart from here.
    WarmupEnd,
    /// Hedging: the delay after attempt `attempt` of invocation `inv` is over.
    Hedge {
        /// The invocation.
        inv: u32,
        /// Its generation.
        gen: u32,
        /// The attempt the delay followed.
        attempt: u32,
    },
    /// Every caller layer's level is sampled (see [`World::level_period`]).
    SampleLevels,
    /// A service's outlier detection sweeps its instances.
    OutlierSweep {
        /// Service index.
        service: u32,
    },
    /// An open-loop client sends its next request.
    OpenArrival {
        /// Client index.
        client: u32,
    },
    /// A closed-loop user has finished thinking and sends a request.
    UserReady {
        /// Client index.
        client: u32,
    },
    /// A call's request message reaches its instance.
    Deliver {
        /// The call.
        call: CallId,
        /// Its generation.
        gen: u32,
    },
    /// A worker finishes a call's local work.
    WorkDone {
        /// The call.
        call: CallId,
        /// Its generation.
        gen: u32,
    },
    /// A call's answer reaches its caller.
    Reply {
        /// The call.
        call: CallId,
        /// Its generation.
        gen: u32,
    },
    /// A call stops waiting for child `slot` of its wait `token`.
    CallTimeout {
        /// The waiting call.
        call: CallId,
        /// Its generation.
        gen: u32,
        /// The child.
        slot: u8,
        /// The wait.
        token: u32,
    },
    /// A client stops waiting for a request.
    RequestTimeout {
        /// The request.
        request: u32,
        /// Its generation.
        gen: u32,
    },
    /// Fault number `fault` (in the scenario's order) starts.
    FaultStart {
        /// Fault index.
        fault: u32,
    },
    /// Fault number `fault` ends (for a crash: the instance restarts).
    FaultEnd {
        /// Fault index.
        fault: u32,
    },
    /// The earliest timer of timer queue `queue` is due.
    Timers {
        /// The queue.
        queue: u32,
    },
    /// A flapping link of fault `fault` fails or is repaired.
    Flap {
        /// Fault index.
        fault: u32,
    },
    /// A call through a policy stack makes its next attempt after a backoff.
    Retry {
        /// The invocation.
        inv: u32,
        /// Its generation.
        gen: u32,
    },
    /// A call held by a policy layer goes on (or is refused, if a refusal is pending).
    Resume {
        /// The invocation.
        inv: u32,
        /// Its generation.
        gen: u32,
    },
    /// Attempt `attempt` of a call through a policy stack times out.
    AttemptTimeout {
        /// The invocation.
        inv: u32,
        /// Its generation.
        gen: u32,
        /// The attempt.
        attempt: u32,
    },
    /// A call waiting in a policy layer's queue (for attempt `attempt`) has waited its most.
    QueueTimeout {
        /// The invocation.
        inv: u32,
        /// Its generation.
        gen: u32,
        /// The attempt.
        attempt: u32,
    },
    /// The deadline of a whole call through a policy stack.
    CallDeadline {
        /// The invocation.
        inv: u32,
        /// Its generation.
        gen: u32,
    },
}

/// Requests by how they ended, over the whole run (never reset by the warm-up): what the
/// conservation check adds up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Requests sent by all clients.
    pub sent: u64,
    /// Requests ended, indexed by `Outcome as usize`.
    pub ended: OutcomeCounts,
}

impl Totals {
    /// Requests that ended with `outcome`.
    pub fn ended(&self, outcome: Outcome) -> u64 {
        self.ended[outcome as usize]
    }
}

/// The whole simulated system.
#[derive(Clone, Debug)]
pub struct World<O = ()> {
    /// Services, in name order.
    pub services: Vec<Service>,
    /// Clients, in name order.
    pub clients: Vec<Client>,
    /// Call edges: clients' first, then each service's calls, publishes and routes.
    pub edges: Vec<Edge>,
    /// Faults, in the scenario's order.
    pub faults: Vec<Fault>,
    /// The network.
    pub network: Network,
    /// Zone names, by index.
    pub zones: Vec<String>,
    requests: Slab<Request>,
    calls: Slab<Call>,
    /// Calls through policy stacks.
    invocations: Slab<Invocation>,
    /// Policy stacks: one per caller instance of every edge that has policies.
    stacks: Vec<Stack>,
    /// The edge of each stack.
    stack_edges: Vec<u32>,
    /// Index of the first stack of each edge (`u32::MAX`: no policies).
    edge_stacks: Vec<u32>,
    /// Each edge's policy layers over time (the sum over caller instances); empty for an
    /// edge without policies.
    pub policy_levels: Vec<Vec<PolicyLevel>>,
    /// Per edge with policies: calls its layers refused per bucket, by reason (indexed like
    /// [`Outcome::LOCAL_REJECTIONS`], then retries a budget stopped).
    pub rejection_series: Vec<Vec<CountSeries>>,
    /// Per edge: retries (and hedges) sent per bucket, for edges with policies.
    pub retry_series: Vec<CountSeries>,
    /// Invocations whose admission goes on before the current event ends.
    resume: VecDeque<(u32, u32)>,
    /// How often caller layers' levels are sampled: a tenth of a time-series bucket, between
    /// 1 ms and 100 ms.
    pub level_period: SimDuration,
    /// Calls to continue before the current event ends, with their generations.
    ready: VecDeque<(CallId, u32)>,
    /// Each client's zone.
    client_zones: Vec<u16>,
    /// Each client's tenant and priority class.
    client_origins: Vec<Origin>,
    /// Each client's timeout.
    client_timeouts: Vec<Option<SimDuration>>,
    /// Timer queues: one per client, one per call target of every program, and two per edge
    /// with policies.
    timers: Vec<TimerQueue>,
    /// Index of the first timer queue of each service's call targets.
    timer_base: Vec<u32>,
    /// Index of each policy edge's deadline timer queue (its attempt timeouts use the next).
    edge_timers: Vec<u32>,
    /// Each client's edge to its target.
    client_edges: Vec<u32>,
    max_in_flight: u64,
    warmup: SimTime,
    /// Start of the measurement window (the end of the warm-up once it has passed).
    pub measured_from: SimTime,
    /// Every request's fate over the whole run.
    pub totals: Totals,
    /// The seed the random streams derive from.
    seed: u64,
    /// The trace recorder, if this run records traces (`trace.rs`). Every hook on the
    /// request's path is one branch on it when it is `None`.
    trace: Option<Box<Tracer>>,
    /// What watches the run.
    observer: O,
}

/// Timeouts of one kind (one client's, or one call target's): they all last the same, so they
/// fall due in the order they were set, and only the earliest needs an event in the future-event
/// set. Most timeouts never fire (the answer comes first); this keeps them out of the heap,
/// whose size would otherwise be the number of timeouts pending.
#[derive(Clone, Debug, Default)]
struct TimerQueue {
    pending: VecDeque<Timer>,
    /// Whether an event for the earliest is scheduled.
    armed: bool,
}

/// A timeout of the request, call or invocation `id` (generation `gen`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Timer {
    pub(super) at: SimTime,
    pub(super) id: u32,
    pub(super) gen: u32,
    pub(super) what: TimerFor,
}

/// What a timer ends.
#[derive(Clone, Copy, Debug)]
pub(super) enum TimerFor {
    /// A client's wait for its request.
    Request,
    /// A call's wait for child `slot` of its wait `token`.
    Child { slot: u8, token: u32 },
    /// A whole call through a policy stack.
    Invocation,
    /// Attempt number `.0` of a call through a policy stack.
    Attempt(u32),
}

impl World {
    /// Builds the system of `scenario` with random streams derived from `seed`. Fails with the
    /// scenario's errors if [`Scenario::check`] finds any.
    pub fn new(scenario: &Scenario, seed: u64) -> Result<World, Problems> {
        World::with_policies(scenario, seed, &PolicyRegistry::new())
    }

    /// [`World::new`] with user-defined policies: `Custom(name: …)` layers are built from
    /// `registry`.
    pub fn with_policies(
        scenario: &Scenario,
        seed: u64,
        registry: &PolicyRegistry,
    ) -> Result<World, Problems> {
        World::with_observer(scenario, seed, registry, ())
    }
}

impl<O: Observer> World<O> {
    /// [`World::with_policies`] watched by `observer`, which is told what happens as it
    /// happens (see [`Observer`]); it changes no result.
    pub fn with_observer(
        scenario: &Scenario,
        seed: u64,
        registry: &PolicyRegistry,
        observer: O,
    ) -> Result<World<O>, Problems> {
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
        let index_of = |name: &str| names.iter().position(|n| *n == name).expect("checked") as u32;
        let zones = scenario.zones();
        let zone_of = |name: &str| zones.iter().position(|z| z == name).expect("zone") as u16;

        // Edges, deduplicated per (caller, callee) in a deterministic order.
        let mut edges: Vec<Edge> = Vec::new();
        let mut edge_ids: BTreeMap<(bool, String, u32), u32> = BTreeMap::new();
        let mut edge = |from: &str, from_client: bool, to: u32| -> u32 {
            *edge_ids
                .entry((from_client, from.to_string(), to))
                .or_insert_with(|| {
                    edges.push(Edge::new(from.to_string(), from_client, to));
                    (edges.len() - 1) as u32
                })
        };
        let client_edges: Vec<u32> = scenario
            .clients
            .iter()
            .map(|(name, c)| edge(name, true, index_of(c.target())))
            .collect();
        // The policies of each edge, by the first call site that declares them (the check
        // makes sure the others agree), with where they were written.
        let mut edge_policies: BTreeMap<u32, (Vec<PolicySpec>, String)> = BTreeMap::new();
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
                Program::compile(&[crate::program::Step::Work(work)], &mut |_, _| (0, 0))
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
            let instances = s.instances;
            let service = Service::new(ServiceParts {
                name: name.clone(),
                instances: s.instances,
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
            });
            match service {
                Ok(service) => services.push(service),
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
        let clients = scenario
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
                Client::new(name.clone(), kind, index_of(c.target()), bucket)
            })
            .collect();
        let place =
            |name: &str| crate::place::resolve_place(scenario, &zones, name).expect("checked");
        let faults: Vec<Fault> = scenario
            .faults
            .iter()
            .map(|f| Fault::new(f, f.service().map(index_of), &place))
            .collect();
        for f in &faults {
            if let (FaultKind::Pause, Some(s)) = (f.kind, f.service) {
                let end = f.end.expect("a pause has a duration");
                for (i, inst) in services[s as usize].instances.iter_mut().enumerate() {
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
        let mut rejection_series = vec![Vec::new(); edges.len()];
        let retry_series = vec![CountSeries::new(bucket); edges.len()];
        for (&e, (specs, path)) in &edge_policies {
            let spec = StackSpec::new(specs);
            let ed = &mut edges[e as usize];
            ed.policies = true;
            let to = &services[ed.to as usize].name;
            let callers = if ed.from_client {
                1
            } else {
                services[index_of(&ed.from) as usize].instances.len()
            };
            edge_stacks[e as usize] = stacks.len() as u32;
            for i in 0..callers {
                let rng = rngs.stream(&format!("policy/{}/{to}/{i}", ed.from));
                match spec.build(registry, rng) {
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
                policy_levels[e as usize] = levels;
                rejection_series[e as usize] =
                    vec![CountSeries::new(bucket); Outcome::LOCAL_REJECTIONS.len() + 1];
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
            rejection_series,
            retry_series,
            resume: VecDeque::new(),
            level_period: level_period(bucket),
            ready: VecDeque::new(),
            client_zones,
            client_origins,
            client_timeouts,
            client_edges,
            max_in_flight: scenario.limits.max_in_flight,
            warmup: SimTime(scenario.warmup.as_nanos()),
            measured_from: SimTime::ZERO,
            totals: Totals::default(),
            seed,
            trace: None,
            observer,
        };
        world.start_levels();
        Ok(world)
    }

    /// Records traces of a sample of the requests from now on (see [`crate::trace`]). Call
    /// it before the run starts; the sample depends only on the seed, the rate and each
    /// request's number, and tracing changes no outcome.
    pub fn enable_tracing(&mut self, config: TraceConfig) {
        self.trace = Some(Box::new(Tracer::new(config, self.seed)));
    }

    /// The observer watching the run.
    pub fn observer(&self) -> &O {
        &self.observer
    }

    /// The observer, to change what it records between slices of a run.
    pub fn observer_mut(&mut self) -> &mut O {
        &mut self.observer
    }

    /// The traces recorded, if tracing is enabled.
    pub fn trace(&self) -> Option<&Tracer> {
        self.trace.as_deref()
    }

    /// Requests in flight now: sent by a client and not yet answered or given up on.
    pub fn in_flight(&self) -> usize {
        self.requests.len()
    }

    /// Calls in flight now, anywhere in the system (including work nobody waits for any more).
    pub fn calls_in_flight(&self) -> usize {
        self.calls.len()
    }

    /// Calls that instances hold now (queued, working, or waiting on calls of their own),
    /// counted from the call records: what the services' own counters must add up to.
    pub fn calls_held(&self) -> u64 {
        self.calls
            .iter()
            .filter(|(_, c)| {
                matches!(
                    c.state,
                    CallState::Queued | CallState::Working | CallState::Waiting | CallState::Ready
                )
            })
            .count() as u64
    }

    /// The endpoint of instance `instance` of service `service`.
    #[inline]
    fn endpoint(&self, service: u32, instance: u32) -> Endpoint {
        Endpoint {
            node: self.clients.len() as u32 + service,
            instance,
            zone: self.services[service as usize].instances[instance as usize].zone,
        }
    }

    /// A client sends a new request, unless that would exceed the in-flight limit.
    fn send(&mut self, client: u32, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let load = self.requests.len().max(self.calls.len()) as u64;
        if load >= self.max_in_flight {
            ctx.stop(StopReason::Model {
                limit: "max_in_flight",
                detail: format!(
                    "stopped at {now}: {load} requests or calls in flight reached limits.max_in_flight; the system is overloaded (raise the limit if this is expected)",
                ),
            });
            return;
        }
        self.totals.sent += 1;
        let c = &mut self.clients[client as usize];
        c.stats.sent += 1;
        c.series.sent.add(now, 1);
        let target = c.target;
        let edge = self.client_edges[client as usize];
        let deadline = self.client_timeouts[client as usize].map_or(SimTime::MAX, |t| now + t);
        let (id, gen) = self.requests.insert(Request {
            client,
            created: now,
            edge,
        });
        self.observer
            .request_sent(now, RequestId { index: id, gen }, client);
        if self.trace.is_some() {
            self.trace_request_sent(id, gen, now);
        }
        // Through policies, the invocation owns the deadline and answers by it (with the
        // stack's fallback, if any); a second timer at the same instant would race it.
        if deadline != SimTime::MAX && !self.edges[edge as usize].policies {
            let timer = Timer {
                at: deadline,
                id,
                gen,
                what: TimerFor::Request,
            };
            self.set_timer(client, timer, ctx);
        }
        let from = Endpoint {
            node: client,
            instance: 0,
            zone: self.client_zones[client as usize],
        };
        let origin = self.client_origins[client as usize];
        let out = Outgoing {
            caller: Caller::Request { id, gen },
            from,
            service: target,
            edge,
            deadline,
            origin,
        };
        self.call(out, ctx);
    }

    /// Makes call `out`: through its edge's policies if it has any, otherwise straight to an
    /// instance.
    #[inline]
    fn call(&mut self, out: Outgoing, ctx: &mut Context<Event>) {
        if self.trace.is_some() {
            self.trace_call(&out, ctx.now());
        }
        if self.edges[out.edge as usize].policies {
            return self.invoke(out, ctx);
        }
        self.edges[out.edge as usize].sent();
        if !self.send_call(out, ctx) {
            // No instance up: the client library fails the call at once.
            self.answer(out.caller, out.edge, out.service, Outcome::Unavailable, ctx);
        }
    }

    /// Sends call `out` to the instance of its service the balancer picks; returns `false`,
    /// sending nothing, when no instance is up.
    #[inline]
    fn send_call(&mut self, out: Outgoing, ctx: &mut Context<Event>) -> bool {
        let Outgoing {
            caller,
            from,
            service,
            edge,
            deadline,
            origin,
        } = out;
        let Some(instance) = self.services[service as usize].pick() else {
            return false;
        };
        let (id, gen) = self.calls.insert(Call {
            caller,
            edge,
            service,
            instance,
            arrived: ctx.now(),
            deadline,
            pc: 0,
            state: CallState::Travelling,
            holds_worker: false,
            doomed: false,
            outcome: Outcome::Completed,
            wait: Wait::default(),
            origin,
            inflight: 0,
        });
        if self.trace.is_some() {
            self.trace_message_sent(id, gen);
        }
        self.transmit(id, gen, from, ctx);
        true
    }

    /// Sends call `id`'s request message from `from` to its instance.
    #[inline]
    fn transmit(&mut self, id: CallId, gen: u32, from: Endpoint, ctx: &mut Context<Event>) {
        let now = ctx.now();
        if self.network.is_instant() {
            if O::WATCHING {
                let c = self.calls.at(id);
                let at = InstanceRef {
                    service: c.service,
                    instance: c.instance,
                };
                let message = Message {
                    call: CallRef { index: id, gen },
                    at,
                    request: true,
                    travel: Some(SimDuration::ZERO),
                };
                self.observer.message_sent(now, message);
            }
            return self.deliver(id, ctx);
        }
        let c = *self.calls.at(id);
        let message = |travel| Message {
            call: CallRef { index: id, gen },
            at: InstanceRef {
                service: c.service,
                instance: c.instance,
            },
            request: true,
            travel,
        };
        let to = self.endpoint(c.service, c.instance);
        let bytes = self.services[c.service as usize].request_bytes;
        let delivery = self.network.send(now, from, to, bytes, true);
        self.observer.message_sent(
            now,
            message(match delivery {
                Delivery::Lost => None,
                Delivery::At(t) | Delivery::Twice(t, _) => Some(t - now),
            }),
        );
        match delivery {
            Delivery::Lost => self.drop_unanswered(id, now),
            Delivery::At(t) => {
                self.inbound(c.service, c.instance, 1);
                ctx.schedule_at(t, Event::Deliver { call: id, gen });
            }
            Delivery::Twice(t1, t2) => {
                self.inbound(c.service, c.instance, 2);
                ctx.schedule_at(t1, Event::Deliver { call: id, gen });
                // The duplicate is handled as a call of its own with the same caller: whichever
                // answer arrives second is late.
                let (dup, dup_gen) = self.calls.insert(c);
                self.observer.message_sent(
                    now,
                    Message {
                        call: CallRef {
                            index: dup,
                            gen: dup_gen,
                        },
                        ..message(Some(t2 - now))
                    },
                );
                if self.trace.is_some() {
                    self.trace_message_duplicated(id, gen, dup, dup_gen);
                }
                ctx.schedule_at(
                    t2,
                    Event::Deliver {
                        call: dup,
                        gen: dup_gen,
                    },
                );
            }
        }
    }

    fn inbound(&mut self, service: u32, instance: u32, delta: i32) {
        let inst = &mut self.services[service as usize].instances[instance as usize];
        inst.inbound = (inst.inbound as i32 + delta) as u32;
    }

    /// Call `id` vanishes without an answer (its request was lost or black-holed): its caller
    /// finds out by its timeout, if it has one.
    fn drop_unanswered(&mut self, id: CallId, now: SimTime) {
        if self.trace.is_some() {
            self.trace_message_dropped(id, now);
        }
        let c = *self.calls.remove(id);
        if c.caller == Caller::Nobody {
            self.edges[c.edge as usize].lost();
        }
    }

    /// Call `id`'s request reaches its instance.
    #[inline]
    fn deliver(&mut self, id: CallId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let c = self.calls.at(id);
        let (s, i, deadline, origin) = (
            c.service as usize,
            c.instance as usize,
            c.deadline,
            c.origin,
        );
        let call = CallRef {
            index: id,
            gen: if O::WATCHING { self.calls.gen(id) } else { 0 },
        };
        let at = InstanceRef {
            service: s as u32,
            instance: i as u32,
        };
        self.observer.message_delivered(now, call, at);
        if self.trace.is_some() {
            self.trace_serve_started(id, now);
        }
        let svc = &mut self.services[s];
        let admission = svc.admit(now, i, deadline, origin);
        if !svc.shed.is_empty() {
            self.answer_shed(s);
        }
        let svc = &mut self.services[s];
        let outcome = match admission {
            Admission::Admitted { doomed } => {
                let inflight = (svc.instances[i].in_system() + 1).min(u16::MAX as u64) as u16;
                let c = self.calls.at(id);
                c.arrived = now;
                c.doomed = doomed;
                c.inflight = inflight;
                if svc.holds_worker_while_waiting() {
                    // Thread per request: a worker from admission to answer.
                    if !svc.acquire(now, i, id, origin.criticality as u8) {
                        c.state = CallState::Queued;
                        self.observer.call_queued(now, call, at);
                        return;
                    }
                    c.holds_worker = true;
                }
                self.observer.call_started(now, call, at);
                return self.run(id, ctx);
            }
            Admission::Down => Outcome::Unavailable,
            Admission::Rejected => Outcome::Rejected,
            Admission::Expired => Outcome::Expired,
            Admission::Injected => Outcome::Injected,
            Admission::Shed => Outcome::Shed,
            Admission::BlackHoled => return self.drop_unanswered(id, now),
        };
        self.respond(id, outcome, ctx);
    }

    /// The calls service `s`'s policies shed during this event answer `shed` once the event's
    /// own work is done.
    fn answer_shed(&mut self, s: usize) {
        for k in 0..self.services[s].shed.len() {
            let id = self.services[s].shed[k];
            let gen = self.calls.gen(id);
            self.calls.at(id).state = CallState::Shed;
            self.ready.push_back((id, gen));
        }
        self.services[s].shed.clear();
    }

    /// Runs call `id`'s program from its current step until it waits or ends.
    #[inline]
    fn run(&mut self, id: CallId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        loop {
            let c = *self.calls.at(id);
            let (s, i) = (c.service as usize, c.instance as usize);
            let svc = &mut self.services[s];
            let Some(&op) = svc.program.ops.get(c.pc as usize) else {
                return self.end_program(id, ctx);
            };
            match op {
                Op::Work(k) => {
                    if !c.holds_worker {
                        if !svc.acquire(now, i, id, c.origin.criticality as u8) {
                            self.calls.at(id).state = CallState::Queued;
                            return;
                        }
                        self.calls.at(id).holds_worker = true;
                    }
                    let done = svc.work(now, i, k);
                    self.calls.at(id).state = CallState::Working;
                    let gen = self.calls.gen(id);
                    ctx.schedule_at(done, Event::WorkDone { call: id, gen });
                    return;
                }
                Op::Calls { first, count, .. } => {
                    return self.start_wait(id, first, count, ctx);
                }
                Op::Publish { service, edge } => {
                    let from = self.endpoint(c.service, c.instance);
                    let origin = c.origin;
                    let out = Outgoing {
                        caller: Caller::Nobody,
                        from,
                        service,
                        edge,
                        deadline: SimTime::MAX,
                        origin,
                    };
                    if self.trace.is_some() {
                        self.trace_publishing(id);
                    }
                    self.call(out, ctx);
                    if self.trace.is_some() {
                        self.trace_published();
                    }
                    self.calls.at(id).pc += 1;
                }
                Op::Branch { first, count, end } => {
                    let next = svc.branch(first, count).unwrap_or(end);
                    self.calls.at(id).pc = next;
                }
                Op::Jump(to) => self.calls.at(id).pc = to,
            }
        }
    }

    /// Call `id` sends the calls of its current step and waits for them.
    fn start_wait(&mut self, id: CallId, first: u32, count: u16, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let gen = self.calls.gen(id);
        let c = self.calls.at(id);
        let token = c.wait.token.wrapping_add(1);
        c.wait = Wait {
            token,
            outstanding: if count >= 64 {
                u64::MAX
            } else {
                (1u64 << count) - 1
            },
            ok: 0,
            failed: 0,
        };
        c.state = CallState::Waiting;
        let c = *c;
        let (s, i) = (c.service as usize, c.instance as usize);
        if !self.services[s].holds_worker_while_waiting() {
            // Async: the call waits parked, and any worker it had goes back to the pool (a call
            // whose first step is a call never had one).
            if c.holds_worker {
                self.calls.at(id).holds_worker = false;
                self.release_worker(c.service, c.instance, now);
            }
            self.services[s].park(now, i, 1);
        }
        let from = self.endpoint(c.service, c.instance);
        let deadlines = &self.services[s].deadlines;
        // The deadline forwarded to every call of the step, if any.
        let inherited = if deadlines.propagate && c.deadline != SimTime::MAX {
            SimTime(c.deadline.0.saturating_sub(deadlines.margin.as_nanos()))
        } else {
            SimTime::MAX
        };
        for slot in 0..count {
            let target = self.services[s].program.calls[(first + slot as u32) as usize];
            let deadline = target
                .timeout
                .map_or(SimTime::MAX, |t| now + t)
                .min(inherited);
            let caller = Caller::Call {
                id,
                gen,
                slot: slot as u8,
                token,
            };
            // As for a request: through policies, the invocation answers by the deadline.
            if deadline != SimTime::MAX && !self.edges[target.edge as usize].policies {
                let timer = Timer {
                    at: deadline.max(now),
                    id,
                    gen,
                    what: TimerFor::Child {
                        slot: slot as u8,
                        token,
                    },
                };
                let queue = self.timer_base[s] + first + slot as u32;
                self.set_timer(queue, timer, ctx);
            }
            let out = Outgoing {
                caller,
                from,
                service: target.service,
                edge: target.edge,
                deadline,
                origin: c.origin,
            };
            self.call(out, ctx);
        }
    }

    /// Call `id`'s wait is over (it is `Ready`): it moves on, or fails.
    fn end_wait(&mut self, id: CallId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let c = *self.calls.at(id);
        let (s, i) = (c.service as usize, c.instance as usize);
        let Op::Calls {
            first,
            need,
            optional,
            ..
        } = self.services[s].program.ops[c.pc as usize]
        else {
            unreachable!("a call waits only at a Calls step")
        };
        self.abandon_children(id, first, now);
        if !self.services[s].holds_worker_while_waiting() {
            self.services[s].park(now, i, -1);
        }
        if c.wait.ok >= need || optional {
            self.calls.at(id).pc += 1;
            self.run(id, ctx);
        } else {
            self.respond(id, Outcome::Dependency, ctx);
        }
    }

    /// Call `id` stops waiting for the calls of its step (at `first`) that have not answered.
    fn abandon_children(&mut self, id: CallId, first: u32, now: SimTime) {
        if self.trace.is_some() {
            self.trace_children_abandoned(id, now);
        }
        let c = self.calls.at(id);
        let mut left = c.wait.outstanding;
        c.wait.outstanding = 0;
        let s = c.service as usize;
        while left != 0 {
            let slot = left.trailing_zeros();
            left &= left - 1;
            let edge = self.services[s].program.calls[(first + slot) as usize].edge;
            self.edges[edge as usize].abandoned(1);
        }
    }

    /// Call `id`'s program has ended: it answers (or, with a route, moves on to the next
    /// service).
    fn end_program(&mut self, id: CallId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let c = *self.calls.at(id);
        let (s, i) = (c.service as usize, c.instance as usize);
        if c.doomed {
            return self.respond(id, Outcome::Injected, ctx);
        }
        let svc = &mut self.services[s];
        svc.complete(now, i, c.arrived);
        if svc.corrupted() {
            return self.respond(id, Outcome::Corrupted, ctx);
        }
        match svc.route() {
            Some((next, edge)) => self.forward(id, next, edge, ctx),
            None => self.respond(id, Outcome::Completed, ctx),
        }
    }

    /// Routing: call `id`, served here, goes on to service `next` along `edge`; whoever waits
    /// for it will get the answer from there.
    fn forward(&mut self, id: CallId, next: u32, edge: u32, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let c = *self.calls.at(id);
        if c.holds_worker {
            self.release_worker(c.service, c.instance, now);
        }
        // This leg succeeded: the service did its part.
        if self.services[c.service as usize].watched {
            self.watch_end(&c, Outcome::Completed, now);
        }
        self.edges[c.edge as usize].resolved(Outcome::Completed);
        self.services[c.service as usize].count_outcome(now, Outcome::Completed);
        if let Caller::Request { id: r, gen } = c.caller {
            if let Some(req) = self.requests.get(r, gen) {
                req.edge = edge;
            }
        }
        self.edges[edge as usize].sent();
        if self.trace.is_some() {
            self.trace_forwarded(id, edge, next, now);
        }
        let from = self.endpoint(c.service, c.instance);
        let Some(instance) = self.services[next as usize].pick() else {
            self.calls.remove(id);
            return self.answer(c.caller, edge, next, Outcome::Unavailable, ctx);
        };
        let gen = self.calls.gen(id);
        let n = self.calls.at(id);
        n.service = next;
        n.instance = instance;
        n.edge = edge;
        n.pc = 0;
        n.state = CallState::Travelling;
        n.holds_worker = false;
        n.doomed = false;
        n.wait = Wait::default();
        self.transmit(id, gen, from, ctx);
    }

    /// The server is done with call `id`, which answers `outcome`: frees what it held and
    /// sends the answer back.
    fn respond(&mut self, id: CallId, outcome: Outcome, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let c = *self.calls.at(id);
        let call = CallRef {
            index: id,
            gen: if O::WATCHING { self.calls.gen(id) } else { 0 },
        };
        let at = InstanceRef {
            service: c.service,
            instance: c.instance,
        };
        self.observer.call_finished(now, call, at, outcome);
        if self.trace.is_some() {
            self.trace_serve_ended(id, outcome, now);
        }
        if c.holds_worker {
            self.release_worker(c.service, c.instance, now);
        }
        if self.services[c.service as usize].watched {
            self.watch_end(&c, outcome, now);
        }
        if c.caller == Caller::Nobody || self.network.is_instant() {
            self.calls.remove(id);
            return self.answer(c.caller, c.edge, c.service, outcome, ctx);
        }
        let from = self.endpoint(c.service, c.instance);
        let to = match c.caller {
            Caller::Request { id: r, gen } => self.requests.get(r, gen).map(|r| Endpoint {
                node: r.client,
                instance: 0,
                zone: self.client_zones[r.client as usize],
            }),
            Caller::Call { id: p, gen, .. } => self
                .calls
                .get(p, gen)
                .map(|p| (p.service, p.instance))
                .map(|(s, i)| self.endpoint(s, i)),
            Caller::Attempt { id, gen, .. } => self.invocations.peek(id, gen).map(|v| v.from),
            Caller::Nobody => unreachable!(),
        };
        let Some(to) = to else {
            // The caller is gone: the answer has nowhere to go.
            self.calls.remove(id);
            return self.unused_answer(c.edge, c.service, outcome, now);
        };
        let bytes = self.services[c.service as usize].response_bytes;
        let delivery = self.network.send(now, from, to, bytes, false);
        self.observer.message_sent(
            now,
            Message {
                call,
                at,
                request: false,
                travel: match delivery {
                    Delivery::Lost => None,
                    Delivery::At(t) | Delivery::Twice(t, _) => Some(t - now),
                },
            },
        );
        match delivery {
            Delivery::Lost => {
                self.calls.remove(id);
                self.unused_answer(c.edge, c.service, outcome, now);
            }
            Delivery::At(t) | Delivery::Twice(t, _) => {
                let gen = self.calls.gen(id);
                let c = self.calls.at(id);
                c.state = CallState::Replying;
                c.outcome = outcome;
                ctx.schedule_at(t, Event::Reply { call: id, gen });
            }
        }
    }

    /// Call `c`'s instance answers `outcome`: outlier detection learns it, and if the instance
    /// had admitted the call an adaptive limit learns how it went (a success is a sample, a
    /// shed or expired request a drop, anything else is ignored).
    fn watch_end(&mut self, c: &Call, outcome: Outcome, now: SimTime) {
        let svc = &mut self.services[c.service as usize];
        svc.observe(now, c.instance as usize, outcome);
        if c.state != CallState::Travelling {
            let dropped = matches!(outcome, Outcome::Shed | Outcome::Expired);
            if dropped || outcome == Outcome::Completed {
                svc.finished(
                    now,
                    c.instance as usize,
                    now - c.arrived,
                    c.inflight as u32,
                    dropped,
                );
            }
        }
    }

    /// An answer that no caller takes: counted late, and wasted work if it was a success.
    fn unused_answer(&mut self, edge: u32, service: u32, outcome: Outcome, now: SimTime) {
        self.edges[edge as usize].stats.late += 1;
        if outcome == Outcome::Completed {
            self.services[service as usize].count_wasted(now);
        }
    }

    /// The answer `outcome` of a call along `edge` to `service` reaches `caller`.
    #[inline]
    fn answer(
        &mut self,
        caller: Caller,
        edge: u32,
        service: u32,
        outcome: Outcome,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        let taken = match caller {
            Caller::Request { id, gen } => {
                if self.requests.get(id, gen).is_some() {
                    self.resolve(edge, service, outcome, now);
                    self.end_request(id, outcome, ctx);
                    true
                } else {
                    false
                }
            }
            Caller::Call {
                id,
                gen,
                slot,
                token,
            } => self.child_answered(id, gen, slot, token, edge, service, outcome, now),
            Caller::Attempt { id, gen, attempt } => {
                self.attempt_answered(id, gen, attempt, outcome, ctx)
            }
            Caller::Nobody => {
                self.resolve(edge, service, outcome, now);
                true
            }
        };
        if !taken {
            self.unused_answer(edge, service, outcome, now);
        }
    }

    /// Records how an attempt along `edge` to `service` ended.
    #[inline]
    fn resolve(&mut self, edge: u32, service: u32, outcome: Outcome, now: SimTime) {
        let e = &mut self.edges[edge as usize];
        e.resolved(outcome);
        if !e.policies {
            // With policies the service counts each attempt instead (`attempt_resolved`).
            self.services[service as usize].count_outcome(now, outcome);
        }
    }

    /// Child `slot` of wait `token` of call `id` ended with `outcome`; returns whether the
    /// call was still waiting for it.
    #[allow(clippy::too_many_arguments)]
    fn child_answered(
        &mut self,
        id: CallId,
        gen: u32,
        slot: u8,
        token: u32,
        edge: u32,
        service: u32,
        outcome: Outcome,
        now: SimTime,
    ) -> bool {
        let bit = 1u64 << slot;
        let Some(p) = self.calls.get(id, gen) else {
            return false;
        };
        if p.wait.token != token || p.wait.outstanding & bit == 0 {
            return false;
        }
        p.wait.outstanding &= !bit;
        if !outcome.is_error() {
            p.wait.ok += 1;
        } else {
            p.wait.failed += 1;
        }
        let p = *p;
        if self.trace.is_some() {
            self.trace_child_answered(id, gen, slot, outcome, now);
        }
        self.resolve(edge, service, outcome, now);
        let Op::Calls { count, need, .. } =
            self.services[p.service as usize].program.ops[p.pc as usize]
        else {
            unreachable!("a call waits only at a Calls step")
        };
        let over = p.wait.ok >= need || p.wait.failed > count - need || p.wait.outstanding == 0;
        if over && p.state == CallState::Waiting {
            self.calls.at(id).state = CallState::Ready;
            self.ready.push_back((id, gen));
        }
        true
    }

    /// Request `id` ends with `outcome`, as its client sees it.
    fn end_request(&mut self, id: u32, outcome: Outcome, ctx: &mut Context<Event>) {
        let now = ctx.now();
        if self.trace.is_some() {
            self.trace_request_ended(id, outcome, now);
        }
        let gen = if O::WATCHING {
            self.requests.gen(id)
        } else {
            0
        };
        let r = *self.requests.remove(id);
        self.observer.request_ended(
            now,
            RequestId { index: id, gen },
            r.client,
            outcome,
            now - r.created,
        );
        self.totals.ended[outcome as usize] += 1;
        let c = &mut self.clients[r.client as usize];
        if outcome == Outcome::Completed {
            let latency = (now - r.created).as_nanos();
            c.stats.latency.record(latency);
            c.series.completed.add(now, 1);
            c.series.latency_sum.add(now, latency as u128);
            c.series.latency_quantiles.record(now, latency);
        } else if outcome.is_error() {
            c.series.errors.add(now, 1);
        }
        c.stats.outcomes[outcome as usize] += 1;
        if let ClientKind::Closed {
            think_time, rng, ..
        } = &mut c.kind
        {
            let think = think_time.sample(rng);
            ctx.schedule_in(think, Event::UserReady { client: r.client });
        }
    }

    /// A worker of instance `i` of `service` is freed: it takes the next queued call, if any.
    #[inline]
    fn release_worker(&mut self, service: u32, i: u32, now: SimTime) {
        if let Some(next) = self.services[service as usize].release(now, i as usize) {
            self.calls.at(next).holds_worker = true;
            self.ready.push_back((next, self.calls.gen(next)));
        }
        if !self.services[service as usize].shed.is_empty() {
            self.answer_shed(service as usize);
        }
    }

    /// Sets `timer` in timer queue `queue`. A timer earlier than the latest one queued (a
    /// propagated deadline) gets an event of its own.
    #[inline]
    pub(super) fn set_timer(&mut self, queue: u32, timer: Timer, ctx: &mut Context<Event>) {
        let q = &mut self.timers[queue as usize];
        if q.pending.back().is_some_and(|last| last.at > timer.at) {
            ctx.schedule_at(timer.at, timer_event(timer));
            return;
        }
        q.pending.push_back(timer);
        if !q.armed {
            q.armed = true;
            ctx.schedule_at(timer.at, Event::Timers { queue });
        }
    }

    /// Fires every timer of queue `queue` that is due, drops the timers behind them whose wait
    /// is already over, and arms the queue for the first that may still fire. Most timeouts
    /// never fire, so skipping the dead ones here saves an event per timeout.
    fn fire_timers(&mut self, queue: u32, ctx: &mut Context<Event>) {
        let now = ctx.now();
        self.timers[queue as usize].armed = false;
        while let Some(t) = self.timers[queue as usize].pending.front().copied() {
            if t.at > now && self.timer_live(&t) {
                self.timers[queue as usize].armed = true;
                ctx.schedule_at(t.at, Event::Timers { queue });
                break;
            }
            self.timers[queue as usize].pending.pop_front();
            if t.at <= now {
                self.handle(timer_event(t), ctx);
            }
        }
    }

    /// Whether timer `t` still guards a wait: its request or invocation is in flight, its
    /// call still waits for that child, its attempt is still out.
    #[inline]
    fn timer_live(&self, t: &Timer) -> bool {
        match t.what {
            TimerFor::Request => self.requests.peek(t.id, t.gen).is_some(),
            TimerFor::Child { slot, token } => self.call_waits_for(t.id, t.gen, slot, token),
            TimerFor::Invocation => self.invocations.peek(t.id, t.gen).is_some(),
            TimerFor::Attempt(n) => self
                .invocations
                .peek(t.id, t.gen)
                .is_some_and(|v| v.attempts == n && v.phase == crate::call::Phase::InFlight),
        }
    }

    /// Whether call `id` (generation `gen`) still waits for child `slot` of its wait `token`.
    #[inline]
    fn call_waits_for(&self, id: CallId, gen: u32, slot: u8, token: u32) -> bool {
        self.calls
            .peek(id, gen)
            .is_some_and(|c| c.wait.token == token && c.wait.outstanding & (1u64 << slot) != 0)
    }

    /// A queued call `id` has been given a worker.
    #[inline]
    fn start_queued(&mut self, id: CallId, ctx: &mut Context<Event>) {
        if self.trace.is_some() {
            self.trace_worker_taken(id, ctx.now());
        }
        let c = *self.calls.at(id);
        let call = CallRef {
            index: id,
            gen: if O::WATCHING { self.calls.gen(id) } else { 0 },
        };
        let at = InstanceRef {
            service: c.service,
            instance: c.instance,
        };
        self.observer.call_started(ctx.now(), call, at);
        let svc = &self.services[c.service as usize];
        if svc.deadlines.drop_expired && c.deadline <= ctx.now() {
            self.services[c.service as usize].stats.dropped_expired += 1;
            return self.respond(id, Outcome::Expired, ctx);
        }
        self.run(id, ctx);
    }

    /// Continues the calls made ready during the current event.
    #[inline]
    fn drain(&mut self, ctx: &mut Context<Event>) {
        while let Some((inv, gen)) = self.resume.pop_front() {
            self.admit_from(inv, gen, ctx);
        }
        while let Some((id, gen)) = self.ready.pop_front() {
            let Some(c) = self.calls.get(id, gen) else {
                continue; // it ended meanwhile (a crash)
            };
            match c.state {
                CallState::Ready => self.end_wait(id, ctx),
                CallState::Queued => self.start_queued(id, ctx),
                CallState::Shed => self.respond(id, Outcome::Shed, ctx),
                _ => {}
            }
        }
    }

    /// Applies fault number `index` starting (`on`) or ending.
    fn fault(&mut self, index: u32, on: bool, ctx: &mut Context<Event>) {
        let now = ctx.now();
        self.observer.fault_changed(now, index, on);
        let f = self.faults[index as usize].clone();
        let Some(service) = f.service else {
            return self.network_fault(index, &f, on, ctx);
        };
        let n = self.services[service as usize].instances.len();
        match f.kind {
            FaultKind::Crash => {
                for i in (0..n).filter(|&i| f.hits(i)) {
                    if !on {
                        self.services[service as usize].restart(i);
                        if self.services[service as usize].instances[i].up {
                            let at = InstanceRef {
                                service,
                                instance: i as u32,
                            };
                            self.observer.instance_changed(now, at, true);
                        }
                    } else {
                        self.crash(service, i as u32, ctx);
                    }
                }
            }
            FaultKind::CapacityLoss(workers) => {
                for i in (0..n).filter(|&i| f.hits(i)) {
                    for next in self.services[service as usize].capacity_loss(now, i, workers, on) {
                        self.calls.at(next).holds_worker = true;
                        self.ready.push_back((next, self.calls.gen(next)));
                    }
                    self.answer_shed(service as usize);
                }
            }
            FaultKind::Slowdown(factor) => self.services[service as usize].slowdown(factor, on),
            FaultKind::ErrorInjection(fraction, mode) => {
                self.services[service as usize].inject_errors(fraction, mode, on)
            }
            FaultKind::BlackHole => {
                for i in (0..n).filter(|&i| f.hits(i)) {
                    self.services[service as usize].black_hole(i, on);
                }
            }
            FaultKind::Corrupt(fraction) => self.services[service as usize].corrupt(fraction, on),
            FaultKind::Pause => {} // instances already schedule their work around it
            FaultKind::Network(..) | FaultKind::Flapping(..) => unreachable!("no service"),
        }
    }

    /// Instance `i` of `service` crashes: every call it holds ends as `crashed` (the
    /// connection resets), and the calls those were waiting on are abandoned.
    fn crash(&mut self, service: u32, i: u32, ctx: &mut Context<Event>) {
        let now = ctx.now();
        if !self.services[service as usize].instances[i as usize].up {
            self.services[service as usize].crash(now, i as usize);
            return;
        }
        // A crash is rare: a scan of the calls in flight costs nothing on the common path.
        let held: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                c.service == service
                    && c.instance == i
                    && matches!(
                        c.state,
                        CallState::Queued
                            | CallState::Working
                            | CallState::Waiting
                            | CallState::Ready
                    )
            })
            .map(|(id, _)| id)
            .collect();
        self.services[service as usize].crash(now, i as usize);
        let at = InstanceRef {
            service,
            instance: i,
        };
        self.observer.instance_changed(now, at, false);
        for id in held {
            let c = self.calls.at(id);
            c.holds_worker = false;
            if matches!(c.state, CallState::Waiting | CallState::Ready) {
                let pc = c.pc as usize;
                if let Op::Calls { first, .. } = self.services[service as usize].program.ops[pc] {
                    self.abandon_children(id, first, now);
                }
            }
            self.respond(id, Outcome::Crashed, ctx);
        }
    }

    /// A network fault starts or ends.
    fn network_fault(&mut self, index: u32, f: &Fault, on: bool, ctx: &mut Context<Event>) {
        let (a, b) = (&f.sides.0[..], &f.sides.1[..]);
        match (f.kind, on) {
            (_, false) => self.network.set_fault(index, None),
            (FaultKind::Network(effect, one_way), true) => {
                self.network.set_fault(index, Some((effect, a, b, one_way)))
            }
            (FaultKind::Flapping(fail, _), true) => {
                use crate::network::NetEffect;
                self.network
                    .set_fault(index, Some((NetEffect::Flap, a, b, false)));
                let next = self.network.first_flap(fail);
                ctx.schedule_in(
                    SimDuration::from_secs_f64(next),
                    Event::Flap { fault: index },
                );
            }
            _ => unreachable!("a service fault"),
        }
    }

    /// Closes the time series at `end` (call once, after the run).
    pub fn finish(&mut self, end: SimTime) {
        if let Some(t) = self.trace.as_deref_mut() {
            t.finish(end);
        }
        self.sample_levels(end);
        for s in &mut self.services {
            s.finish_series(end);
        }
        for c in &mut self.clients {
            c.series.latency_quantiles.finish(end);
        }
        for levels in &mut self.policy_levels {
            for l in levels {
                l.series.finish(end);
            }
        }
    }

    /// Checks that every request and every call attempt is accounted for exactly once: sent
    /// equals ended plus still in flight, for the clients and on every edge. Returns what does
    /// not add up.
    pub fn conservation(&self) -> Result<(), String> {
        let ended: u64 = self.totals.ended.iter().sum();
        if self.totals.sent != ended + self.in_flight() as u64 {
            return Err(format!(
                "clients sent {} requests, {ended} ended and {} are in flight",
                self.totals.sent,
                self.in_flight()
            ));
        }
        for (i, e) in self.edges.iter().enumerate() {
            if e.policies {
                // Attempts out are exactly those whose invocation waits for them.
                let waiting: u64 = self
                    .invocations
                    .iter()
                    .filter(|(_, v)| v.edge == i as u32)
                    .map(|(_, v)| v.attempts_out() as u64)
                    .sum();
                if e.sent_total - e.resolved_total.min(e.sent_total) != waiting {
                    return Err(format!(
                        "edge {} -> {}: {} attempts sent, {} resolved, but {waiting} attempts are awaited",
                        e.from, self.services[e.to as usize].name, e.sent_total, e.resolved_total
                    ));
                }
            }
            if e.resolved_total > e.sent_total {
                return Err(format!(
                    "edge {} -> {}: {} attempts resolved but only {} sent",
                    e.from, self.services[e.to as usize].name, e.resolved_total, e.sent_total
                ));
            }
        }
        Ok(())
    }
}

/// The event a timer stands for.
fn timer_event(t: Timer) -> Event {
    match t.what {
        TimerFor::Request => Event::RequestTimeout {
            request: t.id,
            gen: t.gen,
        },
        TimerFor::Child { slot, token } => Event::CallTimeout {
            call: t.id,
            gen: t.gen,
            slot,
            token,
        },
        TimerFor::Invocation => Event::CallDeadline {
            inv: t.id,
            gen: t.gen,
        },
        TimerFor::Attempt(attempt) => Event::AttemptTimeout {
            inv: t.id,
            gen: t.gen,
            attempt,
        },
    }
}

impl<O: Observer> Model for World<O> {
    type Event = Event;

    fn init(&mut self, ctx: &mut Context<Event>) {
        if self.warmup > SimTime::ZERO {
            ctx.schedule_at(self.warmup, Event::WarmupEnd);
        }
        if !self.stacks.is_empty() {
            ctx.schedule_at(SimTime::ZERO + self.level_period, Event::SampleLevels);
        }
        for (s, svc) in self.services.iter().enumerate() {
            if let Some(t) = svc.first_outlier_sweep() {
                ctx.schedule_at(t, Event::OutlierSweep { service: s as u32 });
            }
        }
        for (i, f) in self.faults.iter().enumerate() {
            let fault = i as u32;
            ctx.schedule_at(f.start, Event::FaultStart { fault });
            if let Some(end) = f.end {
                ctx.schedule_at(end, Event::FaultEnd { fault });
            }
        }
        for (i, c) in self.clients.iter_mut().enumerate() {
            let client = i as u32;
            match &mut c.kind {
                ClientKind::Open { schedule, rng } => {
                    if let Some(t) = schedule.next_after(SimTime::ZERO, rng) {
                        ctx.schedule_at(t, Event::OpenArrival { client });
                    }
                }
                ClientKind::Closed {
                    users,
                    think_time,
                    rng,
                } => {
                    // Each user starts after one think time, so they do not all fire at t = 0.
                    for _ in 0..*users {
                        ctx.schedule_in(think_time.sample(rng), Event::UserReady { client });
                    }
                }
            }
        }
    }

    #[inline]
    fn handle(&mut self, event: Event, ctx: &mut Context<Event>) {
        match event {
            Event::OpenArrival { client } => {
                if let ClientKind::Open { schedule, rng } = &mut self.clients[client as usize].kind
                {
                    if let Some(t) = schedule.next_after(ctx.now(), rng) {
                        ctx.schedule_at(t, Event::OpenArrival { client });
                    }
                }
                self.send(client, ctx);
            }
            Event::UserReady { client } => self.send(client, ctx),
            Event::Deliver { call, gen } => {
                if let Some(c) = self.calls.get(call, gen) {
                    let (s, i) = (c.service, c.instance);
                    self.inbound(s, i, -1);
                    self.deliver(call, ctx);
                }
            }
            Event::WorkDone { call, gen } => {
                if let Some(c) = self.calls.get(call, gen) {
                    if c.state == CallState::Working {
                        c.pc += 1;
                        self.run(call, ctx);
                    }
                }
            }
            Event::Reply { call, gen } => {
                if let Some(c) = self.calls.get(call, gen) {
                    if c.state == CallState::Replying {
                        let c = *self.calls.remove(call);
                        self.answer(c.caller, c.edge, c.service, c.outcome, ctx);
                    }
                }
            }
            Event::CallTimeout {
                call,
                gen,
                slot,
                token,
            } => {
                // A due timer fires without a liveness check (`fire_timers`): the call may
                // have moved on to another step, whose calls must not be indexed by `slot`.
                if self.call_waits_for(call, gen, slot, token) {
                    let c = *self.calls.at(call);
                    if let Op::Calls { first, .. } =
                        self.services[c.service as usize].program.ops[c.pc as usize]
                    {
                        let target = self.services[c.service as usize].program.calls
                            [(first + slot as u32) as usize];
                        self.child_answered(
                            call,
                            gen,
                            slot,
                            token,
                            target.edge,
                            target.service,
                            Outcome::Timeout,
                            ctx.now(),
                        );
                    }
                }
            }
            Event::RequestTimeout { request, gen } => {
                if let Some(r) = self.requests.get(request, gen) {
                    let edge = r.edge;
                    let to = self.edges[edge as usize].to;
                    self.resolve(edge, to, Outcome::Timeout, ctx.now());
                    self.end_request(request, Outcome::Timeout, ctx);
                }
            }
            Event::Timers { queue } => self.fire_timers(queue, ctx),
            Event::FaultStart { fault } => self.fault(fault, true, ctx),
            Event::FaultEnd { fault } => self.fault(fault, false, ctx),
            Event::Flap { fault } => {
                if let FaultKind::Flapping(fail, repair) = self.faults[fault as usize].kind {
                    if let Some(next) = self.network.flap(fault, fail, repair) {
                        ctx.schedule_in(SimDuration::from_secs_f64(next), Event::Flap { fault });
                    }
                }
            }
            Event::Retry { inv, gen } => self.retry_due(inv, gen, ctx),
            Event::Resume { inv, gen } => self.resume_due(inv, gen, ctx),
            Event::AttemptTimeout { inv, gen, attempt } => {
                self.attempt_timeout(inv, gen, attempt, ctx)
            }
            Event::QueueTimeout { inv, gen, attempt } => self.queue_timeout(inv, gen, attempt, ctx),
            Event::CallDeadline { inv, gen } => self.call_deadline(inv, gen, ctx),
            Event::Hedge { inv, gen, attempt } => self.hedge_due(inv, gen, attempt, ctx),
            Event::SampleLevels => {
                let now = ctx.now();
                self.sample_levels(now);
                ctx.schedule_at(now + self.level_period, Event::SampleLevels);
            }
            Event::OutlierSweep { service } => {
                if let Some(next) = self.services[service as usize].outlier_sweep(ctx.now()) {
                    ctx.schedule_at(next, Event::OutlierSweep { service });
                }
            }
            Event::WarmupEnd => {
                let now = ctx.now();
                self.measured_from = now;
                for s in &mut self.services {
                    s.reset_stats(now);
                }
                for c in &mut self.clients {
                    c.reset_stats();
                }
                for e in &mut self.edges {
                    e.stats = Default::default();
                }
                for levels in &mut self.policy_levels {
                    for l in levels {
                        l.gauge.reset(now);
                    }
                }
            }
        }
        self.drain(ctx);
    }
}

/// The sampling period of caller layers' levels for time-series buckets of `bucket`.
fn level_period(bucket: SimDuration) -> SimDuration {
    let (lo, hi) = (SimDuration::from_millis(1), SimDuration::from_millis(100));
    SimDuration(bucket.as_nanos() / 10).max(lo).min(hi)
}
