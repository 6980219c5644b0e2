//! The store as a [`Model`]: replicas and client processes on a shared network, the events
//! between them, and the faults that hit them. The protocol is in `protocol.rs`, serving
//! clients in `serve.rs`, the processes in `client.rs`, the verdict in `measure.rs`.

use crate::message::Msg;
use crate::process::Process;
use crate::replica::{Replica, Role};
use crate::spec::{Election, StoreSpec};
use sim_core::{Context, Model, RngFactory, Sampler, SimDuration, SimRng, SimTime};
use sim_history::History;
use sim_net::{Delivery, Endpoint, NetEffect, Network, Place};

/// The network node of the replicas (instance = replica).
pub const REPLICAS_NODE: u32 = 0;
/// The network node of the client processes (instance = process).
pub const CLIENTS_NODE: u32 = 1;
/// The first network node of other models' callers (see `external.rs`): a service's
/// operations come from node `FIRST_CALLER_NODE + service`, instance = its instance.
pub const FIRST_CALLER_NODE: u32 = 2;

/// A fault that hits a store's replicas.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreFault {
    /// Replicas (`None`: all) stop at `at`, and restart after `restart_after` if given.
    Crash {
        /// The replica.
        replica: Option<u32>,
        /// When.
        at: SimDuration,
        /// How long until it restarts.
        restart_after: Option<SimDuration>,
    },
    /// Replicas freeze from `start` for `duration`: nothing they do happens meanwhile.
    Pause {
        /// The replica.
        replica: Option<u32>,
        /// When.
        start: SimDuration,
        /// How long.
        duration: SimDuration,
    },
    /// A replica's clock jumps by `by` nanoseconds (negative: back) at `at`.
    ClockJump {
        /// The replica.
        replica: Option<u32>,
        /// When.
        at: SimDuration,
        /// By how much (ns).
        by: i64,
    },
}

impl StoreFault {
    /// When it starts, and when it ends if it does (a restart after a crash).
    pub fn window(&self) -> (SimDuration, Option<SimDuration>) {
        match *self {
            StoreFault::Crash {
                at, restart_after, ..
            } => (at, restart_after.map(|d| at + d)),
            StoreFault::Pause { start, .. } => (start, None),
            StoreFault::ClockJump { at, .. } => (at, None),
        }
    }
}

/// A network fault over the store's endpoints, its places already resolved.
#[derive(Clone, Debug)]
pub struct StoreNetFault {
    /// When it starts.
    pub start: SimDuration,
    /// When it ends (`None`: never).
    pub end: Option<SimDuration>,
    /// What it does.
    pub effect: NetEffect,
    /// One side.
    pub a: Vec<Place>,
    /// The other side.
    pub b: Vec<Place>,
    /// Only from `a` to `b`.
    pub one_way: bool,
}

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dest {
    /// A replica.
    Replica(u32),
    /// A client process.
    Process(u32),
}

/// The store's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// Message `slot` arrives.
    Arrive { to: Dest, slot: u32 },
    /// A replica's election timer (Raft, Lease) or missed-heartbeat check (Failover).
    ElectionTimer { replica: u32, gen: u32 },
    /// A leader's heartbeat timer.
    Heartbeat { replica: u32, gen: u32 },
    /// A replica's worker finishes the client operation it serves (`gen`: the worker's
    /// generation when it started, so that a crash makes the event stale).
    WorkDone { replica: u32, worker: u32, gen: u32 },
    /// A process starts its next operation.
    Next { process: u32 },
    /// A process's attempt times out.
    Timeout { process: u32, attempt: u64 },
    /// Replica fault `fault` starts or ends.
    Fault { fault: u32, start: bool },
    /// Network fault `fault` starts or ends.
    NetFault { fault: u32, start: bool },
    /// Another model's operation `slot` (see [`StoreModel::submit`]) starts.
    External { slot: u32 },
}

/// The most buckets [`StoreModel::record_applied`] keeps per replica.
pub const MAX_APPLIED_BUCKETS: u64 = 100_000;

