//! The recorder: every span of the sampled requests, the side tables that say which span waits
//! for what (by slab index, checked by generation), and the sampling decision.

use super::config::TraceConfig;
use super::span::{Span, SpanEnd, SpanKind, NO_SPAN};
use crate::ids::{EdgeId, ServiceId};
use crate::observer::{CallRef, CallerRef, InvocationRef, RequestId};
use sim_core::{RngFactory, SimTime};

/// A request in flight that is traced.
#[derive(Clone, Copy, Debug)]
pub(super) struct RequestSlot {
    pub(super) gen: u32,
    pub(super) root: u32,
    /// The call now carrying it (the newest of a chain of routes).
    pub(super) call: u32,
}

/// A call in flight (one message) whose request is traced.
#[derive(Clone, Debug)]
pub(super) struct CallSlot {
    pub(super) gen: u32,
    /// The caller's span: a call or an attempt.
    pub(super) up: u32,
    /// Its serving at an instance, once delivered.
    pub(super) serve: u32,
    /// The call spans of its current wait, by slot.
    pub(super) children: Vec<u32>,
    /// The edge it travels along now (a route moves it to the next).
    pub(super) edge: EdgeId,
    /// Whether nobody waits for it (a published message).
    pub(super) publish: bool,
}

/// A call through a policy stack whose request is traced.
#[derive(Clone, Debug)]
pub(super) struct InvocationSlot {
    pub(super) gen: u32,
    pub(super) call: u32,
    pub(super) backoff: u32,
    /// Attempt spans by attempt number − 1.
    pub(super) attempts: Vec<u32>,
}

/// The trace recorder: the spans of sampled requests, and where the open ones are.
#[derive(Clone, Debug)]
pub struct Tracer {
    pub(super) config: TraceConfig,
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
    /// Requests sent so far: the number of the next is one more.
    pub(super) sent: u64,
    /// When the first request was left out for a cap.
    pub capped_at: Option<SimTime>,
    pub(super) requests: Vec<RequestSlot>,
    pub(super) calls: Vec<CallSlot>,
    pub(super) invocations: Vec<InvocationSlot>,
    /// The publishing instance's serve span, then the publish's call span, while a service
    /// publishes.
    pub(super) publisher: u32,
    /// The open span of each store operation, by store and the store's process.
    pub(super) store_ops: Vec<Vec<u32>>,
}

/// Entry `i` of side table `v`, which grows with `empty` entries to reach it.
pub(super) fn slot<T: Clone>(v: &mut Vec<T>, i: usize, empty: T) -> &mut T {
    if v.len() <= i {
        v.resize(i + 1, empty);
    }
    &mut v[i]
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
            sent: 0,
            capped_at: None,
            requests: Vec::new(),
            calls: Vec::new(),
            invocations: Vec::new(),
            publisher: NO_SPAN,
            store_ops: Vec::new(),
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

    pub(super) fn open(
        &mut self,
        parent: u32,
        kind: SpanKind,
        edge: EdgeId,
        service: ServiceId,
        now: SimTime,
    ) -> u32 {
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
    pub(super) fn close(&mut self, id: u32, how: SpanEnd, now: SimTime) {
        if let Some(s) = self.spans.get_mut(id as usize) {
            if s.is_open() {
                s.end = now;
                s.outcome = how;
            }
        }
    }

    /// Ends span `id` and, if a route opened it, the calls it continued.
    pub(super) fn close_chain(&mut self, mut id: u32, how: SpanEnd, now: SimTime) {
        while id != NO_SPAN {
            self.close(id, how, now);
            let s = self.spans[id as usize];
            if !s.routed {
                break;
            }
            id = s.parent;
        }
    }

    pub(super) fn request_slot(&self, r: RequestId) -> Option<&RequestSlot> {
        self.requests
            .get(r.index as usize)
            .filter(|s| s.gen == r.gen && s.root != NO_SPAN)
    }

    pub(super) fn call_slot(&mut self, c: CallRef) -> Option<&mut CallSlot> {
        self.calls
            .get_mut(c.index as usize)
            .filter(|s| s.gen == c.gen && s.up != NO_SPAN)
    }

    pub(super) fn invocation_slot(&mut self, v: InvocationRef) -> Option<&mut InvocationSlot> {
        self.invocations
            .get_mut(v.index as usize)
            .filter(|s| s.gen == v.gen && s.call != NO_SPAN)
    }

    /// The span that waits for `caller`'s answer, if its request is traced.
    pub(super) fn caller_span(&mut self, caller: CallerRef) -> u32 {
        match caller {
            CallerRef::Request(r) => self.request_slot(r).map_or(NO_SPAN, |s| s.call),
            CallerRef::Call { call, slot } => self
                .call_slot(call)
                .and_then(|c| c.children.get(slot as usize).copied())
                .unwrap_or(NO_SPAN),
            CallerRef::Attempt {
                invocation,
                attempt,
            } => self
                .invocation_slot(invocation)
                .and_then(|v| v.attempts.get(attempt as usize - 1).copied())
                .unwrap_or(NO_SPAN),
            CallerRef::Published => self.publisher,
            // A cache's background fetch and a saga's calls are not traced.
            CallerRef::Background => NO_SPAN,
        }
    }

    /// Points `caller`'s waiting span at `span` (a route's next call).
    pub(super) fn set_caller_span(&mut self, caller: CallerRef, span: u32) {
        match caller {
            CallerRef::Request(r) => {
                if let Some(s) = self.requests.get_mut(r.index as usize) {
                    if s.gen == r.gen && s.root != NO_SPAN {
                        s.call = span;
                    }
                }
            }
            CallerRef::Call { call, slot } => {
                if let Some(c) = self.call_slot(call) {
                    if let Some(s) = c.children.get_mut(slot as usize) {
                        *s = span;
                    }
                }
            }
            CallerRef::Attempt {
                invocation,
                attempt,
            } => {
                if let Some(v) = self.invocation_slot(invocation) {
                    if let Some(s) = v.attempts.get_mut(attempt as usize - 1) {
                        *s = span;
                    }
                }
            }
            CallerRef::Published | CallerRef::Background => {}
        }
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
}
