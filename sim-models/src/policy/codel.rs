//! CoDel, "Controlled Delay" (RFC 8289, Nichols & Jacobson), on an instance's request queue.
//!
//! The decision is made at dequeue, from the sojourn time of the request a worker is about to
//! take. A queue whose requests have all waited at least `target` for a whole `interval` is a
//! standing queue: CoDel enters its dropping state and drops a request, then one every
//! `interval / √count` while the sojourn stays above `target`. It leaves the state as soon as a
//! request waited less than `target`, or the queue is (nearly) empty.
//!
//! Requests stand in for packets: "the queue holds at most one MTU" (RFC 8289's
//! `bytes() <= MAXPACKET`) reads "at most one request is left after this one".

use super::server_policy::ServerPolicy;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimTime};

/// CoDel as written in a scenario; defaults are RFC 8289's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoDelSpec {
    /// Acceptable standing queue delay (`TARGET`, default 5 ms).
    #[serde(default = "five_ms")]
    pub target: SimDuration,
    /// Sliding-minimum window (`INTERVAL`, default 100 ms).
    #[serde(default = "hundred_ms")]
    pub interval: SimDuration,
}

impl Default for CoDelSpec {
    fn default() -> Self {
        CoDelSpec {
            target: five_ms(),
            interval: hundred_ms(),
        }
    }
}

fn five_ms() -> SimDuration {
    SimDuration::from_millis(5)
}
fn hundred_ms() -> SimDuration {
    SimDuration::from_millis(100)
}

/// A running CoDel queue manager.
#[derive(Clone, Debug)]
pub struct CoDel {
    spec: CoDelSpec,
    /// When the sojourn time went (and stayed) above target plus an interval; `None`: below.
    first_above_time: Option<SimTime>,
    /// Whether it is in the dropping state.
    dropping: bool,
    /// When the next drop is due in the dropping state.
    drop_next: SimTime,
    /// Drops since entering the dropping state.
    count: u32,
    /// `count` when the dropping state was last entered.
    lastcount: u32,
    /// A drop in the dropping state moves `drop_next` on only if the request after it is
    /// itself ok to drop (RFC 8289's loop computes the next `ok_to_drop` first).
    advance_pending: bool,
}

impl CoDel {
    /// A manager in the non-dropping state.
    pub fn new(spec: CoDelSpec) -> Self {
        CoDel {
            spec,
            first_above_time: None,
            dropping: false,
            drop_next: SimTime::ZERO,
            count: 0,
            lastcount: 0,
            advance_pending: false,
        }
    }

    /// Whether it is in the dropping state.
    pub fn dropping(&self) -> bool {
        self.dropping
    }

    /// RFC 8289 `control_law`: the next drop, `interval / √count` after `t`.
    fn control_law(&self, t: SimTime, count: u32) -> SimTime {
        let gap = self.spec.interval.as_nanos() as f64 / (count.max(1) as f64).sqrt();
        t + SimDuration::from_nanos(gap as u64)
    }

    /// RFC 8289 `dodequeue`: whether the request may be dropped, from its sojourn time.
    fn ok_to_drop(&mut self, now: SimTime, sojourn: SimDuration, left: usize) -> bool {
        if sojourn < self.spec.target || left <= 1 {
            self.first_above_time = None;
            return false;
        }
        match self.first_above_time {
            None => {
                self.first_above_time = Some(now + self.spec.interval);
                false
            }
            Some(t) => now >= t,
        }
    }
}

impl ServerPolicy for CoDel {
    fn name(&self) -> &str {
        "codel"
    }

    fn dequeue(&mut self, now: SimTime, waited: Option<SimDuration>, left: usize) -> bool {
        let Some(sojourn) = waited else {
            // An empty queue: below target by definition; the dropping state ends.
            self.first_above_time = None;
            self.dropping = false;
            self.advance_pending = false;
            return false;
        };
        let ok = self.ok_to_drop(now, sojourn, left);
        if self.dropping {
            if std::mem::take(&mut self.advance_pending) && ok {
                self.drop_next = self.control_law(self.drop_next, self.count);
            }
            if !ok {
                self.dropping = false;
                return false;
            }
            if now >= self.drop_next {
                self.count += 1;
                self.advance_pending = true;
                return true;
            }
            return false;
        }
        if ok {
            // Enter the dropping state; start from the recent drop rate if it was recent.
            self.dropping = true;
            let delta = self.count.saturating_sub(self.lastcount);
            self.count = if delta > 1
                && now.0.saturating_sub(self.drop_next.0) < 16 * self.spec.interval.as_nanos()
            {
                delta
            } else {
                1
            };
            self.drop_next = self.control_law(now, self.count);
            self.lastcount = self.count;
            return true;
        }
        false
    }

