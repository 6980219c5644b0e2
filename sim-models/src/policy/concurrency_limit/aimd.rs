//! Netflix's `AIMDLimit`: additive increase while busy, multiplicative decrease on a drop or a
//! call slower than the timeout.

use super::ranges::bounds;
use super::sample::Sample;
use sim_core::SimDuration;

/// `AIMDLimit`: an integer limit, as Java's `getLimit()`.
#[derive(Clone, Debug)]
pub(super) struct Aimd {
    limit: u32,
    min: u32,
    max: u32,
    backoff_ratio: f64,
    /// Nanoseconds.
    timeout: u64,
}

impl Aimd {
    /// At `initial`, from the fields of a [`LimitSpec::Aimd`](super::LimitSpec::Aimd).
    pub(super) fn new(
        initial: u32,
        min: u32,
        max: u32,
        backoff_ratio: f64,
        timeout: SimDuration,
    ) -> Aimd {
        Aimd {
            limit: initial,
            min,
            max,
            backoff_ratio,
            timeout: timeout.as_nanos(),
        }
    }

    /// The limit, exact (it is an integer).
    pub(super) fn value(&self) -> f64 {
        self.limit as f64
    }

    pub(super) fn update(&mut self, s: Sample) {
        let mut l = self.limit;
        if s.dropped || s.rtt > self.timeout {
            // Java's `(int) (currentLimit * backoffRatio)` truncates, i.e. floors.
            l = (l as f64 * self.backoff_ratio) as u32;
        } else if s.inflight as u64 * 2 >= l as u64 {
            l = l.saturating_add(1);
        }
        // `Math.min(maxLimit, Math.max(minLimit, l))`: not `clamp`, which would panic on an
        // unchecked spec with min > max where Java yields max.
        self.limit = l.max(self.min).min(self.max);
    }
}

/// AIMD's ranges, reported through `err` as [`check`](super::check) describes.
pub(super) fn check(
    initial: u32,
    min: u32,
    max: u32,
    backoff_ratio: f64,
    timeout: SimDuration,
    err: &mut impl FnMut(&str, String),
) {
    bounds("AIMD", initial, min, max, "maxLimit", err);
    if !(0.5..1.0).contains(&backoff_ratio) {
        err(
            "backoff_ratio",
            format!(
                "AIMD backoff_ratio must be in [0.5, 1) (Netflix AIMDLimit); got {backoff_ratio}"
            ),
        );
    }
    if timeout == SimDuration::ZERO {
        err(
            "timeout",
            "AIMD timeout must be > 0 (Netflix AIMDLimit); got 0".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at_ms, ms};
    use super::super::{check, Limit, LimitSpec};
    use sim_core::SimDuration;

    fn aimd(initial: u32, min: u32, max: u32) -> Limit {
        Limit::new(&LimitSpec::Aimd {
            initial,
            min,
            max,
            backoff_ratio: 0.9,
            timeout: SimDuration::from_secs(5),
        })
    }

    #[test]
    fn aimd_grows_by_one_only_when_inflight_is_at_least_half_the_limit() {
        let mut l = aimd(20, 20, 200);
        // 9·2 = 18 < 20: unchanged.
        l.sample(at_ms(1), ms(10), 9, false, 0.5);
        assert_eq!(l.limit(), 20);
        // 10·2 = 20 ≥ 20: +1.
        l.sample(at_ms(2), ms(10), 10, false, 0.5);
        assert_eq!(l.limit(), 21);
        // 10·2 = 20 < 21: unchanged.
        l.sample(at_ms(3), ms(10), 10, false, 0.5);
        assert_eq!(l.limit(), 21);
        l.sample(at_ms(4), ms(10), 11, false, 0.5);
        assert_eq!(l.limit(), 22);
        assert_eq!(l.value(), 22.0);
    }

    #[test]
    fn aimd_backs_off_to_the_floor_of_ninety_percent_on_a_drop_and_on_a_slow_call() {
        let mut l = aimd(50, 10, 200);
        // Drop: ⌊50·0.9⌋ = 45.
        l.sample(at_ms(1), ms(10), 50, true, 0.5);
        assert_eq!(l.limit(), 45);
        // rtt 5.001 s > 5 s: ⌊45·0.9⌋ = ⌊40.5⌋ = 40, even with inflight high.
        l.sample(at_ms(2), ms(5_001), 45, false, 0.5);
        assert_eq!(l.limit(), 40);
        // rtt exactly 5 s is not over the timeout: 20·2 ≥ 40, so +1.
        l.sample(at_ms(3), ms(5_000), 20, false, 0.5);
        assert_eq!(l.limit(), 41);
        // Drop at 41: ⌊36.9⌋ = 36.
        l.sample(at_ms(4), ms(10), 1, true, 0.5);
        assert_eq!(l.limit(), 36);
    }

    #[test]
    fn aimd_clamps_to_min_and_max() {
        let mut l = aimd(20, 20, 21);
        // ⌊20·0.9⌋ = 18, raised to min 20.
        l.sample(at_ms(1), ms(10), 20, true, 0.5);
        assert_eq!(l.limit(), 20);
        l.sample(at_ms(2), ms(10), 20, false, 0.5);
        assert_eq!(l.limit(), 21);
        // 22 is over max 21.
        l.sample(at_ms(3), ms(10), 21, false, 0.5);
        assert_eq!(l.limit(), 21);
    }

    #[test]
    fn check_rejects_aimd_backoff_ratios_outside_half_to_one() {
        for bad in [0.4, 1.0, 1.2] {
            let spec = LimitSpec::Aimd {
                initial: 20,
                min: 20,
                max: 200,
                backoff_ratio: bad,
                timeout: SimDuration::from_secs(5),
            };
            let found = check(&spec);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].0, "backoff_ratio");
            assert_eq!(
                found[0].1,
                format!("AIMD backoff_ratio must be in [0.5, 1) (Netflix AIMDLimit); got {bad}")
            );
        }
        for good in [0.5, 0.9, 0.99] {
            let spec = LimitSpec::Aimd {
                initial: 20,
                min: 20,
                max: 200,
                backoff_ratio: good,
                timeout: SimDuration::from_secs(5),
            };
            assert!(check(&spec).is_empty());
        }
        // Gradient's own range includes 1.
        let spec = |backoff_ratio| LimitSpec::Gradient {
            initial: 50,
            min: 1,
            max: 1000,
            smoothing: 0.2,
            rtt_tolerance: 2.0,
            backoff_ratio,
            probe_interval: Some(1000),
        };
        assert!(check(&spec(1.0)).is_empty());
        let found = check(&spec(0.4));
        assert_eq!(found[0].0, "backoff_ratio");
        assert!(found[0].1.contains("[0.5, 1]"), "{}", found[0].1);
    }
}
