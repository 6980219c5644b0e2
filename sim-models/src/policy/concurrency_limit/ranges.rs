//! Range checks that several limit algorithms share, each message naming the algorithm.

/// `min ≥ 1`, `max ≥ 1`, `min ≤ max`, `initial ∈ [min, max]`.
pub(super) fn bounds(
    algo: &str,
    initial: u32,
    min: u32,
    max: u32,
    max_name: &str,
    err: &mut impl FnMut(&str, String),
) {
    if min == 0 {
        err(
            "min",
            format!("{algo} min must be at least 1 (a limit of 0 admits no call and so never learns); got 0"),
        );
    }
    if max == 0 {
        err(
            "max",
            format!("{algo} max ({max_name}) must be at least 1; got 0"),
        );
    }
    if min > max {
        err(
            "min",
            format!("{algo} min must be <= max; got min {min} > max {max}"),
        );
    } else if max > 0 && !(min.max(1)..=max).contains(&initial) {
        err(
            "initial",
            format!(
                "{algo} initial must be in [min, max] = [{}, {max}]; got {initial}",
                min.max(1)
            ),
        );
    }
}

pub(super) fn smoothing_in_range(algo: &str, smoothing: f64, err: &mut impl FnMut(&str, String)) {
    if !(smoothing > 0.0 && smoothing <= 1.0) {
        err(
            "smoothing",
            format!("{algo} smoothing must be in (0, 1] (Netflix: 1.0 takes each new estimate whole; 0 would never move); got {smoothing}"),
        );
    }
}

pub(super) fn tolerance_in_range(
    algo: &str,
    class: &str,
    tolerance: f64,
    err: &mut impl FnMut(&str, String),
) {
    if !(tolerance >= 1.0 && tolerance.is_finite()) {
        err(
            "rtt_tolerance",
            format!("{algo} rtt_tolerance must be >= 1.0 (Netflix {class}); got {tolerance}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::fields;
    use super::super::{check, LimitSpec};

    #[test]
    fn check_rejects_min_over_max_and_initial_outside_the_bounds() {
        let g2 = |initial, min, max| LimitSpec::Gradient2 {
            initial,
            min,
            max,
            smoothing: 0.2,
            queue_size: 4,
            long_window: 600,
            rtt_tolerance: 1.5,
            window: None,
        };
        let found = check(&g2(20, 50, 40));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "min");
        assert!(found[0].1.contains("min 50 > max 40"), "{}", found[0].1);
        for initial in [19, 201] {
            let found = check(&g2(initial, 20, 200));
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].0, "initial");
            assert!(found[0].1.contains("[20, 200]"), "{}", found[0].1);
        }
        assert!(check(&g2(20, 20, 200)).is_empty());
        let vegas = LimitSpec::Vegas {
            initial: 1001,
            max_concurrency: 1000,
            smoothing: 1.0,
            probe_multiplier: 30,
        };
        let found = check(&vegas);
        assert_eq!(fields(&vegas), ["initial"]);
        assert!(found[0].1.contains("[1, max_concurrency = 1000]"));
    }

    #[test]
    fn check_rejects_smoothing_outside_zero_to_one() {
        for bad in [0.0, -0.1, 1.5, f64::NAN] {
            let spec = LimitSpec::Vegas {
                initial: 20,
                max_concurrency: 1000,
                smoothing: bad,
                probe_multiplier: 30,
            };
            let found = check(&spec);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].0, "smoothing");
            assert!(found[0].1.contains("(0, 1]"), "{}", found[0].1);
        }
        let spec = LimitSpec::Vegas {
            initial: 20,
            max_concurrency: 1000,
            smoothing: 1.0,
            probe_multiplier: 30,
        };
        assert!(check(&spec).is_empty());
    }
}
