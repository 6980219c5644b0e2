//! Call edges: who calls whom. Each client's link to its target, each call, publish and route
//! of a service's steps is an edge; it counts the requests sent along it, the attempts (equal
//! until retries exist), and how each one ended as its caller saw it.

use crate::ids::{indexed_by, EdgeId, ServiceId};
use crate::outcome::{Outcome, OutcomeCounts};

/// Figures of one edge since the warm-up, as its callers saw them (kept by
/// [`Statistics`](crate::Statistics)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EdgeStats {
    /// Original requests: what the caller's logic asked for.
    pub requests: u64,
    /// Attempts actually sent (retries and hedges included).
    pub attempts: u64,
    /// How the attempts ended, as the caller saw them.
    pub outcomes: OutcomeCounts,
    /// Attempts the caller stopped waiting for without an answer or a timeout of their own: a
    /// fan-out had what it needed, a sibling failed, or the caller itself crashed.
    pub abandoned: u64,
    /// Answers that arrived after the caller stopped waiting (or twice, for a duplicated request).
    pub late: u64,
    /// Published messages lost or swallowed before anyone handled them.
    pub lost: u64,
    /// Retries sent (attempts after the first of their call).
    pub retries: u64,
    /// Retries a budget refused.
    pub budget_exhausted: u64,
    /// Attempts the caller's own policies refused, by reason, indexed like
    /// `Outcome::LOCAL_REJECTIONS` (circuit open, bulkhead full, rate limited, throttled).
    pub local_rejections: [u64; Outcome::LOCAL_REJECTIONS.len()],
}

/// One caller → callee edge.
#[derive(Clone, Debug)]
pub struct Edge {
    /// The caller's name (a client or a service).
    pub from: String,
    /// Whether the caller is a client.
    pub from_client: bool,
    /// The callee.
    pub to: ServiceId,
    /// Attempts sent over the whole run.
    pub sent_total: u64,
    /// Attempts resolved over the whole run (an outcome, abandoned, or a lost publish).
    pub resolved_total: u64,
    /// Whether calls along it go through a policy stack.
    pub policies: bool,
}

indexed_by!(EdgeId, Edge);

impl Edge {
    pub(crate) fn new(from: String, from_client: bool, to: ServiceId) -> Edge {
        Edge {
            from,
            from_client,
            to,
            sent_total: 0,
            resolved_total: 0,
            policies: false,
        }
    }

    /// Attempts sent and not yet resolved: the caller still waits for them.
    pub fn outstanding(&self) -> u64 {
        self.sent_total - self.resolved_total
    }

    /// An attempt leaves along the edge (a call without policies is its one attempt).
    #[inline]
    pub(crate) fn attempt_sent(&mut self) {
        self.sent_total += 1;
    }

    /// An attempt is answered, times out or is given up (through policies), or a published
    /// message is lost.
    #[inline]
    pub(crate) fn attempt_resolved(&mut self) {
        self.resolved_total += 1;
    }

    /// A call ended as its caller saw it, or its caller abandoned it. Without policies a call
    /// is one attempt, which this resolves too; with them, attempts resolve on their own.
    #[inline]
    pub(crate) fn call_ended(&mut self) {
        if !self.policies {
            self.resolved_total += 1;
        }
    }
}
