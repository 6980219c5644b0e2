//! The numbers a scenario's text writes, by path: what a viewer turns into sliders. Each is
//! found in the text itself (not the parsed scenario), so its path is exactly what `--set`
//! takes back.

use crate::ron_paths::{Kind, RonIndex};
use sim_core::SimDuration;

/// What kind of number a field holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NumberKind {
    /// A whole number (`workers: 16`).
    Integer,
    /// A real number (`rate: 0.9`, `factor: 5.0`).
    Real,
    /// A duration, written as a quoted string (`timeout: "200ms"`); the value is in seconds.
    Duration,
}

/// One number the text writes.
#[derive(Clone, Debug, PartialEq)]
pub struct NumericField {
    /// Its path, as `--set` takes it (`services.db.workers`).
    pub path: String,
    /// Its value (seconds for a duration).
    pub value: f64,
    /// What kind of number it is.
    pub kind: NumberKind,
}

impl NumericField {
    /// `value` written as this field's kind is written in a scenario (a duration quoted,
    /// whole numbers without a point).
    pub fn format(&self, value: f64) -> String {
        match self.kind {
            NumberKind::Integer => format!("{}", value.round().max(0.0) as u64),
            NumberKind::Real => format!("{value:?}"),
            NumberKind::Duration => format!("\"{}\"", SimDuration::from_secs_f64(value.max(0.0))),
        }
    }
}

/// Every number, integer, real or duration, that `text` writes, in text order.
pub fn numeric_fields(text: &str) -> Vec<NumericField> {
    let index = RonIndex::new(text);
    index
        .nodes
        .iter()
        .filter(|n| n.kind == Kind::Other && !n.path.is_empty())
        .filter_map(|n| {
            let raw = text.get(n.start..n.end)?.trim();
            let (value, kind) =
                if let Some(quoted) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                    let d: SimDuration = quoted.parse().ok()?;
                    (d.as_secs_f64(), NumberKind::Duration)
                } else if let Ok(i) = raw.parse::<i64>() {
                    (i as f64, NumberKind::Integer)
                } else {
                    let x: f64 = raw.parse().ok()?;
                    (x, NumberKind::Real)
                };
            Some(NumericField {
                path: n.path.clone(),
                value,
                kind,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations_are_found_by_path_and_written_back_as_they_were() {
        let text = r#"Scenario(
            duration: "60s", // a comment: 5
            clients: { "users": Open(rate: 0.9, target: "db", timeout: "200ms") },
            services: { "db": (workers: 16, service_time: Exponential(mean: "10ms")) },
        )"#;
        let fields = numeric_fields(text);
        let get = |p: &str| fields.iter().find(|f| f.path == p).cloned().unwrap();
        assert_eq!(get("duration").kind, NumberKind::Duration);
        assert_eq!(get("clients.users.rate").value, 0.9);
        assert_eq!(get("clients.users.timeout").value, 0.2);
        assert_eq!(get("services.db.workers").kind, NumberKind::Integer);
        assert_eq!(get("services.db.service_time.mean").value, 0.01);
        assert!(fields.iter().all(|f| f.path != "clients.users.target"));
        assert_eq!(get("services.db.workers").format(20.4), "20");
        assert_eq!(get("clients.users.rate").format(1.5), "1.5");
        assert_eq!(get("clients.users.timeout").format(0.25), "\"250ms\"");
        let loaded = crate::load_scenario_str("x.ron", text, &["services.db.workers=20".into()]);
        assert_eq!(loaded.unwrap().scenario.services["db"].workers, 20);
    }
}
