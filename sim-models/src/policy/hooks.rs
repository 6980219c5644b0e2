//! Which hooks of a caller-side layer do anything: a stack asks only the layers that use a hook,
//! so a fallback is not asked to admit and a bulkhead is not told a call started.

use std::ops::BitOr;

/// A set of [`CallerPolicy`](super::CallerPolicy) hooks that a layer implements (overrides
/// from their do-nothing defaults). A layer that declares fewer hooks than it implements
/// is not called for the others; declaring more only costs time. A user's policy declares
/// [`Hooks::ALL`] unless it says otherwise.
///
/// ```
/// use sim_models::policy::Hooks;
/// let h = Hooks::ADMIT | Hooks::RECORD;
/// assert!(h.has(Hooks::RECORD) && !h.has(Hooks::ANSWER));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hooks(u8);

impl Hooks {
    /// None: the layer does nothing on any hook.
    pub const NONE: Hooks = Hooks(0);
    /// `admit`: it may refuse, delay or queue a call.
    pub const ADMIT: Hooks = Hooks(1);
    /// `record`: it learns how a call it let pass ended.
    pub const RECORD: Hooks = Hooks(1 << 1);
    /// `may_retry`: it may deny a retry.
    pub const MAY_RETRY: Hooks = Hooks(1 << 2);
    /// `started`: it counts new logical calls.
    pub const STARTED: Hooks = Hooks(1 << 3);
    /// `answer`: it may change the final answer.
    pub const ANSWER: Hooks = Hooks(1 << 4);
    /// `level`: it reports a level for the time series.
    pub const LEVEL: Hooks = Hooks(1 << 5);
    /// Every hook.
    pub const ALL: Hooks = Hooks((1 << 6) - 1);

    /// Whether every hook of `other` is in this set.
    #[inline]
    pub const fn has(self, other: Hooks) -> bool {
        self.0 & other.0 == other.0
    }
}

/// A set of a stack's layers, by index (a stack has at most
/// [`MAX_LAYERS`](super::MAX_LAYERS)): walked in order by popping its lowest or highest member.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LayerSet(u64);

impl LayerSet {
    /// The layers `l` of `0..n` for which `keep(l)` holds.
    pub fn of(n: usize, keep: impl Fn(usize) -> bool) -> LayerSet {
        LayerSet(
            (0..n.min(64))
                .filter(|&l| keep(l))
                .fold(0, |m, l| m | 1 << l),
        )
    }

    /// The members in `from..to`.
    #[inline]
    pub fn within(self, from: usize, to: usize) -> LayerSet {
        let below = |k: usize| if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
        LayerSet(self.0 & below(to) & !below(from))
    }

    /// The set without layer `l`.
    #[inline]
    pub fn without(self, l: usize) -> LayerSet {
        LayerSet(self.0 & !(1u64.checked_shl(l as u32).unwrap_or(0)))
    }

    /// Removes and returns the lowest member (the outermost layer).
    #[inline]
    pub fn pop_first(&mut self) -> Option<usize> {
        (self.0 != 0).then(|| {
            let l = self.0.trailing_zeros() as usize;
            self.0 &= self.0 - 1;
            l
        })
    }

    /// Removes and returns the highest member (the innermost layer).
    #[inline]
    pub fn pop_last(&mut self) -> Option<usize> {
        (self.0 != 0).then(|| {
            let l = 63 - self.0.leading_zeros() as usize;
            self.0 &= !(1 << l);
            l
        })
    }
}

/// For each hook, the layers of a stack that use it: what the stack walks instead of asking
/// every layer whether it uses the hook.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HookLists {
    /// Layers that may refuse, delay or queue a call (`admit`).
    pub admit: LayerSet,
    /// Layers told how a call ended (`record`) or that may let queued calls in when one ends
    /// (every admitting layer).
    pub ended: LayerSet,
    /// Layers that may deny a retry (`may_retry`).
    pub may_retry: LayerSet,
    /// Layers that count new logical calls (`started`).
    pub started: LayerSet,
    /// Layers that may change the final answer (`answer`).
    pub answer: LayerSet,
    /// Layers that report a level (`level`).
    pub level: LayerSet,
}

