//! A service: `workers` identical servers in front of one FIFO queue, optionally bounded.
//!
//! This is the station of queueing theory (M/M/c, M/M/c/K, M/G/1, …). The service decides what
//! happens to an arriving request (start, queue or reject) and which queued request a freed worker
//! takes next; the [`World`](crate::World) schedules the events.

use crate::request::RequestId;
use sim_core::{
    CountSeries, Gauge, Histogram, LevelSeries, Sampler, SimDuration, SimRng, SimTime, SumSeries,
};
use std::collections::VecDeque;

/// What happened to a request that arrived at a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A worker took it at once; it will be done after this long.
    Started(SimDuration),
    /// All workers are busy; it waits in the queue.
    Queued,
    /// The service is at capacity; the request is refused.
    Rejected,
}

/// Summary statistics of a service since the end of the warm-up.
#[derive(Clone, Debug, Default)]
pub struct ServiceStats {
    /// Requests that arrived (including rejected ones).
    pub arrivals: u64,
    /// Requests served to completion.
    pub completed: u64,
    /// Requests refused because the service was full.
    pub rejected: u64,
    /// Time from arrival to completion (nanoseconds).
    pub latency: Histogram,
    /// Time from arrival to the start of service (nanoseconds).
    pub wait: Histogram,
    /// Requests waiting in the queue.
    pub queued: Gauge,
    /// Workers busy.
    pub busy: Gauge,
}

/// Per-bucket time series of a service over the whole run.
#[derive(Clone, Debug)]
pub struct ServiceSeries {
    /// Arrivals per bucket.
    pub arrivals: CountSeries,
    /// Completions per bucket.
    pub completed: CountSeries,
    /// Rejections per bucket.
    pub rejected: CountSeries,
    /// Sum of latencies of the requests completed in each bucket (ns).
    pub latency_sum: SumSeries,
    /// Queue length, time-averaged per bucket.
    pub queued: LevelSeries,
    /// Busy workers, time-averaged per bucket.
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
    /// Number of workers.
    pub workers: u32,
    /// Most requests in service and queued together (`u64::MAX` when unbounded).
    pub capacity: u64,
    service_time: Sampler,
    service_rng: SimRng,
    /// Cumulative probabilities and the index of the next service; past the last, the request
    /// leaves.
    routes: Vec<(f64, u32)>,
    routing_rng: SimRng,
    /// Waiting requests with the time each arrived.
    queue: VecDeque<(RequestId, SimTime)>,
    busy: u32,
    /// Summary statistics since the warm-up.
    pub stats: ServiceStats,
    /// Time series over the whole run.
    pub series: ServiceSeries,
}

/// Everything needed to build a [`Service`]; the identities of its random streams derive from
/// `name`.
pub(crate) struct ServiceParts {
    pub(crate) name: String,
    pub(crate) workers: u32,
    pub(crate) capacity: Option<u64>,
    pub(crate) service_time: Sampler,
    pub(crate) routes: Vec<(f64, u32)>,
    pub(crate) service_rng: SimRng,
    pub(crate) routing_rng: SimRng,
    pub(crate) bucket: SimDuration,
}

impl Service {
    pub(crate) fn new(p: ServiceParts) -> Self {
        Service {
            name: p.name,
            workers: p.workers,
            capacity: p.capacity.unwrap_or(u64::MAX),
            service_time: p.service_time,
            service_rng: p.service_rng,
            routes: p.routes,
            routing_rng: p.routing_rng,
            queue: VecDeque::new(),
            busy: 0,
            stats: ServiceStats::default(),
            series: ServiceSeries::new(p.bucket),
        }
    }

    /// Requests here now, in service and queued.
    pub fn in_system(&self) -> u64 {
        self.busy as u64 + self.queue.len() as u64
    }

    /// Workers busy now.
    pub fn busy_workers(&self) -> u32 {
        self.busy
    }

    /// Requests queued now.
    pub fn queue_length(&self) -> usize {
        self.queue.len()
    }

    /// A request arrives at `now`.
    #[inline]
    pub(crate) fn arrive(&mut self, now: SimTime, request: RequestId) -> Admission {
        self.stats.arrivals += 1;
        self.series.arrivals.add(now, 1);
        if self.in_system() >= self.capacity {
            self.stats.rejected += 1;
            self.series.rejected.add(now, 1);
            return Admission::Rejected;
        }
        if self.busy < self.workers {
            self.busy += 1;
            self.stats.busy.set(now, self.busy as u64);
            self.series.busy.set(now, self.busy as u64);
            self.stats.wait.record(0);
            return Admission::Started(self.service_time.sample(&mut self.service_rng));
        }
        self.queue.push_back((request, now));
        let q = self.queue.len() as u64;
        self.stats.queued.set(now, q);
        self.series.queued.set(now, q);
        Admission::Queued
    }

    /// A worker finishes a request that arrived at `arrived`. Returns the queued request the
    /// worker takes next, with its service time, if any.
    #[inline]
    pub(crate) fn finish(
        &mut self,
        now: SimTime,
        arrived: SimTime,
    ) -> Option<(RequestId, SimDuration)> {
        let latency = (now - arrived).as_nanos();
        self.stats.completed += 1;
        self.stats.latency.record(latency);
        self.series.completed.add(now, 1);
        self.series.latency_sum.add(now, latency as u128);
        match self.queue.pop_front() {
            Some((next, queued_at)) => {
                let q = self.queue.len() as u64;
                self.stats.queued.set(now, q);
                self.series.queued.set(now, q);
                self.stats.wait.record((now - queued_at).as_nanos());
                Some((next, self.service_time.sample(&mut self.service_rng)))
            }
            None => {
                self.busy -= 1;
                self.stats.busy.set(now, self.busy as u64);
                self.series.busy.set(now, self.busy as u64);
                None
            }
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
        s.latency.clear();
        s.wait.clear();
        s.queued.reset(now);
        s.busy.reset(now);
    }

    /// Closes the time series at the end of the run.
    pub(crate) fn finish_series(&mut self, end: SimTime) {
        self.series.queued.finish(end);
        self.series.busy.finish(end);
    }
}
