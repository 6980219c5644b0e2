//! A service's call graph: the steps it takes to handle one request, and their compiled form.
//!
//! In a scenario a service lists `steps`: local work, a synchronous call, a parallel fan-out that
//! waits for all, the first or k of its calls, fire-and-forget publishing, and probabilistic
//! branches. They compile into a flat [`Op`] list — branches become jumps — so that a call in
//! progress is just a program counter into it, and running a step is an index and a match.

use crate::cache::CacheStep;
use crate::ids::{EdgeId, ServiceId};
use crate::policy::PolicySpec;
use crate::saga::{SagaDef, SagaSpec, SagaStep};
use serde::{Deserialize, Serialize};
use sim_core::{Distribution, SimDuration};

/// One step of handling a request, as written in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Step {
    /// Local work holding a worker for a time drawn from the distribution.
    Work(Distribution),
    /// A synchronous call: the request waits for the answer. A failed call fails the request
    /// (error `dependency`) unless `optional`.
    Call {
        /// The service called.
        to: String,
        /// How long to wait for the answer before giving up (error `timeout`). Default: forever,
        /// or until the propagated deadline.
        #[serde(default)]
        timeout: Option<SimDuration>,
        /// A failure of this call does not fail the request.
        #[serde(default)]
        optional: bool,
        /// Resilience policies on this call, outermost first (see `policy`). Calls from one
        /// service to another share one client library: every call site of the pair must
        /// declare the same list (or none).
        #[serde(default)]
        policies: Vec<PolicySpec>,
    },
    /// Parallel calls, all sent at once; the step ends when `wait` is satisfied or can no
    /// longer be. Calls still outstanding then are abandoned (their work is wasted).
    FanOut {
        /// The calls.
        calls: Vec<CallSpec>,
        /// How many answers the step needs (default `All`).
        #[serde(default)]
        wait: Wait,
        /// A failed fan-out does not fail the request.
        #[serde(default)]
        optional: bool,
    },
    /// Fire-and-forget: a message to `to`, which handles it as a request of its own; nothing
    /// waits for it.
    Publish {
        /// The consuming service.
        to: String,
    },
    /// One of several paths, chosen at random; with the probability left over, none.
    Branch(Vec<BranchSpec>),
    /// A read through the instance's cache of service `of`, which is called on a miss (see
    /// [`crate::cache`]).
    Cache(CacheStep),
    /// An orchestrated saga across services (see [`crate::saga`]): the request succeeds if
    /// every step did.
    Saga(SagaSpec),
    /// A read or write of a replicated store (see [`crate::store_call`]).
    Store(crate::store_call::StoreStep),
}

/// One call of a fan-out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    /// The service called.
    pub to: String,
    /// How long to wait for its answer.
    #[serde(default)]
    pub timeout: Option<SimDuration>,
    /// Resilience policies on this call, outermost first.
    #[serde(default)]
    pub policies: Vec<PolicySpec>,
}

/// How many answers a fan-out waits for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Wait {
    /// Every call must succeed; the first failure fails the step.
    #[default]
    All,
    /// The first success is enough; the step fails only if every call fails.
    First,
    /// `k` successes are enough; the step fails once that is impossible.
    Quorum(u32),
}

/// One path of a branch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchSpec {
    /// Probability of taking this path, in [0, 1].
    pub probability: f64,
    /// Its steps.
    pub steps: Vec<Step>,
}

/// One compiled step. Indices point into the tables of the [`Program`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    /// Local work drawn from `program.work[i]`.
    Work(u16),
    /// Calls `program.calls[first .. first + count]`, needing `need` successes.
    Calls {
        first: u32,
        count: u16,
        need: u16,
        optional: bool,
    },
    /// Publish to a service along edge `edge`.
    Publish { service: ServiceId, edge: EdgeId },
    /// Jump to the path of `program.branches[first .. first + count]` chosen at random, or to
    /// `end`, past all of them.
    Branch { first: u32, count: u16, end: u16 },
    /// Continue at this op.
    Jump(u16),
    /// Look a key up in the service's cache number `.0`: on a hit skip the fetch (the
    /// `Calls` op after this) and the fill after it.
    CacheLookup(u8),
    /// The fetch before this filled cache `.0` (done where the fetch's wait ends).
    CacheFill(u8),
    /// Run saga `.0` of the program and wait for its end.
    Saga(u8),
    /// Submit store call `.0` of the program and wait for its answer.
    Store(u8),
}

