//! The ejection state machine of the module's diagram ([`OutlierDetector`]): each result
//! counted as it arrives, with the consecutive-5xx and gateway-failure detections inline; the
//! interval sweep that brings hosts back and runs the statistical detectors (`detection.rs`);
//! and `ejectHost`, where `max_ejection_percent` and the enforcing draw decide.

use super::detection;
use super::host::{Host, HostResult};
use super::spec::OutlierSpec;
use serde::Serialize;
use sim_core::{SimDuration, SimTime};

/// Enforced ejections so far, by reason (Envoy's `ejections_enforced_*` counters), and the
/// detections that `max_ejection_percent` refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EjectionCounts {
    /// Ejections for consecutive 5xx.
    pub consecutive_5xx: u64,
    /// Ejections for consecutive gateway failures.
    pub consecutive_gateway_failure: u64,
    /// Ejections by the success-rate check.
    pub success_rate: u64,
    /// Ejections by the failure-percentage check.
    pub failure_percentage: u64,
    /// Detections not ejected because too many hosts were out (Envoy's `ejections_overflow`).
    pub overflow: u64,
}

impl EjectionCounts {
    /// Every enforced ejection (Envoy's `ejections_enforced_total`).
    pub fn total(&self) -> u64 {
        self.consecutive_5xx
            + self.consecutive_gateway_failure
            + self.success_rate
            + self.failure_percentage
    }
}

/// Why a host is up for ejection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    Consecutive5xx,
    ConsecutiveGatewayFailure,
    SuccessRate,
    FailurePercentage,
}

/// What came of an attempt to eject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attempt {
    Ejected,
    /// `max_ejection_percent` refused it before any draw.
    Overflow,
    /// The enforcing draw said no.
    NotEnforced,
}

/// Outlier detection over a fixed set of hosts, numbered from 0.
#[derive(Clone, Debug)]
pub struct OutlierDetector {
    spec: OutlierSpec,
    /// `max_ejection_time`, at least `base_ejection_time`.
    max_ejection_time: SimDuration,
    hosts: Vec<Host>,
    /// Hosts ejected now (Envoy's `ejections_active`).
    ejected: usize,
    counts: EjectionCounts,
    /// Hosts taking part in a sweep's check, with their success rates (reused buffer).
    rates: Vec<(usize, f64)>,
    /// Hosts the last sweep ejected (reused buffer).
    swept: Vec<usize>,
}

impl OutlierDetector {
    /// A detector with every host in service.
    pub fn new(spec: OutlierSpec, hosts: usize) -> Self {
        // Envoy's default for an unset max is max(300 s, base); a max below base is refused by
        // [`check`] unless it is the default, which cannot be told from an unset field.
        let max_ejection_time = spec.max_ejection_time.max(spec.base_ejection_time);
        OutlierDetector {
            spec,
            max_ejection_time,
            hosts: vec![Host::default(); hosts],
            ejected: 0,
            counts: EjectionCounts::default(),
            rates: Vec::with_capacity(hosts),
            swept: Vec::with_capacity(hosts),
        }
    }

    /// The specification in force (the caller sweeps every `spec().interval`).
    pub fn spec(&self) -> &OutlierSpec {
        &self.spec
    }

