//! One replica's state: its role and term, its log, what it has applied, its clock, and its
//! workers. The protocol that changes them is in `protocol.rs`; serving clients in `serve.rs`.

use crate::message::{Answer, ClientOp, Entry, EntryOp};
use crate::spec::StoreSpec;
use sim_core::{SimRng, SimTime};
use sim_history::Call;
use std::collections::{HashMap, VecDeque};

/// What a replica believes it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Follows a leader (or waits for one).
    Follower,
    /// Asks for votes.
    Candidate,
    /// Believes it leads.
    Leader,
}

/// A client operation waiting for its entry to commit, at the leader that appended it.
#[derive(Clone, Copy, Debug)]
pub struct Waiter {
    /// The entry's index (from 1).
    pub index: u64,
    /// The attempt it answers.
    pub op: ClientOp,
}

/// One replica.
#[derive(Clone, Debug)]
pub struct Replica {
    /// Its index.
    pub id: u32,
    /// Its zone.
    pub zone: u16,
    /// Whether it runs (not crashed).
    pub up: bool,
    /// Until when it is paused (a GC pause, SIGSTOP): nothing it does happens before.
    pub paused_until: SimTime,
    /// Its role.
    pub role: Role,
    /// The newest term (epoch) it has seen.
    pub term: u64,
    /// Whom it voted for in `term`.
    pub voted_for: Option<u32>,
    /// The leader it last heard from in `term`.
    pub leader: Option<u32>,
    /// Its log; entry `i` (from 1) is `log[i - 1]`.
    pub log: Vec<Entry>,
    /// The highest index it knows to be committed.
    pub commit: u64,
    /// The highest index it has applied.
    pub applied: u64,
    /// Each key's value in its state machine, by key (`None`: never written).
    pub values: Vec<Option<i64>>,
    /// What each key holds before its first write.
    pub initial: Option<i64>,
    /// Idempotency keys applied, with when.
    pub seen_keys: HashMap<u64, SimTime>,
    /// Generation of its election timer (a later timer makes earlier ones stale).
    pub election_gen: u32,
    /// Generation of its heartbeat timer.
    pub heartbeat_gen: u32,
    /// Votes received as a candidate (bit per replica).
    pub votes: u64,
    /// As leader: the next index to send each replica.
    pub next_index: Vec<u64>,
    /// As leader: how far each replica's log is known to match.
    pub match_index: Vec<u64>,
    /// As leader: the last index sent to each replica, so that a stream of writes sends each
    /// entry once rather than once per answer (heartbeats resend whatever is missing).
    pub sent_upto: Vec<u64>,
    /// As leader: operations waiting for their entries to commit.
    pub waiting: Vec<Waiter>,
    /// As leader: its latest heartbeat round.
    pub round: u64,
    /// As leader: recent rounds, as (round, local start in ns, replicas that acknowledged it
    /// as bits); a lease extends when a majority acknowledges one.
    pub round_start: VecDeque<(u64, i64, u64)>,
    /// As leader under a lease: until when (local clock, ns) its lease holds.
    pub lease_until: i64,
    /// As a new leader under a lease: it serves nothing before this (local clock, ns).
    pub serve_after: i64,
    /// Failover: when it last heard from a primary (simulated time).
    pub last_heard: SimTime,
    /// Clock rate error.
    pub drift: f64,
    /// Clock offset from jumps (ns).
    pub offset: i64,
    /// Client requests waiting for a worker.
    pub queue: VecDeque<ClientOp>,
    /// The operation each worker serves, and whether a lease let it read alone (checked when
    /// it started).
    pub serving: Vec<Option<(ClientOp, bool)>>,
    /// Each worker's generation: a crash makes its pending work stale.
    pub worker_gen: Vec<u32>,
    /// Stream for election timeouts and service times.
    pub rng: SimRng,
}

impl Replica {
    /// A fresh follower.
    pub fn new(id: u32, zone: u16, spec: &StoreSpec, rng: SimRng) -> Replica {
        let n = spec.replicas as usize;
        let workers = spec.workers as usize;
        Replica {
            id,
            zone,
            up: true,
            paused_until: SimTime::ZERO,
            role: Role::Follower,
            term: 0,
            voted_for: None,
            leader: None,
            log: Vec::new(),
            commit: 0,
            applied: 0,
            values: vec![spec.initial_value; spec.keys as usize],
            initial: spec.initial_value,
            seen_keys: HashMap::new(),
            election_gen: 0,
            heartbeat_gen: 0,
            votes: 0,
            next_index: vec![1; n],
            match_index: vec![0; n],
            sent_upto: vec![0; n],
            waiting: Vec::new(),
            round: 0,
            round_start: VecDeque::new(),
            lease_until: i64::MIN,
            serve_after: i64::MIN,
            last_heard: SimTime::ZERO,
            drift: spec.clock_drift.get(id as usize).copied().unwrap_or(0.0),
            offset: 0,
            queue: VecDeque::new(),
            serving: vec![None; workers],
            worker_gen: vec![0; workers],
            rng,
        }
    }

