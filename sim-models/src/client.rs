//! Clients: where requests come from.
//!
//! An open-loop client sends at a rate whatever happens to earlier requests (users on the
//! internet); a closed-loop client has a fixed number of users who each wait for an answer and
//! think before sending again (a batch job, a connection pool), so its load falls as latency rises.

use crate::rate_schedule::ArrivalSchedule;
use crate::world::Outcome;
use sim_core::{CountSeries, Histogram, Sampler, SimDuration, SimRng, SumSeries};

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
#[derive(Clone, Debug, Default)]
pub struct ClientStats {
    /// Requests sent.
    pub sent: u64,
    /// Requests answered successfully.
    pub completed: u64,
    /// Requests refused somewhere on their path because a service was full.
    pub rejected: u64,
    /// Requests that found no instance of a service up.
    pub unavailable: u64,
    /// Requests lost when an instance holding them crashed.
    pub crashed: u64,
    /// Requests failed by an injected error.
    pub injected: u64,
    /// Time from sending to the answer (nanoseconds), successful requests only.
    pub latency: Histogram,
}

/// Per-bucket series of a client.
#[derive(Clone, Debug)]
pub struct ClientSeries {
    /// Requests sent per bucket.
    pub sent: CountSeries,
    /// Successful answers per bucket.
    pub completed: CountSeries,
    /// Failed requests per bucket, whatever the kind.
    pub errors: CountSeries,
    /// Sum of end-to-end latencies of the answers in each bucket (ns).
    pub latency_sum: SumSeries,
}

/// One client during a run.
#[derive(Clone, Debug)]
pub struct Client {
    /// Its name in the scenario.
    pub name: String,
    /// Open or closed loop.
    pub kind: ClientKind,
    /// Index of the service it sends to.
    pub target: u32,
    /// Summary statistics since the warm-up.
    pub stats: ClientStats,
    /// Time series over the whole run.
    pub series: ClientSeries,
}

impl ClientStats {
    /// Counts a request that ended with the error `outcome`.
    pub(crate) fn count_error(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Rejected => self.rejected += 1,
            Outcome::Unavailable => self.unavailable += 1,
            Outcome::Crashed => self.crashed += 1,
            Outcome::Injected => self.injected += 1,
            Outcome::Completed => self.completed += 1,
        }
    }

    /// Requests that ended with the error `outcome`.
    pub fn errors(&self, outcome: Outcome) -> u64 {
        match outcome {
            Outcome::Rejected => self.rejected,
            Outcome::Unavailable => self.unavailable,
            Outcome::Crashed => self.crashed,
            Outcome::Injected => self.injected,
            Outcome::Completed => 0,
        }
    }
}

impl Client {
    pub(crate) fn new(name: String, kind: ClientKind, target: u32, bucket: SimDuration) -> Self {
        Client {
            name,
            kind,
            target,
            stats: ClientStats::default(),
            series: ClientSeries {
                sent: CountSeries::new(bucket),
                completed: CountSeries::new(bucket),
                errors: CountSeries::new(bucket),
                latency_sum: SumSeries::new(bucket),
            },
        }
    }

    /// "open" or "closed", for reports.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ClientKind::Open { .. } => "open",
            ClientKind::Closed { .. } => "closed",
        }
    }

    pub(crate) fn reset_stats(&mut self) {
        self.stats.sent = 0;
        self.stats.completed = 0;
        self.stats.rejected = 0;
        self.stats.unavailable = 0;
        self.stats.crashed = 0;
        self.stats.injected = 0;
        self.stats.latency.clear();
    }
}
