//! Resilience policies on a caller's path: timeouts, retries, retry budgets, circuit breakers,
//! bulkheads, rate limiters, adaptive throttling and fallbacks.
//!
//! A call edge (a client's link to its target, or a service's call to another) may carry a
//! *stack* of policy layers, listed outermost first, as decorators compose in Resilience4j:
//! `[Retry(..), CircuitBreaker(..), Bulkhead(..)]` is `Retry(CircuitBreaker(Bulkhead(call)))`.
//! Layers before the `Retry` see each logical call once; layers after it see every attempt.
//! A `Timeout` after the retry limits each attempt; before it (or with no retry), the whole call.
//!
//! Every layer implements [`CallerPolicy`]; built-in layers are dispatched through the
//! [`Layer`] enum (no virtual call on the hot path), and a user's own layer, registered by
//! name in a [`PolicyRegistry`], runs as `Layer::Custom`. Each caller instance has its own
//! stack, as each process of a real service has its own client library.

pub mod adaptive_lifo;
pub mod adaptive_throttle;
pub mod bulkhead;
pub mod circuit_breaker;
pub mod codel;
pub mod concurrency_limit;
pub mod concurrency_limiter;
pub mod criticality;
pub mod fallback;
pub mod hedging;
pub mod hooks;
pub mod load_shedding;
pub mod priority_classes;
pub mod rate_limiter;
pub mod registry;
pub mod retry;
pub mod retry_budget;
pub mod server;
pub mod server_policy;
pub mod sliding_count;
pub mod tenant_rate_limit;
pub mod validate;

use crate::ids::InvocationId;
use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimRng, SimTime};
use std::collections::BTreeMap;

pub use adaptive_lifo::AdaptiveLifoSpec;
pub use adaptive_throttle::{AdaptiveThrottle, ThrottleSpec};
pub use bulkhead::{Bulkhead, BulkheadSpec};
pub use circuit_breaker::{
    BreakerScope, BreakerSpec, BreakerState, BreakerWindow, PollyBreaker, PollyBreakerSpec,
    Resilience4jBreaker, Resilience4jBreakerSpec,
};
pub use codel::CoDelSpec;
pub use concurrency_limit::{Limit, LimitSpec};
pub use concurrency_limiter::ConcurrencyLimiter;
pub use criticality::Criticality;
pub use fallback::{Fallback, FallbackSpec};
pub use hedging::{Hedge, HedgeSpec};
pub use hooks::{HookLists, Hooks, LayerSet};

/// The most layers a policy list may have: a stack walks its layers as sets of 64 bits.
pub const MAX_LAYERS: usize = 64;
pub use priority_classes::CriticalitySpec;
pub use rate_limiter::{RateLimiter, RateLimiterSpec};
pub use registry::{Params, PolicyRegistry, Registry, RegistryError};
pub use retry::{Backoff, BackoffState, Jitter, RetrySpec};
pub use retry_budget::{BudgetSpec, RetryBudget};
pub use server::{ServerArrival, ServerLayer, ServerPolicy, ServerPolicySpec, ShedReason};
pub use tenant_rate_limit::TenantRateSpec;

/// One layer of a caller's policy stack, as written in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PolicySpec {
    /// Gives up on a call (or, after a `Retry`, on one attempt) after this long: `timeout`.
    Timeout(SimDuration),
    /// Tries failed calls again.
    Retry(RetrySpec),
    /// Limits retries across calls (after the `Retry` in the list: it counts attempts).
    RetryBudget(BudgetSpec),
    /// Stops calling a failing dependency for a while.
    CircuitBreaker(BreakerSpec),
    /// Limits concurrent calls.
    Bulkhead(BulkheadSpec),
    /// Limits the rate of calls (Resilience4j `AtomicRateLimiter`).
    RateLimiter(RateLimiterSpec),
    /// Client-side adaptive throttling (Google SRE book).
    AdaptiveThrottle(ThrottleSpec),
    /// Answers a failed call with a fallback (counted apart from success).
    Fallback(FallbackSpec),
    /// Limits calls in flight, fixed or adaptive (Netflix concurrency-limits).
    ConcurrencyLimit(LimitSpec),
    /// Sends more attempts of a call before the first has answered (gRPC hedging, Finagle
    /// backup requests); in place of a `Retry`.
    Hedge(HedgeSpec),
    /// A policy registered by name in a [`PolicyRegistry`].
    Custom {
        /// The registered name.
        name: String,
        /// Its parameters.
        #[serde(default)]
        params: BTreeMap<String, f64>,
    },
}

