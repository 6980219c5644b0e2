//! A service: one or more identical instances behind a load balancer, each with `workers` servers
//! in front of one FIFO queue, optionally bounded.
//!
//! One instance is the station of queueing theory (M/M/c, M/M/c/K, M/G/1, …). The service decides
//! what happens to an arriving request (which instance; start, queue or reject there) and which
//! queued request a freed worker takes next; the [`World`](crate::World) schedules the events.

use crate::instance::Instance;
use crate::load_balancer::{Balancer, LoadBalancer};
use crate::request::RequestId;
use sim_core::{
    CountSeries, Gauge, Histogram, LevelSeries, Sampler, SimDuration, SimRng, SimTime, SumSeries,
};

/// What happened to a request that arrived at a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A worker of `instance` took it at once; it will be done after `service_time`.
    Started {
        /// The instance serving it.
        instance: u32,
        /// How long the work takes.
        service_time: SimDuration,
    },
    /// All workers of `instance` are busy; it waits in that instance's queue.
    Queued {
        /// The instance it waits at.
        instance: u32,
    },
    /// The chosen instance is at capacity; the request is refused.
    Rejected,
    /// No instance is up.
    Unavailable,
}

/// Summary statistics of a service (all its instances) since the end of the warm-up.
#[derive(Clone, Debug, Default)]
pub struct ServiceStats {
    /// Requests that arrived (including refused ones).
    pub arrivals: u64,
    /// Requests served to completion.
    pub completed: u64,
    /// Requests refused because the chosen instance was full.
    pub rejected: u64,
    /// Requests refused because no instance was up.
    pub unavailable: u64,
    /// Time from arrival to completion (nanoseconds).
    pub latency: Histogram,
    /// Time from arrival to the start of service (nanoseconds).
    pub wait: Histogram,
    /// Requests waiting, over all instances.
    pub queued: Gauge,
    /// Workers busy, over all instances.
    pub busy: Gauge,
}

/// Per-bucket time series of a service over the whole run.
#[derive(Clone, Debug)]
pub struct ServiceSeries {
    /// Arrivals per bucket.
    pub arrivals: CountSeries,
    /// Completions per bucket.
    pub completed: CountSeries,
    /// Refusals (full or unavailable) per bucket.
    pub rejected: CountSeries,
    /// Sum of latencies of the requests completed in each bucket (ns).
    pub latency_sum: SumSeries,
    /// Queue length over all instances, time-averaged per bucket.
    pub queued: LevelSeries,
    /// Busy workers over all instances, time-averaged per bucket.
    pub busy: LevelSeries,
}

impl ServiceSeries {
    fn new(bucket: SimDuration) -> Self {
        ServiceSeries {
            arrivals: CountSeries::new(bucket),
            completed: CountSeries::new(bucket),
            rejected: CountSeries::new(bucket),
            latency_sum: SumSeries::new(bucket),
            queued: LevelSeries::new(bucket),
            busy: LevelSeries::new(bucket),
        }
    }
}

/// The state of one service during a run.
#[derive(Clone, Debug)]
pub struct Service {
    /// Its name in the scenario.
    pub name: String,
    /// Workers per instance, as configured.
    pub workers: u32,
    /// Its instances.
    pub instances: Vec<Instance>,
    balancer: Balancer,
    service_time: Sampler,
    service_rng: SimRng,
    /// Cumulative probabilities and the index of the next service; past the last, the request
    /// leaves.
    routes: Vec<(f64, u32)>,
    routing_rng: SimRng,
    /// Requests queued and workers busy over all instances, kept as running totals.
    queued_total: u64,
    busy_total: u64,
    /// Summary statistics since the warm-up.
    pub stats: ServiceStats,
    /// Time series over the whole run.
    pub series: ServiceSeries,
}

/// Everything needed to build a [`Service`]; the identities of its random streams derive from
/// `name`.
pub(crate) struct ServiceParts {
    pub(crate) name: String,
    pub(crate) instances: u32,
    pub(crate) workers: u32,
    pub(crate) capacity: Option<u64>,
    pub(crate) load_balancer: LoadBalancer,
    pub(crate) service_time: Sampler,
    pub(crate) routes: Vec<(f64, u32)>,
    pub(crate) service_rng: SimRng,
    pub(crate) routing_rng: SimRng,
    pub(crate) balancer_rng: SimRng,
    pub(crate) bucket: SimDuration,
}

impl Service {
    pub(crate) fn new(p: ServiceParts) -> Self {
        Service {
            name: p.name,
            workers: p.workers,
            instances: (0..p.instances)
                .map(|_| Instance::new(p.workers, p.capacity))
                .collect(),
            balancer: Balancer::new(p.load_balancer, p.balancer_rng),
            service_time: p.service_time,
            service_rng: p.service_rng,
            routes: p.routes,
            routing_rng: p.routing_rng,
            queued_total: 0,
            busy_total: 0,
            stats: ServiceStats::default(),
            series: ServiceSeries::new(p.bucket),
        }
    }

