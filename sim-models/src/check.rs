//! Checks that a scenario can be simulated, naming the field path of every problem.
//!
//! The loader turns paths into `file:line:column`; code that builds a [`Scenario`] in Rust gets the
//! paths alone. Everything that runs a scenario checks it first, so no model code has to cope
//! with zero workers or a route to nowhere.

use crate::fault::FaultSpec;
use crate::program::{Step, Wait};
use crate::rate::Rate;
use crate::ron_paths::closest;
use crate::scenario::{ClientSpec, RateChange, Scenario};
use sim_core::{ByteSize, SimDuration};
use std::collections::BTreeMap;
use std::fmt;

/// How serious a [`Problem`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The scenario cannot run.
    Error,
    /// Legal but probably not what was meant.
    Warning,
}

/// One thing wrong with a scenario, at a field path such as `services.db.workers`.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Dotted path of the field.
    pub path: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The errors that keep a scenario from running, as returned by [`crate::run`] and
/// [`crate::World::new`] for a scenario built or changed in code. Files get located errors from
/// [`crate::load_scenario`] before this point.
#[derive(Clone, Debug, PartialEq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|p| format!("error: {p}")).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for Problems {}

/// Most time-series buckets a run may keep per metric: past this the series would cost more memory
/// than the simulation.
pub const MAX_BUCKETS: u64 = 1_000_000;

/// Events past which `check` warns that a run will take a while: about five minutes at the
/// engine's speed with policies on every call.
pub const WORK_WARNING_EVENTS: f64 = 6e8;
/// The engine's speed assumed for that warning, in events per second of real time.
const ASSUMED_EVENTS_PER_SECOND: f64 = 2e6;

/// `12 minutes`, `3.5 hours`, `41 days`.
fn human_minutes(m: f64) -> String {
    if m < 90.0 {
        format!("about {m:.0} minutes")
    } else if m < 48.0 * 60.0 {
        format!("about {:.1} hours", m / 60.0)
    } else {
        format!("about {:.0} days", m / 1440.0)
    }
}

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            severity: Severity::Error,
            path: path.into(),
            message: message.into(),
        });
    }
    fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            severity: Severity::Warning,
            path: path.into(),
            message: message.into(),
        });
    }
}

