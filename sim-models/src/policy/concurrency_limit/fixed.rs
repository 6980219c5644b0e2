//! Netflix's `FixedLimit`: a limit that never changes, whatever its samples say. Its state is
//! its value alone (`Algo::Fixed`); here are its range check and its tests.

/// `FixedLimit`'s range: at least 1.
pub(super) fn check(limit: u32, err: &mut impl FnMut(&str, String)) {
    if limit == 0 {
        err(
            "limit",
            "a Fixed limit must be at least 1 (0 admits no call); got 0".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at_ms, ms};
    use super::super::{Limit, LimitSpec};

    #[test]
    fn a_fixed_limit_never_changes() {
        let mut l = Limit::new(&LimitSpec::Fixed { limit: 7 });
        for (i, &(rtt, inflight, dropped)) in [(1, 7, false), (10_000, 1, true), (5, 100, false)]
            .iter()
            .enumerate()
        {
            l.sample(at_ms(i as u64), ms(rtt), inflight, dropped, 0.5);
            assert_eq!(l.limit(), 7);
            assert_eq!(l.value(), 7.0);
        }
    }
}
