//! Sampled request traces: every request, call, attempt, backoff and serving of a sampled
//! request as a [`Span`] linked to its parent, written as Chrome trace-event JSON
//! ([`write_chrome_json`]) for Perfetto and `chrome://tracing`.
//!
//! The [`Tracer`] is plain data owned by the [`World`](crate::World) (`None` unless a run asks
//! for traces). The world calls it at a handful of hooks on a request's path; each hook is one
//! `if self.trace.is_some()` around a cold call when tracing is off, and nothing else: no
//! allocation, no hashing, and the 72-byte `Call` does not grow. Span ids of the requests, calls and
//! invocations in flight live in side tables here, indexed by their slab index and checked by
//! generation, and are filled only for sampled requests.
//!
//! Whether request number *N* is sampled is a hash of *N* and a key drawn from its own random
//! stream (`trace`), never from a stream the simulation uses: tracing changes no outcome, and
//! the same scenario, seed and rate trace the same requests.
//!
//! The spans of one request form a tree:
//!
//! ```text
//! Request (client send → answer or timeout)
//! └─ Call users→api            the caller's view: send → answer (a bare call or a policy stack)
//!    ├─ Attempt 1               one per attempt through a policy stack; hedges overlap
//!    │  └─ Serve api#0          at the instance: queue wait + work, answer
//!    │     └─ Call api→db       calls the instance makes while serving
//!    │        └─ Serve db#1
//!    ├─ Backoff                 between a failed attempt and the retry
//!    └─ Attempt 2 (retry)
//!       └─ Serve api#1
//! ```
//!
//! A span the caller stopped waiting for ends `abandoned`; the work below it still ends when it
//! ends (its spans are *late*: they end after their parent). Spans still open when the run ends
//! are closed at the end with the outcome `in_flight`.

use crate::call::{Caller, Outcome};
use sim_core::{RngFactory, SimTime};

mod chrome;
pub use chrome::write_chrome_json;

/// No span.
pub const NO_SPAN: u32 = u32::MAX;

/// What to trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceConfig {
    /// Fraction of requests traced, in (0, 1].
    pub sample: f64,
    /// At most this many requests are traced; later samples are counted, not traced.
    pub max_requests: u32,
    /// No new request is traced once this many spans are recorded.
    pub max_spans: u32,
}

impl TraceConfig {
    /// The default sampling rate of `--trace`: one request in a hundred.
    pub const DEFAULT_SAMPLE: f64 = 0.01;
    /// The default cap on traced requests.
    pub const DEFAULT_MAX_REQUESTS: u32 = 10_000;
    /// The default cap on spans (a few hundred bytes of JSON each).
    pub const DEFAULT_MAX_SPANS: u32 = 500_000;

    /// Tracing a fraction `sample` of requests, with the default caps.
    pub fn sampling(sample: f64) -> TraceConfig {
        TraceConfig {
            sample,
            ..TraceConfig::default()
        }
    }

    /// Checks the rate: a fraction in (0, 1].
    pub fn check(&self) -> Result<(), String> {
        if self.sample > 0.0 && self.sample <= 1.0 {
            Ok(())
        } else {
            Err(format!(
                "the trace sampling rate must be a fraction in (0, 1], e.g. 0.01 for one request in a hundred; got {}",
                self.sample
            ))
        }
    }
}

impl Default for TraceConfig {
    fn default() -> Self {
        TraceConfig {
            sample: TraceConfig::DEFAULT_SAMPLE,
            max_requests: TraceConfig::DEFAULT_MAX_REQUESTS,
            max_spans: TraceConfig::DEFAULT_MAX_SPANS,
        }
    }
}

/// What a span stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    /// A client's request, from its sending to its answer or timeout: the root of a trace.
    Request {
        /// The request's sequence number over the whole run (1 for the first sent).
        seq: u64,
    },
    /// A call along an edge, as its caller sees it: a bare call, or an invocation through a
    /// policy stack (whose attempts are its children).
    Call,
    /// One attempt of a call through a policy stack.
    Attempt {
        /// Which attempt (1 for the first).
        n: u32,
        /// Whether it is a hedge (it may overlap earlier attempts) rather than a retry.
        hedge: bool,
    },
    /// The wait between a failed attempt and the next.
    Backoff,
    /// The handling of a call at one instance: queue wait and work, until it answers (or is
    /// forwarded by a route).
    Serve,
}

