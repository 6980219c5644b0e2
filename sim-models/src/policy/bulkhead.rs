//! Bulkheads: a cap on the calls in flight from one caller to one dependency, so that a slow
//! dependency cannot take every thread of its caller. Resilience4j's two kinds: a semaphore
//! (with an optional fair wait for a permit) and a thread pool with a queue, which starts
//! threads beyond its core size only once the queue is full, as Java's `ThreadPoolExecutor`.

use super::hooks::Hooks;
use super::{Arrival, CallerPolicy, Ended, Verdict};
use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimRng, SimTime};

/// A bulkhead as written in a scenario. Defaults are Resilience4j's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum BulkheadSpec {
    /// `BulkheadConfig`: at most `max_concurrent` calls (25); a call that finds none free
    /// waits up to `max_wait` (0: refused at once) in a fair FIFO.
    Semaphore {
        /// `maxConcurrentCalls` (default 25).
        #[serde(default = "twenty_five")]
        max_concurrent: u32,
        /// `maxWaitDuration` (default 0).
        #[serde(default)]
        max_wait: SimDuration,
    },
    /// `ThreadPoolBulkheadConfig`: `core_threads`, then a queue of `queue_capacity`, then
    /// threads up to `max_threads`; beyond that, refused. Defaults as on a 2-CPU machine:
    /// core 1, max 2, queue 100.
    ThreadPool {
        /// `coreThreadPoolSize` (default 1).
        #[serde(default = "one")]
        core_threads: u32,
        /// `maxThreadPoolSize` (default 2).
        #[serde(default = "two")]
        max_threads: u32,
        /// `queueCapacity` (default 100).
        #[serde(default = "hundred")]
        queue_capacity: u32,
    },
}

fn twenty_five() -> u32 {
    25
}
fn one() -> u32 {
    1
}
fn two() -> u32 {
    2
}
fn hundred() -> u32 {
    100
}

/// A running bulkhead.
#[derive(Clone, Debug)]
pub struct Bulkhead {
    spec: BulkheadSpec,
    /// Calls running.
    running: u32,
    /// Threads alive (thread pool).
    threads: u32,
}

impl Bulkhead {
    /// An empty bulkhead.
    pub fn new(spec: BulkheadSpec) -> Self {
        Bulkhead {
            spec,
            running: 0,
            threads: 0,
        }
    }

    /// Calls running now.
    pub fn running(&self) -> u32 {
        self.running
    }
}

impl CallerPolicy for Bulkhead {
    fn hooks(&self) -> Hooks {
        Hooks::ADMIT | Hooks::RECORD | Hooks::LEVEL
    }

    fn name(&self) -> &str {
        "bulkhead"
    }

    fn admit(&mut self, _: SimTime, a: &Arrival, _: &mut SimRng) -> Verdict {
        match self.spec {
            BulkheadSpec::Semaphore {
                max_concurrent,
                max_wait,
            } => {
                // Fair: a newcomer does not overtake calls already waiting.
                if self.running < max_concurrent && (a.queued || a.waiting == 0) {
                    self.running += 1;
                    Verdict::Pass
                } else if a.queued {
                    Verdict::Queue {
                        max: None,
                        outcome: Outcome::BulkheadFull,
                    }
                } else if max_wait > SimDuration::ZERO {
                    Verdict::Queue {
                        max: Some(max_wait),
                        outcome: Outcome::BulkheadFull,
                    }
                } else {
                    Verdict::reject(Outcome::BulkheadFull)
                }
            }
            BulkheadSpec::ThreadPool {
                core_threads,
                max_threads,
                queue_capacity,
            } => {
                let run = |b: &mut Bulkhead| {
                    b.running += 1;
                    b.threads = b.threads.max(b.running);
                    Verdict::Pass
                };
                if a.queued {
                    // A queued task is taken by any live thread that is free.
                    return if self.running < self.threads {
                        run(self)
                    } else {
                        Verdict::Queue {
                            max: None,
                            outcome: Outcome::BulkheadFull,
                        }
                    };
                }
                if self.threads < core_threads || (self.running < self.threads && a.waiting == 0) {
                    run(self)
                } else if (a.waiting as u32) < queue_capacity {
                    Verdict::Queue {
                        max: None,
                        outcome: Outcome::BulkheadFull,
                    }
                } else if self.threads < max_threads {
                    self.threads += 1;
                    run(self)
                } else {
                    Verdict::reject(Outcome::BulkheadFull)
                }
            }
        }
    }

    fn record(&mut self, _: SimTime, _: &Ended) {
        self.running -= 1;
        if let BulkheadSpec::ThreadPool { core_threads, .. } = self.spec {
            // Threads beyond the core idle out after keepAlive (20 ms); taken as at once
            // unless queued work keeps them busy (the engine re-admits the queue's head first).
            if self.threads > core_threads && self.threads > self.running + 1 {
                self.threads -= 1;
            }
        }
    }

    fn level(&mut self, _: SimTime) -> Option<f64> {
        Some(self.running as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended() -> Ended {
        Ended {
            outcome: Outcome::Completed,
            latency: SimDuration::ZERO,
            attempt: 1,
            outcome_before: None,
            inflight: 0,
        }
    }

    #[test]
    fn a_semaphore_without_wait_refuses_the_call_over_its_limit() {
        let mut b = Bulkhead::new(BulkheadSpec::Semaphore {
            max_concurrent: 2,
            max_wait: SimDuration::ZERO,
        });
        let mut rng = sim_core::RngFactory::new(0).stream("x");
        let a = Arrival::default();
        assert_eq!(b.admit(SimTime::ZERO, &a, &mut rng), Verdict::Pass);
        assert_eq!(b.admit(SimTime::ZERO, &a, &mut rng), Verdict::Pass);
        assert_eq!(
            b.admit(SimTime::ZERO, &a, &mut rng),
            Verdict::reject(Outcome::BulkheadFull)
        );
        b.record(SimTime::ZERO, &ended());
        assert_eq!(b.admit(SimTime::ZERO, &a, &mut rng), Verdict::Pass);
    }

    #[test]
    fn a_thread_pool_queues_before_it_grows_past_its_core() {
        let mut b = Bulkhead::new(BulkheadSpec::ThreadPool {
            core_threads: 1,
            max_threads: 2,
            queue_capacity: 2,
        });
        let mut rng = sim_core::RngFactory::new(0).stream("x");
        let at = |waiting| Arrival {
            attempt: 1,
            waiting,
            queued: false,
        };
        assert_eq!(b.admit(SimTime::ZERO, &at(0), &mut rng), Verdict::Pass);
        assert!(matches!(
            b.admit(SimTime::ZERO, &at(0), &mut rng),
            Verdict::Queue { .. }
        ));
        assert!(matches!(
            b.admit(SimTime::ZERO, &at(1), &mut rng),
            Verdict::Queue { .. }
        ));
        // The queue is full: a second thread starts for this one.
        assert_eq!(b.admit(SimTime::ZERO, &at(2), &mut rng), Verdict::Pass);
        assert_eq!(
            b.admit(SimTime::ZERO, &at(2), &mut rng),
            Verdict::reject(Outcome::BulkheadFull)
        );
        assert_eq!(b.running(), 2);
    }
}