/// A store during a run.
#[derive(Clone, Debug)]
pub struct StoreModel {
    /// Its name in the scenario.
    pub name: String,
    /// Its spec.
    pub spec: StoreSpec,
    /// Its replicas.
    pub replicas: Vec<Replica>,
    /// Its client processes.
    pub processes: Vec<Process>,
    /// Every client operation.
    pub history: History,
    pub(crate) network: Network,
    pub(crate) faults: Vec<StoreFault>,
    pub(crate) net_faults: Vec<StoreNetFault>,
    /// Messages in flight, by slot.
    pub(crate) slots: crate::slots::Slots<Msg>,
    pub(crate) service: Sampler,
    pub(crate) think: Vec<Sampler>,
    /// Each client group's stream (key choice, calls, think times).
    pub(crate) client_rng: Vec<SimRng>,
    /// Cumulative Zipf weights, if keys are chosen by Zipf.
    pub(crate) zipf: Vec<f64>,
    pub(crate) next_value: i64,
    pub(crate) next_attempt: u64,
    /// Role changes: (time, replica, role, term), for the timeline and the measures.
    pub timeline: Vec<(SimTime, u32, Role, u64)>,
    /// When replicas were cut off from, or back in touch with, a majority of the replicas
    /// (counting themselves) by the network faults: (time, replica, isolated).
    pub isolation: Vec<(SimTime, u32, bool)>,
    /// Whether each replica is cut off now.
    pub(crate) isolated: Vec<bool>,
    /// The replica that led each term, to catch two leaders in one term.
    pub(crate) term_leaders: std::collections::HashMap<u64, u32>,
    /// Times a replica became leader in a term another replica already led.
    pub same_term_leaders: u64,
    /// Read-modify-writes so far.
    pub rmw: crate::read_modify_write::Tally,
    /// Each replica's applied index at the end of each bucket of `applied_bucket` (the last
    /// value written in the bucket; 0 in buckets where it applied nothing: carry the previous
    /// forward), if [`StoreModel::record_applied`] asked for it.
    pub applied: Vec<Vec<u64>>,
    /// The width of `applied`'s buckets.
    pub applied_bucket: SimDuration,
    /// The checker's first anomaly, once [`StoreModel::measure`] has run and found one.
    pub anomaly: Option<sim_history::linearizable::Anomaly>,
    pub(crate) end: SimTime,
    /// The seed of its random streams, for callers added later.
    pub(crate) seed: u64,
    /// Operations submitted by another model and not started yet, by slot.
    pub(crate) submitted: crate::slots::Slots<crate::message::ExternalOp>,
    /// Each client group's idle processes (callers' groups only).
    pub(crate) idle: Vec<Vec<u32>>,
    /// Submitted operations that ended.
    pub(crate) answers: Vec<crate::message::ExternalAnswer>,
    /// Submitted operations that began and nobody has taken yet (kept if `watch_starts`).
    pub(crate) started: Vec<crate::message::ExternalStart>,
    /// Whether someone takes the starts.
    pub(crate) watch_starts: bool,
}