    /// A result from `host` at `now`; `u` is a uniform draw in (0, 1) from the simulator's
    /// seeded stream, used for the enforcing percentage (eject iff `u·100 < enforcing`).
    /// Returns true if the host was ejected now.
    ///
    /// Results from an ejected host still count (Envoy records them), but the consecutive
    /// counters of an ejected host are not reset when they reach the threshold, so they cannot
    /// fire again until a success or the host's return resets them.
    pub fn record(&mut self, now: SimTime, host: usize, result: HostResult, u: f64) -> bool {
        let spec = &self.spec;
        let h = &mut self.hosts[host];
        h.requests += 1;
        // Envoy fires when the incremented counter *equals* the threshold.
        let (gateway_hit, five_xx_hit) = match result {
            HostResult::Success => {
                h.successes += 1;
                h.consecutive_5xx = 0;
                h.consecutive_gateway_failure = 0;
                return false;
            }
            HostResult::Error => {
                h.consecutive_gateway_failure = 0;
                h.consecutive_5xx = h.consecutive_5xx.saturating_add(1);
                (false, h.consecutive_5xx == spec.consecutive_5xx)
            }
            HostResult::GatewayError => {
                h.consecutive_gateway_failure = h.consecutive_gateway_failure.saturating_add(1);
                h.consecutive_5xx = h.consecutive_5xx.saturating_add(1);
                (
                    h.consecutive_gateway_failure == spec.consecutive_gateway_failure,
                    h.consecutive_5xx == spec.consecutive_5xx,
                )
            }
        };
        let mut u = u;
        // Envoy handles the gateway detection first, then the 5xx one, each with its own draw.
        if gateway_hit && !self.is_ejected(host) {
            let attempt = self.attempt(now, host, Reason::ConsecutiveGatewayFailure, || u);
            self.hosts[host].consecutive_gateway_failure = 0; // ejected or not
            match attempt {
                Attempt::Ejected => return true, // the 5xx detection finds it ejected
                Attempt::Overflow => {}          // no draw taken: `u` is still fresh
                Attempt::NotEnforced => {
                    // Given that the draw failed, u is uniform on [g, 1): rescaled, it is an
                    // independent uniform for the second detection, as Envoy's second draw.
                    let g =
                        (self.spec.enforcing_consecutive_gateway_failure as f64 / 100.0).min(1.0);
                    u = ((u - g) / (1.0 - g)).clamp(0.0, 1.0);
                }
            }
        }
        if five_xx_hit && !self.is_ejected(host) {
            let attempt = self.attempt(now, host, Reason::Consecutive5xx, || u);
            self.hosts[host].consecutive_5xx = 0; // ejected or not
            return attempt == Attempt::Ejected;
        }
        false
    }

    /// The interval sweep at `now` (Envoy's `onIntervalTimer`), in Envoy's order: hosts whose
    /// ejection has run out come back; the success-rate check, then the failure-percentage
    /// check, run over this interval's counts of the hosts in service; the ejection multiplier
    /// of each host in service that came back at least one interval ago goes down by one; the
    /// interval counts start again. `draw` yields uniform draws in (0, 1), one for each
    /// detection that `max_ejection_percent` lets through, in host order. Returns the hosts
    /// ejected in this sweep.
    pub fn sweep(&mut self, now: SimTime, draw: &mut dyn FnMut() -> f64) -> &[usize] {
        self.swept.clear();
        for h in &mut self.hosts {
            let Some(at) = h.ejected_at else { continue };
            let base = self.spec.base_ejection_time.as_nanos();
            let lasts = base
                .saturating_mul(h.multiplier as u64)
                .min(self.max_ejection_time.as_nanos());
            if now - at >= SimDuration::from_nanos(lasts) {
                h.ejected_at = None;
                h.unejected_at = Some(now);
                // Envoy resets both so that a host does not come back one error from ejection.
                h.consecutive_5xx = 0;
                h.consecutive_gateway_failure = 0;
                self.ejected -= 1;
            }
        }
        self.success_rate_check(now, draw);
        self.failure_percentage_check(now, draw);
        let interval = self.spec.interval;
        for h in &mut self.hosts {
            // "Healthy and not ejected since the last check": a host that came back at this
            // very sweep keeps its multiplier until the next one.
            let healthy =
                h.ejected_at.is_none() && h.unejected_at.is_some_and(|t| now - t >= interval);
            if healthy && h.multiplier > 0 {
                h.multiplier -= 1;
            }
            h.requests = 0;
            h.successes = 0;
        }
        &self.swept
    }

    /// Whether `host` is ejected. As in Envoy, hosts come back only at a sweep (the interval
    /// timer), so a host whose ejection time has run out stays ejected until the next sweep.
    pub fn is_ejected(&self, host: usize) -> bool {
        self.hosts[host].ejected_at.is_some()
    }

    /// Hosts ejected now.
    pub fn ejected_count(&self) -> usize {
        self.ejected
    }

    /// Ejections so far, by reason.
    pub fn ejections(&self) -> &EjectionCounts {
        &self.counts
    }

