//! Envoy's two statistical detectors, run at each interval sweep over that interval's counts
//! of the hosts in service: success rate (`mean − factor·stdev`) and failure percentage (a
//! fixed threshold). They only find the outliers; the detector decides whether to eject each.

use super::host::Host;
use super::spec::OutlierSpec;

/// Success rates (percent) of the hosts in service with at least `success_rate_request_volume`
/// results this interval; below `mean − (factor/1000)·stdev` (population stdev) is an outlier.
/// Leaves the outliers in `rates`, with their success rates, in host order: none if fewer than
/// `success_rate_minimum_hosts` take part.
pub(super) fn success_rate_outliers(
    spec: &OutlierSpec,
    hosts: &[Host],
    rates: &mut Vec<(usize, f64)>,
) {
    let volume = spec.success_rate_request_volume as u64;
    rates.clear();
    let mut sum = 0.0;
    for (i, h) in hosts.iter().enumerate() {
        // Envoy has no rate for a host without requests, whatever the volume setting.
        if h.ejected_at.is_none() && h.requests > 0 && h.requests >= volume {
            let rate = h.successes as f64 * 100.0 / h.requests as f64;
            sum += rate;
            rates.push((i, rate));
        }
    }
    if !rates.is_empty() && rates.len() >= spec.success_rate_minimum_hosts as usize {
        let n = rates.len() as f64;
        let mean = sum / n;
        let variance = rates.iter().map(|&(_, r)| (r - mean).powi(2)).sum::<f64>() / n;
        let factor = spec.success_rate_stdev_factor as f64 / 1000.0;
        let threshold = mean - factor * variance.sqrt();
        rates.retain(|&(_, rate)| rate < threshold);
    } else {
        rates.clear();
    }
}

