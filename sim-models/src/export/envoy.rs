//! Envoy: v3 clusters and route configuration (YAML).

use super::document::{Body, Draft, Library, Untranslated};
use super::plan::{outcomes, Plan};
use super::yaml::{dur, misread_name, num, Tree};
use crate::outcome::Outcome;
use crate::outlier_detection::OutlierSpec;
use crate::policy::concurrency_limit::LimitSpec;
use crate::policy::retry::{Backoff, RetrySpec};
use crate::policy::retry_budget::BudgetSpec;
use crate::policy::PolicySpec;
use serde_yaml::{Mapping, Value};
use sim_core::SimDuration;

/// What Envoy sees of an outcome: `500` (a plain server error), `gateway` (a 502, 503 or 504,
/// a per-try timeout included), `connect-failure` or `reset`; `None` for what it cannot see.
fn envoy_kind(o: Outcome) -> Option<&'static str> {
    Some(match o {
        Outcome::Injected | Outcome::Dependency => "500",
        Outcome::Rejected | Outcome::Shed | Outcome::Expired | Outcome::Timeout => "gateway",
        Outcome::Unavailable => "connect-failure",
        Outcome::Crashed => "reset",
        _ => return None,
    })
}

/// Whether Envoy's `retry_on` condition `cond` retries what `kind` describes: `5xx` covers
/// everything, `gateway-error` everything but a plain 500 (Envoy counts a reset or a connect
/// failure as a 5xx for both).
fn envoy_covers(cond: &str, kind: &str) -> bool {
    match cond {
        "5xx" => true,
        "gateway-error" => kind != "500",
        c => c == kind,
    }
}

/// Envoy's narrowest `retry_on` for `list` (`None`: every error): `5xx` if a plain server error
/// is retried, else `gateway-error` if a 502/503/504 is, else `connect-failure` and/or `reset`.
fn envoy_retry_on(
    list: Option<&[Outcome]>,
    p: &Plan,
    layer: Option<(usize, &PolicySpec)>,
    un: &mut Vec<Untranslated>,
    remarks: &mut Vec<String>,
) -> String {
    let chosen: Vec<Outcome> = list.map_or(Outcome::ERRORS.to_vec(), <[Outcome]>::to_vec);
    let kinds: Vec<&str> = chosen.iter().filter_map(|o| envoy_kind(*o)).collect();
    let conds: Vec<&str> = if kinds.contains(&"500") {
        vec!["5xx"]
    } else if kinds.contains(&"gateway") {
        vec!["gateway-error"]
    } else {
        ["connect-failure", "reset"]
            .into_iter()
            .filter(|c| kinds.contains(c))
            .collect()
    };
    if let Some(list) = list {
        let none: Vec<Outcome> = list
            .iter()
            .copied()
            .filter(|o| envoy_kind(*o).is_none())
            .collect();
        if !none.is_empty() {
            p.note(
                un,
                Library::Envoy,
                layer,
                format!("retry_on: {}", outcomes(&none)),
                "no Envoy retry condition: a corrupted answer looks like a success to Envoy, and \
                 refusals by the caller's own layers are not retried",
            );
        }
        let extra: Vec<Outcome> = Outcome::ERRORS
            .iter()
            .copied()
            .filter(|o| !list.contains(o))
            .filter(|o| envoy_kind(*o).is_some_and(|k| conds.iter().any(|c| envoy_covers(c, k))))
            .collect();
        if !extra.is_empty() {
            remarks.push(format!(
                "calls to {}: retry_on {} also retries {}, which the simulation did not",
                p.target,
                conds.join(","),
                outcomes(&extra)
            ));
        }
    }
    conds.join(",")
}

