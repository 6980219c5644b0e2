//! A sum over a sliding time window kept in ten slices, as Finagle's `WindowedAdder` does: the
//! window covers the current slice and the nine before it.

use sim_core::{SimDuration, SimTime};

/// A windowed sum.
#[derive(Clone, Debug)]
pub struct SlidingCount {
    slice: u64,
    slices: [i64; 10],
    /// Index (time / slice width) of the newest slice written.
    newest: u64,
    sum: i64,
}

impl SlidingCount {
    /// A window of `width`, in ten slices.
    pub fn new(width: SimDuration) -> Self {
        SlidingCount {
            slice: (width.as_nanos() / 10).max(1),
            slices: [0; 10],
            newest: 0,
            sum: 0,
        }
    }

    fn roll(&mut self, now: SimTime) {
        let k = now.0 / self.slice;
        if k <= self.newest {
            return;
        }
        let from = if k - self.newest >= 10 {
            k - 9
        } else {
            self.newest + 1
        };
        for s in from..=k {
            let i = (s % 10) as usize;
            self.sum -= self.slices[i];
            self.slices[i] = 0;
        }
        self.newest = k;
    }

    /// Adds `n` at `now`.
    pub fn add(&mut self, now: SimTime, n: i64) {
        self.roll(now);
        self.slices[(self.newest % 10) as usize] += n;
        self.sum += n;
    }

    /// The sum over the window ending at `now`.
    pub fn sum(&mut self, now: SimTime) -> i64 {
        self.roll(now);
        self.sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_leave_the_window_one_slice_at_a_time() {
        let mut w = SlidingCount::new(SimDuration::from_millis(10_000));
        w.add(SimTime(0), 5);
        w.add(SimTime(5_000_000_000), 3);
        assert_eq!(w.sum(SimTime(9_999_999_999)), 8);
        assert_eq!(
            w.sum(SimTime(10_000_000_000)),
            3,
            "the first slice has left"
        );
        assert_eq!(w.sum(SimTime(100_000_000_000)), 0);
    }
}
