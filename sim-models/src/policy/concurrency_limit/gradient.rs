//! Netflix's `GradientLimit` (v1): the gradient of the minimum rtt since the last probe
//! against the current rtt, with a `√L` queue allowance and periodic probes that start the
//! search for the no-load rtt again.

use super::ranges::{bounds, smoothing_in_range, tolerance_in_range};
use super::sample::Sample;

/// `GradientLimit` (v1).
#[derive(Clone, Debug)]
pub(super) struct Gradient {
    limit: f64,
    min: u32,
    max: u32,
    smoothing: f64,
    rtt_tolerance: f64,
    backoff_ratio: f64,
    probe_interval: Option<u32>,
    /// Java's `resetRttCounter`; `None` until the first sample draws it.
    countdown: Option<i64>,
    /// `MinimumMeasurement` in nanoseconds; 0 after a reset (Java's sentinel).
    rtt_noload: u64,
}

impl Gradient {
    /// At `initial`, from the fields of a [`LimitSpec::Gradient`](super::LimitSpec::Gradient).
    pub(super) fn new(
        initial: u32,
        min: u32,
        max: u32,
        smoothing: f64,
        rtt_tolerance: f64,
        backoff_ratio: f64,
        probe_interval: Option<u32>,
    ) -> Gradient {
        Gradient {
            limit: initial as f64,
            min,
            max,
            smoothing,
            rtt_tolerance,
            backoff_ratio,
            probe_interval,
            countdown: None,
            rtt_noload: 0,
        }
    }

    /// The limit, exact.
    pub(super) fn value(&self) -> f64 {
        self.limit
    }

    fn next_countdown(interval: u32, u: f64) -> i64 {
        // `probeInterval + nextInt(probeInterval)`; the `min` keeps a `u` of 1 in range.
        let extra = ((u * interval as f64) as i64).min(interval as i64 - 1);
        interval as i64 + extra.max(0)
    }

    /// `SquareRootFunction.create(4)` of `(int) L`: `max(4, ⌊√L⌋)`.
    fn queue_size(l: f64) -> f64 {
        ((l as u32 as f64).sqrt() as u32).max(4) as f64
    }

    pub(super) fn update(&mut self, s: Sample, u: f64) {
        if s.rtt == 0 {
            // The gradient would be 0/0.
            return;
        }
        let queue = Gradient::queue_size(self.limit);
        if let Some(interval) = self.probe_interval {
            let c = *self
                .countdown
                .get_or_insert_with(|| Gradient::next_countdown(interval, u));
            // `resetRttCounter-- <= 0`: the probe comes on the sample after the countdown
            // reaches 0.
            if c <= 0 {
                self.countdown = Some(Gradient::next_countdown(interval, u));
                // Start again low and find the no-load rtt afresh, so the limit cannot drift
                // up when the probe happens under load.
                self.limit = (self.min as f64).max(queue);
                self.rtt_noload = 0;
                return;
            }
            self.countdown = Some(c - 1);
        }
        if self.rtt_noload == 0 || s.rtt < self.rtt_noload {
            self.rtt_noload = s.rtt;
        }
        let l = self.limit;
        let gradient = (self.rtt_tolerance * self.rtt_noload as f64 / s.rtt as f64).clamp(0.5, 1.0);
        let mut new = if s.dropped {
            l * self.backoff_ratio
        } else if (s.inflight as f64) < l / 2.0 {
            return;
        } else {
            l * gradient + queue
        };
        if new < l {
            // Smoothing slows decreases only.
            new = (l * (1.0 - self.smoothing) + self.smoothing * new).max(self.min as f64);
        }
        // The floor here is the queue allowance, not `min`.
        self.limit = new.min(self.max as f64).max(queue);
    }
}

