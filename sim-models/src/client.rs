//! Clients: where requests come from.
//!
//! An open-loop client sends at a rate whatever happens to earlier requests (users on the
//! internet); a closed-loop client has a fixed number of users who each wait for an answer and
//! think before sending again (a batch job, a connection pool), so its load falls as latency rises.

use crate::ids::{indexed_by, ClientId, ServiceId};
use crate::outcome::{Outcome, OutcomeCounts};
use crate::rate_schedule::ArrivalSchedule;
use sim_core::{CountSeries, Histogram, QuantileSeries, Sampler, SimDuration, SimRng, SumSeries};

/// How a client generates requests.
#[derive(Clone, Debug)]
pub enum ClientKind {
    /// Sends at a (possibly scheduled) rate.
    Open {
        /// The arrival process.
        schedule: ArrivalSchedule,
        /// Stream for arrival gaps.
        rng: SimRng,
    },
    /// `users` users, each waiting for an answer and then thinking.
    Closed {
        /// Number of users.
        users: u32,
        /// Think time between an answer and the next request.
        think_time: Sampler,
        /// Stream for think times.
        rng: SimRng,
    },
}

/// End-to-end statistics of a client since the warm-up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientStats {
    /// Requests sent.
    pub sent: u64,
    /// How its requests ended, indexed by `Outcome as usize`.
    pub outcomes: OutcomeCounts,
    /// Time from sending to the answer (nanoseconds), successful requests only.
    pub latency: Histogram,
}

/// Per-bucket series of a client.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientSeries {
    /// Requests sent per bucket.
    pub sent: CountSeries,
    /// Successful answers per bucket.
    pub completed: CountSeries,
    /// Failed requests per bucket, whatever the kind.
    pub errors: CountSeries,
    /// Sum of end-to-end latencies of the answers in each bucket (ns).
    pub latency_sum: SumSeries,
    /// p50, p90 and p99 of the end-to-end latencies of the answers in each bucket.
    pub latency_quantiles: QuantileSeries,
}

/// One client during a run.
#[derive(Clone, Debug)]
pub struct Client {
    /// Its name in the scenario.
    pub name: String,
    /// Open or closed loop.
    pub kind: ClientKind,
    /// The service it sends to.
    pub target: ServiceId,
}

impl ClientStats {
    /// Requests answered successfully.
    pub fn completed(&self) -> u64 {
        self.outcomes[Outcome::Completed as usize]
    }

    /// Requests that ended with `outcome`.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.outcomes[outcome as usize]
    }
}

impl ClientSeries {
    /// Empty series in buckets of `bucket`.
    pub(crate) fn new(bucket: SimDuration) -> Self {
        ClientSeries {
            sent: CountSeries::new(bucket),
            completed: CountSeries::new(bucket),
            errors: CountSeries::new(bucket),
            latency_sum: SumSeries::new(bucket),
            latency_quantiles: QuantileSeries::new(bucket),
        }
    }

    /// Series that keep nothing (see [`crate::World::disable_series`]), every one named.
    pub(crate) fn disabled() -> Self {
        ClientSeries {
            sent: CountSeries::disabled(),
            completed: CountSeries::disabled(),
            errors: CountSeries::disabled(),
            latency_sum: SumSeries::disabled(),
            latency_quantiles: QuantileSeries::disabled(),
        }
    }
}

indexed_by!(ClientId, Client);

impl Client {
    pub(crate) fn new(name: String, kind: ClientKind, target: ServiceId) -> Self {
        Client { name, kind, target }
    }

    /// "open" or "closed", for reports.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ClientKind::Open { .. } => "open",
            ClientKind::Closed { .. } => "closed",
        }
    }
}
