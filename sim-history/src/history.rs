//! Recording a history as a run goes: each operation is invoked, then completed once.

use crate::operation::{Call, Completion, Key, OpId, Operation, Process};
use crate::register::Value;
use sim_core::SimTime;
use thiserror::Error;

/// A mistake in recording a history: the recorder refuses it rather than keep a history that
/// no checker could trust.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum HistoryError {
    /// A process invoked an operation while its previous one was still open.
    #[error("process {process} invoked operation {new} while operation {open} was still open")]
    Concurrent {
        /// The process.
        process: u32,
        /// Its open operation.
        open: u32,
        /// The operation it tried to invoke.
        new: u32,
    },
    /// An operation was completed twice, or never invoked.
    #[error("operation {0} is not open")]
    NotOpen(u32),
    /// A process completed an operation while it had none open.
    #[error("process {0} completed an operation while it had none open")]
    Idle(u32),
    /// An operation completed before it was invoked.
    #[error("operation {op} completed at {completed} ns, before its invocation at {invoked} ns")]
    Backwards {
        /// The operation.
        op: u32,
        /// Its invocation time (ns).
        invoked: u64,
        /// The completion time given (ns).
        completed: u64,
    },
    /// A read completed `Ok` without the value it read, or another call with one.
    #[error(
        "operation {op} ({call}) completed with a value only a read returns, or a read without one"
    )]
    Value {
        /// The operation.
        op: u32,
        /// Its call's name.
        call: &'static str,
    },
}

/// The operations of a run, in invocation order, each open until it completes.
#[derive(Clone, Debug, Default)]
pub struct History {
    ops: Vec<Operation>,
    open: Vec<bool>,
    /// Each process's open operation, by process number.
    busy: Vec<Option<OpId>>,
    /// What every register holds before its first write.
    initial: Value,
}

impl History {
    /// An empty history.
    pub fn new() -> History {
        History::default()
    }

    /// A history of finished operations (for tests and for histories read back from files).
    pub fn from_operations(ops: Vec<Operation>) -> History {
        let open = vec![false; ops.len()];
        History {
            ops,
            open,
            busy: Vec::new(),
            initial: None,
        }
    }

    /// The same history, of registers that each hold `initial` before their first write (a
    /// store whose keys start at 0, as Knossos's `(cas-register 0)` does). The default is
    /// `None`: empty until written.
    pub fn with_initial(mut self, initial: Value) -> History {
        self.initial = initial;
        self
    }

    /// What every register holds before its first write.
    pub fn initial(&self) -> Value {
        self.initial
    }

    /// `process` invokes `call` on `key` at `now`. A process has one operation open at a time,
    /// as in Jepsen: a client that gives up on one (a timeout) completes it as
    /// [`Completion::Info`] before invoking the next.
    pub fn invoke(
        &mut self,
        now: SimTime,
        process: Process,
        key: Key,
        call: Call,
    ) -> Result<OpId, HistoryError> {
        let id = OpId(self.ops.len() as u32);
        let p = process.0 as usize;
        if p >= self.busy.len() {
            self.busy.resize(p + 1, None);
        }
        if let Some(open) = self.busy[p] {
            return Err(HistoryError::Concurrent {
                process: process.0,
                open: open.0,
                new: id.0,
            });
        }
        self.busy[p] = Some(id);
        self.ops.push(Operation {
            process,
            key,
            call,
            invoked: now,
            completed: SimTime::MAX,
            result: Completion::Info,
        });
        self.open.push(true);
        Ok(id)
    }

    /// Operation `op` completes at `now` with `result`.
    pub fn complete(
        &mut self,
        now: SimTime,
        op: OpId,
        result: Completion,
    ) -> Result<(), HistoryError> {
        let i = op.0 as usize;
        if !self.open.get(i).copied().unwrap_or(false) {
            return Err(HistoryError::NotOpen(op.0));
        }
        let o = &mut self.ops[i];
        if now < o.invoked {
            return Err(HistoryError::Backwards {
                op: op.0,
                invoked: o.invoked.0,
                completed: now.0,
            });
        }
        let is_read = o.call == Call::Read;
        if let Completion::Ok(v) = result {
            // A read of an unset key returns `Ok(None)`; other calls return nothing.
            if !is_read && v.is_some() {
                return Err(HistoryError::Value {
                    op: op.0,
                    call: o.call.name(),
                });
            }
        }
        o.completed = now;
        o.result = result;
        self.open[i] = false;
        self.busy[o.process.0 as usize] = None;
        Ok(())
    }