impl PolicySpec {
    /// The layer's kind, as reports name it.
    pub fn kind(&self) -> &str {
        match self {
            PolicySpec::Timeout(_) => "timeout",
            PolicySpec::Retry(_) => "retry",
            PolicySpec::RetryBudget(_) => "retry_budget",
            PolicySpec::CircuitBreaker(_) => "circuit_breaker",
            PolicySpec::Bulkhead(_) => "bulkhead",
            PolicySpec::RateLimiter(_) => "rate_limiter",
            PolicySpec::AdaptiveThrottle(_) => "adaptive_throttle",
            PolicySpec::Fallback(_) => "fallback",
            PolicySpec::ConcurrencyLimit(_) => "concurrency_limit",
            PolicySpec::Hedge(_) => "hedge",
            PolicySpec::Custom { name, .. } => name,
        }
    }
}

/// What a layer says about a call that reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Go on to the next layer.
    Pass,
    /// Refuse the call with `outcome`, after `after` (zero: at once; Resilience4j's rate
    /// limiter makes a blocking caller wait out its timeout first).
    Reject {
        /// The error the caller sees.
        outcome: Outcome,
        /// How long the caller is held before it sees it.
        after: SimDuration,
    },
    /// Go on after this long (a rate limiter's reservation).
    Delay(SimDuration),
    /// Wait in this layer's queue until it admits the call (asked again, with
    /// `Arrival::queued`, whenever one of its calls ends), at most `max`; then `outcome`.
    Queue {
        /// Longest wait (`None`: no limit).
        max: Option<SimDuration>,
        /// The error if the wait runs out.
        outcome: Outcome,
    },
}

impl Verdict {
    /// An immediate refusal.
    pub fn reject(outcome: Outcome) -> Verdict {
        Verdict::Reject {
            outcome,
            after: SimDuration::ZERO,
        }
    }
}

/// A call reaching a layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Arrival {
    /// Its attempt number, 1 for the first.
    pub attempt: u32,
    /// Calls waiting in this layer's queue (not counting this one).
    pub waiting: usize,
    /// This call is the head of the layer's queue, asking again.
    pub queued: bool,
}

/// A call (or, after a retry layer, an attempt) that a layer let pass has ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took from passing the layer.
    pub latency: SimDuration,
    /// Its attempt number, 1 for the first.
    pub attempt: u32,
    /// How the attempt before it ended (`None` for a first attempt).
    pub outcome_before: Option<Outcome>,
    /// Calls in flight through the stack's concurrency limit when this one passed it, itself
    /// included (0 without a limit).
    pub inflight: u32,
}

/// A layer on a caller's path. Every built-in policy implements it; so can a user's own (see
/// `examples/custom_policy.rs`). All methods but `name` have do-nothing defaults.
///
/// ```
/// use sim_models::policy::{Arrival, CallerPolicy, Verdict};
/// use sim_models::Outcome;
/// use sim_core::{SimRng, SimTime};
///
/// /// Refuses every other call.
/// #[derive(Clone, Debug, Default)]
/// struct EveryOther(bool);
///
/// impl CallerPolicy for EveryOther {
///     fn name(&self) -> &str { "every_other" }
///     fn admit(&mut self, _: SimTime, _: &Arrival, _: &mut SimRng) -> Verdict {
///         self.0 = !self.0;
///         if self.0 { Verdict::Pass } else { Verdict::reject(Outcome::Throttled) }
///     }
/// }
/// ```
pub trait CallerPolicy: std::fmt::Debug + Send + PolicyClone {
    /// The layer's name in reports.
    fn name(&self) -> &str;

    /// A call reaches the layer at `now`.
    fn admit(&mut self, _now: SimTime, _arrival: &Arrival, _rng: &mut SimRng) -> Verdict {
        Verdict::Pass
    }

    /// A call this layer let pass has ended.
    fn record(&mut self, _now: SimTime, _ended: &Ended) {}

