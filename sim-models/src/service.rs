//! A service: one or more identical instances behind a load balancer, each with `workers` servers
//! in front of one FIFO queue, optionally bounded.
//!
//! One instance is the station of queueing theory (M/M/c, M/M/c/K, M/G/1, …). The service decides
//! what happens to an arriving request (which instance; start, queue or reject there) and which
//! queued request a freed worker takes next; the [`World`](crate::World) schedules the events.

use crate::fault::FailureMode;
use crate::instance::Instance;
use crate::load_balancer::{Balancer, LoadBalancer};
use crate::request::RequestId;
use sim_core::{
    CountSeries, Gauge, Histogram, LevelSeries, Sampler, SimDuration, SimRng, SimTime, SumSeries,
};

/// What happened to a request that arrived at a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A worker of `instance` took it at once; it will be done at `done_at`.
    Started {
        /// The instance serving it.
        instance: u32,
        /// When its work completes (pauses included).
        done_at: SimTime,
        /// Whether an injected failure will fail it when served.
        doomed: bool,
    },
    /// All workers of `instance` are busy; it waits in that instance's queue.
    Queued {
        /// The instance it waits at.
        instance: u32,
        /// Whether an injected failure will fail it when served.
        doomed: bool,
    },
    /// The chosen instance is at capacity; the request is refused.
    Rejected,
    /// No instance is up.
    Unavailable,
    /// An injected failure fails it at once.
    Injected,
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
    /// Requests lost when their instance crashed.
    pub crashed: u64,
    /// Requests failed by an injected error.
    pub injected: u64,
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
    /// Requests that failed here per bucket, whatever the kind.
    pub errors: CountSeries,
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
            errors: CountSeries::new(bucket),
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
    /// Factors of the slowdowns in force.
    slowdowns: Vec<f64>,
    /// Failure probabilities and modes of the error injections in force.
    injections: Vec<(f64, FailureMode)>,
    errors_rng: SimRng,
    /// Whether a crash fault can hit it: only then are completions cancellable.
    pub(crate) crashable: bool,
    /// Instances up now.
    up_count: usize,
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
    pub(crate) errors_rng: SimRng,
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
            slowdowns: Vec::new(),
            injections: Vec::new(),
            errors_rng: p.errors_rng,
            crashable: false,
            up_count: p.instances as usize,
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

    #[inline]
    fn set_busy(&mut self, now: SimTime, instance: usize, delta: i64) {
        let single = self.instances.len() == 1;
        let inst = &mut self.instances[instance];
        inst.busy = (inst.busy as i64 + delta) as u32;
        if !single {
            // With one instance its gauge would repeat the service's; the report uses that one.
            inst.stats.busy.set(now, inst.busy as u64);
        }
        self.busy_total = (self.busy_total as i64 + delta) as u64;
        self.stats.busy.set(now, self.busy_total);
        self.series.busy.set(now, self.busy_total);
    }

    #[inline]
    fn set_queued(&mut self, now: SimTime, delta: i64) {
        self.queued_total = (self.queued_total as i64 + delta) as u64;
        self.stats.queued.set(now, self.queued_total);
        self.series.queued.set(now, self.queued_total);
    }

    /// A request arrives at `now`: an injected error may fail it; otherwise the load balancer
    /// picks an instance, which starts, queues or rejects it.
    #[inline]
    pub(crate) fn arrive(&mut self, now: SimTime, request: RequestId) -> Admission {
        self.stats.arrivals += 1;
        self.series.arrivals.add(now, 1);
        let doomed = match self.injected_failure() {
            Some(FailureMode::Fast) => {
                self.stats.injected += 1;
                self.series.errors.add(now, 1);
                return Admission::Injected;
            }
            Some(FailureMode::Slow) => true,
            None => false,
        };
        let Some(i) = self.balancer.pick(&self.instances, self.up_count) else {
            self.stats.unavailable += 1;
            self.series.errors.add(now, 1);
            return Admission::Unavailable;
        };
        let inst = &mut self.instances[i];
        inst.stats.arrivals += 1;
        if inst.in_system() >= inst.capacity {
            self.stats.rejected += 1;
            self.series.errors.add(now, 1);
            return Admission::Rejected;
        }
        if inst.busy < inst.workers {
            self.set_busy(now, i, 1);
            let done_at = self.start_work(now, i, now);
            return Admission::Started {
                instance: i as u32,
                done_at,
                doomed,
            };
        }
        inst.queue.push_back((request, now));
        self.set_queued(now, 1);
        Admission::Queued {
            instance: i as u32,
            doomed,
        }
    }

    /// Draws whether an error injection in force fails the next arrival, and how.
    #[inline]
    fn injected_failure(&mut self) -> Option<FailureMode> {
        if self.injections.is_empty() {
            return None;
        }
        // Several injections in force act independently: each gets its own draw.
        for k in 0..self.injections.len() {
            let (fraction, mode) = self.injections[k];
            if sim_core::open01(&mut self.errors_rng) < fraction {
                return Some(mode);
            }
        }
        None
    }

    /// A worker of instance `i`, already counted busy, takes a request that arrived at
    /// `arrived`, at `now`: draws its service time and returns when it will be done.
    #[inline(always)]
    fn start_work(&mut self, now: SimTime, i: usize, arrived: SimTime) -> SimTime {
        let mut work = self.service_time.sample(&mut self.service_rng);
        for f in &self.slowdowns {
            work = SimDuration::from_nanos_f64(work.as_nanos() as f64 * f);
        }
        let (start, done_at) = self.instances[i].schedule_work(now, work);
        self.stats.wait.record((start - arrived).as_nanos());
        done_at
    }

    /// A worker of `instance` finishes a request that arrived at `arrived`; a `doomed` one fails
    /// by an injected error instead of completing. Returns the queued request the worker takes
    /// next and when that one will be done, if any.
    #[inline]
    pub(crate) fn finish(
        &mut self,
        now: SimTime,
        instance: u32,
        arrived: SimTime,
        doomed: bool,
    ) -> Option<(RequestId, SimTime)> {
        let i = instance as usize;
        if doomed {
            self.stats.injected += 1;
            self.series.errors.add(now, 1);
        } else {
            let latency = (now - arrived).as_nanos();
            self.stats.completed += 1;
            self.stats.latency.record(latency);
            self.series.completed.add(now, 1);
            self.series.latency_sum.add(now, latency as u128);
            self.instances[i].stats.completed += 1;
        }
        let inst = &mut self.instances[i];
        // A worker beyond the instance's current allowance (after a capacity loss) retires.
        if inst.busy <= inst.workers {
            if let Some((next, queued_at)) = inst.queue.pop_front() {
                self.set_queued(now, -1);
                return Some((next, self.start_work(now, i, queued_at)));
            }
        }
        self.set_busy(now, i, -1);
        None
    }

    /// A crash fault hits instance `i` at `now`, which holds `in_service` requests in service.
    /// If it was up, it goes down: its work is lost, and the queued requests it held are
    /// returned (the caller ends those and the in-service ones). Several crashes may overlap; the
    /// instance stays down until the last one restarts it.
    pub(crate) fn crash(&mut self, now: SimTime, i: usize, in_service: u64) -> Vec<RequestId> {
        let inst = &mut self.instances[i];
        inst.crashes_in_force += 1;
        if inst.crashes_in_force > 1 {
            return Vec::new(); // already down: nothing left to lose
        }
        inst.up = false;
        self.up_count -= 1;
        let lost: Vec<RequestId> = inst.queue.drain(..).map(|(r, _)| r).collect();
        let busy = inst.busy as i64;
        self.set_queued(now, -(lost.len() as i64));
        self.set_busy(now, i, -busy);
        let n = lost.len() as u64 + in_service;
        self.stats.crashed += n;
        self.series.errors.add(now, n);
        lost
    }

    /// A crash fault on instance `i` ends; the instance comes back up, empty, when no other
    /// crash holds it down.
    pub(crate) fn restart(&mut self, i: usize) {
        let inst = &mut self.instances[i];
        inst.crashes_in_force = inst.crashes_in_force.saturating_sub(1);
        if inst.crashes_in_force == 0 && !inst.up {
            inst.up = true;
            self.up_count += 1;
        }
    }

    /// A capacity loss to `workers` starts (`on`) or ends at instance `i`; the fewest workers of
    /// the losses in force apply. Returns the queued requests that newly free workers take at
    /// once, with when each will be done.
    pub(crate) fn capacity_loss(
        &mut self,
        now: SimTime,
        i: usize,
        workers: u32,
        on: bool,
    ) -> Vec<(RequestId, SimTime)> {
        let inst = &mut self.instances[i];
        if on {
            inst.capacity_losses.push(workers);
        } else if let Some(k) = inst.capacity_losses.iter().position(|&w| w == workers) {
            inst.capacity_losses.swap_remove(k);
        }
        inst.workers = inst.allowed_workers();
        let mut started = Vec::new();
        while self.instances[i].busy < self.instances[i].workers {
            let Some((next, queued_at)) = self.instances[i].queue.pop_front() else {
                break;
            };
            self.set_queued(now, -1);
            self.set_busy(now, i, 1);
            started.push((next, self.start_work(now, i, queued_at)));
        }
        started
    }

    /// A slowdown by `factor` starts (`on`) or ends.
    pub(crate) fn slowdown(&mut self, factor: f64, on: bool) {
        if on {
            self.slowdowns.push(factor);
        } else if let Some(k) = self.slowdowns.iter().position(|&f| f == factor) {
            self.slowdowns.remove(k);
        }
    }

    /// An error injection starts (`on`) or ends.
    pub(crate) fn inject_errors(&mut self, fraction: f64, mode: FailureMode, on: bool) {
        if on {
            self.injections.push((fraction, mode));
        } else if let Some(k) = self.injections.iter().position(|&x| x == (fraction, mode)) {
            self.injections.remove(k);
        }
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
        s.crashed = 0;
        s.injected = 0;
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
