//! Netflix's `VegasLimit` (`SimpleLimiter`'s default): TCP Vegas's queue estimate, from the
//! ratio of the no-load rtt to the current one, with `log₁₀`-sized steps and jittered probes of
//! the no-load rtt.

use super::ranges::smoothing_in_range;
use super::sample::Sample;

/// Netflix's `Log10RootFunction`, as the reference gives it: `max(1, ⌊log₁₀ L⌋)`.
///
/// Deviation, following the reference: Java's function only uses `log₁₀` below 1000 (a lookup
/// table) and returns `⌊√L⌋` from 1000 up, so at `L = 1000` (reachable with the default
/// `maxConcurrency` of 1000) Java's steps are 31 and its alpha/beta 93/186, where these are
/// 3 and 9/18.
fn log10_step(l: u32) -> u32 {
    // Java's table gives 1 for 0 as well (`(int) log10(0)` is `Integer.MIN_VALUE`).
    l.checked_ilog10().unwrap_or(0).max(1)
}

/// `VegasLimit`.
#[derive(Clone, Debug)]
pub(super) struct Vegas {
    limit: f64,
    max: u32,
    smoothing: f64,
    probe_multiplier: u32,
    /// Nanoseconds; 0 until the first sample (Java's sentinel too).
    rtt_noload: u64,
    probe_count: u64,
    /// `None` until the first sample draws it.
    probe_jitter: Option<f64>,
}

impl Vegas {
    /// At `initial`, from the fields of a [`LimitSpec::Vegas`](super::LimitSpec::Vegas).
    pub(super) fn new(
        initial: u32,
        max_concurrency: u32,
        smoothing: f64,
        probe_multiplier: u32,
    ) -> Vegas {
        Vegas {
            limit: initial as f64,
            max: max_concurrency,
            smoothing,
            probe_multiplier,
            rtt_noload: 0,
            probe_count: 0,
            probe_jitter: None,
        }
    }

    /// The limit, exact.
    pub(super) fn value(&self) -> f64 {
        self.limit
    }

    fn jitter(u: f64) -> f64 {
        // `ThreadLocalRandom.nextDouble(0.5, 1)`: uniform on [0.5, 1).
        0.5 + 0.5 * u
    }

    pub(super) fn update(&mut self, s: Sample, u: f64) {
        if s.rtt == 0 {
            // Java: `Preconditions.checkArgument(rtt > 0)` throws before any state changes.
            return;
        }
        let jitter = *self.probe_jitter.get_or_insert_with(|| Vegas::jitter(u));
        self.probe_count += 1;
        // `shouldProbe()`: against the current (moving) estimate, so the cycle stretches as
        // the limit grows.
        if jitter * self.probe_multiplier as f64 * self.limit <= self.probe_count as f64 {
            // A probe takes this rtt as the new no-load rtt and leaves the limit alone.
            self.probe_jitter = Some(Vegas::jitter(u));
            self.probe_count = 0;
            self.rtt_noload = s.rtt;
            return;
        }
        if self.rtt_noload == 0 || s.rtt < self.rtt_noload {
            // Java returns here without updating the limit (the reference only says the
            // no-load rtt is the minimum seen). A dropped call that comes back fast, such as
            // an immediate rejection, lowers the no-load rtt this way too, as in Java.
            self.rtt_noload = s.rtt;
            return;
        }
        let l = self.limit;
        let queue = (l * (1.0 - self.rtt_noload as f64 / s.rtt as f64)).ceil() as i64;
        // alpha, beta, threshold and the steps all take `(int) estimatedLimit`.
        let step = log10_step(l as u32);
        let new = if s.dropped {
            l - step as f64
        } else if s.inflight as f64 * 2.0 < l {
            // App-limited: not close enough to the limit to learn anything about it.
            return;
        } else {
            let (alpha, beta, threshold) = (3 * step as i64, 6 * step as i64, step as i64);
            if queue <= threshold {
                l + beta as f64
            } else if queue < alpha {
                l + step as f64
            } else if queue > beta {
                l - step as f64
            } else {
                return;
            }
        };
        let new = new.min(self.max as f64).max(1.0);
        self.limit = (1.0 - self.smoothing) * l + self.smoothing * new;
    }
}

