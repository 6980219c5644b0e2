//! Outlier detection as a scenario writes it ([`OutlierSpec`], Envoy's fields and defaults)
//! and the range checks Envoy applies to it ([`check`]).

use serde::{Deserialize, Serialize};
use sim_core::SimDuration;

/// Outlier detection as written in a scenario; every default is Envoy's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutlierSpec {
    /// Consecutive 5xx (gateway failures included) that eject a host (default 5; 0 never ejects,
    /// as Envoy compares the incremented count for equality).
    #[serde(default = "five")]
    pub consecutive_5xx: u32,
    /// Percent chance that a consecutive-5xx detection really ejects, in [0, 100] (default 100).
    #[serde(default = "hundred")]
    pub enforcing_consecutive_5xx: u32,
    /// Consecutive gateway failures (502, 503, 504, local connect failures and timeouts) that
    /// eject a host (default 5).
    #[serde(default = "five")]
    pub consecutive_gateway_failure: u32,
    /// Percent chance that a consecutive-gateway-failure detection really ejects, in [0, 100]
    /// (default 0: detected and counted toward `consecutive_5xx`, never ejected on its own).
    #[serde(default)]
    pub enforcing_consecutive_gateway_failure: u32,
    /// Time between sweeps (default 10 s).
    #[serde(default = "ten_seconds")]
    pub interval: SimDuration,
    /// Ejection time of a first ejection; later ones are multiples of it (default 30 s).
    #[serde(default = "thirty_seconds")]
    pub base_ejection_time: SimDuration,
    /// Longest ejection (default 300 s). Envoy uses `base_ejection_time` instead when that is
    /// longer and this field is left unset; here a value below `base_ejection_time` is raised
    /// to it (see [`check`] for when it is refused).
    #[serde(default = "three_hundred_seconds")]
    pub max_ejection_time: SimDuration,
    /// Most hosts ejected at once, in percent of the hosts, in [0, 100] (default 10): a host is
    /// ejected only while fewer than this percentage are already out, and one host can always
    /// be ejected, even at 0 % (`policy-semantics.md`; Envoy before 1.27 checked the same way
    /// but ejected none at 0 %, and 1.27+ also counts the host being ejected).
    #[serde(default = "ten")]
    pub max_ejection_percent: u32,
    /// Hosts with enough requests needed before the success-rate check runs (default 5).
    #[serde(default = "five")]
    pub success_rate_minimum_hosts: u32,
    /// Requests in an interval for a host to take part in the success-rate check (default 100).
    #[serde(default = "hundred")]
    pub success_rate_request_volume: u32,
    /// Thousandths of a standard deviation below the mean success rate that eject: the
    /// threshold is `mean − (factor / 1000)·stdev` (default 1900, i.e. 1.9).
    #[serde(default = "nineteen_hundred")]
    pub success_rate_stdev_factor: u32,
    /// Percent chance that a success-rate detection really ejects, in [0, 100] (default 100).
    #[serde(default = "hundred")]
    pub enforcing_success_rate: u32,
    /// Failure percentage at or above which a host is an outlier, in [0, 100] (default 85).
    #[serde(default = "eighty_five")]
    pub failure_percentage_threshold: u32,
    /// Percent chance that a failure-percentage detection really ejects, in [0, 100]
    /// (default 0: the check is off unless enabled).
    #[serde(default)]
    pub enforcing_failure_percentage: u32,
    /// Hosts with enough requests needed before the failure-percentage check runs (default 5).
    #[serde(default = "five")]
    pub failure_percentage_minimum_hosts: u32,
    /// Requests in an interval for a host to take part in the failure-percentage check
    /// (default 50).
    #[serde(default = "fifty")]
    pub failure_percentage_request_volume: u32,
}

fn five() -> u32 {
    5
}
fn ten() -> u32 {
    10
}
fn fifty() -> u32 {
    50
}
fn eighty_five() -> u32 {
    85
}
fn hundred() -> u32 {
    100
}
fn nineteen_hundred() -> u32 {
    1900
}
fn ten_seconds() -> SimDuration {
    SimDuration::from_secs(10)
}
fn thirty_seconds() -> SimDuration {
    SimDuration::from_secs(30)
}
fn three_hundred_seconds() -> SimDuration {
    SimDuration::from_secs(300)
}

impl Default for OutlierSpec {
    fn default() -> Self {
        ron::from_str("()").expect("every field has a default")
    }
}

