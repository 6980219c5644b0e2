//! What a service's servers measure, recorded by an observer: arrivals, completions, latency
//! and wait at the server, black holes, expired and shed requests, and the queue, busy and
//! parked levels, for the service and each instance. [`Statistics`](crate::Statistics) keeps
//! one [`ServerStatistics`] per service, fed by the `server_*` hooks the services tell.

use crate::ids::{indexed_by, InstanceId};
use crate::outcome::ShedReason;
use sim_core::{CountSeries, Gauge, Histogram, LevelSeries, SimDuration, SimTime, SumSeries};

/// Summary statistics of a service (all its instances) since the end of the warm-up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceStats {
    /// Requests that reached an instance (refused ones included).
    pub arrivals: u64,
    /// Requests its instances finished successfully (whether or not anyone still waited).
    /// How its callers saw their calls end is in [`ServiceCalls`](crate::ServiceCalls).
    pub completed: u64,
    /// Requests swallowed by a black hole.
    pub black_holed: u64,
    /// Requests dropped unserved because their deadline had passed (`drop_expired`).
    pub dropped_expired: u64,
    /// Requests its server policies shed, by reason (indexed like [`ShedReason::ALL`]).
    pub shed: [u64; ShedReason::COUNT],
    /// Time from arrival to completion at the server (nanoseconds).
    pub latency: Histogram,
    /// Time from joining a queue to getting a worker (nanoseconds).
    pub wait: Histogram,
    /// Requests waiting, over all instances.
    pub queued: Gauge,
    /// Workers busy, over all instances.
    pub busy: Gauge,
    /// Requests of an `Async` service waiting on calls without a worker.
    pub parked: Gauge,
}

/// Per-bucket time series of a service over the whole run.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSeries {
    /// Arrivals per bucket.
    pub arrivals: CountSeries,
    /// Completions at the server per bucket.
    pub completed: CountSeries,
    /// Sum of latencies of the requests completed in each bucket (ns).
    pub latency_sum: SumSeries,
    /// Queue length over all instances, time-averaged per bucket.
    pub queued: LevelSeries,
    /// Busy workers over all instances, time-averaged per bucket.
    pub busy: LevelSeries,
    /// Requests shed by its server policies per bucket, by reason (indexed like
    /// [`ShedReason::ALL`]).
    pub shed: Vec<CountSeries>,
}

impl ServiceSeries {
    fn new(bucket: SimDuration) -> Self {
        ServiceSeries {
            arrivals: CountSeries::new(bucket),
            completed: CountSeries::new(bucket),
            latency_sum: SumSeries::new(bucket),
            queued: LevelSeries::new(bucket),
            busy: LevelSeries::new(bucket),
            shed: vec![CountSeries::new(bucket); ShedReason::COUNT],
        }
    }

    /// Series that keep nothing (see [`crate::World::disable_series`]). Written out field by
    /// field, so that a series added to the struct cannot be forgotten here.
    fn disabled() -> Self {
        ServiceSeries {
            arrivals: CountSeries::disabled(),
            completed: CountSeries::disabled(),
            latency_sum: SumSeries::disabled(),
            queued: LevelSeries::disabled(),
            busy: LevelSeries::disabled(),
            shed: vec![CountSeries::disabled(); ShedReason::COUNT],
        }
    }
}

/// Figures of one instance since the warm-up, so that load balancing can be seen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InstanceStats {
    /// Requests sent to this instance while it was up (rejected ones included).
    pub arrivals: u64,
    /// Requests it served to completion.
    pub completed: u64,
    /// Its busy workers; kept only when the service has more than one instance (with one, it
    /// would repeat the service's [`ServiceStats::busy`], which the report uses).
    pub busy: Gauge,
}

indexed_by!(InstanceId, InstanceStats);

/// What one service's servers measured: the service's summary since the warm-up, its series
/// over the whole run, and each instance's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerStatistics {
    /// Summary statistics since the warm-up.
    pub stats: ServiceStats,
    /// Time series over the whole run.
    pub series: ServiceSeries,
    /// Per instance, in order.
    pub instances: Vec<InstanceStats>,
}

impl ServerStatistics {
    /// Empty figures of a service with `instances` instances.
    pub(crate) fn new(bucket: SimDuration, instances: usize) -> Self {
        ServerStatistics {
            stats: ServiceStats::default(),
            series: ServiceSeries::new(bucket),
            instances: vec![InstanceStats::default(); instances],
        }
    }

    /// Keeps no time series from now on.
    pub(crate) fn disable_series(&mut self) {
        self.series = ServiceSeries::disabled();
    }

    #[inline]
    pub(crate) fn arrival(&mut self, now: SimTime, instance: InstanceId, up: bool) {
        self.stats.arrivals += 1;
        self.series.arrivals.add(now, 1);
        if up {
            self.instances[instance].arrivals += 1;
        }
    }

    #[inline]
    pub(crate) fn shed(&mut self, now: SimTime, reason: ShedReason) {
        self.stats.shed[reason as usize] += 1;
        self.series.shed[reason as usize].add(now, 1);
    }

    #[inline]
    pub(crate) fn completed(&mut self, now: SimTime, instance: InstanceId, latency: SimDuration) {
        let latency = latency.as_nanos();
        self.stats.completed += 1;
        self.stats.latency.record(latency);
        self.series.completed.add(now, 1);
        self.series.latency_sum.add(now, latency as u128);
        self.instances[instance].completed += 1;
    }

    #[inline]
    pub(crate) fn busy(&mut self, now: SimTime, instance: InstanceId, busy: u32, total: u64) {
        if self.instances.len() != 1 {
            self.instances[instance].busy.set(now, busy as u64);
        }
        self.stats.busy.set(now, total);
        self.series.busy.set(now, total);
    }

    #[inline]
    pub(crate) fn queued(&mut self, now: SimTime, queued: u64) {
        self.stats.queued.set(now, queued);
        self.series.queued.set(now, queued);
    }

    /// Starts the measurement window at `now` (end of the warm-up); the series go on.
    pub(crate) fn reset(&mut self, now: SimTime) {
        let s = &mut self.stats;
        s.arrivals = 0;
        s.completed = 0;
        s.black_holed = 0;
        s.dropped_expired = 0;
        s.shed = [0; ShedReason::COUNT];
        s.latency.clear();
        s.wait.clear();
        s.queued.reset(now);
        s.busy.reset(now);
        s.parked.reset(now);
        for i in &mut self.instances {
            i.arrivals = 0;
            i.completed = 0;
            i.busy.reset(now);
        }
    }

    /// Closes the level series at the end of the run.
    pub(crate) fn finish(&mut self, end: SimTime) {
        self.series.queued.finish(end);
        self.series.busy.finish(end);
    }
}
