//! gRPC: a service config (JSON) per target.

use super::document::{Body, Draft, Library, Untranslated};
use super::duration::proto_duration;
use super::plan::{outcomes, Plan};
use crate::outcome::Outcome;
use crate::policy::hedging::HedgeSpec;
use crate::policy::retry::{Backoff, RetrySpec};
use crate::policy::retry_budget::BudgetSpec;
use crate::policy::PolicySpec;

/// The gRPC status code an outcome arrives with, if it has one.
fn grpc_code(o: Outcome) -> Option<&'static str> {
    Some(match o {
        Outcome::Rejected | Outcome::Shed => "RESOURCE_EXHAUSTED",
        Outcome::Unavailable | Outcome::Crashed | Outcome::Dependency => "UNAVAILABLE",
        Outcome::Injected | Outcome::Corrupted => "INTERNAL",
        Outcome::Timeout | Outcome::Expired => "DEADLINE_EXCEEDED",
        _ => return None,
    })
}

/// Status codes in their numeric order (4, 8, 13, 14).
const GRPC_CODES: [&str; 4] = [
    "DEADLINE_EXCEEDED",
    "RESOURCE_EXHAUSTED",
    "INTERNAL",
    "UNAVAILABLE",
];

/// The codes of `list` (`None`: every error), noting outcomes without a code (when listed
/// explicitly) and codes that cover outcomes the simulation did not include.
fn grpc_codes(
    list: Option<&[Outcome]>,
    field: &str,
    p: &Plan,
    layer: Option<(usize, &PolicySpec)>,
    un: &mut Vec<Untranslated>,
    remarks: &mut Vec<String>,
) -> Vec<&'static str> {
    let chosen: Vec<Outcome> = list.map_or(Outcome::ERRORS.to_vec(), <[Outcome]>::to_vec);
    let mut codes: Vec<&'static str> = chosen.iter().filter_map(|o| grpc_code(*o)).collect();
    codes.sort_by_key(|c| GRPC_CODES.iter().position(|x| x == c));
    codes.dedup();
    if let Some(list) = list {
        let none: Vec<Outcome> = list
            .iter()
            .copied()
            .filter(|o| grpc_code(*o).is_none())
            .collect();
        if !none.is_empty() {
            p.note(
                un,
                Library::Grpc,
                layer,
                format!("{field}: {}", outcomes(&none)),
                "refusals by the caller's own layers reach no server and have no status code",
            );
        }
        for c in &codes {
            let extra: Vec<Outcome> = Outcome::ERRORS
                .iter()
                .copied()
                .filter(|o| grpc_code(*o) == Some(c) && !list.contains(o))
                .collect();
            if !extra.is_empty() {
                remarks.push(format!(
                    "calls to {}: {c} in {field} also covers {}, which the simulation did not \
                     include",
                    p.target,
                    outcomes(&extra)
                ));
            }
        }
    }
    codes
}

