//! Export a scenario's policies as the configuration of the library each one follows, so that a
//! value tuned in the simulator can be pasted into production unchanged.
//!
//! Three targets, each in its own format and with the library's exact names:
//!
//! | library | what is written | format |
//! |---|---|---|
//! | [`Library::Resilience4j`] | Spring Boot `application.yml`: `resilience4j.circuitbreaker`, `retry`, `bulkhead`, `thread-pool-bulkhead`, `ratelimiter`, `timelimiter` instances | YAML, durations `"1500ms"` |
//! | [`Library::Grpc`] | a service config per target (`methodConfig` with `timeout`, `retryPolicy` or `hedgingPolicy`; `retryThrottling`) | JSON, durations `"1.500s"` |
//! | [`Library::Envoy`] | v3 `clusters` (`circuit_breakers.thresholds` with `retry_budget`, `max_requests`; `outlier_detection`) and a `route_config` (`timeout`, `retry_policy`) | YAML, durations `"1.500s"` |
//!
//! **Which library.** A layer goes to the library its preset names: a `Retry` with a
//! `Resilience4j`, `Grpc` or `Envoy` backoff, a `RetryBudget(Grpc|Envoy)`, a
//! `CircuitBreaker(Resilience4j)`, `Bulkhead` and `RateLimiter` (Resilience4j's), a
//! `Hedge(Grpc)`, and a service's `outlier_detection` (Envoy's, written into the caller's cluster
//! for that service). Layers that name no library — `Timeout`, a `Retry` with an `Immediate` or
//! `Constant` backoff, a `Fixed` concurrency limit — go to the edge's *home* library: the one of its
//! retry or hedge, else of its first layer that names one, else Resilience4j.
//!
//! **Nothing is dropped silently.** A layer that follows another library (Polly, the AWS SDK,
//! Finagle, the SRE book, Netflix's adaptive limits, a fallback, a custom policy) or a parameter
//! the target cannot express becomes an [`Untranslated`] entry, listed in the [`Export`] and
//! written as a comment at the top of the YAML document of the edge's home library (a JSON
//! document lists them in [`Document::remarks`] instead, since JSON has no comments).
//! Differences that the target can express only approximately (a status-code mapping that
//! retries more than the simulated outcomes, library defaults the simulation did not model, the
//! decorator order) are remarks.
//!
//! **Outcomes as status codes.** gRPC `retryableStatusCodes` and `nonFatalStatusCodes`:
//! `Rejected`, `Shed` → `RESOURCE_EXHAUSTED`; `Unavailable`, `Crashed`, `Dependency` →
//! `UNAVAILABLE`; `Injected`, `Corrupted` → `INTERNAL`; `Timeout`, `Expired` →
//! `DEADLINE_EXCEEDED`. Envoy `retry_on`, the narrowest condition that covers the list:
//! `Injected`, `Dependency` (a 500) need `5xx`; `Rejected`, `Shed` (503), `Expired` and
//! `Timeout` (504, a per-try timeout included) need `gateway-error`; `Unavailable` alone is
//! `connect-failure` and `Crashed` alone `reset` (both covered by the other two). Refusals by the
//! caller's own layers (`CircuitOpen`, `BulkheadFull`, …) and `Corrupted` have no code in
//! either. When a code or condition retries more outcomes than the simulation did, a remark
//! says which.
//!
//! ```
//! use sim_models::export::{export_stack, Library};
//! use sim_models::policy::PolicySpec;
//! let policies: Vec<PolicySpec> = ron::from_str(
//!     "[Retry((max_attempts: Some(3), backoff: Resilience4j(initial: \"100ms\", multiplier: 2.0))),
//!       CircuitBreaker(Resilience4j((failure_rate_threshold: 25.0)))]",
//! )
//! .unwrap();
//! let export = export_stack("api", "db", &policies);
//! let yaml = &export.documents[0];
//! assert_eq!(yaml.library, Library::Resilience4j);
//! assert!(yaml.text.contains("        failureRateThreshold: 25\n"));
//! assert!(yaml.text.contains("        exponentialBackoffMultiplier: 2\n"));
//! assert!(export.untranslated.is_empty());
//! ```
//!
//! Everything here is a pure function of the scenario's data. Each document is built as a
//! serde value whose keys are in a fixed order and written by `serde_yaml` or `serde_json`, so
//! the output is byte-for-byte deterministic and parses back; serde writes no comments, so a
//! YAML document's remarks and untranslated entries are a block of `#` lines before it.

