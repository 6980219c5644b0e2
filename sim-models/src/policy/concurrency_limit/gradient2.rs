//! Netflix's `Gradient2Limit`: the gradient of a long exponential average rtt against the
//! current rtt, growing by a fixed queue allowance while latency is flat. A `WindowedLimit`
//! (`window.rs`) may sit in front of it.

use super::ranges::{bounds, smoothing_in_range, tolerance_in_range};
use super::sample::Sample;

/// `ExpAvgMeasurement`: a plain average of the first `warmup` samples, then an exponential
/// average with factor `2 / (window + 1)`.
#[derive(Clone, Debug)]
struct ExpAvg {
    value: f64,
    sum: f64,
    window: u32,
    warmup: u32,
    count: u32,
}

impl ExpAvg {
    fn new(window: u32, warmup: u32) -> Self {
        ExpAvg {
            value: 0.0,
            sum: 0.0,
            window,
            warmup,
            count: 0,
        }
    }

    fn add(&mut self, sample: f64) -> f64 {
        if self.count < self.warmup {
            self.count += 1;
            self.sum += sample;
            self.value = self.sum / self.count as f64;
        } else {
            let factor = 2.0 / (self.window as f64 + 1.0);
            self.value = self.value * (1.0 - factor) + sample * factor;
        }
        self.value
    }
}

/// `Gradient2Limit`.
#[derive(Clone, Debug)]
pub(super) struct Gradient2 {
    limit: f64,
    min: u32,
    max: u32,
    smoothing: f64,
    queue_size: u32,
    rtt_tolerance: f64,
    /// Nanoseconds.
    long_rtt: ExpAvg,
}

impl Gradient2 {
    /// At `initial`, from the fields of a [`LimitSpec::Gradient2`](super::LimitSpec::Gradient2)
    /// (its `window` goes in front of the limit, not in it).
    pub(super) fn new(
        initial: u32,
        min: u32,
        max: u32,
        smoothing: f64,
        queue_size: u32,
        long_window: u32,
        rtt_tolerance: f64,
    ) -> Gradient2 {
        Gradient2 {
            limit: initial as f64,
            min,
            max,
            smoothing,
            queue_size,
            rtt_tolerance,
            long_rtt: ExpAvg::new(long_window, 10),
        }
    }

    /// The limit, exact.
    pub(super) fn value(&self) -> f64 {
        self.limit
    }

    pub(super) fn update(&mut self, s: Sample) {
        if s.rtt == 0 {
            // `longRtt / shortRtt` would divide by zero.
            return;
        }
        // `didDrop` is not read: Gradient2 reacts to latency only.
        let queue = self.queue_size as f64;
        let short = s.rtt as f64;
        // The long rtt learns from every sample, app-limited ones included.
        let long = self.long_rtt.add(short);
        if long / short > 2.0 {
            // Latency has come back down after a long overload: let the long rtt follow
            // faster than its average would. Java decays the stored value; this sample's
            // gradient still uses `long` as it was (it is clamped to 1 here in any case).
            self.long_rtt.value *= 0.95;
        }
        let l = self.limit;
        if (s.inflight as f64) < l / 2.0 {
            return;
        }
        let gradient = (self.rtt_tolerance * long / short).clamp(0.5, 1.0);
        let new = l * gradient + queue;
        let new = l * (1.0 - self.smoothing) + new * self.smoothing;
        self.limit = new.min(self.max as f64).max(self.min as f64);
    }
}

