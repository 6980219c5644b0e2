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
/// `"30ns"`, `"1h"`. A bare number is read as seconds. Every spelling goes through one conversion,
/// so `1.5`, `"1.5s"` and `"1500ms"` are the same duration; the range is 0 to `u64::MAX`
/// nanoseconds (about 584 years), and a value outside it is refused, never saturated.
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

/// Why a duration could not be read, from text (`"250ms"`) or a bare number of seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseDurationError {
    /// The duration as written: quoted when it was text, bare when it was a number, empty when
    /// the deserializer did not show it.
    text: String,
    why: Why,
}

impl fmt::Display for ParseDurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text.as_str() {
            "" => write!(f, "invalid duration: {}", self.why),
            text => write!(f, "invalid duration {text}: {}", self.why),
        }
    }
}

impl std::error::Error for ParseDurationError {}

/// What is wrong with a duration. Malformed text is answered with the forms a duration takes,
/// a value out of range with the range.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
enum Why {
    #[error("missing number {FORMS}")]
    MissingNumber,
    #[error("not a number {FORMS}")]
    NotANumber,
    #[error("unknown unit {FORMS}")]
    UnknownUnit,
    #[error("a bare word is not a duration {FORMS}")]
    NotADuration,
    #[error("durations cannot be negative; {RANGE}")]
    Negative,
    #[error("not a number (NaN); {RANGE}")]
    NaN,
    #[error("too large; {RANGE}")]
    TooLarge,
}

/// The forms a duration takes, for messages.
const FORMS: &str = "(expected a number and a unit such as \"250ms\", \"1.5s\", \"2m\", \"1e3s\"; units: ns, us, ms, s, m (or min), h; a bare number means seconds)";
/// The range of a duration, for messages: `u64::MAX` nanoseconds.
const RANGE: &str = "a duration must be from 0 to 18446744073.709551615s (about 584 years)";

impl ParseDurationError {
    /// The error for a value that is not a duration at all (a bare word such as `NaNs`, which
    /// RON reads as a unit value), for deserializers that see no text.
    fn not_a_duration() -> ParseDurationError {
        ParseDurationError {
            text: String::new(),
            why: Why::NotADuration,
        }
    }
}

