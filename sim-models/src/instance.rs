//! One instance of a service: its own workers, its own queue and its own copy of the
//! service's server policies.

use crate::ids::{indexed_by, InstanceId};
use crate::policy::ServerLayer;
use crate::wait_queue::WaitQueue;
use sim_core::{SimDuration, SimTime};

/// The state of one instance during a run.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Workers it has now (a capacity-loss fault lowers this).
    pub workers: u32,
    /// Workers it is configured with.
    pub base_workers: u32,
    /// Its pause windows `[start, end)`, in time order, from the scenario's faults.
    pub(crate) pauses: Vec<(SimTime, SimTime)>,
    /// Index of the first pause that may still matter (time only moves forward).
    pause_cursor: usize,
    /// Crash faults in force: the instance is down while this is above zero.
    pub(crate) crashes_in_force: u32,
    /// Worker counts of the capacity losses in force; the smallest one applies.
    pub(crate) capacity_losses: Vec<u32>,
    /// Most requests present at once, in service and queued (`u64::MAX`: unbounded).
    pub capacity: u64,
    /// Whether it is running (a crash takes it down until it restarts).
    pub up: bool,
    /// Whether outlier detection has ejected it from the load balancer.
    pub ejected: bool,
    /// Whether the health check passes it (always, without one).
    pub healthy: bool,
    /// Whether the balancer may send to it: false while an autoscaled instance is off,
    /// provisioning or draining.
    pub in_rotation: bool,
    /// Until when it is cold after a (re)start: its work takes `cold_slowdown` times longer.
    pub(crate) cold_until: SimTime,
    pub(crate) cold_slowdown: f64,
    /// How many times as long its work takes (configuration drift; 1 otherwise).
    pub(crate) work_factor: f64,
    /// Its own timeout for each of its service's call targets (configuration drift; empty
    /// when it has the service's).
    pub(crate) call_timeouts: Vec<Option<sim_core::SimDuration>>,
    /// Waiting calls.
    pub(crate) queue: WaitQueue,
    /// Its server policies, in the order listed.
    pub(crate) policies: Vec<ServerLayer>,
    /// Each policy's level as last reported.
    pub(crate) levels: Vec<f64>,
    /// Workers busy now.
    pub(crate) busy: u32,
    /// Calls of an `Async` service waiting on calls of their own, holding no worker.
    pub(crate) parked: u32,
    /// Requests on their way here through the network (a load balancer counts them as
    /// outstanding).
    pub(crate) inbound: u32,
    /// Black-hole faults in force: while above zero, it accepts requests and never answers.
    pub(crate) black_holes: u32,
    /// Its zone (index), or [`crate::network::NO_ZONE`].
    pub zone: u16,
}

indexed_by!(InstanceId, Instance);

impl Instance {
    pub(crate) fn new(
        workers: u32,
        capacity: Option<u64>,
        classes: usize,
        policies: Vec<ServerLayer>,
    ) -> Self {
        Instance {
            workers,
            base_workers: workers,
            pauses: Vec::new(),
            pause_cursor: 0,
            crashes_in_force: 0,
            capacity_losses: Vec::new(),
            capacity: capacity.unwrap_or(u64::MAX),
            up: true,
            ejected: false,
            healthy: true,
            in_rotation: true,
            cold_until: SimTime::ZERO,
            cold_slowdown: 1.0,
            work_factor: 1.0,
            call_timeouts: Vec::new(),
            queue: WaitQueue::new(classes),
            levels: vec![0.0; policies.len()],
            policies,
            busy: 0,
            parked: 0,
            inbound: 0,
            black_holes: 0,
            zone: crate::network::NO_ZONE,
        }
    }

    /// Calls here now: in service, queued, or (async) waiting on calls of their own.
    #[inline]
    pub fn in_system(&self) -> u64 {
        self.busy as u64 + self.queue.len() as u64 + self.parked as u64
    }

    /// What a load balancer counts as outstanding: the calls here and those on their way.
    #[inline]
    pub fn outstanding(&self) -> u64 {
        self.in_system() + self.inbound as u64
    }

    /// Workers busy now.
    pub fn busy_workers(&self) -> u32 {
        self.busy
    }

    /// Requests queued now.
    pub fn queue_length(&self) -> usize {
        self.queue.len()
    }

    /// The workers it should have now: its configured ones, or the fewest any capacity loss in
    /// force leaves it.
    pub(crate) fn allowed_workers(&self) -> u32 {
        self.capacity_losses
            .iter()
            .copied()
            .fold(self.base_workers, u32::min)
    }

    /// When a pause in force at `now` ends, if one is.
    pub(crate) fn paused_until(&self, now: SimTime) -> Option<SimTime> {
        self.pauses[self.pause_cursor.min(self.pauses.len())..]
            .iter()
            .take_while(|&&(p0, _)| p0 <= now)
            .filter(|&&(_, p1)| now < p1)
            .map(|&(_, p1)| p1)
            .max()
    }

    /// Its process is killed at `now`: a pause in force ends with it (the process that was
    /// frozen is gone; the one that replaces it starts afresh).
    pub(crate) fn end_pauses(&mut self, now: SimTime) {
        for (p0, p1) in &mut self.pauses {
            if *p0 <= now && now < *p1 {
                *p1 = now;
            }
        }
    }

    /// When work of length `work` that a worker takes at `now` really starts and when it is done,
    /// with every pause of this instance skipped: frozen time does not count.
    #[inline]
    pub(crate) fn schedule_work(&mut self, now: SimTime, work: SimDuration) -> (SimTime, SimTime) {
        // Pauses that ended before now never matter again: skip them for good.
        while self
            .pauses
            .get(self.pause_cursor)
            .is_some_and(|&(_, p1)| p1 <= now)
        {
            self.pause_cursor += 1;
        }
        if self.pause_cursor == self.pauses.len() {
            return (now, now + work);
        }
        let mut t = now;
        let mut start = None;
        let mut left = work;
        for &(p0, p1) in &self.pauses[self.pause_cursor..] {
            if p1 <= t {
                continue;
            }
            if p0 > t {
                start.get_or_insert(t);
                let before = p0 - t;
                if left <= before {
                    break;
                }
                left = SimDuration(left.as_nanos() - before.as_nanos());
            }
            t = p1; // frozen until the pause ends
        }
        (start.unwrap_or(t), t + left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }
    fn secs(s: u64) -> SimDuration {
        SimDuration::from_secs(s)
    }

    #[test]
    fn work_skips_frozen_time() {
        let fresh = || {
            let mut i = Instance::new(1, None, 1, Vec::new());
            i.pauses = vec![(at(10), at(20)), (at(30), at(35))];
            i
        };
        // No pause in the way.
        assert_eq!(fresh().schedule_work(at(0), secs(5)), (at(0), at(5)));
        // Started before a pause, 2 s left when it freezes: done 2 s after it thaws.
        assert_eq!(fresh().schedule_work(at(5), secs(7)), (at(5), at(22)));
        // Long work spans both pauses: 5 + 10 + 5 s of work, 15 s frozen.
        assert_eq!(fresh().schedule_work(at(5), secs(20)), (at(5), at(40)));
        // Taken during a pause: starts when it thaws; later, past pauses are skipped for good.
        let mut i = fresh();
        assert_eq!(i.schedule_work(at(12), secs(3)), (at(20), at(23)));
        assert_eq!(i.schedule_work(at(25), secs(10)), (at(25), at(40)));
        assert_eq!(i.schedule_work(at(36), secs(1)), (at(36), at(37)));
        assert_eq!(i.pause_cursor, 2);
    }
}
