//! What the report and the time series say, recorded by an observer: each client's requests
//! (sent, how they ended, end-to-end latency), each edge's calls and attempts as their callers
//! saw them, how each service's callers saw their calls to it end (goodput, errors, wasted
//! answers), what each service's servers measured (arrivals, completions, latency and wait at
//! the server, sheds, queue and busy levels: [`ServerStatistics`]), each policy edge's retries
//! and refusals per bucket, and the SLOs' counts of their clients' requests.
//!
//! [`Statistics`] is fed by the world's hooks alone, like any [`Observer`]; the world keeps it
//! in a slot of its own (`World<O, S = Statistics>`), so every run has it beside whatever else
//! watches, and a lean run (`S = ()`) records none of it. What the operations machinery counts
//! (autoscaler, health checks, caches, server policies' levels) the services still keep (see
//! ARCHITECTURE.md).

use crate::client::{ClientSeries, ClientStats};
use crate::edge::EdgeStats;
use crate::ids::{indexed_by, ClientId, EdgeId, ServiceId};
use crate::observer::{InstanceRef, Observer, RequestId};
use crate::outcome::{Outcome, OutcomeCounts, ShedReason};
use crate::server_statistics::ServerStatistics;
use crate::slo::SloTrack;
use sim_core::{CountSeries, SimDuration, SimTime};

/// One client's figures: its summary since the warm-up and its series over the whole run.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientStatistics {
    /// Summary statistics since the warm-up.
    pub stats: ClientStats,
    /// Time series over the whole run.
    pub series: ClientSeries,
}

/// What a service's callers saw of it: how their calls to it ended since the warm-up, the
/// answers nobody used, and both per bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceCalls {
    /// How calls to it ended since the warm-up, as their callers saw them (each attempt
    /// through policies); `Completed` is goodput.
    pub outcomes: OutcomeCounts,
    /// Successful answers nobody used since the warm-up: the caller had given up, or the
    /// answer was lost.
    pub wasted: u64,
    /// The same per bucket, over the whole run.
    pub series: ServiceCallSeries,
}

impl ServiceCalls {
    /// Calls to it that ended with `outcome`, as their callers saw them.
    pub fn outcome(&self, outcome: Outcome) -> u64 {
        self.outcomes[outcome as usize]
    }
}

/// [`ServiceCalls`] per bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceCallSeries {
    /// Successful answers received by callers still waiting, per bucket.
    pub goodput: CountSeries,
    /// Failed calls per bucket, whatever the kind.
    pub errors: CountSeries,
    /// Failed calls per bucket by kind, indexed like [`Outcome::ERRORS`].
    pub errors_by_kind: Vec<CountSeries>,
    /// Successful answers nobody used, per bucket.
    pub wasted: CountSeries,
}

impl ServiceCallSeries {
    fn new(bucket: SimDuration) -> Self {
        ServiceCallSeries {
            goodput: CountSeries::new(bucket),
            errors: CountSeries::new(bucket),
            errors_by_kind: vec![CountSeries::new(bucket); Outcome::ERRORS.len()],
            wasted: CountSeries::new(bucket),
        }
    }

    /// Series that keep nothing, every one named.
    fn disabled() -> Self {
        ServiceCallSeries {
            goodput: CountSeries::disabled(),
            errors: CountSeries::disabled(),
            errors_by_kind: vec![CountSeries::disabled(); Outcome::ERRORS.len()],
            wasted: CountSeries::disabled(),
        }
    }
}

// Each table of the statistics is addressed by the id of what it describes, like the world's.
indexed_by!(ClientId, ClientStatistics);
indexed_by!(EdgeId, EdgeStats);
indexed_by!(ServiceId, ServiceCalls);
indexed_by!(ServiceId, ServerStatistics);

/// What [`Statistics`] are made for: the time series' bucket, how many clients, how many
/// instances each service has, which edges (all of them, in order) have policies, and the SLOs'
/// empty tracks.
pub(crate) struct StatisticsShape<'a> {
    pub(crate) bucket: SimDuration,
    pub(crate) clients: usize,
    pub(crate) instances: Vec<usize>,
    pub(crate) policies: &'a [bool],
    pub(crate) slos: Vec<SloTrack>,
}

/// The statistics of a run: the callers' and what the servers measured (see the module's
/// documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct Statistics {
    /// Per client, in name order.
    pub clients: Vec<ClientStatistics>,
    /// Per edge (as [`World::edges`](crate::World::edges)), since the warm-up.
    pub edges: Vec<EdgeStats>,
    /// Per service, in name order: how its callers saw their calls to it end.
    pub services: Vec<ServiceCalls>,
    /// Per service, in name order: what its servers measured.
    pub servers: Vec<ServerStatistics>,
    /// The scenario's SLOs, counting their clients' requests from the start of the run.
    pub slos: Vec<SloTrack>,
    /// Per edge with policies: calls its layers refused per bucket, by reason (indexed like
    /// [`Outcome::LOCAL_REJECTIONS`], then retries a budget stopped); empty for other edges.
    pub rejection_series: Vec<Vec<CountSeries>>,
    /// Per edge: retries (and hedges) sent per bucket.
    pub retry_series: Vec<CountSeries>,
}