/// Resolves a called service's name (and the call's policies) to the service and the edge.
pub(crate) type Resolve<'a> = dyn FnMut(&str, &[PolicySpec]) -> (ServiceId, EdgeId) + 'a;

/// A call target of a compiled program.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Target {
    pub(crate) service: ServiceId,
    pub(crate) edge: EdgeId,
    pub(crate) timeout: Option<SimDuration>,
}

/// A service's compiled steps.
#[derive(Clone, Debug, Default)]
pub(crate) struct Program {
    pub(crate) ops: Vec<Op>,
    pub(crate) work: Vec<sim_core::Sampler>,
    pub(crate) calls: Vec<Target>,
    /// Cumulative probability and the op its path starts at.
    pub(crate) branches: Vec<(f64, u16)>,
    /// Its caches: the first `Cache` step naming each origin.
    pub(crate) caches: Vec<CacheStep>,
    /// Its sagas, in step order.
    pub(crate) sagas: Vec<SagaDef>,
    /// Its store steps, in step order.
    pub(crate) store_calls: Vec<StoreCallDef>,
}

/// A compiled store step: which linked store and caller (set when the world links its
/// stores), what to do, and whether a failure fails the request.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoreCallDef {
    pub(crate) step: crate::store_call::StoreStep,
    /// Index into the world's linked stores.
    pub(crate) store: u32,
    /// The store's caller number for this step.
    pub(crate) caller: u32,
}

impl Program {
    /// Compiles checked `steps`. `resolve` gives a called service's index and the index of the
    /// edge from this service to it.
    pub(crate) fn compile(steps: &[Step], resolve: &mut Resolve) -> Program {
        let mut p = Program::default();
        p.emit(steps, resolve);
        p
    }

    /// Adds a call target (resolved by `resolve`) and returns its index.
    fn target(
        &mut self,
        to: &str,
        policies: &[PolicySpec],
        timeout: Option<SimDuration>,
        resolve: &mut Resolve,
    ) -> u32 {
        let (service, edge) = resolve(to, policies);
        self.calls.push(Target {
            service,
            edge,
            timeout,
        });
        (self.calls.len() - 1) as u32
    }