    fn level(&self) -> Option<f64> {
        Some(if self.dropping { 1.0 } else { 0.0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }
    fn at(n: u64) -> SimTime {
        SimTime(n * 1_000_000)
    }

    #[test]
    fn short_waits_never_drop() {
        let mut c = CoDel::new(CoDelSpec::default());
        for t in 0..1000 {
            assert!(!c.dequeue(at(t), Some(ms(4)), 10));
        }
        assert!(!c.dropping());
    }

    #[test]
    fn a_standing_queue_drops_after_one_interval_then_at_interval_over_root_count() {
        let mut c = CoDel::new(CoDelSpec::default());
        // First sojourn above target at 0 ms: the clock starts, no drop for 100 ms.
        assert!(!c.dequeue(at(0), Some(ms(10)), 5));
        assert!(!c.dequeue(at(99), Some(ms(10)), 5));
        // At 100 ms: enter dropping, drop one, next drop at 100 + 100/√1 = 200 ms.
        assert!(c.dequeue(at(100), Some(ms(10)), 5));
        assert!(c.dropping());
        assert!(!c.dequeue(at(100), Some(ms(10)), 5));
        assert!(!c.dequeue(at(199), Some(ms(10)), 5));
        // 200 ms: second drop (count 2); the next request, still above target, moves the
        // next drop to 200 + 100/√2 = 270.71 ms.
        assert!(c.dequeue(at(200), Some(ms(10)), 5));
        assert!(!c.dequeue(at(200), Some(ms(10)), 5));
        assert_eq!(c.drop_next, SimTime(200_000_000 + 70_710_678));
        assert!(!c.dequeue(at(270), Some(ms(10)), 5));
        assert!(c.dequeue(at(271), Some(ms(10)), 5));
    }

    #[test]
    fn a_short_wait_leaves_the_dropping_state() {
        let mut c = CoDel::new(CoDelSpec::default());
        c.dequeue(at(0), Some(ms(10)), 5);
        assert!(c.dequeue(at(100), Some(ms(10)), 5));
        assert!(!c.dequeue(at(150), Some(ms(3)), 5));
        assert!(!c.dropping());
        // The clock restarts: another full interval above target before the next drop.
        assert!(!c.dequeue(at(160), Some(ms(10)), 5));
        assert!(!c.dequeue(at(259), Some(ms(10)), 5));
        assert!(c.dequeue(at(260), Some(ms(10)), 5));
    }

    #[test]
    fn a_nearly_empty_queue_is_never_dropped_from() {
        let mut c = CoDel::new(CoDelSpec::default());
        c.dequeue(at(0), Some(ms(50)), 5);
        // One request left after this one: "under one MTU".
        assert!(!c.dequeue(at(200), Some(ms(50)), 1));
        assert!(!c.dropping());
    }

    #[test]
    fn re_entering_soon_after_resumes_the_recent_drop_rate() {
        let mut c = CoDel::new(CoDelSpec::default());
        c.dequeue(at(0), Some(ms(10)), 5);
        assert!(c.dequeue(at(100), Some(ms(10)), 5)); // count 1
        assert!(c.dequeue(at(200), Some(ms(10)), 5)); // count 2
        c.dequeue(at(210), Some(ms(10)), 5); // drop_next -> 270.7
        assert!(c.dequeue(at(271), Some(ms(10)), 5)); // count 3
        c.dequeue(at(272), Some(ms(10)), 5); // drop_next -> 270.7 + 57.7 = 328.4
        assert!(c.dequeue(at(329), Some(ms(10)), 5)); // count 4
        assert!(!c.dequeue(at(330), Some(ms(1)), 5)); // leaves; lastcount was 1
                                                      // Back above target for an interval: delta = 4 - 1 = 3 > 1 and the last drop is
                                                      // recent, so count restarts at 3 and the next drop is 100/√3 = 57.7 ms later.
        c.dequeue(at(331), Some(ms(10)), 5);
        assert!(c.dequeue(at(431), Some(ms(10)), 5));
        assert_eq!(c.count, 3);
        assert_eq!(c.drop_next, SimTime(431_000_000 + 57_735_026));
    }
}