mod document;
mod duration;
mod envoy;
mod grpc;
mod plan;
mod resilience4j;
mod yaml;

pub use document::{Document, Export, Library, Untranslated};
pub use duration::{proto_duration, spring_duration};
pub use plan::CallEdge;

use crate::policy::PolicySpec;
use crate::program::Step;
use crate::scenario::Scenario;
use plan::{Dest, Plan};
use sim_core::SimDuration;

/// Exports the policies of every edge of a scenario that has any (or whose target has outlier
/// detection): one [`Export`] per caller, clients first, then services, each in name order.
/// Call sites of one service to the same target share one client library; the first site that
/// declares policies gives the list and its timeout.
pub fn export_scenario(scenario: &Scenario) -> Vec<Export> {
    let outlier = |t: &str| {
        scenario
            .services
            .get(t)
            .and_then(|s| s.outlier_detection.as_ref())
    };
    let mut out = Vec::new();
    for (name, client) in &scenario.clients {
        let edge = CallEdge {
            target: client.target(),
            timeout: client.timeout(),
            policies: client.policies(),
            outlier_detection: outlier(client.target()),
        };
        if !edge.policies.is_empty() || edge.outlier_detection.is_some() {
            out.push(export_edges(name, &[edge]));
        }
    }
    for (name, service) in &scenario.services {
        let mut sites = Vec::new();
        call_sites(&service.steps, &mut sites);
        let mut edges: Vec<CallEdge> = Vec::new();
        let mut notes = Vec::new();
        for (target, timeout, policies) in sites {
            match edges.iter_mut().find(|e| e.target == target) {
                Some(e) => {
                    if e.policies.is_empty() && !policies.is_empty() {
                        e.policies = policies;
                        e.timeout = timeout;
                    } else if e.timeout != timeout && !policies.is_empty() {
                        notes.push(Untranslated {
                            target: target.to_string(),
                            layer: "call".into(),
                            what: format!("timeout: {}", show_timeout(timeout)),
                            why: format!(
                                "another call site to {target} has timeout {}; one library \
                                 setting serves both, the first site's was written",
                                show_timeout(e.timeout)
                            ),
                            library: None,
                        });
                    }
                }
                None => edges.push(CallEdge {
                    target,
                    timeout,
                    policies,
                    outlier_detection: outlier(target),
                }),
            }
        }
        edges.retain(|e| !e.policies.is_empty() || e.outlier_detection.is_some());
        if !edges.is_empty() {
            let mut export = export_edges(name, &edges);
            export.untranslated.extend(notes);
            out.push(export);
        }
    }
    out
}

fn show_timeout(t: Option<SimDuration>) -> String {
    t.map_or("none".into(), |d| d.to_string())
}

/// Every synchronous call site of `steps`: target, timeout, policies.
fn call_sites<'a>(
    steps: &'a [Step],
    out: &mut Vec<(&'a str, Option<SimDuration>, &'a [PolicySpec])>,
) {
    for step in steps {
        match step {
            Step::Call {
                to,
                timeout,
                policies,
                ..
            } => out.push((to, *timeout, policies)),
            Step::FanOut { calls, .. } => {
                for c in calls {
                    out.push((&c.to, c.timeout, &c.policies));
                }
            }
            Step::Cache(c) => out.push((&c.of, c.timeout, &c.policies)),
            Step::Branch(paths) => {
                for p in paths {
                    call_sites(&p.steps, out);
                }
            }
            Step::Work(_) | Step::Publish { .. } | Step::Saga(_) | Step::Store(_) => {}
        }
    }
}

/// Exports one policy stack of `caller`'s calls to `target` (no call timeout, no outlier
/// detection).
pub fn export_stack(caller: &str, target: &str, policies: &[PolicySpec]) -> Export {
    export_edges(
        caller,
        &[CallEdge {
            target,
            timeout: None,
            policies,
            outlier_detection: None,
        }],
    )
}

