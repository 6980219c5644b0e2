//! An open-loop client's rate over time, and drawing arrival times from it.
//!
//! The schedule is compiled into contiguous segments on which the rate is constant or linear.
//! Poisson arrivals under a varying rate are drawn by thinning (Lewis & Shedler 1979) *per segment*:
//! candidates come at the segment's peak rate and are kept with probability rate(t)/peak. Because
//! exponential gaps are memoryless, a candidate past the segment's end can be dropped and drawing
//! restarted at the boundary, so a short spike does not slow the rest of the run.

use crate::rate::Rate;
use crate::scenario::{ArrivalProcess, RateChange};
use sim_core::{open01, standard_exponential, SimDuration, SimRng, SimTime, NANOS_PER_SEC};

#[derive(Clone, Copy, Debug)]
struct Segment {
    start: u64,
    end: u64,
    /// Rates per nanosecond at `start` and `end`.
    from: f64,
    to: f64,
    /// 1 / peak rate: the mean candidate gap in ns (a multiply per arrival instead of a divide).
    mean_gap: f64,
}

impl Segment {
    fn rate_at(&self, t: u64) -> f64 {
        if self.from == self.to || self.end == u64::MAX {
            return self.from;
        }
        let f = (t - self.start) as f64 / (self.end - self.start) as f64;
        self.from + (self.to - self.from) * f
    }
    fn peak(&self) -> f64 {
        self.from.max(self.to)
    }
}

/// The arrival process of one open-loop client.
#[derive(Clone, Debug)]
pub struct ArrivalSchedule {
    process: ArrivalProcess,
    segments: Vec<Segment>,
    /// Index of the segment the last arrival fell in: arrivals only move forward.
    cursor: usize,
}

impl ArrivalSchedule {
    /// Compiles a base rate and its changes (checked to be in time order) into segments.
    pub fn new(process: ArrivalProcess, base: Rate, changes: &[RateChange]) -> Self {
        let per_ns = |r: Rate| r.per_second() / NANOS_PER_SEC as f64;
        let mut segments = Vec::new();
        let mut t = 0u64;
        let mut level = per_ns(base);
        let mut push = |start: u64, end: u64, from: f64, to: f64| {
            if end > start {
                let peak = f64::max(from, to);
                let mean_gap = if peak > 0.0 {
                    1.0 / peak
                } else {
                    f64::INFINITY
                };
                segments.push(Segment {
                    mean_gap,
                    start,
                    end,
                    from,
                    to,
                });
            }
        };
        for c in changes {
            match *c {
                RateChange::Step { at, rate } => {
                    push(t, at.as_nanos(), level, level);
                    t = at.as_nanos();
                    level = per_ns(rate);
                }
                RateChange::Ramp { start, end, to } => {
                    push(t, start.as_nanos(), level, level);
                    push(start.as_nanos(), end.as_nanos(), level, per_ns(to));
                    t = end.as_nanos();
                    level = per_ns(to);
                }
                RateChange::Spike {
                    start,
                    duration,
                    rate,
                } => {
                    push(t, start.as_nanos(), level, level);
                    let end = (SimTime(start.as_nanos()) + duration).0;
                    push(start.as_nanos(), end, per_ns(rate), per_ns(rate));
                    t = end;
                }
            }
        }
        push(t, u64::MAX, level, level);
        ArrivalSchedule {
            process,
            segments,
            cursor: 0,
        }
    }

    /// The rate in force at `now`, per second.
    pub fn rate_at(&self, now: SimTime) -> f64 {
        let seg = self
            .segments
            .iter()
            .find(|s| now.0 < s.end)
            .unwrap_or(self.segments.last().expect("≥ 1 segment"));
        seg.rate_at(now.0.max(seg.start)) * NANOS_PER_SEC as f64
    }

