//! Durations as each library reads them.

use sim_core::SimDuration;

/// A duration as Spring Boot reads it (`DurationStyle.SIMPLE`: an integer and a unit): the
/// largest of `s`, `ms`, `us`, `ns` that divides it, e.g. 1.5 s → `"1500ms"`.
pub fn spring_duration(d: SimDuration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0ms".into();
    }
    for (unit, per) in [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] {
        if ns.is_multiple_of(per) {
            return format!("{}{unit}", ns / per);
        }
    }
    format!("{ns}ns")
}

/// A duration in protobuf's JSON form (gRPC service config, Envoy YAML): seconds with 0, 3, 6
/// or 9 fractional digits, e.g. 1.5 s → `"1.500s"`, 100 ms → `"0.100s"`, 2 s → `"2s"`.
pub fn proto_duration(d: SimDuration) -> String {
    let ns = d.as_nanos();
    let (s, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    if frac == 0 {
        format!("{s}s")
    } else if frac.is_multiple_of(1_000_000) {
        format!("{s}.{:03}s", frac / 1_000_000)
    } else if frac.is_multiple_of(1_000) {
        format!("{s}.{:06}s", frac / 1_000)
    } else {
        format!("{s}.{frac:09}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing::ms;

    #[test]
    fn durations_follow_each_library_and_read_back_to_the_same_value() {
        for (d, spring, proto) in [
            (ms(1500), "1500ms", "1.500s"),
            (ms(100), "100ms", "0.100s"),
            (ms(2000), "2s", "2s"),
            (SimDuration::ZERO, "0ms", "0s"),
            (SimDuration::from_nanos(500), "500ns", "0.000000500s"),
            (SimDuration::from_nanos(1_500), "1500ns", "0.000001500s"),
            (SimDuration::from_nanos(25_000), "25us", "0.000025s"),
            (SimDuration::from_secs(300), "300s", "300s"),
        ] {
            assert_eq!(spring_duration(d), spring);
            assert_eq!(proto_duration(d), proto);
            assert_eq!(spring.parse::<SimDuration>().unwrap(), d, "{spring}");
            assert_eq!(proto.parse::<SimDuration>().unwrap(), d, "{proto}");
        }
    }
}
