//! Sliders generated from a scenario's numbers: rates, workers, timeouts, retry attempts,
//! backoffs, breaker thresholds, budgets, fault factors. Each knob knows its field's path, so a
//! moved knob is one `--set PATH=VALUE`, and the scenario it gives is checked like any other.

use sim_models::{numeric_fields, NumberKind, NumericField};

/// Fields that are not the system's settings: how long to run, what to record, the seed.
const NOT_KNOBS: [&str; 5] = ["seed", "duration", "warmup", "time_series", "limits"];

/// One slider.
#[derive(Clone, Debug, PartialEq)]
pub struct Knob {
    /// The field, and the value the scenario gives it.
    pub field: NumericField,
    /// The value the knob is at.
    pub value: f64,
    /// The slider's range.
    pub range: (f64, f64),
    /// Whether the slider is logarithmic.
    pub log: bool,
}

impl Knob {
    fn of(field: NumericField) -> Knob {
        let v = field.value;
        let name = field.path.rsplit('.').next().unwrap_or("");
        let (range, log) = match field.kind {
            NumberKind::Integer if v >= 1.0 => ((1.0, (v * 4.0).max(v + 4.0)), false),
            NumberKind::Integer => ((0.0, 10.0), false),
            NumberKind::Real
                if v <= 1.0
                    && ["fraction", "loss", "ratio", "randomization"]
                        .iter()
                        .any(|k| name.contains(k)) =>
            {
                ((0.0, 1.0), false)
            }
            NumberKind::Real if name.contains("threshold") && v > 1.0 => ((0.0, 100.0), false),
            _ if v > 0.0 => ((v / 10.0, v * 10.0), true),
            NumberKind::Duration => ((0.0, 1.0), false),
            _ => ((0.0, 10.0), false),
        };
        Knob {
            value: v,
            field,
            range,
            log,
        }
    }

    /// Whether the knob has moved from the scenario's value.
    pub fn moved(&self) -> bool {
        self.field.format(self.value) != self.field.format(self.field.value)
    }

    /// The override that sets the knob's value: `PATH=VALUE`.
    pub fn set(&self) -> String {
        format!("{}={}", self.field.path, self.field.format(self.value))
    }
}

/// The knobs of scenario text `source`, in text order.
pub fn knobs(source: &str) -> Vec<Knob> {
    numeric_fields(source)
        .into_iter()
        .filter(|f| {
            let first = f.path.split('.').next().unwrap_or("");
            !NOT_KNOBS.contains(&first)
        })
        .map(Knob::of)
        .collect()
}

/// The overrides of the knobs that have moved.
pub fn sets(knobs: &[Knob]) -> Vec<String> {
    knobs.iter().filter(|k| k.moved()).map(Knob::set).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cascade_has_knobs_for_its_settings_but_not_for_how_it_runs() {
        let source = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenarios/cascade.ron"
        ))
        .unwrap();
        let ks = knobs(&source);
        let paths: Vec<&str> = ks.iter().map(|k| k.field.path.as_str()).collect();
        assert!(paths.contains(&"clients.users.rate"), "{paths:?}");
        assert!(paths.contains(&"services.db.workers"), "{paths:?}");
        assert!(paths.contains(&"faults.0.factor"), "{paths:?}");
        assert!(
            !paths.contains(&"duration") && !paths.iter().any(|p| p.starts_with("time_series"))
        );
        let mut workers = ks
            .iter()
            .find(|k| k.field.path == "services.db.workers")
            .unwrap()
            .clone();
        assert_eq!((workers.range, workers.moved()), ((1.0, 64.0), false));
        workers.value = 32.0;
        assert_eq!(sets(&[workers]), ["services.db.workers=32"]);
    }
}
