//! Export a scenario's policies as the configuration of the library each one follows, so that a
//! value tuned in the simulator can be pasted into production unchanged.
//!
//! Three targets, each in its own format and with the library's exact names:
//!
//! | library | what is written | format |
//! |---|---|---|
//! | [`Library::Resilience4j`] | Spring Boot `application.yml`: `resilience4j.circuitbreaker`, `retry`, `bulkhead`, `thread-pool-bulkhead`, `ratelimiter`, `timelimiter` instances | YAML, durations `"1500ms"` |
//! | [`Library::Grpc`] | a service config per target (`methodConfig` with `timeout`, `retryPolicy` or `hedgingPolicy`; `retryThrottling`) | JSON, durations `"1.500s"` |
//! | [`Library::Envoy`] | v3 `clusters` (`circuit_breakers.thresholds` with `retry_budget`, `max_requests`; `outlier_detection`) and a `route_config` (`timeout`, `retry_policy`) | YAML, durations `"1.500s"` |
//!
//! **Which library.** A layer goes to the library its preset names: a `Retry` with a
//! `Resilience4j`, `Grpc` or `Envoy` backoff, a `RetryBudget(Grpc|Envoy)`, a
//! `CircuitBreaker(Resilience4j)`, `Bulkhead` and `RateLimiter` (Resilience4j's), a
//! `Hedge(Grpc)`, and a service's `outlier_detection` (Envoy's, written into the caller's cluster
//! for that service). Layers that name no library — `Timeout`, a `Retry` with an `Immediate` or
//! `Constant` backoff, a `Fixed` concurrency limit — go to the edge's *home* library: the one of its
//! retry or hedge, else of its first layer that names one, else Resilience4j.
//!
//! **Nothing is dropped silently.** A layer that follows another library (Polly, the AWS SDK,
//! Finagle, the SRE book, Netflix's adaptive limits, a fallback, a custom policy) or a parameter
//! the target cannot express becomes an [`Untranslated`] entry, listed in the [`Export`] and
//! written as a comment at the top of the YAML document of the edge's home library (a JSON
//! document lists them in [`Document::remarks`] instead, since JSON has no comments).
//! Differences that the target can express only approximately (a status-code mapping that
//! retries more than the simulated outcomes, library defaults the simulation did not model, the
//! decorator order) are remarks.
//!
//! **Outcomes as status codes.** gRPC `retryableStatusCodes` and `nonFatalStatusCodes`:
//! `Rejected`, `Shed` → `RESOURCE_EXHAUSTED`; `Unavailable`, `Crashed`, `Dependency` →
//! `UNAVAILABLE`; `Injected`, `Corrupted` → `INTERNAL`; `Timeout`, `Expired` →
//! `DEADLINE_EXCEEDED`. Envoy `retry_on`, the narrowest condition that covers the list:
//! `Injected`, `Dependency` (a 500) need `5xx`; `Rejected`, `Shed` (503), `Expired` and
//! `Timeout` (504, a per-try timeout included) need `gateway-error`; `Unavailable` alone is
//! `connect-failure` and `Crashed` alone `reset` (both covered by the other two). Refusals by the
//! caller's own layers (`CircuitOpen`, `BulkheadFull`, …) and `Corrupted` have no code in
//! either. When a code or condition retries more outcomes than the simulation did, a remark
//! says which.
//!
//! ```
//! use sim_models::export::{export_stack, Library};
//! use sim_models::policy::PolicySpec;
//! let policies: Vec<PolicySpec> = ron::from_str(
//!     "[Retry((max_attempts: Some(3), backoff: Resilience4j(initial: \"100ms\", multiplier: 2.0))),
//!       CircuitBreaker(Resilience4j((failure_rate_threshold: 25.0)))]",
//! )
//! .unwrap();
//! let export = export_stack("api", "db", &policies);
//! let yaml = &export.documents[0];
//! assert_eq!(yaml.library, Library::Resilience4j);
//! assert!(yaml.text.contains("        failureRateThreshold: 25\n"));
//! assert!(yaml.text.contains("        exponentialBackoffMultiplier: 2\n"));
//! assert!(export.untranslated.is_empty());
//! ```
//!
//! Everything here is a pure function of the scenario's data; the YAML is written by a small
//! emitter of its own, so the output is byte-for-byte deterministic.

use crate::outcome::Outcome;
use crate::outlier_detection::OutlierSpec;
use crate::policy::bulkhead::BulkheadSpec;
use crate::policy::circuit_breaker::{
    AfterHalfOpen, BreakerSpec, BreakerWindow, Resilience4jBreakerSpec,
};
use crate::policy::concurrency_limit::LimitSpec;
use crate::policy::hedging::HedgeSpec;
use crate::policy::rate_limiter::RateLimiterSpec;
use crate::policy::retry::{Backoff, RetrySpec};
use crate::policy::retry_budget::BudgetSpec;
use crate::policy::PolicySpec;
use crate::program::Step;
use crate::scenario::Scenario;
use sim_core::SimDuration;
use std::fmt::Write as _;

/// A production library that policies are exported to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Library {
    /// Resilience4j 2.x through its Spring Boot properties (YAML).
    Resilience4j,
    /// gRPC service config (gRFC A6), JSON.
    Grpc,
    /// Envoy v3 cluster and route configuration (YAML).
    Envoy,
}

impl Library {
    /// The library's name.
    pub fn name(self) -> &'static str {
        match self {
            Library::Resilience4j => "Resilience4j",
            Library::Grpc => "gRPC",
            Library::Envoy => "Envoy",
        }
    }

    /// Whether its document is JSON (otherwise YAML).
    pub fn is_json(self) -> bool {
        self == Library::Grpc
    }
}

/// One call edge's policies, as input to [`export_edges`].
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

/// Something that could not be written in the target's configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Untranslated {
    /// The service called on the edge.
    pub target: String,
    /// The layer: its index in the list and kind (`"1 retry"`), or `"call"` for the edge itself.
    pub layer: String,
    /// The parameter and its value (`"retry_on: [Timeout]"`), or the whole layer in RON.
    pub what: String,
    /// Why, and what to do instead.
    pub why: String,
    /// The document it is listed in as a comment, if any.
    pub library: Option<Library>,
}

impl std::fmt::Display for Untranslated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}] {}: {}",
            self.target, self.layer, self.what, self.why
        )
    }
}

/// One configuration document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The library it configures.
    pub library: Library,
    /// The service it is for when the library configures one channel per target (gRPC);
    /// `None` when it covers every edge of the caller.
    pub target: Option<String>,
    /// The text to paste: YAML with its remarks and untranslated entries as leading comments,
    /// or pure JSON.
    pub text: String,
    /// Remarks on the document (differences the target expresses only approximately, defaults
    /// of the library that the simulation did not model), one per entry.
    pub remarks: Vec<String>,
}

/// The configuration of one caller (a client or a service): a document per library used, and
/// what could not be expressed.
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    /// The caller's name in the scenario.
    pub caller: String,
    /// One document per library its edges use (gRPC: one per target), in the order
    /// Resilience4j, gRPC, Envoy.
    pub documents: Vec<Document>,
    /// Every layer or parameter that could not be written, in edge and layer order.
    pub untranslated: Vec<Untranslated>,
}

impl Export {
    /// Every document as one text: YAML as is; JSON preceded by its remarks and untranslated
    /// entries as `#` lines, so nothing is lost when it is printed; untranslated entries that
    /// belong to no document last.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.documents {
            let what = match &d.target {
                Some(t) => format!("{} for {} → {}", d.library.name(), self.caller, t),
                None => format!("{} for {}", d.library.name(), self.caller),
            };
            let _ = writeln!(out, "# ---- {what} ----");
            if d.library.is_json() {
                for r in &d.remarks {
                    comment_lines(&mut out, "", r);
                }
                for u in self.untranslated.iter().filter(|u| {
                    u.library == Some(d.library) && d.target.as_deref() == Some(u.target.as_str())
                }) {
                    comment_lines(&mut out, "", &format!("not expressed: {u}"));
                }
            }
            out.push_str(&d.text);
            if !d.text.ends_with('\n') {
                out.push('\n');
            }
        }
        let orphans: Vec<_> = self
            .untranslated
            .iter()
            .filter(|u| u.library.is_none())
            .collect();
        if !orphans.is_empty() {
            let _ = writeln!(
                out,
                "# ---- not expressed in any library, {} ----",
                self.caller
            );
            for u in orphans {
                comment_lines(&mut out, "", &u.to_string());
            }
        }
        out
    }
}

