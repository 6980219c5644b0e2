//! A saga as a scenario writes it ([`SagaSpec`], [`SagaStepSpec`]) and the range checks it
//! applies ([`check_saga`]).

use serde::{Deserialize, Serialize};
use sim_core::SimDuration;

/// The most steps one saga may have.
pub const MAX_SAGA_STEPS: usize = 32;
/// The most retries of one step or compensation.
pub const MAX_SAGA_RETRIES: u32 = 100;

/// An orchestrated saga: the request at this step runs `steps` in order, each a call to a
/// participant service; if a step fails for good, the compensations of the steps before it
/// (and of the failed one, if it may have taken effect: it timed out) run in reverse order.
/// The request succeeds if every step did, and fails (`dependency`) if the saga was
/// compensated or is stuck.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SagaSpec {
    /// Its name in the report (unique among the service's sagas).
    pub name: String,
    /// Its steps, in order.
    pub steps: Vec<SagaStepSpec>,
    /// Whether every call carries an idempotency key (the saga and the step): a participant
    /// applies an action or a compensation once however often it is resent, and refuses an
    /// action that arrives after its compensation.
    #[serde(default)]
    pub idempotency_keys: bool,
}

/// One step of a saga.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SagaStepSpec {
    /// The participant whose local transaction this step is.
    pub action: String,
    /// The service that undoes it (often the participant itself); none for a step that needs
    /// no undoing (a read, a final pivot).
    #[serde(default)]
    pub compensation: Option<String>,
    /// How long the orchestrator waits for an answer (error `timeout`; the step may still take
    /// effect). Default: forever.
    #[serde(default)]
    pub timeout: Option<SimDuration>,
    /// Attempts of the action after the first (default 0).
    #[serde(default)]
    pub retries: u32,
    /// Attempts of the compensation after the first (default: as many as `retries`). A saga
    /// whose compensation runs out of them is stuck, so these are usually generous.
    #[serde(default)]
    pub compensation_retries: Option<u32>,
    /// The wait before the first retry; each later one waits twice as long (default 100 ms).
    #[serde(default = "hundred_ms")]
    pub backoff: SimDuration,
}

fn hundred_ms() -> SimDuration {
    SimDuration::from_millis(100)
}

impl SagaSpec {
    /// Every service it calls, with the field naming it (relative to the saga).
    pub(crate) fn participants(&self) -> impl Iterator<Item = (String, &str)> {
        self.steps.iter().enumerate().flat_map(|(k, s)| {
            std::iter::once((format!("steps.{k}.action"), s.action.as_str())).chain(
                s.compensation
                    .as_deref()
                    .map(|c| (format!("steps.{k}.compensation"), c)),
            )
        })
    }
}

/// Range checks of a saga: `(field, message)` pairs relative to the saga, empty if it is
/// valid. (Participant names are checked as calls' are.)
pub fn check_saga(spec: &SagaSpec) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if spec.name.is_empty() {
        out.push(("name".into(), "must not be empty".into()));
    }
    if spec.steps.is_empty() || spec.steps.len() > MAX_SAGA_STEPS {
        out.push((
            "steps".into(),
            format!(
                "a saga has 1 to {MAX_SAGA_STEPS} steps, got {}",
                spec.steps.len()
            ),
        ));
    }
    for (k, s) in spec.steps.iter().enumerate() {
        if s.timeout == Some(SimDuration::ZERO) {
            out.push((
                format!("steps.{k}.timeout"),
                "must be longer than zero (leave it out to wait forever)".into(),
            ));
        }
        for (field, n) in [
            ("retries", Some(s.retries)),
            ("compensation_retries", s.compensation_retries),
        ] {
            if let Some(n) = n.filter(|&n| n > MAX_SAGA_RETRIES) {
                out.push((
                    format!("steps.{k}.{field}"),
                    format!("at most {MAX_SAGA_RETRIES}, got {n}"),
                ));
            }
        }
        if (s.retries > 0 || s.compensation_retries.is_some_and(|n| n > 0))
            && s.backoff == SimDuration::ZERO
        {
            out.push((
                format!("steps.{k}.backoff"),
                "must be longer than zero when the step retries (a retry at once hammers a failing participant)".into(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saga(text: &str) -> SagaSpec {
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        options.from_str(text).expect("a saga")
    }

    #[test]
    fn defaults_and_participants() {
        let s = saga(
            r#"(name: "order", steps: [(action: "stock", compensation: "stock"), (action: "pay")])"#,
        );
        assert!(!s.idempotency_keys);
        assert_eq!(s.steps[0].retries, 0);
        assert_eq!(s.steps[0].backoff, SimDuration::from_millis(100));
        let p: Vec<(String, &str)> = s.participants().collect();
        assert_eq!(
            p,
            vec![
                ("steps.0.action".to_string(), "stock"),
                ("steps.0.compensation".to_string(), "stock"),
                ("steps.1.action".to_string(), "pay"),
            ]
        );
        assert!(check_saga(&s).is_empty());
    }

    #[test]
    fn bad_ranges_are_refused_at_their_fields() {
        let s = saga(
            r#"(name: "", steps: [(action: "a", timeout: "0s", retries: 500, backoff: "0s")])"#,
        );
        let fields: Vec<String> = check_saga(&s).into_iter().map(|p| p.0).collect();
        assert_eq!(
            fields,
            [
                "name",
                "steps.0.timeout",
                "steps.0.retries",
                "steps.0.backoff"
            ]
        );
        assert_eq!(check_saga(&saga(r#"(name: "x", steps: [])"#))[0].0, "steps");
    }
}