    /// A retry layer: the wait before attempt `attempts + 1` after `attempts` attempts, the last
    /// ending with `outcome`; `None` to stop.
    fn retry_delay(
        &mut self,
        _attempts: u32,
        _outcome: Outcome,
        _state: &mut BackoffState,
        _rng: &mut SimRng,
    ) -> Option<SimDuration> {
        None
    }

    /// A retry budget: whether a retry after `outcome` may go, withdrawing its cost if so.
    fn may_retry(&mut self, _now: SimTime, _outcome: Outcome) -> bool {
        true
    }

    /// A new logical call starts (budgets that deposit per request count it here).
    fn started(&mut self, _now: SimTime) {}

    /// The final answer `outcome` passes back through the layer, which may change it (a
    /// fallback turns an error into `Outcome::Fallback`).
    fn answer(&mut self, _now: SimTime, outcome: Outcome) -> Outcome {
        outcome
    }

    /// The level a time series shows (breaker state, budget tokens, concurrency in use).
    fn level(&mut self, _now: SimTime) -> Option<f64> {
        None
    }

    /// The hooks above that this layer implements: its stack calls it for no others.
    fn hooks(&self) -> Hooks {
        Hooks::ALL
    }
}

/// Lets a boxed policy be cloned with the world (implemented for every `Clone` policy).
pub trait PolicyClone {
    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn CallerPolicy>;
}

impl<T: CallerPolicy + Clone + 'static> PolicyClone for T {
    fn clone_box(&self) -> Box<dyn CallerPolicy> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn CallerPolicy> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// A retry layer built from a [`RetrySpec`].
#[derive(Clone, Debug)]
pub struct Retry {
    spec: RetrySpec,
    attempts: u32,
}

impl Retry {
    /// The layer of `spec`.
    pub fn new(spec: RetrySpec) -> Self {
        Retry {
            attempts: spec.attempts(),
            spec,
        }
    }
}

impl CallerPolicy for Retry {
    fn name(&self) -> &str {
        "retry"
    }

    fn hooks(&self) -> Hooks {
        Hooks::NONE // its retry_delay is asked of the stack's retry layer directly
    }

    fn retry_delay(
        &mut self,
        attempts: u32,
        outcome: Outcome,
        state: &mut BackoffState,
        rng: &mut SimRng,
    ) -> Option<SimDuration> {
        if attempts >= self.attempts || !self.spec.retries(outcome) {
            return None;
        }
        let u = sim_core::open01(rng);
        Some(self.spec.backoff.delay(attempts, u, state))
    }
}

/// A runnable layer: the built-ins by value, a user's policy boxed.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum Layer {
    Retry(Retry),
    Budget(RetryBudget),
    Resilience4jBreaker(Resilience4jBreaker),
    PollyBreaker(PollyBreaker),
    Bulkhead(Bulkhead),
    RateLimiter(RateLimiter),
    Throttle(AdaptiveThrottle),
    Fallback(Fallback),
    Limiter(ConcurrencyLimiter),
    Hedge(Hedge),
    Custom(Box<dyn CallerPolicy>),
}

/// Calls `$body` with `$p` bound to the layer's policy, statically for the built-ins.
macro_rules! dispatch {
    ($layer:expr, $p:ident => $body:expr) => {
        match $layer {
            Layer::Retry($p) => $body,
            Layer::Budget($p) => $body,
            Layer::Resilience4jBreaker($p) => $body,
            Layer::PollyBreaker($p) => $body,
            Layer::Bulkhead($p) => $body,
            Layer::RateLimiter($p) => $body,
            Layer::Throttle($p) => $body,
            Layer::Fallback($p) => $body,
            Layer::Limiter($p) => $body,
            Layer::Hedge($p) => $body,
            Layer::Custom($p) => $body,
        }
    };
}