    /// Requests here now, in service and queued, over all instances.
    pub fn in_system(&self) -> u64 {
        self.busy_total + self.queued_total
    }

    /// Workers busy now, over all instances.
    pub fn busy_workers(&self) -> u64 {
        self.busy_total
    }

    /// Requests queued now, over all instances.
    pub fn queue_length(&self) -> u64 {
        self.queued_total
    }

    /// Workers configured over all instances: the denominator of utilisation.
    pub fn total_workers(&self) -> u64 {
        self.workers as u64 * self.instances.len() as u64
    }

    fn set_busy(&mut self, now: SimTime, instance: usize, delta: i64) {
        let inst = &mut self.instances[instance];
        inst.busy = (inst.busy as i64 + delta) as u32;
        inst.stats.busy.set(now, inst.busy as u64);
        self.busy_total = (self.busy_total as i64 + delta) as u64;
        self.stats.busy.set(now, self.busy_total);
        self.series.busy.set(now, self.busy_total);
    }

    fn set_queued(&mut self, now: SimTime, delta: i64) {
        self.queued_total = (self.queued_total as i64 + delta) as u64;
        self.stats.queued.set(now, self.queued_total);
        self.series.queued.set(now, self.queued_total);
    }

    /// A request arrives at `now`: the load balancer picks an instance, which starts, queues or
    /// rejects it.
    #[inline]
    pub(crate) fn arrive(&mut self, now: SimTime, request: RequestId) -> Admission {
        self.stats.arrivals += 1;
        self.series.arrivals.add(now, 1);
        let Some(i) = self.balancer.pick(&self.instances) else {
            self.stats.unavailable += 1;
            self.series.rejected.add(now, 1);
            return Admission::Unavailable;
        };
        let inst = &mut self.instances[i];
        inst.stats.arrivals += 1;
        if inst.in_system() >= inst.capacity {
            self.stats.rejected += 1;
            self.series.rejected.add(now, 1);
            return Admission::Rejected;
        }
        if inst.busy < inst.workers {
            self.set_busy(now, i, 1);
            self.stats.wait.record(0);
            return Admission::Started {
                instance: i as u32,
                service_time: self.service_time.sample(&mut self.service_rng),
            };
        }
        inst.queue.push_back((request, now));
        self.set_queued(now, 1);
        Admission::Queued { instance: i as u32 }
    }

    /// A worker of `instance` finishes a request that arrived at `arrived`. Returns the queued
    /// request the worker takes next, with its service time, if any.
    #[inline]
    pub(crate) fn finish(
        &mut self,
        now: SimTime,
        instance: u32,
        arrived: SimTime,
    ) -> Option<(RequestId, SimDuration)> {
        let i = instance as usize;
        let latency = (now - arrived).as_nanos();
        self.stats.completed += 1;
        self.stats.latency.record(latency);
        self.series.completed.add(now, 1);
        self.series.latency_sum.add(now, latency as u128);
        let inst = &mut self.instances[i];
        inst.stats.completed += 1;
        // A worker beyond the instance's current allowance (after a capacity loss) retires.
        if inst.busy <= inst.workers {
            if let Some((next, queued_at)) = inst.queue.pop_front() {
                self.set_queued(now, -1);
                self.stats.wait.record((now - queued_at).as_nanos());
                return Some((next, self.service_time.sample(&mut self.service_rng)));
            }
        }
        self.set_busy(now, i, -1);
        None
    }

    /// Where a request served here goes next: another service's index, or `None` to leave.
    #[inline]
    pub(crate) fn route(&mut self) -> Option<u32> {
        if self.routes.is_empty() {
            return None;
        }
        let u = sim_core::open01(&mut self.routing_rng);
        self.routes
            .iter()
            .find(|(cum, _)| u < *cum)
            .map(|&(_, to)| to)
    }

    /// Starts the measurement window at `now` (end of the warm-up).
    pub(crate) fn reset_stats(&mut self, now: SimTime) {
        let s = &mut self.stats;
        s.arrivals = 0;
        s.completed = 0;
        s.rejected = 0;
        s.unavailable = 0;
        s.latency.clear();
        s.wait.clear();
        s.queued.reset(now);
        s.busy.reset(now);
        for inst in &mut self.instances {
            inst.stats.arrivals = 0;
            inst.stats.completed = 0;
            inst.stats.busy.reset(now);
        }
    }

    /// Closes the time series at the end of the run.
    pub(crate) fn finish_series(&mut self, end: SimTime) {
        self.series.queued.finish(end);
        self.series.busy.finish(end);
    }
}