    /// Envoy's success-rate check: an ejection attempt for each outlier, in host order.
    fn success_rate_check(&mut self, now: SimTime, draw: &mut dyn FnMut() -> f64) {
        let mut rates = std::mem::take(&mut self.rates);
        detection::success_rate_outliers(&self.spec, &self.hosts, &mut rates);
        for &(i, _) in &rates {
            self.attempt(now, i, Reason::SuccessRate, &mut *draw);
        }
        self.rates = rates;
    }

    /// Envoy's failure-percentage check, after the success-rate one: an ejection attempt for
    /// each outlier, in host order.
    fn failure_percentage_check(&mut self, now: SimTime, draw: &mut dyn FnMut() -> f64) {
        let mut rates = std::mem::take(&mut self.rates);
        detection::failure_percentage_outliers(&self.spec, &self.hosts, &mut rates);
        for &(i, _) in &rates {
            self.attempt(now, i, Reason::FailurePercentage, &mut *draw);
        }
        self.rates = rates;
    }

    /// Envoy's `ejectHost`: the `max_ejection_percent` check first, then the enforcing draw
    /// (taken only if the check passes), then the ejection.
    fn attempt(
        &mut self,
        now: SimTime,
        host: usize,
        reason: Reason,
        draw: impl FnOnce() -> f64,
    ) -> Attempt {
        // One host can always be ejected (even at 0 %); after that, only while the hosts
        // already out are under the percentage, counted before this ejection (in integers, so
        // that 1 of 10 at 10 % is exactly at the limit). This is the rule of
        // `policy-semantics.md` and of Envoy before 1.27, whose check was
        // `100·active/hosts < max` (which refused even the first host at 0 %). Envoy 1.27+
        // counts the host being ejected, `100·(active+1)/hosts <= max`, and guarantees one
        // ejection only with `always_eject_one_host` (1.31+).
        let max_percent = self.spec.max_ejection_percent.min(100) as u64;
        let allowed = self.ejected == 0
            || 100 * (self.ejected as u64) < max_percent * self.hosts.len() as u64;
        if !allowed {
            self.counts.overflow += 1;
            return Attempt::Overflow;
        }
        let enforcing = match reason {
            Reason::Consecutive5xx => self.spec.enforcing_consecutive_5xx,
            Reason::ConsecutiveGatewayFailure => self.spec.enforcing_consecutive_gateway_failure,
            Reason::SuccessRate => self.spec.enforcing_success_rate,
            Reason::FailurePercentage => self.spec.enforcing_failure_percentage,
        };
        if draw() * 100.0 >= enforcing as f64 {
            return Attempt::NotEnforced;
        }
        let base = self.spec.base_ejection_time.as_nanos();
        let h = &mut self.hosts[host];
        h.ejected_at = Some(now);
        // Envoy grows the multiplier only while base·multiplier < max + base, so that a host
        // ejected many times in a row needs a bounded number of healthy sweeps to recover.
        let cap = self.max_ejection_time.as_nanos().saturating_add(base);
        if base.saturating_mul(h.multiplier as u64) < cap {
            h.multiplier += 1;
        }
        self.ejected += 1;
        let counter = match reason {
            Reason::Consecutive5xx => &mut self.counts.consecutive_5xx,
            Reason::ConsecutiveGatewayFailure => &mut self.counts.consecutive_gateway_failure,
            Reason::SuccessRate => &mut self.counts.success_rate,
            Reason::FailurePercentage => &mut self.counts.failure_percentage,
        };
        *counter += 1;
        if matches!(reason, Reason::SuccessRate | Reason::FailurePercentage) {
            self.swept.push(host);
        }
        Attempt::Ejected
    }
}

#[cfg(test)]
mod tests {
    use super::super::check;
    use super::super::testing::{s, ALWAYS};
    use super::*;

    fn results(d: &mut OutlierDetector, at: SimTime, host: usize, r: HostResult, n: u32) -> bool {
        (0..n).fold(false, |ejected, _| d.record(at, host, r, ALWAYS) || ejected)
    }

    /// Sweeps every 10 s (the default interval) in `[from, to]`; returns the time of the sweep
    /// that brought `host` back, if one did.
    fn sweep_until_back(d: &mut OutlierDetector, host: usize, from: u64, to: u64) -> Option<u64> {
        (from..=to).step_by(10).find(|&t| {
            d.sweep(s(t), &mut || ALWAYS);
            !d.is_ejected(host)
        })
    }