impl Layer {
    /// The layer of a spec (`Timeout` and `Custom` are handled by the stack builder).
    fn of(spec: &PolicySpec) -> Option<Layer> {
        Some(match spec {
            PolicySpec::Retry(s) => Layer::Retry(Retry::new(s.clone())),
            PolicySpec::RetryBudget(s) => Layer::Budget(RetryBudget::new(s.clone())),
            PolicySpec::CircuitBreaker(BreakerSpec::Resilience4j(s)) => {
                Layer::Resilience4jBreaker(Resilience4jBreaker::new(s.clone()))
            }
            PolicySpec::CircuitBreaker(BreakerSpec::Polly(s)) => {
                Layer::PollyBreaker(PollyBreaker::new(s.clone()))
            }
            PolicySpec::Bulkhead(s) => Layer::Bulkhead(Bulkhead::new(s.clone())),
            PolicySpec::RateLimiter(s) => Layer::RateLimiter(RateLimiter::new(s.clone())),
            PolicySpec::AdaptiveThrottle(s) => Layer::Throttle(AdaptiveThrottle::new(s.clone())),
            PolicySpec::Fallback(s) => Layer::Fallback(Fallback::new(s.clone())),
            PolicySpec::ConcurrencyLimit(s) => Layer::Limiter(ConcurrencyLimiter::new(s)),
            PolicySpec::Hedge(s) => Layer::Hedge(Hedge::new(s.clone())),
            PolicySpec::Timeout(_) | PolicySpec::Custom { .. } => return None,
        })
    }

    /// The layer's name.
    pub fn name(&self) -> &str {
        dispatch!(self, p => p.name())
    }
    /// See [`CallerPolicy::admit`].
    #[inline]
    pub fn admit(&mut self, now: SimTime, arrival: &Arrival, rng: &mut SimRng) -> Verdict {
        dispatch!(self, p => p.admit(now, arrival, rng))
    }
    /// See [`CallerPolicy::record`].
    #[inline]
    pub fn record(&mut self, now: SimTime, ended: &Ended) {
        dispatch!(self, p => p.record(now, ended))
    }
    /// See [`CallerPolicy::retry_delay`].
    pub fn retry_delay(
        &mut self,
        attempts: u32,
        outcome: Outcome,
        state: &mut BackoffState,
        rng: &mut SimRng,
    ) -> Option<SimDuration> {
        dispatch!(self, p => p.retry_delay(attempts, outcome, state, rng))
    }
    /// See [`CallerPolicy::may_retry`].
    pub fn may_retry(&mut self, now: SimTime, outcome: Outcome) -> bool {
        dispatch!(self, p => p.may_retry(now, outcome))
    }
    /// See [`CallerPolicy::started`].
    pub fn started(&mut self, now: SimTime) {
        dispatch!(self, p => p.started(now))
    }
    /// See [`CallerPolicy::answer`].
    pub fn answer(&mut self, now: SimTime, outcome: Outcome) -> Outcome {
        dispatch!(self, p => p.answer(now, outcome))
    }
    /// See [`CallerPolicy::level`].
    pub fn level(&mut self, now: SimTime) -> Option<f64> {
        dispatch!(self, p => p.level(now))
    }
    /// See [`CallerPolicy::hooks`].
    pub fn hooks(&self) -> Hooks {
        dispatch!(self, p => p.hooks())
    }
}

/// A caller instance's policy stack on one edge.
#[derive(Clone, Debug)]
pub struct Stack {
    /// The layers, outermost first (without timeouts, which become `attempt_timeout` and the
    /// call's own timeout).
    pub layers: Vec<Layer>,
    /// Index of the retry (or hedging) layer: layers before it act once per call, after it
    /// per attempt. `layers.len()` when there is none.
    pub retry: usize,
    /// Whether that layer hedges (several attempts out at once) rather than retries.
    pub hedging: bool,
    /// Per-attempt timeout (a `Timeout` after the retry).
    pub attempt_timeout: Option<SimDuration>,
    /// Calls queued in each layer (`Verdict::Queue`): their invocations, with their generations.
    pub queues: Vec<std::collections::VecDeque<(InvocationId, u32)>>,
    /// Each layer's level as last reported.
    pub levels: Vec<f64>,
    /// The hooks each layer uses: the stack calls a layer only for these.
    pub hooks: Vec<Hooks>,
    /// For each hook, the layers that use it: what the stack walks.
    pub uses: HookLists,
    /// The stack's random stream (jitter, throttling draws).
    pub rng: SimRng,
}