/// Range checks, with Envoy's own valid range in each message: `(field, message)` pairs, empty
/// if Envoy would accept the configuration.
pub fn check(spec: &OutlierSpec) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let percents = [
        ("enforcing_consecutive_5xx", spec.enforcing_consecutive_5xx),
        (
            "enforcing_consecutive_gateway_failure",
            spec.enforcing_consecutive_gateway_failure,
        ),
        ("max_ejection_percent", spec.max_ejection_percent),
        ("enforcing_success_rate", spec.enforcing_success_rate),
        (
            "failure_percentage_threshold",
            spec.failure_percentage_threshold,
        ),
        (
            "enforcing_failure_percentage",
            spec.enforcing_failure_percentage,
        ),
    ];
    for (field, value) in percents {
        if value > 100 {
            out.push((
                field.to_string(),
                format!("must be in [0, 100] (Envoy outlier_detection); got {value}"),
            ));
        }
    }
    let durations = [
        ("interval", spec.interval),
        ("base_ejection_time", spec.base_ejection_time),
        ("max_ejection_time", spec.max_ejection_time),
    ];
    for (field, value) in durations {
        // The proto wants > 0, and Envoy keeps whole milliseconds: under 1 ms is 0 to it.
        if value < SimDuration::from_millis(1) {
            out.push((
                field.to_string(),
                format!(
                    "must be at least 1ms (Envoy outlier_detection: > 0, in whole milliseconds); got {value}"
                ),
            ));
        }
    }
    // Envoy refuses a max below the base when it is written; the default 300 s is taken as
    // unset (Envoy then uses the base), since the two cannot be told apart here.
    if spec.max_ejection_time < spec.base_ejection_time
        && spec.max_ejection_time != three_hundred_seconds()
    {
        out.push((
            "max_ejection_time".to_string(),
            format!(
                "must be at least base_ejection_time {} (Envoy outlier_detection refuses the cluster); got {}",
                spec.base_ejection_time, spec.max_ejection_time
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_defaults_are_envoys_and_unknown_fields_are_refused() {
        let d = OutlierSpec::default();
        assert_eq!(d.consecutive_5xx, 5);
        assert_eq!(d.enforcing_consecutive_5xx, 100);
        assert_eq!(d.consecutive_gateway_failure, 5);
        assert_eq!(d.enforcing_consecutive_gateway_failure, 0);
        assert_eq!(d.interval, SimDuration::from_secs(10));
        assert_eq!(d.base_ejection_time, SimDuration::from_secs(30));
        assert_eq!(d.max_ejection_time, SimDuration::from_secs(300));
        assert_eq!(d.max_ejection_percent, 10);
        assert_eq!(d.success_rate_minimum_hosts, 5);
        assert_eq!(d.success_rate_request_volume, 100);
        assert_eq!(d.success_rate_stdev_factor, 1900);
        assert_eq!(d.enforcing_success_rate, 100);
        assert_eq!(d.failure_percentage_threshold, 85);
        assert_eq!(d.enforcing_failure_percentage, 0);
        assert_eq!(d.failure_percentage_minimum_hosts, 5);
        assert_eq!(d.failure_percentage_request_volume, 50);
        let written: OutlierSpec = ron::from_str(r#"(interval: "5s")"#).unwrap();
        assert_eq!(written.interval, SimDuration::from_secs(5));
        assert!(ron::from_str::<OutlierSpec>("(consecutive_500: 3)").is_err());
    }

    #[test]
    fn check_accepts_the_defaults() {
        assert!(check(&OutlierSpec::default()).is_empty());
    }

    #[test]
    fn check_refuses_out_of_range_values_with_envoys_range() {
        let spec = OutlierSpec {
            max_ejection_percent: 150,
            interval: SimDuration::ZERO,
            base_ejection_time: SimDuration::ZERO,
            enforcing_success_rate: 101,
            ..Default::default()
        };
        let found = check(&spec);
        let message = |field: &str| {
            found
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, m)| m.clone())
                .unwrap_or_else(|| panic!("no finding for {field}: {found:?}"))
        };
        assert_eq!(
            message("max_ejection_percent"),
            "must be in [0, 100] (Envoy outlier_detection); got 150"
        );
        assert!(message("enforcing_success_rate").contains("[0, 100]"));
        assert!(message("enforcing_success_rate").contains("got 101"));
        assert!(message("interval").contains("> 0"));
        assert!(message("interval").contains("got 0s"));
        assert!(message("base_ejection_time").contains("> 0"));
        assert_eq!(found.len(), 4, "{found:?}");
        let spec = OutlierSpec {
            base_ejection_time: SimDuration::from_secs(60),
            max_ejection_time: SimDuration::from_secs(40),
            ..Default::default()
        };
        assert_eq!(check(&spec)[0].0, "max_ejection_time");
    }
}
