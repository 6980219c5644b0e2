//! Processor sharing at one instance: every request in service progresses at once, each at
//! `min(1, cores / n)` of full speed when `n` are in service — a CPU time-sliced among threads.
//!
//! Kept in virtual time: `V` grows at the per-request rate, so a request that starts at `V₀`
//! with work `x` finishes when `V` reaches `V₀ + x`, whatever happens to `n` meanwhile. Only the
//! earliest finish needs an event, rescheduled (under a new epoch) whenever `n` changes.

use sim_core::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One instance's shared processor.
#[derive(Clone, Debug)]
pub(crate) struct Sharing {
    cores: f64,
    /// Virtual time, ns of work done by each request in service since the start.
    virtual_ns: f64,
    /// When `virtual_ns` was last brought up to date.
    last: SimTime,
    /// Requests in service by finish tag (the bits of a non-negative `f64`, which order as
    /// its values), with their call's index and generation.
    jobs: BinaryHeap<Reverse<(u64, u32, u32)>>,
    /// Changes with every reschedule: an older event is stale.
    pub(crate) epoch: u32,
}

impl Sharing {
    pub(crate) fn new(cores: u32) -> Self {
        Sharing {
            cores: cores as f64,
            virtual_ns: 0.0,
            last: SimTime::ZERO,
            jobs: BinaryHeap::new(),
            epoch: 0,
        }
    }

    fn rate(&self) -> f64 {
        match self.jobs.len() {
            0 => 0.0,
            n => (self.cores / n as f64).min(1.0),
        }
    }

    /// Brings virtual time up to `now`.
    pub(crate) fn advance(&mut self, now: SimTime) {
        let dt = now.0.saturating_sub(self.last.0) as f64;
        self.virtual_ns += dt * self.rate();
        self.last = now;
    }

    /// A request (call index and generation) with `work_ns` of work starts at `now`.
    pub(crate) fn start(&mut self, now: SimTime, work_ns: f64, call: (u32, u32)) {
        self.advance(now);
        let tag = self.virtual_ns + work_ns;
        self.jobs.push(Reverse((tag.to_bits(), call.0, call.1)));
    }

    /// The next request done by `now` (after [`Sharing::advance`]), if any.
    pub(crate) fn pop_done(&mut self) -> Option<(u32, u32)> {
        let &Reverse((tag, _, _)) = self.jobs.peek()?;
        // Half a nanosecond of slack for rounding in virtual time.
        if f64::from_bits(tag) <= self.virtual_ns + 0.5 {
            self.jobs.pop().map(|Reverse((_, i, g))| (i, g))
        } else {
            None
        }
    }

    /// When the next request finishes if nothing else changes, and the new epoch to schedule
    /// it under; `None` with nothing in service.
    pub(crate) fn next(&mut self, now: SimTime) -> Option<(SimTime, u32)> {
        self.epoch = self.epoch.wrapping_add(1);
        let &Reverse((tag, _, _)) = self.jobs.peek()?;
        let left = (f64::from_bits(tag) - self.virtual_ns).max(0.0);
        let dt = (left / self.rate()).ceil() as u64;
        Some((SimTime(now.0 + dt), self.epoch))
    }

    /// Everything in service is gone (the instance crashed).
    pub(crate) fn clear(&mut self, now: SimTime) {
        self.advance(now);
        self.jobs.clear();
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// Requests in service.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.jobs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    #[test]
    fn two_requests_on_one_core_each_run_at_half_speed() {
        let mut s = Sharing::new(1);
        s.start(t(0), 10e6, (1, 0));
        s.start(t(0), 20e6, (2, 0));
        // Both at half speed: the 10 ms one is done at 20 ms.
        let (at, _) = s.next(t(0)).unwrap();
        assert_eq!(at, t(20));
        s.advance(at);
        assert_eq!(s.pop_done(), Some((1, 0)));
        assert_eq!(s.pop_done(), None);
        // The other has 10 ms left, alone now: done at 30 ms.
        assert_eq!(s.next(at).unwrap().0, t(30));
    }

    #[test]
    fn with_more_cores_than_requests_each_runs_at_full_speed() {
        let mut s = Sharing::new(4);
        s.start(t(0), 10e6, (1, 0));
        s.start(t(5), 10e6, (2, 0));
        assert_eq!(s.next(t(5)).unwrap().0, t(10));
        s.advance(t(10));
        assert_eq!(s.pop_done(), Some((1, 0)));
        assert_eq!(s.len(), 1);
        s.clear(t(11));
        assert_eq!(s.len(), 0);
        assert!(s.next(t(11)).is_none());
    }
}