impl Stack {
    /// The hedging layer of a hedging stack.
    pub fn hedge(&mut self) -> &mut Hedge {
        match &mut self.layers[self.retry] {
            Layer::Hedge(h) => h,
            _ => unreachable!("only a hedging stack is asked for its hedge"),
        }
    }
}

/// A stack's shape, compiled once per edge from the scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct StackSpec {
    /// The layers as written.
    pub specs: Vec<PolicySpec>,
    /// Overall timeout (a `Timeout` before the retry, or with none).
    pub call_timeout: Option<SimDuration>,
}

impl StackSpec {
    /// The stack of `specs` (a checked list).
    pub fn new(specs: &[PolicySpec]) -> StackSpec {
        let retry = specs
            .iter()
            .position(|s| matches!(s, PolicySpec::Retry(_) | PolicySpec::Hedge(_)));
        let call_timeout = specs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                PolicySpec::Timeout(d) if retry.is_none_or(|r| i < r) => Some(*d),
                _ => None,
            })
            .min();
        StackSpec {
            specs: specs.to_vec(),
            call_timeout,
        }
    }

    /// A fresh stack for one caller instance, drawing from `rng`.
    pub fn build(&self, registry: &PolicyRegistry, rng: SimRng) -> Result<Stack, String> {
        let mut layers = Vec::new();
        let mut retry = None;
        let mut attempt_timeout: Option<SimDuration> = None;
        for s in &self.specs {
            match s {
                PolicySpec::Timeout(d) => {
                    if retry.is_some() {
                        attempt_timeout = Some(attempt_timeout.map_or(*d, |t| t.min(*d)));
                    }
                }
                PolicySpec::Custom { name, params } => {
                    layers.push(Layer::Custom(
                        registry.build(name, params).map_err(|e| e.to_string())?,
                    ));
                }
                other => {
                    if matches!(other, PolicySpec::Retry(_) | PolicySpec::Hedge(_)) {
                        retry = Some(layers.len());
                    }
                    layers.push(Layer::of(other).expect("a built-in layer"));
                }
            }
        }
        let n = layers.len();
        let hooks: Vec<Hooks> = layers.iter().map(Layer::hooks).collect();
        Ok(Stack {
            hedging: retry.is_some_and(|r| matches!(layers[r], Layer::Hedge(_))),
            retry: retry.unwrap_or(n),
            attempt_timeout,
            queues: vec![Default::default(); n],
            levels: vec![0.0; n],
            uses: HookLists::new(&hooks),
            hooks,
            rng,
            layers,
        })
    }
}

/// One policy layer's level over time, summed over the instances that run it (callers of an
/// edge, or a service's instances): breaker state (0 closed, 1 half-open, 2 open), budget
/// tokens, calls in a bulkhead, a concurrency limit.
#[derive(Clone, Debug)]
pub struct PolicyLevel {
    /// The layer's name.
    pub layer: String,
    /// The sum now.
    pub level: f64,
    /// The sum over time, in thousandths.
    pub series: sim_core::LevelSeries,
    /// The sum's time-weighted mean over the measurement window, in thousandths.
    pub gauge: sim_core::Gauge,
    /// Whether the layer reports a level at all (a fallback does not).
    pub reported: bool,
}

impl PolicyLevel {
    /// Layer `layer`'s level, zero so far, in buckets of `bucket`.
    pub fn new(layer: &str, bucket: SimDuration) -> Self {
        PolicyLevel {
            layer: layer.to_string(),
            level: 0.0,
            series: sim_core::LevelSeries::new(bucket),
            gauge: sim_core::Gauge::new(),
            reported: false,
        }
    }

    /// Keeps no time series of the level from now on; its mean (the gauge) stays.
    pub fn disable_series(&mut self) {
        self.series = sim_core::LevelSeries::disabled();
    }

    /// One instance's level moved by `delta` at `now`.
    pub fn add(&mut self, now: SimTime, delta: f64) {
        self.reported = true;
        self.level += delta;
        if self.level.abs() < 1e-9 {
            self.level = 0.0; // rounding left by sums of fractional levels
        }
        let milli = (self.level * 1000.0).round().max(0.0) as u64;
        self.series.set(now, milli);
        self.gauge.set(now, milli);
    }
}
