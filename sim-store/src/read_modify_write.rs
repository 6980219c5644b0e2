//! Optimistic concurrency: a client that reads a key, computes, and compare-and-sets it from
//! the value it read, and on a conflict waits a backoff and starts again from the read — the
//! experiment of Brooker's "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015),
//! where contending clients that back off in lockstep keep colliding and jitter spreads them.
//!
//! The spec, its rules, a process's progress through one operation, the tally and the report
//! live here (plain data, which the model holds); `client.rs` drives the tries, sending the
//! reads and compare-and-sets like any other operation, so each appears in the history and the
//! checker judges them.

use serde::{Deserialize, Serialize};
use sim_backoff::{Backoff, BackoffState};
use sim_core::{Histogram, SimTime};

/// The most tries a read-modify-write may be given.
pub const MAX_TRIES: u32 = 10_000;

/// How a client group does read-modify-writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadModifyWrite {
    /// The wait after a failed try, as the services' retry layer computes it (any library's
    /// formula, e.g. `Exponential(base: "5ms", cap: "1s", jitter: Full)`); try `n + 1` waits
    /// `backoff.delay(n)`.
    #[serde(default)]
    pub backoff: Backoff,
    /// Tries (a read and a compare-and-set each) before the operation is abandoned.
    pub max_tries: u32,
}

impl ReadModifyWrite {
    /// Problems with the group's settings, as (field relative to `read_modify_write`, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .backoff
            .problems()
            .into_iter()
            .map(|p| (p.path("backoff"), p.message))
            .collect();
        if self.max_tries == 0 || self.max_tries > MAX_TRIES {
            out.push((
                "max_tries".into(),
                format!("must be between 1 and {MAX_TRIES}, got {}", self.max_tries),
            ));
        }
        out
    }
}

/// A process's read-modify-write in progress.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Its key (the same on every try).
    pub key: u32,
    /// The current try, from 1.
    pub tries: u32,
    /// When the operation began.
    pub began: SimTime,
    /// The backoff's memory (decorrelated jitter's previous sleep).
    pub backoff: BackoffState,
}

/// Read-modify-writes of a store so far.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Operations begun.
    pub begun: u64,
    /// Ended with their compare-and-set acknowledged.
    pub completed: u64,
    /// Ended after `max_tries` failed tries.
    pub abandoned: u64,
    /// Ended with a compare-and-set that timed out: it may or may not have taken effect, and
    /// trying again could apply the increment twice.
    pub indeterminate: u64,
    /// Store calls made (reads, compare-and-sets and their resends): the work.
    pub calls: u64,
    /// Compare-and-sets that failed (a conflict, or nobody to serve them).
    pub cas_failed: u64,
    /// Tries per completed operation.
    pub tries: Histogram,
    /// Time from an operation's start to its acknowledged compare-and-set (ns).
    pub time: Histogram,
    /// The first start and the last end of an operation.
    pub span: Option<(SimTime, SimTime)>,
}

/// The `read_modify_write` section of a store's report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RmwReport {
    /// Operations begun.
    pub operations: u64,
    /// Completed: their compare-and-set was acknowledged.
    pub completed: u64,
    /// Abandoned after `max_tries` tries.
    pub abandoned: u64,
    /// Ended by a compare-and-set nobody answered.
    pub indeterminate: u64,
    /// Still trying when the run ended.
    pub unfinished: u64,
    /// Store calls made (Brooker's "work"): reads, compare-and-sets and resends.
    pub calls: u64,
    /// Store calls per begun operation.
    pub calls_per_operation: f64,
    /// Compare-and-sets that failed.
    pub cas_failed: u64,
    /// Mean tries of a completed operation.
    pub tries_mean: f64,
    /// Most tries a completed operation took.
    pub tries_max: u64,
    /// Mean time from start to acknowledged compare-and-set (ms).
    pub time_mean_ms: f64,
    /// Its 99th percentile (ms).
    pub time_p99_ms: f64,
    /// From the first operation's start to the last one's end (ms): Brooker's completion time.
    pub makespan_ms: f64,
}

impl Tally {
    /// The report of the tally.
    pub fn report(&self) -> RmwReport {
        let ended = self.completed + self.abandoned + self.indeterminate;
        let ms = |ns: f64| ns / 1e6;
        let mean = |h: &Histogram| if h.count() > 0 { h.mean() } else { 0.0 };
        RmwReport {
            operations: self.begun,
            completed: self.completed,
            abandoned: self.abandoned,
            indeterminate: self.indeterminate,
            unfinished: self.begun - ended,
            calls: self.calls,
            calls_per_operation: if self.begun > 0 {
                self.calls as f64 / self.begun as f64
            } else {
                0.0
            },
            cas_failed: self.cas_failed,
            tries_mean: mean(&self.tries),
            tries_max: self.tries.max(),
            time_mean_ms: ms(mean(&self.time)),
            time_p99_ms: ms(self.time.quantile(0.99) as f64),
            makespan_ms: self
                .span
                .map_or(0.0, |(a, b)| b.since(a).as_secs_f64() * 1e3),
        }
    }
}