    /// The time of the next arrival after `now`, or `None` if the rate stays zero forever.
    #[inline]
    pub fn next_after(&mut self, now: SimTime, rng: &mut SimRng) -> Option<SimTime> {
        // The common case, a Poisson source at one constant rate: one draw, no segment walk.
        if let [seg] = self.segments.as_slice() {
            if self.process == ArrivalProcess::Poisson && seg.from > 0.0 {
                let gap = SimDuration::from_nanos_f64(standard_exponential(rng) * seg.mean_gap);
                let t = (now + gap).0.max(now.0.saturating_add(1));
                return (t < u64::MAX).then_some(SimTime(t));
            }
        }
        let mut t = now.0;
        loop {
            while self.segments[self.cursor].end <= t {
                self.cursor += 1; // the last segment ends at u64::MAX, so this stops
            }
            let seg = self.segments[self.cursor];
            let peak = seg.peak();
            if peak <= 0.0 {
                if seg.end == u64::MAX {
                    return None;
                }
                t = seg.end;
                continue;
            }
            let gap = match self.process {
                ArrivalProcess::Poisson => standard_exponential(rng) * seg.mean_gap,
                ArrivalProcess::Constant => 1.0 / seg.rate_at(t).max(peak * 1e-9),
            };
            let candidate = (SimTime(t) + SimDuration::from_nanos_f64(gap))
                .0
                .max(t.saturating_add(1));
            if candidate >= seg.end {
                if seg.end == u64::MAX {
                    return None; // so slow that the next arrival is beyond the end of time
                }
                t = seg.end; // memoryless: restart at the boundary
                continue;
            }
            if self.process == ArrivalProcess::Constant
                || seg.from == seg.to
                || open01(rng) * peak <= seg.rate_at(candidate)
            {
                return Some(SimTime(candidate));
            }
            t = candidate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::RngFactory;

    fn count_in(s: &mut ArrivalSchedule, from: f64, to: f64, seed: u64) -> usize {
        let mut rng = RngFactory::new(seed).stream("arrivals");
        let mut t = SimTime::ZERO;
        let mut n = 0;
        while let Some(next) = s.next_after(t, &mut rng) {
            if next.as_secs_f64() >= to {
                break;
            }
            if next.as_secs_f64() >= from {
                n += 1;
            }
            t = next;
        }
        n
    }

    fn secs(s: u64) -> SimDuration {
        SimDuration::from_secs(s)
    }

    #[test]
    fn steps_ramps_and_spikes_shape_the_rate() {
        let changes = vec![
            RateChange::Step {
                at: secs(100),
                rate: Rate::new(20.0),
            },
            RateChange::Ramp {
                start: secs(200),
                end: secs(300),
                to: Rate::new(40.0),
            },
            RateChange::Spike {
                start: secs(400),
                duration: secs(10),
                rate: Rate::new(500.0),
            },
        ];
        let s = ArrivalSchedule::new(ArrivalProcess::Poisson, Rate::new(10.0), &changes);
        let at = |x: u64| s.rate_at(SimTime(x * NANOS_PER_SEC));
        assert_eq!(at(50), 10.0);
        assert_eq!(at(150), 20.0);
        assert!((at(250) - 30.0).abs() < 1e-9);
        assert_eq!(at(350), 40.0);
        assert_eq!(at(405), 500.0);
        assert_eq!(at(420), 40.0, "a spike returns to the rate before it");
    }

    #[test]
    fn thinned_arrivals_follow_the_schedule() {
        let changes = vec![
            RateChange::Ramp {
                start: secs(1000),
                end: secs(2000),
                to: Rate::new(30.0),
            },
            RateChange::Spike {
                start: secs(3000),
                duration: secs(100),
                rate: Rate::new(200.0),
            },
        ];
        let mut s = ArrivalSchedule::new(ArrivalProcess::Poisson, Rate::new(10.0), &changes);
        let n = count_in(&mut s, 0.0, 4000.0, 1) as f64;
        // 10·1000 + 20·1000 (ramp mean) + 30·1000 + 200·100 + 30·900
        let expected = 10_000.0 + 20_000.0 + 30_000.0 + 20_000.0 + 27_000.0;
        assert!(
            (n - expected).abs() < 4.0 * expected.sqrt(),
            "{n} vs {expected}"
        );
    }

    #[test]
    fn constant_arrivals_are_evenly_spaced() {
        let mut s = ArrivalSchedule::new(ArrivalProcess::Constant, Rate::new(4.0), &[]);
        let mut rng = RngFactory::new(1).stream("c");
        let a = s.next_after(SimTime::ZERO, &mut rng).unwrap();
        let b = s.next_after(a, &mut rng).unwrap();
        assert_eq!((a.0, b.0 - a.0), (250_000_000, 250_000_000));
    }

    #[test]
    fn a_rate_too_small_to_matter_ends_the_arrivals_instead_of_overflowing() {
        for process in [ArrivalProcess::Poisson, ArrivalProcess::Constant] {
            let mut s = ArrivalSchedule::new(process, Rate::new(1e-300), &[]);
            let mut rng = RngFactory::new(1).stream("tiny");
            assert_eq!(s.next_after(SimTime::ZERO, &mut rng), None);
        }
    }

    #[test]
    fn a_rate_of_zero_forever_ends_the_arrivals() {
        let changes = vec![RateChange::Step {
            at: secs(1),
            rate: Rate::new(0.0),
        }];
        let mut s = ArrivalSchedule::new(ArrivalProcess::Poisson, Rate::new(1000.0), &changes);
        let n = count_in(&mut s, 0.0, 1e9, 3);
        assert!((900..1100).contains(&n), "{n}");
    }
}