pub(super) fn envoy(caller: &str, plans: &[Plan], un: &mut Vec<Untranslated>) -> Option<Draft> {
    let lib = Library::Envoy;
    let mut clusters = Vec::new();
    let mut hosts = Vec::new();
    let mut remarks = Vec::new();
    for p in plans.iter().filter(|p| p.uses(lib)) {
        let home = p.home == lib;
        remarks.extend(misread_name(p.target));
        let mut cluster = Mapping::new();
        cluster.put("name", p.target);
        let mut thresholds = Mapping::new();
        thresholds.put("priority", "DEFAULT");
        let mut retry_policy = None;
        let mut budget = false;
        // The layer and limit of the ConcurrencyLimit(Fixed) written as max_requests.
        let mut max_requests: Option<(usize, &PolicySpec, u32)> = None;
        for (i, spec) in p.layers_for(lib) {
            let layer = Some((i, spec));
            match spec {
                PolicySpec::Retry(
                    r @ RetrySpec {
                        backoff: Backoff::Envoy { base, max },
                        ..
                    },
                ) => {
                    let mut rp = Mapping::new();
                    rp.put(
                        "retry_on",
                        envoy_retry_on(r.retry_on.as_deref(), p, layer, un, &mut remarks),
                    )
                    .put("num_retries", r.attempts().saturating_sub(1));
                    if let (true, Some(t)) = (home, p.attempt_timeout) {
                        rp.put("per_try_timeout", dur(t, lib));
                    }
                    let max = max.unwrap_or(SimDuration::from_nanos(base.as_nanos() * 10));
                    rp.child("retry_back_off")
                        .put("base_interval", dur(*base, lib))
                        .put("max_interval", dur(max, lib));
                    retry_policy = Some(rp);
                }
                PolicySpec::RetryBudget(BudgetSpec::Envoy {
                    budget_percent,
                    min_retry_concurrency,
                }) => {
                    let b = thresholds.child("retry_budget");
                    b.child("budget_percent").put("value", num(*budget_percent));
                    b.put("min_retry_concurrency", *min_retry_concurrency);
                    budget = true;
                }
                PolicySpec::ConcurrencyLimit(LimitSpec::Fixed { limit }) => {
                    // A cluster has one max_requests: nested limits keep the smallest.
                    let this = (i, spec, *limit);
                    let (kept, dropped) = match max_requests {
                        Some(held) if held.2 <= *limit => (held, Some(this)),
                        Some(held) => (this, Some(held)),
                        None => (this, None),
                    };
                    match dropped {
                        Some((at, s, l)) => p.note(
                            un,
                            lib,
                            Some((at, s)),
                            format!("ConcurrencyLimit(Fixed(limit: {l}))"),
                            format!(
                                "Envoy has one max_requests per cluster: the smaller limit, {}, \
                                 is written",
                                kept.2
                            ),
                        ),
                        None => remarks.push(format!(
                            "calls to {}: max_requests is ConcurrencyLimit(Fixed): requests in \
                             flight",
                            p.target
                        )),
                    }
                    thresholds.put("max_requests", kept.2);
                    max_requests = Some(kept);
                }
                other => p.note(
                    un,
                    lib,
                    layer,
                    ron::to_string(other).unwrap_or_else(|_| other.kind().into()),
                    match other {
                        PolicySpec::Retry(_) => {
                            "Envoy's retry back-off is always exponential with full jitter \
                             (base_interval > 0): use an Envoy backoff"
                        }
                        _ => "no Envoy equivalent",
                    },
                ),
            }
        }
        if retry_policy.is_some() && !budget {
            remarks.push(format!(
                "calls to {}: without a retry_budget Envoy allows 3 retries in flight across the \
                 cluster (max_retries); the simulation had no such limit",
                p.target
            ));
        }
        if thresholds.len() > 1 || retry_policy.is_some() {
            remarks.push(format!(
                "calls to {}: {} keep Envoy's defaults (1024); the simulation models no \
                 connection pool",
                p.target,
                if max_requests.is_some() {
                    "max_connections and max_pending_requests"
                } else {
                    "max_connections, max_pending_requests and max_requests"
                }
            ));
        }
        if thresholds.len() > 1 {
            cluster
                .child("circuit_breakers")
                .put("thresholds", vec![Value::Mapping(thresholds)]);
        }
        if let Some(o) = p.outlier {
            cluster.put("outlier_detection", outlier(o));
        }
        clusters.push(Value::Mapping(cluster));
        if home || retry_policy.is_some() {
            let mut route = Mapping::new();
            route.put("cluster", p.target);
            let timeout = if home {
                p.call_timeout()
            } else {
                p.edge_timeout
            };
            route.put("timeout", dur(timeout.unwrap_or_default(), lib));
            if timeout.is_none() {
                remarks.push(format!(
                    "calls to {}: the route's timeout of 0s is none, as simulated (Envoy's \
                     default is 15s)",
                    p.target
                ));
            }
            if let Some(rp) = retry_policy {
                route.put("retry_policy", rp);
            } else if home && p.attempt_timeout.is_some() {
                p.note(
                    un,
                    lib,
                    None,
                    format!(
                        "Timeout(\"{}\") after the retry (each attempt)",
                        p.attempt_timeout.unwrap_or_default()
                    ),
                    "Envoy limits each try only within a retry_policy (per_try_timeout)",
                );
            }
            let mut r = Mapping::new();
            r.child("match").put("prefix", "/");
            r.put("route", route);
            let mut host = Mapping::new();
            host.put("name", p.target)
                .put("domains", vec![p.target])
                .put("routes", vec![Value::Mapping(r)]);
            hosts.push(Value::Mapping(host));
        }
    }
    if clusters.is_empty() {
        return None;
    }
    let mut root = Mapping::new();
    root.put("clusters", clusters);
    if !hosts.is_empty() {
        root.child("route_config").put("virtual_hosts", hosts);
    }
    Some(Draft {
        library: lib,
        target: None,
        remarks,
        body: Body::Yaml {
            title: format!(
                "Envoy v3: clusters and route configuration for the calls of {caller} (exported \
                 by Faultline)"
            ),
            value: Value::Mapping(root),
        },
    })
}