    fn emit(&mut self, steps: &[Step], resolve: &mut Resolve) {
        for step in steps {
            match step {
                Step::Work(d) => {
                    self.work.push(d.sampler().expect("checked"));
                    self.ops.push(Op::Work((self.work.len() - 1) as u16));
                }
                Step::Call {
                    to,
                    timeout,
                    optional,
                    policies,
                } => {
                    let first = self.target(to, policies, *timeout, resolve);
                    self.ops.push(Op::Calls {
                        first,
                        count: 1,
                        need: 1,
                        optional: *optional,
                    });
                }
                Step::FanOut {
                    calls,
                    wait,
                    optional,
                } => {
                    let first = self.calls.len() as u32;
                    for c in calls {
                        self.target(&c.to, &c.policies, c.timeout, resolve);
                    }
                    let count = calls.len() as u16;
                    let need = match wait {
                        Wait::All => count,
                        Wait::First => 1,
                        Wait::Quorum(k) => *k as u16,
                    };
                    self.ops.push(Op::Calls {
                        first,
                        count,
                        need,
                        optional: *optional,
                    });
                }
                Step::Publish { to } => {
                    let (service, edge) = resolve(to, &[]);
                    self.ops.push(Op::Publish { service, edge });
                }
                Step::Cache(spec) => {
                    let cache = match self.caches.iter().position(|c| c.of == spec.of) {
                        Some(k) => k,
                        None => {
                            self.caches.push(spec.clone());
                            self.caches.len() - 1
                        }
                    } as u8;
                    let first = self.target(&spec.of, &spec.policies, spec.timeout, resolve);
                    self.ops.push(Op::CacheLookup(cache));
                    self.ops.push(Op::Calls {
                        first,
                        count: 1,
                        need: 1,
                        optional: spec.optional,
                    });
                    self.ops.push(Op::CacheFill(cache));
                }
                Step::Saga(spec) => {
                    let mut steps = Vec::with_capacity(spec.steps.len());
                    for s in &spec.steps {
                        let action = self.target(&s.action, &[], s.timeout, resolve);
                        let compensation = s
                            .compensation
                            .as_deref()
                            .map(|c| self.target(c, &[], s.timeout, resolve));
                        steps.push(SagaStep {
                            action,
                            compensation,
                            retries: s.retries,
                            compensation_retries: s.compensation_retries.unwrap_or(s.retries),
                            backoff: s.backoff,
                        });
                    }
                    self.sagas.push(SagaDef {
                        name: spec.name.clone(),
                        steps,
                        keys: spec.idempotency_keys,
                    });
                    self.ops.push(Op::Saga((self.sagas.len() - 1) as u8));
                }
                Step::Store(step) => {
                    self.store_calls.push(StoreCallDef {
                        step: step.clone(),
                        store: u32::MAX,
                        caller: u32::MAX,
                    });
                    self.ops.push(Op::Store((self.store_calls.len() - 1) as u8));
                }
                Step::Branch(paths) => {
                    // Branch, then each path followed by a jump past the others.
                    let first = self.branches.len() as u32;
                    let at = self.ops.len();
                    self.ops.push(Op::Branch {
                        first,
                        count: paths.len() as u16,
                        end: 0,
                    });
                    let mut cum = 0.0;
                    for path in paths {
                        cum += path.probability;
                        self.branches.push((cum, 0));
                    }
                    let mut jumps = Vec::new();
                    for (k, path) in paths.iter().enumerate() {
                        self.branches[first as usize + k].1 = self.ops.len() as u16;
                        self.emit(&path.steps, resolve);
                        jumps.push(self.ops.len());
                        self.ops.push(Op::Jump(0));
                    }
                    let end = self.ops.len() as u16;
                    for j in jumps {
                        self.ops[j] = Op::Jump(end);
                    }
                    self.ops[at] = Op::Branch {
                        first,
                        count: paths.len() as u16,
                        end,
                    };
                }
            }
        }
    }
}

/// Every service a list of steps calls or publishes to, with the field path of each mention,
/// in order (for checks).
pub(crate) fn targets<'a>(steps: &'a [Step], path: &str, out: &mut Vec<(String, &'a str, bool)>) {
    for (i, step) in steps.iter().enumerate() {
        let p = format!("{path}.{i}");
        match step {
            Step::Work(_) => {}
            Step::Call { to, .. } => out.push((format!("{p}.to"), to, true)),
            Step::FanOut { calls, .. } => {
                for (k, c) in calls.iter().enumerate() {
                    out.push((format!("{p}.calls.{k}.to"), &c.to, true));
                }
            }
            Step::Publish { to } => out.push((format!("{p}.to"), to, false)),
            Step::Cache(c) => out.push((format!("{p}.of"), &c.of, true)),
            Step::Saga(s) => {
                for (field, to) in s.participants() {
                    out.push((format!("{p}.{field}"), to, true));
                }
            }
            Step::Store(_) => {} // a store, not a service
            Step::Branch(paths) => {
                for (k, b) in paths.iter().enumerate() {
                    targets(&b.steps, &format!("{p}.{k}.steps"), out);
                }
            }
        }
    }
}

