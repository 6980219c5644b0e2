//! A store as written in a scenario (`stores: { "kv": ( … ) }`).

use crate::read_modify_write::ReadModifyWrite;
use serde::{Deserialize, Serialize};
use sim_core::{Distribution, SimDuration};

/// A replicated key-value store and the clients that use it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSpec {
    /// How many replicas (at most [`MAX_REPLICAS`]).
    pub replicas: u32,
    /// Zones the replicas are placed in, round robin: replica `i` in `zones[i % len]` (default:
    /// none).
    #[serde(default)]
    pub zones: Vec<String>,
    /// Time a replica's worker spends on one client operation (default: 1 ms, exponential).
    #[serde(default = "default_service_time")]
    pub service_time: Distribution,
    /// Workers per replica serving client operations; further operations queue.
    #[serde(default = "one")]
    pub workers: u32,
    /// How a leader is chosen.
    pub election: Election,
    /// The replica that leads first: under `Failover` the first primary (default 0); under
    /// `Raft` and `Lease` the one whose first election timeout is the shortest
    /// (`election_timeout_min`, the others' at least `election_timeout_max`), so that a
    /// scenario can say where its leader starts. Default for those: whoever times out first.
    #[serde(default)]
    pub first_leader: Option<u32>,
    /// When a write is acknowledged.
    #[serde(default)]
    pub replication: Replication,
    /// Replicas that must hold a write before `Quorum` acknowledges it (default: a majority).
    /// Fewer than a majority lets two sides of a partition both acknowledge writes.
    #[serde(default)]
    pub write_quorum: Option<u32>,
    /// Where reads are served, and what is checked first.
    #[serde(default)]
    pub reads: Reads,
    /// Every write carries its leader's term (epoch) and replicas refuse writes of a term older
    /// than the newest they have seen. Raft fences by construction; for `Failover` this is the
    /// difference between a deposed primary overwriting its successor's writes and not.
    #[serde(default)]
    pub fencing: bool,
    /// What a crash keeps.
    #[serde(default)]
    pub durability: Durability,
    /// Each replica's clock rate error (0.01: runs 1% fast, -0.01: 1% slow); missing replicas
    /// keep perfect time. Leases are measured on these clocks.
    #[serde(default)]
    pub clock_drift: Vec<f64>,
    /// How many keys (registers), at most [`MAX_KEYS`].
    pub keys: u32,
    /// What every key holds before its first write (default: nothing, as in Jepsen's register
    /// tests). Read-modify-write clients need a number to start from, e.g. 0.
    #[serde(default)]
    pub initial_value: Option<i64>,
    /// How a client picks the key of each operation.
    #[serde(default)]
    pub key_choice: KeyChoice,
    /// How long the store remembers an idempotency key (an operation applied with a key it
    /// remembers is not applied again).
    #[serde(default = "default_idempotency_ttl")]
    pub idempotency_ttl: SimDuration,
    /// Groups of client processes (Jepsen's processes: each does one operation at a time).
    pub clients: Vec<StoreClientSpec>,
}

/// The most replicas a store may have.
pub const MAX_REPLICAS: u32 = 64;
/// The most workers a replica may have: each is a slot the replica keeps and scans for a free
/// one, so the bound keeps both memory and time per operation in check.
pub const MAX_WORKERS: u32 = 10_000;
/// The most keys a store may have.
pub const MAX_KEYS: u32 = 1_000_000;
/// The most values all a store's replicas may hold together (keys × replicas): 256 MiB.
pub const MAX_KEY_SLOTS: u64 = 16_000_000;
/// The most client processes a store may have, over all its client groups.
pub const MAX_PROCESSES: u32 = 100_000;

fn default_service_time() -> Distribution {
    Distribution::Exponential {
        mean: SimDuration::from_millis(1),
    }
}

fn one() -> u32 {
    1
}

fn default_idempotency_ttl() -> SimDuration {
    SimDuration::from_secs(3600)
}