/// Envoy's `outlier_detection`, every field written.
fn outlier(o: &OutlierSpec) -> Mapping {
    let lib = Library::Envoy;
    let mut m = Mapping::new();
    m.put("consecutive_5xx", o.consecutive_5xx)
        .put("enforcing_consecutive_5xx", o.enforcing_consecutive_5xx)
        .put("consecutive_gateway_failure", o.consecutive_gateway_failure)
        .put(
            "enforcing_consecutive_gateway_failure",
            o.enforcing_consecutive_gateway_failure,
        )
        .put("interval", dur(o.interval, lib))
        .put("base_ejection_time", dur(o.base_ejection_time, lib))
        .put("max_ejection_time", dur(o.max_ejection_time, lib))
        .put("max_ejection_percent", o.max_ejection_percent)
        .put("success_rate_minimum_hosts", o.success_rate_minimum_hosts)
        .put("success_rate_request_volume", o.success_rate_request_volume)
        .put("success_rate_stdev_factor", o.success_rate_stdev_factor)
        .put("enforcing_success_rate", o.enforcing_success_rate)
        .put(
            "failure_percentage_threshold",
            o.failure_percentage_threshold,
        )
        .put(
            "enforcing_failure_percentage",
            o.enforcing_failure_percentage,
        )
        .put(
            "failure_percentage_minimum_hosts",
            o.failure_percentage_minimum_hosts,
        )
        .put(
            "failure_percentage_request_volume",
            o.failure_percentage_request_volume,
        );
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing::{ms, specs};
    use crate::export::{export_edges, export_stack, CallEdge};

    #[test]
    fn envoy_retry_budget_and_outlier_detection_export_cluster_and_route_yaml() {
        let stack = specs(
            r#"[
                Retry((max_attempts: Some(3), retry_on: Some([Unavailable, Crashed]), backoff: Envoy(base: "25ms"))),
                RetryBudget(Envoy(budget_percent: 25.0, min_retry_concurrency: 5)),
                Timeout("300ms"),
            ]"#,
        );
        let outlier: OutlierSpec =
            ron::from_str(r#"(consecutive_5xx: 3, interval: "5s", base_ejection_time: "1500ms", max_ejection_percent: 50)"#)
                .unwrap();
        let export = export_edges(
            "api",
            &[CallEdge {
                target: "db",
                timeout: Some(ms(1000)),
                policies: &stack,
                outlier_detection: Some(&outlier),
            }],
        );
        assert_eq!(export.untranslated, []);
        assert_eq!(export.documents.len(), 1);
        let doc = &export.documents[0];
        assert_eq!(doc.library, Library::Envoy);
        assert_eq!(
            doc.text,
            "\
# Envoy v3: clusters and route configuration for the calls of api (exported by Faultline)
# calls to db: max_connections, max_pending_requests and max_requests keep Envoy's defaults (1024); the simulation models no connection pool
clusters:
- name: db
  circuit_breakers:
    thresholds:
    - priority: DEFAULT
      retry_budget:
        budget_percent:
          value: 25
        min_retry_concurrency: 5
  outlier_detection:
    consecutive_5xx: 3
    enforcing_consecutive_5xx: 100
    consecutive_gateway_failure: 5
    enforcing_consecutive_gateway_failure: 0
    interval: 5s
    base_ejection_time: 1.500s
    max_ejection_time: 300s
    max_ejection_percent: 50
    success_rate_minimum_hosts: 5
    success_rate_request_volume: 100
    success_rate_stdev_factor: 1900
    enforcing_success_rate: 100
    failure_percentage_threshold: 85
    enforcing_failure_percentage: 0
    failure_percentage_minimum_hosts: 5
    failure_percentage_request_volume: 50
route_config:
  virtual_hosts:
  - name: db
    domains:
    - db
    routes:
    - match:
        prefix: /
      route:
        cluster: db
        timeout: 1s
        retry_policy:
          retry_on: connect-failure,reset
          num_retries: 2
          per_try_timeout: 0.300s
          retry_back_off:
            base_interval: 0.025s
            max_interval: 0.250s
"
        );
    }

    #[test]
    fn an_envoy_retry_without_budget_warns_of_max_retries_and_a_missing_timeout_is_written_as_none()
    {
        let stack = specs(r#"[Retry((backoff: Envoy()))]"#);
        let doc = &export_stack("a", "b", &stack).documents[0];
        assert!(doc.remarks[0].contains("3 retries in flight"));
        // serde writes no comment beside a value: the note is a remark, in the header.
        assert!(doc.text.contains("        timeout: 0s\n"));
        let none = "calls to b: the route's timeout of 0s is none, as simulated (Envoy's \
                    default is 15s)";
        assert!(doc.remarks.iter().any(|r| r == none), "{:?}", doc.remarks);
        assert!(doc.text.contains(&format!("# {none}\n")));
    }

    #[test]
    fn a_fixed_concurrency_limit_is_max_requests_and_nested_limits_keep_the_smallest() {
        let stack = specs(
            r#"[ConcurrencyLimit(Fixed(limit: 9)), ConcurrencyLimit(Fixed(limit: 7)), RetryBudget(Envoy())]"#,
        );
        let export = export_stack("a", "b", &stack);
        let doc = &export.documents[0];
        let v: serde_yaml::Value = serde_yaml::from_str(&doc.text).expect("valid YAML");
        let thresholds = &v["clusters"][0]["circuit_breakers"]["thresholds"][0];
        assert_eq!(thresholds["max_requests"], 7);
        assert!(doc
            .remarks
            .iter()
            .any(|r| r.contains("max_requests is ConcurrencyLimit(Fixed)")));
        let dropped: Vec<String> = export.untranslated.iter().map(|u| u.to_string()).collect();
        assert_eq!(
            dropped,
            [
                "b [0 concurrency_limit] ConcurrencyLimit(Fixed(limit: 9)): Envoy has one \
              max_requests per cluster: the smaller limit, 7, is written"
            ]
        );
    }

    #[test]
    fn envoy_retries_on_the_narrowest_condition_and_says_what_else_it_retries() {
        let on = |list: &str| {
            let stack = specs(&format!(
                "[Retry((retry_on: Some({list}), backoff: Envoy())), RetryBudget(Envoy())]"
            ));
            let export = export_stack("a", "b", &stack);
            let doc = &export.documents[0];
            let line = doc
                .text
                .lines()
                .find(|l| l.trim_start().starts_with("retry_on:"))
                .unwrap();
            (
                line.trim().to_string(),
                doc.remarks.clone(),
                export.untranslated,
            )
        };
        let (line, remarks, un) = on("[Timeout, Crashed, Corrupted]");
        assert_eq!(line, "retry_on: gateway-error");
        assert!(remarks[0].contains("also retries [Rejected, Unavailable, Expired, Shed]"));
        assert_eq!(un[0].what, "retry_on: [Corrupted]");
        let (line, _, _) = on("[Injected]");
        assert_eq!(line, "retry_on: 5xx");
        let (line, remarks, _) = on("[Crashed]");
        assert_eq!(line, "retry_on: reset");
        assert!(!remarks.iter().any(|r| r.contains("also retries")));
    }
}
