//! What the GUI learns from the run as it happens, as an observer of the world: how each
//! client's requests end, and a log of the faults and instance changes. Counting into fixed
//! arrays and logging only rare events keeps it cheap on the request path; it only watches,
//! so it changes no result.

use sim_core::{SimDuration, SimTime};
use sim_models::{InstanceRef, Observer, Outcome, RequestId};
use std::collections::VecDeque;

/// The most entries the event log keeps.
pub const LOG_LENGTH: usize = 200;

/// One entry of the event log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Happening {
    /// Fault `fault` (index into the scenario's faults) started or ended.
    Fault {
        /// Its index.
        fault: u32,
        /// Started (`true`) or ended.
        started: bool,
    },
    /// An instance went down or came back up.
    Instance {
        /// Which.
        at: InstanceRef,
        /// Up (`true`) or down.
        up: bool,
    },
}

/// The GUI's observer.
#[derive(Clone, Debug, Default)]
pub struct Animator {
    /// Per client (by index): requests ended, by outcome.
    pub ended: Vec<[u64; Outcome::COUNT]>,
    /// The last [`LOG_LENGTH`] faults and instance changes, oldest first.
    pub log: VecDeque<(SimTime, Happening)>,
}

impl Animator {
    fn note(&mut self, now: SimTime, what: Happening) {
        if self.log.len() == LOG_LENGTH {
            self.log.pop_front();
        }
        self.log.push_back((now, what));
    }
}

impl Observer for Animator {
    fn request_ended(
        &mut self,
        _now: SimTime,
        _request: RequestId,
        client: u32,
        outcome: Outcome,
        _latency: SimDuration,
    ) {
        let c = client as usize;
        if self.ended.len() <= c {
            self.ended.resize(c + 1, [0; Outcome::COUNT]);
        }
        self.ended[c][outcome as usize] += 1;
    }

    fn fault_changed(&mut self, now: SimTime, fault: u32, started: bool) {
        self.note(now, Happening::Fault { fault, started });
    }

    fn instance_changed(&mut self, now: SimTime, at: InstanceRef, up: bool) {
        self.note(now, Happening::Instance { at, up });
    }
}
