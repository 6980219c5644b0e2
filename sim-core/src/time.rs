//! Integer simulated time.
//!
//! Time is a count of nanoseconds since the start of the run. Integers make the order of events exact:
//! two events scheduled for the same instant compare equal on time and are ordered by their sequence
//! number instead, never by a floating-point epsilon.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// An instant of simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
///
/// In scenario files a duration is written with a unit: `"250ms"`, `"1.5s"`, `"2m"`, `"100us"`,
/// `"30ns"`, `"1h"`. A bare number is read as seconds.
///
/// ```
/// use sim_core::SimDuration;
/// assert_eq!("250ms".parse::<SimDuration>().unwrap(), SimDuration::from_millis(250));
/// assert_eq!("1.5s".parse::<SimDuration>().unwrap().as_secs_f64(), 1.5);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable instant (about 584 years).
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// This instant in seconds, for reporting.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// The time elapsed since `earlier`, or zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of `n` nanoseconds.
    pub const fn from_nanos(n: u64) -> Self {
        SimDuration(n)
    }
    /// A duration of `n` milliseconds.
    pub const fn from_millis(n: u64) -> Self {
        SimDuration(n * 1_000_000)
    }
    /// A duration of `n` seconds.
    pub const fn from_secs(n: u64) -> Self {
        SimDuration(n * NANOS_PER_SEC)
    }
    /// A duration of `s` seconds, rounded to the nearest nanosecond; negative or NaN gives zero and
    /// values past the representable range saturate.
    pub fn from_secs_f64(s: f64) -> Self {
        SimDuration::from_nanos_f64(s * NANOS_PER_SEC as f64)
    }
    /// A duration of `ns` nanoseconds, rounded; negative or NaN gives zero, overflow saturates.
    #[inline]
    pub fn from_nanos_f64(ns: f64) -> Self {
        // `as` saturates and maps NaN to 0, which is the behaviour we want for sampled values.
        SimDuration((ns + 0.5) as u64)
    }
    /// Nanoseconds in this duration.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// This duration in seconds, for reporting.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Saturates at [`SimTime::MAX`] rather than wrapping: an event "never" stays in the future.
    #[inline]
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    #[inline]
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    #[inline]
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, o: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(o.0))
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns == 0 {
            write!(f, "0s")
        } else if ns.is_multiple_of(NANOS_PER_SEC) {
            write!(f, "{}s", ns / NANOS_PER_SEC)
        } else if ns.is_multiple_of(1_000_000) {
            write!(f, "{}ms", ns / 1_000_000)
        } else if ns.is_multiple_of(1_000) {
            write!(f, "{}us", ns / 1_000)
        } else {
            write!(f, "{ns}ns")
        }
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}s", self.as_secs_f64())
    }
}

/// Why a duration string could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid duration {text:?}: {why} (expected a number and a unit such as \"250ms\", \"1.5s\", \"2m\"; units: ns, us, ms, s, m (or min), h)")]
pub struct ParseDurationError {
    text: String,
    why: &'static str,
}

impl FromStr for SimDuration {
    type Err = ParseDurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why| ParseDurationError {
            text: s.to_string(),
            why,
        };
        let t = s.trim();
        // The unit is the trailing run of letters, so "1e3s" is 1000 seconds.
        let split = t
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphabetic() || *c == 'µ')
            .last()
            .map_or(t.len(), |(i, _)| i);
        let (num, unit) = t.split_at(split);
        let num = num.trim();
        if num.is_empty() {
            return Err(err("missing number"));
        }
        if num.starts_with('-') {
            return Err(err("durations cannot be negative"));
        }
        let value: f64 = num.parse().map_err(|_| err("not a number"))?;
        if !value.is_finite() {
            return Err(err("not a finite number"));
        }
        let scale = match unit.trim() {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "" | "s" | "sec" => 1e9,
            "m" | "min" => 60e9,
            "h" | "hr" => 3600e9,
            _ => return Err(err("unknown unit")),
        };
        let ns = value * scale;
        if ns >= u64::MAX as f64 {
            return Err(err("too large"));
        }
        Ok(SimDuration::from_nanos_f64(ns))
    }
}

impl Serialize for SimDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = SimDuration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration such as \"250ms\" or \"1.5s\" (a bare number means seconds)",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SimDuration, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<SimDuration, E> {
                if v < 0.0 || !v.is_finite() {
                    return Err(E::custom(format!(
                        "invalid duration {v}: durations must be finite and not negative"
                    )));
                }
                Ok(SimDuration::from_secs_f64(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SimDuration, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SimDuration, E> {
                self.visit_f64(v as f64)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units_parse_to_nanoseconds() {
        let cases = [
            ("30ns", 30),
            ("100us", 100_000),
            ("250ms", 250_000_000),
            ("1.5s", 1_500_000_000),
            ("2m", 120_000_000_000),
            ("1h", 3_600_000_000_000),
            ("0.5", 500_000_000),
            ("1e3s", 1_000 * NANOS_PER_SEC),
            ("2 min", 120_000_000_000),
        ];
        for (text, ns) in cases {
            assert_eq!(
                text.parse::<SimDuration>().unwrap().as_nanos(),
                ns,
                "{text}"
            );
        }
    }

    #[test]
    fn bad_durations_are_rejected_with_the_reason() {
        for bad in ["", "ms", "-1s", "1 parsec", "abc", "1e400s"] {
            let e = bad.parse::<SimDuration>().unwrap_err().to_string();
            assert!(e.contains("invalid duration"), "{bad}: {e}");
        }
    }

    #[test]
    fn display_round_trips() {
        for ns in [0, 7, 5_000, 250_000_000, 3 * NANOS_PER_SEC] {
            let d = SimDuration(ns);
            assert_eq!(d.to_string().parse::<SimDuration>().unwrap(), d);
        }
    }

    #[test]
    fn time_addition_saturates_instead_of_wrapping() {
        assert_eq!(SimTime(u64::MAX - 1) + SimDuration(10), SimTime::MAX);
    }
}