/// A number as a message shows it: short, in exponent notation when large or tiny.
fn number_text(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

impl SimDuration {
    /// `value` units of `unit_nanos` nanoseconds each, rounded to the nearest nanosecond: the one
    /// conversion behind every spelling of a duration (`"1.5s"`, `"1500ms"`, `1.5`, `1.5e0`), so
    /// they all agree and none saturates. `text` is the duration as written, for the error.
    fn checked(
        value: f64,
        unit_nanos: f64,
        text: String,
    ) -> Result<SimDuration, ParseDurationError> {
        let err = |why| ParseDurationError {
            text: text.clone(),
            why,
        };
        if value.is_nan() {
            return Err(err(Why::NaN));
        }
        if value < 0.0 {
            return Err(err(Why::Negative));
        }
        let ns = value * unit_nanos;
        // 2^64 is the first f64 past u64::MAX; everything below it rounds into range.
        if ns >= u64::MAX as f64 {
            return Err(err(Why::TooLarge));
        }
        Ok(SimDuration::from_nanos_f64(ns))
    }

    /// A bare number of seconds, as a scenario may write a duration: rejected (not saturated)
    /// when negative, not finite or past [`SimDuration`]'s range, like the same value as text.
    ///
    /// ```
    /// use sim_core::SimDuration;
    /// assert_eq!(SimDuration::try_from_secs_f64(1.5).unwrap(), "1.5s".parse().unwrap());
    /// assert!(SimDuration::try_from_secs_f64(1e300).is_err());
    /// ```
    pub fn try_from_secs_f64(secs: f64) -> Result<SimDuration, ParseDurationError> {
        SimDuration::checked(secs, NANOS_PER_SEC as f64, number_text(secs))
    }
}

impl FromStr for SimDuration {
    type Err = ParseDurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why| ParseDurationError {
            text: format!("{s:?}"),
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
            return Err(err(Why::MissingNumber));
        }
        if num.starts_with('-') {
            return Err(err(Why::Negative));
        }
        // Only digits, a point and an exponent: `f64::from_str` would also take "inf" and "NaN".
        if !num
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return Err(err(Why::NotANumber));
        }
        let value: f64 = num.parse().map_err(|_| err(Why::NotANumber))?;
        let scale = match unit.trim() {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "" | "s" | "sec" => 1e9,
            "m" | "min" => 60e9,
            "h" | "hr" => 3600e9,
            _ => return Err(err(Why::UnknownUnit)),
        };
        SimDuration::checked(value, scale, format!("{s:?}"))
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
                SimDuration::try_from_secs_f64(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SimDuration, E> {
                SimDuration::checked(v as f64, NANOS_PER_SEC as f64, v.to_string())
                    .map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SimDuration, E> {
                SimDuration::checked(v as f64, NANOS_PER_SEC as f64, v.to_string())
                    .map_err(E::custom)
            }
            fn visit_unit<E: de::Error>(self) -> Result<SimDuration, E> {
                Err(E::custom(ParseDurationError::not_a_duration()))
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

    /// A duration as a scenario's deserializer would hand it over, bare number or text.
    fn bare(v: f64) -> Result<SimDuration, String> {
        use serde::de::IntoDeserializer;
        let d: serde::de::value::F64Deserializer<serde::de::value::Error> = v.into_deserializer();
        SimDuration::deserialize(d).map_err(|e| e.to_string())
    }

    #[test]
    fn every_spelling_of_a_duration_gives_the_same_nanoseconds() {
        for (number, texts) in [
            (
                1.5,
                &["1.5", "1.5s", "1500ms", "1.5e3ms", "15e-1s", "0.025min"][..],
            ),
            (0.1, &["0.1", "100ms", "1e-1s", "1E2ms"]),
            (3600.0, &["3600", "1h", "60m", "3.6e3s", "3.6e12ns"]),
            (0.0, &["0", "0s", "0e5h"]),
        ] {
            let want = bare(number).unwrap();
            for text in texts {
                assert_eq!(text.parse::<SimDuration>().unwrap(), want, "{text}");
            }
        }
        use serde::de::IntoDeserializer;
        let d: serde::de::value::U64Deserializer<serde::de::value::Error> =
            7u64.into_deserializer();
        assert_eq!(
            SimDuration::deserialize(d).unwrap(),
            SimDuration::from_secs(7)
        );
    }

    #[test]
    fn out_of_range_durations_are_refused_with_the_range_however_written() {
        let texts = ["1e300s", "999999999h", "18446744074s", "1e400s"];
        let numbers = [1e300, 18_446_744_074.0, f64::INFINITY];
        let errors = texts
            .iter()
            .map(|t| t.parse::<SimDuration>().unwrap_err().to_string())
            .chain(numbers.iter().map(|&n| bare(n).unwrap_err()));
        for e in errors {
            assert!(
                e.contains("too large") && e.contains("from 0 to 18446744073.709551615s"),
                "{e}"
            );
        }
        // Just inside the range, both ways.
        assert!(bare(18_446_744_073.0).is_ok());
        assert!("18446744073s".parse::<SimDuration>().is_ok());
        for (e, why) in [
            (bare(-1.0).unwrap_err(), "negative"),
            (bare(f64::NAN).unwrap_err(), "NaN"),
            (
                "-1s".parse::<SimDuration>().unwrap_err().to_string(),
                "negative",
            ),
        ] {
            assert!(e.contains(why) && e.contains("584 years"), "{e}");
        }
        assert!(bare(1e300)
            .unwrap_err()
            .starts_with("invalid duration 1e300: "));
    }

    #[test]
    fn a_bare_word_is_refused_with_the_forms_a_duration_takes() {
        use serde::de::IntoDeserializer;
        let d: serde::de::value::UnitDeserializer<serde::de::value::Error> = ().into_deserializer();
        let e = SimDuration::deserialize(d).unwrap_err().to_string();
        assert!(
            e.contains("not a duration") && e.contains("\"250ms\""),
            "{e}"
        );
        for bad in ["NaNs", "inf", "NaN", "infs"] {
            let e = bad.parse::<SimDuration>().unwrap_err().to_string();
            assert!(e.contains("\"250ms\""), "{bad}: {e}");
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
