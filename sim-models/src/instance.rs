//! One instance of a service: its own workers and its own FIFO queue.

use crate::request::RequestId;
use sim_core::{Gauge, SimTime};
use std::collections::VecDeque;

/// Figures of one instance since the warm-up, so that load balancing can be seen.
#[derive(Clone, Debug, Default)]
pub struct InstanceStats {
    /// Requests sent to this instance (rejected ones included).
    pub arrivals: u64,
    /// Requests it served to completion.
    pub completed: u64,
    /// Its busy workers.
    pub busy: Gauge,
}

/// The state of one instance during a run.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Workers it has now (a capacity-loss fault lowers this).
    pub workers: u32,
    /// Most requests present at once, in service and queued (`u64::MAX`: unbounded).
    pub capacity: u64,
    /// Whether it is running (a crash takes it down until it restarts).
    pub up: bool,
    /// Waiting requests with the time each arrived.
    pub(crate) queue: VecDeque<(RequestId, SimTime)>,
    /// Workers busy now.
    pub(crate) busy: u32,
    /// Figures since the warm-up.
    pub stats: InstanceStats,
}

impl Instance {
    pub(crate) fn new(workers: u32, capacity: Option<u64>) -> Self {
        Instance {
            workers,
            capacity: capacity.unwrap_or(u64::MAX),
            up: true,
            queue: VecDeque::new(),
            busy: 0,
            stats: InstanceStats::default(),
        }
    }

    /// Requests here now, in service and queued.
    #[inline]
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
}