/// How a span ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanEnd {
    /// Not yet.
    Open,
    /// With an outcome.
    Outcome(Outcome),
    /// Over, with no outcome of its own (a backoff).
    Done,
    /// Its caller stopped waiting for it (a fan-out had what it needed, another hedge won, its
    /// caller crashed).
    Abandoned,
    /// Its message vanished (lost, black-holed).
    Lost,
    /// Still open when the run ended.
    InFlight,
}

impl SpanEnd {
    /// The name traces use.
    pub fn name(self) -> &'static str {
        match self {
            SpanEnd::Open => "open",
            SpanEnd::Outcome(o) => o.name(),
            SpanEnd::Done => "done",
            SpanEnd::Abandoned => "abandoned",
            SpanEnd::Lost => "lost",
            SpanEnd::InFlight => "in_flight",
        }
    }
}

/// One span of a trace. Names are not stored: services, instances and edges are indices
/// into the world's, resolved when the trace is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// Its id: its index in [`Tracer::spans`].
    pub id: u32,
    /// Its parent ([`NO_SPAN`] for a request).
    pub parent: u32,
    /// The request it belongs to: the id of its root span.
    pub trace: u32,
    /// What it stands for.
    pub kind: SpanKind,
    /// When it started.
    pub start: SimTime,
    /// When it ended (`SimTime::MAX` while open).
    pub end: SimTime,
    /// How it ended.
    pub outcome: SpanEnd,
    /// The edge (a request's: its client's edge).
    pub edge: u32,
    /// The service called or serving.
    pub service: u32,
    /// The instance serving ([`NO_SPAN`] but for `Serve`).
    pub instance: u32,
    /// `Serve`: when the call first got a worker after waiting in the queue (`SimTime::MAX`:
    /// it never waited).
    pub worker_at: SimTime,
    /// A call's outcome before a fallback replaced it.
    pub before_fallback: Option<Outcome>,
    /// Opened by a route forwarding a call: ending it ends its parent call too.
    routed: bool,
}

impl Span {
    /// Whether it has ended (an open span ends with the run, as `in_flight`).
    pub fn is_open(&self) -> bool {
        self.outcome == SpanEnd::Open
    }
}

/// A request in flight that is traced.
#[derive(Clone, Copy, Debug)]
struct RequestSlot {
    gen: u32,
    root: u32,
    /// The call now carrying it (the newest of a chain of routes).
    call: u32,
}

/// A call in flight (one message) whose request is traced.
#[derive(Clone, Debug)]
struct CallSlot {
    gen: u32,
    /// The caller's span: a call or an attempt.
    up: u32,
    /// Its serving at an instance, once delivered.
    serve: u32,
    /// The call spans of its current wait, by slot.
    children: Vec<u32>,
}

/// A call through a policy stack whose request is traced.
#[derive(Clone, Debug)]
struct InvocationSlot {
    gen: u32,
    call: u32,
    backoff: u32,
    /// Attempt spans by attempt number − 1.
    attempts: Vec<u32>,
}

/// The trace recorder: the spans of sampled requests, and where the open ones are.
#[derive(Clone, Debug)]
pub struct Tracer {
    config: TraceConfig,
    /// Hash key of the sampling decision, from the `trace` stream.
    key: u64,
    /// A request is sampled when the hash of its number is below this.
    threshold: u64,
    /// Every span, by id; the spans of one request are in the order they started.
    pub spans: Vec<Span>,
    /// Root spans, in the order their requests were sent.
    pub roots: Vec<u32>,
    /// Requests sampled but not traced because a cap was reached.
    pub over_cap: u64,
    /// When the first request was left out for a cap.
    pub capped_at: Option<SimTime>,
    requests: Vec<RequestSlot>,
    calls: Vec<CallSlot>,
    invocations: Vec<InvocationSlot>,
    /// The publishing instance's serve span, then the publish's call span, while a service
    /// publishes.
    publisher: u32,
}

