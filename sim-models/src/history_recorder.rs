//! An operation-history recorder: an [`Observer`] that rebuilds, from what the world tells it,
//! each store's history of the operations services' `Store` steps ran there — Jepsen's history
//! as the services saw it, ready for `sim_history`'s checkers — and which call ran each one.
//!
//! It records only what its hooks say: attach it with [`crate::run_observed`] and read it
//! from the result's `world.observer()`, each history closed at the run's end. A store whose
//! only clients are services gets from it the same history the store keeps itself
//! (`tests/observers.rs` proves it).

use crate::observer::{CallRef, Observer, StoreOperation};
use crate::scenario::Scenario;
use sim_core::SimTime;
use sim_history::{Completion, History, HistoryError, Key, Process};

/// One store's recorded history.
#[derive(Clone, Debug, Default)]
struct Recorded {
    history: History,
    /// The call that ran each operation, by operation.
    calls: Vec<CallRef>,
}

/// Records the operations services run on stores, store by store (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct HistoryRecorder {
    stores: Vec<Recorded>,
    /// The first inconsistency in what it was told, with its store.
    error: Option<(u32, HistoryError)>,
}

impl HistoryRecorder {
    /// A recorder for the stores of `scenario`, each history starting from its store's
    /// initial value (`initial_value`), as the store's own does.
    pub fn new(scenario: &Scenario) -> HistoryRecorder {
        let stores = scenario
            .stores
            .values()
            .map(|spec| Recorded {
                history: History::new().with_initial(spec.initial_value),
                ..Recorded::default()
            })
            .collect();
        HistoryRecorder {
            stores,
            error: None,
        }
    }

    /// The history recorded for store `store` (index in name order, as
    /// [`StoreOperation::store`]).
    pub fn history(&self, store: u32) -> Option<&History> {
        self.stores.get(store as usize).map(|r| &r.history)
    }

    /// The call that ran each operation of store `store`'s history, in the history's order.
    pub fn calls(&self, store: u32) -> &[CallRef] {
        self.stores
            .get(store as usize)
            .map_or(&[], |r| r.calls.as_slice())
    }

    /// The first thing it was told that no history could hold (an operation completed twice or
    /// before it began, two open on one process), with the store's index: `None` for a
    /// consistent run. A recorder that met one keeps recording the rest.
    pub fn error(&self) -> Option<&(u32, HistoryError)> {
        self.error.as_ref()
    }

    fn failed(&mut self, store: u32, e: HistoryError) {
        self.error.get_or_insert((store, e));
    }
}

impl Observer for HistoryRecorder {
    fn store_invoked(&mut self, now: SimTime, call: CallRef, op: StoreOperation) {
        let Some(r) = self.stores.get_mut(op.store as usize) else {
            return;
        };
        match r
            .history
            .invoke(now, Process(op.process), Key(op.key), op.call)
        {
            Ok(_) => r.calls.push(call),
            Err(e) => self.failed(op.store, e),
        }
    }

    fn store_completed(
        &mut self,
        now: SimTime,
        _call: CallRef,
        op: StoreOperation,
        result: Completion,
    ) {
        let Some(r) = self.stores.get_mut(op.store as usize) else {
            return;
        };
        let Some(id) = r.history.open_op(Process(op.process)) else {
            self.failed(op.store, HistoryError::Idle(op.process));
            return;
        };
        if let Err(e) = r.history.complete(now, id, result) {
            self.failed(op.store, e);
        }
    }

    /// Ends every history: the operations still open become indeterminate, as Jepsen records
    /// those in flight when a test stops.
    fn run_ended(&mut self, now: SimTime) {
        for r in &mut self.stores {
            r.history.close(now);
        }
    }
}