impl StoreModel {
    /// Builds a store from its checked spec. `zone` resolves a zone name to its index in
    /// `network`; `seed` keys the random streams (`store/NAME/...`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &str,
        spec: &StoreSpec,
        seed: u64,
        network: Network,
        zone: &dyn Fn(&str) -> u16,
        faults: Vec<StoreFault>,
        net_faults: Vec<StoreNetFault>,
        duration: SimDuration,
    ) -> StoreModel {
        let rngs = RngFactory::new(seed);
        let replicas = (0..spec.replicas)
            .map(|i| {
                let z = if spec.zones.is_empty() {
                    sim_net::NO_ZONE
                } else {
                    zone(&spec.zones[i as usize % spec.zones.len()])
                };
                let rng = rngs.stream(&format!("store/{name}/replica/{i}"));
                Replica::new(i, z, spec, rng)
            })
            .collect();
        let mut processes = Vec::new();
        for (g, c) in spec.clients.iter().enumerate() {
            let z = c.zone.as_deref().map_or(sim_net::NO_ZONE, zone);
            for _ in 0..c.processes {
                processes.push(Process::new(g as u32, z));
            }
        }
        let zipf = match spec.key_choice {
            crate::spec::KeyChoice::Uniform => Vec::new(),
            crate::spec::KeyChoice::Zipf { s } => {
                let mut acc = 0.0;
                (1..=spec.keys)
                    .map(|k| {
                        acc += 1.0 / libm::pow(k as f64, s);
                        acc
                    })
                    .collect()
            }
        };
        StoreModel {
            name: name.to_string(),
            spec: spec.clone(),
            replicas,
            processes,
            history: History::new().with_initial(spec.initial_value),
            network,
            faults,
            net_faults,
            slots: Default::default(),
            service: spec.service_time.sampler().expect("checked"),
            think: spec
                .clients
                .iter()
                .map(|c| c.think_time.sampler().expect("checked"))
                .collect(),
            client_rng: (0..spec.clients.len())
                .map(|g| rngs.stream(&format!("store/{name}/clients/{g}")))
                .collect(),
            zipf,
            next_value: 0,
            next_attempt: 0,
            timeline: Vec::new(),
            isolation: Vec::new(),
            isolated: vec![false; spec.replicas as usize],
            term_leaders: Default::default(),
            same_term_leaders: 0,
            applied: Vec::new(),
            applied_bucket: SimDuration::ZERO,
            anomaly: None,
            rmw: Default::default(),
            end: SimTime::ZERO + duration,
            seed,
            submitted: Default::default(),
            idle: vec![Vec::new(); spec.clients.len()],
            answers: Vec::new(),
            started: Vec::new(),
            watch_starts: false,
        }
    }

    /// How many replicas.
    pub(crate) fn n(&self) -> usize {
        self.replicas.len()
    }

    /// A majority of the replicas.
    pub(crate) fn majority(&self) -> usize {
        self.n() / 2 + 1
    }

    pub(crate) fn endpoint(&self, d: Dest) -> Endpoint {
        match d {
            Dest::Replica(r) => Endpoint {
                node: REPLICAS_NODE,
                instance: r,
                zone: self.replicas[r as usize].zone,
            },
            Dest::Process(p) => {
                let proc_ = &self.processes[p as usize];
                let (node, instance) = proc_.at.unwrap_or((CLIENTS_NODE, p));
                Endpoint {
                    node,
                    instance,
                    zone: proc_.zone,
                }
            }
        }
    }

    /// Sends `msg` from `from` to `to` through the network.
    pub(crate) fn send(&mut self, ctx: &mut Context<Event>, from: Dest, to: Dest, msg: Msg) {
        let (a, b) = (self.endpoint(from), self.endpoint(to));
        let request = matches!(msg, Msg::Request(_));
        match self.network.send(ctx.now(), a, b, 0, request) {
            Delivery::Lost => {}
            Delivery::At(t) => self.deliver_at(ctx, t, to, msg),
            Delivery::Twice(t1, t2) => {
                self.deliver_at(ctx, t1, to, msg.clone());
                self.deliver_at(ctx, t2, to, msg);
            }
        }
    }

    fn deliver_at(&mut self, ctx: &mut Context<Event>, t: SimTime, to: Dest, msg: Msg) {
        let slot = self.slots.put(msg);
        ctx.schedule_at(t, Event::Arrive { to, slot });
    }

    /// The election preset's timings: (timeout min, timeout max, heartbeat).
    pub(crate) fn timings(&self) -> (SimDuration, SimDuration, SimDuration) {
        match self.spec.election {
            Election::Raft {
                election_timeout_min,
                election_timeout_max,
                heartbeat,
            }
            | Election::Lease {
                election_timeout_min,
                election_timeout_max,
                heartbeat,
                ..
            } => (election_timeout_min, election_timeout_max, heartbeat),
            Election::Failover { heartbeat, missed } => {
                let wait = SimDuration::from_nanos(heartbeat.as_nanos() * missed as u64);
                (wait, wait, heartbeat)
            }
        }
    }

    /// Records that replica `r` is now `role`.
    pub(crate) fn set_role(&mut self, now: SimTime, r: usize, role: Role) {
        let rep = &mut self.replicas[r];
        if rep.role == role {
            return;
        }
        rep.role = role;
        let term = rep.term;
        self.timeline.push((now, r as u32, role, term));
        if role == Role::Leader {
            match self.term_leaders.get(&term) {
                Some(&other) if other != r as u32 => self.same_term_leaders += 1,
                _ => {
                    self.term_leaders.insert(term, r as u32);
                }
            }
        }
    }

    fn fault_replicas(&self, replica: Option<u32>) -> std::ops::Range<usize> {
        match replica {
            Some(r) => r as usize..r as usize + 1,
            None => 0..self.n(),
        }
    }

    fn fault(&mut self, ctx: &mut Context<Event>, fault: u32, start: bool) {
        let now = ctx.now();
        match self.faults[fault as usize].clone() {
            StoreFault::Crash { replica, .. } => {
                for r in self.fault_replicas(replica) {
                    if start {
                        self.crash(now, r);
                    } else {
                        self.restart(ctx, r);
                    }
                }
            }
            StoreFault::Pause {
                replica, duration, ..
            } => {
                if start {
                    for r in self.fault_replicas(replica) {
                        let rep = &mut self.replicas[r];
                        rep.paused_until = rep.paused_until.max(now + duration);
                    }
                }
            }
            StoreFault::ClockJump { replica, by, .. } => {
                for r in self.fault_replicas(replica) {
                    self.replicas[r].offset += by;
                }
            }
        }
    }

    /// Notes which replicas the network faults now in force cut off from a majority: a replica
    /// is isolated when fewer than a majority of the replicas, itself included, can both hear
    /// it and be heard by it. Crashes and pauses are not isolation: the replica is down.
    fn note_isolation(&mut self, now: SimTime) {
        let n = self.n();
        for r in 0..n {
            let a = self.endpoint(Dest::Replica(r as u32));
            let reach = (0..n)
                .filter(|&j| {
                    let b = self.endpoint(Dest::Replica(j as u32));
                    j == r || (!self.network.cut(a, b) && !self.network.cut(b, a))
                })
                .count();
            let isolated = reach < self.majority();
            if isolated != self.isolated[r] {
                self.isolated[r] = isolated;
                self.isolation.push((now, r as u32, isolated));
            }
        }
    }

    /// Adds faults to a running store (a fork's "what if"): returns the events that start and
    /// end them, to schedule. They must not start before the store's clock.
    pub fn add_faults(
        &mut self,
        faults: Vec<StoreFault>,
        net_faults: Vec<StoreNetFault>,
    ) -> Vec<(SimTime, Event)> {
        let mut events = Vec::new();
        for f in faults {
            let fault = self.faults.len() as u32;
            let (start, end) = f.window();
            events.push((SimTime::ZERO + start, Event::Fault { fault, start: true }));
            if let Some(e) = end {
                events.push((
                    SimTime::ZERO + e,
                    Event::Fault {
                        fault,
                        start: false,
                    },
                ));
            }
            self.faults.push(f);
        }
        if !net_faults.is_empty() {
            self.network.expect_faults();
        }
        for f in net_faults {
            let fault = self.net_faults.len() as u32;
            events.push((
                SimTime::ZERO + f.start,
                Event::NetFault { fault, start: true },
            ));
            if let Some(e) = f.end {
                events.push((
                    SimTime::ZERO + e,
                    Event::NetFault {
                        fault,
                        start: false,
                    },
                ));
            }
            self.net_faults.push(f);
        }
        events
    }

    /// Records each replica's applied index per bucket of `bucket` (at most
    /// [`MAX_APPLIED_BUCKETS`] buckets: a finer bucket over a long run is widened), for the
    /// replication-lag chart.
    pub fn record_applied(&mut self, bucket: SimDuration) {
        let run = self.end.0.max(1);
        let width = bucket
            .as_nanos()
            .max(run.div_ceil(MAX_APPLIED_BUCKETS))
            .max(1);
        let buckets = run.div_ceil(width) as usize;
        self.applied_bucket = SimDuration::from_nanos(width);
        self.applied = vec![vec![0; buckets]; self.replicas.len()];
    }

    /// Notes replica `r`'s applied index at `now`.
    pub(crate) fn note_applied(&mut self, now: SimTime, r: usize) {
        let width = self.applied_bucket.as_nanos();
        if width == 0 {
            return;
        }
        let applied = self.replicas[r].applied;
        if let Some(slot) = self
            .applied
            .get_mut(r)
            .and_then(|s| s.get_mut((now.0 / width) as usize))
        {
            *slot = applied;
        }
    }

    fn crash(&mut self, now: SimTime, r: usize) {
        self.set_role(now, r, Role::Follower);
        let keep_unsynced = self.spec.durability == crate::spec::Durability::Synced;
        let rep = &mut self.replicas[r];
        rep.up = false;
        rep.queue.clear();
        rep.serving.iter_mut().for_each(|s| *s = None);
        rep.worker_gen.iter_mut().for_each(|g| *g += 1);
        rep.waiting.clear();
        rep.votes = 0;
        rep.leader = None;
        rep.election_gen += 1;
        rep.heartbeat_gen += 1;
        rep.lease_until = i64::MIN;
        if !keep_unsynced {
            let commit = rep.commit;
            rep.truncate(commit);
        }
        self.note_applied(now, r);
    }

    fn restart(&mut self, ctx: &mut Context<Event>, r: usize) {
        let rep = &mut self.replicas[r];
        if rep.up {
            return;
        }
        rep.up = true;
        rep.last_heard = ctx.now();
        self.arm_election(ctx, r);
    }
}

