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
//! Everything here is a pure function of the scenario's data; the YAML is written by a small
//! emitter of its own, so the output is byte-for-byte deterministic.

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
use document::{comment_lines, header_len};
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
            Step::Branch(paths) => {
                for p in paths {
                    call_sites(&p.steps, out);
                }
            }
            Step::Work(_) | Step::Publish { .. } => {}
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
    let mut documents = Vec::new();
    if let Some(d) = resilience4j::resilience4j(caller, &plans, &mut untranslated) {
        documents.push(d);
    }
    for p in &plans {
        if let Some(d) = grpc::grpc(p, &mut untranslated) {
            documents.push(d);
        }
    }
    if let Some(d) = envoy::envoy(caller, &plans, &mut untranslated) {
        documents.push(d);
    }
    // Layers of no library, listed in their edge's home document.
    for p in &plans {
        for &(i, spec, dest) in &p.layers {
            if let Dest::Foreign(why) = dest {
                untranslated.push(Untranslated {
                    target: p.target.to_string(),
                    layer: format!("{i} {}", spec.kind()),
                    what: ron::to_string(spec).unwrap_or_else(|_| spec.kind().to_string()),
                    why: why.to_string(),
                    library: p.home_document(&documents),
                });
            }
        }
    }
    // Put each document's untranslated entries at its top, as comments (YAML only).
    for d in &mut documents {
        if d.library.is_json() {
            continue;
        }
        let mut head = String::new();
        let mine: Vec<&Untranslated> = untranslated
            .iter()
            .filter(|u| u.library == Some(d.library))
            .collect();
        if !mine.is_empty() {
            head.push_str("# Not expressed here (set by hand, or keep in code):\n");
            for u in mine {
                comment_lines(&mut head, "", &format!("- {u}"));
            }
        }
        d.text.insert_str(header_len(&d.text), &head);
    }
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
