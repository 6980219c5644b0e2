//! One-click policies: every call site of the lesson's scenario, and the override that adds a
//! circuit breaker or a retry budget to it. An added policy is an override like a moved knob,
//! so it is re-run with the same seed, saved with the scenario and checked like any input.

use sim_models::{policy::PolicySpec, Scenario, Step};

/// A breaker that opens on slow or failed calls: Resilience4j's count-based window, as in
/// `scenarios/slow-dependency-breaker.ron`.
pub const BREAKER: &str = r#"CircuitBreaker(Resilience4j(window: Count(20), minimum_calls: 10, slow_call_duration: "100ms", slow_call_rate_threshold: 50, wait_in_open: "5s", permitted_in_half_open: 5))"#;

/// The SRE book's per-client retry budget: retries at most 10% of requests.
pub const BUDGET: &str = "RetryBudget(Sre(ratio: 0.1))";

/// A place where a caller calls a service, with its policy list.
#[derive(Clone, Debug, PartialEq)]
pub struct CallSite {
    /// `caller -> callee`.
    pub label: String,
    /// The path of its policy list (`services.api.steps.1.policies`).
    pub path: String,
    /// The policies it has.
    pub policies: Vec<PolicySpec>,
}

impl CallSite {
    fn has(&self, kind: &str) -> bool {
        self.policies.iter().any(|p| p.kind() == kind)
    }

    /// Whether a breaker can be added (it has none).
    pub fn can_add_breaker(&self) -> bool {
        !self.has("circuit_breaker")
    }

    /// Whether a retry budget can be added (it retries, without a budget).
    pub fn can_add_budget(&self) -> bool {
        self.has("retry") && !self.has("retry_budget")
    }

    /// The override that appends `layer` (scenario text) to its policies.
    pub fn add(&self, layer: &str) -> String {
        sim_models::append_set(&self.path, self.policies.len(), layer)
    }
}

/// Every call site of `scenario`: each client's, then each service's `Call` steps.
pub fn call_sites(scenario: &Scenario) -> Vec<CallSite> {
    let mut sites = Vec::new();
    for (name, client) in &scenario.clients {
        sites.push(CallSite {
            label: format!("{name} -> {}", client.target()),
            path: format!("clients.{name}.policies"),
            policies: client.policies().to_vec(),
        });
    }
    for (name, service) in &scenario.services {
        for (k, step) in service.steps.iter().enumerate() {
            if let Step::Call { to, policies, .. } = step {
                sites.push(CallSite {
                    label: format!("{name} -> {to}"),
                    path: format!("services.{name}.steps.{k}.policies"),
                    policies: policies.clone(),
                });
            }
        }
    }
    sites
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str) -> Scenario {
        let path = format!("{}/../scenarios/{name}.ron", env!("CARGO_MANIFEST_DIR"));
        sim_models::load_scenario(&path, &[]).unwrap().scenario
    }

    #[test]
    fn the_cascade_has_three_call_sites_and_a_breaker_goes_in_a_new_list() {
        let sites = call_sites(&scenario("cascade"));
        let labels: Vec<&str> = sites.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            ["users -> frontend", "api -> db", "frontend -> api"]
        );
        let api = &sites[1];
        assert!(api.can_add_breaker() && !api.can_add_budget());
        let set = api.add(BREAKER);
        assert!(
            set.starts_with("services.api.steps.1.policies=[CircuitBreaker("),
            "{set}"
        );
        let path = format!("{}/../scenarios/cascade.ron", env!("CARGO_MANIFEST_DIR"));
        let with = sim_models::load_scenario(&path, &[set]).unwrap().scenario;
        assert!(!call_sites(&with)[1].can_add_breaker());
    }

    #[test]
    fn a_budget_is_appended_after_an_existing_retry() {
        let sites = call_sites(&scenario("retry-amplification"));
        let users = sites.iter().find(|s| s.label == "users -> edge").unwrap();
        assert!(users.can_add_budget());
        assert_eq!(
            users.add(BUDGET),
            "clients.users.policies.1=RetryBudget(Sre(ratio: 0.1))"
        );
        let path = format!(
            "{}/../scenarios/retry-amplification.ron",
            env!("CARGO_MANIFEST_DIR")
        );
        sim_models::load_scenario(&path, &[users.add(BUDGET)]).unwrap();
    }
}
