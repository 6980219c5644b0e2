//! Planning: which library each layer of an edge goes to, and the edge's timeouts.

use super::document::{Draft, Library, Untranslated};
use crate::outcome::Outcome;
use crate::outlier_detection::OutlierSpec;
use crate::policy::circuit_breaker::BreakerSpec;
use crate::policy::concurrency_limit::LimitSpec;
use crate::policy::hedging::HedgeSpec;
use crate::policy::retry::Backoff;
use crate::policy::retry_budget::BudgetSpec;
use crate::policy::PolicySpec;
use sim_core::SimDuration;

/// One call edge's policies, as input to [`export_edges`](super::export_edges).
#[derive(Clone, Copy, Debug)]
pub struct CallEdge<'a> {
    /// The service called.
    pub target: &'a str,
    /// The call's own timeout (the client's `timeout` or the call step's), outside the stack.
    pub timeout: Option<SimDuration>,
    /// The policy stack, outermost first.
    pub policies: &'a [PolicySpec],
    /// The target service's outlier detection (Envoy), if it has one.
    pub outlier_detection: Option<&'a OutlierSpec>,
}

/// Where a layer is written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Dest {
    Lib(Library),
    Foreign(&'static str),
}

/// The library a layer's preset names; `None` for a layer that names none (it follows the
/// edge's home library).
pub(super) fn preset(spec: &PolicySpec) -> Option<Dest> {
    use Dest::{Foreign, Lib};
    Some(match spec {
        PolicySpec::Timeout(_) => return None,
        PolicySpec::Retry(r) => match r.backoff {
            Backoff::Resilience4j { .. } => Lib(Library::Resilience4j),
            Backoff::Grpc { .. } => Lib(Library::Grpc),
            Backoff::Envoy { .. } => Lib(Library::Envoy),
            Backoff::Immediate | Backoff::Constant(_) => return None,
            Backoff::AwsStandard { .. } => Foreign(
                "the AWS SDK's standard retry mode: set retry_mode = standard and max_attempts \
                 in the SDK's configuration",
            ),
            Backoff::Polly { .. } => Foreign("Polly's RetryStrategyOptions are set in .NET code"),
            Backoff::Exponential { .. } => Foreign(
                "Brooker's exponential backoff with jitter is computed by none of Resilience4j, \
                 gRPC and Envoy; write it in code",
            ),
            Backoff::Linear { .. } => {
                Foreign("a linear backoff is computed by none of Resilience4j, gRPC and Envoy")
            }
        },
        PolicySpec::RetryBudget(b) => match b {
            BudgetSpec::Grpc { .. } => Lib(Library::Grpc),
            BudgetSpec::Envoy { .. } => Lib(Library::Envoy),
            BudgetSpec::AwsStandard { .. } => {
                Foreign("the AWS SDK's retry quota is built into its standard retry mode")
            }
            BudgetSpec::Finagle { .. } => Foreign("Finagle's RetryBudget is set in Scala code"),
            BudgetSpec::Brooker { .. } => Foreign(
                "Brooker's adaptive retry token bucket has no setting in Resilience4j, gRPC or \
                 Envoy (gRPC's retryThrottling takes a token per failure, not per retry)",
            ),
            BudgetSpec::Sre { .. } => Foreign(
                "the SRE book's retry ratio has no setting in Resilience4j, gRPC or Envoy \
                 (Envoy's retry_budget limits retries in flight, not a ratio of requests)",
            ),
        },
        PolicySpec::CircuitBreaker(BreakerSpec::Resilience4j(_)) => Lib(Library::Resilience4j),
        PolicySpec::CircuitBreaker(BreakerSpec::Polly(_)) => {
            Foreign("Polly's CircuitBreakerStrategyOptions are set in .NET code")
        }
        PolicySpec::Bulkhead(_) | PolicySpec::RateLimiter(_) => Lib(Library::Resilience4j),
        PolicySpec::AdaptiveThrottle(_) => Foreign(
            "client-side adaptive throttling (Google SRE book) has no setting in Resilience4j, \
             gRPC or Envoy",
        ),
        PolicySpec::Fallback(_) => {
            Foreign("a fallback is code, not configuration (e.g. Resilience4j's fallbackMethod)")
        }
        PolicySpec::ConcurrencyLimit(LimitSpec::Fixed { .. }) => return None,
        PolicySpec::ConcurrencyLimit(_) => Foreign(
            "an adaptive concurrency limit is Netflix concurrency-limits code (a SimpleLimiter \
             with this limit)",
        ),
        PolicySpec::Hedge(HedgeSpec::Grpc { .. }) => Lib(Library::Grpc),
        PolicySpec::Hedge(HedgeSpec::Finagle { .. }) => {
            Foreign("Finagle's BackupRequestFilter is set in Scala code")
        }
        PolicySpec::Custom { .. } => Foreign("a custom policy: carry its logic over by hand"),
    })
}