/// SplitMix64's finaliser: a fixed, well-mixed hash of a 64-bit number.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Tracer {
    /// A recorder for the run with `seed`.
    pub fn new(config: TraceConfig, seed: u64) -> Tracer {
        use rand::Rng;
        let key = RngFactory::new(seed).stream("trace").random::<u64>();
        let threshold = if config.sample >= 1.0 {
            u64::MAX
        } else {
            // The float-to-int cast saturates; rates below 2^-64 trace nothing.
            (config.sample * 18_446_744_073_709_551_616.0) as u64
        };
        Tracer {
            config,
            key,
            threshold,
            spans: Vec::new(),
            roots: Vec::new(),
            over_cap: 0,
            capped_at: None,
            requests: Vec::new(),
            calls: Vec::new(),
            invocations: Vec::new(),
            publisher: NO_SPAN,
        }
    }

    /// The configuration it records with.
    pub fn config(&self) -> TraceConfig {
        self.config
    }

    /// Whether request number `seq` is in the sample: a hash of the number, so the decision
    /// depends on nothing else and draws from no stream the simulation uses.
    pub fn sampled(&self, seq: u64) -> bool {
        self.threshold == u64::MAX || mix(self.key ^ mix(seq)) < self.threshold
    }

    /// The spans of the request whose root span is `root`, in the order they started.
    pub fn spans_of(&self, root: u32) -> impl Iterator<Item = &Span> {
        self.spans[root as usize..]
            .iter()
            .filter(move |s| s.trace == root)
    }

    fn open(&mut self, parent: u32, kind: SpanKind, edge: u32, service: u32, now: SimTime) -> u32 {
        let id = self.spans.len() as u32;
        let trace = if parent == NO_SPAN {
            id
        } else {
            self.spans[parent as usize].trace
        };
        self.spans.push(Span {
            id,
            parent,
            trace,
            kind,
            start: now,
            end: SimTime::MAX,
            outcome: SpanEnd::Open,
            edge,
            service,
            instance: NO_SPAN,
            worker_at: SimTime::MAX,
            before_fallback: None,
            routed: false,
        });
        id
    }

    /// Ends span `id` (if open) at `now` with `how`.
    fn close(&mut self, id: u32, how: SpanEnd, now: SimTime) {
        if let Some(s) = self.spans.get_mut(id as usize) {
            if s.is_open() {
                s.end = now;
                s.outcome = how;
            }
        }
    }

    /// Ends span `id` and, if a route opened it, the calls it continued.
    fn close_chain(&mut self, mut id: u32, how: SpanEnd, now: SimTime) {
        while id != NO_SPAN {
            self.close(id, how, now);
            let s = self.spans[id as usize];
            if !s.routed {
                break;
            }
            id = s.parent;
        }
    }

    fn request_slot(&self, id: u32, gen: u32) -> Option<&RequestSlot> {
        self.requests
            .get(id as usize)
            .filter(|r| r.gen == gen && r.root != NO_SPAN)
    }

    fn call_slot(&mut self, id: u32, gen: u32) -> Option<&mut CallSlot> {
        self.calls
            .get_mut(id as usize)
            .filter(|c| c.gen == gen && c.up != NO_SPAN)
    }

    fn invocation_slot(&mut self, id: u32, gen: u32) -> Option<&mut InvocationSlot> {
        self.invocations
            .get_mut(id as usize)
            .filter(|v| v.gen == gen && v.call != NO_SPAN)
    }

    /// The span that waits for `caller`'s answer, if its request is traced.
    fn caller_span(&mut self, caller: Caller) -> u32 {
        match caller {
            Caller::Request { id, gen } => self.request_slot(id, gen).map_or(NO_SPAN, |r| r.call),
            Caller::Call { id, gen, slot, .. } => self
                .call_slot(id, gen)
                .and_then(|c| c.children.get(slot as usize).copied())
                .unwrap_or(NO_SPAN),
            Caller::Attempt { id, gen, attempt } => self
                .invocation_slot(id, gen)
                .and_then(|v| v.attempts.get(attempt as usize - 1).copied())
                .unwrap_or(NO_SPAN),
            Caller::Nobody => self.publisher,
        }
    }

    /// Points `caller`'s waiting span at `span` (a route's next call).
    fn set_caller_span(&mut self, caller: Caller, span: u32) {
        match caller {
            Caller::Request { id, gen } => {
                if let Some(r) = self.requests.get_mut(id as usize) {
                    if r.gen == gen && r.root != NO_SPAN {
                        r.call = span;
                    }
                }
            }
            Caller::Call { id, gen, slot, .. } => {
                if let Some(c) = self.call_slot(id, gen) {
                    if let Some(s) = c.children.get_mut(slot as usize) {
                        *s = span;
                    }
                }
            }
            Caller::Attempt { id, gen, attempt } => {
                if let Some(v) = self.invocation_slot(id, gen) {
                    if let Some(s) = v.attempts.get_mut(attempt as usize - 1) {
                        *s = span;
                    }
                }
            }
            Caller::Nobody => {}
        }
    }

    // Hooks, called by the world's cold shims (`world/tracing.rs`) while a request's path is
    // traced.

    /// Request number `seq` (slab `id`, `gen`) is sent along `edge` to `service`: traced if
    /// sampled and no cap is reached.
    pub(crate) fn request_sent(
        &mut self,
        seq: u64,
        id: u32,
        gen: u32,
        edge: u32,
        service: u32,
        now: SimTime,
    ) {
        let slot = id as usize;
        if self.requests.len() <= slot {
            self.requests.resize(
                slot + 1,
                RequestSlot {
                    gen: 0,
                    root: NO_SPAN,
                    call: NO_SPAN,
                },
            );
        }
        self.requests[slot].root = NO_SPAN;
        if !self.sampled(seq) {
            return;
        }
        if self.roots.len() as u32 >= self.config.max_requests
            || self.spans.len() as u32 >= self.config.max_spans
        {
            self.over_cap += 1;
            self.capped_at.get_or_insert(now);
            return;
        }
        let root = self.open(NO_SPAN, SpanKind::Request { seq }, edge, service, now);
        self.roots.push(root);
        self.requests[slot] = RequestSlot {
            gen,
            root,
            call: NO_SPAN,
        };
    }

    /// Request `id` ends with `outcome` as its client sees it.
    pub(crate) fn request_ended(&mut self, id: u32, gen: u32, outcome: Outcome, now: SimTime) {
        let Some(&r) = self.request_slot(id, gen) else {
            return;
        };
        self.close_chain(r.call, SpanEnd::Outcome(outcome), now);
        self.close(r.root, SpanEnd::Outcome(outcome), now);
        self.requests[id as usize].root = NO_SPAN;
    }

    /// `caller` makes a call along `edge` to `service` (bare or through a policy stack).
    pub(crate) fn call_started(&mut self, caller: Caller, edge: u32, service: u32, now: SimTime) {
        let parent = match caller {
            Caller::Request { id, gen } => self.request_slot(id, gen).map_or(NO_SPAN, |r| r.root),
            Caller::Call { id, gen, .. } => self.call_slot(id, gen).map_or(NO_SPAN, |c| c.serve),
            Caller::Attempt { .. } => NO_SPAN, // attempts are sent, not called
            Caller::Nobody => self.publisher,
        };
        if parent == NO_SPAN {
            return;
        }
        let span = self.open(parent, SpanKind::Call, edge, service, now);
        match caller {
            Caller::Request { id, .. } => self.requests[id as usize].call = span,
            Caller::Call { id, slot, .. } => {
                let children = &mut self.calls[id as usize].children;
                if children.len() <= slot as usize {
                    children.resize(slot as usize + 1, NO_SPAN);
                }
                children[slot as usize] = span;
            }
            Caller::Nobody => self.publisher = span,
            Caller::Attempt { .. } => unreachable!(),
        }
    }

    /// Call `id` (serving span known) publishes a message: the publish's spans hang from it.
    pub(crate) fn publishing(&mut self, id: u32, gen: u32) {
        self.publisher = self.call_slot(id, gen).map_or(NO_SPAN, |c| c.serve);
    }

    /// A publish has left.
    pub(crate) fn published(&mut self) {
        self.publisher = NO_SPAN;
    }

    /// The message of call `id` (`gen`) leaves for an instance on behalf of `caller`.
    pub(crate) fn message_sent(&mut self, id: u32, gen: u32, caller: Caller) {
        let up = self.caller_span(caller);
        if up == NO_SPAN {
            return;
        }
        self.set_message(id, gen, up);
    }

    fn set_message(&mut self, id: u32, gen: u32, up: u32) {
        let slot = id as usize;
        if self.calls.len() <= slot {
            self.calls.resize(
                slot + 1,
                CallSlot {
                    gen: 0,
                    up: NO_SPAN,
                    serve: NO_SPAN,
                    children: Vec::new(),
                },
            );
        }
        let c = &mut self.calls[slot];
        c.gen = gen;
        c.up = up;
        c.serve = NO_SPAN;
        c.children.clear();
    }

    /// The network duplicated call `id`'s message: the copy `dup` (`dup_gen`) has the same
    /// caller.
    pub(crate) fn message_duplicated(&mut self, id: u32, gen: u32, dup: u32, dup_gen: u32) {
        if let Some(up) = self.call_slot(id, gen).map(|c| c.up) {
            self.set_message(dup, dup_gen, up);
        }
    }

    /// Call `id`'s message vanished (lost or black-holed; `publish`: nobody waits for it).
    pub(crate) fn message_dropped(&mut self, id: u32, gen: u32, publish: bool, now: SimTime) {
        let Some(c) = self.call_slot(id, gen) else {
            return;
        };
        let (up, serve) = (c.up, c.serve);
        c.up = NO_SPAN;
        self.close(serve, SpanEnd::Lost, now);
        if publish {
            self.close_chain(up, SpanEnd::Lost, now);
        }
    }

    /// Call `id`'s message reaches instance `instance` of `service`.
    pub(crate) fn serve_started(
        &mut self,
        id: u32,
        gen: u32,
        edge: u32,
        service: u32,
        instance: u32,
        now: SimTime,
    ) {
        let Some(c) = self.call_slot(id, gen) else {
            return;
        };
        let up = c.up;
        let span = self.open(up, SpanKind::Serve, edge, service, now);
        self.spans[span as usize].instance = instance;
        let c = &mut self.calls[id as usize];
        c.serve = span;
        c.children.clear();
    }

    /// Call `id`, queued, gets a worker.
    pub(crate) fn worker_taken(&mut self, id: u32, gen: u32, now: SimTime) {
        let Some(serve) = self.call_slot(id, gen).map(|c| c.serve) else {
            return;
        };
        if let Some(s) = self.spans.get_mut(serve as usize) {
            if s.worker_at == SimTime::MAX {
                s.worker_at = now;
            }
        }
    }

    /// The instance is done with call `id`, which answers `outcome` (`publish`: nobody waits,
    /// so the publish's call ends too).
    pub(crate) fn serve_ended(
        &mut self,
        id: u32,
        gen: u32,
        outcome: Outcome,
        publish: bool,
        now: SimTime,
    ) {
        let Some(c) = self.call_slot(id, gen) else {
            return;
        };
        let (up, serve) = (c.up, c.serve);
        self.close(serve, SpanEnd::Outcome(outcome), now);
        if publish {
            self.close_chain(up, SpanEnd::Outcome(outcome), now);
        }
    }

    /// A route forwards call `id`, served, along `edge` to `service`: a new call span continues
    /// the caller's, and the caller's answer will end both.
    pub(crate) fn forwarded(
        &mut self,
        id: u32,
        gen: u32,
        caller: Caller,
        edge: u32,
        service: u32,
        now: SimTime,
    ) {
        let Some(c) = self.call_slot(id, gen) else {
            return;
        };
        let (up, serve) = (c.up, c.serve);
        self.close(serve, SpanEnd::Outcome(Outcome::Completed), now);
        let span = self.open(up, SpanKind::Call, edge, service, now);
        self.spans[span as usize].routed = true;
        let c = &mut self.calls[id as usize];
        c.up = span;
        c.serve = NO_SPAN;
        if caller == Caller::Nobody {
            return;
        }
        self.set_caller_span(caller, span);
    }

    /// Call `id` takes the answer `outcome` of child `slot`.
    pub(crate) fn child_answered(
        &mut self,
        id: u32,
        gen: u32,
        slot: u8,
        outcome: Outcome,
        now: SimTime,
    ) {
        let Some(span) = self
            .call_slot(id, gen)
            .and_then(|c| c.children.get(slot as usize).copied())
        else {
            return;
        };
        self.close_chain(span, SpanEnd::Outcome(outcome), now);
    }

    /// Call `id` stops waiting for the children in `slots` (bit `k`: child `k`).
    pub(crate) fn children_abandoned(&mut self, id: u32, gen: u32, mut slots: u64, now: SimTime) {
        let Some(c) = self.call_slot(id, gen) else {
            return;
        };
        let children = std::mem::take(&mut c.children);
        while slots != 0 {
            let k = slots.trailing_zeros() as usize;
            slots &= slots - 1;
            if let Some(&span) = children.get(k) {
                self.close_chain(span, SpanEnd::Abandoned, now);
            }
        }
        self.calls[id as usize].children = children;
    }

    /// Invocation `id` (`gen`) starts for `caller`, whose call span it continues.
    pub(crate) fn invocation_started(&mut self, id: u32, gen: u32, caller: Caller) {
        let call = self.caller_span(caller);
        let slot = id as usize;
        if self.invocations.len() <= slot {
            self.invocations.resize(
                slot + 1,
                InvocationSlot {
                    gen: 0,
                    call: NO_SPAN,
                    backoff: NO_SPAN,
                    attempts: Vec::new(),
                },
            );
        }
        let v = &mut self.invocations[slot];
        v.gen = gen;
        v.call = call;
        v.backoff = NO_SPAN;
        v.attempts.clear();
    }

    /// Attempt `n` of invocation `id` starts passing its layers (`hedge`: a hedge, else a
    /// retry if `n > 1`); a backoff before it is over.
    pub(crate) fn attempt_started(&mut self, id: u32, gen: u32, n: u32, hedge: bool, now: SimTime) {
        let Some(v) = self.invocation_slot(id, gen) else {
            return;
        };
        let (call, backoff) = (v.call, v.backoff);
        v.backoff = NO_SPAN;
        self.close(backoff, SpanEnd::Done, now);
        let (edge, service) = {
            let c = &self.spans[call as usize];
            (c.edge, c.service)
        };
        let span = self.open(call, SpanKind::Attempt { n, hedge }, edge, service, now);
        let attempts = &mut self.invocations[id as usize].attempts;
        if attempts.len() < n as usize {
            attempts.resize(n as usize, NO_SPAN);
        }
        attempts[n as usize - 1] = span;
    }

    /// Attempt `n` of invocation `id` ended with `outcome` (an answer, its timeout, a layer's
    /// refusal).
    pub(crate) fn attempt_ended(
        &mut self,
        id: u32,
        gen: u32,
        n: u32,
        outcome: Outcome,
        now: SimTime,
    ) {
        let Some(span) = self
            .invocation_slot(id, gen)
            .and_then(|v| v.attempts.get(n as usize - 1).copied())
        else {
            return;
        };
        self.close_chain(span, SpanEnd::Outcome(outcome), now);
    }

    /// Invocation `id` stops waiting for the attempts in `attempts` (bit `n − 1`: attempt `n`).
    pub(crate) fn attempts_abandoned(&mut self, id: u32, gen: u32, mut attempts: u8, now: SimTime) {
        let Some(v) = self.invocation_slot(id, gen) else {
            return;
        };
        let spans = std::mem::take(&mut v.attempts);
        while attempts != 0 {
            let k = attempts.trailing_zeros() as usize;
            attempts &= attempts - 1;
            if let Some(&span) = spans.get(k) {
                self.close_chain(span, SpanEnd::Abandoned, now);
            }
        }
        self.invocations[id as usize].attempts = spans;
    }

    /// Invocation `id` backs off before its next attempt.
    pub(crate) fn backoff_started(&mut self, id: u32, gen: u32, now: SimTime) {
        let Some(v) = self.invocation_slot(id, gen) else {
            return;
        };
        let call = v.call;
        let (edge, service) = {
            let c = &self.spans[call as usize];
            (c.edge, c.service)
        };
        let span = self.open(call, SpanKind::Backoff, edge, service, now);
        self.invocations[id as usize].backoff = span;
    }

    /// Invocation `id` ends: its call answers `answer` (`outcome` before a fallback).
    pub(crate) fn invocation_ended(
        &mut self,
        id: u32,
        gen: u32,
        outcome: Outcome,
        answer: Outcome,
        now: SimTime,
    ) {
        let Some(v) = self.invocation_slot(id, gen) else {
            return;
        };
        let (call, backoff) = (v.call, v.backoff);
        let attempts = std::mem::take(&mut v.attempts);
        v.call = NO_SPAN;
        self.close(backoff, SpanEnd::Done, now);
        for &a in &attempts {
            self.close_chain(a, SpanEnd::Abandoned, now);
        }
        self.invocations[id as usize].attempts = attempts;
        if let Some(s) = self.spans.get_mut(call as usize) {
            if s.is_open() && answer != outcome {
                s.before_fallback = Some(outcome);
            }
        }
        self.close(call, SpanEnd::Outcome(answer), now);
    }

    /// The run ends at `end`: every span still open ends there, `in_flight`.
    pub fn finish(&mut self, end: SimTime) {
        for s in &mut self.spans {
            if s.is_open() {
                s.end = end;
                s.outcome = SpanEnd::InFlight;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_depends_only_on_seed_and_request_number() {
        let a = Tracer::new(TraceConfig::sampling(0.1), 7);
        let b = Tracer::new(TraceConfig::sampling(0.1), 7);
        let c = Tracer::new(TraceConfig::sampling(0.1), 8);
        let pick = |t: &Tracer| (1..=10_000).filter(|&n| t.sampled(n)).collect::<Vec<_>>();
        assert_eq!(pick(&a), pick(&b));
        assert_ne!(pick(&a), pick(&c), "another seed samples other requests");
        let n = pick(&a).len();
        assert!((850..1150).contains(&n), "about 10% of 10,000: {n}");
    }

    #[test]
    fn a_rate_of_one_samples_every_request() {
        let t = Tracer::new(TraceConfig::sampling(1.0), 1);
        assert!((0..10_000).all(|n| t.sampled(n)));
    }

    #[test]
    fn rates_outside_zero_to_one_are_refused() {
        for bad in [0.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            assert!(TraceConfig::sampling(bad).check().is_err(), "{bad}");
        }
        for good in [1e-9, 0.01, 1.0] {
            assert!(TraceConfig::sampling(good).check().is_ok(), "{good}");
        }
    }

    #[test]
    fn the_cap_stops_new_traces_but_counts_them() {
        let mut t = Tracer::new(
            TraceConfig {
                sample: 1.0,
                max_requests: 2,
                max_spans: 100,
            },
            1,
        );
        for seq in 1..=5 {
            t.request_sent(seq, seq as u32, 0, 0, 0, SimTime(seq));
        }
        assert_eq!(t.roots.len(), 2);
        assert_eq!(t.over_cap, 3);
        assert_eq!(t.capped_at, Some(SimTime(3)));
    }

    #[test]
    fn a_route_chain_ends_with_the_answer_and_open_spans_end_in_flight() {
        let mut t = Tracer::new(TraceConfig::sampling(1.0), 1);
        let req = Caller::Request { id: 0, gen: 0 };
        t.request_sent(1, 0, 0, 0, 0, SimTime(0));
        t.call_started(req, 0, 0, SimTime(0));
        t.message_sent(5, 3, req);
        t.serve_started(5, 3, 0, 0, 0, SimTime(1));
        t.forwarded(5, 3, req, 1, 1, SimTime(2));
        t.serve_started(5, 3, 1, 1, 0, SimTime(3));
        t.request_ended(0, 0, Outcome::Timeout, SimTime(4));
        t.finish(SimTime(10));
        let s = &t.spans;
        assert_eq!(s.len(), 5);
        assert_eq!(s[0].kind, SpanKind::Request { seq: 1 });
        assert_eq!(
            s[1].outcome,
            SpanEnd::Outcome(Outcome::Timeout),
            "first call"
        );
        assert_eq!(
            s[2].outcome,
            SpanEnd::Outcome(Outcome::Completed),
            "first serve"
        );
        assert_eq!(
            (s[3].parent, s[3].outcome),
            (1, SpanEnd::Outcome(Outcome::Timeout))
        );
        assert_eq!((s[4].parent, s[4].end), (3, SimTime(10)), "late serve");
        assert_eq!(s[4].outcome, SpanEnd::InFlight);
    }
}
