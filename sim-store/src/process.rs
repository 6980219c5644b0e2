//! A client process's state: its group, its zone, whom it asks, and its open operation (the
//! behaviour is in `client.rs`).

use crate::message::ClientOp;
use crate::read_modify_write::Progress;
use sim_history::OpId;

/// One client process.
#[derive(Clone, Debug)]
pub struct Process {
    /// Its group in the spec.
    pub group: u32,
    /// Its zone.
    pub zone: u16,
    /// The replica it believes leads.
    pub target: u32,
    /// Its open operation.
    pub open: Option<Open>,
    /// Operations it has done.
    pub done: u64,
    /// The last value it saw (read or wrote), for its compare-and-sets.
    pub last_seen: Option<i64>,
    /// Its read-modify-write in progress, if its group does them.
    pub rmw: Option<Progress>,
    /// The caller's tag of the operation it runs for another model, if it does.
    pub external: Option<u64>,
    /// For another model's operation: the network node and instance it comes from.
    pub at: Option<(u32, u32)>,
}

/// A process's open operation.
#[derive(Clone, Copy, Debug)]
pub struct Open {
    /// Its place in the history.
    pub id: OpId,
    /// What it asks.
    pub op: ClientOp,
    /// Resends after timeouts so far.
    pub resends: u32,
    /// Redirects after "not the leader" so far.
    pub redirects: u32,
}

impl Process {
    pub(crate) fn new(group: u32, zone: u16) -> Process {
        Process {
            group,
            zone,
            target: 0,
            open: None,
            done: 0,
            last_seen: None,
            rmw: None,
            external: None,
            at: None,
        }
    }
}