    #[test]
    fn five_consecutive_5xx_eject_inline() {
        let mut d = OutlierDetector::new(OutlierSpec::default(), 5);
        assert!(!results(&mut d, s(1), 0, HostResult::Error, 4));
        assert!(d.record(s(1), 0, HostResult::Error, ALWAYS), "the 5th");
        assert!(d.is_ejected(0));
        assert_eq!(d.ejected_count(), 1);
        assert_eq!(d.ejections().consecutive_5xx, 1);
    }

    #[test]
    fn four_5xx_then_a_success_do_not_eject() {
        let mut d = OutlierDetector::new(OutlierSpec::default(), 5);
        results(&mut d, s(1), 0, HostResult::Error, 4);
        d.record(s(1), 0, HostResult::Success, ALWAYS);
        assert!(
            !results(&mut d, s(1), 0, HostResult::Error, 4),
            "4 + 4 with a success between"
        );
        assert!(!d.is_ejected(0));
        assert!(d.record(s(1), 0, HostResult::Error, ALWAYS), "5 in a row");
    }

    #[test]
    fn enforcing_is_the_chance_that_u_times_100_is_below_it() {
        let spec = OutlierSpec {
            enforcing_consecutive_5xx: 50,
            ..Default::default()
        };
        let mut d = OutlierDetector::new(spec, 5);
        for _ in 0..4 {
            d.record(s(1), 0, HostResult::Error, 0.0);
        }
        assert!(!d.record(s(1), 0, HostResult::Error, 0.5), "50 is not < 50");
        // The counter was reset when the threshold was hit, ejected or not: five more.
        for _ in 0..4 {
            assert!(!d.record(s(1), 0, HostResult::Error, 0.0));
        }
        assert!(d.record(s(1), 0, HostResult::Error, 0.49));
    }

    #[test]
    fn gateway_failures_do_not_eject_with_the_default_enforcing_zero() {
        // consecutive_5xx out of reach, to see the gateway detection alone.
        let spec = OutlierSpec {
            consecutive_5xx: 100,
            ..Default::default()
        };
        let mut d = OutlierDetector::new(spec, 5);
        assert!(!results(&mut d, s(1), 0, HostResult::GatewayError, 20));
        assert_eq!(d.ejections().total(), 0);
    }

    #[test]
    fn gateway_failures_eject_with_enforcing_100() {
        let spec = OutlierSpec {
            consecutive_5xx: 100,
            enforcing_consecutive_gateway_failure: 100,
            ..Default::default()
        };
        let mut d = OutlierDetector::new(spec, 5);
        assert!(!results(&mut d, s(1), 0, HostResult::GatewayError, 4));
        assert!(d.record(s(1), 0, HostResult::GatewayError, 0.999));
        assert_eq!(d.ejections().consecutive_gateway_failure, 1);
        assert_eq!(d.ejections().consecutive_5xx, 0);
    }

    #[test]
    fn gateway_failures_count_toward_consecutive_5xx() {
        // Defaults: the gateway detection is not enforced, the 5xx one is and fires on the
        // same 5th gateway failure.
        let mut d = OutlierDetector::new(OutlierSpec::default(), 5);
        results(&mut d, s(1), 0, HostResult::GatewayError, 3);
        results(&mut d, s(1), 0, HostResult::Error, 1);
        assert!(
            d.record(s(1), 0, HostResult::GatewayError, ALWAYS),
            "3 + 1 + 1 5xx"
        );
        assert_eq!(d.ejections().consecutive_5xx, 1);
        assert_eq!(d.ejections().consecutive_gateway_failure, 0);
    }

    #[test]
    fn a_plain_5xx_breaks_a_run_of_gateway_failures() {
        let spec = OutlierSpec {
            consecutive_5xx: 100,
            enforcing_consecutive_gateway_failure: 100,
            ..Default::default()
        };
        let mut d = OutlierDetector::new(spec, 5);
        results(&mut d, s(1), 0, HostResult::GatewayError, 4);
        results(&mut d, s(1), 0, HostResult::Error, 1);
        assert!(!results(&mut d, s(1), 0, HostResult::GatewayError, 4));
        assert!(d.record(s(1), 0, HostResult::GatewayError, ALWAYS));
    }

