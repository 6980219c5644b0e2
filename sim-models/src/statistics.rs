//! What the report and the time series say about callers, recorded by an observer: each
//! client's requests (sent, how they ended, end-to-end latency), each edge's calls and attempts
//! as their callers saw them, and each policy edge's retries and refusals per bucket.
//!
//! [`Statistics`] is fed by the world's hooks alone, like any [`Observer`]; the world keeps it
//! in a slot of its own (`World<O, S = Statistics>`), so every run has it beside whatever else
//! watches, and a lean run (`S = ()`) records none of it. The services' own figures are still
//! kept by the world itself (see ARCHITECTURE.md).

use crate::client::{ClientSeries, ClientStats};
use crate::edge::EdgeStats;
use crate::ids::{ClientId, EdgeId, ServiceId};
use crate::observer::{Observer, RequestId};
use crate::outcome::Outcome;
use sim_core::{CountSeries, QuantileSeries, SimDuration, SimTime, SumSeries};

/// One client's figures: its summary since the warm-up and its series over the whole run.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientStatistics {
    /// Summary statistics since the warm-up.
    pub stats: ClientStats,
    /// Time series over the whole run.
    pub series: ClientSeries,
}

/// The callers' statistics of a run (see the module's documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct Statistics {
    /// Per client, in name order.
    pub clients: Vec<ClientStatistics>,
    /// Per edge (as [`World::edges`](crate::World::edges)), since the warm-up.
    pub edges: Vec<EdgeStats>,
    /// Per edge with policies: calls its layers refused per bucket, by reason (indexed like
    /// [`Outcome::LOCAL_REJECTIONS`], then retries a budget stopped); empty for other edges.
    pub rejection_series: Vec<Vec<CountSeries>>,
    /// Per edge: retries (and hedges) sent per bucket.
    pub retry_series: Vec<CountSeries>,
}

impl Statistics {
    /// Statistics for `clients` clients and for the edges whose `policies` flags are given
    /// (one per edge), with time series in buckets of `bucket`. (Outside the crate:
    /// [`World::empty_statistics`](crate::World::empty_statistics), which cannot get the
    /// shape wrong.)
    pub(crate) fn new(bucket: SimDuration, clients: usize, policies: &[bool]) -> Statistics {
        let client = ClientStatistics {
            stats: ClientStats::default(),
            series: ClientSeries {
                sent: CountSeries::new(bucket),
                completed: CountSeries::new(bucket),
                errors: CountSeries::new(bucket),
                latency_sum: SumSeries::new(bucket),
                latency_quantiles: QuantileSeries::new(bucket),
            },
        };
        let reasons = Outcome::LOCAL_REJECTIONS.len() + 1;
        Statistics {
            clients: vec![client; clients],
            edges: vec![EdgeStats::default(); policies.len()],
            rejection_series: (policies.iter())
                .map(|&p| {
                    if p {
                        vec![CountSeries::new(bucket); reasons]
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
            retry_series: vec![CountSeries::new(bucket); policies.len()],
        }
    }

    /// Keeps no time series from now on (see [`crate::World::disable_series`]); every series is
    /// named, so that one added to a struct cannot be forgotten here.
    pub fn disable_series(&mut self) {
        for c in &mut self.clients {
            c.series = ClientSeries {
                sent: CountSeries::disabled(),
                completed: CountSeries::disabled(),
                errors: CountSeries::disabled(),
                latency_sum: SumSeries::disabled(),
                latency_quantiles: QuantileSeries::disabled(),
            };
        }
        for s in (self.rejection_series.iter_mut().flatten()).chain(&mut self.retry_series) {
            *s = CountSeries::disabled();
        }
    }
}

/// What a world keeps its statistics in: [`Statistics`], or `()` for a lean run that records
/// none of them (and has no report).
pub trait StatisticsSlot: Observer {
    /// Keeps no time series from now on.
    fn disable_series(&mut self) {}
}

impl StatisticsSlot for () {}

impl StatisticsSlot for Statistics {
    fn disable_series(&mut self) {
        Statistics::disable_series(self);
    }
}

impl Observer for Statistics {
    #[inline]
    fn request_sent(
        &mut self,
        now: SimTime,
        _request: RequestId,
        client: ClientId,
        _edge: EdgeId,
        _service: ServiceId,
    ) {
        let c = &mut self.clients[client.index()];
        c.stats.sent += 1;
        c.series.sent.add(now, 1);
    }

    #[inline]
    fn request_ended(
        &mut self,
        now: SimTime,
        _request: RequestId,
        client: ClientId,
        outcome: Outcome,
        latency: SimDuration,
    ) {
        let c = &mut self.clients[client.index()];
        if outcome == Outcome::Completed {
            let latency = latency.as_nanos();
            c.stats.latency.record(latency);
            c.series.completed.add(now, 1);
            c.series.latency_sum.add(now, latency as u128);
            c.series.latency_quantiles.record(now, latency);
        } else if outcome.is_error() {
            c.series.errors.add(now, 1);
        }
        c.stats.outcomes[outcome as usize] += 1;
    }

    #[inline]
    fn edge_requested(&mut self, _now: SimTime, edge: EdgeId) {
        self.edges[edge.index()].requests += 1;
    }

    #[inline]
    fn edge_attempted(&mut self, _now: SimTime, edge: EdgeId) {
        self.edges[edge.index()].attempts += 1;
    }

    #[inline]
    fn retried(&mut self, now: SimTime, edge: EdgeId, _attempt: u32) {
        self.edges[edge.index()].retries += 1;
        self.retry_series[edge.index()].add(now, 1);
    }

    #[inline]
    fn edge_resolved(&mut self, _now: SimTime, edge: EdgeId, outcome: Outcome) {
        self.edges[edge.index()].outcomes[outcome as usize] += 1;
    }

    #[inline]
    fn edge_abandoned(&mut self, _now: SimTime, edge: EdgeId) {
        self.edges[edge.index()].abandoned += 1;
    }

    #[inline]
    fn answer_late(&mut self, _now: SimTime, edge: EdgeId, _outcome: Outcome) {
        self.edges[edge.index()].late += 1;
    }

    #[inline]
    fn publish_lost(&mut self, _now: SimTime, edge: EdgeId) {
        self.edges[edge.index()].lost += 1;
    }

    #[inline]
    fn refused(&mut self, now: SimTime, edge: EdgeId, reason: Outcome) {
        if let Some(k) = Outcome::LOCAL_REJECTIONS.iter().position(|&o| o == reason) {
            self.edges[edge.index()].local_rejections[k] += 1;
            self.rejection_series[edge.index()][k].add(now, 1);
        }
    }

    #[inline]
    fn retry_denied(&mut self, now: SimTime, edge: EdgeId) {
        self.edges[edge.index()].budget_exhausted += 1;
        self.rejection_series[edge.index()][Outcome::LOCAL_REJECTIONS.len()].add(now, 1);
    }

    fn warmup_ended(&mut self, _now: SimTime) {
        for c in &mut self.clients {
            c.stats = ClientStats::default();
        }
        for e in &mut self.edges {
            *e = EdgeStats::default();
        }
    }

    fn run_ended(&mut self, end: SimTime) {
        for c in &mut self.clients {
            c.series.latency_quantiles.finish(end);
        }
    }
}
