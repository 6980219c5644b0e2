//! The simulated system: clients, services, the network and the calls between them, as one
//! [`Model`].
//!
//! One request's life, file by file:
//!
//! | step | file | events |
//! |---|---|---|
//! | a client sends it (within `max_in_flight`, its timeout armed) | `world/client.rs` `send` | `OpenArrival`, `UserReady` |
//! | through the edge's policy stack, if any: admission, attempts, retries, hedges | `world/invocation.rs` | `Retry`, `Resume`, `Hedge`, `AttemptTimeout`, `QueueTimeout`, `CallDeadline` |
//! | the balancer picks an instance and the network carries the message | `world/transmit.rs` | `Deliver` |
//! | the instance admits it (worker or queue) or refuses it, and tells what its server saw | `world/admission.rs`, `service/admission.rs`, `server_statistics.rs` | |
//! | it runs the program: work, calls and fan-outs, publishes, branches, routes | `world/program.rs` | `WorkDone`, `CallTimeout` |
//! | it ends: frees what it held, the answer travels back and is taken | `world/respond.rs` | `Reply` |
//! | it ends for the client; the statistics and the observer are told | `world/client.rs` `end_request`, `statistics.rs` | `RequestTimeout` |
//!
//! Timeouts wait in per-kind queues (`world/timers.rs`, event `Timers`); faults start and end
//! in `world/faults.rs` (`FaultStart`, `FaultEnd`, `Flap`); health checks probe instances and
//! liveness restarts them in `world/health.rs` (`Probe`, `ProbeJudged`, `Restarted`); the
//! autoscaler adds and removes instances in `world/autoscale.rs` (`AutoscaleSync`,
//! `Provisioned`, `Terminated`); the world is built in `world/build.rs`, forked in
//! `world/fork.rs`, and observed through `world/observing.rs`. The events themselves are in
//! `world/event.rs`; this file holds the state and dispatches events.
//!
//! The instance runs the service's program step by step: local work holds a worker for a
//! drawn time; a call or fan-out sends child calls the same way and waits, keeping its worker
//! unless the service is `Async`; a timeout ends the wait for a child that has not answered.
//! When the program ends the answer travels back to whoever waits: the client (which records
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

use crate::call::{Call, CallState, Invocation, Origin, Outcome, OutcomeCounts, Request, Slab};
use crate::check::Problems;
use crate::client::{Client, ClientKind};
use crate::edge::Edge;
use crate::fault::{Fault, FaultKind};
use crate::ids::{
    CallId, ClientId, EdgeId, FaultId, InstanceId, InvocationId, RequestIndex, ServiceId,
};
use crate::network::{Endpoint, Network};
use crate::observer::{CallRef, InstanceRef, Observer};
pub use crate::policy::PolicyLevel;
use crate::policy::{PolicyRegistry, Stack};
use crate::program::Op;
use crate::scenario::Scenario;
use crate::service::Service;
use crate::slo::SloTrack;
use crate::statistics::{Statistics, StatisticsShape, StatisticsSlot};
use sim_core::{Context, Model, SimDuration, SimTime};
use std::collections::VecDeque;

/// Tells the world's statistics and then its observer the same hook; its arguments are plain
/// values, evaluated once for each.
macro_rules! tell {
    ($world:expr, $hook:ident($($arg:expr),* $(,)?)) => {{
        $world.stats.$hook($($arg),*);
        $world.observer.$hook($($arg),*);
    }};
}

/// Lends the world's statistics and its observer together, as one observer, to a service that
/// tells them what its servers see.
macro_rules! lend {
    ($world:expr) => {
        &mut crate::observer::Both(&mut $world.stats, &mut $world.observer)
    };
}

mod admission;
mod autoscale;
mod build;
mod cache;
mod client;
mod event;
mod faults;
mod fork;
mod health;
mod invocation;
mod observing;
mod program;
mod respond;
mod saga;
mod store_call;
mod timers;
mod transmit;

