//! Time-weighted gauges: the time average of a level such as a queue length or busy workers.
//!
//! The area under the level is kept as an exact integer (level × nanoseconds), from the start of the
//! measurement window (the end of the warm-up), so long runs lose no precision.

use crate::time::SimTime;

/// A level that changes at event times, with its time-weighted mean since a reset.
///
/// ```
/// use sim_core::{Gauge, SimTime};
/// let mut g = Gauge::new();
/// g.set(SimTime(0), 2);
/// g.set(SimTime(10), 4);
/// assert_eq!(g.mean(SimTime(20)), 3.0); // 2 for 10 ns, 4 for 10 ns
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gauge {
    level: u64,
    since: SimTime,
    window_start: SimTime,
    area: u128,
    peak: u64,
}

impl Gauge {
    /// A gauge at level 0 from time 0.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn accumulate(&mut self, now: SimTime) {
        self.area += self.level as u128 * (now.0.saturating_sub(self.since.0)) as u128;
        self.since = now;
    }

    /// Sets the level at `now`.
    #[inline]
    pub fn set(&mut self, now: SimTime, level: u64) {
        self.accumulate(now);
        self.level = level;
        self.peak = self.peak.max(level);
    }

    /// Raises the level by one.
    #[inline]
    pub fn increment(&mut self, now: SimTime) {
        self.set(now, self.level + 1);
    }

    /// Lowers the level by one (not below zero).
    #[inline]
    pub fn decrement(&mut self, now: SimTime) {
        self.set(now, self.level.saturating_sub(1));
    }

    /// The current level.
    pub fn level(&self) -> u64 {
        self.level
    }

    /// Highest level seen since the last reset.
    pub fn peak(&self) -> u64 {
        self.peak
    }

    /// Starts a new measurement window at `now`, keeping the current level.
    pub fn reset(&mut self, now: SimTime) {
        self.accumulate(now);
        self.area = 0;
        self.window_start = now;
        self.peak = self.level;
    }

    /// The level integrated over time (level × nanoseconds) from the last reset to `now`, and
    /// when that reset was: the difference of two readings in one window is the area between
    /// them.
    pub fn area(&self, now: SimTime) -> (u128, SimTime) {
        let area = self.area + self.level as u128 * now.0.saturating_sub(self.since.0) as u128;
        (area, self.window_start)
    }

    /// Time-weighted mean level from the last reset to `now`.
    pub fn mean(&self, now: SimTime) -> f64 {
        let span = now.0.saturating_sub(self.window_start.0);
        if span == 0 {
            return self.level as f64;
        }
        let area = self.area + self.level as u128 * now.0.saturating_sub(self.since.0) as u128;
        area as f64 / span as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_excludes_the_warm_up() {
        let mut g = Gauge::new();
        g.set(SimTime(0), 100);
        g.reset(SimTime(50));
        g.set(SimTime(60), 0);
        // 100 for 10 ns, then 0 for 30 ns, over a 40 ns window
        assert_eq!(g.mean(SimTime(90)), 25.0);
        assert_eq!(g.peak(), 100);
    }

    #[test]
    fn increments_and_decrements_track_the_level() {
        let mut g = Gauge::new();
        g.increment(SimTime(0));
        g.increment(SimTime(0));
        g.decrement(SimTime(5));
        g.decrement(SimTime(5));
        g.decrement(SimTime(5));
        assert_eq!(g.level(), 0);
        assert_eq!(g.mean(SimTime(10)), 1.0);
    }
}