impl HookLists {
    /// The lists for layers that use `hooks`, in stack order.
    pub fn new(hooks: &[Hooks]) -> HookLists {
        let using = |wanted: Hooks| LayerSet::of(hooks.len(), |l| hooks[l].has(wanted));
        HookLists {
            admit: using(Hooks::ADMIT),
            ended: LayerSet::of(hooks.len(), |l| {
                hooks[l].has(Hooks::RECORD) || hooks[l].has(Hooks::ADMIT)
            }),
            may_retry: using(Hooks::MAY_RETRY),
            started: using(Hooks::STARTED),
            answer: using(Hooks::ANSWER),
            level: using(Hooks::LEVEL),
        }
    }
}

impl BitOr for Hooks {
    type Output = Hooks;
    fn bitor(self, other: Hooks) -> Hooks {
        Hooks(self.0 | other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Arrival, Ended, Layer, PolicySpec, Verdict};
    use super::Hooks;
    use crate::outcome::Outcome;
    use sim_core::{SimDuration, SimTime};

    /// Every built-in kind of caller layer (the last of each list), with settings that make each
    /// change state often.
    fn built_in_layers() -> Vec<Layer> {
        let stacks = [
            "Retry(max_attempts: 3)",
            "Retry(max_attempts: 3), RetryBudget(Grpc(max_tokens: 4, token_ratio: 0.5))",
            "Retry(max_attempts: 3), RetryBudget(Finagle())",
            "CircuitBreaker(Resilience4j(window: Count(10), minimum_calls: 5, wait_in_open: \"50ms\"))",
            "CircuitBreaker(Polly(minimum_throughput: 5, sampling_duration: \"1s\", break_duration: \"500ms\"))",
            "Bulkhead(Semaphore(max_concurrent: 3))",
            "RateLimiter(limit_for_period: 5, refresh_period: \"10ms\")",
            "AdaptiveThrottle(k: 1.1)",
            "Fallback(kind: Static)",
            "ConcurrencyLimit(Aimd())",
            "ConcurrencyLimit(Vegas())",
            "Hedge(Grpc(max_attempts: 3, hedging_delay: \"5ms\"))",
            "Hedge(Finagle(max_extra_load: 0.1))",
        ];
        stacks
            .iter()
            .map(|p| {
                let text = format!(
                    "(duration: \"1s\", clients: {{ \"c\": Open(rate: 1.0, target: \"s\", policies: [{p}]) }}, services: {{ \"s\": (workers: 1, service_time: Deterministic(value: \"1ms\")) }})"
                );
                let loaded = crate::load::load_scenario_str("hooks.ron", &text, &[])
                    .unwrap_or_else(|e| panic!("{p}: {e}"));
                let spec: &PolicySpec = loaded.scenario.clients["c"].policies().last().unwrap();
                Layer::of(spec).expect("a built-in")
            })
            .collect()
    }

    #[test]
    fn each_hooks_list_holds_exactly_the_layers_that_use_it_in_stack_order() {
        let hooks = [
            Hooks::NONE,
            Hooks::ADMIT | Hooks::LEVEL,
            Hooks::RECORD | Hooks::ANSWER,
            Hooks::ALL,
        ];
        let lists = super::HookLists::new(&hooks);
        let members = |mut set: super::LayerSet| {
            let mut out = Vec::new();
            while let Some(l) = set.pop_first() {
                out.push(l);
            }
            out
        };
        assert_eq!(members(lists.admit), [1, 3]);
        assert_eq!(members(lists.ended), [1, 2, 3]);
        assert_eq!(members(lists.may_retry), [3]);
        assert_eq!(members(lists.started), [3]);
        assert_eq!(members(lists.answer), [2, 3]);
        assert_eq!(members(lists.level), [1, 3]);
        assert_eq!(members(lists.ended.within(2, 4)), [2, 3]);
        assert_eq!(members(lists.ended.within(0, 2)), [1]);
        assert_eq!(members(lists.ended.without(2)), [1, 3]);
        let mut backwards = lists.ended;
        assert_eq!(
            (backwards.pop_last(), backwards.pop_last()),
            (Some(3), Some(2))
        );
        let all = super::LayerSet::of(64, |_| true);
        assert_eq!(members(all.within(62, 64)), [62, 63]);
        assert_eq!(members(all.within(0, 64)).len(), 64);
    }

    #[test]
    fn a_layer_skipped_on_the_hooks_it_does_not_declare_ends_in_the_same_state() {
        let outcomes = [
            Outcome::Completed,
            Outcome::Timeout,
            Outcome::Unavailable,
            Outcome::Completed,
            Outcome::Rejected,
            Outcome::Completed,
            Outcome::Completed,
        ];
        for layer in built_in_layers() {
            let hooks = layer.hooks();
            let name = layer.name().to_string();
            // `every` is called on every hook; `declared` only on those it declares.
            let (mut every, mut declared) = (layer.clone(), layer);
            let (mut rng_a, mut rng_b) = (
                sim_core::RngFactory::new(7).stream("a"),
                sim_core::RngFactory::new(7).stream("a"),
            );
            for step in 0..3000u64 {
                let now = SimTime(step * 700_000);
                let outcome = outcomes[(step * 7 + step / 13) as usize % outcomes.len()];
                let arrival = Arrival {
                    attempt: 1 + (step % 3) as u32,
                    waiting: 0,
                    queued: false,
                };
                let ended = Ended {
                    outcome,
                    latency: SimDuration((200 + (step % 17) * 900) * 1000),
                    attempt: arrival.attempt,
                    outcome_before: (step % 2 == 0).then_some(Outcome::Timeout),
                    inflight: (step % 5) as u32,
                };
                every.started(now);
                if hooks.has(Hooks::STARTED) {
                    declared.started(now);
                }
                let v = every.admit(now, &arrival, &mut rng_a);
                if hooks.has(Hooks::ADMIT) {
                    assert_eq!(v, declared.admit(now, &arrival, &mut rng_b), "{name}");
                } else {
                    assert_eq!(v, Verdict::Pass, "{name} admits without declaring it");
                }
                if v == Verdict::Pass {
                    every.record(now, &ended);
                    if hooks.has(Hooks::RECORD) {
                        declared.record(now, &ended);
                    }
                }
                let r = every.may_retry(now, outcome);
                if hooks.has(Hooks::MAY_RETRY) {
                    assert_eq!(r, declared.may_retry(now, outcome), "{name}");
                } else {
                    assert!(r, "{name} denies retries without declaring it");
                }
                let a = every.answer(now, outcome);
                if hooks.has(Hooks::ANSWER) {
                    assert_eq!(a, declared.answer(now, outcome), "{name}");
                } else {
                    assert_eq!(a, outcome, "{name} changes answers without declaring it");
                }
                let l = every.level(now);
                if hooks.has(Hooks::LEVEL) {
                    assert_eq!(l, declared.level(now), "{name}");
                } else {
                    assert_eq!(l, None, "{name} reports a level without declaring it");
                }
                assert_eq!(
                    format!("{every:?}"),
                    format!("{declared:?}"),
                    "{name} at step {step}: an undeclared hook changed its state"
                );
            }
        }
    }

    #[test]
    fn a_users_policy_is_asked_on_every_hook_unless_it_says_otherwise() {
        #[derive(Clone, Debug)]
        struct Mine;
        impl super::super::CallerPolicy for Mine {
            fn name(&self) -> &str {
                "mine"
            }
        }
        assert_eq!(Layer::Custom(Box::new(Mine)).hooks(), Hooks::ALL);
        assert_eq!(Hooks::ADMIT | Hooks::NONE, Hooks::ADMIT);
        assert!(Hooks::ALL.has(Hooks::LEVEL | Hooks::ANSWER));
        assert!(!Hooks::RECORD.has(Hooks::RECORD | Hooks::ADMIT));
    }
}