pub use event::Event;
pub use fork::inject_fault;
use timers::{Timer, TimerFor, TimerQueue};

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
pub struct World<O = (), S = Statistics> {
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
    requests: Slab<RequestIndex, Request>,
    calls: Slab<CallId, Call>,
    /// Calls through policy stacks.
    invocations: Slab<InvocationId, Invocation>,
    /// Policy stacks: one per caller instance of every edge that has policies.
    stacks: Vec<Stack>,
    /// The edge of each stack.
    stack_edges: Vec<EdgeId>,
    /// Index of the first stack of each edge (`u32::MAX`: no policies).
    edge_stacks: Vec<u32>,
    /// Each edge's policy layers over time (the sum over caller instances); empty for an
    /// edge without policies.
    pub policy_levels: Vec<Vec<PolicyLevel>>,
    /// Invocations whose admission goes on before the current event ends.
    resume: VecDeque<(InvocationId, u32)>,
    /// How often caller layers' levels are sampled: a tenth of a time-series bucket, between
    /// 1 ms and 100 ms.
    pub level_period: SimDuration,
    /// Calls to continue before the current event ends, with their generations.
    ready: VecDeque<(CallId, u32)>,
    /// What calls at cache steps remember, by call slot (empty without caches).
    cache_links: Vec<cache::CacheLink>,
    /// Every saga of the run, with what participants did for each step.
    pub sagas: crate::saga::Sagas,
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
    pub(crate) client_edges: Vec<EdgeId>,
    max_in_flight: u64,
    warmup: SimTime,
    /// Start of the measurement window (the end of the warm-up once it has passed).
    pub measured_from: SimTime,
    /// Every request's fate over the whole run.
    pub totals: Totals,
    /// The stores the services call, run inside the world (`world/store_call.rs`).
    links: store_call::StoreLinks,
    /// What watches the run.
    observer: O,
    /// The run's statistics, fed by the same hooks as the observer (`()`: a lean run).
    stats: S,
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

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// The run's statistics: the callers' and what the servers measured (see [`Statistics`]).
    pub fn statistics(&self) -> &S {
        &self.stats
    }

    /// The observer watching the run.
    pub fn observer(&self) -> &O {
        &self.observer
    }

    /// The observer, to change what it records between slices of a run.
    pub fn observer_mut(&mut self) -> &mut O {
        &mut self.observer
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

    /// Call `id` at instance `instance` of `service`, as observers are told of it (its
    /// generation is looked up only if someone watches).
    #[inline]
    fn observed(
        &self,
        id: CallId,
        service: ServiceId,
        instance: InstanceId,
    ) -> (CallRef, InstanceRef) {
        let call = CallRef::of(id, if O::WATCHING { self.calls.gen(id) } else { 0 });
        (call, InstanceRef { service, instance })
    }

    /// The endpoint of client `client`: where the network places it (nodes number the
    /// clients first, then the services).
    #[inline]
    fn client_endpoint(&self, client: ClientId) -> Endpoint {
        Endpoint {
            node: client.index() as u32,
            instance: 0,
            zone: self.client_zones[client.index()],
        }
    }

    /// The endpoint of instance `instance` of service `service`: where the network places it.
    #[inline]
    pub fn endpoint(&self, service: ServiceId, instance: InstanceId) -> Endpoint {
        Endpoint {
            node: (self.clients.len() + service.index()) as u32,
            instance: instance.index() as u32,
            zone: self.services[service].instances[instance].zone,
        }
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

    /// Keeps no time series from now on: per-bucket counts, levels and quantiles of
    /// services, clients, edges and policy layers. The summary (the report) never reads them,
    /// so a run that writes no CSV or chart skips their upkeep; every result in the report is
    /// the same. Call it before the run starts.
    pub fn disable_series(&mut self) {
        for s in &mut self.services {
            s.disable_series();
        }
        self.stats.disable_series();
        for l in self.policy_levels.iter_mut().flatten() {
            l.disable_series();
        }
    }

    /// Ends the run at `end` (call once, after it): the linked stores catch up to `end`, the
    /// observer is told the run ended, and the time series close.
    pub fn finish(&mut self, end: SimTime) {
        self.settle_stores(end);
        tell!(self, run_ended(end));
        self.sample_levels(end);
        for s in &mut self.services {
            s.finish_series(end);
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
                    .filter(|(_, v)| v.edge.index() == i)
                    .map(|(_, v)| v.attempts_out() as u64)
                    .sum();
                if e.sent_total - e.resolved_total.min(e.sent_total) != waiting {
                    return Err(format!(
                        "edge {} -> {}: {} attempts sent, {} resolved, but {waiting} attempts are awaited",
                        e.from, self.services[e.to].name, e.sent_total, e.resolved_total
                    ));
                }
            }
            if e.resolved_total > e.sent_total {
                return Err(format!(
                    "edge {} -> {}: {} attempts resolved but only {} sent",
                    e.from, self.services[e.to].name, e.resolved_total, e.sent_total
                ));
            }
        }
        self.sagas.conservation(|service, saga| {
            self.services[service].program.sagas[saga as usize]
                .steps
                .len()
        })
    }
}

impl<O: Observer> World<O> {
    /// Empty [`Statistics`] shaped for this world's clients, services, edges and SLOs: what
    /// the world starts with, to attach as an observer to another run of the same scenario.
    pub fn empty_statistics(&self, bucket: SimDuration) -> Statistics {
        let policies: Vec<bool> = self.edges.iter().map(|e| e.policies).collect();
        Statistics::new(StatisticsShape {
            bucket,
            clients: self.clients.len(),
            instances: self.services.iter().map(|s| s.instances.len()).collect(),
            policies: &policies,
            slos: self.stats.slos.iter().map(SloTrack::cleared).collect(),
        })
    }
}

impl<O: Observer, S: StatisticsSlot> Model for World<O, S> {
    type Event = Event;

