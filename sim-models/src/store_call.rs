//! A service's step that reads or writes a replicated store: `Store(store: "kv", op: Write)`.
//! A request's steps on one store work on one key (drawn by the store's key choice at the
//! first), so `Read` then `Cas` is a read-modify-write that fails if another wrote between.
//! The store runs the operation as one of its own client processes would (leader hints,
//! resends, the history the checker judges); the request waits for the answer, and goes on
//! if it took effect. What the store cannot confirm fails the request: a refusal or no leader
//! with `dependency`, an operation nobody answered with `timeout` (unless `optional`).
//!
//! The store runs inside the services' run when a service calls it (`world/store_call.rs`), so
//! both share one clock; stores nobody calls run on their own as before.

use serde::{Deserialize, Serialize};
use sim_core::SimDuration;
use sim_store::ExternalCall;

/// The most resends a store step may ask for.
pub const MAX_STORE_RETRIES: u32 = 100;

/// A step's operation; the key follows the store's own `keys` and `key_choice`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreOp {
    /// Read a key.
    Read,
    /// Write a fresh value.
    Write,
    /// Compare-and-set to a fresh value from the value this request last saw on its key (read
    /// or written by an earlier step; 0 if none): `Read` then `Cas` is a read-modify-write.
    Cas,
    /// Add to a key's counter: not idempotent, so a resend without a key may apply it twice.
    Add(i64),
}

impl StoreOp {
    /// The store's own name for it, in a request that last saw `seen` on its key.
    pub fn external(self, seen: Option<i64>) -> ExternalCall {
        match self {
            StoreOp::Read => ExternalCall::Read,
            StoreOp::Write => ExternalCall::Write,
            StoreOp::Cas => ExternalCall::Cas {
                from: seen.unwrap_or(0),
            },
            StoreOp::Add(d) => ExternalCall::Add(d),
        }
    }
}

/// `Store(store: "kv", op: Write, timeout: "200ms", retries: 1, idempotency_keys: true)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreStep {
    /// The store, by name in `stores`.
    pub store: String,
    /// What to do.
    pub op: StoreOp,
    /// How long each attempt waits for the store's answer (default 1 s).
    #[serde(default = "default_timeout")]
    pub timeout: SimDuration,
    /// Resends after a timeout (default none).
    #[serde(default)]
    pub retries: u32,
    /// Whether resends carry the operation's idempotency key.
    #[serde(default)]
    pub idempotency_keys: bool,
    /// A failure of this step does not fail the request.
    #[serde(default)]
    pub optional: bool,
}

fn default_timeout() -> SimDuration {
    SimDuration::from_secs(1)
}

/// The step's problems: (field, message).
pub fn check_store_step(step: &StoreStep) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if step.timeout == SimDuration::ZERO {
        out.push(("timeout".into(), "must be more than 0".into()));
    }
    if step.retries > MAX_STORE_RETRIES {
        out.push((
            "retries".into(),
            format!("at most {MAX_STORE_RETRIES} resends, got {}", step.retries),
        ));
    }
    out
}
