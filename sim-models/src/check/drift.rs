//! A service's configuration drift: the instances it names exist, and what differs there is
//! valid and fits the service (timeouts and policies on calls the service makes, policies of
//! the same kinds in the same order).

use super::policies::report_findings;
use super::problem::Checker;
use crate::scenario::{Scenario, ServiceSpec};
use sim_core::SimDuration;

impl Scenario {
    /// `services.NAME.drift`.
    pub(super) fn check_drift(&self, c: &mut Checker, name: &str, s: &ServiceSpec) {
        let mut sites = Vec::new();
        crate::program::call_sites(&s.steps, String::new(), &mut sites);
        let instances = s.allocated_instances();
        let mut named: std::collections::BTreeMap<u32, usize> = Default::default();
        for (k, d) in s.drift.iter().enumerate() {
            let path = format!("services.{name}.drift.{k}");
            if d.instances.is_empty() {
                c.error(format!("{path}.instances"), "names no instance");
            }
            for (j, &i) in d.instances.iter().enumerate() {
                if let Some(first) = named.insert(i, k) {
                    let message = if first == k {
                        format!("instance {i} is named twice")
                    } else {
                        format!("instance {i} is already drifted by drift.{first}: put all of an instance's differences in one entry")
                    };
                    c.error(format!("{path}.instances.{j}"), message);
                }
                if i >= instances {
                    c.error(
                        format!("{path}.instances.{j}"),
                        format!("service {name:?} has {instances} instance(s), numbered from 0; there is no instance {i}"),
                    );
                }
            }
            let workers = d.workers.unwrap_or(s.workers);
            if d.workers == Some(0) {
                c.error(format!("{path}.workers"), "must be at least 1");
            }
            if let Some(k) = d.capacity.or(s.capacity) {
                if k < workers as u64 {
                    c.error(
                        format!("{path}.capacity"),
                        format!("counts requests in service and queued together, so it must be at least the instance's workers ({workers}), got {k}"),
                    );
                }
            }
            if let Some(f) = d.slowdown {
                if !(f.is_finite() && f > 0.0) {
                    c.error(
                        format!("{path}.slowdown"),
                        format!("is how many times as long work takes there, above 0; got {f}"),
                    );
                }
            }
            for (to, t) in &d.timeouts {
                if !sites.iter().any(|(_, target, _)| *target == to) {
                    c.error(
                        format!("{path}.timeouts.{to}"),
                        format!("{name:?} makes no call to {to:?}"),
                    );
                } else if *t == SimDuration::ZERO {
                    c.error(format!("{path}.timeouts.{to}"), "must be longer than 0");
                }
            }
            for (to, specs) in &d.policies {
                let at = format!("{path}.policies.{to}");
                let base = sites
                    .iter()
                    .filter(|(_, target, _)| *target == to)
                    .map(|(_, _, p)| *p)
                    .find(|p| !p.is_empty());
                let Some(base) = base else {
                    c.error(
                        at,
                        format!("{name:?} has no call to {to:?} with policies: drift changes their parameters, not whether there are any"),
                    );
                    continue;
                };
                let kinds = |p: &[crate::policy::PolicySpec]| {
                    p.iter().map(|x| x.kind().to_string()).collect::<Vec<_>>()
                };
                if kinds(specs) != kinds(base) {
                    c.error(
                        at,
                        format!(
                            "must be the same kinds in the same order as the service's ({}); got ({})",
                            kinds(base).join(", "),
                            kinds(specs).join(", ")
                        ),
                    );
                    continue;
                }
                report_findings(c, &at, crate::policy::validate::validate(specs));
            }
        }
    }
}
