//! The verdict on a run: what the clients saw (the history, checked for linearizability and
//! stale reads) and what the replicas did (leaders over time, writes acknowledged and then
//! lost, adds applied twice, time nobody could be served).

use crate::message::EntryOp;
use crate::model::StoreModel;
use crate::replica::Role;
use serde::{Deserialize, Serialize};
use sim_core::{Histogram, SimDuration, SimTime};
use sim_history::{linearizable, Call, Completion, Verdict};
use std::collections::{HashMap, HashSet};

/// The window over which availability is judged.
pub const AVAILABILITY_WINDOW: SimDuration = SimDuration::from_millis(100);

/// Operations by how they ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    /// Took effect (Jepsen's `:ok`).
    pub ok: u64,
    /// Definitely did not (`:fail`).
    pub fail: u64,
    /// Nobody knows: timed out (`:info`).
    pub info: u64,
}

/// Latency of the operations that succeeded, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OpLatency {
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Longest.
    pub max_ms: f64,
}

/// Everything a run of a store shows: the `stores.NAME` section of a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoreReport {
    /// Client operations by outcome.
    pub ops: OpCounts,
    /// Latency of the successful ones.
    pub latency: OpLatency,
    /// Times a replica became leader (a failover primary's first promotion included).
    pub elections: u64,
    /// The most replicas that believed at once that they led.
    pub leaders_max: u32,
    /// Seconds during which two or more replicas believed they led.
    pub split_brain_s: f64,
    /// Times a replica became leader of a term another replica had led (never, for Raft).
    pub same_term_leaders: u64,
    /// Writes (and compare-and-sets, adds) acknowledged to their client and missing from the
    /// most up-to-date log at the end.
    pub lost_acked_writes: u64,
    /// Reads that returned a value a completed write had already overwritten before they began.
    pub stale_reads: u64,
    /// Adds applied more than once (a resend without an idempotency key), in the most
    /// up-to-date log.
    pub duplicate_adds: u64,
    /// Seconds (in windows of 100 ms) in which clients had operations open and none succeeded.
    pub unavailable_s: f64,
    /// The checker's verdict on the history.
    pub linearizable: Verdict,
    /// Why not, if not: the operation that no order can place.
    pub first_anomaly: Option<String>,
    /// Read-modify-writes, if any client group does them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_modify_write: Option<crate::read_modify_write::RmwReport>,
}

impl StoreModel {
    /// The replica with the most up-to-date log (Raft's criterion: last term, then length),
    /// preferring replicas that are up.
    fn authority(&self) -> usize {
        (0..self.n())
            .max_by_key(|&r| {
                let rep = &self.replicas[r];
                (
                    rep.up,
                    rep.last_term(),
                    rep.last_index(),
                    std::cmp::Reverse(r),
                )
            })
            .expect("at least one replica")
    }

    /// Closes the history at `end` and measures the run, with `budget` search steps per key
    /// for the linearizability checker.
    pub fn measure(&mut self, end: SimTime, budget: u64) -> StoreReport {
        self.history.close(end);
        let (ok, fail, info) = self.history.outcome_counts();
        let mut latency = Histogram::new();
        for o in self.history.operations() {
            if matches!(o.result, Completion::Ok(_)) {
                latency.record(o.completed.since(o.invoked).as_nanos());
            }
        }
        let ms = |ns: u64| ns as f64 / 1e6;
        let lin = linearizable::check(&self.history, budget);
        let stale = sim_history::stale::stale_reads(&self.history);

        // Leaders over time.
        let mut leading = vec![false; self.n()];
        let (mut leaders, mut leaders_max, mut elections) = (0u32, 0u32, 0u64);
        let mut split = SimDuration::ZERO;
        let mut since = SimTime::ZERO;
        for &(t, r, role, _) in &self.timeline {
            let t = t.min(end);
            if leaders >= 2 {
                split = split + t.since(since);
            }
            since = t;
            let now_leads = role == Role::Leader;
            if now_leads && !leading[r as usize] {
                leaders += 1;
                elections += 1;
            } else if !now_leads && leading[r as usize] {
                leaders -= 1;
            }
            leading[r as usize] = now_leads;
            leaders_max = leaders_max.max(leaders);
        }
        if leaders >= 2 {
            split = split + end.since(since);
        }

        // Acknowledged writes missing from the most up-to-date log, and adds applied twice
        // there (a keyed add is applied once: the replicas skip a key they have seen).
        let authority = &self.replicas[self.authority()];
        let mut present: HashSet<u64> = HashSet::new();
        let mut keyed: HashSet<u64> = HashSet::new();
        let mut applied_adds: HashMap<u64, u64> = HashMap::new();
        for e in &authority.log {
            if let EntryOp::Client(op) = e.op {
                present.insert(op.uid);
                if matches!(op.call, Call::Add(_)) && (!op.keyed || keyed.insert(op.uid)) {
                    *applied_adds.entry(op.uid).or_default() += 1;
                }
            }
        }
        let lost = self
            .history
            .operations()
            .iter()
            .enumerate()
            .filter(|(i, o)| {
                matches!(o.result, Completion::Ok(_))
                    && o.call != Call::Read
                    && !present.contains(&(*i as u64))
            })
            .count() as u64;
        let duplicate_adds = applied_adds.values().map(|&c| c.saturating_sub(1)).sum();

        self.anomaly = lin.anomaly.clone();
        StoreReport {
            ops: OpCounts { ok, fail, info },
            latency: OpLatency {
                mean_ms: if latency.count() > 0 {
                    latency.mean() / 1e6
                } else {
                    0.0
                },
                p50_ms: ms(latency.quantile(0.5)),
                p99_ms: ms(latency.quantile(0.99)),
                max_ms: ms(latency.max()),
            },
            elections,
            leaders_max,
            split_brain_s: split.as_secs_f64(),
            same_term_leaders: self.same_term_leaders,
            lost_acked_writes: lost,
            stale_reads: stale.stale.len() as u64,
            duplicate_adds,
            unavailable_s: self.unavailable(end).as_secs_f64(),
            linearizable: lin.verdict,
            first_anomaly: lin.anomaly.as_ref().map(|a| a.explanation.clone()),
            read_modify_write: self
                .spec
                .clients
                .iter()
                .any(|c| c.read_modify_write.is_some())
                .then(|| self.rmw.report()),
        }
    }

    /// Total length of the availability windows in which some operation was open and none
    /// succeeded.
    fn unavailable(&self, end: SimTime) -> SimDuration {
        let w = AVAILABILITY_WINDOW.as_nanos();
        let windows = end.0.div_ceil(w) as usize;
        let mut open = vec![false; windows];
        let mut served = vec![false; windows];
        for o in self.history.operations() {
            let first = (o.invoked.0 / w) as usize;
            let last = ((o.completed.0.min(end.0.saturating_sub(1))) / w) as usize;
            for slot in open.iter_mut().take(last + 1).skip(first) {
                *slot = true;
            }
            if matches!(o.result, Completion::Ok(_)) {
                if let Some(s) = served.get_mut(last) {
                    *s = true;
                }
            }
        }
        let down = open
            .iter()
            .zip(&served)
            .filter(|(o, s)| **o && !**s)
            .count() as u64;
        SimDuration::from_nanos(down * w)
    }
}
