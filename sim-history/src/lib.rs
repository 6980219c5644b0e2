//! # sim-history: what clients saw, and whether any single copy could have shown it
//!
//! A replicated store is judged the way Jepsen judges a database: every client operation is
//! recorded as it is invoked and as it completes — `ok`, `fail` (it did not happen) or `info`
//! (nobody knows: a timeout) — with its process, key, value and simulated times
//! ([`History`]). Then checkers read the history:
//!
//! - [`linearizable::check`]: is there an order of the operations, each taking effect at an
//!   instant within its own interval, that one register per key would have produced? (The
//!   Wing–Gong–Lowe search with per-key splitting and memoisation, as in Porcupine and Knossos,
//!   bounded by a step budget so that it answers `Unknown` rather than hang, the same way on
//!   every machine.) When not, it names the operation that cannot be placed and why.
//! - [`stale::stale_reads`]: reads that returned a value real time had already ruled out.
//! - [`export`]: the history as JSON lines and as Jepsen's EDN, for Knossos or Elle.
//!
//! ```
//! use sim_core::{SimDuration, SimTime};
//! use sim_history::{linearizable, Call, Completion, History, Key, Process, Verdict};
//!
//! let t = |ms| SimTime::ZERO + SimDuration::from_millis(ms);
//! let mut h = History::new();
//! // Process 0 writes 1 and is acknowledged; later process 1 reads and still sees nothing.
//! let w = h.invoke(t(0), Process(0), Key(0), Call::Write(1)).unwrap();
//! h.complete(t(10), w, Completion::Ok(None)).unwrap();
//! let r = h.invoke(t(20), Process(1), Key(0), Call::Read).unwrap();
//! h.complete(t(30), r, Completion::Ok(None)).unwrap();
//! let verdict = linearizable::check(&h, linearizable::DEFAULT_STEP_BUDGET);
//! assert_eq!(verdict.verdict, Verdict::NotLinearizable);
//! assert_eq!(verdict.anomaly.unwrap().op, r);
//! ```

pub mod export;
pub mod history;
pub mod linearizable;
pub mod operation;
pub mod register;
pub mod stale;

pub use history::{History, HistoryError};
pub use linearizable::{Anomaly, Linearizability, Verdict};
pub use operation::{Call, Completion, Key, OpId, Operation, Process};
pub use stale::StaleReads;