    #[test]
    fn both_detections_at_once_draw_independently() {
        // Both at 50 %: with independent draws the host is ejected with chance 75 %. A draw of
        // 0.7 fails the gateway detection; rescaled to (0.7 − 0.5)/0.5 = 0.4 it passes the 5xx
        // one. Reusing 0.7 would have failed both.
        let spec = OutlierSpec {
            enforcing_consecutive_5xx: 50,
            enforcing_consecutive_gateway_failure: 50,
            ..Default::default()
        };
        let mut d = OutlierDetector::new(spec, 5);
        for _ in 0..4 {
            d.record(s(1), 0, HostResult::GatewayError, 0.0);
        }
        assert!(d.record(s(1), 0, HostResult::GatewayError, 0.7));
        assert_eq!(d.ejections().consecutive_5xx, 1);
    }

    #[test]
    fn the_host_returns_at_the_first_sweep_at_or_after_expiry_not_before() {
        let mut d = OutlierDetector::new(OutlierSpec::default(), 5);
        results(&mut d, s(1), 0, HostResult::Error, 5); // out 1 s + 30 s = 31 s
        d.sweep(s(30), &mut || ALWAYS);
        assert!(d.is_ejected(0), "29 s of 30 at the sweep of 30 s");
        assert_eq!(sweep_until_back(&mut d, 0, 40, 100), Some(40));
        assert_eq!(d.ejected_count(), 0);
        // Ejected at exactly a sweep's time: back at the sweep 30 s later, not one later.
        let mut d = OutlierDetector::new(OutlierSpec::default(), 5);
        results(&mut d, s(10), 0, HostResult::Error, 5);
        assert_eq!(sweep_until_back(&mut d, 0, 10, 100), Some(40));
    }

    #[test]
    fn ejection_time_doubles_on_a_second_ejection() {
        let mut d = OutlierDetector::new(OutlierSpec::default(), 5);
        results(&mut d, s(1), 0, HostResult::Error, 5);
        assert_eq!(sweep_until_back(&mut d, 0, 10, 100), Some(40));
        // Ejected again at 41 s, before any healthy sweep: 2 × 30 s, until 101 s.
        assert!(results(&mut d, s(41), 0, HostResult::Error, 5));
        assert_eq!(sweep_until_back(&mut d, 0, 50, 200), Some(110));
    }

    #[test]
    fn ejection_time_is_capped_at_max_ejection_time() {
        let spec = OutlierSpec {
            max_ejection_time: SimDuration::from_secs(45),
            ..Default::default()
        };
        let mut d = OutlierDetector::new(spec, 5);
        results(&mut d, s(1), 0, HostResult::Error, 5);
        assert_eq!(sweep_until_back(&mut d, 0, 10, 100), Some(40));
        // 2 × 30 s = 60 s, capped at 45 s: out from 41 s until 86 s.
        results(&mut d, s(41), 0, HostResult::Error, 5);
        assert_eq!(sweep_until_back(&mut d, 0, 50, 200), Some(90));
    }

    #[test]
    fn max_ejection_time_below_base_is_raised_to_base() {
        // As Envoy's default for an unset max: max(300 s, base) = 400 s, not 300 s.
        let spec = OutlierSpec {
            base_ejection_time: SimDuration::from_secs(400),
            ..Default::default()
        };
        assert!(check(&spec).is_empty());
        let mut d = OutlierDetector::new(spec, 5);
        results(&mut d, s(0), 0, HostResult::Error, 5);
        assert_eq!(sweep_until_back(&mut d, 0, 10, 1000), Some(400));
    }

