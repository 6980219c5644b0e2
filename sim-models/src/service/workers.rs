//! The workers of a service's instances: how many are busy, queued or parked; a freed worker
//! taking the next queued call; the length of local work; and the levels of the server
//! policies that watch them.

use super::Service;
use crate::ids::CallId;
use crate::observer::Observer;
use sim_core::{SimDuration, SimTime};

impl Service {
    #[inline]
    pub(super) fn set_busy(&mut self, now: SimTime, i: usize, delta: i64, w: &mut impl Observer) {
        let inst = &mut self.instances[i];
        inst.busy = (inst.busy as i64 + delta) as u32;
        let busy = inst.busy;
        self.busy_total = (self.busy_total as i64 + delta) as u64;
        if let Some(a) = &mut self.autoscaler {
            a.busy[i].set(now, busy as u64);
        }
        w.server_busy(now, self.at(i), busy, self.busy_total);
    }

    #[inline]
    pub(super) fn set_queued(&mut self, now: SimTime, delta: i64, w: &mut impl Observer) {
        self.queued_total = (self.queued_total as i64 + delta) as u64;
        w.server_queued(now, self.id, self.queued_total);
    }

    /// An `Async` request at instance `i` starts (`+1`) or stops (`-1`) waiting on calls
    /// without a worker.
    pub(crate) fn park(&mut self, now: SimTime, i: usize, delta: i64, w: &mut impl Observer) {
        let inst = &mut self.instances[i];
        inst.parked = (inst.parked as i64 + delta) as u32;
        self.parked_total = (self.parked_total as i64 + delta) as u64;
        w.server_parked(now, self.id, self.parked_total);
    }

    /// A worker of instance `i` is freed at `now`: it takes the next queued call, returned, or
    /// goes idle (or retires, after a capacity loss).
    #[inline]
    pub(crate) fn release(
        &mut self,
        now: SimTime,
        i: usize,
        w: &mut impl Observer,
    ) -> Option<CallId> {
        let inst = &self.instances[i];
        if inst.busy <= inst.workers {
            if self.prober.is_some() {
                self.handed_on(now, i, 1);
            }
            if let Some(next) = self.take_next(now, i, w) {
                return Some(next);
            }
        }
        self.set_busy(now, i, -1, w);
        None
    }

    /// A worker of instance `i` starts local work of kind `k` at `now`: draws its length
    /// (times any slowdown in force) and returns when it is done, pauses included; or, with
    /// processor sharing, shares it out to call `call` and returns `None` (the world
    /// schedules the shared processor).
    #[inline(always)]
    pub(crate) fn work(
        &mut self,
        now: SimTime,
        i: usize,
        k: u16,
        call: (u32, u32),
    ) -> Option<SimTime> {
        let mut work = self.program.work[k as usize].sample(&mut self.service_rng);
        for f in &self.slowdowns {
            work = SimDuration::from_nanos_f64(work.as_nanos() as f64 * f);
        }
        let inst = &self.instances[i];
        if now < inst.cold_until {
            work = SimDuration::from_nanos_f64(work.as_nanos() as f64 * inst.cold_slowdown);
        }
        if inst.work_factor != 1.0 {
            work = SimDuration::from_nanos_f64(work.as_nanos() as f64 * inst.work_factor);
        }
        if let Some(c) = &self.contention {
            work = c.apply(work, inst.busy);
        }
        if let Some(s) = self.sharing.get_mut(i) {
            s.start(now, work.as_nanos() as f64, call);
            return None;
        }
        Some(self.instances[i].schedule_work(now, work).1)
    }

    /// A request instance `i` admitted ends at `now`, `latency` after it arrived, with
    /// `inflight` requests there when it arrived; `dropped` if it was not served.
    #[inline]
    pub(crate) fn finished(
        &mut self,
        now: SimTime,
        i: usize,
        latency: SimDuration,
        inflight: u32,
        dropped: bool,
    ) {
        if !self.has_policies {
            return;
        }
        for l in &mut self.instances[i].policies {
            l.finished(now, latency, inflight, dropped, &mut self.server_rng);
        }
        self.update_levels(now, i);
    }

    /// Instance `i`'s policies may have changed their levels: the service's sums follow.
    pub(super) fn update_levels(&mut self, now: SimTime, i: usize) {
        let inst = &mut self.instances[i];
        for (k, l) in inst.policies.iter().enumerate() {
            let Some(level) = l.level() else { continue };
            let delta = level - inst.levels[k];
            if delta != 0.0 || !self.server_levels[k].reported {
                inst.levels[k] = level;
                self.server_levels[k].add(now, delta);
            }
        }
    }

    /// Every policy's level at the start.
    pub(crate) fn start_levels(&mut self) {
        for i in 0..self.instances.len() {
            self.update_levels(SimTime::ZERO, i);
        }
        for l in self
            .ops_levels
            .levels
            .iter_mut()
            .chain(&mut self.ejected_level)
        {
            l.add(SimTime::ZERO, 0.0);
        }
        self.start_scale_levels();
    }
}
