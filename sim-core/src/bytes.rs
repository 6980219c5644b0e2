//! Amounts of memory: `"512MiB"`, `"4 GiB"`, `"1.5GB"` or a bare number of bytes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A number of bytes, written with a binary (`KiB`, `MiB`, `GiB`, `TiB`) or decimal (`kB`, `MB`,
/// `GB`, `TB`) unit or none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// `n` kibibytes.
    pub const fn kib(n: u64) -> Self {
        ByteSize(n << 10)
    }
    /// `n` mebibytes.
    pub const fn mib(n: u64) -> Self {
        ByteSize(n << 20)
    }
    /// `n` gibibytes.
    pub const fn gib(n: u64) -> Self {
        ByteSize(n << 30)
    }
}

const UNITS: [(&str, u64); 10] = [
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
    ("kB", 1_000),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("B", 1),
];

/// Why a text is not an amount of memory.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an amount of memory: {why} (write e.g. \"512MiB\", \"4GiB\", \"2GB\" or a number of bytes)")]
pub struct ParseByteSizeError {
    text: String,
    why: &'static str,
}

impl FromStr for ByteSize {
    type Err = ParseByteSizeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why| ParseByteSizeError {
            text: s.to_string(),
            why,
        };
        let t = s.trim();
        let (number, scale) = UNITS
            .iter()
            .find_map(|(unit, scale)| t.strip_suffix(unit).map(|n| (n.trim_end(), *scale)))
            .unwrap_or((t, 1));
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(err("expected a number followed by an optional unit"));
        }
        let value: f64 = number.parse().map_err(|_| err("the number is malformed"))?;
        let bytes = value * scale as f64;
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            return Err(err("more than 16 EiB"));
        }
        Ok(ByteSize(bytes.round() as u64))
    }
}

impl fmt::Display for ByteSize {
    /// The largest binary unit that keeps the number at least 1, with one decimal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        let (unit, scale) = [
            ("TiB", 1u64 << 40),
            ("GiB", 1 << 30),
            ("MiB", 1 << 20),
            ("KiB", 1 << 10),
        ]
        .into_iter()
        .find(|(_, scale)| b >= *scale)
        .unwrap_or(("B", 1));
        if scale == 1 {
            write!(f, "{b} B")
        } else {
            write!(f, "{:.1} {unit}", b as f64 / scale as f64)
        }
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount of memory, e.g. \"512MiB\" or a whole number of bytes")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v).map(ByteSize).map_err(|_| {
                    E::custom(format!("an amount of memory cannot be negative, got {v}"))
                })
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ByteSize, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_parse_binary_and_decimal_units() {
        assert_eq!("512MiB".parse(), Ok(ByteSize::mib(512)));
        assert_eq!("4 GiB".parse(), Ok(ByteSize::gib(4)));
        assert_eq!("1.5GB".parse(), Ok(ByteSize(1_500_000_000)));
        assert_eq!("2048".parse(), Ok(ByteSize(2048)));
        assert_eq!("10kB".parse(), Ok(ByteSize(10_000)));
    }

    #[test]
    fn byte_sizes_refuse_what_is_not_an_amount() {
        for bad in [
            "",
            "GiB",
            "-1GiB",
            "1e300",
            "lots",
            "1.2.3MiB",
            "99999999999TiB",
        ] {
            assert!(bad.parse::<ByteSize>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn byte_sizes_print_in_the_largest_unit() {
        assert_eq!(ByteSize(512).to_string(), "512 B");
        assert_eq!(ByteSize::mib(1536).to_string(), "1.5 GiB");
        assert_eq!(ByteSize(27_200_000_000).to_string(), "25.3 GiB");
    }
}
