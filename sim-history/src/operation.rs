//! The vocabulary of a history: who did what to which key, and how it ended.

use serde::Serialize;
use sim_core::SimTime;

/// A client process: one sequence of operations, one at a time (Jepsen's `:process`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Process(pub u32);

/// A key of the store: each key is an independent register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Key(pub u32);

/// An operation's place in its [`History`](crate::History), in invocation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct OpId(pub u32);

/// What a client asked of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Call {
    /// Read the register.
    Read,
    /// Set the register to a value.
    Write(i64),
    /// Set the register to `to` if it holds `from`.
    Cas {
        /// The value expected.
        from: i64,
        /// The value set.
        to: i64,
    },
    /// Add to the register (a counter; an unset register counts as 0). Not idempotent: applied
    /// twice, it adds twice.
    Add(i64),
}

impl Call {
    /// Jepsen's name of the function (`:f`).
    pub fn name(self) -> &'static str {
        match self {
            Call::Read => "read",
            Call::Write(_) => "write",
            Call::Cas { .. } => "cas",
            Call::Add(_) => "add",
        }
    }
}

/// How an operation ended, as its client saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    /// It took effect; a read returns the value it saw (`None`: the key was never written).
    Ok(Option<i64>),
    /// It definitely did not take effect (a refused write, a failed compare-and-set).
    Fail,
    /// Nobody knows: the client timed out or its answer was lost. It may take effect at any
    /// time after its invocation, or never (Jepsen's `:info`).
    Info,
}

impl Completion {
    /// Jepsen's `:type` of the completion.
    pub fn name(self) -> &'static str {
        match self {
            Completion::Ok(_) => "ok",
            Completion::Fail => "fail",
            Completion::Info => "info",
        }
    }
}

/// One client operation from invocation to completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// Who invoked it.
    pub process: Process,
    /// The key it acts on.
    pub key: Key,
    /// What it asked.
    pub call: Call,
    /// When it was invoked.
    pub invoked: SimTime,
    /// When its client learnt the outcome (for [`Completion::Info`]: when it gave up).
    pub completed: SimTime,
    /// How it ended.
    pub result: Completion,
}
