//! Netflix's `WindowedLimit`, in front of a limit algorithm (here Gradient2's `window`): it
//! collects samples over a window and passes the limit one sample per window.

use super::sample::Sample;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimTime};

/// Netflix's `WindowedLimit`: collects samples over a window and passes the limit one sample
/// per window, the window's average rtt, its largest inflight count and whether any call in
/// it dropped. Defaults are Netflix's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// `minWindowTime`, at least 100 ms (default 1 s).
    #[serde(default = "one_second")]
    pub min_window: SimDuration,
    /// `maxWindowTime`, at least 100 ms (default 1 s).
    #[serde(default = "one_second")]
    pub max_window: SimDuration,
    /// `windowSize`: the fewest samples a window must hold to be used, at least 10 (default 10).
    #[serde(default = "ten")]
    pub window_size: u32,
    /// `minRttThreshold`: samples faster than this are ignored (default 100 µs).
    #[serde(default = "hundred_micros")]
    pub min_rtt_threshold: SimDuration,
}

impl Default for WindowSpec {
    fn default() -> Self {
        WindowSpec {
            min_window: one_second(),
            max_window: one_second(),
            window_size: ten(),
            min_rtt_threshold: hundred_micros(),
        }
    }
}

fn ten() -> u32 {
    10
}
fn one_second() -> SimDuration {
    SimDuration::from_secs(1)
}
fn hundred_micros() -> SimDuration {
    SimDuration::from_nanos(100_000)
}

/// A running `WindowedLimit` (the current Java version, with `AverageSampleWindowFactory`).
#[derive(Clone, Debug)]
pub(super) struct Window {
    /// Nanoseconds, as the spec's durations below.
    min_window: u64,
    max_window: u64,
    window_size: u32,
    min_rtt_threshold: u64,
    /// When the current window ends (Java's `nextUpdateTime`, 0 at first: so the very first
    /// sample ends a window of one, too small to use, and the first real window starts there).
    next_update: u64,
    min_rtt: u64,
    /// Sum of the rtts, dropped calls' included.
    sum: u64,
    max_inflight: u32,
    count: u32,
    dropped: bool,
}

impl Window {
    pub(super) fn new(spec: &WindowSpec) -> Self {
        Window {
            min_window: spec.min_window.as_nanos(),
            max_window: spec.max_window.as_nanos(),
            window_size: spec.window_size,
            min_rtt_threshold: spec.min_rtt_threshold.as_nanos(),
            next_update: 0,
            min_rtt: u64::MAX,
            sum: 0,
            max_inflight: 0,
            count: 0,
            dropped: false,
        }
    }

    /// Adds a sample of a call that ended at `now`; the window's sample for the limit when
    /// this one closes a window that holds enough.
    pub(super) fn add(&mut self, now: SimTime, s: Sample) -> Option<Sample> {
        if s.rtt < self.min_rtt_threshold {
            return None;
        }
        self.min_rtt = self.min_rtt.min(s.rtt);
        self.sum = self.sum.saturating_add(s.rtt);
        self.max_inflight = self.max_inflight.max(s.inflight);
        self.count += 1;
        self.dropped |= s.dropped;
        // Java's `endTime = startTime + rtt` is the call's end, `now`.
        if now.0 <= self.next_update {
            return None;
        }
        // The window ends whether or not it is used: one with too few samples is dropped.
        let length = self
            .min_rtt
            .saturating_mul(2)
            .max(self.min_window)
            .min(self.max_window);
        self.next_update = now.0.saturating_add(length);
        let closed = Sample {
            rtt: self.sum / self.count as u64,
            inflight: self.max_inflight,
            dropped: self.dropped,
        };
        let ready = self.count >= self.window_size;
        self.min_rtt = u64::MAX;
        self.sum = 0;
        self.max_inflight = 0;
        self.count = 0;
        self.dropped = false;
        ready.then_some(closed)
    }
}

/// A window's ranges, reported through `err` under `window.` as [`check`](super::check)
/// describes.
pub(super) fn check(w: &WindowSpec, err: &mut impl FnMut(&str, String)) {
    let hundred_ms = SimDuration::from_millis(100);
    if w.min_window < hundred_ms {
        err(
            "window.min_window",
            format!(
                "WindowedLimit min_window must be >= 100ms (Netflix WindowedLimit); got {}",
                w.min_window
            ),
        );
    }
    if w.max_window < hundred_ms {
        err(
            "window.max_window",
            format!(
                "WindowedLimit max_window must be >= 100ms (Netflix WindowedLimit); got {}",
                w.max_window
            ),
        );
    }
    if w.window_size < 10 {
        err(
            "window.window_size",
            format!(
                "WindowedLimit window_size must be >= 10 samples (Netflix WindowedLimit); got {}",
                w.window_size
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::check;
    use super::super::tests::{fields, gradient2_spec_with, ms};
    use super::*;

    #[test]
    fn a_window_reports_its_average_rtt_max_inflight_and_any_drop() {
        let mut w = Window::new(&WindowSpec::default());
        let s = |rtt_us: u64, inflight, dropped| Sample {
            rtt: rtt_us * 1000,
            inflight,
            dropped,
        };
        assert_eq!(w.add(SimTime(1), s(500, 1, false)), None);
        assert_eq!(w.next_update, 1 + 1_000_000_000);
        for i in 0..8 {
            assert_eq!(w.add(SimTime(2 + i), s(1000, 3 + i as u32, i == 4)), None);
        }
        // Under the 100 µs threshold: ignored, so its inflight of 50 does not count.
        assert_eq!(w.add(SimTime(20), s(99, 50, false)), None);
        assert_eq!(w.count, 8);
        // The window has not passed: it ends strictly after 1 s + 1 ns.
        assert_eq!(w.add(SimTime(1_000_000_001), s(3000, 2, false)), None);
        assert_eq!(w.count, 9);
        // Exactly window_size (10) samples when it closes: enough.
        assert_eq!(
            w.add(SimTime(1_000_000_002), s(2000, 2, false)),
            Some(Sample {
                // (8·1000 + 3000 + 2000) µs / 10.
                rtt: 1_300_000,
                inflight: 10,
                dropped: true,
            })
        );
        // The next window ends 1 s later (twice its 1 ms minimum rtt, raised to 1 s).
        assert_eq!(w.next_update, 2_000_000_002);
        assert_eq!(w.count, 0);
    }

    #[test]
    fn check_rejects_windows_netflix_refuses() {
        let spec = gradient2_spec_with(Some(WindowSpec {
            min_window: ms(50),
            max_window: ms(99),
            window_size: 9,
            min_rtt_threshold: SimDuration::ZERO,
        }));
        assert_eq!(
            fields(&spec),
            [
                "window.min_window",
                "window.max_window",
                "window.window_size"
            ]
        );
        assert!(check(&gradient2_spec_with(Some(WindowSpec::default()))).is_empty());
    }
}