impl Model for StoreModel {
    type Event = Event;

    fn init(&mut self, ctx: &mut Context<Event>) {
        for (i, f) in self.faults.iter().enumerate() {
            let (start, end) = f.window();
            ctx.schedule_at(
                SimTime::ZERO + start,
                Event::Fault {
                    fault: i as u32,
                    start: true,
                },
            );
            if let Some(e) = end {
                ctx.schedule_at(
                    SimTime::ZERO + e,
                    Event::Fault {
                        fault: i as u32,
                        start: false,
                    },
                );
            }
        }
        if !self.net_faults.is_empty() {
            self.network.expect_faults();
        }
        for (i, f) in self.net_faults.iter().enumerate() {
            ctx.schedule_at(
                SimTime::ZERO + f.start,
                Event::NetFault {
                    fault: i as u32,
                    start: true,
                },
            );
            if let Some(e) = f.end {
                ctx.schedule_at(
                    SimTime::ZERO + e,
                    Event::NetFault {
                        fault: i as u32,
                        start: false,
                    },
                );
            }
        }
        self.start_protocol(ctx);
        for p in 0..self.processes.len() {
            self.schedule_next(ctx, p, true);
        }
    }

    fn handle(&mut self, event: Event, ctx: &mut Context<Event>) {
        let now = ctx.now();
        // A paused replica does nothing until its pause ends: its events wait.
        let paused = |m: &StoreModel, r: u32| m.replicas[r as usize].paused_until > now;
        match event {
            Event::Arrive { to, slot } => {
                if let Dest::Replica(r) = to {
                    if paused(self, r) {
                        ctx.schedule_at(self.replicas[r as usize].paused_until, event);
                        return;
                    }
                }
                let msg = self.slots.take(slot);
                match to {
                    Dest::Replica(r) if self.replicas[r as usize].up => {
                        self.receive(ctx, r as usize, msg)
                    }
                    Dest::Replica(_) => {} // lost with the crashed replica
                    Dest::Process(p) => self.answer(ctx, p as usize, msg),
                }
            }
            Event::ElectionTimer { replica, .. }
            | Event::Heartbeat { replica, .. }
            | Event::WorkDone { replica, .. }
                if paused(self, replica) =>
            {
                ctx.schedule_at(self.replicas[replica as usize].paused_until, event);
            }
            Event::ElectionTimer { replica, gen } => {
                self.election_timer(ctx, replica as usize, gen)
            }
            Event::Heartbeat { replica, gen } => self.heartbeat(ctx, replica as usize, gen),
            Event::WorkDone {
                replica,
                worker,
                gen,
            } => self.work_done(ctx, replica as usize, worker as usize, gen),
            Event::Next { process } => self.next_op(ctx, process as usize),
            Event::Timeout { process, attempt } => self.timed_out(ctx, process as usize, attempt),
            Event::Fault { fault, start } => self.fault(ctx, fault, start),
            Event::External { slot } => self.start_external(ctx, slot),
            Event::NetFault { fault, start } => {
                let f = &self.net_faults[fault as usize];
                let on = start.then_some((f.effect, &f.a[..], &f.b[..], f.one_way));
                self.network.set_fault(fault, on);
                self.note_isolation(now);
            }
        }
    }
}
