//! The simulated system: clients, services and the requests between them, as one [`Model`].
//!
//! One request's life: a client creates it and it *arrives* at the client's target service; the
//! service starts it on a free worker, queues it, or rejects it. When a worker finishes it, the
//! worker takes the next queued request, and the finished one is *routed*: on to another service
//! (it arrives there) or out of the system, answered. Its client then records the end-to-end
//! latency; a closed-loop user thinks and sends again.

use crate::check::{Problems, Severity};
use crate::client::{Client, ClientKind};
use crate::rate_schedule::ArrivalSchedule;
use crate::request::{Request, RequestId, Requests};
use crate::scenario::{ClientSpec, Scenario};
use crate::service::{Admission, Service, ServiceParts};
use sim_core::{Context, Model, RngFactory, SimTime, StopReason};

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
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Completed,
    Rejected,
    Unavailable,
}

/// The whole simulated system.
#[derive(Clone, Debug)]
pub struct World {
    /// Services, in name order.
    pub services: Vec<Service>,
    /// Clients, in name order.
    pub clients: Vec<Client>,
    requests: Requests,
    max_in_flight: u64,
    warmup: SimTime,
    /// Start of the measurement window (the end of the warm-up once it has passed).
    pub measured_from: SimTime,
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
        let services = scenario
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
        Ok(World {
            services,
            clients,
            requests: Requests::default(),
            max_in_flight: scenario.limits.max_in_flight,
            warmup: SimTime(scenario.warmup.as_nanos()),
            measured_from: SimTime::ZERO,
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
        let c = &mut self.clients[client as usize];
        c.stats.sent += 1;
        c.series.sent.add(now, 1);
        let target = c.target;
        let id = self.requests.insert(Request {
            client,
            instance: 0,
            created: now,
            arrived: now,
        });
        self.arrive(target, id, ctx);
    }

    /// `request` arrives at `service`.
    #[inline]
    fn arrive(&mut self, service: u32, request: RequestId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let admission = self.services[service as usize].arrive(now, request);
        let r = self.requests.get_mut(request);
        r.arrived = now;
        match admission {
            Admission::Started {
                instance,
                service_time,
            } => {
                r.instance = instance;
                ctx.schedule_in(service_time, Event::ServiceDone { service, request });
            }
            Admission::Queued { instance } => r.instance = instance,
            Admission::Rejected => self.end(request, Outcome::Rejected, ctx),
            Admission::Unavailable => self.end(request, Outcome::Unavailable, ctx),
        }
    }

    /// A worker of `service` finishes `request`.
    #[inline]
    fn service_done(&mut self, service: u32, request: RequestId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let r = *self.requests.get_mut(request);
        let svc = &mut self.services[service as usize];
        if let Some((next, d)) = svc.finish(now, r.instance, r.arrived) {
            ctx.schedule_in(
                d,
                Event::ServiceDone {
                    service,
                    request: next,
                },
            );
        }
        match svc.route() {
            Some(to) => self.arrive(to, request, ctx),
            None => self.end(request, Outcome::Completed, ctx),
        }
    }

    /// A request leaves the system.
    fn end(&mut self, request: RequestId, outcome: Outcome, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let r = self.requests.remove(request);
        let c = &mut self.clients[r.client as usize];
        match outcome {
            Outcome::Completed => {
                let latency = (now - r.created).as_nanos();
                c.stats.completed += 1;
                c.stats.latency.record(latency);
                c.series.completed.add(now, 1);
                c.series.latency_sum.add(now, latency as u128);
            }
            Outcome::Rejected => {
                c.stats.rejected += 1;
                c.series.rejected.add(now, 1);
            }
            Outcome::Unavailable => {
                c.stats.unavailable += 1;
                c.series.rejected.add(now, 1);
            }
        }
        if let ClientKind::Closed {
            think_time, rng, ..
        } = &mut c.kind
        {
            let think = think_time.sample(rng);
            ctx.schedule_in(think, Event::UserReady { client: r.client });
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