    /// Its clock's reading at simulated time `now` (ns).
    pub fn local(&self, now: SimTime) -> i64 {
        let t = now.0 as f64;
        (t + t * self.drift) as i64 + self.offset
    }

    /// The index of its last entry (0: empty log).
    pub fn last_index(&self) -> u64 {
        self.log.len() as u64
    }

    /// The term of entry `index` (0 for index 0).
    pub fn term_at(&self, index: u64) -> u64 {
        if index == 0 {
            0
        } else {
            self.log[index as usize - 1].term
        }
    }

    /// The term of its last entry.
    pub fn last_term(&self) -> u64 {
        self.term_at(self.last_index())
    }

    /// Keeps entries `prev + 1 ..` as `entries` say, truncating any that conflict; returns
    /// whether it had to drop entries it had already applied (its state is then rebuilt).
    pub fn merge(&mut self, prev: u64, entries: &[Entry]) -> bool {
        let mut rebuilt = false;
        for (k, e) in entries.iter().enumerate() {
            let index = prev + 1 + k as u64;
            if index <= self.last_index() {
                if self.term_at(index) == e.term && self.log[index as usize - 1] == *e {
                    continue;
                }
                self.log.truncate(index as usize - 1);
                if self.applied >= index {
                    rebuilt = true;
                }
            }
            self.log.push(*e);
        }
        if rebuilt {
            self.rebuild();
        }
        rebuilt
    }

    /// Drops every entry after `index` (a crash losing its unsynced suffix).
    pub fn truncate(&mut self, index: u64) {
        if index < self.last_index() {
            self.log.truncate(index as usize);
            self.commit = self.commit.min(index);
            if self.applied > index {
                self.rebuild();
            }
        }
    }

    /// Re-applies its log from the start up to `commit` (after entries it had applied were
    /// replaced: something only unsafe designs do).
    fn rebuild(&mut self) {
        let initial = self.initial;
        self.values.iter_mut().for_each(|v| *v = initial);
        self.seen_keys.clear();
        self.applied = 0;
        self.commit = self.commit.min(self.last_index());
    }

    /// Applies committed entries; returns each client entry applied with its answer.
    pub fn apply(
        &mut self,
        now: SimTime,
        ttl: sim_core::SimDuration,
    ) -> Vec<(u64, ClientOp, Answer)> {
        let mut out = Vec::new();
        let upto = self.commit.min(self.last_index());
        while self.applied < upto {
            self.applied += 1;
            let e = self.log[self.applied as usize - 1];
            if let EntryOp::Client(op) = e.op {
                let answer = apply(&mut self.values, &mut self.seen_keys, op, now, ttl);
                out.push((self.applied, op, answer));
            }
        }
        out
    }
}

/// Applies one client operation to a state machine: what the operation answers.
fn apply(
    values: &mut [Option<i64>],
    seen: &mut HashMap<u64, SimTime>,
    op: ClientOp,
    now: SimTime,
    ttl: sim_core::SimDuration,
) -> Answer {
    if op.keyed && op.call != Call::Read {
        if let Some(&at) = seen.get(&op.uid) {
            if now < at + ttl {
                // Applied before: answer as then, do nothing again.
                return Answer::Ok(None);
            }
        }
    }
    let slot = &mut values[op.key as usize];
    let v = *slot;
    let answer = match op.call {
        Call::Read => Answer::Ok(v),
        Call::Write(x) => {
            *slot = Some(x);
            Answer::Ok(None)
        }
        Call::Cas { from, to } => {
            if v == Some(from) {
                *slot = Some(to);
                Answer::Ok(None)
            } else {
                Answer::CasFailed
            }
        }
        Call::Add(d) => {
            *slot = Some(v.unwrap_or(0).wrapping_add(d));
            Answer::Ok(None)
        }
    };
    if op.keyed && op.call != Call::Read {
        seen.insert(op.uid, now);
    }
    answer
}