    fn init(&mut self, ctx: &mut Context<Event>) {
        self.start_stores(ctx);
        if self.warmup > SimTime::ZERO {
            ctx.schedule_at(self.warmup, Event::WarmupEnd);
        }
        if !self.stacks.is_empty() {
            ctx.schedule_at(SimTime::ZERO + self.level_period, Event::SampleLevels);
        }
        for (s, svc) in self.services.iter().enumerate() {
            if let Some(t) = svc.first_outlier_sweep() {
                ctx.schedule_at(
                    t,
                    Event::OutlierSweep {
                        service: ServiceId::new(s),
                    },
                );
            }
        }
        self.first_probes(ctx);
        for s in 0..self.services.len() {
            if let Some(t) = self.services[s].first_sync() {
                ctx.schedule_at(
                    t,
                    Event::AutoscaleSync {
                        service: ServiceId::new(s),
                    },
                );
            }
        }
        for (i, f) in self.faults.iter().enumerate() {
            let fault = FaultId::new(i);
            ctx.schedule_at(f.start, Event::FaultStart { fault });
            if let Some(end) = f.end {
                ctx.schedule_at(end, Event::FaultEnd { fault });
            }
        }
        for (i, c) in self.clients.iter_mut().enumerate() {
            let client = ClientId::new(i);
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
                if let ClientKind::Open { schedule, rng } = &mut self.clients[client].kind {
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
                        self.services[c.service].program.ops[c.pc as usize]
                    {
                        let target =
                            self.services[c.service].program.calls[(first + slot as u32) as usize];
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
                    let to = self.edges[edge].to;
                    self.resolve(edge, to, Outcome::Timeout, ctx.now());
                    self.end_request(request, Outcome::Timeout, ctx);
                }
            }
            Event::Timers { queue } => self.fire_timers(queue, ctx),
            Event::FaultStart { fault } => self.fault(fault, true, ctx),
            Event::FaultEnd { fault } => self.fault(fault, false, ctx),
            Event::Flap { fault } => {
                if let FaultKind::Flapping(fail, repair) = self.faults[fault].kind {
                    if let Some(next) = self.network.flap(fault.index() as u32, fail, repair) {
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
            Event::SagaTimeout { saga, token } => self.saga_timeout(saga, token, ctx),
            Event::Shared {
                service,
                instance,
                epoch,
            } => self.shared_due(service, instance, epoch, ctx),
            Event::SagaRetry { saga, token } => self.saga_retry(saga, token, ctx),
            Event::StoreWake { store, gen } => self.store_wake(store, gen, ctx),
            Event::Hedge { inv, gen, attempt } => self.hedge_due(inv, gen, attempt, ctx),
            Event::SampleLevels => {
                let now = ctx.now();
                self.sample_levels(now);
                ctx.schedule_at(now + self.level_period, Event::SampleLevels);
            }
            Event::Probe {
                service,
                instance,
                kind,
            } => self.probe_due(service, instance, kind, ctx),
            Event::ProbeJudged {
                service,
                instance,
                kind,
            } => self.probe_judged(service, instance, kind, ctx),
            Event::Restarted { service, instance } => self.restarted(service, instance, ctx),
            Event::AutoscaleSync { service } => self.autoscale(service, ctx),
            Event::Provisioned {
                service,
                instance,
                epoch,
            } => self.provisioned(service, instance, epoch, ctx),
            Event::Terminated { service, instance } => self.terminated(service, instance, ctx),
            Event::OutlierSweep { service } => {
                if let Some(next) = self.services[service].outlier_sweep(ctx.now()) {
                    ctx.schedule_at(next, Event::OutlierSweep { service });
                }
            }
            Event::WarmupEnd => {
                let now = ctx.now();
                self.measured_from = now;
                for s in &mut self.services {
                    s.reset_stats(now);
                }
                tell!(self, warmup_ended(now));
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
