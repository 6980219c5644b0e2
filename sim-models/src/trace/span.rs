//! The spans of a trace: what each stands for, how it ended, and where it sits in its tree.

use crate::call::Outcome;
use crate::ids::{EdgeId, ServiceId};
use sim_core::SimTime;

/// No span.
pub const NO_SPAN: u32 = u32::MAX;
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
    /// An operation a `Store` step of the serving call ran on a store, from its invocation to
    /// its answer (`completed`; `dependency` if the store refused it, `timeout` if nobody
    /// answered).
    Store {
        /// The store, by index in name order.
        store: u32,
        /// The key.
        key: u32,
        /// What it asked.
        call: sim_history::Call,
        /// The value a read that took effect returned (`None` too for a key never written).
        read: Option<i64>,
    },
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
    /// Its id: its index in [`Tracer::spans`](super::Tracer::spans).
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
    pub edge: EdgeId,
    /// The service called or serving.
    pub service: ServiceId,
    /// The instance serving ([`NO_SPAN`] but for `Serve`).
    pub instance: u32,
    /// `Serve`: when the call first got a worker after waiting in the queue (`SimTime::MAX`:
    /// it never waited).
    pub worker_at: SimTime,
    /// A call's outcome before a fallback replaced it.
    pub before_fallback: Option<Outcome>,
    /// Opened by a route forwarding a call: ending it ends its parent call too.
    pub(super) routed: bool,
}

impl Span {
    /// Whether it has ended (an open span ends with the run, as `in_flight`).
    pub fn is_open(&self) -> bool {
        self.outcome == SpanEnd::Open
    }
}
