//! What the GUI learns from the run as it happens, as an observer of the world: how each
//! client's requests end, a sample of the messages on each edge (the dots the topology moves
//! along it), and a log of the faults and instance changes. Counting into fixed arrays,
//! sampling messages by simulated time and logging only rare events keeps it cheap on the
//! request path; it only watches, so it changes no result.

use sim_core::{SimDuration, SimTime};
use sim_models::{ClientId, EdgeId, FaultId, InstanceRef, Message, Observer, Outcome, RequestId};
use std::collections::VecDeque;

/// The most entries the event log keeps.
pub const LOG_LENGTH: usize = 200;

/// The most message dots kept (the newest).
pub const FLIGHTS: usize = 1024;

/// What a message dot shows: a request on its way, or how a call ended as its caller saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tint {
    /// A request travelling to its service.
    Request,
    /// Answered (or answered by a fallback).
    Ok,
    /// Failed: an error, a crash, a failed dependency.
    Error,
    /// The caller stopped waiting.
    Timeout,
    /// The server shed, rejected or expired it.
    Shed,
    /// The caller's own policies refused it: it never left.
    Refused,
    /// The network lost it.
    Lost,
}

impl Tint {
    /// How many tints there are.
    pub const COUNT: usize = 7;

    /// The tint of a call that ended with `outcome`.
    pub fn of(outcome: Outcome) -> Tint {
        use Outcome as O;
        match outcome {
            O::Completed | O::Fallback => Tint::Ok,
            O::Timeout => Tint::Timeout,
            O::Shed | O::Expired | O::Rejected => Tint::Shed,
            o if o.is_local_rejection() => Tint::Refused,
            _ => Tint::Error,
        }
    }

    /// Its name in the legend.
    pub fn name(self) -> &'static str {
        match self {
            Tint::Request => "request",
            Tint::Ok => "ok",
            Tint::Error => "error",
            Tint::Timeout => "timeout",
            Tint::Shed => "shed",
            Tint::Refused => "refused",
            Tint::Lost => "lost",
        }
    }
}

/// One sampled message on an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flight {
    /// The edge.
    pub edge: EdgeId,
    /// When it left (a request) or when the caller learnt the outcome (the others).
    pub at: SimTime,
    /// How long the network takes to carry it (zero for outcomes, which the topology draws
    /// returning to the caller).
    pub travel: SimDuration,
    /// What it shows.
    pub tint: Tint,
}

/// One entry of the event log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Happening {
    /// Fault `fault` (index into the scenario's faults) started or ended.
    Fault {
        /// Which fault.
        fault: FaultId,
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
    /// The newest [`FLIGHTS`] sampled messages, oldest first.
    pub flights: VecDeque<Flight>,
    /// The least simulated time between two dots of one tint on one edge: the session sets it
    /// from the playback speed so that an edge shows a few dozen dots at any speed.
    pub gap: SimDuration,
    /// Per edge and tint, when its last dot was sampled.
    last: Vec<[Option<SimTime>; Tint::COUNT]>,
}

impl Animator {
    /// Samples a dot on `edge` at `now`, unless its tint had one less than [`gap`](Self::gap)
    /// ago.
    fn fly(&mut self, now: SimTime, edge: EdgeId, travel: SimDuration, tint: Tint) {
        let e = edge.index();
        if self.last.len() <= e {
            self.last.resize(e + 1, [None; Tint::COUNT]);
        }
        let last = &mut self.last[e][tint as usize];
        if last.is_some_and(|t| now < t + self.gap) {
            return;
        }
        *last = Some(now);
        if self.flights.len() == FLIGHTS {
            self.flights.pop_front();
        }
        self.flights.push_back(Flight {
            edge,
            at: now,
            travel,
            tint,
        });
    }

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
        client: ClientId,
        outcome: Outcome,
        _latency: SimDuration,
    ) {
        let c = client.index();
        if self.ended.len() <= c {
            self.ended.resize(c + 1, [0; Outcome::COUNT]);
        }
        self.ended[c][outcome as usize] += 1;
    }

    fn message_sent(&mut self, now: SimTime, message: Message) {
        match message.travel {
            None => self.fly(now, message.edge, SimDuration::ZERO, Tint::Lost),
            Some(travel) if message.request => self.fly(now, message.edge, travel, Tint::Request),
            // Answers are drawn when the caller takes them, with the outcome it saw.
            Some(_) => {}
        }
    }

    fn edge_resolved(&mut self, now: SimTime, edge: EdgeId, outcome: Outcome) {
        self.fly(now, edge, SimDuration::ZERO, Tint::of(outcome));
    }

    fn fault_changed(&mut self, now: SimTime, fault: FaultId, started: bool) {
        self.note(now, Happening::Fault { fault, started });
    }

    fn instance_changed(&mut self, now: SimTime, at: InstanceRef, up: bool) {
        self.note(now, Happening::Instance { at, up });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_take_the_tint_of_what_the_caller_saw() {
        assert_eq!(Tint::of(Outcome::Completed), Tint::Ok);
        assert_eq!(Tint::of(Outcome::Fallback), Tint::Ok);
        assert_eq!(Tint::of(Outcome::Timeout), Tint::Timeout);
        assert_eq!(Tint::of(Outcome::Shed), Tint::Shed);
        assert_eq!(Tint::of(Outcome::Rejected), Tint::Shed);
        assert_eq!(Tint::of(Outcome::CircuitOpen), Tint::Refused);
        assert_eq!(Tint::of(Outcome::BulkheadFull), Tint::Refused);
        assert_eq!(Tint::of(Outcome::Crashed), Tint::Error);
        assert_eq!(Tint::of(Outcome::Dependency), Tint::Error);
    }

    #[test]
    fn an_edge_gets_one_dot_of_a_tint_per_gap_and_the_newest_are_kept() {
        let mut a = Animator {
            gap: SimDuration::from_millis(10),
            ..Animator::default()
        };
        for ms in 0..100 {
            let now = SimTime(ms * 1_000_000);
            a.edge_resolved(now, EdgeId::new(0), Outcome::Completed);
            a.edge_resolved(now, EdgeId::new(1), Outcome::Completed);
            a.edge_resolved(now, EdgeId::new(1), Outcome::Timeout);
        }
        let on = |edge, tint| {
            a.flights
                .iter()
                .filter(|f| f.edge == EdgeId::new(edge) && f.tint == tint)
                .count()
        };
        assert_eq!(on(0, Tint::Ok), 10, "one every 10 ms over 100 ms");
        assert_eq!(on(1, Tint::Ok), 10);
        assert_eq!(on(1, Tint::Timeout), 10, "tints are sampled apart");
        let mut a = Animator::default();
        for ms in 0..(FLIGHTS as u64 + 10) {
            a.edge_resolved(SimTime(ms), EdgeId::new(0), Outcome::Shed);
        }
        assert_eq!(a.flights.len(), FLIGHTS);
        assert_eq!(a.flights.back().unwrap().at, SimTime(FLIGHTS as u64 + 9));
    }
}
