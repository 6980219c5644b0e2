//! How much traffic a scenario can make over its whole run, at worst: every client at its peak
//! rate, every retry and hedge sent. The memory and work estimates scale from it.
//!
//! Only meaningful for a scenario that passes its other checks (targets exist, no call cycle).

use crate::policy::{HedgeSpec, PolicySpec};
use crate::program::Step;
use crate::scenario::{ClientSpec, RateChange, Scenario};

/// Worst-case traffic of a run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Traffic {
    /// Requests each client sends over the run (in name order).
    pub client_requests: Vec<f64>,
    /// Calls each service handles over the run (in name order), attempts included.
    pub service_calls: Vec<f64>,
    /// Events the engine would process: a few per request and per call, one per step of work.
    pub events: f64,
    /// The largest number of attempts one original call may become, and where it is set.
    pub worst_amplification: (f64, Vec<String>),
}

/// Attempts one call may become under a policy list, at most: retries times hedges.
pub(crate) fn attempts(policies: &[PolicySpec]) -> f64 {
    policies
        .iter()
        .map(|p| match p {
            PolicySpec::Retry(r) => f64::from(r.attempts().max(1)),
            PolicySpec::Hedge(HedgeSpec::Grpc { max_attempts, .. }) => {
                f64::from((*max_attempts).max(1))
            }
            PolicySpec::Hedge(HedgeSpec::Finagle { max_extra_load, .. }) => 1.0 + max_extra_load,
            _ => 1.0,
        })
        .product()
}

/// The path of the policy that multiplies attempts in `policies` at `path`, if any.
fn amplifier(path: &str, policies: &[PolicySpec]) -> Option<String> {
    policies.iter().enumerate().find_map(|(k, p)| match p {
        PolicySpec::Retry(_) => Some(format!("{path}.{k}.max_attempts")),
        PolicySpec::Hedge(HedgeSpec::Grpc { .. }) => Some(format!("{path}.{k}.max_attempts")),
        _ => None,
    })
}

/// The highest rate an open client reaches, per second.
pub(crate) fn peak_rate(client: &ClientSpec) -> f64 {
    match client {
        ClientSpec::Open { rate, schedule, .. } => schedule
            .iter()
            .map(|ch| match ch {
                RateChange::Step { rate, .. } | RateChange::Spike { rate, .. } => rate.per_second(),
                RateChange::Ramp { to, .. } => to.per_second(),
            })
            .fold(rate.per_second(), f64::max),
        ClientSpec::Closed { .. } => 0.0,
    }
}

/// What one handled request of a service sends on: (target, expected messages, worst
/// amplification and where it is set).
struct Outgoing {
    to: usize,
    weight: f64,
    amplification: f64,
    at: Option<String>,
}

fn outgoing(
    steps: &[Step],
    weight: f64,
    path: &str,
    index_of: &dyn Fn(&str) -> Option<usize>,
    out: &mut Vec<Outgoing>,
) {
    for (i, step) in steps.iter().enumerate() {
        let p = format!("{path}.{i}");
        let mut push = |to: &str, policies: &[PolicySpec], at: String| {
            if let Some(to) = index_of(to) {
                out.push(Outgoing {
                    to,
                    weight,
                    amplification: attempts(policies),
                    at: amplifier(&at, policies),
                });
            }
        };
        match step {
            // A store's operations are its own model's events, not calls to services.
            Step::Work(_) | Step::Store(_) => {}
            Step::Call { to, policies, .. } => push(to, policies, format!("{p}.policies")),
            Step::FanOut { calls, .. } => {
                for (k, c) in calls.iter().enumerate() {
                    push(&c.to, &c.policies, format!("{p}.calls.{k}.policies"));
                }
            }
            Step::Publish { to } => push(to, &[], String::new()),
            // At worst every lookup misses.
            Step::Cache(c) => push(&c.of, &c.policies, format!("{p}.policies")),
            // At worst every step fails its every attempt and is undone with as many.
            Step::Saga(saga) => {
                for (k, s) in saga.steps.iter().enumerate() {
                    let attempts = 1.0 + s.retries.max(s.compensation_retries.unwrap_or(0)) as f64;
                    for to in std::iter::once(&s.action).chain(&s.compensation) {
                        if let Some(to) = index_of(to) {
                            out.push(Outgoing {
                                to,
                                weight,
                                amplification: attempts,
                                at: (s.retries > 0).then(|| format!("{p}.steps.{k}.retries")),
                            });
                        }
                    }
                }
            }
            Step::Branch(paths) => {
                for (k, b) in paths.iter().enumerate() {
                    let w = weight * b.probability.clamp(0.0, 1.0);
                    outgoing(&b.steps, w, &format!("{p}.{k}.steps"), index_of, out);
                }
            }
        }
    }
}

/// Steps of local work a request of a service runs, counting every branch.
fn work_steps(steps: &[Step]) -> f64 {
    steps
        .iter()
        .map(|s| match s {
            Step::Work(_) => 1.0,
            Step::Branch(paths) => paths.iter().map(|b| work_steps(&b.steps)).sum(),
            _ => 0.0,
        })
        .sum()
}

/// Events the engine processes per request a client sends (its arrival) and per call a service
/// handles (a delivery or a reply; on an ideal network most are handled in the same step),
/// besides one per step of work. Measured: an M/M/1 run takes 2 events per request.
const EVENTS_PER_REQUEST: f64 = 1.0;
const EVENTS_PER_CALL: f64 = 1.0;

