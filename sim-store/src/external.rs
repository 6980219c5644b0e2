//! Operations another model submits: a service whose step reads or writes the store. The
//! caller registers once ([`StoreModel::add_caller`]: its timeout, resends and idempotency
//! keys), then submits each operation ([`StoreModel::submit`]) and schedules the
//! [`Event::External`] it returns; the store runs it as one of its own client processes would
//! (the same leader hints, resends and history record) and, when it ends, leaves the caller's
//! tag, the key, what it saw and how it ended in [`StoreModel::take_answers`]. A watcher of
//! the operations (an observer recording the submitter's history) also takes each start from
//! [`StoreModel::take_started`].
//!
//! Each operation borrows an idle process of its caller (or a new one), so that the history
//! keeps one open operation per process, as Jepsen's checkers require, however many requests a
//! service has in flight.

use crate::message::{
    CallerSpec, ClientOp, ExternalAnswer, ExternalCall, ExternalOp, ExternalStart,
};
use crate::model::{Event, StoreModel};
use crate::process::Process;
use crate::spec::{OpMix, StoreClientSpec};
use sim_core::{Context, Distribution, RngFactory, SimDuration};
use sim_history::{Call, Completion};

impl StoreModel {
    /// Registers a caller named `name` (its random stream is `store/STORE/callers/NAME`);
    /// returns its number for [`ExternalOp::caller`].
    pub fn add_caller(&mut self, name: &str, spec: CallerSpec) -> u32 {
        let g = self.spec.clients.len();
        // Its processes run one submitted operation each, without thinking.
        let think = Distribution::Deterministic {
            value: SimDuration::ZERO,
        };
        self.think.push(think.sampler().expect("a constant"));
        self.spec.clients.push(StoreClientSpec {
            processes: 0,
            zone: None,
            think_time: think,
            timeout: spec.timeout,
            mix: OpMix::default(),
            retries: spec.retries,
            idempotency_keys: spec.idempotency_keys,
            operations: None,
            start: SimDuration::ZERO,
            read_modify_write: None,
        });
        self.client_rng.push(
            RngFactory::new(self.seed).stream(&format!("store/{}/callers/{name}", self.name)),
        );
        self.idle.resize(g + 1, Vec::new());
        g as u32
    }

    /// Takes `op` in; schedule the returned event now to start it.
    pub fn submit(&mut self, op: ExternalOp) -> Event {
        let slot = self.submitted.put(op);
        Event::External { slot }
    }

    /// The submitted operations that ended since the last call.
    pub fn take_answers(&mut self) -> std::vec::Drain<'_, ExternalAnswer> {
        self.answers.drain(..)
    }

    /// The submitted operations that began since the last call, in the order they began (take
    /// them before the answers of the same instant: an operation may begin and end within one
    /// [`run_until`](sim_core::Simulation::run_until)). Kept only after
    /// [`watch_starts`](StoreModel::watch_starts).
    pub fn take_started(&mut self) -> std::vec::Drain<'_, ExternalStart> {
        self.started.drain(..)
    }

    /// From now on, keeps each submitted operation's start for [`take_started`](Self::take_started).
    pub fn watch_starts(&mut self) {
        self.watch_starts = true;
    }

    /// Starts submitted operation `slot` on an idle process of its caller.
    pub(crate) fn start_external(&mut self, ctx: &mut Context<Event>, slot: u32) {
        let op = self.submitted.take(slot);
        let g = op.caller as usize;
        let p = match self.idle[g].pop() {
            Some(p) => p as usize,
            None => {
                self.processes.push(Process::new(op.caller, op.zone));
                self.processes.len() - 1
            }
        };
        self.processes[p].zone = op.zone;
        self.processes[p].at = Some((op.node, op.instance));
        self.processes[p].external = Some(op.tag);
        let key = match op.key {
            Some(k) if k < self.spec.keys => k,
            _ => self.pick_key(g),
        };
        let call = match op.call {
            ExternalCall::Read => Call::Read,
            ExternalCall::Write => {
                self.next_value += 1;
                Call::Write(self.next_value)
            }
            ExternalCall::Cas { from } => {
                self.next_value += 1;
                Call::Cas {
                    from,
                    to: self.next_value,
                }
            }
            ExternalCall::Add(d) => Call::Add(d),
        };
        if self.watch_starts {
            self.started.push(ExternalStart {
                tag: op.tag,
                process: p as u32,
                key,
                call,
            });
        }
        self.invoke(ctx, p, key, call);
    }

    /// Process `p`'s submitted operation ended: its caller learns it, and the process is
    /// idle again. False if `p` runs its own operations.
    pub(crate) fn end_external(&mut self, p: usize, op: ClientOp, completion: Completion) -> bool {
        let Some(tag) = self.processes[p].external.take() else {
            return false;
        };
        let seen = match (op.call, completion) {
            (Call::Read, Completion::Ok(v)) => v,
            (Call::Write(x) | Call::Cas { to: x, .. }, Completion::Ok(_)) => Some(x),
            _ => None,
        };
        self.answers.push(ExternalAnswer {
            tag,
            process: p as u32,
            key: op.key,
            call: op.call,
            seen,
            completion,
        });
        let g = self.processes[p].group as usize;
        self.idle[g].push(p as u32);
        true
    }
}
