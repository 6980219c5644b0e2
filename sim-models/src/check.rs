//! Checks that a scenario can be simulated, naming the field path of every problem.
//!
//! The loader turns paths into `file:line:column`; code that builds a [`Scenario`] in Rust gets the
//! paths alone. Everything that runs a scenario checks it first, so no model code has to cope
//! with zero workers or a route to nowhere.

use crate::fault::FaultSpec;
use crate::rate::Rate;
use crate::ron_paths::closest;
use crate::scenario::{ClientSpec, RateChange, Scenario};
use sim_core::SimDuration;
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
            if let Err(e) = s.service_time.sampler() {
                c.error(format!("{path}.service_time.{}", e.field), e.message);
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
        for (i, fault) in self.faults.iter().enumerate() {
            self.check_fault(&mut c, &format!("faults.{i}"), fault);
        }
        self.check_requests_can_leave(&mut c);
        self.warn_if_huge(&mut c);
        c.problems
    }

    fn check_client(&self, c: &mut Checker, name: &str, client: &ClientSpec) {
        let path = format!("clients.{name}");
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
        self.check_target(c, &format!("{path}.service"), fault.service());
        if let (Some(i), Some(s)) = (fault.instance(), self.services.get(fault.service())) {
            if i >= s.instances {
                c.error(
                    format!("{path}.instance"),
                    format!("service {:?} has {} instance(s), numbered from 0; there is no instance {i}", fault.service(), s.instances),
                );
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
            (fault, self.services.get(fault.service()))
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
            FaultSpec::ErrorInjection { fraction, .. } if !(0.0..=1.0).contains(fraction) => {
                c.error(
                    format!("{path}.fraction"),
                    format!("must be between 0 and 1, got {fraction}"),
                );
            }
            _ => {}
        }
    }

    /// A run whose open-loop arrivals alone exceed about 10^10 is legal but would take hours;
    /// say so before it starts rather than leave the user wondering whether it hangs.
    fn warn_if_huge(&self, c: &mut Checker) {
        let peak: f64 = self
            .clients
            .values()
            .map(|client| match client {
                ClientSpec::Open { rate, schedule, .. } => schedule
                    .iter()
                    .map(|ch| match ch {
                        RateChange::Step { rate, .. } | RateChange::Spike { rate, .. } => {
                            rate.per_second()
                        }
                        RateChange::Ramp { to, .. } => to.per_second(),
                    })
                    .fold(rate.per_second(), f64::max),
                ClientSpec::Closed { .. } => 0.0,
            })
            .sum();
        let arrivals = peak * self.duration.as_secs_f64();
        if arrivals > 1e10 && self.limits.max_events.is_none() {
            c.warn(
                "duration",
                format!("up to {arrivals:.1e} requests will arrive: at ~5M requests/s that is hours of real time; set limits.max_events or limits.wall_clock to bound it"),
            );
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