/// Gradient2's ranges, reported through `err` as [`check`](super::check) describes (its
/// window's are `window.rs`'s).
pub(super) fn check(
    initial: u32,
    min: u32,
    max: u32,
    smoothing: f64,
    long_window: u32,
    rtt_tolerance: f64,
    err: &mut impl FnMut(&str, String),
) {
    bounds("Gradient2", initial, min, max, "maxConcurrency", err);
    smoothing_in_range("Gradient2", smoothing, err);
    tolerance_in_range("Gradient2", "Gradient2Limit", rtt_tolerance, err);
    if long_window == 0 {
        err(
            "long_window",
            "Gradient2 long_window must be at least 1 sample (Netflix Gradient2Limit, default 600; the average's factor is 2/(long_window+1)); got 0".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at_ms, ms, MS};
    use super::super::{Algo, Limit, LimitSpec, WindowSpec};
    use super::*;
    use sim_core::SimDuration;

    fn gradient2(initial: u32, min: u32, max: u32, window: Option<WindowSpec>) -> Limit {
        Limit::new(&LimitSpec::Gradient2 {
            initial,
            min,
            max,
            smoothing: 0.2,
            queue_size: 4,
            long_window: 600,
            rtt_tolerance: 1.5,
            window,
        })
    }

    fn long_rtt(l: &Limit) -> &ExpAvg {
        match &l.algo {
            Algo::Gradient2(g) => &g.long_rtt,
            _ => unreachable!(),
        }
    }

    #[test]
    fn gradient2_holds_when_app_limited() {
        let mut l = gradient2(100, 20, 200, None);
        // 49 < 100/2: unchanged.
        l.sample(at_ms(1), ms(10), 49, false, 0.5);
        assert_eq!(l.value(), 100.0);
        // 50 is not < 50: the first long rtt is this rtt, gradient min(1, 1.5) = 1:
        // 0.8·100 + 0.2·(100 + 4) = 100.8.
        l.sample(at_ms(2), ms(10), 50, false, 0.5);
        assert!((l.value() - 100.8).abs() < 1e-9, "{}", l.value());
    }

    #[test]
    fn gradient2_long_rtt_warm_up_averages_the_first_ten_samples() {
        let mut l = gradient2(100, 20, 200, None);
        // rtts 1..=10 ms, app-limited so that only the long rtt moves.
        for i in 1..=10u64 {
            l.sample(at_ms(i), ms(i), 1, false, 0.5);
            let mean = (1..=i).sum::<u64>() as f64 * MS as f64 / i as f64;
            assert_eq!(long_rtt(&l).value, mean, "sample {i}");
        }
        assert_eq!(long_rtt(&l).value, 5.5e6);
        // The 11th is an exponential average with factor 2/601.
        l.sample(at_ms(11), ms(11), 1, false, 0.5);
        let f = 2.0 / 601.0;
        assert_eq!(long_rtt(&l).value, 5.5e6 * (1.0 - f) + 11e6 * f);
        assert_eq!(l.value(), 100.0);
    }

    #[test]
    fn gradient2_shrinks_toward_the_gradient_when_rtt_doubles() {
        let mut l = gradient2(100, 20, 200, None);
        for i in 1..=10 {
            l.sample(at_ms(i), ms(10), 1, false, 0.5);
        }
        assert_eq!(long_rtt(&l).value, 10e6);
        // rtt 20 ms: long = 10·599/601 + 20·2/601 = 10·603/601 ms,
        // gradient = 1.5·long/20 = 0.75·603/601 ≈ 0.7525,
        // L = 0.8·100 + 0.2·(100·gradient + 4) ≈ 95.85.
        l.sample(at_ms(11), ms(20), 100, false, 0.5);
        let gradient = 0.75 * 603.0 / 601.0;
        let expected = 0.8 * 100.0 + 0.2 * (100.0 * gradient + 4.0);
        assert!((l.value() - expected).abs() < 1e-9, "{}", l.value());
        assert!((l.value() - 95.85).abs() < 0.01);
        assert_eq!(l.limit(), 95);
    }

    #[test]
    fn gradient2_ignores_drops() {
        let run = |dropped| {
            let mut l = gradient2(100, 20, 200, None);
            for i in 1..=10 {
                l.sample(at_ms(i), ms(10), 1, false, 0.5);
            }
            l.sample(at_ms(11), ms(20), 100, dropped, 0.5);
            l.sample(at_ms(12), ms(10), 100, dropped, 0.5);
            l.value()
        };
        assert_eq!(run(true), run(false));
        assert!(run(true) < 100.0);
    }

    #[test]
    fn gradient2_clamps_to_min_and_max_and_decays_a_stale_long_rtt() {
        // At the max: 0.8·200 + 0.2·204 = 200.8, clamped to 200.
        let mut l = gradient2(200, 20, 200, None);
        l.sample(at_ms(1), ms(10), 200, false, 0.5);
        assert_eq!(l.value(), 200.0);
        // At the min: long = (10 + 190)/2 = 100 ms (warm-up), gradient 1.5·100/190 ≈ 0.79:
        // 0.8·20 + 0.2·(20·0.79 + 4) ≈ 19.96, raised to min 20.
        let mut l = gradient2(20, 20, 200, None);
        l.sample(at_ms(1), ms(10), 1, false, 0.5);
        l.sample(at_ms(2), ms(190), 20, false, 0.5);
        assert_eq!(l.value(), 20.0);
        // Long rtt 30 ms, then a 10 ms call: long = 30·599/601 + 10·2/601 ms, over twice
        // the rtt, so it is cut by 5%.
        let mut l = gradient2(100, 20, 200, None);
        for i in 1..=10 {
            l.sample(at_ms(i), ms(30), 1, false, 0.5);
        }
        l.sample(at_ms(11), ms(10), 1, false, 0.5);
        let f = 2.0 / 601.0;
        assert_eq!(long_rtt(&l).value, (30e6 * (1.0 - f) + 10e6 * f) * 0.95);
    }

    #[test]
    fn windowed_limit_passes_nothing_until_ten_samples_and_a_second_then_their_average() {
        let mut l = gradient2(20, 20, 200, Some(WindowSpec::default()));
        // The first call (ending at 10 ms) ends Java's initial zero-length window, holding
        // one sample: too few, discarded; the next window ends at 10 ms + 1 s.
        l.sample(at_ms(10), ms(2), 30, false, 0.5);
        // 20 calls within that second, rtts alternating 2 and 4 ms, one of them with the
        // largest inflight (25), the last with 1; plus one faster than 100 µs, ignored.
        for i in 0..20u64 {
            let rtt = if i % 2 == 0 { 2 } else { 4 };
            let inflight = if i == 7 { 25 } else { 1 };
            l.sample(at_ms(20 + i * 40), ms(rtt), inflight, false, 0.5);
        }
        l.sample(at_ms(900), SimDuration::from_nanos(50_000), 99, false, 0.5);
        assert_eq!(long_rtt(&l).count, 0, "nothing passed within the second");
        assert_eq!(l.value(), 20.0);
        // A call ending after 1.01 s closes the window: 21 samples, rtt sum 10·2 + 10·4 + 4
        // = 64 ms, average 64/21 ms (integer ns); max inflight 25 (not app-limited at 20), so
        // L = 0.8·20 + 0.2·(20·1 + 4) = 20.8.
        l.sample(at_ms(1_011), ms(4), 1, false, 0.5);
        assert_eq!(long_rtt(&l).count, 1);
        assert_eq!(long_rtt(&l).value, (64 * MS / 21) as f64);
        assert!((l.value() - 20.8).abs() < 1e-9, "{}", l.value());
        // The next window ends at 2.011 s; the call ending at 2.1 s closes it with four
        // calls: too few, discarded.
        for i in 0..5u64 {
            l.sample(at_ms(1_500 + i * 200), ms(3), 30, false, 0.5);
        }
        assert_eq!(long_rtt(&l).count, 1);
    }
}
