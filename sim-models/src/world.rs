//! The simulated system: clients, services and the requests between them, as one [`Model`].
//!
//! One request's life: a client creates it and it *arrives* at the client's target service; the
//! service starts it on a free worker, queues it, or rejects it. When a worker finishes it, the
//! worker takes the next queued request, and the finished one is *routed*: on to another service
//! (it arrives there) or out of the system, answered. Its client then records the end-to-end
//! latency; a closed-loop user thinks and sends again.
//!
//! Faults (`fault.rs`) start and end as events: a crash ends every request its instance holds
//! (their pending completions are cancelled), a restart brings the instance back empty, a capacity
//! change lets queued work start or retires workers, slowdowns and error injections change what
//! new work costs or whether it fails. Pauses need no events: instances compute completion times
//! around them.

use crate::check::{Problems, Severity};
use crate::client::{Client, ClientKind};
use crate::fault::{Fault, FaultKind};
use crate::rate_schedule::ArrivalSchedule;
use crate::request::{Request, RequestId, Requests};
use crate::scenario::{ClientSpec, Scenario};
use crate::service::{Admission, Service, ServiceParts};
use sim_core::{Context, EventId, Model, RngFactory, SimTime, StopReason};

/// Everything that happens in the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// The warm-up ends: statistics restart from here.
    WarmupEnd,
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
    /// A worker of `service` finishes `request`.
    ServiceDone {
        /// Service index.
        service: u32,
        /// The request.
        request: RequestId,
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
}

/// How a request ended: answered, or the kind of error that ended it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Outcome {
    /// Answered.
    Completed,
    /// An instance was at capacity.
    Rejected,
    /// No instance of a service was up.
    Unavailable,
    /// Its instance crashed while it was there.
    Crashed,
    /// An injected error failed it.
    Injected,
}

impl Outcome {
    /// The error kinds, in the order reports list them.
    pub const ERRORS: [Outcome; 4] = [
        Outcome::Rejected,
        Outcome::Unavailable,
        Outcome::Crashed,
        Outcome::Injected,
    ];

    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Rejected => "rejected",
            Outcome::Unavailable => "unavailable",
            Outcome::Crashed => "crashed",
            Outcome::Injected => "injected",
        }
    }
}

/// Requests by how they ended, over the whole run (never reset by the warm-up): what the
/// conservation check adds up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Requests sent by all clients.
    pub sent: u64,
    /// Requests ended, indexed by `Outcome as usize`.
    pub ended: [u64; 5],
}

impl Totals {
    /// Requests that ended with `outcome`.
    pub fn ended(&self, outcome: Outcome) -> u64 {
        self.ended[outcome as usize]
    }
}

/// The whole simulated system.
#[derive(Clone, Debug)]
pub struct World {
    /// Services, in name order.
    pub services: Vec<Service>,
    /// Clients, in name order.
    pub clients: Vec<Client>,
    /// Faults, in the scenario's order.
    pub faults: Vec<Fault>,
    requests: Requests,
    /// The pending completion of each request in service at a service that can crash, by
    /// request id, so a crash can cancel it. Empty when no crash fault exists.
    cancellable_done: Vec<Option<EventId>>,
    max_in_flight: u64,
    warmup: SimTime,
    /// Start of the measurement window (the end of the warm-up once it has passed).
    pub measured_from: SimTime,
    /// Every request's fate over the whole run.
    pub totals: Totals,
}

