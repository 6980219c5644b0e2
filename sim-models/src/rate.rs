//! Rates of arrival, written with their unit.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Events per second. In a scenario: a bare number (per second) or text with a unit:
/// `"0.9/s"`, `"300/min"`, `"2/ms"`, `"1/h"`, `"5/us"`. Every spelling goes through one
/// conversion, so `5`, `"5/s"` and `"300/min"` are the same rate; a negative, NaN or infinite rate
/// is refused with the range (the scenario check then bounds client rates at one per nanosecond).
///
/// ```
/// use sim_models::Rate;
/// let r: Rate = ron::from_str("\"300/min\"").unwrap();
/// assert_eq!(r.per_second(), 5.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Rate(f64);

impl Rate {
    /// A rate of `r` per second; `None` if negative or not finite.
    pub fn per_second_checked(r: f64) -> Option<Rate> {
        (r.is_finite() && r >= 0.0).then_some(Rate(r))
    }

    /// This rate in events per second.
    pub fn per_second(self) -> f64 {
        self.0
    }

    /// The rate of `r` per second, for building scenarios in code.
    ///
    /// # Panics
    /// On a negative or non-finite `r`.
    pub fn new(r: f64) -> Rate {
        Rate::per_second_checked(r)
            .unwrap_or_else(|| panic!("a rate must be finite and not negative, got {r}"))
    }
}

/// The forms a rate takes, for messages.
const FORMS: &str = "(expected a number per second, or text such as \"0.9/s\", \"300/min\", \"2/ms\", \"1e3/s\"; units: /ns, /us, /ms, /s, /min (or /m), /h)";
/// The range of a rate, for messages.
const RANGE: &str = "a rate is a finite number of events per second, 0 or more";

/// A number as a message shows it: short, in exponent notation when large or tiny.
fn number_text(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// `value` times `per_second` events per second: the one conversion behind every spelling of a
/// rate (`"300/min"`, `"5/s"`, `5`, `5e0`), so they agree and are refused alike. `text` is the
/// rate as written, for the error.
fn checked(value: f64, per_second: f64, text: &str) -> Result<Rate, String> {
    let r = value * per_second;
    let why = if value.is_nan() {
        "not a number (NaN)"
    } else if r < 0.0 {
        "a rate cannot be negative"
    } else if r.is_infinite() {
        "too large"
    } else {
        return Ok(Rate(r));
    };
    Err(format!("invalid rate {text}: {why}; {RANGE}"))
}

fn parse(text: &str) -> Result<Rate, String> {
    let quoted = format!("{text:?}");
    let err = |why: &str| format!("invalid rate {quoted}: {why} {FORMS}");
    let (num, unit) = text.split_once('/').unwrap_or((text, "s"));
    let num = num.trim();
    // Only digits, a sign, a point and an exponent: `f64::from_str` would also take "inf" and
    // "NaN".
    if !num
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return Err(err("not a number"));
    }
    let value: f64 = num.parse().map_err(|_| err("not a number"))?;
    let per_sec = match unit.trim() {
        "s" | "sec" => 1.0,
        "ms" => 1e3,
        "us" | "µs" => 1e6,
        "ns" => 1e9,
        "min" | "m" => 1.0 / 60.0,
        "h" | "hr" => 1.0 / 3600.0,
        _ => return Err(err("unknown unit")),
    };
    checked(value, per_sec, &quoted)
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", self.0)
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Rate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a rate: a number per second, or text such as \"300/min\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Rate, E> {
                parse(v).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Rate, E> {
                checked(v, 1.0, &number_text(v)).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Rate, E> {
                checked(v as f64, 1.0, &v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Rate, E> {
                checked(v as f64, 1.0, &v.to_string()).map_err(E::custom)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Rate, E> {
                Err(E::custom(format!(
                    "invalid rate: a bare word is not a rate {FORMS}"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_convert_to_per_second() {
        for (text, want) in [
            ("0.9", 0.9),
            ("0.9/s", 0.9),
            ("300/min", 5.0),
            ("2/ms", 2000.0),
            ("7200/h", 2.0),
        ] {
            assert_eq!(parse(text).unwrap().per_second(), want, "{text}");
        }
    }

    #[test]
    fn negative_and_malformed_rates_are_rejected() {
        for bad in [
            "-1",
            "-1/s",
            "fast",
            "3/fortnight",
            "NaN",
            "inf/s",
            "1e400/s",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(checked(-0.5, 1.0, "-0.5").unwrap_err().contains("negative"));
    }

    /// A rate as a scenario's deserializer would hand it over.
    fn from_ron(text: &str) -> Result<Rate, String> {
        ron::from_str::<Rate>(text).map_err(|e| e.code.to_string())
    }

    #[test]
    fn every_spelling_of_a_rate_gives_the_same_value() {
        for (want, spellings) in [
            (
                5.0,
                &[
                    "5",
                    "5.0",
                    "5e0",
                    "\"5\"",
                    "\"5/s\"",
                    "\"300/min\"",
                    "\"3e2/min\"",
                    "\"18000/hr\"",
                ][..],
            ),
            (
                2000.0,
                &["2000", "2e3", "\"2/ms\"", "\"2e-3/us\"", "\"2e3\""],
            ),
            (0.0, &["0", "0.0", "\"0/s\""]),
        ] {
            for s in spellings {
                assert_eq!(from_ron(s).unwrap().per_second(), want, "{s}");
            }
        }
    }

    #[test]
    fn out_of_range_rates_are_refused_with_the_range_however_written() {
        for bad in [
            "1e400",
            "\"1e400/s\"",
            "\"1e306/ms\"",
            "-1",
            "-1e3",
            "\"-2/min\"",
            "NaN",
            "inf",
        ] {
            let e = from_ron(bad).unwrap_err();
            assert!(
                e.contains("invalid rate")
                    && e.contains("finite number of events per second, 0 or more"),
                "{bad}: {e}"
            );
        }
        assert!(from_ron("1e400").unwrap_err().contains("too large"));
        assert!(from_ron("-3").unwrap_err().contains("negative"));
    }

    #[test]
    fn a_bare_word_is_refused_with_the_forms_a_rate_takes() {
        for bad in ["fast", "NaNs", "\"fast\"", "\"NaN/s\""] {
            let e = from_ron(bad).unwrap_err();
            assert!(
                e.contains("invalid rate") && e.contains("\"300/min\""),
                "{bad}: {e}"
            );
        }
    }
}