impl Scenario {
    /// The worst-case traffic of a run of this scenario.
    pub(crate) fn traffic(&self) -> Traffic {
        let names: Vec<&String> = self.services.keys().collect();
        let index_of = |n: &str| names.iter().position(|x| x.as_str() == n);
        let secs = self.duration.as_secs_f64();
        let mut arrivals = vec![0.0; names.len()];
        let mut client_requests = Vec::with_capacity(self.clients.len());
        // The worst amplification reaching each service, and where it comes from.
        let mut reach: Vec<(f64, Vec<String>)> = vec![(1.0, Vec::new()); names.len()];
        for (name, c) in &self.clients {
            let requests = match c {
                ClientSpec::Open { .. } => peak_rate(c) * secs,
                ClientSpec::Closed {
                    users, think_time, ..
                } => {
                    // A user cannot send faster than it thinks plus its target serves.
                    let think = think_time.mean_secs().unwrap_or(0.0);
                    let serve = self
                        .services
                        .get(c.target())
                        .and_then(|s| s.service_time.as_ref())
                        .and_then(|d| d.mean_secs())
                        .unwrap_or(0.0);
                    f64::from(*users) * secs / (think + serve).max(1e-3)
                }
            };
            client_requests.push(requests);
            if let Some(t) = index_of(c.target()) {
                let a = attempts(c.policies());
                arrivals[t] += requests * a;
                let at = amplifier(&format!("clients.{name}.policies"), c.policies());
                if a > reach[t].0 {
                    reach[t] = (a, at.into_iter().collect());
                }
            }
        }
        let sends: Vec<Vec<Outgoing>> = self
            .services
            .iter()
            .map(|(name, s)| {
                let mut out = Vec::new();
                outgoing(
                    &s.steps,
                    1.0,
                    &format!("services.{name}.steps"),
                    &index_of,
                    &mut out,
                );
                for r in &s.routes {
                    if let Some(to) = index_of(&r.to) {
                        out.push(Outgoing {
                            to,
                            weight: r.probability.clamp(0.0, 1.0),
                            amplification: 1.0,
                            at: None,
                        });
                    }
                }
                out
            })
            .collect();
        // Calls form a DAG (cycles are refused) but routes may loop with probability below
        // one: iterate to the fixed point, which converges geometrically.
        let external = arrivals.clone();
        for _ in 0..200 {
            let mut next = external.clone();
            for (u, out) in sends.iter().enumerate() {
                for o in out {
                    next[o.to] += arrivals[u] * o.weight * o.amplification;
                    let a = reach[u].0 * o.amplification;
                    if a > reach[o.to].0 {
                        let mut at = reach[u].1.clone();
                        at.extend(o.at.clone());
                        reach[o.to] = (a, at);
                    }
                }
            }
            let settled = next
                .iter()
                .zip(&arrivals)
                .all(|(a, b)| (a - b).abs() <= 1e-9 * a.abs().max(1.0));
            arrivals = next;
            if settled {
                break;
            }
        }
        let events = client_requests.iter().sum::<f64>() * EVENTS_PER_REQUEST
            + self
                .services
                .values()
                .zip(&arrivals)
                .map(|(s, a)| {
                    let work = if s.steps.is_empty() {
                        1.0
                    } else {
                        work_steps(&s.steps)
                    };
                    a * (EVENTS_PER_CALL + work)
                })
                .sum::<f64>();
        let worst_amplification = reach
            .into_iter()
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap_or((1.0, Vec::new()));
        Traffic {
            client_requests,
            service_calls: arrivals,
            events,
            worst_amplification,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::load_scenario_str;

    fn traffic(text: &str) -> super::Traffic {
        load_scenario_str("t.ron", text, &[])
            .expect("valid")
            .scenario
            .traffic()
    }

    #[test]
    fn retries_multiply_the_calls_of_every_service_below_them() {
        let t = traffic(
            r#"(duration: "100s",
                clients: { "u": Open(rate: 10.0, target: "api", policies: [Retry(max_attempts: 3)]) },
                services: {
                    "api": (workers: 1, steps: [Call(to: "db", policies: [Retry(max_attempts: 4)])]),
                    "db": (workers: 1, service_time: Exponential(mean: "1ms")),
                })"#,
        );
        assert_eq!(t.client_requests, vec![1000.0]);
        assert_eq!(t.service_calls, vec![3000.0, 12000.0]);
        assert_eq!(t.worst_amplification.0, 12.0);
        assert_eq!(
            t.worst_amplification.1,
            vec![
                "clients.u.policies.0.max_attempts".to_string(),
                "services.api.steps.0.policies.0.max_attempts".to_string()
            ]
        );
    }

    #[test]
    fn feedback_routes_converge_to_the_expected_visits() {
        // Half the requests come back once more: 1 / (1 - 0.5) = 2 visits each.
        let t = traffic(
            r#"(duration: "10s",
                clients: { "u": Open(rate: 100.0, target: "s") },
                services: { "s": (workers: 1, service_time: Exponential(mean: "1ms"),
                                  routes: [(to: "s", probability: 0.5)]) })"#,
        );
        assert!((t.service_calls[0] - 2000.0).abs() < 1e-3, "{t:?}");
    }
}