/// How a leader is chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Election {
    /// Raft: terms, randomised election timeouts, majority votes, step-down on a higher term,
    /// a leader that commits only entries of its own term.
    Raft {
        /// Election timeouts are drawn uniformly from `[min, max]` (etcd: 1 s – 2 s).
        election_timeout_min: SimDuration,
        /// See `election_timeout_min`.
        election_timeout_max: SimDuration,
        /// How often a leader sends heartbeats (etcd: 100 ms).
        heartbeat: SimDuration,
    },
    /// Raft's election, plus a leader lease of `ttl` renewed by each heartbeat a majority
    /// acknowledges; the leader serves `Lease` reads alone while its own clock says the lease
    /// holds (`ttl - margin` after the heartbeat round began). A new leader waits `ttl` on its
    /// own clock before it serves them. Unsafe when drift × ttl exceeds the margin.
    Lease {
        /// The lease's length.
        ttl: SimDuration,
        /// Subtracted from the lease by its holder, for clock drift.
        margin: SimDuration,
        /// Election timeouts, as for `Raft`.
        election_timeout_min: SimDuration,
        /// See `election_timeout_min`.
        election_timeout_max: SimDuration,
        /// How often the leader sends heartbeats (and renews its lease).
        heartbeat: SimDuration,
    },
    /// A primary (replica 0 at first) and backups: a backup promotes itself after `missed`
    /// heartbeats go missing, with no vote and no quorum — the design behind many split-brain
    /// incidents. Backups wait one more heartbeat per rank, so that they do not all promote at
    /// once.
    Failover {
        /// How often the primary sends heartbeats.
        heartbeat: SimDuration,
        /// How many missed heartbeats make a backup promote itself.
        missed: u32,
    },
}

/// When a write is acknowledged to its client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Replication {
    /// After the leader's own write; replicas catch up later.
    Async,
    /// After a majority of replicas (the leader included) hold it.
    #[default]
    Quorum,
    /// After every replica holds it.
    All,
}

/// Where reads are served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reads {
    /// By whoever believes it leads, from its own state, with no check.
    Leader,
    /// By the leader from its own state while its lease holds; otherwise through the log.
    Lease,
    /// Through the log, like a write: linearizable.
    #[default]
    Quorum,
    /// By any replica, from its own state.
    Any,
}

/// What a replica keeps through a crash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Durability {
    /// Its whole log (every write is synced before it is acknowledged).
    #[default]
    Synced,
    /// Its log up to what it knew to be committed; the rest was still in the page cache.
    LoseUnsynced,
}

/// How a client picks keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum KeyChoice {
    /// Every key equally likely.
    #[default]
    Uniform,
    /// Key `k` (from 1) with probability proportional to `1 / k^s`.
    Zipf {
        /// The exponent.
        s: f64,
    },
}

/// A group of client processes of a store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreClientSpec {
    /// How many processes.
    pub processes: u32,
    /// The zone they run in (default: none).
    #[serde(default)]
    pub zone: Option<String>,
    /// Pause between an operation's end and the next (default: 10 ms, exponential).
    #[serde(default = "default_think_time")]
    pub think_time: Distribution,
    /// How long a process waits for an answer before it gives up on an attempt.
    pub timeout: SimDuration,
    /// Relative weights of the operations.
    #[serde(default)]
    pub mix: OpMix,
    /// How many times a process resends an operation whose attempt timed out (the operation
    /// ends indeterminate when they run out).
    #[serde(default)]
    pub retries: u32,
    /// Attach an idempotency key to each operation, the same on its retries.
    #[serde(default)]
    pub idempotency_keys: bool,
    /// Each process does this many operations and stops (default: no limit). With
    /// `read_modify_write`, an operation is the whole read-modify-write, however many tries.
    #[serde(default)]
    pub operations: Option<u64>,
    /// When the processes begin (default: at once); each one's first operation comes within
    /// one think time after this.
    #[serde(default)]
    pub start: SimDuration,
    /// Optimistic concurrency instead of `mix`: each operation reads its key, then
    /// compare-and-sets it from the value read to one more, and on a conflict waits a backoff
    /// and tries again from the read.
    #[serde(default)]
    pub read_modify_write: Option<ReadModifyWrite>,
}

fn default_think_time() -> Distribution {
    Distribution::Exponential {
        mean: SimDuration::from_millis(10),
    }
}

/// Relative weights of a client's operations.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpMix {
    /// Reads.
    #[serde(default)]
    pub read: f64,
    /// Writes of a fresh value.
    #[serde(default)]
    pub write: f64,
    /// Compare-and-sets from the value the process last saw to a fresh one.
    #[serde(default)]
    pub cas: f64,
    /// Adds of 1 (a counter increment: not idempotent).
    #[serde(default)]
    pub add: f64,
}

impl Default for OpMix {
    fn default() -> Self {
        OpMix {
            read: 0.5,
            write: 0.5,
            cas: 0.0,
            add: 0.0,
        }
    }
}
