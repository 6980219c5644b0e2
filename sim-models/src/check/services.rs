//! A service's fields, and its steps: work, calls, fan-outs, publishes and branches.

use super::policies::{check_policies, report_findings};
use super::problem::Checker;
use crate::program::{Step, Wait};
use crate::scenario::{Scenario, ServiceSpec};
use sim_core::SimDuration;

impl Scenario {
    /// One service's fields: its sizes, its work, its steps, zones, server policies, outlier
    /// detection, capacity and routes.
    pub(super) fn check_service(&self, c: &mut Checker, name: &str, s: &ServiceSpec) {
        let path = format!("services.{name}");
        if s.instances == 0 {
            c.error(format!("{path}.instances"), "must be at least 1");
        }
        if s.workers == 0 {
            c.error(
                format!("{path}.workers"),
                "must be at least 1 (a service needs a worker to serve anything)",
            );
        }
        match (&s.service_time, s.steps.is_empty()) {
            (Some(d), _) => {
                if let Err(e) = d.sampler() {
                    c.error(format!("{path}.service_time.{}", e.field), e.message);
                }
                if !s.steps.is_empty() {
                    c.warn(
                        format!("{path}.service_time"),
                        "is ignored because the service has steps; put it in a Work step",
                    );
                }
            }
            (None, true) => c.error(
                format!("{path}.service_time"),
                "is needed when the service has no steps, e.g. service_time: Exponential(mean: \"10ms\")",
            ),
            (None, false) => {}
        }
        self.check_steps(c, &format!("{path}.steps"), &s.steps);
        if let Some(k) = &s.contention {
            for (field, message) in crate::contention::check_contention(k) {
                c.error(format!("{path}.contention.{field}"), message);
            }
        }
        check_caches_agree(c, &format!("{path}.steps"), &s.steps);
        check_sagas(c, &format!("{path}.steps"), &s.steps);
        check_store_steps(c, &format!("{path}.steps"), &s.steps);
        for (z, zone) in s.zones.iter().enumerate() {
            if self.services.contains_key(zone) || self.clients.contains_key(zone) {
                c.error(
                    format!("{path}.zones.{z}"),
                    format!("{zone:?} is also the name of a service or client; zone names must differ from them so that links and partitions can tell them apart"),
                );
            }
        }
        report_findings(
            c,
            &format!("{path}.server_policies"),
            crate::policy::validate::validate_server(&s.server_policies),
        );
        if let Some(o) = &s.outlier_detection {
            if s.instances < 2 {
                c.warn(
                    format!("{path}.outlier_detection"),
                    "with one instance there is nothing to eject it in favour of",
                );
            }
            for (field, message) in crate::outlier_detection::check(o) {
                c.error(format!("{path}.outlier_detection.{field}"), message);
            }
        }
        if let Some(h) = &s.health_check {
            for (field, message) in crate::health::check_health_check(h) {
                c.error(format!("{path}.health_check.{field}"), message);
            }
        }
        if let Some(l) = &s.liveness {
            for (field, message) in crate::health::check_liveness(l) {
                c.error(format!("{path}.liveness.{field}"), message);
            }
        }
        if let (Some(_), Some(_)) = (&s.autoscaling, &s.outlier_detection) {
            c.error(
                format!("{path}.outlier_detection"),
                "cannot be combined with autoscaling yet: its max_ejection_percent would count the instances the autoscaler has not provisioned",
            );
        }
        if let Some(a) = &s.autoscaling {
            for (field, message) in crate::autoscaling::check(a, s.instances) {
                c.error(format!("{path}.autoscaling.{field}"), message);
            }
        }
        if let Some(k) = s.capacity {
            if k < s.workers as u64 {
                c.error(
                    format!("{path}.capacity"),
                    format!("counts requests in service and queued together, so it must be at least workers ({}), got {k}", s.workers),
                );
            }
        }
        let mut total = 0.0;
        for (i, r) in s.routes.iter().enumerate() {
            let rp = format!("{path}.routes.{i}");
            self.check_target(c, &format!("{rp}.to"), &r.to);
            if !(0.0..=1.0).contains(&r.probability) {
                c.error(
                    format!("{rp}.probability"),
                    format!("must be between 0 and 1, got {}", r.probability),
                );
            }
            total += r.probability;
        }
        if total > 1.0 + 1e-9 {
            c.error(
                format!("{path}.routes"),
                format!("probabilities add up to {total}, more than 1"),
            );
        }
    }