/// Every synchronous call site in `steps` (branches included): its path, target and policies.
pub(crate) fn call_sites<'a>(
    steps: &'a [Step],
    path: String,
    out: &mut Vec<(String, &'a String, &'a [PolicySpec])>,
) {
    for (i, step) in steps.iter().enumerate() {
        let p = format!("{path}.{i}");
        match step {
            Step::Call { to, policies, .. } => out.push((p, to, policies)),
            Step::FanOut { calls, .. } => {
                for (k, c) in calls.iter().enumerate() {
                    out.push((format!("{p}.calls.{k}"), &c.to, &c.policies));
                }
            }
            Step::Cache(c) => out.push((p, &c.of, &c.policies)),
            Step::Saga(_) => {} // a saga's calls take its own retries, never policies
            Step::Store(_) => {} // a store's resends are its own
            Step::Branch(paths) => {
                for (k, b) in paths.iter().enumerate() {
                    call_sites(&b.steps, format!("{p}.{k}.steps"), out);
                }
            }
            Step::Work(_) | Step::Publish { .. } => {}
        }
    }
}

/// Every step of `steps` (branches included) that `pick` picks, with its path, in order.
pub(crate) fn find_steps<'a, T>(
    steps: &'a [Step],
    path: &str,
    pick: &dyn Fn(&'a Step) -> Option<&'a T>,
    out: &mut Vec<(String, &'a T)>,
) {
    for (i, step) in steps.iter().enumerate() {
        if let Some(found) = pick(step) {
            out.push((format!("{path}.{i}"), found));
        }
        if let Step::Branch(paths) = step {
            for (k, b) in paths.iter().enumerate() {
                find_steps(&b.steps, &format!("{path}.{i}.{k}.steps"), pick, out);
            }
        }
    }
}

/// Every `Store` step in `steps` (branches included), with its path, in order.
pub(crate) fn store_steps<'a>(
    steps: &'a [Step],
    path: &str,
    out: &mut Vec<(String, &'a crate::store_call::StoreStep)>,
) {
    find_steps(
        steps,
        path,
        &|s| match s {
            Step::Store(x) => Some(x),
            _ => None,
        },
        out,
    );
}

/// Every `Cache` step in `steps` (branches included), with its path, in order.
pub(crate) fn cache_steps<'a>(
    steps: &'a [Step],
    path: &str,
    out: &mut Vec<(String, &'a CacheStep)>,
) {
    find_steps(
        steps,
        path,
        &|s| match s {
            Step::Cache(c) => Some(c),
            _ => None,
        },
        out,
    );
}

/// Every `Saga` step in `steps` (branches included), with its path, in order.
pub(crate) fn saga_steps<'a>(steps: &'a [Step], path: &str, out: &mut Vec<(String, &'a SagaSpec)>) {
    find_steps(
        steps,
        path,
        &|s| match s {
            Step::Saga(x) => Some(x),
            _ => None,
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work() -> Step {
        Step::Work(Distribution::Deterministic {
            value: SimDuration::from_millis(1),
        })
    }

    #[test]
    fn branches_compile_to_jumps_past_the_other_paths() {
        let steps = vec![
            work(),
            Step::Branch(vec![
                BranchSpec {
                    probability: 0.25,
                    steps: vec![Step::Call {
                        to: "a".into(),
                        timeout: None,
                        optional: false,
                        policies: Vec::new(),
                    }],
                },
                BranchSpec {
                    probability: 0.5,
                    steps: vec![work(), work()],
                },
            ]),
            Step::Publish { to: "b".into() },
        ];
        let mut resolve = |name: &str, _: &[PolicySpec]| {
            let service = ServiceId::new(if name == "a" { 1 } else { 2 });
            (service, EdgeId::new(7))
        };
        let p = Program::compile(&steps, &mut resolve);
        // 0 work, 1 branch, 2 call a, 3 jump, 4 work, 5 work, 6 jump, 7 publish
        assert_eq!(p.ops.len(), 8);
        assert_eq!(
            p.ops[1],
            Op::Branch {
                first: 0,
                count: 2,
                end: 7
            }
        );
        assert_eq!(p.branches, vec![(0.25, 2), (0.75, 4)]);
        assert_eq!(p.ops[3], Op::Jump(7));
        assert_eq!(p.ops[6], Op::Jump(7));
        assert_eq!(
            p.ops[7],
            Op::Publish {
                service: ServiceId::new(2),
                edge: EdgeId::new(7)
            }
        );
    }
}