    /// The operation `process` has open, if any.
    pub fn open_op(&self, process: Process) -> Option<OpId> {
        self.busy.get(process.0 as usize).copied().flatten()
    }

    /// Whether `op` is still open.
    pub fn is_open(&self, op: OpId) -> bool {
        self.open.get(op.0 as usize).copied().unwrap_or(false)
    }

    /// Ends the history at `end`: every operation still open becomes indeterminate
    /// ([`Completion::Info`]) at `end`, as Jepsen records operations in flight when a test stops.
    pub fn close(&mut self, end: SimTime) {
        for (o, open) in self.ops.iter_mut().zip(&mut self.open) {
            if *open {
                o.completed = end.max(o.invoked);
                o.result = Completion::Info;
                *open = false;
            }
        }
        self.busy.clear();
    }

    /// The operations, in invocation order.
    pub fn operations(&self) -> &[Operation] {
        &self.ops
    }

    /// Operation `id`.
    pub fn get(&self, id: OpId) -> &Operation {
        &self.ops[id.0 as usize]
    }

    /// How many operations it holds.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Counts of operations by outcome: (ok, fail, info).
    pub fn outcome_counts(&self) -> (u64, u64, u64) {
        let mut c = (0, 0, 0);
        for o in &self.ops {
            match o.result {
                Completion::Ok(_) => c.0 += 1,
                Completion::Fail => c.1 += 1,
                Completion::Info => c.2 += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::SimDuration;

    fn t(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }

    #[test]
    fn a_process_cannot_have_two_operations_open() {
        let mut h = History::new();
        h.invoke(t(0), Process(0), Key(0), Call::Read).unwrap();
        let e = h.invoke(t(1), Process(0), Key(1), Call::Write(1));
        assert_eq!(
            e,
            Err(HistoryError::Concurrent {
                process: 0,
                open: 0,
                new: 1
            })
        );
    }

    #[test]
    fn an_operation_completes_once_and_not_before_it_began() {
        let mut h = History::new();
        let a = h.invoke(t(5), Process(0), Key(0), Call::Write(1)).unwrap();
        assert!(matches!(
            h.complete(t(4), a, Completion::Ok(None)),
            Err(HistoryError::Backwards { .. })
        ));
        h.complete(t(6), a, Completion::Ok(None)).unwrap();
        assert_eq!(
            h.complete(t(7), a, Completion::Ok(None)),
            Err(HistoryError::NotOpen(0))
        );
        let b = h.invoke(t(8), Process(0), Key(0), Call::Write(2)).unwrap();
        assert!(matches!(
            h.complete(t(9), b, Completion::Ok(Some(2))),
            Err(HistoryError::Value { .. })
        ));
    }

    #[test]
    fn closing_makes_open_operations_indeterminate_at_the_end() {
        let mut h = History::new();
        let a = h.invoke(t(1), Process(0), Key(0), Call::Add(1)).unwrap();
        let b = h.invoke(t(2), Process(1), Key(0), Call::Read).unwrap();
        h.complete(t(3), b, Completion::Ok(Some(0))).unwrap();
        assert_eq!(h.open_op(Process(0)), Some(a));
        assert_eq!(h.open_op(Process(1)), None, "b completed");
        assert_eq!(h.open_op(Process(7)), None, "a process never seen");
        h.close(t(10));
        assert_eq!(h.open_op(Process(0)), None, "closed");
        assert_eq!(h.get(a).result, Completion::Info);
        assert_eq!(h.get(a).completed, t(10));
        assert_eq!(h.outcome_counts(), (1, 0, 1));
    }
}
