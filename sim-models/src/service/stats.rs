//! A service's statistics since the warm-up and its time series over the whole run, and the
//! counts that feed them.

use super::Service;
use crate::call::Outcome;
use crate::policy::ShedReason;
use sim_core::{CountSeries, Gauge, Histogram, LevelSeries, SimDuration, SimTime, SumSeries};

/// Summary statistics of a service (all its instances) since the end of the warm-up.
#[derive(Clone, Debug, Default)]
pub struct ServiceStats {
    /// Requests that reached an instance (refused ones included).
    pub arrivals: u64,
    /// Requests its instances finished successfully (whether or not anyone still waited).
    /// How its callers saw their calls end is in [`Statistics`](crate::Statistics).
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
#[derive(Clone, Debug)]
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
    pub(super) fn new(bucket: SimDuration) -> Self {
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
    pub(super) fn disabled() -> Self {
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

impl Service {
    /// Instance `i` finished a request that arrived at `arrived`, successfully.
    #[inline]
    pub(crate) fn complete(&mut self, now: SimTime, i: usize, arrived: SimTime) {
        let latency = (now - arrived).as_nanos();
        self.stats.completed += 1;
        self.stats.latency.record(latency);
        self.series.completed.add(now, 1);
        self.series.latency_sum.add(now, latency as u128);
        self.instances[i].stats.completed += 1;
    }

    /// A call to this service ended with `outcome`, as its caller saw it: its autoscaler
    /// counts it if the service is short of capacity.
    #[inline]
    pub(crate) fn count_lagging(&mut self, outcome: Outcome) {
        if self.lagging {
            if let Some(a) = &mut self.autoscaler {
                a.stats.calls_under_provisioned += 1;
                if outcome != Outcome::Completed {
                    a.stats.failed_under_provisioned += 1;
                }
            }
        }
    }

    /// Starts the measurement window at `now` (end of the warm-up).
    pub(crate) fn reset_stats(&mut self, now: SimTime) {
        let s = &mut self.stats;
        s.arrivals = 0;
        s.completed = 0;
        s.black_holed = 0;
        s.dropped_expired = 0;
        if let Some(p) = &mut self.prober {
            p.stats = Default::default();
        }
        if let Some(a) = &mut self.autoscaler {
            a.stats = Default::default();
            if a.lag_since.is_some() {
                a.lag_since = Some(now); // a spell in progress counts from here
            }
        }
        for cache in &mut self.caches {
            cache.reset_stats();
        }
        s.shed = [0; ShedReason::COUNT];
        s.latency.clear();
        s.wait.clear();
        s.queued.reset(now);
        s.busy.reset(now);
        s.parked.reset(now);
        for l in self
            .server_levels
            .iter_mut()
            .chain(&mut self.ejected_level)
            .chain(&mut self.ops_levels.levels)
        {
            l.gauge.reset(now);
        }
        for inst in &mut self.instances {
            inst.stats.arrivals = 0;
            inst.stats.completed = 0;
            inst.stats.busy.reset(now);
        }
    }

    /// Keeps no time series from now on (see [`crate::World::disable_series`]).
    pub(crate) fn disable_series(&mut self) {
        self.series = ServiceSeries::disabled();
        for cache in &mut self.caches {
            cache.disable_series();
        }
        for l in self
            .server_levels
            .iter_mut()
            .chain(&mut self.ejected_level)
            .chain(&mut self.ops_levels.levels)
        {
            l.disable_series();
        }
    }

    /// Closes the time series at the end of the run.
    pub(crate) fn finish_series(&mut self, end: SimTime) {
        self.series.queued.finish(end);
        self.series.busy.finish(end);
        for l in self
            .server_levels
            .iter_mut()
            .chain(&mut self.ejected_level)
            .chain(&mut self.ops_levels.levels)
        {
            l.series.finish(end);
        }
    }
}
