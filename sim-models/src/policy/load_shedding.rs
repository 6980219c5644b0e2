//! Load shedding by queue length and by queue wait (Amazon Builders' Library, "Using load
//! shedding to avoid overload"): reject excess work early and cheaply, and do not serve a
//! request that has already waited longer than its caller will wait.

use super::server_policy::{ServerArrival, ServerPolicy};
use sim_core::{SimDuration, SimRng, SimTime};

/// Sheds an arrival that finds `max` or more requests queued.
#[derive(Clone, Debug)]
pub struct QueueLengthShedder {
    max: u32,
}

impl QueueLengthShedder {
    /// A shedder that lets at most `max` requests wait.
    pub fn new(max: u32) -> Self {
        QueueLengthShedder { max }
    }
}

impl ServerPolicy for QueueLengthShedder {
    fn name(&self) -> &str {
        "shed_queue_length"
    }

    fn arrive(&mut self, _now: SimTime, a: &ServerArrival, _rng: &mut SimRng) -> bool {
        // Only a request that would have to wait counts against the queue.
        a.busy < a.workers || a.queued < self.max as usize
    }
}

/// Drops, at dequeue, a request that has waited longer than `max_wait`.
#[derive(Clone, Debug)]
pub struct QueueWaitShedder {
    max_wait: SimDuration,
}

impl QueueWaitShedder {
    /// A shedder that serves nothing that waited longer than `max_wait`.
    pub fn new(max_wait: SimDuration) -> Self {
        QueueWaitShedder { max_wait }
    }
}

impl ServerPolicy for QueueWaitShedder {
    fn name(&self) -> &str {
        "shed_queue_wait"
    }

    fn dequeue(&mut self, _now: SimTime, waited: Option<SimDuration>, _left: usize) -> bool {
        waited.is_some_and(|w| w > self.max_wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::criticality::Criticality;

    fn arrival(queued: usize, busy: u32) -> ServerArrival {
        ServerArrival {
            queued,
            in_system: queued as u64 + busy as u64,
            busy,
            workers: 4,
            criticality: Criticality::Critical,
            tenant: 0,
        }
    }

    #[test]
    fn queue_length_shedding_refuses_only_arrivals_that_would_wait_behind_max() {
        let mut s = QueueLengthShedder::new(3);
        let mut rng = sim_core::RngFactory::new(1).stream("t");
        assert!(s.arrive(SimTime::ZERO, &arrival(0, 3), &mut rng));
        assert!(s.arrive(SimTime::ZERO, &arrival(2, 4), &mut rng));
        assert!(!s.arrive(SimTime::ZERO, &arrival(3, 4), &mut rng));
        // Free workers: it will not wait at all.
        assert!(s.arrive(SimTime::ZERO, &arrival(3, 3), &mut rng));
    }

    #[test]
    fn queue_wait_shedding_drops_strictly_longer_waits() {
        let mut s = QueueWaitShedder::new(SimDuration::from_millis(100));
        let t = SimTime::ZERO;
        assert!(!s.dequeue(t, Some(SimDuration::from_millis(100)), 0));
        assert!(s.dequeue(t, Some(SimDuration::from_millis(101)), 0));
        assert!(!s.dequeue(t, None, 0));
    }
}