    fn check_steps(&self, c: &mut Checker, path: &str, steps: &[Step]) {
        for (i, step) in steps.iter().enumerate() {
            let p = format!("{path}.{i}");
            let check_timeout = |c: &mut Checker, t: &Option<SimDuration>, at: String| {
                if *t == Some(SimDuration::ZERO) {
                    c.error(
                        at,
                        "must be longer than zero (leave it out to wait forever)",
                    );
                }
            };
            match step {
                Step::Work(d) => {
                    if let Err(e) = d.sampler() {
                        c.error(format!("{p}.{}", e.field), e.message);
                    }
                }
                Step::Call {
                    to,
                    timeout,
                    policies,
                    ..
                } => {
                    self.check_target(c, &format!("{p}.to"), to);
                    check_timeout(c, timeout, format!("{p}.timeout"));
                    check_policies(c, &format!("{p}.policies"), policies);
                }
                Step::FanOut { calls, wait, .. } => {
                    if calls.is_empty() || calls.len() > 64 {
                        c.error(
                            format!("{p}.calls"),
                            format!("a fan-out makes 1 to 64 calls, got {}", calls.len()),
                        );
                    }
                    for (k, call) in calls.iter().enumerate() {
                        self.check_target(c, &format!("{p}.calls.{k}.to"), &call.to);
                        check_timeout(c, &call.timeout, format!("{p}.calls.{k}.timeout"));
                        check_policies(c, &format!("{p}.calls.{k}.policies"), &call.policies);
                    }
                    if let Wait::Quorum(k) = wait {
                        if *k == 0 || *k as usize > calls.len() {
                            c.error(
                                format!("{p}.wait"),
                                format!(
                                    "Quorum(k) needs 1 <= k <= the {} calls, got {k}",
                                    calls.len()
                                ),
                            );
                        }
                    }
                }
                Step::Publish { to } => self.check_target(c, &format!("{p}.to"), to),
                Step::Saga(saga) => {
                    for (field, message) in crate::saga::check_saga(saga) {
                        c.error(format!("{p}.{field}"), message);
                    }
                    for (field, to) in saga.participants() {
                        self.check_target(c, &format!("{p}.{field}"), to);
                    }
                }
                Step::Store(step) => {
                    self.check_store_name(c, &format!("{p}.store"), &step.store);
                    for (field, message) in crate::store_call::check_store_step(step) {
                        c.error(format!("{p}.{field}"), message);
                    }
                }
                Step::Cache(cache) => {
                    self.check_target(c, &format!("{p}.of"), &cache.of);
                    for (field, message) in crate::cache::check_cache(cache) {
                        c.error(format!("{p}.{field}"), message);
                    }
                    check_policies(c, &format!("{p}.policies"), &cache.policies);
                }
                Step::Branch(paths) => {
                    let mut total = 0.0;
                    for (k, b) in paths.iter().enumerate() {
                        if !(0.0..=1.0).contains(&b.probability) {
                            c.error(
                                format!("{p}.{k}.probability"),
                                format!("must be between 0 and 1, got {}", b.probability),
                            );
                        }
                        total += b.probability;
                        self.check_steps(c, &format!("{p}.{k}.steps"), &b.steps);
                    }
                    if total > 1.0 + 1e-9 {
                        c.error(
                            p.clone(),
                            format!("probabilities add up to {total}, more than 1"),
                        );
                    }
                }
            }
        }
    }
}

/// The most caches (distinct origins of `Cache` steps) one service may have.
const MAX_CACHES: usize = 64;

/// Every `Cache` step of a service naming one origin reads one cache, so they must describe it
/// alike; and a service has at most [`MAX_CACHES`].
fn check_caches_agree(c: &mut Checker, path: &str, steps: &[Step]) {
    let mut caches = Vec::new();
    crate::program::cache_steps(steps, path, &mut caches);
    let mut first: Vec<(&str, &crate::cache::CacheStep)> = Vec::new();
    for (p, cache) in &caches {
        match first.iter().find(|(_, f)| f.of == cache.of) {
            Some((at, f)) if !f.same_cache(cache) => c.error(
                p.clone(),
                format!(
                    "reads the service's cache of {:?}, which {at} describes differently; steps that name one origin share one cache, so give them the same keys, popularity, ttl, capacity and fixes",
                    cache.of
                ),
            ),
            Some(_) => {}
            None => first.push((p, cache)),
        }
    }
    if first.len() > MAX_CACHES {
        c.error(
            path.to_string(),
            format!(
                "a service has at most {MAX_CACHES} caches (origins of Cache steps), got {}",
                first.len()
            ),
        );
    }
}

/// The most `Store` steps one service may have.
const MAX_STORE_STEPS: usize = 64;

/// A service has at most [`MAX_STORE_STEPS`] `Store` steps (each is a caller of its store).
fn check_store_steps(c: &mut Checker, path: &str, steps: &[Step]) {
    let mut found = Vec::new();
    crate::program::store_steps(steps, path, &mut found);
    if found.len() > MAX_STORE_STEPS {
        c.error(
            path.to_string(),
            format!(
                "a service has at most {MAX_STORE_STEPS} Store steps, got {}",
                found.len()
            ),
        );
    }
}

/// The most sagas one service may orchestrate.
const MAX_SAGAS: usize = 64;

/// A service's sagas have distinct names, and their calls take the saga's own retries: no
/// other call site of the service may put policies on a call to one of their participants
/// (the service's calls to a service share one client library).
fn check_sagas(c: &mut Checker, path: &str, steps: &[Step]) {
    let mut sagas = Vec::new();
    crate::program::saga_steps(steps, path, &mut sagas);
    if sagas.len() > MAX_SAGAS {
        c.error(
            path.to_string(),
            format!(
                "a service orchestrates at most {MAX_SAGAS} sagas, got {}",
                sagas.len()
            ),
        );
    }
    for (k, (p, saga)) in sagas.iter().enumerate() {
        if let Some((q, _)) = sagas[..k].iter().find(|(_, s)| s.name == saga.name) {
            c.error(
                format!("{p}.name"),
                format!("{:?} already names the saga at {q}; a service's sagas need distinct names for the report", saga.name),
            );
        }
    }
    let mut sites = Vec::new();
    crate::program::call_sites(steps, path.to_string(), &mut sites);
    for (site, to, policies) in sites {
        if policies.is_empty() {
            continue;
        }
        if let Some((p, _)) = sagas
            .iter()
            .find(|(_, s)| s.participants().any(|(_, x)| x == to.as_str()))
        {
            c.error(
                format!("{site}.policies"),
                format!("the saga at {p} calls {to:?} too, and a service's calls to a service share one client library; a saga's calls take its own retries, so policies here would apply to them as well: drop these, or give the step retries"),
            );
        }
    }
}
