//! How a service names its instances to its observers, and the figures the operations
//! machinery keeps itself (autoscaler, health checks, caches, server policies' levels): reset at
//! the warm-up, closed at the end of the run.

use super::Service;
use crate::call::Outcome;
use crate::ids::InstanceId;
use crate::observer::InstanceRef;
use sim_core::SimTime;

impl Service {
    /// Instance `i` of this service, as its observers know it.
    #[inline]
    pub(crate) fn at(&self, i: usize) -> InstanceRef {
        InstanceRef {
            service: self.id,
            instance: InstanceId::new(i),
        }
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
        if let Some(p) = &mut self.prober {
            p.stats = Default::default();
        }
        if let Some(a) = &mut self.autoscaler {
            a.stats = Default::default();
            for g in &mut a.busy {
                g.reset(now);
            }
            if a.lag_since.is_some() {
                a.lag_since = Some(now); // a spell in progress counts from here
            }
        }
        for cache in &mut self.caches {
            cache.reset_stats();
        }
        for l in self
            .server_levels
            .iter_mut()
            .chain(&mut self.ejected_level)
            .chain(&mut self.ops_levels.levels)
        {
            l.gauge.reset(now);
        }
    }

    /// Keeps no time series from now on (see [`crate::World::disable_series`]).
    pub(crate) fn disable_series(&mut self) {
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