/// Exports the policies of every edge of a scenario that has any (or whose target has outlier
/// detection): one [`Export`] per caller, clients first, then services, each in name order.
/// Call sites of one service to the same target share one client library; the first site that
/// declares policies gives the list and its timeout.
pub fn export_scenario(scenario: &Scenario) -> Vec<Export> {
    let outlier = |t: &str| {
        scenario
            .services
            .get(t)
            .and_then(|s| s.outlier_detection.as_ref())
    };
    let mut out = Vec::new();
    for (name, client) in &scenario.clients {
        let edge = CallEdge {
            target: client.target(),
            timeout: client.timeout(),
            policies: client.policies(),
            outlier_detection: outlier(client.target()),
        };
        if !edge.policies.is_empty() || edge.outlier_detection.is_some() {
            out.push(export_edges(name, &[edge]));
        }
    }
    for (name, service) in &scenario.services {
        let mut sites = Vec::new();
        call_sites(&service.steps, &mut sites);
        let mut edges: Vec<CallEdge> = Vec::new();
        let mut notes = Vec::new();
        for (target, timeout, policies) in sites {
            match edges.iter_mut().find(|e| e.target == target) {
                Some(e) => {
                    if e.policies.is_empty() && !policies.is_empty() {
                        e.policies = policies;
                        e.timeout = timeout;
                    } else if e.timeout != timeout && !policies.is_empty() {
                        notes.push(Untranslated {
                            target: target.to_string(),
                            layer: "call".into(),
                            what: format!("timeout: {}", show_timeout(timeout)),
                            why: format!(
                                "another call site to {target} has timeout {}; one library \
                                 setting serves both, the first site's was written",
                                show_timeout(e.timeout)
                            ),
                            library: None,
                        });
                    }
                }
                None => edges.push(CallEdge {
                    target,
                    timeout,
                    policies,
                    outlier_detection: outlier(target),
                }),
            }
        }
        edges.retain(|e| !e.policies.is_empty() || e.outlier_detection.is_some());
        if !edges.is_empty() {
            let mut export = export_edges(name, &edges);
            export.untranslated.extend(notes);
            out.push(export);
        }
    }
    out
}

fn show_timeout(t: Option<SimDuration>) -> String {
    t.map_or("none".into(), |d| d.to_string())
}

/// Every synchronous call site of `steps`: target, timeout, policies.
fn call_sites<'a>(
    steps: &'a [Step],
    out: &mut Vec<(&'a str, Option<SimDuration>, &'a [PolicySpec])>,
) {
    for step in steps {
        match step {
            Step::Call {
                to,
                timeout,
                policies,
                ..
            } => out.push((to, *timeout, policies)),
            Step::FanOut { calls, .. } => {
                for c in calls {
                    out.push((&c.to, c.timeout, &c.policies));
                }
            }
            Step::Branch(paths) => {
                for p in paths {
                    call_sites(&p.steps, out);
                }
            }
            Step::Work(_) | Step::Publish { .. } => {}
        }
    }
}

/// Exports one policy stack of `caller`'s calls to `target` (no call timeout, no outlier
/// detection).
pub fn export_stack(caller: &str, target: &str, policies: &[PolicySpec]) -> Export {
    export_edges(
        caller,
        &[CallEdge {
            target,
            timeout: None,
            policies,
            outlier_detection: None,
        }],
    )
}

/// Exports the edges of one caller: the configuration its process (or its sidecar) needs.
pub fn export_edges(caller: &str, edges: &[CallEdge]) -> Export {
    let plans: Vec<Plan> = edges.iter().map(Plan::new).collect();
    let mut untranslated = Vec::new();
    let mut documents = Vec::new();
    if let Some(d) = resilience4j(caller, &plans, &mut untranslated) {
        documents.push(d);
    }
    for p in &plans {
        if let Some(d) = grpc(p, &mut untranslated) {
            documents.push(d);
        }
    }
    if let Some(d) = envoy(caller, &plans, &mut untranslated) {
        documents.push(d);
    }
    // Layers of no library, listed in their edge's home document.
    for p in &plans {
        for &(i, spec, dest) in &p.layers {
            if let Dest::Foreign(why) = dest {
                untranslated.push(Untranslated {
                    target: p.target.to_string(),
                    layer: format!("{i} {}", spec.kind()),
                    what: ron::to_string(spec).unwrap_or_else(|_| spec.kind().to_string()),
                    why: why.to_string(),
                    library: p.home_document(&documents),
                });
            }
        }
    }
    // Put each document's untranslated entries at its top, as comments (YAML only).
    for d in &mut documents {
        if d.library.is_json() {
            continue;
        }
        let mut head = String::new();
        let mine: Vec<&Untranslated> = untranslated
            .iter()
            .filter(|u| u.library == Some(d.library))
            .collect();
        if !mine.is_empty() {
            head.push_str("# Not expressed here (set by hand, or keep in code):\n");
            for u in mine {
                comment_lines(&mut head, "", &format!("- {u}"));
            }
        }
        d.text.insert_str(header_len(&d.text), &head);
    }
    // Stable order: edge, then layer, as listed.
    untranslated.sort_by_key(|u| {
        (
            edges.iter().position(|e| e.target == u.target),
            u.layer
                .split(' ')
                .next()
                .and_then(|n| n.parse::<usize>().ok()),
        )
    });
    Export {
        caller: caller.to_string(),
        documents,
        untranslated,
    }
}

/// Length of a YAML document's header (its leading comment lines up to the remarks).
fn header_len(text: &str) -> usize {
    // The first line is the title; remarks follow it. Untranslated entries go after both.
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if !line.starts_with('#') {
            break;
        }
        at += line.len();
    }
    at
}

fn comment_lines(out: &mut String, pad: &str, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "{pad}# {line}");
    }
}

// ---------------------------------------------------------------------------------------------
// Planning: where each layer goes.

/// Where a layer is written.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Dest {
    Lib(Library),
    Foreign(&'static str),
}

