//! # sim-store: replicated state, leader election and split brain
//!
//! A store is `N` replicas on the shared network (`sim-net`: the same zones, latency,
//! partitions as services) holding one register per key, and groups of client processes that
//! read, write, compare-and-set and add. Each preset elects a leader its own way:
//!
//! - **Raft** (`protocol.rs`): terms, randomised election timeouts, majority votes, step-down
//!   on a higher term, log matching, and a leader that commits only entries of its own term;
//! - **Lease**: Raft plus a leader lease measured on each replica's own (drifting) clock, and a
//!   new leader that waits the old lease out;
//! - **Failover**: a primary and backups, a backup promoting itself after missed heartbeats
//!   with no vote — the split-brain design.
//!
//! Writes are acknowledged after the leader's own write (`Async`), a majority (`Quorum`) or
//! every replica (`All`); reads are served by the leader unchecked, under a lease, through the
//! log, or by any replica. Every client operation is recorded as Jepsen records it
//! (`sim-history`), and [`StoreModel::measure`] judges the run: linearizable or not (with the
//! first anomaly), stale reads, acknowledged writes lost, adds applied twice, split-brain
//! seconds, unavailability.
//!
//! A client group may instead do read-modify-writes (`read_modify_write.rs`): read, then
//! compare-and-set from the value read, backing off after a conflict with the same formulas
//! as the services' retry layer (`sim-backoff`).
//!
//! Another model's operations (a service's step) run on processes of their own
//! (`external.rs`).
//!
//! The store is a [`sim_core::Model`] of its own beside `World`, run by the same
//! `Simulation`; `sim-models` builds it from a scenario's `stores` section, resolving zones,
//! places and faults the same way it does for services.

pub mod check;
pub mod client;
pub mod external;
pub mod measure;
pub mod message;
pub mod model;
pub mod process;
mod protocol;
pub mod read_modify_write;
pub mod replica;
mod serve;
mod slots;
pub mod spec;

pub use check::SpecProblem;
pub use measure::StoreReport;
pub use message::{CallerSpec, ExternalAnswer, ExternalCall, ExternalOp, ExternalStart};
pub use model::{
    Event, StoreFault, StoreModel, StoreNetFault, CLIENTS_NODE, FIRST_CALLER_NODE, REPLICAS_NODE,
};
pub use spec::StoreSpec;
