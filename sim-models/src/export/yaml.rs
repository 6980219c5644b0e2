//! Building YAML documents as `serde_yaml` values: a mapping filled key by key (serde_yaml's
//! `Mapping` keeps insertion order, so the output is deterministic) and the scalars each library
//! reads. serde_yaml decides the quoting.

use super::document::Library;
use super::duration::{proto_duration, spring_duration};
use serde_yaml::{Mapping, Value};
use sim_core::SimDuration;

/// A mapping written key by key.
pub(super) trait Tree {
    /// Sets `key` to `value` (in place if the key is already there, else at the end).
    fn put(&mut self, key: &str, value: impl Into<Value>) -> &mut Self;
    /// The mapping under `key`, created at the end if absent.
    fn child(&mut self, key: &str) -> &mut Mapping;
}

impl Tree for Mapping {
    fn put(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.insert(Value::from(key), value.into());
        self
    }

    fn child(&mut self, key: &str) -> &mut Mapping {
        let slot = self
            .entry(Value::from(key))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if !slot.is_mapping() {
            *slot = Value::Mapping(Mapping::new());
        }
        match slot {
            Value::Mapping(m) => m,
            _ => unreachable!("a mapping was just put there"),
        }
    }
}

/// A number as the old emitter printed it: a whole number without a fraction (`25`, not
/// `25.0`), so `failureRateThreshold: 25` reads the same to every library.
pub(super) fn num(v: f64) -> Value {
    // Whole numbers up to 2^53 are exact in both f64 and i64.
    if v.fract() == 0.0 && v.abs() <= 9_007_199_254_740_992.0 {
        Value::from(v as i64)
    } else {
        Value::from(v)
    }
}

/// A duration as `lib` reads it: Spring Boot's `1500ms`, or protobuf's `1.500s`.
pub(super) fn dur(d: SimDuration, lib: Library) -> Value {
    Value::from(match lib {
        Library::Resilience4j => spring_duration(d),
        Library::Grpc | Library::Envoy => proto_duration(d),
    })
}

/// A remark for a service name that serde_yaml writes unquoted (it follows YAML 1.2) but a
/// YAML 1.1 reader — Spring Boot's SnakeYAML, Envoy's yaml-cpp — takes for a boolean or a
/// number: `yes`, `off`, `1_000`, `1:30`.
pub(super) fn misread_name(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let boolean = ["yes", "no", "on", "off", "y", "n"].contains(&lower.as_str());
    let number = name.chars().any(|c| c.is_ascii_digit())
        && name.contains(['_', ':'])
        && name
            .chars()
            .all(|c| c.is_ascii_digit() || "_:.+-".contains(c));
    (boolean || number).then(|| {
        format!(
            "calls to {name}: a YAML 1.1 reader (SnakeYAML in Spring Boot, Envoy) takes the \
             unquoted name {name} for a {}: put it in quotes",
            if boolean { "boolean" } else { "number" }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_keeps_insertion_order_and_finds_its_children() {
        let mut m = Mapping::new();
        m.put("b", 1u32).put("a", "x");
        m.child("c").put("d", true);
        m.child("c").put("e", num(0.5));
        m.put("b", 2u32);
        assert_eq!(
            serde_yaml::to_string(&m).unwrap(),
            "b: 2\na: x\nc:\n  d: true\n  e: 0.5\n"
        );
    }

    #[test]
    fn whole_numbers_are_written_without_a_fraction() {
        let text = |v: f64| serde_yaml::to_string(&num(v)).unwrap();
        assert_eq!(text(25.0), "25\n");
        assert_eq!(text(-3.0), "-3\n");
        assert_eq!(text(0.0), "0\n");
        assert_eq!(text(1.6), "1.6\n");
        assert_eq!(text(0.12345), "0.12345\n");
        assert_eq!(text(1e300), "1e300\n");
    }

    #[test]
    fn names_a_yaml_1_1_reader_would_misread_are_remarked() {
        for name in ["yes", "No", "OFF", "y", "1_000", "1:30"] {
            assert!(misread_name(name).is_some(), "{name}");
        }
        for name in [
            "db",
            "payments-v2",
            "123",
            "1.5",
            "true",
            "a: b",
            "yesterday",
            "",
        ] {
            assert_eq!(misread_name(name), None, "{name}");
        }
    }
}
