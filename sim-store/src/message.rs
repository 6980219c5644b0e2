//! What replicas and client processes say to each other, the log they replicate, and the
//! operations another model submits (see `external.rs`).

use sim_core::SimDuration;
use sim_history::Call;

/// One entry of a replica's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The term (or epoch) of the leader that appended it.
    pub term: u64,
    /// What it does when applied.
    pub op: EntryOp,
}

/// What a log entry does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryOp {
    /// Nothing: a new Raft leader's first entry, which commits those of earlier terms.
    Noop,
    /// A client's operation.
    Client(ClientOp),
}

/// A client's operation as the store sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOp {
    /// The key.
    pub key: u32,
    /// What to do.
    pub call: Call,
    /// The logical operation: the same on every resend.
    pub uid: u64,
    /// This attempt (a resend is a new attempt).
    pub attempt: u64,
    /// Whether `uid` is an idempotency key the store deduplicates on.
    pub keyed: bool,
    /// The client process.
    pub process: u32,
}

/// How a replica answers a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Done; a read returns what it read.
    Ok(Option<i64>),
    /// A compare-and-set found another value: definitely not applied.
    CasFailed,
    /// Not the leader; try this replica (if it knows one).
    NotLeader(Option<u32>),
    /// The leader cannot serve yet (waiting out an old lease): definitely not applied.
    Unavailable,
}

/// A message on the network.
#[derive(Clone, Debug)]
pub enum Msg {
    /// A candidate asks for a vote.
    RequestVote {
        term: u64,
        candidate: u32,
        last_index: u64,
        last_term: u64,
    },
    /// The answer to a vote request.
    Vote { term: u64, from: u32, granted: bool },
    /// A leader's entries (none: a heartbeat), with what it knows to be committed.
    Append {
        term: u64,
        leader: u32,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
        commit: u64,
        /// The heartbeat round it belongs to (for leases).
        round: u64,
    },
    /// A follower's answer: whether the entries matched, and how far its log now matches.
    AppendReply {
        term: u64,
        from: u32,
        success: bool,
        match_index: u64,
        round: u64,
    },
    /// A client's request.
    Request(ClientOp),
    /// A replica's answer to a client's attempt.
    Reply {
        process: u32,
        attempt: u64,
        answer: Answer,
    },
}

/// What a submitted operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternalCall {
    /// Read the key.
    Read,
    /// Write a fresh value.
    Write,
    /// Compare-and-set from `from` to a fresh value.
    Cas {
        /// The value the key must hold.
        from: i64,
    },
    /// Add to the key's counter: not idempotent.
    Add(i64),
}

/// A submitted operation began: the store's process that runs it invoked it, as its history
/// records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternalStart {
    /// The submitter's tag.
    pub tag: u64,
    /// The store's process that runs it (its history's `Process`).
    pub process: u32,
    /// The key it is on.
    pub key: u32,
    /// What it asks, with the values the store chose.
    pub call: sim_history::Call,
}

/// How a submitted operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternalAnswer {
    /// The submitter's tag.
    pub tag: u64,
    /// The store's process that ran it (its history's `Process`).
    pub process: u32,
    /// The key it was on.
    pub key: u32,
    /// What it asked.
    pub call: sim_history::Call,
    /// The value it saw: read, written, or set by a compare-and-set that took effect.
    pub seen: Option<i64>,
    /// How it ended.
    pub completion: sim_history::Completion,
}

/// An operation another model submits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternalOp {
    /// The submitter's own reference, handed back with the answer.
    pub tag: u64,
    /// The caller, from [`StoreModel::add_caller`](crate::StoreModel::add_caller).
    pub caller: u32,
    /// The zone the operation comes from (the calling instance's).
    pub zone: u16,
    /// Where in the store's network it comes from: a node numbered from
    /// [`FIRST_CALLER_NODE`](crate::model::FIRST_CALLER_NODE) (one per calling service) and an
    /// instance, so that network faults and links naming the caller reach its messages. The
    /// store's network must have been built with this node.
    pub node: u32,
    /// The calling instance.
    pub instance: u32,
    /// The key (`None`: drawn by the store's own key choice).
    pub key: Option<u32>,
    /// What it does.
    pub call: ExternalCall,
}

/// A caller's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallerSpec {
    /// How long each attempt waits for an answer.
    pub timeout: SimDuration,
    /// Resends of an attempt that timed out.
    pub retries: u32,
    /// Whether resends carry the operation's idempotency key.
    pub idempotency_keys: bool,
}
