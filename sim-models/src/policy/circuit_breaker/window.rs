//! Resilience4j's sliding windows: the last calls' outcomes, by count or by epoch second.

use serde::{Deserialize, Serialize};
use sim_core::SimTime;
use std::collections::VecDeque;

/// Resilience4j's sliding window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BreakerWindow {
    /// The last `n` calls.
    Count(u32),
    /// The calls of the current second and the previous `n − 1` whole seconds.
    Time(u32),
}

/// Totals of a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Totals {
    pub(super) calls: u32,
    pub(super) failed: u32,
    pub(super) slow: u32,
}

/// Resilience4j's sliding windows. Both grow with the calls they see, never with the size the
/// scenario asks for: a window of 4,294,967,295 calls or seconds costs what the run records.
#[derive(Clone, Debug)]
pub(super) enum Window {
    /// Ring buffer of the last outcomes (bit 0 failed, bit 1 slow), filled before it wraps.
    Count {
        ring: Vec<u8>,
        next: usize,
        totals: Totals,
    },
    /// The epoch seconds that saw calls, oldest first, within the last `seconds`.
    Time {
        seconds: u64,
        buckets: VecDeque<(u64, Totals)>,
        totals: Totals,
    },
}

impl Window {
    pub(super) fn new(kind: BreakerWindow) -> Window {
        match kind {
            BreakerWindow::Count(_) => Window::Count {
                ring: Vec::new(),
                next: 0,
                totals: Totals::default(),
            },
            BreakerWindow::Time(n) => Window::Time {
                seconds: u64::from(n),
                buckets: VecDeque::new(),
                totals: Totals::default(),
            },
        }
    }

    pub(super) fn record(&mut self, now: SimTime, failed: bool, slow: bool, size: u32) -> Totals {
        let bits = failed as u8 | (slow as u8) << 1;
        self.rotate(now);
        let add = |t: &mut Totals| {
            t.calls += 1;
            t.failed += failed as u32;
            t.slow += slow as u32;
        };
        match self {
            Window::Count { ring, next, totals } => {
                if ring.len() < size as usize {
                    ring.push(bits);
                } else {
                    let old = ring[*next];
                    totals.calls -= 1;
                    totals.failed -= (old & 1) as u32;
                    totals.slow -= (old >> 1) as u32;
                    ring[*next] = bits;
                    *next = (*next + 1) % size as usize;
                }
                add(totals);
                *totals
            }
            Window::Time {
                buckets, totals, ..
            } => {
                let sec = now.0 / 1_000_000_000;
                match buckets.back_mut() {
                    Some((s, b)) if *s == sec => add(b),
                    _ => {
                        let mut b = Totals::default();
                        add(&mut b);
                        buckets.push_back((sec, b));
                    }
                }
                add(totals);
                *totals
            }
        }
    }

    /// Drops from a time window the seconds that have left it by `now`.
    fn rotate(&mut self, now: SimTime) {
        if let Window::Time {
            seconds,
            buckets,
            totals,
        } = self
        {
            let sec = now.0 / 1_000_000_000;
            while let Some(&(s, b)) = buckets.front() {
                if s + *seconds > sec {
                    break;
                }
                totals.calls -= b.calls;
                totals.failed -= b.failed;
                totals.slow -= b.slow;
                buckets.pop_front();
            }
        }
    }
}
