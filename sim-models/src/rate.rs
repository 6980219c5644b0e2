//! Rates of arrival, written with their unit.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Events per second. In a scenario: a bare number (per second) or text with a unit:
/// `"0.9/s"`, `"300/min"`, `"2/ms"`, `"1/h"`, `"5/us"`.
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

fn parse(text: &str) -> Result<Rate, String> {
    let err = |why: &str| {
        format!("invalid rate {text:?}: {why} (expected a number per second, or text such as \"0.9/s\", \"300/min\", \"2/ms\")")
    };
    let (num, unit) = text.split_once('/').unwrap_or((text, "s"));
    let value: f64 = num.trim().parse().map_err(|_| err("not a number"))?;
    let per_sec = match unit.trim() {
        "s" | "sec" => 1.0,
        "ms" => 1e3,
        "us" | "µs" => 1e6,
        "ns" => 1e9,
        "min" | "m" => 1.0 / 60.0,
        "h" => 1.0 / 3600.0,
        _ => return Err(err("unknown unit")),
    };
    check(value * per_sec).map_err(|e| err(&e))
}

fn check(r: f64) -> Result<Rate, String> {
    if r.is_nan() || r.is_infinite() {
        Err("a rate must be a finite number".into())
    } else if r < 0.0 {
        Err(format!("a rate cannot be negative, got {r}"))
    } else {
        Ok(Rate(r))
    }
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
                check(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Rate, E> {
                check(v as f64).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Rate, E> {
                check(v as f64).map_err(E::custom)
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
        for bad in ["-1", "-1/s", "fast", "3/fortnight", "NaN"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(check(-0.5).unwrap_err().contains("negative"));
    }
}