/// Vegas's ranges, reported through `err` as [`check`](super::check) describes.
pub(super) fn check(
    initial: u32,
    max_concurrency: u32,
    smoothing: f64,
    probe_multiplier: u32,
    err: &mut impl FnMut(&str, String),
) {
    if max_concurrency == 0 {
        err(
            "max_concurrency",
            "Vegas max_concurrency must be at least 1 (Netflix VegasLimit clamps the limit to [1, maxConcurrency]); got 0".into(),
        );
    }
    if initial == 0 || initial > max_concurrency.max(1) {
        err(
            "initial",
            format!("Vegas initial must be in [1, max_concurrency = {max_concurrency}] (Netflix VegasLimit); got {initial}"),
        );
    }
    smoothing_in_range("Vegas", smoothing, err);
    if probe_multiplier == 0 {
        err(
            "probe_multiplier",
            "Vegas probe_multiplier must be at least 1 (Netflix VegasLimit, default 30; 0 would probe on every sample and never update the limit); got 0".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at_ms, ms, MS};
    use super::super::{Algo, Limit, LimitSpec};
    use super::*;
    use sim_core::SimDuration;

    fn vegas(initial: u32, smoothing: f64, probe_multiplier: u32) -> Limit {
        Limit::new(&LimitSpec::Vegas {
            initial,
            max_concurrency: 1000,
            smoothing,
            probe_multiplier,
        })
    }

    fn vegas_state(l: &Limit) -> &Vegas {
        match &l.algo {
            Algo::Vegas(v) => v,
            _ => unreachable!(),
        }
    }

    /// A Vegas limit at `initial` whose no-load rtt is `noload` ns (the first sample sets it
    /// and leaves the limit alone).
    fn vegas_with_noload(initial: u32, smoothing: f64, noload: u64) -> Limit {
        let mut l = vegas(initial, smoothing, 30);
        l.sample(at_ms(1), SimDuration::from_nanos(noload), 1, false, 0.5);
        assert_eq!(vegas_state(&l).rtt_noload, noload);
        assert_eq!(l.value(), initial as f64);
        l
    }

    #[test]
    fn vegas_adds_beta_when_the_queue_is_within_the_threshold() {
        // rtt_noload/rtt = 0.985: at L = 20, queue = ⌈20·0.015⌉ = ⌈0.3⌉ = 1 ≤ threshold 1,
        // so L + beta = 20 + 6.
        let mut l = vegas_with_noload(20, 1.0, 985_000);
        l.sample(at_ms(2), ms(1), 10, false, 0.5);
        assert_eq!(l.value(), 26.0);
    }

    #[test]
    fn vegas_uses_log10_steps_at_100_but_unit_steps_at_20() {
        // L = 100: log = 2, threshold 2, alpha 6, beta 12.
        // queue = ⌈100·0.015⌉ = ⌈1.5⌉ = 2 ≤ 2: 100 + 12.
        let mut l = vegas_with_noload(100, 1.0, 985_000);
        l.sample(at_ms(2), ms(1), 50, false, 0.5);
        assert_eq!(l.value(), 112.0);
        // queue = ⌈100·0.045⌉ = ⌈4.5⌉ = 5, in (2, 6): increase by log = 2.
        let mut l = vegas_with_noload(100, 1.0, 955_000);
        l.sample(at_ms(2), ms(1), 50, false, 0.5);
        assert_eq!(l.value(), 102.0);
        // queue = ⌈100·0.135⌉ = 14 > beta 12: decrease by 2.
        let mut l = vegas_with_noload(100, 1.0, 865_000);
        l.sample(at_ms(2), ms(1), 50, false, 0.5);
        assert_eq!(l.value(), 98.0);
        // queue = ⌈100·0.095⌉ = 10, in [alpha 6, beta 12]: unchanged.
        let mut l = vegas_with_noload(100, 1.0, 905_000);
        l.sample(at_ms(2), ms(1), 50, false, 0.5);
        assert_eq!(l.value(), 100.0);

        // L = 20: log = 1, threshold 1, alpha 3, beta 6.
        // queue = ⌈20·0.075⌉ = ⌈1.5⌉ = 2, in (1, 3): increase by 1.
        let mut l = vegas_with_noload(20, 1.0, 925_000);
        l.sample(at_ms(2), ms(1), 10, false, 0.5);
        assert_eq!(l.value(), 21.0);
        // queue = ⌈20·0.325⌉ = ⌈6.5⌉ = 7 > beta 6: decrease by 1.
        let mut l = vegas_with_noload(20, 1.0, 675_000);
        l.sample(at_ms(2), ms(1), 10, false, 0.5);
        assert_eq!(l.value(), 19.0);

        assert_eq!(
            [1, 9, 10, 99, 100, 999, 1000].map(log10_step),
            [1, 1, 1, 1, 2, 2, 3]
        );
    }

    #[test]
    fn vegas_decreases_on_a_drop_and_smooths_the_change() {
        // A drop decreases by log(20) = 1 whatever the queue (here none) and however few
        // calls are in flight; smoothing 0.5 gives 0.5·20 + 0.5·19.
        let mut l = vegas_with_noload(20, 0.5, 1_000_000);
        l.sample(at_ms(2), ms(1), 1, true, 0.5);
        assert_eq!(l.value(), 19.5);
        assert_eq!(l.limit(), 19);
        // At L = 100: 100 − 2.
        let mut l = vegas_with_noload(100, 1.0, 1_000_000);
        l.sample(at_ms(2), ms(1), 1, true, 0.5);
        assert_eq!(l.value(), 98.0);
    }

    #[test]
    fn vegas_holds_when_app_limited() {
        // No queue at all (queue 0 ≤ threshold), but 9·2 = 18 < 20: unchanged.
        let mut l = vegas_with_noload(20, 1.0, 1_000_000);
        l.sample(at_ms(2), ms(1), 9, false, 0.5);
        assert_eq!(l.value(), 20.0);
        // 10·2 = 20 is not < 20: L + beta.
        l.sample(at_ms(3), ms(1), 10, false, 0.5);
        assert_eq!(l.value(), 26.0);
    }

    #[test]
    fn vegas_clamps_to_max_concurrency() {
        let mut l = Limit::new(&LimitSpec::Vegas {
            initial: 22,
            max_concurrency: 25,
            smoothing: 1.0,
            probe_multiplier: 30,
        });
        l.sample(at_ms(1), ms(1), 1, false, 0.5);
        // 22 + 6 = 28, clamped to 25.
        l.sample(at_ms(2), ms(1), 22, false, 0.5);
        assert_eq!(l.value(), 25.0);
    }

    #[test]
    fn a_new_minimum_rtt_sets_rtt_noload_without_updating_the_vegas_limit() {
        let mut l = vegas_with_noload(20, 1.0, 2_000_000);
        l.sample(at_ms(2), ms(1), 20, false, 0.5);
        assert_eq!(vegas_state(&l).rtt_noload, MS);
        assert_eq!(l.value(), 20.0);
    }

    #[test]
    fn vegas_probe_resets_rtt_noload_after_the_jittered_sample_count() {
        // u = 0.5: jitter 0.75; probe when 0.75·2·10 = 15 ≤ probe count.
        let mut l = vegas(10, 1.0, 2);
        l.sample(at_ms(1), ms(10), 1, false, 0.5);
        assert_eq!(vegas_state(&l).probe_jitter, Some(0.75));
        // Samples 2..=14 at 20 ms, app-limited (1·2 < 10): nothing changes.
        for i in 2..=14 {
            l.sample(at_ms(i), ms(20), 1, false, 0.9);
            assert_eq!(vegas_state(&l).rtt_noload, 10 * MS, "sample {i}");
        }
        assert_eq!(vegas_state(&l).probe_count, 14);
        // Sample 15 probes: the no-load rtt becomes this rtt, the count restarts, and the
        // next jitter comes from this sample's u: 0.5 + 0.5·0.2 = 0.6.
        l.sample(at_ms(15), ms(20), 1, false, 0.2);
        let v = vegas_state(&l);
        assert_eq!(v.rtt_noload, 20 * MS);
        assert_eq!(v.probe_count, 0);
        assert!((v.probe_jitter.unwrap() - 0.6).abs() < 1e-15);
        assert_eq!(l.value(), 10.0);
        // With the new no-load rtt a 20 ms call shows no queue: L + beta = 16. Before the
        // probe the same call gave queue ⌈10·0.5⌉ = 5 ∈ [alpha 3, beta 6]: unchanged.
        l.sample(at_ms(16), ms(20), 10, false, 0.5);
        assert_eq!(l.value(), 16.0);
    }
}
