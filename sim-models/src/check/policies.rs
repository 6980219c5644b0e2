//! Policy lists, caller-side and server-side, by the policies' own checks; and that every call
//! site from one service to another declares the same list.

use super::problem::Checker;
use crate::scenario::Scenario;
use std::collections::BTreeMap;

impl Scenario {
    /// Every call site from one service to another declares the same policies (or none): a
    /// caller has one client library, with one breaker and one budget, per service it calls.
    pub(super) fn check_policy_agreement(&self, c: &mut Checker) {
        for (name, s) in &self.services {
            let mut sites = Vec::new();
            crate::program::call_sites(&s.steps, format!("services.{name}.steps"), &mut sites);
            let mut first: BTreeMap<&str, (&str, &[crate::policy::PolicySpec])> = BTreeMap::new();
            for (path, to, policies) in &sites {
                if policies.is_empty() {
                    continue;
                }
                match first.get(to.as_str()) {
                    Some((at, seen)) if seen != policies => c.error(
                        format!("{path}.policies"),
                        format!(
                            "calls from {name} to {to} already declare other policies at {at}.policies: a caller has one client library (one breaker, one budget) per service it calls, so every call site must declare the same list"
                        ),
                    ),
                    Some(_) => {}
                    None => {
                        first.insert(to, (path, policies));
                    }
                }
            }
        }
    }
}

/// Checks one policy list at `path`.
pub(super) fn check_policies(c: &mut Checker, path: &str, specs: &[crate::policy::PolicySpec]) {
    report_findings(c, path, crate::policy::validate::validate(specs));
}

/// Reports a policy list's findings, their fields relative to `path`.
pub(super) fn report_findings(
    c: &mut Checker,
    path: &str,
    findings: Vec<crate::policy::validate::Finding>,
) {
    for (field, warning, message) in findings {
        let at = format!("{path}.{field}");
        if warning {
            c.warn(at, message);
        } else {
            c.error(at, message);
        }
    }
}