/// Failure percentages of the hosts in service with at least
/// `failure_percentage_request_volume` results this interval; at or above the threshold is
/// an outlier. Leaves the outliers in `rates`, with their success rates, in host order: none
/// if fewer than `failure_percentage_minimum_hosts` take part.
pub(super) fn failure_percentage_outliers(
    spec: &OutlierSpec,
    hosts: &[Host],
    rates: &mut Vec<(usize, f64)>,
) {
    let volume = spec.failure_percentage_request_volume as u64;
    rates.clear();
    for (i, h) in hosts.iter().enumerate() {
        // Skipping ejected hosts also skips those the success-rate check just ejected;
        // Envoy would call `ejectHost` on them a second time (a debug assertion, and a
        // double count in release builds).
        if h.ejected_at.is_none() && h.requests > 0 && h.requests >= volume {
            rates.push((i, h.successes as f64 * 100.0 / h.requests as f64));
        }
    }
    if !rates.is_empty() && rates.len() >= spec.failure_percentage_minimum_hosts as usize {
        let threshold = spec.failure_percentage_threshold as f64;
        rates.retain(|&(_, success_rate)| 100.0 - success_rate >= threshold);
    } else {
        rates.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{s, ALWAYS};
    use super::super::{HostResult, OutlierDetector, OutlierSpec};

    /// One interval of `requests` results with `successes` successes (5xx otherwise), in order
    /// successes first so that no consecutive-5xx run is long enough to matter.
    fn interval_counts(d: &mut OutlierDetector, host: usize, requests: u32, successes: u32) {
        for i in 0..requests {
            let r = if i < successes {
                HostResult::Success
            } else {
                HostResult::Error
            };
            // Draws of 0.999 never enforce below 100 %: keep consecutive ejections out of it.
            d.record(s(1), host, r, 0.999_999);
        }
    }

    fn no_consecutive() -> OutlierSpec {
        OutlierSpec {
            consecutive_5xx: 0,
            consecutive_gateway_failure: 0,
            ..Default::default()
        }
    }

    #[test]
    fn success_rate_check_ejects_the_one_outlier_of_five() {
        // Success rates {50, 100, 100, 100, 100}: mean 90, population variance
        // (40² + 4·10²)/5 = 400, stdev 20, threshold 90 − 1.9·20 = 52. Only 50 is below.
        let mut d = OutlierDetector::new(no_consecutive(), 5);
        interval_counts(&mut d, 0, 100, 50);
        for host in 1..5 {
            interval_counts(&mut d, host, 100, 100);
        }
        let mut draws = 0;
        let swept = d
            .sweep(s(10), &mut || {
                draws += 1;
                ALWAYS
            })
            .to_vec();
        assert_eq!(swept, vec![0]);
        assert_eq!(draws, 1, "a draw only for the outlier");
        assert_eq!(d.ejections().success_rate, 1);
        assert!(d.is_ejected(0));
    }

    #[test]
    fn success_rate_exactly_at_the_threshold_is_not_an_outlier() {
        // Same rates, factor 2.0: threshold 90 − 2·20 = 50, and 50 is not below 50. At 1.999
        // the threshold is 50.02 and the host is out.
        for (factor, ejected) in [(2000, false), (1999, true)] {
            let spec = OutlierSpec {
                success_rate_stdev_factor: factor,
                ..no_consecutive()
            };
            let mut d = OutlierDetector::new(spec, 5);
            interval_counts(&mut d, 0, 100, 50);
            for host in 1..5 {
                interval_counts(&mut d, host, 100, 100);
            }
            d.sweep(s(10), &mut || ALWAYS);
            assert_eq!(d.is_ejected(0), ejected, "factor {factor}");
        }
    }

    #[test]
    fn success_rate_check_needs_the_minimum_number_of_hosts() {
        let mut d = OutlierDetector::new(no_consecutive(), 4);
        interval_counts(&mut d, 0, 100, 50);
        for host in 1..4 {
            interval_counts(&mut d, host, 100, 100);
        }
        assert!(d.sweep(s(10), &mut || panic!("no draw")).is_empty());
        // Five hosts but one under the request volume: 4 take part, still too few.
        let mut d = OutlierDetector::new(no_consecutive(), 5);
        interval_counts(&mut d, 0, 100, 50);
        for host in 1..4 {
            interval_counts(&mut d, host, 100, 100);
        }
        interval_counts(&mut d, 4, 99, 99);
        assert!(d.sweep(s(10), &mut || panic!("no draw")).is_empty());
    }

    #[test]
    fn interval_counts_start_again_at_each_sweep() {
        // 60 + 60 requests over two intervals never reach the volume of 100 in one.
        let mut d = OutlierDetector::new(no_consecutive(), 5);
        for t in [10, 20] {
            interval_counts(&mut d, 0, 60, 30);
            for host in 1..5 {
                interval_counts(&mut d, host, 60, 60);
            }
            assert!(d.sweep(s(t), &mut || panic!("no draw")).is_empty());
        }
    }

    #[test]
    fn failure_percentage_ejects_at_85_percent_not_84() {
        // The success-rate check is kept out by its minimum hosts.
        let spec = OutlierSpec {
            enforcing_failure_percentage: 100,
            success_rate_minimum_hosts: 100,
            ..no_consecutive()
        };
        let mut d = OutlierDetector::new(spec.clone(), 5);
        interval_counts(&mut d, 0, 100, 15); // 85 % failures
        for host in 1..5 {
            interval_counts(&mut d, host, 100, 100);
        }
        assert_eq!(d.sweep(s(10), &mut || ALWAYS), [0]);
        assert_eq!(d.ejections().failure_percentage, 1);
        let mut d = OutlierDetector::new(spec, 5);
        interval_counts(&mut d, 0, 100, 16); // 84 %
        for host in 1..5 {
            interval_counts(&mut d, host, 100, 100);
        }
        assert!(d.sweep(s(10), &mut || panic!("no draw")).is_empty());
    }

    #[test]
    fn failure_percentage_is_not_enforced_by_default() {
        let spec = OutlierSpec {
            success_rate_minimum_hosts: 100,
            ..no_consecutive()
        };
        let mut d = OutlierDetector::new(spec, 5);
        for host in 0..5 {
            interval_counts(&mut d, host, 100, 0); // every host fails everything
        }
        assert!(d.sweep(s(10), &mut || 0.000_001).is_empty());
        assert_eq!(d.ejections().total(), 0);
    }
}