/// The library a layer's preset names; `None` for a layer that names none (it follows the
/// edge's home library).
fn preset(spec: &PolicySpec) -> Option<Dest> {
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
struct Plan<'a> {
    target: &'a str,
    home: Library,
    /// The call's own timeout.
    edge_timeout: Option<SimDuration>,
    /// A `Timeout` before the retry (or with no retry): the whole call.
    stack_timeout: Option<SimDuration>,
    /// A `Timeout` after the retry: each attempt.
    attempt_timeout: Option<SimDuration>,
    /// Indices of the `Timeout` layers, and whether each limits an attempt.
    timeouts: Vec<(usize, bool)>,
    /// Every layer but timeouts: index, spec, destination.
    layers: Vec<(usize, &'a PolicySpec, Dest)>,
    outlier: Option<&'a OutlierSpec>,
}

impl<'a> Plan<'a> {
    fn new(edge: &CallEdge<'a>) -> Plan<'a> {
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
    fn call_timeout(&self) -> Option<SimDuration> {
        match (self.edge_timeout, self.stack_timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn layers_for(&self, lib: Library) -> impl Iterator<Item = (usize, &'a PolicySpec)> + '_ {
        self.layers
            .iter()
            .filter(move |(_, _, d)| *d == Dest::Lib(lib))
            .map(|&(i, s, _)| (i, s))
    }

    fn uses(&self, lib: Library) -> bool {
        self.layers_for(lib).next().is_some()
            || (self.home == lib
                && (self.stack_timeout.is_some() || self.attempt_timeout.is_some()))
            || (lib == Library::Envoy && self.outlier.is_some())
    }

    /// The document the edge's foreign layers are listed in.
    fn home_document(&self, documents: &[Document]) -> Option<Library> {
        documents
            .iter()
            .find(|d| {
                d.library == self.home && d.target.as_deref().is_none_or(|t| t == self.target)
            })
            .map(|d| d.library)
    }

    fn note(
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

// ---------------------------------------------------------------------------------------------
// Durations

/// A duration as Spring Boot reads it (`DurationStyle.SIMPLE`: an integer and a unit): the
/// largest of `s`, `ms`, `us`, `ns` that divides it, e.g. 1.5 s → `"1500ms"`.
pub fn spring_duration(d: SimDuration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0ms".into();
    }
    for (unit, per) in [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] {
        if ns.is_multiple_of(per) {
            return format!("{}{unit}", ns / per);
        }
    }
    format!("{ns}ns")
}

/// A duration in protobuf's JSON form (gRPC service config, Envoy YAML): seconds with 0, 3, 6
/// or 9 fractional digits, e.g. 1.5 s → `"1.500s"`, 100 ms → `"0.100s"`, 2 s → `"2s"`.
pub fn proto_duration(d: SimDuration) -> String {
    let ns = d.as_nanos();
    let (s, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    if frac == 0 {
        format!("{s}s")
    } else if frac.is_multiple_of(1_000_000) {
        format!("{s}.{:03}s", frac / 1_000_000)
    } else if frac.is_multiple_of(1_000) {
        format!("{s}.{:06}s", frac / 1_000)
    } else {
        format!("{s}.{frac:09}s")
    }
}

// ---------------------------------------------------------------------------------------------
// A small YAML emitter: block maps and sequences, plain or double-quoted scalars, comments.

#[derive(Clone, Debug)]
enum Node {
    Scalar(String),
    Map(Map),
    Seq(Vec<Node>),
}

#[derive(Clone, Debug)]
enum Item {
    Pair(String, Node, Option<String>),
    Comment(String),
}

impl Node {
    fn str(s: &str) -> Node {
        Node::Scalar(yaml_string(s))
    }
    fn num(v: f64) -> Node {
        Node::Scalar(format!("{v}"))
    }
    fn int(v: impl Into<u64>) -> Node {
        Node::Scalar(v.into().to_string())
    }
    fn bool(v: bool) -> Node {
        Node::Scalar(v.to_string())
    }
    fn dur(d: SimDuration, lib: Library) -> Node {
        match lib {
            Library::Resilience4j => Node::Scalar(spring_duration(d)),
            Library::Grpc | Library::Envoy => Node::Scalar(proto_duration(d)),
        }
    }
}

/// A block map, keys in insertion order.
#[derive(Clone, Debug, Default)]
struct Map(Vec<Item>);

impl Map {
    fn put(&mut self, key: &str, value: Node) -> &mut Self {
        self.0.push(Item::Pair(key.into(), value, None));
        self
    }
    fn put_noted(&mut self, key: &str, value: Node, comment: impl Into<String>) -> &mut Self {
        self.0
            .push(Item::Pair(key.into(), value, Some(comment.into())));
        self
    }
    fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.0.push(Item::Comment(text.into()));
        self
    }
    /// The map under `key`, created at the end if absent.
    fn child(&mut self, key: &str) -> &mut Map {
        let at = match self
            .0
            .iter()
            .position(|i| matches!(i, Item::Pair(k, Node::Map(_), _) if k == key))
        {
            Some(at) => at,
            None => {
                self.0
                    .push(Item::Pair(key.into(), Node::Map(Map::default()), None));
                self.0.len() - 1
            }
        };
        match &mut self.0[at] {
            Item::Pair(_, Node::Map(m), _) => m,
            _ => unreachable!("found or inserted a map"),
        }
    }
    fn has(&self, key: &str) -> bool {
        self.0
            .iter()
            .any(|i| matches!(i, Item::Pair(k, _, _) if k == key))
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn to_yaml(&self) -> String {
        let mut out = String::new();
        emit(&self.0, 0, &mut out);
        out
    }
}

fn yaml_string(s: &str) -> String {
    let special = [
        "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n",
    ];
    let plain = !s.is_empty()
        && !s.starts_with(|c: char| !(c.is_ascii_alphanumeric() || "/._".contains(c)))
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./,+".contains(c))
        && !special.contains(&s.to_ascii_lowercase().as_str())
        && s.parse::<f64>().is_err();
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("a string serialises")
    }
}

fn emit(items: &[Item], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Item::Comment(t) => comment_lines(out, &pad, t),
            Item::Pair(key, value, comment) => {
                let c = comment
                    .as_ref()
                    .map(|c| format!("  # {c}"))
                    .unwrap_or_default();
                match value {
                    Node::Scalar(s) => {
                        let _ = writeln!(out, "{pad}{key}: {s}{c}");
                    }
                    Node::Map(m) if m.is_empty() => {
                        let _ = writeln!(out, "{pad}{key}: {{}}{c}");
                    }
                    Node::Seq(v) if v.is_empty() => {
                        let _ = writeln!(out, "{pad}{key}: []{c}");
                    }
                    Node::Map(m) => {
                        let _ = writeln!(out, "{pad}{key}:{c}");
                        emit(&m.0, indent + 2, out);
                    }
                    Node::Seq(v) => {
                        let _ = writeln!(out, "{pad}{key}:{c}");
                        emit_seq(v, indent, out);
                    }
                }
            }
        }
    }
}

fn emit_seq(nodes: &[Node], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for n in nodes {
        match n {
            Node::Scalar(s) => {
                let _ = writeln!(out, "{pad}- {s}");
            }
            Node::Map(m) => {
                let mut inner = String::new();
                emit(&m.0, indent + 2, &mut inner);
                // The first line of the item's map goes on the dash.
                let _ = write!(out, "{pad}- {}", &inner[indent + 2..]);
            }
            Node::Seq(inner) => {
                let _ = writeln!(out, "{pad}-");
                emit_seq(inner, indent + 2, out);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Resilience4j

/// Spring Boot's default decorator order, outermost first:
/// `Retry(CircuitBreaker(RateLimiter(TimeLimiter(Bulkhead(call)))))`.
const R4J_ORDER: [&str; 5] = [
    "retry",
    "circuitbreaker",
    "ratelimiter",
    "timelimiter",
    "bulkhead",
];

fn r4j_aspect(module: &str) -> &str {
    match module {
        "thread-pool-bulkhead" => "bulkhead",
        m => m,
    }
}

fn resilience4j(caller: &str, plans: &[Plan], un: &mut Vec<Untranslated>) -> Option<Document> {
    let lib = Library::Resilience4j;
    let mut root = Map::default();
    let mut remarks = Vec::new();
    for p in plans.iter().filter(|p| p.uses(lib)) {
        // (stack index, module) of every instance written for this edge, for the order check.
        let mut order: Vec<(usize, &'static str)> = Vec::new();
        let mut instance = |root: &mut Map, module: &'static str, at: usize| -> String {
            let instances = root.child("resilience4j").child(module).child("instances");
            let mut name = p.target.to_string();
            let mut n = 1;
            while instances.has(&name) {
                n += 1;
                name = format!("{}-{n}", p.target);
            }
            order.push((at, module));
            name
        };
        for (i, spec) in p.layers_for(lib) {
            let layer = Some((i, spec));
            match spec {
                PolicySpec::CircuitBreaker(BreakerSpec::Resilience4j(b)) => {
                    let name = instance(&mut root, "circuitbreaker", i);
                    let m = r4j_module(&mut root, "circuitbreaker").child(&name);
                    r4j_breaker(m, b, p, layer, un);
                }
                PolicySpec::Retry(r) => {
                    let name = instance(&mut root, "retry", i);
                    let m = r4j_module(&mut root, "retry").child(&name);
                    r4j_retry(m, r, p, layer, un);
                }
                PolicySpec::Bulkhead(BulkheadSpec::Semaphore {
                    max_concurrent,
                    max_wait,
                }) => {
                    let name = instance(&mut root, "bulkhead", i);
                    r4j_module(&mut root, "bulkhead")
                        .child(&name)
                        .put("maxConcurrentCalls", Node::int(*max_concurrent))
                        .put("maxWaitDuration", Node::dur(*max_wait, lib));
                }
                PolicySpec::Bulkhead(BulkheadSpec::ThreadPool {
                    core_threads,
                    max_threads,
                    queue_capacity,
                }) => {
                    let name = instance(&mut root, "thread-pool-bulkhead", i);
                    r4j_module(&mut root, "thread-pool-bulkhead")
                        .child(&name)
                        .put("coreThreadPoolSize", Node::int(*core_threads))
                        .put("maxThreadPoolSize", Node::int(*max_threads))
                        .put("queueCapacity", Node::int(*queue_capacity));
                }
                PolicySpec::RateLimiter(RateLimiterSpec {
                    limit_for_period,
                    refresh_period,
                    timeout,
                }) => {
                    let name = instance(&mut root, "ratelimiter", i);
                    r4j_module(&mut root, "ratelimiter")
                        .child(&name)
                        .put("limitForPeriod", Node::int(*limit_for_period))
                        .put("limitRefreshPeriod", Node::dur(*refresh_period, lib))
                        .put("timeoutDuration", Node::dur(*timeout, lib));
                }
                PolicySpec::ConcurrencyLimit(LimitSpec::Fixed { limit }) => {
                    let name = instance(&mut root, "bulkhead", i);
                    r4j_module(&mut root, "bulkhead")
                        .child(&name)
                        .comment(format!("ConcurrencyLimit(Fixed(limit: {limit})): a semaphore that refuses at once"))
                        .put("maxConcurrentCalls", Node::int(*limit))
                        .put("maxWaitDuration", Node::dur(SimDuration::ZERO, lib));
                }
                other => p.note(
                    un,
                    lib,
                    layer,
                    ron::to_string(other).unwrap_or_else(|_| other.kind().into()),
                    "no Resilience4j equivalent",
                ),
            }
        }
        if p.home == lib {
            // One TimeLimiter per name: the per-attempt limit if there is one, else the
            // whole call's.
            let per_attempt = p.attempt_timeout.is_some();
            let chosen = if per_attempt {
                p.attempt_timeout
            } else {
                p.stack_timeout
            };
            if let Some(t) = chosen {
                let at = p
                    .timeouts
                    .iter()
                    .find(|(_, a)| *a == per_attempt)
                    .map_or(0, |(i, _)| *i);
                let name = instance(&mut root, "timelimiter", at);
                r4j_module(&mut root, "timelimiter")
                    .child(&name)
                    .put("timeoutDuration", Node::dur(t, lib));
            }
            if let (true, Some(t)) = (per_attempt, p.stack_timeout) {
                p.note(
                    un,
                    lib,
                    None,
                    format!("Timeout(\"{t}\") around the Retry (the whole call)"),
                    "the TimeLimiter above limits each attempt; a second limit around the retries \
                     needs its own TimeLimiter instance with a lower timeLimiterAspectOrder than \
                     retryAspectOrder",
                );
            }
        }
        if let Some(t) = p.edge_timeout {
            remarks.push(format!(
                "calls to {}: the call's own timeout of {t} is your HTTP or RPC client's \
                 timeout, not a Resilience4j setting",
                p.target
            ));
        }
        // The order of the decorators: Spring Boot nests them in a fixed order.
        let mut sorted = order.clone();
        sorted.sort_by_key(|(i, _)| *i);
        let in_stack: Vec<&str> = sorted.iter().map(|(_, m)| r4j_aspect(m)).collect();
        let rank = |m: &str| R4J_ORDER.iter().position(|x| *x == m).unwrap_or(0);
        if in_stack.windows(2).any(|w| rank(w[0]) > rank(w[1])) {
            remarks.push(format!(
                "calls to {}: the simulated order, outermost first, is {}; Spring Boot nests \
                 Retry(CircuitBreaker(RateLimiter(TimeLimiter(Bulkhead(call))))) unless \
                 retryAspectOrder, circuitBreakerAspectOrder, rateLimiterAspectOrder, \
                 timeLimiterAspectOrder and bulkheadAspectOrder say otherwise (the lower value \
                 runs outside): set them to match",
                p.target,
                in_stack.join(" → ")
            ));
        }
    }
    if root.is_empty() {
        return None;
    }
    let mut text = format!(
        "# Resilience4j 2.x, Spring Boot application.yml: the calls of {caller} (exported by \
         Faultline)\n"
    );
    for r in &remarks {
        comment_lines(&mut text, "", r);
    }
    text.push_str(&root.to_yaml());
    Some(Document {
        library: lib,
        target: None,
        text,
        remarks,
    })
}

fn r4j_module<'m>(root: &'m mut Map, module: &str) -> &'m mut Map {
    root.child("resilience4j").child(module).child("instances")
}

fn r4j_breaker(
    m: &mut Map,
    b: &Resilience4jBreakerSpec,
    p: &Plan,
    layer: Option<(usize, &PolicySpec)>,
    un: &mut Vec<Untranslated>,
) {
    let lib = Library::Resilience4j;
    let (kind, size) = match b.window {
        BreakerWindow::Count(n) => ("COUNT_BASED", n),
        BreakerWindow::Time(n) => ("TIME_BASED", n),
    };
    m.put("slidingWindowType", Node::str(kind))
        .put("slidingWindowSize", Node::int(size))
        .put("minimumNumberOfCalls", Node::int(b.minimum_calls))
        .put("failureRateThreshold", Node::num(b.failure_rate_threshold))
        .put(
            "slowCallRateThreshold",
            Node::num(b.slow_call_rate_threshold),
        )
        .put(
            "slowCallDurationThreshold",
            Node::dur(b.slow_call_duration, lib),
        )
        .put("waitDurationInOpenState", Node::dur(b.wait_in_open, lib));
    if b.wait_multiplier != 1.0 {
        m.put("enableExponentialBackoff", Node::bool(true))
            .put("exponentialBackoffMultiplier", Node::num(b.wait_multiplier));
        if let Some(max) = b.max_wait_in_open {
            m.put("exponentialMaxWaitDurationInOpenState", Node::dur(max, lib));
        }
    }
    m.put(
        "permittedNumberOfCallsInHalfOpenState",
        Node::int(b.permitted_in_half_open),
    )
    .put(
        "automaticTransitionFromOpenToHalfOpenEnabled",
        Node::bool(b.automatic_transition),
    )
    .put(
        "maxWaitDurationInHalfOpenState",
        Node::dur(b.max_wait_in_half_open, lib),
    );
    if b.after_half_open_wait == AfterHalfOpen::Closed && b.max_wait_in_half_open.as_nanos() > 0 {
        p.note(
            un,
            lib,
            layer,
            "after_half_open_wait: Closed".into(),
            "transitionToStateAfterWaitDuration(CLOSED) has no Spring Boot property in the \
             versions checked: set it in a CircuitBreakerConfigCustomizer",
        );
    }
    if let Some(list) = &b.record {
        p.note(
            un,
            lib,
            layer,
            format!("record: {}", outcomes(list)),
            "recordExceptions takes your exception classes: list the ones these outcomes raise",
        );
    }
}

fn r4j_retry(
    m: &mut Map,
    r: &RetrySpec,
    p: &Plan,
    layer: Option<(usize, &PolicySpec)>,
    un: &mut Vec<Untranslated>,
) {
    let lib = Library::Resilience4j;
    m.put("maxAttempts", Node::int(r.attempts()));
    match &r.backoff {
        Backoff::Immediate => {
            m.put("waitDuration", Node::dur(SimDuration::ZERO, lib));
        }
        Backoff::Constant(d) => {
            m.put("waitDuration", Node::dur(*d, lib));
        }
        Backoff::Resilience4j {
            initial,
            multiplier,
            randomization,
            max,
        } => {
            let randomized = *randomization > 0.0;
            // A cap needs the exponential function (a multiplier of 1 keeps it constant);
            // without jitter a capped constant wait is just the smaller of the two.
            let exponential = *multiplier != 1.0 || (max.is_some() && randomized);
            let wait = match max {
                Some(cap) if !exponential => (*initial).min(*cap),
                _ => *initial,
            };
            m.put("waitDuration", Node::dur(wait, lib));
            if exponential {
                m.put("enableExponentialBackoff", Node::bool(true))
                    .put("exponentialBackoffMultiplier", Node::num(*multiplier));
                if let Some(cap) = max {
                    m.put("exponentialMaxWaitDuration", Node::dur(*cap, lib));
                }
            }
            if randomized {
                m.put("enableRandomizedWait", Node::bool(true))
                    .put("randomizedWaitFactor", Node::num(*randomization));
            }
        }
        other => p.note(
            un,
            lib,
            layer,
            format!("backoff: {}", ron::to_string(other).unwrap_or_default()),
            "no Resilience4j IntervalFunction computes it",
        ),
    }
    if let Some(list) = &r.retry_on {
        p.note(
            un,
            lib,
            layer,
            format!("retry_on: {}", outcomes(list)),
            "retryExceptions takes your exception classes: list the ones these outcomes raise",
        );
    }
}

fn outcomes(list: &[Outcome]) -> String {
    let names: Vec<String> = list.iter().map(|o| format!("{o:?}")).collect();
    format!("[{}]", names.join(", "))
}

// ---------------------------------------------------------------------------------------------
// gRPC

/// The gRPC status code an outcome arrives with, if it has one.
fn grpc_code(o: Outcome) -> Option<&'static str> {
    Some(match o {
        Outcome::Rejected | Outcome::Shed => "RESOURCE_EXHAUSTED",
        Outcome::Unavailable | Outcome::Crashed | Outcome::Dependency => "UNAVAILABLE",
        Outcome::Injected | Outcome::Corrupted => "INTERNAL",
        Outcome::Timeout | Outcome::Expired => "DEADLINE_EXCEEDED",
        _ => return None,
    })
}

/// Status codes in their numeric order (4, 8, 13, 14).
const GRPC_CODES: [&str; 4] = [
    "DEADLINE_EXCEEDED",
    "RESOURCE_EXHAUSTED",
    "INTERNAL",
    "UNAVAILABLE",
];

/// The codes of `list` (`None`: every error), noting outcomes without a code (when listed
/// explicitly) and codes that cover outcomes the simulation did not include.
fn grpc_codes(
    list: Option<&[Outcome]>,
    field: &str,
    p: &Plan,
    layer: Option<(usize, &PolicySpec)>,
    un: &mut Vec<Untranslated>,
    remarks: &mut Vec<String>,
) -> Vec<&'static str> {
    let chosen: Vec<Outcome> = list.map_or(Outcome::ERRORS.to_vec(), <[Outcome]>::to_vec);
    let mut codes: Vec<&'static str> = chosen.iter().filter_map(|o| grpc_code(*o)).collect();
    codes.sort_by_key(|c| GRPC_CODES.iter().position(|x| x == c));
    codes.dedup();
    if let Some(list) = list {
        let none: Vec<Outcome> = list
            .iter()
            .copied()
            .filter(|o| grpc_code(*o).is_none())
            .collect();
        if !none.is_empty() {
            p.note(
                un,
                Library::Grpc,
                layer,
                format!("{field}: {}", outcomes(&none)),
                "refusals by the caller's own layers reach no server and have no status code",
            );
        }
        for c in &codes {
            let extra: Vec<Outcome> = Outcome::ERRORS
                .iter()
                .copied()
                .filter(|o| grpc_code(*o) == Some(c) && !list.contains(o))
                .collect();
            if !extra.is_empty() {
                remarks.push(format!(
                    "calls to {}: {c} in {field} also covers {}, which the simulation did not \
                     include",
                    p.target,
                    outcomes(&extra)
                ));
            }
        }
    }
    codes
}

fn grpc(p: &Plan, un: &mut Vec<Untranslated>) -> Option<Document> {
    use serde_json::{json, Map as JMap, Value};
    let lib = Library::Grpc;
    if !p.uses(lib) {
        return None;
    }
    let mut remarks = vec![format!(
        "\"service\": \"{}\" is the scenario's name: write the fully-qualified gRPC service \
         name (package.Service)",
        p.target
    )];
    let mut method = JMap::new();
    method.insert("name".into(), json!([{ "service": p.target }]));
    let home = p.home == lib;
    let call_timeout = if home {
        p.call_timeout()
    } else {
        p.edge_timeout
    };
    if let Some(t) = call_timeout {
        method.insert("timeout".into(), json!(proto_duration(t)));
    }
    let mut config = JMap::new();
    let mut retry_policy = false;
    for (i, spec) in p.layers_for(lib) {
        let layer = Some((i, spec));
        match spec {
            PolicySpec::Retry(
                r @ RetrySpec {
                    backoff:
                        Backoff::Grpc {
                            initial,
                            max,
                            multiplier,
                            legacy_full_jitter,
                        },
                    ..
                },
            ) => {
                let attempts = r.attempts();
                if attempts < 2 {
                    p.note(
                        un,
                        lib,
                        layer,
                        format!("max_attempts: {attempts}"),
                        "gRPC's retryPolicy needs maxAttempts of 2 or more; one attempt is no retry",
                    );
                    continue;
                }
                if attempts > 5 {
                    p.note(
                        un,
                        lib,
                        layer,
                        format!("max_attempts: {attempts}"),
                        "gRPC clamps maxAttempts to 5: written as 5, so production makes fewer \
                         attempts than the simulation",
                    );
                }
                if *legacy_full_jitter {
                    remarks.push(format!(
                        "calls to {}: the simulation used the full jitter of older grpc-go \
                         releases; current gRPC draws each backoff from ±20% of the value",
                        p.target
                    ));
                }
                let codes = grpc_codes(
                    r.retry_on.as_deref(),
                    "retryableStatusCodes",
                    p,
                    layer,
                    un,
                    &mut remarks,
                );
                let mut policy = JMap::new();
                policy.insert("maxAttempts".into(), json!(attempts.min(5)));
                policy.insert("initialBackoff".into(), json!(proto_duration(*initial)));
                policy.insert("maxBackoff".into(), json!(proto_duration(*max)));
                policy.insert("backoffMultiplier".into(), json!(multiplier));
                policy.insert("retryableStatusCodes".into(), json!(codes));
                if let (true, Some(t)) = (home, p.attempt_timeout) {
                    policy.insert("perAttemptRecvTimeout".into(), json!(proto_duration(t)));
                    remarks.push(format!(
                        "calls to {}: perAttemptRecvTimeout is honoured by gRPC implementations \
                         that support it (e.g. C-core); check yours",
                        p.target
                    ));
                }
                method.insert("retryPolicy".into(), Value::Object(policy));
                retry_policy = true;
            }
            PolicySpec::Hedge(HedgeSpec::Grpc {
                max_attempts,
                hedging_delay,
                non_fatal,
            }) => {
                let mut policy = JMap::new();
                policy.insert("maxAttempts".into(), json!(max_attempts));
                policy.insert("hedgingDelay".into(), json!(proto_duration(*hedging_delay)));
                if !non_fatal.is_empty() {
                    let codes = grpc_codes(
                        Some(non_fatal),
                        "nonFatalStatusCodes",
                        p,
                        layer,
                        un,
                        &mut remarks,
                    );
                    policy.insert("nonFatalStatusCodes".into(), json!(codes));
                }
                method.insert("hedgingPolicy".into(), Value::Object(policy));
            }
            PolicySpec::RetryBudget(BudgetSpec::Grpc {
                max_tokens,
                token_ratio,
            }) => {
                let milli = |v: f64| (v * 1000.0).round() / 1000.0;
                for (name, v) in [("max_tokens", *max_tokens), ("token_ratio", *token_ratio)] {
                    if (milli(v) - v).abs() > 1e-12 {
                        p.note(
                            un,
                            lib,
                            layer,
                            format!("{name}: {v}"),
                            "gRPC keeps 3 decimal places: written rounded",
                        );
                    }
                }
                config.insert(
                    "retryThrottling".into(),
                    json!({ "maxTokens": milli(*max_tokens), "tokenRatio": milli(*token_ratio) }),
                );
            }
            other => p.note(
                un,
                lib,
                layer,
                ron::to_string(other).unwrap_or_else(|_| other.kind().into()),
                match other {
                    PolicySpec::Retry(_) => {
                        "gRPC's backoff is always exponential with ±20% jitter: use a Grpc backoff"
                    }
                    _ => "no gRPC service-config equivalent",
                },
            ),
        }
    }
    if home && p.attempt_timeout.is_some() && !retry_policy {
        p.note(
            un,
            lib,
            None,
            format!(
                "Timeout(\"{}\") after the retry (each attempt)",
                p.attempt_timeout.unwrap_or_default()
            ),
            "gRPC limits each attempt only within a retryPolicy (perAttemptRecvTimeout)",
        );
    }
    if config.contains_key("retryThrottling")
        && !method.contains_key("retryPolicy")
        && !method.contains_key("hedgingPolicy")
    {
        remarks.push(format!(
            "calls to {}: retryThrottling throttles only gRPC's own retries and hedges",
            p.target
        ));
    }
    config.insert("methodConfig".into(), json!([Value::Object(method)]));
    let text =
        serde_json::to_string_pretty(&Value::Object(config)).expect("JSON serialises") + "\n";
    Some(Document {
        library: lib,
        target: Some(p.target.to_string()),
        text,
        remarks,
    })
}

// ---------------------------------------------------------------------------------------------
// Envoy

/// What Envoy sees of an outcome: `500` (a plain server error), `gateway` (a 502, 503 or 504,
/// a per-try timeout included), `connect-failure` or `reset`; `None` for what it cannot see.
fn envoy_kind(o: Outcome) -> Option<&'static str> {
    Some(match o {
        Outcome::Injected | Outcome::Dependency => "500",
        Outcome::Rejected | Outcome::Shed | Outcome::Expired | Outcome::Timeout => "gateway",
        Outcome::Unavailable => "connect-failure",
        Outcome::Crashed => "reset",
        _ => return None,
    })
}

/// Whether Envoy's `retry_on` condition `cond` retries what `kind` describes: `5xx` covers
/// everything, `gateway-error` everything but a plain 500 (Envoy counts a reset or a connect
/// failure as a 5xx for both).
fn envoy_covers(cond: &str, kind: &str) -> bool {
    match cond {
        "5xx" => true,
        "gateway-error" => kind != "500",
        c => c == kind,
    }
}

/// Envoy's narrowest `retry_on` for `list` (`None`: every error): `5xx` if a plain server error
/// is retried, else `gateway-error` if a 502/503/504 is, else `connect-failure` and/or `reset`.
fn envoy_retry_on(
    list: Option<&[Outcome]>,
    p: &Plan,
    layer: Option<(usize, &PolicySpec)>,
    un: &mut Vec<Untranslated>,
    remarks: &mut Vec<String>,
) -> String {
    let chosen: Vec<Outcome> = list.map_or(Outcome::ERRORS.to_vec(), <[Outcome]>::to_vec);
    let kinds: Vec<&str> = chosen.iter().filter_map(|o| envoy_kind(*o)).collect();
    let conds: Vec<&str> = if kinds.contains(&"500") {
        vec!["5xx"]
    } else if kinds.contains(&"gateway") {
        vec!["gateway-error"]
    } else {
        ["connect-failure", "reset"]
            .into_iter()
            .filter(|c| kinds.contains(c))
            .collect()
    };
    if let Some(list) = list {
        let none: Vec<Outcome> = list
            .iter()
            .copied()
            .filter(|o| envoy_kind(*o).is_none())
            .collect();
        if !none.is_empty() {
            p.note(
                un,
                Library::Envoy,
                layer,
                format!("retry_on: {}", outcomes(&none)),
                "no Envoy retry condition: a corrupted answer looks like a success to Envoy, and \
                 refusals by the caller's own layers are not retried",
            );
        }
        let extra: Vec<Outcome> = Outcome::ERRORS
            .iter()
            .copied()
            .filter(|o| !list.contains(o))
            .filter(|o| envoy_kind(*o).is_some_and(|k| conds.iter().any(|c| envoy_covers(c, k))))
            .collect();
        if !extra.is_empty() {
            remarks.push(format!(
                "calls to {}: retry_on {} also retries {}, which the simulation did not",
                p.target,
                conds.join(","),
                outcomes(&extra)
            ));
        }
    }
    conds.join(",")
}

fn envoy(caller: &str, plans: &[Plan], un: &mut Vec<Untranslated>) -> Option<Document> {
    let lib = Library::Envoy;
    let mut clusters = Vec::new();
    let mut hosts = Vec::new();
    let mut remarks = Vec::new();
    for p in plans.iter().filter(|p| p.uses(lib)) {
        let home = p.home == lib;
        let mut cluster = Map::default();
        cluster.put("name", Node::str(p.target));
        let mut thresholds = Map::default();
        thresholds.put("priority", Node::str("DEFAULT"));
        let mut retry_policy = None;
        let mut budget = false;
        let mut max_requests = false;
        for (i, spec) in p.layers_for(lib) {
            let layer = Some((i, spec));
            match spec {
                PolicySpec::Retry(
                    r @ RetrySpec {
                        backoff: Backoff::Envoy { base, max },
                        ..
                    },
                ) => {
                    let mut rp = Map::default();
                    rp.put(
                        "retry_on",
                        Node::str(&envoy_retry_on(
                            r.retry_on.as_deref(),
                            p,
                            layer,
                            un,
                            &mut remarks,
                        )),
                    )
                    .put("num_retries", Node::int(r.attempts().saturating_sub(1)));
                    if let (true, Some(t)) = (home, p.attempt_timeout) {
                        rp.put("per_try_timeout", Node::dur(t, lib));
                    }
                    let max = max.unwrap_or(SimDuration::from_nanos(base.as_nanos() * 10));
                    rp.child("retry_back_off")
                        .put("base_interval", Node::dur(*base, lib))
                        .put("max_interval", Node::dur(max, lib));
                    retry_policy = Some(rp);
                }
                PolicySpec::RetryBudget(BudgetSpec::Envoy {
                    budget_percent,
                    min_retry_concurrency,
                }) => {
                    let b = thresholds.child("retry_budget");
                    b.child("budget_percent")
                        .put("value", Node::num(*budget_percent));
                    b.put("min_retry_concurrency", Node::int(*min_retry_concurrency));
                    budget = true;
                }
                PolicySpec::ConcurrencyLimit(LimitSpec::Fixed { limit }) => {
                    thresholds.put_noted(
                        "max_requests",
                        Node::int(*limit),
                        "ConcurrencyLimit(Fixed): requests in flight",
                    );
                    max_requests = true;
                }
                other => p.note(
                    un,
                    lib,
                    layer,
                    ron::to_string(other).unwrap_or_else(|_| other.kind().into()),
                    match other {
                        PolicySpec::Retry(_) => {
                            "Envoy's retry back-off is always exponential with full jitter \
                             (base_interval > 0): use an Envoy backoff"
                        }
                        _ => "no Envoy equivalent",
                    },
                ),
            }
        }
        if retry_policy.is_some() && !budget {
            remarks.push(format!(
                "calls to {}: without a retry_budget Envoy allows 3 retries in flight across the \
                 cluster (max_retries); the simulation had no such limit",
                p.target
            ));
        }
        if thresholds.0.len() > 1 || retry_policy.is_some() {
            remarks.push(format!(
                "calls to {}: {} keep Envoy's defaults (1024); the simulation models no \
                 connection pool",
                p.target,
                if max_requests {
                    "max_connections and max_pending_requests"
                } else {
                    "max_connections, max_pending_requests and max_requests"
                }
            ));
        }
        if thresholds.0.len() > 1 {
            cluster
                .child("circuit_breakers")
                .put("thresholds", Node::Seq(vec![Node::Map(thresholds)]));
        }
        if let Some(o) = p.outlier {
            cluster.put("outlier_detection", Node::Map(outlier(o)));
        }
        clusters.push(Node::Map(cluster));
        if home || retry_policy.is_some() {
            let mut route = Map::default();
            route.put("cluster", Node::str(p.target));
            let timeout = if home {
                p.call_timeout()
            } else {
                p.edge_timeout
            };
            match timeout {
                Some(t) => route.put("timeout", Node::dur(t, lib)),
                None => route.put_noted(
                    "timeout",
                    Node::dur(SimDuration::ZERO, lib),
                    "none, as simulated (Envoy's default is 15s)",
                ),
            };
            if let Some(rp) = retry_policy {
                route.put("retry_policy", Node::Map(rp));
            } else if home && p.attempt_timeout.is_some() {
                p.note(
                    un,
                    lib,
                    None,
                    format!(
                        "Timeout(\"{}\") after the retry (each attempt)",
                        p.attempt_timeout.unwrap_or_default()
                    ),
                    "Envoy limits each try only within a retry_policy (per_try_timeout)",
                );
            }
            let mut r = Map::default();
            r.child("match").put("prefix", Node::str("/"));
            r.put("route", Node::Map(route));
            let mut host = Map::default();
            host.put("name", Node::str(p.target))
                .put("domains", Node::Seq(vec![Node::str(p.target)]))
                .put("routes", Node::Seq(vec![Node::Map(r)]));
            hosts.push(Node::Map(host));
        }
    }
    if clusters.is_empty() {
        return None;
    }
    let mut root = Map::default();
    root.put("clusters", Node::Seq(clusters));
    if !hosts.is_empty() {
        root.child("route_config")
            .put("virtual_hosts", Node::Seq(hosts));
    }
    let mut text = format!(
        "# Envoy v3: clusters and route configuration for the calls of {caller} (exported by \
         Faultline)\n"
    );
    for r in &remarks {
        comment_lines(&mut text, "", r);
    }
    text.push_str(&root.to_yaml());
    Some(Document {
        library: lib,
        target: None,
        text,
        remarks,
    })
}

/// Envoy's `outlier_detection`, every field written.
fn outlier(o: &OutlierSpec) -> Map {
    let lib = Library::Envoy;
    let mut m = Map::default();
    m.put("consecutive_5xx", Node::int(o.consecutive_5xx))
        .put(
            "enforcing_consecutive_5xx",
            Node::int(o.enforcing_consecutive_5xx),
        )
        .put(
            "consecutive_gateway_failure",
            Node::int(o.consecutive_gateway_failure),
        )
        .put(
            "enforcing_consecutive_gateway_failure",
            Node::int(o.enforcing_consecutive_gateway_failure),
        )
        .put("interval", Node::dur(o.interval, lib))
        .put("base_ejection_time", Node::dur(o.base_ejection_time, lib))
        .put("max_ejection_time", Node::dur(o.max_ejection_time, lib))
        .put("max_ejection_percent", Node::int(o.max_ejection_percent))
        .put(
            "success_rate_minimum_hosts",
            Node::int(o.success_rate_minimum_hosts),
        )
        .put(
            "success_rate_request_volume",
            Node::int(o.success_rate_request_volume),
        )
        .put(
            "success_rate_stdev_factor",
            Node::int(o.success_rate_stdev_factor),
        )
        .put(
            "enforcing_success_rate",
            Node::int(o.enforcing_success_rate),
        )
        .put(
            "failure_percentage_threshold",
            Node::int(o.failure_percentage_threshold),
        )
        .put(
            "enforcing_failure_percentage",
            Node::int(o.enforcing_failure_percentage),
        )
        .put(
            "failure_percentage_minimum_hosts",
            Node::int(o.failure_percentage_minimum_hosts),
        )
        .put(
            "failure_percentage_request_volume",
            Node::int(o.failure_percentage_request_volume),
        );
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn specs(ron_text: &str) -> Vec<PolicySpec> {
        ron::from_str(ron_text).expect("a policy list")
    }

    fn ms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }

    #[test]
    fn durations_follow_each_library_and_read_back_to_the_same_value() {
        for (d, spring, proto) in [
            (ms(1500), "1500ms", "1.500s"),
            (ms(100), "100ms", "0.100s"),
            (ms(2000), "2s", "2s"),
            (SimDuration::ZERO, "0ms", "0s"),
            (SimDuration::from_nanos(500), "500ns", "0.000000500s"),
            (SimDuration::from_nanos(1_500), "1500ns", "0.000001500s"),
            (SimDuration::from_nanos(25_000), "25us", "0.000025s"),
            (SimDuration::from_secs(300), "300s", "300s"),
        ] {
            assert_eq!(spring_duration(d), spring);
            assert_eq!(proto_duration(d), proto);
            assert_eq!(spring.parse::<SimDuration>().unwrap(), d, "{spring}");
            assert_eq!(proto.parse::<SimDuration>().unwrap(), d, "{proto}");
        }
    }

    #[test]
    fn resilience4j_breaker_and_retry_export_the_exact_spring_boot_yaml() {
        let stack = specs(
            r#"[
                Retry((
                    max_attempts: Some(4),
                    backoff: Resilience4j(initial: "1500ms", multiplier: 2.0, randomization: 0.5, max: Some("10s")),
                )),
                CircuitBreaker(Resilience4j((
                    window: Count(20),
                    minimum_calls: 10,
                    failure_rate_threshold: 40.0,
                    slow_call_rate_threshold: 80.0,
                    slow_call_duration: "800ms",
                    wait_in_open: "5s",
                    permitted_in_half_open: 3,
                ))),
                Timeout("250ms"),
            ]"#,
        );
        let export = export_stack("checkout", "payments", &stack);
        assert_eq!(export.untranslated, []);
        assert_eq!(export.documents.len(), 1);
        let doc = &export.documents[0];
        assert_eq!(doc.library, Library::Resilience4j);
        assert_eq!(doc.remarks, Vec::<String>::new());
        assert_eq!(
            doc.text,
            "\
# Resilience4j 2.x, Spring Boot application.yml: the calls of checkout (exported by Faultline)
resilience4j:
  retry:
    instances:
      payments:
        maxAttempts: 4
        waitDuration: 1500ms
        enableExponentialBackoff: true
        exponentialBackoffMultiplier: 2
        exponentialMaxWaitDuration: 10s
        enableRandomizedWait: true
        randomizedWaitFactor: 0.5
  circuitbreaker:
    instances:
      payments:
        slidingWindowType: COUNT_BASED
        slidingWindowSize: 20
        minimumNumberOfCalls: 10
        failureRateThreshold: 40
        slowCallRateThreshold: 80
        slowCallDurationThreshold: 800ms
        waitDurationInOpenState: 5s
        permittedNumberOfCallsInHalfOpenState: 3
        automaticTransitionFromOpenToHalfOpenEnabled: false
        maxWaitDurationInHalfOpenState: 0ms
  timelimiter:
    instances:
      payments:
        timeoutDuration: 250ms
"
        );
    }

    #[test]
    fn a_constant_resilience4j_wait_with_a_cap_is_the_smaller_constant() {
        let stack =
            specs(r#"[Retry((backoff: Resilience4j(initial: "800ms", max: Some("300ms"))))]"#);
        let text = &export_stack("a", "b", &stack).documents[0].text;
        assert!(text.contains("        maxAttempts: 3\n        waitDuration: 300ms\n"));
        assert!(!text.contains("enableExponentialBackoff"));
    }

    #[test]
    fn a_stack_in_another_order_than_spring_boots_says_which_aspect_orders_to_set() {
        let stack =
            specs(r#"[CircuitBreaker(Resilience4j(())), Retry((backoff: Constant("20ms")))]"#);
        let doc = &export_stack("a", "b", &stack).documents[0];
        assert_eq!(doc.remarks.len(), 1);
        assert!(doc.remarks[0].contains("circuitbreaker → retry"));
        assert!(doc.remarks[0].contains("retryAspectOrder"));
        assert!(doc.text.contains("# calls to b: the simulated order"));
    }

    #[test]
    fn grpc_retry_and_throttling_export_a_service_config_that_parses() {
        let stack = specs(
            r#"[
                Timeout("2s"),
                Retry((
                    max_attempts: Some(4),
                    retry_on: Some([Unavailable, Crashed, Dependency]),
                    backoff: Grpc(initial: "100ms", max: "1500ms", multiplier: 1.6),
                )),
                RetryBudget(Grpc(max_tokens: 10, token_ratio: 0.1)),
                Timeout("300ms"),
            ]"#,
        );
        let export = export_stack("frontend", "search", &stack);
        assert_eq!(export.untranslated, []);
        assert_eq!(export.documents.len(), 1);
        let doc = &export.documents[0];
        assert_eq!(
            (doc.library, doc.target.as_deref()),
            (Library::Grpc, Some("search"))
        );
        let v: Value = serde_json::from_str(&doc.text).expect("valid JSON");
        let m = &v["methodConfig"][0];
        assert_eq!(m["name"][0]["service"], "search");
        assert_eq!(m["timeout"], "2s");
        let r = &m["retryPolicy"];
        assert_eq!(r["maxAttempts"], 4);
        assert_eq!(r["initialBackoff"], "0.100s");
        assert_eq!(r["maxBackoff"], "1.500s");
        assert_eq!(r["backoffMultiplier"], 1.6);
        assert_eq!(r["perAttemptRecvTimeout"], "0.300s");
        // The three outcomes all arrive as UNAVAILABLE: one code, and no remark about extras.
        assert_eq!(
            r["retryableStatusCodes"],
            serde_json::json!(["UNAVAILABLE"])
        );
        assert!(!doc.remarks.iter().any(|r| r.contains("also covers")));
        assert_eq!(v["retryThrottling"]["maxTokens"], 10.0);
        assert_eq!(v["retryThrottling"]["tokenRatio"], 0.1);
    }

    #[test]
    fn grpc_hedging_and_the_limits_of_its_status_codes() {
        let stack = specs(
            r#"[
                Hedge(Grpc(max_attempts: 3, hedging_delay: "40ms", non_fatal: [Unavailable, CircuitOpen])),
                RetryBudget(Grpc(max_tokens: 8.5, token_ratio: 0.12345)),
            ]"#,
        );
        let export = export_stack("a", "b", &stack);
        let v: Value = serde_json::from_str(&export.documents[0].text).unwrap();
        let h = &v["methodConfig"][0]["hedgingPolicy"];
        assert_eq!(h["maxAttempts"], 3);
        assert_eq!(h["hedgingDelay"], "0.040s");
        assert_eq!(h["nonFatalStatusCodes"], serde_json::json!(["UNAVAILABLE"]));
        assert_eq!(v["retryThrottling"]["maxTokens"], 8.5);
        assert_eq!(v["retryThrottling"]["tokenRatio"], 0.123);
        let what: Vec<&str> = export
            .untranslated
            .iter()
            .map(|u| u.what.as_str())
            .collect();
        assert_eq!(
            what,
            ["nonFatalStatusCodes: [CircuitOpen]", "token_ratio: 0.12345"]
        );
        // UNAVAILABLE also covers crashes and dependency failures.
        assert!(export.documents[0]
            .remarks
            .iter()
            .any(|r| r
                .contains("UNAVAILABLE in nonFatalStatusCodes also covers [Crashed, Dependency]")));
        // Printed, the JSON is preceded by what it could not say.
        let text = export.render();
        assert!(text.contains("# not expressed: b [1 retry_budget] token_ratio: 0.12345"));
    }

    #[test]
    fn envoy_retry_budget_and_outlier_detection_export_cluster_and_route_yaml() {
        let stack = specs(
            r#"[
                Retry((max_attempts: Some(3), retry_on: Some([Unavailable, Crashed]), backoff: Envoy(base: "25ms"))),
                RetryBudget(Envoy(budget_percent: 25.0, min_retry_concurrency: 5)),
                Timeout("300ms"),
            ]"#,
        );
        let outlier: OutlierSpec =
            ron::from_str(r#"(consecutive_5xx: 3, interval: "5s", base_ejection_time: "1500ms", max_ejection_percent: 50)"#)
                .unwrap();
        let export = export_edges(
            "api",
            &[CallEdge {
                target: "db",
                timeout: Some(ms(1000)),
                policies: &stack,
                outlier_detection: Some(&outlier),
            }],
        );
        assert_eq!(export.untranslated, []);
        assert_eq!(export.documents.len(), 1);
        let doc = &export.documents[0];
        assert_eq!(doc.library, Library::Envoy);
        assert_eq!(
            doc.text,
            "\
# Envoy v3: clusters and route configuration for the calls of api (exported by Faultline)
# calls to db: max_connections, max_pending_requests and max_requests keep Envoy's defaults (1024); the simulation models no connection pool
clusters:
- name: db
  circuit_breakers:
    thresholds:
    - priority: DEFAULT
      retry_budget:
        budget_percent:
          value: 25
        min_retry_concurrency: 5
  outlier_detection:
    consecutive_5xx: 3
    enforcing_consecutive_5xx: 100
    consecutive_gateway_failure: 5
    enforcing_consecutive_gateway_failure: 0
    interval: 5s
    base_ejection_time: 1.500s
    max_ejection_time: 300s
    max_ejection_percent: 50
    success_rate_minimum_hosts: 5
    success_rate_request_volume: 100
    success_rate_stdev_factor: 1900
    enforcing_success_rate: 100
    failure_percentage_threshold: 85
    enforcing_failure_percentage: 0
    failure_percentage_minimum_hosts: 5
    failure_percentage_request_volume: 50
route_config:
  virtual_hosts:
  - name: db
    domains:
    - db
    routes:
    - match:
        prefix: /
      route:
        cluster: db
        timeout: 1s
        retry_policy:
          retry_on: connect-failure,reset
          num_retries: 2
          per_try_timeout: 0.300s
          retry_back_off:
            base_interval: 0.025s
            max_interval: 0.250s
"
        );
    }

    #[test]
    fn an_envoy_retry_without_budget_warns_of_max_retries_and_a_missing_timeout_is_written_as_none()
    {
        let stack = specs(r#"[Retry((backoff: Envoy()))]"#);
        let doc = &export_stack("a", "b", &stack).documents[0];
        assert!(doc.remarks[0].contains("3 retries in flight"));
        assert!(doc
            .text
            .contains("timeout: 0s  # none, as simulated (Envoy's default is 15s)\n"));
    }

    #[test]
    fn envoy_retries_on_the_narrowest_condition_and_says_what_else_it_retries() {
        let on = |list: &str| {
            let stack = specs(&format!(
                "[Retry((retry_on: Some({list}), backoff: Envoy())), RetryBudget(Envoy())]"
            ));
            let export = export_stack("a", "b", &stack);
            let doc = &export.documents[0];
            let line = doc
                .text
                .lines()
                .find(|l| l.trim_start().starts_with("retry_on:"))
                .unwrap();
            (
                line.trim().to_string(),
                doc.remarks.clone(),
                export.untranslated,
            )
        };
        let (line, remarks, un) = on("[Timeout, Crashed, Corrupted]");
        assert_eq!(line, "retry_on: gateway-error");
        assert!(remarks[0].contains("also retries [Rejected, Unavailable, Expired, Shed]"));
        assert_eq!(un[0].what, "retry_on: [Corrupted]");
        let (line, _, _) = on("[Injected]");
        assert_eq!(line, "retry_on: 5xx");
        let (line, remarks, _) = on("[Crashed]");
        assert_eq!(line, "retry_on: reset");
        assert!(!remarks.iter().any(|r| r.contains("also retries")));
    }

    #[test]
    fn untranslatable_layers_and_parameters_are_listed_never_dropped() {
        let stack = specs(
            r#"[
                Fallback(()),
                Retry((retry_on: Some([Timeout]), backoff: Exponential(base: "10ms", cap: "1s"))),
                RetryBudget(Sre()),
                CircuitBreaker(Resilience4j((record: Some([Timeout]), max_wait_in_half_open: "10s", after_half_open_wait: Closed))),
                CircuitBreaker(Polly(())),
                ConcurrencyLimit(Aimd()),
                Custom(name: "mine"),
            ]"#,
        );
        let export = export_stack("api", "db", &stack);
        let layers: Vec<&str> = export
            .untranslated
            .iter()
            .map(|u| u.layer.as_str())
            .collect();
        assert_eq!(
            layers,
            [
                "0 fallback",
                "1 retry",
                "2 retry_budget",
                "3 circuit_breaker",
                "3 circuit_breaker",
                "4 circuit_breaker",
                "5 concurrency_limit",
                "6 mine"
            ]
        );
        // Everything is listed in the one document written, at its top.
        assert_eq!(export.documents.len(), 1);
        let doc = &export.documents[0];
        assert!(export
            .untranslated
            .iter()
            .all(|u| u.library == Some(Library::Resilience4j)));
        for u in &export.untranslated {
            assert!(doc.text.contains(&format!("# - {u}")), "{u}");
        }
        assert!(doc.text.contains("record: [Timeout]"));
        assert!(doc.text.contains("after_half_open_wait: Closed"));
        // The breaker itself is still written.
        assert!(doc
            .text
            .contains("      db:\n        slidingWindowType: COUNT_BASED\n"));
    }

    #[test]
    fn a_stack_of_foreign_layers_only_lists_them_outside_any_document() {
        let stack = specs(r#"[Retry((backoff: Polly())), RetryBudget(Finagle())]"#);
        let export = export_stack("a", "b", &stack);
        assert_eq!(export.documents, []);
        assert_eq!(export.untranslated.len(), 2);
        assert!(export.untranslated.iter().all(|u| u.library.is_none()));
        assert!(export.render().contains("not expressed in any library"));
    }

    #[test]
    fn a_bundled_scenario_exports_one_configuration_per_caller() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenarios/retry-amplification-budget.ron"
        ))
        .unwrap();
        let scenario = crate::load_scenario_str("s.ron", &text, &[])
            .unwrap()
            .scenario;
        let exports = export_scenario(&scenario);
        let callers: Vec<&str> = exports.iter().map(|e| e.caller.as_str()).collect();
        assert_eq!(callers, ["users", "api", "edge"]);
        // users: a gRPC budget with a constant backoff gRPC cannot express.
        let users = &exports[0];
        assert_eq!(users.documents[0].library, Library::Grpc);
        assert!(users.untranslated[0].why.contains("±20% jitter"));
        // api → db: a constant Resilience4j retry; the SRE budget is listed.
        let api = &exports[1];
        assert!(api.documents[0].text.contains("waitDuration: 20ms"));
        assert!(api.untranslated[0].what.starts_with("RetryBudget(Sre"));
        // Same input, same bytes.
        assert_eq!(export_scenario(&scenario), exports);
    }

    #[test]
    fn yaml_strings_are_quoted_only_when_needed() {
        assert_eq!(yaml_string("db"), "db");
        assert_eq!(yaml_string("5xx,reset"), "5xx,reset");
        assert_eq!(yaml_string("/"), "/");
        assert_eq!(yaml_string("yes"), "\"yes\"");
        assert_eq!(yaml_string("123"), "\"123\"");
        assert_eq!(yaml_string("a: b"), "\"a: b\"");
        assert_eq!(yaml_string(""), "\"\"");
    }
}