pub(super) fn grpc(p: &Plan, un: &mut Vec<Untranslated>) -> Option<Draft> {
    use serde_json::{json, Map as JMap, Value};
    let lib = Library::Grpc;
    if !p.uses(lib) {
        return None;
    }
    let mut remarks = vec![format!(
        "\"service\": \"{}\" is the scenario's name: write the fully-qualified gRPC service \
         name (package.Service)",
        p.target
    )];
    let mut method = JMap::new();
    method.insert("name".into(), json!([{ "service": p.target }]));
    let home = p.home == lib;
    let call_timeout = if home {
        p.call_timeout()
    } else {
        p.edge_timeout
    };
    if let Some(t) = call_timeout {
        method.insert("timeout".into(), json!(proto_duration(t)));
    }
    let mut config = JMap::new();
    let mut retry_policy = false;
    for (i, spec) in p.layers_for(lib) {
        let layer = Some((i, spec));
        match spec {
            PolicySpec::Retry(
                r @ RetrySpec {
                    backoff:
                        Backoff::Grpc {
                            initial,
                            max,
                            multiplier,
                            legacy_full_jitter,
                        },
                    ..
                },
            ) => {
                let attempts = r.attempts();
                if attempts < 2 {
                    p.note(
                        un,
                        lib,
                        layer,
                        format!("max_attempts: {attempts}"),
                        "gRPC's retryPolicy needs maxAttempts of 2 or more; one attempt is no retry",
                    );
                    continue;
                }
                if attempts > 5 {
                    p.note(
                        un,
                        lib,
                        layer,
                        format!("max_attempts: {attempts}"),
                        "gRPC clamps maxAttempts to 5: written as 5, so production makes fewer \
                         attempts than the simulation",
                    );
                }
                if *legacy_full_jitter {
                    remarks.push(format!(
                        "calls to {}: the simulation used the full jitter of older grpc-go \
                         releases; current gRPC draws each backoff from ±20% of the value",
                        p.target
                    ));
                }
                let codes = grpc_codes(
                    r.retry_on.as_deref(),
                    "retryableStatusCodes",
                    p,
                    layer,
                    un,
                    &mut remarks,
                );
                let mut policy = JMap::new();
                policy.insert("maxAttempts".into(), json!(attempts.min(5)));
                policy.insert("initialBackoff".into(), json!(proto_duration(*initial)));
                policy.insert("maxBackoff".into(), json!(proto_duration(*max)));
                policy.insert("backoffMultiplier".into(), json!(multiplier));
                policy.insert("retryableStatusCodes".into(), json!(codes));
                if let (true, Some(t)) = (home, p.attempt_timeout) {
                    policy.insert("perAttemptRecvTimeout".into(), json!(proto_duration(t)));
                    remarks.push(format!(
                        "calls to {}: perAttemptRecvTimeout is honoured by gRPC implementations \
                         that support it (e.g. C-core); check yours",
                        p.target
                    ));
                }
                method.insert("retryPolicy".into(), Value::Object(policy));
                retry_policy = true;
            }
            PolicySpec::Hedge(HedgeSpec::Grpc {
                max_attempts,
                hedging_delay,
                non_fatal,
            }) => {
                let mut policy = JMap::new();
                policy.insert("maxAttempts".into(), json!(max_attempts));
                policy.insert("hedgingDelay".into(), json!(proto_duration(*hedging_delay)));
                if !non_fatal.is_empty() {
                    let codes = grpc_codes(
                        Some(non_fatal),
                        "nonFatalStatusCodes",
                        p,
                        layer,
                        un,
                        &mut remarks,
                    );
                    policy.insert("nonFatalStatusCodes".into(), json!(codes));
                }
                method.insert("hedgingPolicy".into(), Value::Object(policy));
            }
            PolicySpec::RetryBudget(BudgetSpec::Grpc {
                max_tokens,
                token_ratio,
            }) => {
                let milli = |v: f64| (v * 1000.0).round() / 1000.0;
                for (name, v) in [("max_tokens", *max_tokens), ("token_ratio", *token_ratio)] {
                    if (milli(v) - v).abs() > 1e-12 {
                        p.note(
                            un,
                            lib,
                            layer,
                            format!("{name}: {v}"),
                            "gRPC keeps 3 decimal places: written rounded",
                        );
                    }
                }
                config.insert(
                    "retryThrottling".into(),
                    json!({ "maxTokens": milli(*max_tokens), "tokenRatio": milli(*token_ratio) }),
                );
            }
            other => p.note(
                un,
                lib,
                layer,
                ron::to_string(other).unwrap_or_else(|_| other.kind().into()),
                match other {
                    PolicySpec::Retry(_) => {
                        "gRPC's backoff is always exponential with ±20% jitter: use a Grpc backoff"
                    }
                    _ => "no gRPC service-config equivalent",
                },
            ),
        }
    }
    if home && p.attempt_timeout.is_some() && !retry_policy {
        p.note(
            un,
            lib,
            None,
            format!(
                "Timeout(\"{}\") after the retry (each attempt)",
                p.attempt_timeout.unwrap_or_default()
            ),
            "gRPC limits each attempt only within a retryPolicy (perAttemptRecvTimeout)",
        );
    }
    if config.contains_key("retryThrottling")
        && !method.contains_key("retryPolicy")
        && !method.contains_key("hedgingPolicy")
    {
        remarks.push(format!(
            "calls to {}: retryThrottling throttles only gRPC's own retries and hedges",
            p.target
        ));
    }
    config.insert("methodConfig".into(), json!([Value::Object(method)]));
    Some(Draft {
        library: lib,
        target: Some(p.target.to_string()),
        remarks,
        body: Body::Json(Value::Object(config)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::export_stack;
    use crate::export::testing::specs;
    use serde_json::Value;

    #[test]
    fn grpc_retry_and_throttling_export_a_service_config_that_parses() {
        let stack = specs(
            r#"[
                Timeout("2s"),
                Retry((
                    max_attempts: Some(4),
                    retry_on: Some([Unavailable, Crashed, Dependency]),
                    backoff: Grpc(initial: "100ms", max: "1500ms", multiplier: 1.6),
                )),
                RetryBudget(Grpc(max_tokens: 10, token_ratio: 0.1)),
                Timeout("300ms"),
            ]"#,
        );
        let export = export_stack("frontend", "search", &stack);
        assert_eq!(export.untranslated, []);
        assert_eq!(export.documents.len(), 1);
        let doc = &export.documents[0];
        assert_eq!(
            (doc.library, doc.target.as_deref()),
            (Library::Grpc, Some("search"))
        );
        let v: Value = serde_json::from_str(&doc.text).expect("valid JSON");
        let m = &v["methodConfig"][0];
        assert_eq!(m["name"][0]["service"], "search");
        assert_eq!(m["timeout"], "2s");
        let r = &m["retryPolicy"];
        assert_eq!(r["maxAttempts"], 4);
        assert_eq!(r["initialBackoff"], "0.100s");
        assert_eq!(r["maxBackoff"], "1.500s");
        assert_eq!(r["backoffMultiplier"], 1.6);
        assert_eq!(r["perAttemptRecvTimeout"], "0.300s");
        // The three outcomes all arrive as UNAVAILABLE: one code, and no remark about extras.
        assert_eq!(
            r["retryableStatusCodes"],
            serde_json::json!(["UNAVAILABLE"])
        );
        assert!(!doc.remarks.iter().any(|r| r.contains("also covers")));
        assert_eq!(v["retryThrottling"]["maxTokens"], 10.0);
        assert_eq!(v["retryThrottling"]["tokenRatio"], 0.1);
    }

    #[test]
    fn grpc_hedging_and_the_limits_of_its_status_codes() {
        let stack = specs(
            r#"[
                Hedge(Grpc(max_attempts: 3, hedging_delay: "40ms", non_fatal: [Unavailable, CircuitOpen])),
                RetryBudget(Grpc(max_tokens: 8.5, token_ratio: 0.12345)),
            ]"#,
        );
        let export = export_stack("a", "b", &stack);
        let v: Value = serde_json::from_str(&export.documents[0].text).unwrap();
        let h = &v["methodConfig"][0]["hedgingPolicy"];
        assert_eq!(h["maxAttempts"], 3);
        assert_eq!(h["hedgingDelay"], "0.040s");
        assert_eq!(h["nonFatalStatusCodes"], serde_json::json!(["UNAVAILABLE"]));
        assert_eq!(v["retryThrottling"]["maxTokens"], 8.5);
        assert_eq!(v["retryThrottling"]["tokenRatio"], 0.123);
        let what: Vec<&str> = export
            .untranslated
            .iter()
            .map(|u| u.what.as_str())
            .collect();
        assert_eq!(
            what,
            ["nonFatalStatusCodes: [CircuitOpen]", "token_ratio: 0.12345"]
        );
        // UNAVAILABLE also covers crashes and dependency failures.
        assert!(export.documents[0]
            .remarks
            .iter()
            .any(|r| r
                .contains("UNAVAILABLE in nonFatalStatusCodes also covers [Crashed, Dependency]")));
        // Printed, the JSON is preceded by what it could not say.
        let text = export.render();
        assert!(text.contains("# not expressed: b [1 retry_budget] token_ratio: 0.12345"));
    }
}