impl Scenario {
    /// Every call site from one service to another declares the same policies (or none): a
    /// caller has one client library, with one breaker and one budget, per service it calls.
    fn check_policy_agreement(&self, c: &mut Checker) {
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
fn check_policies(c: &mut Checker, path: &str, specs: &[crate::policy::PolicySpec]) {
    report_findings(c, path, crate::policy::validate::validate(specs));
}

/// Reports a policy list's findings, their fields relative to `path`.
fn report_findings(c: &mut Checker, path: &str, findings: Vec<crate::policy::validate::Finding>) {
    for (field, warning, message) in findings {
        let at = format!("{path}.{field}");
        if warning {
            c.warn(at, message);
        } else {
            c.error(at, message);
        }
    }
}

impl Scenario {
    /// Every problem found, errors and warnings, in the order of the fields.
    pub fn check(&self) -> Vec<Problem> {
        let mut c = Checker {
            problems: Vec::new(),
        };
        if self.duration == SimDuration::ZERO {
            c.error("duration", "must be longer than zero, e.g. \"60s\"");
        }
        if self.warmup >= self.duration && self.duration > SimDuration::ZERO {
            c.error(
                "warmup",
                format!(
                    "must be shorter than the duration ({}), got {}",
                    self.duration, self.warmup
                ),
            );
        }
        let bucket = self.time_series.bucket.as_nanos();
        if bucket == 0 {
            c.error("time_series.bucket", "must be longer than zero");
        } else if self.duration.as_nanos() / bucket > MAX_BUCKETS {
            let suggest = SimDuration::from_nanos(self.duration.as_nanos().div_ceil(MAX_BUCKETS));
            c.error(
                "time_series.bucket",
                format!(
                    "{} over {} makes more than {MAX_BUCKETS} buckets; use a bucket of at least {}",
                    self.time_series.bucket,
                    self.duration,
                    round_up_nice(suggest)
                ),
            );
        }
        if self.limits.max_in_flight == 0 {
            c.error("limits.max_in_flight", "must be at least 1");
        }
        if self.clients.is_empty() {
            c.error(
                "clients",
                "a scenario needs at least one client to send requests",
            );
        }
        if self.services.is_empty() {
            c.error("services", "a scenario needs at least one service");
        }
        for (name, client) in &self.clients {
            self.check_client(&mut c, name, client);
        }
        self.check_policy_agreement(&mut c);
        for (name, s) in &self.services {
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
            self.check_steps(&mut c, &format!("{path}.steps"), &s.steps);
            for (z, zone) in s.zones.iter().enumerate() {
                if self.services.contains_key(zone) || self.clients.contains_key(zone) {
                    c.error(
                        format!("{path}.zones.{z}"),
                        format!("{zone:?} is also the name of a service or client; zone names must differ from them so that links and partitions can tell them apart"),
                    );
                }
            }
            report_findings(
                &mut c,
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
                self.check_target(&mut c, &format!("{rp}.to"), &r.to);
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
        self.check_network(&mut c);
        for (i, fault) in self.faults.iter().enumerate() {
            self.check_fault(&mut c, &format!("faults.{i}"), fault);
        }
        self.check_requests_can_leave(&mut c);
        self.check_call_cycles(&mut c);
        if !c.problems.iter().any(|p| p.severity == Severity::Error) {
            self.check_resources(&mut c);
        }
        c.problems
    }

    fn check_client(&self, c: &mut Checker, name: &str, client: &ClientSpec) {
        let path = format!("clients.{name}");
        check_policies(c, &format!("{path}.policies"), client.policies());
        if client.timeout() == Some(SimDuration::ZERO) {
            c.error(
                format!("{path}.timeout"),
                "must be longer than zero (leave it out to wait forever)",
            );
        }
        if let Some(z) = client.zone() {
            if !self
                .services
                .values()
                .any(|s| s.zones.iter().any(|x| x == z))
            {
                c.warn(
                    format!("{path}.zone"),
                    format!(
                        "no service has an instance in zone {z:?}; zones: {}",
                        self.service_zones().join(", ")
                    ),
                );
            }
        }
        match client {
            ClientSpec::Open {
                rate,
                schedule,
                target,
                ..
            } => {
                self.check_target(c, &format!("{path}.target"), target);
                check_rate(c, &format!("{path}.rate"), *rate);
                let mut last_end = SimDuration::ZERO;
                for (i, change) in schedule.iter().enumerate() {
                    let cp = format!("{path}.schedule.{i}");
                    let (start, end) = match change {
                        RateChange::Step { at, rate } => {
                            check_rate(c, &format!("{cp}.rate"), *rate);
                            (*at, *at)
                        }
                        RateChange::Spike {
                            start,
                            duration,
                            rate,
                        } => {
                            check_rate(c, &format!("{cp}.rate"), *rate);
                            (*start, *start + *duration)
                        }
                        RateChange::Ramp { start, end, to } => {
                            check_rate(c, &format!("{cp}.to"), *to);
                            if end < start {
                                c.error(
                                    format!("{cp}.end"),
                                    format!("must not be before start ({start}), got {end}"),
                                );
                            }
                            (*start, *end)
                        }
                    };
                    if start < last_end {
                        c.error(
                            cp.clone(),
                            format!("starts at {start}, before the previous change ends ({last_end}): list changes in time order without overlap"),
                        );
                    }
                    if start >= self.duration {
                        c.warn(
                            cp,
                            format!(
                                "starts at {start}, after the run ends ({}): it has no effect",
                                self.duration
                            ),
                        );
                    }
                    last_end = last_end.max(end);
                }
            }
            ClientSpec::Closed {
                users,
                think_time,
                target,
                ..
            } => {
                self.check_target(c, &format!("{path}.target"), target);
                if *users == 0 {
                    c.error(format!("{path}.users"), "must be at least 1");
                }
                if *users as u64 > self.limits.max_in_flight {
                    c.error(
                        format!("{path}.users"),
                        format!(
                            "{users} users can have {users} requests in flight, more than limits.max_in_flight ({}); raise the limit if you mean it",
                            self.limits.max_in_flight
                        ),
                    );
                }
                if let Err(e) = think_time.sampler() {
                    c.error(format!("{path}.think_time.{}", e.field), e.message);
                }
            }
        }
    }

    fn check_target(&self, c: &mut Checker, path: &str, target: &str) {
        if !self.services.contains_key(target) {
            let known: Vec<&str> = self.services.keys().map(String::as_str).collect();
            let hint = closest(target, known.iter().copied());
            let mut msg = format!("unknown service {target:?}");
            if let Some(h) = hint.first() {
                msg += &format!("; did you mean {h:?}?");
            }
            msg += &format!(" (services: {})", known.join(", "));
            c.error(path, msg);
        }
    }

    fn check_fault(&self, c: &mut Checker, path: &str, fault: &FaultSpec) {
        let service = fault.service().unwrap_or("");
        if fault.service().is_some() {
            self.check_target(c, &format!("{path}.service"), service);
        }
        if let (Some(i), Some(s)) = (fault.instance(), self.services.get(service)) {
            if i >= s.instances {
                c.error(
                    format!("{path}.instance"),
                    format!("service {service:?} has {} instance(s), numbered from 0; there is no instance {i}", s.instances),
                );
            }
        }
        if let Some((a, b)) = fault.sides() {
            for (side, names) in [("a", a), ("b", b)] {
                for (k, name) in names.iter().enumerate() {
                    self.check_place(c, &format!("{path}.{side}.{k}"), name);
                }
                if names.is_empty() && matches!(fault, FaultSpec::Partition { .. }) {
                    c.error(
                        format!("{path}.{side}"),
                        "a partition needs places on both sides (zones, services, clients or \"service#i\")",
                    );
                }
            }
        }
        let (start, end) = fault.window();
        let start_field = if matches!(fault, FaultSpec::Crash { .. }) {
            "at"
        } else {
            "start"
        };
        if start >= self.duration {
            c.warn(
                format!("{path}.{start_field}"),
                format!(
                    "{start} is after the run ends ({}): this fault never happens",
                    self.duration
                ),
            );
        }
        if end == Some(start) {
            match fault {
                FaultSpec::Crash { .. } => c.warn(
                    format!("{path}.restart_after"),
                    "is zero: the instance restarts at once, but the work it held is still lost",
                ),
                _ => c.warn(
                    format!("{path}.duration"),
                    "is zero: this fault has no effect",
                ),
            }
        }
        if let (FaultSpec::CapacityLoss { workers, .. }, Some(s)) =
            (fault, self.services.get(service))
        {
            if *workers > s.workers {
                c.error(
                    format!("{path}.workers"),
                    format!("{workers} is more than the {} workers the service has: a capacity loss can only take workers away", s.workers),
                );
            }
        }
        match fault {
            FaultSpec::Slowdown { factor, .. } if !(factor.is_finite() && *factor > 0.0) => {
                c.error(
                    format!("{path}.factor"),
                    format!("must be a positive number (above 1 slows down), got {factor}"),
                );
            }
            FaultSpec::ErrorInjection { fraction, .. }
            | FaultSpec::CorruptResponses { fraction, .. }
                if !(0.0..=1.0).contains(fraction) =>
            {
                c.error(
                    format!("{path}.fraction"),
                    format!("must be between 0 and 1, got {fraction}"),
                );
            }
            FaultSpec::PacketLoss { loss, .. } if !(0.0..=1.0).contains(loss) => {
                c.error(
                    format!("{path}.loss"),
                    format!("must be between 0 and 1, got {loss}"),
                );
            }
            FaultSpec::FlappingLink {
                fail_rate,
                repair_rate,
                ..
            } => {
                for (field, rate) in [("fail_rate", fail_rate), ("repair_rate", repair_rate)] {
                    if rate.per_second() <= 0.0 {
                        c.error(
                            format!("{path}.{field}"),
                            "must be above zero, e.g. \"6/min\"",
                        );
                    }
                }
            }
            _ => {}
        }
    }

    /// Refuses a run that would need more memory than it may have, naming the fields that
    /// need it; warns about one that would take more than a few minutes of real time.
    fn check_resources(&self, c: &mut Checker) {
        let traffic = self.traffic();
        let memory = self.memory_estimate_with(&traffic);
        let limit = self.memory_limit();
        if memory.total > limit.0 {
            let path = memory
                .parts
                .first()
                .map_or(String::new(), |p| p.path.clone());
            let set = if self.limits.max_memory.is_some() {
                "limits.max_memory"
            } else {
                "limits.max_memory, by default half the memory this process may have"
            };
            c.error(
                path,
                format!(
                    "a run would need up to {} of memory, more than {} ({set}): {}; lower these, or raise limits.max_memory if the machine has the memory",
                    ByteSize(memory.total),
                    limit,
                    memory.describe(3)
                ),
            );
        }
        let bounded = self.limits.wall_clock.is_some()
            || self
                .limits
                .max_events
                .is_some_and(|n| (n as f64) <= WORK_WARNING_EVENTS);
        if traffic.events > WORK_WARNING_EVENTS && !bounded {
            let minutes = traffic.events / ASSUMED_EVENTS_PER_SECOND / 60.0;
            let (amp, at) = &traffic.worst_amplification;
            let retries = if *amp > 1.0 {
                format!(
                    ", with up to {amp:.0} attempts per call from {}",
                    at.join(" × ")
                )
            } else {
                String::new()
            };
            c.warn(
                "duration",
                format!(
                    "up to {:.1e} events over {} ({:.1e} requests at the clients' peak rates{retries}): at about {:.0}M events/s that is {}; shorten duration, lower the rates{}, or set limits.max_events or limits.wall_clock to bound it (Ctrl-C stops a run and keeps its results)",
                    traffic.events,
                    self.duration,
                    traffic.client_requests.iter().sum::<f64>(),
                    ASSUMED_EVENTS_PER_SECOND / 1e6,
                    human_minutes(minutes),
                    if *amp > 1.0 { ", cap the attempts" } else { "" },
                ),
            );
        }
    }

    /// Tenant names, sorted: each client's `tenant`, or its own name.
    pub(crate) fn tenants(&self) -> Vec<String> {
        let mut tenants: Vec<String> = self
            .clients
            .iter()
            .map(|(name, c)| c.tenant().unwrap_or(name).to_string())
            .collect();
        tenants.sort();
        tenants.dedup();
        tenants
    }

    /// Zone names, sorted, from services and clients.
    pub(crate) fn zones(&self) -> Vec<String> {
        let mut zones: Vec<String> = self
            .services
            .values()
            .flat_map(|s| s.zones.iter().cloned())
            .chain(
                self.clients
                    .values()
                    .filter_map(|c| c.zone().map(String::from)),
            )
            .collect();
        zones.sort();
        zones.dedup();
        zones
    }

    fn service_zones(&self) -> Vec<String> {
        let mut zones: Vec<String> = self
            .services
            .values()
            .flat_map(|s| s.zones.iter().cloned())
            .collect();
        zones.sort();
        zones.dedup();
        if zones.is_empty() {
            zones.push("(none defined)".into());
        }
        zones
    }

    /// Every name a link or network fault may use for a place.
    fn place_names(&self) -> Vec<String> {
        let mut names = self.zones();
        names.extend(self.services.keys().cloned());
        names.extend(self.clients.keys().cloned());
        for (name, s) in &self.services {
            if s.instances > 1 {
                names.extend((0..s.instances).map(|i| format!("{name}#{i}")));
            }
        }
        names
    }

    fn check_place(&self, c: &mut Checker, path: &str, name: &str) {
        let zones = self.zones();
        if crate::place::resolve_place(self, &zones, name).is_some() {
            return;
        }
        let mut msg = format!("unknown place {name:?}");
        if let Some((service, i)) = name.rsplit_once('#') {
            if let Some(s) = self.services.get(service) {
                msg = format!("service {service:?} has {} instance(s), numbered from 0; there is no instance {i}", s.instances);
                return c.error(path, msg);
            }
        }
        let names = self.place_names();
        if let Some(h) = closest(name, names.iter().map(String::as_str)).first() {
            msg += &format!("; did you mean {h:?}?");
        }
        msg += " (a place is a zone, a service, a client, or one instance as \"service#i\")";
        c.error(path, msg);
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

    fn check_network(&self, c: &mut Checker) {
        let n = &self.network;
        if let Some(Err(e)) = n.latency.as_ref().map(|d| d.sampler()) {
            c.error(format!("network.latency.{}", e.field), e.message);
        }
        for (field, p) in [("loss", n.loss), ("duplication", n.duplication)] {
            if !(0.0..1.0).contains(&p) {
                c.error(
                    format!("network.{field}"),
                    format!("must be at least 0 and below 1, got {p}"),
                );
            }
        }
        let zones = self.zones();
        for (i, l) in n.links.iter().enumerate() {
            let path = format!("network.links.{i}");
            self.check_place(c, &format!("{path}.between.0"), &l.between.0);
            self.check_place(c, &format!("{path}.between.1"), &l.between.1);
            use crate::network::Place;
            let a = crate::place::resolve_place(self, &zones, &l.between.0);
            let b = crate::place::resolve_place(self, &zones, &l.between.1);
            match (a, b) {
                (Some(Place::Zone(_)), Some(Place::Zone(_)))
                | (Some(Place::Node(_)), Some(Place::Node(_)))
                | (None, _)
                | (_, None) => {}
                _ => c.error(
                    format!("{path}.between"),
                    "a link joins two zones or two services/clients (not one instance, not a zone and a service)",
                ),
            }
            if let Some(Err(e)) = l.latency.as_ref().map(|d| d.sampler()) {
                c.error(format!("{path}.latency.{}", e.field), e.message);
            }
            for (field, p) in [("loss", l.loss), ("duplication", l.duplication)] {
                if let Some(p) = p {
                    if !(0.0..1.0).contains(&p) {
                        c.error(
                            format!("{path}.{field}"),
                            format!("must be at least 0 and below 1, got {p}"),
                        );
                    }
                }
            }
            if let Some(bw) = l.bandwidth {
                if !(bw.is_finite() && bw > 0.0) {
                    c.error(
                        format!("{path}.bandwidth"),
                        format!("must be a positive number of bytes per second, got {bw}"),
                    );
                }
            }
        }
    }

    /// A synchronous call cycle (a calls b calls a) deadlocks thread-per-request services and
    /// never ends: refuse it, naming the cycle.
    fn check_call_cycles(&self, c: &mut Checker) {
        let names: Vec<&String> = self.services.keys().collect();
        let calls: Vec<Vec<(usize, String)>> = self
            .services
            .iter()
            .map(|(name, s)| {
                let mut out = Vec::new();
                crate::program::targets(&s.steps, &format!("services.{name}.steps"), &mut out);
                out.into_iter()
                    .filter(|(_, _, sync)| *sync)
                    .filter_map(|(path, to, _)| {
                        names
                            .iter()
                            .position(|n| n.as_str() == to)
                            .map(|j| (j, path))
                    })
                    .collect()
            })
            .collect();
        // Depth-first search; colour 1 = on the stack, 2 = done.
        let mut colour = vec![0u8; names.len()];
        let mut reported = false;
        fn visit(
            i: usize,
            calls: &[Vec<(usize, String)>],
            colour: &mut [u8],
            stack: &mut Vec<(usize, String)>,
        ) -> Option<(Vec<usize>, String)> {
            colour[i] = 1;
            for (j, path) in &calls[i] {
                stack.push((*j, path.clone()));
                if colour[*j] == 1 {
                    let start = stack.iter().position(|(k, _)| k == j).unwrap_or(0);
                    let mut cycle = vec![*j];
                    cycle.extend(stack[start + 1..].iter().map(|(k, _)| *k));
                    return Some((cycle, path.clone()));
                }
                if colour[*j] == 0 {
                    if let Some(found) = visit(*j, calls, colour, stack) {
                        return Some(found);
                    }
                }
                stack.pop();
            }
            colour[i] = 2;
            None
        }
        for i in 0..names.len() {
            if colour[i] == 0 && !reported {
                let mut stack = vec![(i, String::new())];
                if let Some((cycle, path)) = visit(i, &calls, &mut colour, &mut stack) {
                    // `cycle` already ends where it starts (api, db, api): print it as is.
                    let names_in: Vec<&str> = cycle.iter().map(|&k| names[k].as_str()).collect();
                    c.error(
                        path,
                        format!(
                            "synchronous call cycle {}: each request would wait on itself; break it with Publish or remove a call",
                            names_in.join(" -> ")
                        ),
                    );
                    reported = true;
                }
            }
        }
    }

    /// A request routed into a set of services with no way out would circulate forever.
    fn check_requests_can_leave(&self, c: &mut Checker) {
        let names: Vec<&String> = self.services.keys().collect();
        let idx = |n: &str| names.iter().position(|x| x.as_str() == n);
        // can_exit[i]: from service i, some path of positive probability leaves the system.
        let mut can_exit: Vec<bool> = self
            .services
            .values()
            .map(|s| s.routes.iter().map(|r| r.probability).sum::<f64>() < 1.0 - 1e-12)
            .collect();
        loop {
            let mut changed = false;
            for (i, s) in self.services.values().enumerate() {
                if !can_exit[i]
                    && s.routes
                        .iter()
                        .any(|r| r.probability > 0.0 && idx(&r.to).is_some_and(|j| can_exit[j]))
                {
                    can_exit[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (i, name) in names.iter().enumerate() {
            if !can_exit[i] {
                c.error(
                    format!("services.{name}.routes"),
                    "requests that reach this service can never leave: every route leads back into a cycle with probability 1; give some route a probability below 1",
                );
            }
        }
    }
}

/// The fastest rate a client may have: one request per nanosecond, the clock's resolution.
pub const MAX_RATE_PER_SECOND: f64 = 1e9;

fn check_rate(c: &mut Checker, path: &str, rate: Rate) {
    if rate.per_second() > MAX_RATE_PER_SECOND {
        c.error(
            path,
            format!(
                "{rate} is faster than one request per nanosecond, the simulator's time resolution (at most {MAX_RATE_PER_SECOND}/s)"
            ),
        );
    }
}

/// Rounds a duration up to 1, 2 or 5 × a power of ten seconds, for friendlier suggestions.
fn round_up_nice(d: SimDuration) -> SimDuration {
    let mut unit = 1u64;
    loop {
        for m in [1, 2, 5] {
            if unit * m >= d.as_nanos() {
                return SimDuration::from_nanos(unit * m);
            }
        }
        unit *= 10;
    }
}