/// Exports the edges of one caller: the configuration its process (or its sidecar) needs.
pub fn export_edges(caller: &str, edges: &[CallEdge]) -> Export {
    let plans: Vec<Plan> = edges.iter().map(Plan::new).collect();
    let mut untranslated = Vec::new();
    let mut drafts = Vec::new();
    drafts.extend(resilience4j::resilience4j(
        caller,
        &plans,
        &mut untranslated,
    ));
    for p in &plans {
        drafts.extend(grpc::grpc(p, &mut untranslated));
    }
    drafts.extend(envoy::envoy(caller, &plans, &mut untranslated));
    // Layers of no library, listed in their edge's home document.
    for p in &plans {
        for &(i, spec, dest) in &p.layers {
            if let Dest::Foreign(why) = dest {
                untranslated.push(Untranslated {
                    target: p.target.to_string(),
                    layer: format!("{i} {}", spec.kind()),
                    what: ron::to_string(spec).unwrap_or_else(|_| spec.kind().to_string()),
                    why: why.to_string(),
                    library: p.home_document(&drafts),
                });
            }
        }
    }
    // Each YAML document lists its untranslated entries at its top, as comments.
    let documents = drafts
        .into_iter()
        .map(|d| d.finish(&untranslated))
        .collect();
    // Stable order: edge, then layer, as listed.
    untranslated.sort_by_key(|u| {
        (
            edges.iter().position(|e| e.target == u.target),
            u.layer
                .split(' ')
                .next()
                .and_then(|n| n.parse::<usize>().ok()),
        )
    });
    Export {
        caller: caller.to_string(),
        documents,
        untranslated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing::specs;

    #[test]
    fn untranslatable_layers_and_parameters_are_listed_never_dropped() {
        let stack = specs(
            r#"[
                Fallback(()),
                Retry((retry_on: Some([Timeout]), backoff: Exponential(base: "10ms", cap: "1s"))),
                RetryBudget(Sre()),
                CircuitBreaker(Resilience4j((record: Some([Timeout]), max_wait_in_half_open: "10s", after_half_open_wait: Closed))),
                CircuitBreaker(Polly(())),
                ConcurrencyLimit(Aimd()),
                Custom(name: "mine"),
            ]"#,
        );
        let export = export_stack("api", "db", &stack);
        let layers: Vec<&str> = export
            .untranslated
            .iter()
            .map(|u| u.layer.as_str())
            .collect();
        assert_eq!(
            layers,
            [
                "0 fallback",
                "1 retry",
                "2 retry_budget",
                "3 circuit_breaker",
                "3 circuit_breaker",
                "4 circuit_breaker",
                "5 concurrency_limit",
                "6 mine"
            ]
        );
        // Everything is listed in the one document written, at its top.
        assert_eq!(export.documents.len(), 1);
        let doc = &export.documents[0];
        assert!(export
            .untranslated
            .iter()
            .all(|u| u.library == Some(Library::Resilience4j)));
        for u in &export.untranslated {
            assert!(doc.text.contains(&format!("# - {u}")), "{u}");
        }
        assert!(doc.text.contains("record: [Timeout]"));
        assert!(doc.text.contains("after_half_open_wait: Closed"));
        // The breaker itself is still written.
        assert!(doc
            .text
            .contains("      db:\n        slidingWindowType: COUNT_BASED\n"));
    }

    #[test]
    fn a_stack_of_foreign_layers_only_lists_them_outside_any_document() {
        let stack = specs(r#"[Retry((backoff: Polly())), RetryBudget(Finagle())]"#);
        let export = export_stack("a", "b", &stack);
        assert_eq!(export.documents, []);
        assert_eq!(export.untranslated.len(), 2);
        assert!(export.untranslated.iter().all(|u| u.library.is_none()));
        assert!(export.render().contains("not expressed in any library"));
    }

    #[test]
    fn a_bundled_scenario_exports_one_configuration_per_caller() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenarios/retry-amplification-budget.ron"
        ))
        .unwrap();
        let scenario = crate::load_scenario_str("s.ron", &text, &[])
            .unwrap()
            .scenario;
        let exports = export_scenario(&scenario);
        let callers: Vec<&str> = exports.iter().map(|e| e.caller.as_str()).collect();
        assert_eq!(callers, ["users", "api", "edge"]);
        // users: a gRPC budget with a constant backoff gRPC cannot express.
        let users = &exports[0];
        assert_eq!(users.documents[0].library, Library::Grpc);
        assert!(users.untranslated[0].why.contains("±20% jitter"));
        // api → db: a constant Resilience4j retry; the SRE budget is listed.
        let api = &exports[1];
        assert!(api.documents[0].text.contains("waitDuration: 20ms"));
        assert!(api.untranslated[0].what.starts_with("RetryBudget(Sre"));
        // Same input, same bytes.
        assert_eq!(export_scenario(&scenario), exports);
    }

    /// Every document of `export`, parsed back: JSON with serde_json, YAML (its comment header
    /// included) with serde_yaml, as the same tree of values the exporter built.
    fn parsed(export: &Export) -> Vec<serde_json::Value> {
        export
            .documents
            .iter()
            .map(|d| {
                let v: serde_json::Value = if d.library.is_json() {
                    serde_json::from_str(&d.text)
                        .unwrap_or_else(|e| panic!("{}: {e}\n{}", export.caller, d.text))
                } else {
                    serde_yaml::from_str(&d.text)
                        .unwrap_or_else(|e| panic!("{}: {e}\n{}", export.caller, d.text))
                };
                assert!(v.is_object(), "{}: {}", export.caller, d.text);
                v
            })
            .collect()
    }

    #[test]
    fn every_document_of_every_bundled_scenario_parses_back() {
        let base = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
        let mut dirs = vec![base];
        let (mut scenarios, mut documents) = (0, 0);
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("scenarios") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("read");
                if path.extension().is_none_or(|e| e != "ron") || text.contains("Sweep(") {
                    continue;
                }
                let name = path.display().to_string();
                let scenario = crate::load_scenario_str(&name, &text, &[])
                    .unwrap_or_else(|e| panic!("{name}: {e}"))
                    .scenario;
                scenarios += 1;
                for export in export_scenario(&scenario) {
                    for (d, v) in export.documents.iter().zip(parsed(&export)) {
                        let top = match d.library {
                            Library::Resilience4j => "resilience4j",
                            Library::Grpc => "methodConfig",
                            Library::Envoy => "clusters",
                        };
                        assert!(v.get(top).is_some(), "{name}: {}", d.text);
                        documents += 1;
                    }
                }
            }
        }
        assert!(
            scenarios >= 10 && documents >= 5,
            "{scenarios} scenarios, {documents} documents"
        );
    }

    #[test]
    fn odd_service_names_read_back_as_the_same_strings_in_every_library() {
        let names = [
            "db", "yes", "off", "123", "1.5", "true", "null", "a: b", "#x", "1_000", "", "x y",
        ];
        let stacks = [
            r#"[Retry((backoff: Resilience4j(initial: "1s"))), Bulkhead(Semaphore(max_concurrent: 2))]"#,
            r#"[Retry((backoff: Envoy())), RetryBudget(Envoy())]"#,
            r#"[Retry((backoff: Grpc(initial: "1s", max: "2s", multiplier: 2.0)))]"#,
        ];
        for stack in stacks {
            let policies = specs(stack);
            let edges: Vec<CallEdge> = names
                .iter()
                .map(|target| CallEdge {
                    target,
                    timeout: None,
                    policies: &policies,
                    outlier_detection: None,
                })
                .collect();
            let export = export_edges("caller", &edges);
            for (d, v) in export.documents.iter().zip(parsed(&export)) {
                let mut read: Vec<&str> = match d.library {
                    Library::Resilience4j => v["resilience4j"]["retry"]["instances"]
                        .as_object()
                        .expect("instances")
                        .keys()
                        .map(String::as_str)
                        .collect(),
                    Library::Grpc => vec![v["methodConfig"][0]["name"][0]["service"]
                        .as_str()
                        .expect("a string")],
                    Library::Envoy => v["clusters"]
                        .as_array()
                        .expect("clusters")
                        .iter()
                        .map(|c| c["name"].as_str().expect("a string"))
                        .collect(),
                };
                read.sort_unstable();
                match &d.target {
                    Some(t) => assert_eq!(read, [t.as_str()]),
                    None => {
                        let mut all = names.to_vec();
                        all.sort_unstable();
                        assert_eq!(read, all, "{}", d.text);
                    }
                }
                if !d.library.is_json() {
                    // serde_yaml follows YAML 1.2; where a YAML 1.1 reader would take a name
                    // for a boolean or a number, a remark says to quote it.
                    for odd in ["yes", "off", "1_000"] {
                        assert!(
                            d.remarks
                                .iter()
                                .any(|r| r.starts_with(&format!("calls to {odd}: a YAML 1.1"))),
                            "{odd}: {:?}",
                            d.remarks
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::policy::PolicySpec;
    use sim_core::SimDuration;

    pub(crate) fn specs(ron_text: &str) -> Vec<PolicySpec> {
        ron::from_str(ron_text).expect("a policy list")
    }

    pub(crate) fn ms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }
}