/// Gradient's ranges, reported through `err` as [`check`](super::check) describes.
#[allow(clippy::too_many_arguments)] // each field of `LimitSpec::Gradient`, and `err`
pub(super) fn check(
    initial: u32,
    min: u32,
    max: u32,
    smoothing: f64,
    rtt_tolerance: f64,
    backoff_ratio: f64,
    probe_interval: Option<u32>,
    err: &mut impl FnMut(&str, String),
) {
    bounds("Gradient", initial, min, max, "maxConcurrency", err);
    smoothing_in_range("Gradient", smoothing, err);
    tolerance_in_range("Gradient", "GradientLimit", rtt_tolerance, err);
    if !(0.5..=1.0).contains(&backoff_ratio) {
        err(
            "backoff_ratio",
            format!("Gradient backoff_ratio must be in [0.5, 1] (Netflix GradientLimit); got {backoff_ratio}"),
        );
    }
    if probe_interval == Some(0) {
        err(
            "probe_interval",
            "Gradient probe_interval must be at least 1, or None to turn probing off (Netflix GradientLimit: -1; nextInt(0) throws); got 0".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at_ms, ms};
    use super::super::{Algo, Limit, LimitSpec};

    fn gradient(initial: u32, min: u32, probe_interval: Option<u32>) -> Limit {
        Limit::new(&LimitSpec::Gradient {
            initial,
            min,
            max: 1000,
            smoothing: 0.2,
            rtt_tolerance: 2.0,
            backoff_ratio: 0.9,
            probe_interval,
        })
    }

    #[test]
    fn gradient_probe_sets_the_limit_to_the_larger_of_min_and_queue_size() {
        // u = 0.25: countdown 2 + ⌊0.5⌋ = 2; samples 1 and 2 count it down, sample 3 probes.
        for (min, expected) in [(1, 10.0), (20, 20.0)] {
            let mut l = gradient(100, min, Some(2));
            for i in 1..=2 {
                // App-limited (1 < 50): the limit holds.
                l.sample(at_ms(i), ms(10), 1, false, 0.25);
                assert_eq!(l.value(), 100.0);
            }
            // queue_size = max(4, ⌊√100⌋) = 10.
            l.sample(at_ms(3), ms(10), 1, false, 0.25);
            assert_eq!(l.value(), expected, "min {min}");
            let Algo::Gradient(g) = &l.algo else {
                unreachable!()
            };
            assert_eq!(g.rtt_noload, 0);
            assert_eq!(g.countdown, Some(2));
        }
    }

    #[test]
    fn gradient_grows_by_the_queue_size_without_queueing_and_smooths_a_drop() {
        let mut l = gradient(100, 1, None);
        // The first call sets the no-load rtt (10 ms): gradient min(1, 2·10/10) = 1, so
        // 100 + queue_size max(4, ⌊√100⌋) = 110, unsmoothed (an increase).
        l.sample(at_ms(1), ms(10), 100, false, 0.5);
        assert_eq!(l.value(), 110.0);
        // At 110, queue_size = max(4, ⌊√110⌋) = 10; rtt 40 ms: gradient 2·10/40 = 0.5,
        // 110·0.5 + 10 = 65 < 110, smoothed: 0.8·110 + 0.2·65 = 101.
        l.sample(at_ms(2), ms(40), 110, false, 0.5);
        assert!((l.value() - 101.0).abs() < 1e-9, "{}", l.value());
        // A drop: 101·0.9 = 90.9, smoothed 0.8·101 + 0.2·90.9 = 98.98, whatever inflight.
        let before = l.value();
        l.sample(at_ms(3), ms(10), 1, true, 0.5);
        let expected = before * 0.8 + 0.2 * (before * 0.9);
        assert!((l.value() - expected).abs() < 1e-9, "{}", l.value());
        assert!((expected - 98.98).abs() < 1e-9);
    }

    #[test]
    fn gradient_never_falls_below_its_queue_size_even_under_min() {
        let mut l = Limit::new(&LimitSpec::Gradient {
            initial: 4,
            min: 1,
            max: 1000,
            smoothing: 1.0,
            rtt_tolerance: 2.0,
            backoff_ratio: 0.9,
            probe_interval: None,
        });
        // A drop: 4·0.9 = 3.6, above min 1 but below queue_size max(4, ⌊√4⌋) = 4: 4.
        l.sample(at_ms(1), ms(10), 4, true, 0.5);
        assert_eq!(l.value(), 4.0);
    }
}