/// One edge, planned.
pub(super) struct Plan<'a> {
    pub(super) target: &'a str,
    pub(super) home: Library,
    /// The call's own timeout.
    pub(super) edge_timeout: Option<SimDuration>,
    /// A `Timeout` before the retry (or with no retry): the whole call.
    pub(super) stack_timeout: Option<SimDuration>,
    /// A `Timeout` after the retry: each attempt.
    pub(super) attempt_timeout: Option<SimDuration>,
    /// Indices of the `Timeout` layers, and whether each limits an attempt.
    pub(super) timeouts: Vec<(usize, bool)>,
    /// Every layer but timeouts: index, spec, destination.
    pub(super) layers: Vec<(usize, &'a PolicySpec, Dest)>,
    pub(super) outlier: Option<&'a OutlierSpec>,
}

impl<'a> Plan<'a> {
    pub(super) fn new(edge: &CallEdge<'a>) -> Plan<'a> {
        let specs = edge.policies;
        let retry = specs
            .iter()
            .position(|s| matches!(s, PolicySpec::Retry(_) | PolicySpec::Hedge(_)));
        let named = |s: &PolicySpec| match preset(s) {
            Some(Dest::Lib(l)) => Some(l),
            _ => None,
        };
        let home = retry
            .and_then(|r| named(&specs[r]))
            .or_else(|| specs.iter().find_map(named))
            .unwrap_or(Library::Resilience4j);
        let (mut stack_timeout, mut attempt_timeout) = (None::<SimDuration>, None::<SimDuration>);
        let mut layers = Vec::new();
        let mut timeouts = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            if let PolicySpec::Timeout(d) = s {
                timeouts.push((i, retry.is_some_and(|r| i > r)));
                let slot = if retry.is_some_and(|r| i > r) {
                    &mut attempt_timeout
                } else {
                    &mut stack_timeout
                };
                *slot = Some(slot.map_or(*d, |t| t.min(*d)));
            } else {
                layers.push((i, s, preset(s).unwrap_or(Dest::Lib(home))));
            }
        }
        Plan {
            target: edge.target,
            home,
            edge_timeout: edge.timeout,
            stack_timeout,
            attempt_timeout,
            timeouts,
            layers,
            outlier: edge.outlier_detection,
        }
    }

    /// The timeout of the whole call: the shorter of the call's own and the stack's.
    pub(super) fn call_timeout(&self) -> Option<SimDuration> {
        match (self.edge_timeout, self.stack_timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(super) fn layers_for(
        &self,
        lib: Library,
    ) -> impl Iterator<Item = (usize, &'a PolicySpec)> + '_ {
        self.layers
            .iter()
            .filter(move |(_, _, d)| *d == Dest::Lib(lib))
            .map(|&(i, s, _)| (i, s))
    }

    pub(super) fn uses(&self, lib: Library) -> bool {
        self.layers_for(lib).next().is_some()
            || (self.home == lib
                && (self.stack_timeout.is_some() || self.attempt_timeout.is_some()))
            || (lib == Library::Envoy && self.outlier.is_some())
    }

    /// The document the edge's foreign layers are listed in.
    pub(super) fn home_document(&self, drafts: &[Draft]) -> Option<Library> {
        drafts
            .iter()
            .find(|d| {
                d.library == self.home && d.target.as_deref().is_none_or(|t| t == self.target)
            })
            .map(|d| d.library)
    }

    pub(super) fn note(
        &self,
        out: &mut Vec<Untranslated>,
        lib: Library,
        layer: Option<(usize, &PolicySpec)>,
        what: String,
        why: impl Into<String>,
    ) {
        out.push(Untranslated {
            target: self.target.to_string(),
            layer: layer.map_or("call".into(), |(i, s)| format!("{i} {}", s.kind())),
            what,
            why: why.into(),
            library: Some(lib),
        });
    }
}

pub(super) fn outcomes(list: &[Outcome]) -> String {
    let names: Vec<String> = list.iter().map(|o| format!("{o:?}")).collect();
    format!("[{}]", names.join(", "))
}