    #[test]
    fn the_multiplier_decrements_at_healthy_sweeps_not_at_the_returning_one() {
        let mut d = OutlierDetector::new(OutlierSpec::default(), 5);
        results(&mut d, s(1), 0, HostResult::Error, 5);
        assert_eq!(sweep_until_back(&mut d, 0, 10, 100), Some(40));
        assert_eq!(
            d.hosts[0].multiplier, 1,
            "not decremented at the sweep it came back"
        );
        d.sweep(s(50), &mut || ALWAYS); // healthy for one interval
        assert_eq!(d.hosts[0].multiplier, 0);
        // Ejected again at 51 s: 1 × 30 s again, back at the first sweep ≥ 81 s.
        results(&mut d, s(51), 0, HostResult::Error, 5);
        assert_eq!(sweep_until_back(&mut d, 0, 60, 200), Some(90));
    }

    #[test]
    fn the_multiplier_stops_growing_once_base_times_it_reaches_max_plus_base() {
        // Base 30 s, max 50 s: grows while 30·m < 80, so 1, 2, 3 and no further.
        let spec = OutlierSpec {
            max_ejection_time: SimDuration::from_secs(50),
            ..Default::default()
        };
        let mut d = OutlierDetector::new(spec, 5);
        let mut t = 1;
        for _ in 0..5 {
            assert!(results(&mut d, s(t), 0, HostResult::Error, 5));
            t = sweep_until_back(&mut d, 0, t + 9, t + 200).unwrap() + 1;
        }
        assert_eq!(d.hosts[0].multiplier, 3);
    }

    #[test]
    fn results_of_an_ejected_host_count_but_do_not_eject_it_again() {
        let mut d = OutlierDetector::new(OutlierSpec::default(), 5);
        results(&mut d, s(1), 0, HostResult::Error, 5);
        assert!(!results(&mut d, s(2), 0, HostResult::Error, 12));
        assert_eq!(d.hosts[0].requests, 17);
        assert_eq!(d.ejections().consecutive_5xx, 1);
        assert_eq!(d.ejected_count(), 1);
        // The counter went past 5 and was reset when the host came back: 5 more needed.
        sweep_until_back(&mut d, 0, 10, 100);
        assert!(!results(&mut d, s(41), 0, HostResult::Error, 4));
        assert!(d.record(s(41), 0, HostResult::Error, ALWAYS));
    }

    #[test]
    fn max_ejection_percent_10_with_5_hosts_allows_one_ejection_not_two() {
        let mut d = OutlierDetector::new(OutlierSpec::default(), 5);
        assert!(
            results(&mut d, s(1), 0, HostResult::Error, 5),
            "0 of 5 out: allowed"
        );
        assert!(
            !results(&mut d, s(1), 1, HostResult::Error, 5),
            "1 of 5 = 20 % ≥ 10 %"
        );
        assert!(!d.is_ejected(1));
        assert_eq!(d.ejected_count(), 1);
        assert_eq!(d.ejections().overflow, 1);
        // The refused detection still reset the counter: the next refusal is 5 errors later.
        results(&mut d, s(1), 1, HostResult::Error, 4);
        assert_eq!(d.ejections().overflow, 1);
        results(&mut d, s(1), 1, HostResult::Error, 1);
        assert_eq!(d.ejections().overflow, 2);
    }

    #[test]
    fn max_ejection_percent_counts_the_hosts_out_before_this_one() {
        // 3 hosts at 50 %: 0 out → allowed; 1 of 3 = 33 % < 50 % → allowed; 2 of 3 = 67 % →
        // refused. (Envoy since 1.27 counts the host being ejected too and would refuse the
        // second: 2 of 3 > 50 %.)
        let spec = OutlierSpec {
            max_ejection_percent: 50,
            ..Default::default()
        };
        let mut d = OutlierDetector::new(spec, 3);
        assert!(results(&mut d, s(1), 0, HostResult::Error, 5));
        assert!(results(&mut d, s(1), 1, HostResult::Error, 5));
        assert!(!results(&mut d, s(1), 2, HostResult::Error, 5));
        assert_eq!(d.ejected_count(), 2);
    }

    #[test]
    fn max_ejection_percent_zero_still_ejects_one_host() {
        let spec = OutlierSpec {
            max_ejection_percent: 0,
            ..Default::default()
        };
        let mut d = OutlierDetector::new(spec, 5);
        assert!(results(&mut d, s(1), 0, HostResult::Error, 5));
        assert!(!results(&mut d, s(1), 1, HostResult::Error, 5));
    }
}