impl Statistics {
    /// Empty statistics of `shape`. (Outside the crate:
    /// [`World::empty_statistics`](crate::World::empty_statistics), which cannot get the
    /// shape wrong.)
    pub(crate) fn new(shape: StatisticsShape) -> Statistics {
        let StatisticsShape {
            bucket,
            clients,
            instances,
            policies,
            slos,
        } = shape;
        let service = ServiceCalls {
            outcomes: OutcomeCounts::default(),
            wasted: 0,
            series: ServiceCallSeries::new(bucket),
        };
        let client = ClientStatistics {
            stats: ClientStats::default(),
            series: ClientSeries::new(bucket),
        };
        let reasons = Outcome::LOCAL_REJECTIONS.len() + 1;
        Statistics {
            clients: vec![client; clients],
            edges: vec![EdgeStats::default(); policies.len()],
            services: vec![service; instances.len()],
            servers: (instances.iter())
                .map(|&n| ServerStatistics::new(bucket, n))
                .collect(),
            slos,
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

    /// Keeps no time series from now on (see [`crate::World::disable_series`]).
    pub fn disable_series(&mut self) {
        for c in &mut self.clients {
            c.series = ClientSeries::disabled();
        }
        for s in &mut self.services {
            s.series = ServiceCallSeries::disabled();
        }
        for s in &mut self.servers {
            s.disable_series();
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
        let c = &mut self.clients[client];
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
        let c = &mut self.clients[client];
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
        if !self.slos.is_empty() {
            for t in self.slos.iter_mut().filter(|t| t.client == client) {
                t.record(now, outcome, latency);
            }
        }
    }

    #[inline]
    fn edge_requested(&mut self, _now: SimTime, edge: EdgeId) {
        self.edges[edge].requests += 1;
    }

    #[inline]
    fn edge_attempted(&mut self, _now: SimTime, edge: EdgeId) {
        self.edges[edge].attempts += 1;
    }

    #[inline]
    fn retried(&mut self, now: SimTime, edge: EdgeId, _attempt: u32) {
        self.edges[edge].retries += 1;
        self.retry_series[edge.index()].add(now, 1);
    }

    #[inline]
    fn edge_resolved(&mut self, _now: SimTime, edge: EdgeId, outcome: Outcome) {
        self.edges[edge].outcomes[outcome as usize] += 1;
    }

    #[inline]
    fn edge_abandoned(&mut self, _now: SimTime, edge: EdgeId) {
        self.edges[edge].abandoned += 1;
    }

    #[inline]
    fn answer_late(&mut self, now: SimTime, edge: EdgeId, service: ServiceId, outcome: Outcome) {
        self.edges[edge].late += 1;
        if outcome == Outcome::Completed {
            let s = &mut self.services[service];
            s.wasted += 1;
            s.series.wasted.add(now, 1);
        }
    }

    #[inline]
    fn service_answered(&mut self, now: SimTime, service: ServiceId, outcome: Outcome) {
        let s = &mut self.services[service];
        s.outcomes[outcome as usize] += 1;
        if outcome == Outcome::Completed {
            s.series.goodput.add(now, 1);
        } else {
            s.series.errors.add(now, 1);
            // `Outcome::ERRORS` lists every outcome after `Completed`, in declaration order.
            s.series.errors_by_kind[outcome as usize - 1].add(now, 1);
        }
    }

    #[inline]
    fn publish_lost(&mut self, _now: SimTime, edge: EdgeId) {
        self.edges[edge].lost += 1;
    }

    #[inline]
    fn refused(&mut self, now: SimTime, edge: EdgeId, reason: Outcome) {
        if let Some(k) = Outcome::LOCAL_REJECTIONS.iter().position(|&o| o == reason) {
            self.edges[edge].local_rejections[k] += 1;
            self.rejection_series[edge.index()][k].add(now, 1);
        }
    }

    #[inline]
    fn retry_denied(&mut self, now: SimTime, edge: EdgeId) {
        self.edges[edge].budget_exhausted += 1;
        self.rejection_series[edge.index()][Outcome::LOCAL_REJECTIONS.len()].add(now, 1);
    }

    #[inline]
    fn server_arrival(&mut self, now: SimTime, at: InstanceRef, up: bool) {
        self.servers[at.service].arrival(now, at.instance, up);
    }

    #[inline]
    fn server_black_holed(&mut self, _now: SimTime, at: InstanceRef) {
        self.servers[at.service].stats.black_holed += 1;
    }

    #[inline]
    fn server_expired(&mut self, _now: SimTime, at: InstanceRef) {
        self.servers[at.service].stats.dropped_expired += 1;
    }

    #[inline]
    fn server_shed(&mut self, now: SimTime, at: InstanceRef, reason: ShedReason) {
        self.servers[at.service].shed(now, reason);
    }

    #[inline]
    fn server_waited(&mut self, _now: SimTime, at: InstanceRef, waited: SimDuration) {
        self.servers[at.service]
            .stats
            .wait
            .record(waited.as_nanos());
    }

    #[inline]
    fn server_completed(&mut self, now: SimTime, at: InstanceRef, latency: SimDuration) {
        self.servers[at.service].completed(now, at.instance, latency);
    }

    #[inline]
    fn server_busy(&mut self, now: SimTime, at: InstanceRef, busy: u32, total: u64) {
        self.servers[at.service].busy(now, at.instance, busy, total);
    }

    #[inline]
    fn server_queued(&mut self, now: SimTime, service: ServiceId, queued: u64) {
        self.servers[service].queued(now, queued);
    }

    #[inline]
    fn server_parked(&mut self, now: SimTime, service: ServiceId, parked: u64) {
        self.servers[service].stats.parked.set(now, parked);
    }

    fn warmup_ended(&mut self, now: SimTime) {
        for c in &mut self.clients {
            c.stats = ClientStats::default();
        }
        for e in &mut self.edges {
            *e = EdgeStats::default();
        }
        for s in &mut self.services {
            (s.outcomes, s.wasted) = (OutcomeCounts::default(), 0);
        }
        for s in &mut self.servers {
            s.reset(now);
        }
    }

    fn run_ended(&mut self, end: SimTime) {
        for c in &mut self.clients {
            c.series.latency_quantiles.finish(end);
        }
        for s in &mut self.servers {
            s.finish(end);
        }
    }
}