impl World {
    /// Builds the system of `scenario` with random streams derived from `seed`. Fails with the
    /// scenario's errors if [`Scenario::check`] finds any.
    pub fn new(scenario: &Scenario, seed: u64) -> Result<World, Problems> {
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
        let index_of = |name: &str| {
            scenario
                .services
                .keys()
                .position(|n| n == name)
                .expect("checked") as u32
        };
        let mut services: Vec<Service> = scenario
            .services
            .iter()
            .map(|(name, s)| {
                let mut cum = 0.0;
                let routes = s
                    .routes
                    .iter()
                    .map(|r| {
                        cum += r.probability;
                        (cum, index_of(&r.to))
                    })
                    .collect();
                Service::new(ServiceParts {
                    name: name.clone(),
                    instances: s.instances,
                    workers: s.workers,
                    capacity: s.capacity,
                    load_balancer: s.load_balancer,
                    service_time: s.service_time.sampler().expect("checked"),
                    routes,
                    service_rng: rngs.stream(&format!("service/{name}/service_time")),
                    routing_rng: rngs.stream(&format!("service/{name}/routing")),
                    balancer_rng: rngs.stream(&format!("service/{name}/load_balancer")),
                    errors_rng: rngs.stream(&format!("service/{name}/errors")),
                    bucket,
                })
            })
            .collect();
        let clients = scenario
            .clients
            .iter()
            .map(|(name, c)| {
                let (kind, target) = match c {
                    ClientSpec::Open {
                        rate,
                        process,
                        schedule,
                        target,
                    } => (
                        ClientKind::Open {
                            schedule: ArrivalSchedule::new(*process, *rate, schedule),
                            rng: rngs.stream(&format!("client/{name}/arrivals")),
                        },
                        target,
                    ),
                    ClientSpec::Closed {
                        users,
                        think_time,
                        target,
                    } => (
                        ClientKind::Closed {
                            users: *users,
                            think_time: think_time.sampler().expect("checked"),
                            rng: rngs.stream(&format!("client/{name}/think_time")),
                        },
                        target,
                    ),
                };
                Client::new(name.clone(), kind, index_of(target), bucket)
            })
            .collect();
        let faults: Vec<Fault> = scenario
            .faults
            .iter()
            .map(|f| Fault::new(f, index_of(f.service())))
            .collect();
        for f in &faults {
            let svc = &mut services[f.service as usize];
            match f.kind {
                FaultKind::Crash => svc.crashable = true,
                FaultKind::Pause => {
                    let end = f.end.expect("a pause has a duration");
                    for (i, inst) in svc.instances.iter_mut().enumerate() {
                        if f.hits(i) {
                            inst.pauses.push((f.start, end));
                            inst.pauses.sort_unstable();
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(World {
            services,
            clients,
            faults,
            requests: Requests::default(),
            cancellable_done: Vec::new(),
            max_in_flight: scenario.limits.max_in_flight,
            warmup: SimTime(scenario.warmup.as_nanos()),
            measured_from: SimTime::ZERO,
            totals: Totals::default(),
        })
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.requests.len()
    }

    /// A client sends a new request, unless that would exceed the in-flight limit.
    fn send(&mut self, client: u32, ctx: &mut Context<Event>) {
        let now = ctx.now();
        if self.requests.len() as u64 >= self.max_in_flight {
            ctx.stop(StopReason::Model {
                limit: "max_in_flight",
                detail: format!(
                    "stopped at {now}: {} requests in flight reached limits.max_in_flight; the system is overloaded (raise the limit if this is expected)",
                    self.max_in_flight
                ),
            });
            return;
        }
        self.totals.sent += 1;
        let c = &mut self.clients[client as usize];
        c.stats.sent += 1;
        c.series.sent.add(now, 1);
        let target = c.target;
        let id = self.requests.insert(Request {
            client,
            instance: 0,
            created: now,
            arrived: now,
            service: target,
            doomed: false,
            in_service: false,
            live: true,
        });
        self.arrive(target, id, ctx);
    }

    /// A worker of `service` has taken `request`: schedules its completion at `at`, cancellably
    /// if the service can crash.
    #[inline(always)]
    fn schedule_done(
        &mut self,
        service: u32,
        request: RequestId,
        at: SimTime,
        ctx: &mut Context<Event>,
    ) {
        self.requests.get_mut(request).in_service = true;
        let event = Event::ServiceDone { service, request };
        if self.services[service as usize].crashable {
            let id = ctx.schedule_cancellable_in(at - ctx.now(), event);
            let slot = request as usize;
            if slot >= self.cancellable_done.len() {
                self.cancellable_done.resize(slot + 1, None);
            }
            self.cancellable_done[slot] = Some(id);
        } else {
            ctx.schedule_at(at, event);
        }
    }

    /// `request` arrives at `service`.
    #[inline]
    fn arrive(&mut self, service: u32, request: RequestId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let admission = self.services[service as usize].arrive(now, request);
        let r = self.requests.get_mut(request);
        r.arrived = now;
        r.service = service;
        r.in_service = false;
        match admission {
            Admission::Started {
                instance,
                done_at,
                doomed,
            } => {
                r.instance = instance;
                r.doomed = doomed;
                self.schedule_done(service, request, done_at, ctx);
            }
            Admission::Queued { instance, doomed } => {
                r.instance = instance;
                r.doomed = doomed;
            }
            Admission::Rejected => self.end(request, Outcome::Rejected, ctx),
            Admission::Unavailable => self.end(request, Outcome::Unavailable, ctx),
            Admission::Injected => self.end(request, Outcome::Injected, ctx),
        }
    }

    /// A worker of `service` finishes `request`.
    #[inline]
    fn service_done(&mut self, service: u32, request: RequestId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let r = *self.requests.get_mut(request);
        let svc = &mut self.services[service as usize];
        if let Some((next, done_at)) = svc.finish(now, r.instance, r.arrived, r.doomed) {
            self.schedule_done(service, next, done_at, ctx);
        }
        if r.doomed {
            return self.end(request, Outcome::Injected, ctx);
        }
        let svc = &mut self.services[service as usize];
        match svc.route() {
            Some(to) => self.arrive(to, request, ctx),
            None => self.end(request, Outcome::Completed, ctx),
        }
    }

    /// A request leaves the system, answered or failed.
    fn end(&mut self, request: RequestId, outcome: Outcome, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let r = self.requests.remove(request);
        self.totals.ended[outcome as usize] += 1;
        let c = &mut self.clients[r.client as usize];
        if outcome == Outcome::Completed {
            let latency = (now - r.created).as_nanos();
            c.stats.completed += 1;
            c.stats.latency.record(latency);
            c.series.completed.add(now, 1);
            c.series.latency_sum.add(now, latency as u128);
        } else {
            c.stats.count_error(outcome);
            c.series.errors.add(now, 1);
        }
        if let ClientKind::Closed {
            think_time, rng, ..
        } = &mut c.kind
        {
            let think = think_time.sample(rng);
            ctx.schedule_in(think, Event::UserReady { client: r.client });
        }
    }

    /// Applies fault number `index` starting (`on`) or ending.
    fn fault(&mut self, index: u32, on: bool, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let f = self.faults[index as usize].clone();
        let service = f.service;
        let n = self.services[service as usize].instances.len();
        match f.kind {
            FaultKind::Crash => {
                for i in (0..n).filter(|&i| f.hits(i)) {
                    if !on {
                        self.services[service as usize].restart(i);
                        continue;
                    }
                    // The requests its workers hold; a crash is rare, so a scan of the requests
                    // in flight costs nothing on the common path.
                    let in_service: Vec<RequestId> =
                        if self.services[service as usize].instances[i].up {
                            self.requests
                                .iter()
                                .filter(|(_, r)| {
                                    r.service == service && r.instance == i as u32 && r.in_service
                                })
                                .map(|(id, _)| id)
                                .collect()
                        } else {
                            Vec::new()
                        };
                    let queued =
                        self.services[service as usize].crash(now, i, in_service.len() as u64);
                    for lost in queued.into_iter().chain(in_service) {
                        if let Some(id) = self
                            .cancellable_done
                            .get_mut(lost as usize)
                            .and_then(Option::take)
                        {
                            ctx.cancel(id);
                        }
                        self.end(lost, Outcome::Crashed, ctx);
                    }
                }
            }
            FaultKind::CapacityLoss(workers) => {
                for i in (0..n).filter(|&i| f.hits(i)) {
                    for (next, done_at) in
                        self.services[service as usize].capacity_loss(now, i, workers, on)
                    {
                        self.schedule_done(service, next, done_at, ctx);
                    }
                }
            }
            FaultKind::Slowdown(factor) => self.services[service as usize].slowdown(factor, on),
            FaultKind::ErrorInjection(fraction, mode) => {
                self.services[service as usize].inject_errors(fraction, mode, on)
            }
            FaultKind::Pause => {} // instances already schedule their work around it
        }
    }

    /// Closes the time series at `end` (call once, after the run).
    pub fn finish(&mut self, end: SimTime) {
        for s in &mut self.services {
            s.finish_series(end);
        }
    }
}

impl Model for World {
    type Event = Event;

    fn init(&mut self, ctx: &mut Context<Event>) {
        if self.warmup > SimTime::ZERO {
            ctx.schedule_at(self.warmup, Event::WarmupEnd);
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
            Event::ServiceDone { service, request } => self.service_done(service, request, ctx),
            Event::FaultStart { fault } => self.fault(fault, true, ctx),
            Event::FaultEnd { fault } => self.fault(fault, false, ctx),
            Event::WarmupEnd => {
                let now = ctx.now();
                self.measured_from = now;
                for s in &mut self.services {
                    s.reset_stats(now);
                }
                for c in &mut self.clients {
                    c.reset_stats();
                }
            }
        }
    }
}
