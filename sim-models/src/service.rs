//! A service: one or more identical instances behind a load balancer, each with `workers` servers
//! in front of one FIFO queue, optionally bounded.
//!
//! One instance is the station of queueing theory (M/M/c, M/M/c/K, M/G/1, …). The service decides
//! what happens to an arriving request (which instance; start, queue or reject there) and which
//! queued request a freed worker takes next; the [`World`](crate::World) schedules the events.

use crate::call::{CallId, Origin, Outcome, OutcomeCounts};
use crate::fault::FailureMode;
use crate::instance::Instance;
use crate::load_balancer::{Balancer, LoadBalancer};
use crate::outlier_detection::{EjectionCounts, HostResult, OutlierDetector, OutlierSpec};
use crate::policy::{PolicyLevel, ServerArrival, ServerLayer, ShedReason};
use crate::program::Program;
use crate::scenario::{Concurrency, DeadlineSpec};
use crate::wait_queue::Waiting;
use sim_core::{
    CountSeries, Gauge, Histogram, LevelSeries, SimDuration, SimRng, SimTime, SumSeries,
};

/// What happens to a request that reaches an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// It is accepted; `doomed` if an injected failure will fail it when it finishes.
    Admitted {
        /// Whether an injected (slow) failure fails it at the end.
        doomed: bool,
    },
    /// The instance is down: the connection is refused.
    Down,
    /// The instance is at capacity.
    Rejected,
    /// Its deadline has passed and the service drops expired work.
    Expired,
    /// An injected failure fails it at once.
    Injected,
    /// The instance swallows it and never answers.
    BlackHoled,
    /// A server policy sheds it.
    Shed,
}

/// Summary statistics of a service (all its instances) since the end of the warm-up.
#[derive(Clone, Debug, Default)]
pub struct ServiceStats {
    /// Requests that reached an instance (refused ones included).
    pub arrivals: u64,
    /// Requests its instances finished successfully (whether or not anyone still waited).
    pub completed: u64,
    /// How calls to it ended, as their callers saw them; `Completed` is goodput.
    pub outcomes: OutcomeCounts,
    /// Successful answers nobody used: the caller had given up, or the answer was lost.
    pub wasted: u64,
    /// Requests swallowed by a black hole.
    pub black_holed: u64,
    /// Requests dropped unserved because their deadline had passed (`drop_expired`).
    pub dropped_expired: u64,
    /// Requests its server policies shed, by reason (indexed like [`ShedReason::ALL`]).
    pub shed: [u64; ShedReason::COUNT],
    /// Time from arrival to completion at the server (nanoseconds).
    pub latency: Histogram,
    /// Time from joining a queue to getting a worker (nanoseconds).
    pub wait: Histogram,
    /// Requests waiting, over all instances.
    pub queued: Gauge,
    /// Workers busy, over all instances.
    pub busy: Gauge,
    /// Requests of an `Async` service waiting on calls without a worker.
    pub parked: Gauge,
}

impl ServiceStats {
    /// Calls to it that ended with `outcome`, as their callers saw them.
    pub fn outcome(&self, outcome: Outcome) -> u64 {
        self.outcomes[outcome as usize]
    }
}

/// Per-bucket time series of a service over the whole run.
#[derive(Clone, Debug)]
pub struct ServiceSeries {
    /// Arrivals per bucket.
    pub arrivals: CountSeries,
    /// Completions at the server per bucket.
    pub completed: CountSeries,
    /// Successful answers received by callers still waiting, per bucket.
    pub goodput: CountSeries,
    /// Failed calls per bucket, whatever the kind.
    pub errors: CountSeries,
    /// Failed calls per bucket by kind, indexed like [`Outcome::ERRORS`].
    pub errors_by_kind: Vec<CountSeries>,
    /// Successful answers nobody used, per bucket.
    pub wasted: CountSeries,
    /// Sum of latencies of the requests completed in each bucket (ns).
    pub latency_sum: SumSeries,
    /// Queue length over all instances, time-averaged per bucket.
    pub queued: LevelSeries,
    /// Busy workers over all instances, time-averaged per bucket.
    pub busy: LevelSeries,
    /// Requests shed by its server policies per bucket, by reason (indexed like
    /// [`ShedReason::ALL`]).
    pub shed: Vec<CountSeries>,
}

impl ServiceSeries {
    fn new(bucket: SimDuration) -> Self {
        ServiceSeries {
            arrivals: CountSeries::new(bucket),
            completed: CountSeries::new(bucket),
            goodput: CountSeries::new(bucket),
            errors: CountSeries::new(bucket),
            errors_by_kind: Outcome::ERRORS
                .iter()
                .map(|_| CountSeries::new(bucket))
                .collect(),
            wasted: CountSeries::new(bucket),
            latency_sum: SumSeries::new(bucket),
            queued: LevelSeries::new(bucket),
            busy: LevelSeries::new(bucket),
            shed: vec![CountSeries::new(bucket); ShedReason::COUNT],
        }
    }
}

/// The state of one service during a run.
#[derive(Clone, Debug)]
pub struct Service {
    /// Its name in the scenario.
    pub name: String,
    /// Workers per instance, as configured.
    pub workers: u32,
    /// Its instances.
    pub instances: Vec<Instance>,
    /// Its steps, compiled.
    pub(crate) program: Program,
    /// Whether waiting on a call holds a worker.
    pub(crate) concurrency: Concurrency,
    /// What it does with deadlines.
    pub(crate) deadlines: DeadlineSpec,
    /// Message sizes, for links with a bandwidth.
    pub(crate) request_bytes: u64,
    pub(crate) response_bytes: u64,
    balancer: Balancer,
    service_rng: SimRng,
    /// Cumulative probabilities, the next service and the edge to it; past the last, the
    /// request leaves.
    routes: Vec<(f64, u32, u32)>,
    routing_rng: SimRng,
    /// Factors of the slowdowns in force.
    slowdowns: Vec<f64>,
    /// Failure probabilities and modes of the error injections in force.
    injections: Vec<(f64, FailureMode)>,
    /// Corruption probabilities of the corrupted-response faults in force.
    corruptions: Vec<f64>,
    errors_rng: SimRng,
    /// Instances up now.
    up_count: usize,
    /// Instances up and not ejected now: the load balancer's candidates.
    eligible: usize,
    /// Envoy outlier detection at its load balancer, if configured.
    outlier: Option<OutlierDetector>,
    outlier_rng: SimRng,
    /// Instances ejected, over time (a level in `server_levels`' last place when on).
    ejected_level: Option<PolicyLevel>,
    /// Requests queued, workers busy and async requests parked, over all instances.
    queued_total: u64,
    busy_total: u64,
    parked_total: u64,
    /// Whether its instances run server policies.
    has_policies: bool,
    /// Whether anything learns how its requests end (server policies, outlier detection).
    pub(crate) watched: bool,
    /// Draws of its server policies.
    server_rng: SimRng,
    /// Calls its policies shed during the current event, for the world to answer.
    pub(crate) shed: Vec<CallId>,
    /// Each server policy's level over time, summed over the instances.
    pub server_levels: Vec<PolicyLevel>,
    /// Summary statistics since the warm-up.
    pub stats: ServiceStats,
    /// Time series over the whole run.
    pub series: ServiceSeries,
}

/// Everything needed to build a [`Service`]; the identities of its random streams derive from
/// `name`.
pub(crate) struct ServiceParts {
    pub(crate) name: String,
    pub(crate) instances: u32,
    pub(crate) zones: Vec<u16>,
    pub(crate) workers: u32,
    pub(crate) capacity: Option<u64>,
    pub(crate) load_balancer: LoadBalancer,
    pub(crate) program: Program,
    pub(crate) concurrency: Concurrency,
    pub(crate) deadlines: DeadlineSpec,
    pub(crate) request_bytes: u64,
    pub(crate) response_bytes: u64,
    pub(crate) routes: Vec<(f64, u32, u32)>,
    pub(crate) service_rng: SimRng,
    pub(crate) routing_rng: SimRng,
    pub(crate) balancer_rng: SimRng,
    pub(crate) errors_rng: SimRng,
    pub(crate) bucket: SimDuration,
    /// Its server policies, one copy per instance.
    pub(crate) server_layers: Vec<ServerLayer>,
    /// Priority classes of its queue (1: none).
    pub(crate) classes: usize,
    pub(crate) server_rng: SimRng,
    /// Outlier detection at its load balancer.
    pub(crate) outlier: Option<OutlierSpec>,
    pub(crate) outlier_rng: SimRng,
}

impl Service {
    /// Fails, instead of aborting the process, when the machine cannot hold its instances.
    pub(crate) fn new(p: ServiceParts) -> Result<Self, std::collections::TryReserveError> {
        let watched = !p.server_layers.is_empty() || p.outlier.is_some();
        let mut instances = Vec::new();
        instances.try_reserve_exact(p.instances as usize)?;
        instances.extend((0..p.instances as usize).map(|i| {
            let mut inst = Instance::new(p.workers, p.capacity, p.classes, p.server_layers.clone());
            if !p.zones.is_empty() {
                inst.zone = p.zones[i % p.zones.len()];
            }
            inst
        }));
        Ok(Service {
            name: p.name,
            workers: p.workers,
            instances,
            program: p.program,
            concurrency: p.concurrency,
            deadlines: p.deadlines,
            request_bytes: p.request_bytes,
            response_bytes: p.response_bytes,
            balancer: Balancer::new(p.load_balancer, p.balancer_rng),
            service_rng: p.service_rng,
            routes: p.routes,
            routing_rng: p.routing_rng,
            slowdowns: Vec::new(),
            injections: Vec::new(),
            corruptions: Vec::new(),
            errors_rng: p.errors_rng,
            up_count: p.instances as usize,
            eligible: p.instances as usize,
            ejected_level: p
                .outlier
                .as_ref()
                .map(|_| PolicyLevel::new("outlier_ejected", p.bucket)),
            outlier: p
                .outlier
                .map(|spec| OutlierDetector::new(spec, p.instances as usize)),
            outlier_rng: p.outlier_rng,
            queued_total: 0,
            busy_total: 0,
            parked_total: 0,
            has_policies: !p.server_layers.is_empty(),
            watched,
            server_rng: p.server_rng,
            shed: Vec::new(),
            server_levels: p
                .server_layers
                .iter()
                .map(|l| PolicyLevel::new(l.name(), p.bucket))
                .collect(),
            stats: ServiceStats::default(),
            series: ServiceSeries::new(p.bucket),
        })
    }

    /// Requests here now, in service, queued or parked, over all instances.
    pub fn in_system(&self) -> u64 {
        self.busy_total + self.queued_total + self.parked_total
    }

    /// Workers busy now, over all instances.
    pub fn busy_workers(&self) -> u64 {
        self.busy_total
    }

    /// Requests queued now, over all instances.
    pub fn queue_length(&self) -> u64 {
        self.queued_total
    }

    /// Workers configured over all instances: the denominator of utilisation.
    pub fn total_workers(&self) -> u64 {
        self.workers as u64 * self.instances.len() as u64
    }

    /// Whether a request waiting on a call keeps its worker.
    #[inline]
    pub(crate) fn holds_worker_while_waiting(&self) -> bool {
        self.concurrency == Concurrency::ThreadPerRequest
    }

    #[inline]
    fn set_busy(&mut self, now: SimTime, instance: usize, delta: i64) {
        let single = self.instances.len() == 1;
        let inst = &mut self.instances[instance];
        inst.busy = (inst.busy as i64 + delta) as u32;
        if !single {
            // With one instance its gauge would repeat the service's; the report uses that one.
            inst.stats.busy.set(now, inst.busy as u64);
        }
        self.busy_total = (self.busy_total as i64 + delta) as u64;
        self.stats.busy.set(now, self.busy_total);
        self.series.busy.set(now, self.busy_total);
    }

    #[inline]
    fn set_queued(&mut self, now: SimTime, delta: i64) {
        self.queued_total = (self.queued_total as i64 + delta) as u64;
        self.stats.queued.set(now, self.queued_total);
        self.series.queued.set(now, self.queued_total);
    }

    /// An `Async` request at instance `i` starts (`+1`) or stops (`-1`) waiting on calls
    /// without a worker.
    pub(crate) fn park(&mut self, now: SimTime, i: usize, delta: i64) {
        let inst = &mut self.instances[i];
        inst.parked = (inst.parked as i64 + delta) as u32;
        self.parked_total = (self.parked_total as i64 + delta) as u64;
        self.stats.parked.set(now, self.parked_total);
    }

    /// The load balancer's choice of instance for a new request, or `None` when none is up.
    #[inline]
    pub(crate) fn pick(&mut self) -> Option<u32> {
        // With every instance up ejected, Envoy's panic mode balances over all of them.
        let panic = self.eligible == 0;
        let count = if panic { self.up_count } else { self.eligible };
        self.balancer
            .pick(&self.instances, count, panic)
            .map(|i| i as u32)
    }

    /// A request with `deadline`, from `origin`, reaches instance `i` at `now`.
    #[inline]
    pub(crate) fn admit(
        &mut self,
        now: SimTime,
        i: usize,
        deadline: SimTime,
        origin: Origin,
    ) -> Admission {
        self.stats.arrivals += 1;
        self.series.arrivals.add(now, 1);
        let inst = &mut self.instances[i];
        if !inst.up {
            return Admission::Down;
        }
        inst.stats.arrivals += 1;
        let doomed = match self.injected_failure() {
            Some(FailureMode::Fast) => return Admission::Injected,
            Some(FailureMode::Slow) => true,
            None => false,
        };
        let inst = &self.instances[i];
        if inst.black_holes > 0 {
            self.stats.black_holed += 1;
            return Admission::BlackHoled;
        }
        if inst.in_system() >= inst.capacity && !self.make_room(now, i, origin) {
            return Admission::Rejected;
        }
        if self.deadlines.drop_expired && deadline <= now {
            self.stats.dropped_expired += 1;
            return Admission::Expired;
        }
        if self.has_policies {
            let inst = &mut self.instances[i];
            let arrival = ServerArrival {
                queued: inst.queue.len(),
                in_system: inst.in_system(),
                busy: inst.busy,
                workers: inst.workers,
                criticality: origin.criticality,
                tenant: origin.tenant,
            };
            let refused = inst
                .policies
                .iter_mut()
                .find_map(|l| (!l.arrive(now, &arrival, &mut self.server_rng)).then(|| l.reason()));
            if let Some(reason) = refused {
                self.count_shed(now, reason);
                return Admission::Shed;
            }
        }
        Admission::Admitted { doomed }
    }

    /// A full instance `i` makes room for an arrival of a higher class than some queued
    /// request, which it sheds; returns whether it did.
    fn make_room(&mut self, now: SimTime, i: usize, origin: Origin) -> bool {
        let Some(w) = self.instances[i]
            .queue
            .evict_below(origin.criticality as u8)
        else {
            return false;
        };
        self.set_queued(now, -1);
        self.shed_call(now, w.call, ShedReason::Criticality);
        true
    }

    /// Counts a request shed for `reason`.
    fn count_shed(&mut self, now: SimTime, reason: ShedReason) {
        self.stats.shed[reason as usize] += 1;
        self.series.shed[reason as usize].add(now, 1);
    }

    /// Queued call `call` is shed for `reason`: the world answers it.
    fn shed_call(&mut self, now: SimTime, call: CallId, reason: ShedReason) {
        self.count_shed(now, reason);
        self.shed.push(call);
    }

    /// Draws whether an error injection in force fails the next arrival, and how.
    #[inline]
    fn injected_failure(&mut self) -> Option<FailureMode> {
        if self.injections.is_empty() {
            return None;
        }
        // Several injections in force act independently: each gets its own draw.
        for k in 0..self.injections.len() {
            let (fraction, mode) = self.injections[k];
            if sim_core::open01(&mut self.errors_rng) < fraction {
                return Some(mode);
            }
        }
        None
    }

    /// Draws whether a successful answer leaves corrupted.
    #[inline]
    pub(crate) fn corrupted(&mut self) -> bool {
        if self.corruptions.is_empty() {
            return false;
        }
        for k in 0..self.corruptions.len() {
            if sim_core::open01(&mut self.errors_rng) < self.corruptions[k] {
                return true;
            }
        }
        false
    }

    /// `call` of priority `class` at instance `i` wants a worker at `now`: takes a free one
    /// (true) or joins the queue (false).
    #[inline]
    pub(crate) fn acquire(&mut self, now: SimTime, i: usize, call: CallId, class: u8) -> bool {
        let inst = &mut self.instances[i];
        if inst.busy < inst.workers {
            self.set_busy(now, i, 1);
            self.stats.wait.record(0);
            return true;
        }
        let queued = inst.queue.len();
        let expires = inst
            .policies
            .iter_mut()
            .filter_map(|l| l.enqueue(now, queued))
            .min()
            .map_or(SimTime::MAX, |t| now + t);
        inst.queue.push(Waiting {
            call,
            since: now,
            expires,
            class,
        });
        self.set_queued(now, 1);
        false
    }

    /// The next queued call a worker of instance `i` takes at `now`, after the server
    /// policies have dropped those not worth serving; `None` if none is left.
    #[inline]
    fn take_next(&mut self, now: SimTime, i: usize) -> Option<CallId> {
        if !self.has_policies {
            let w = self.instances[i].queue.pop(false)?;
            self.set_queued(now, -1);
            self.stats.wait.record((now - w.since).as_nanos());
            return Some(w.call);
        }
        while let Some(w) = self.instances[i].queue.pop_expired(now) {
            self.set_queued(now, -1);
            self.shed_call(now, w.call, ShedReason::ControlledDelay);
        }
        loop {
            let inst = &mut self.instances[i];
            let newest = inst.policies.iter_mut().any(|l| l.newest_first(now));
            let Some(w) = inst.queue.pop(newest) else {
                for l in &mut inst.policies {
                    l.dequeue(now, None, 0);
                }
                self.update_levels(now, i);
                return None;
            };
            let left = inst.queue.len();
            let waited = now - w.since;
            let mut dropped = (w.expires <= now).then_some(ShedReason::ControlledDelay);
            for l in &mut inst.policies {
                if l.dequeue(now, Some(waited), left) && dropped.is_none() {
                    dropped = Some(l.reason());
                }
            }
            self.set_queued(now, -1);
            self.update_levels(now, i);
            match dropped {
                Some(reason) => self.shed_call(now, w.call, reason),
                None => {
                    self.stats.wait.record(waited.as_nanos());
                    return Some(w.call);
                }
            }
        }
    }

    /// A request instance `i` admitted ends at `now`, `latency` after it arrived, with
    /// `inflight` requests there when it arrived; `dropped` if it was not served.
    #[inline]
    pub(crate) fn finished(
        &mut self,
        now: SimTime,
        i: usize,
        latency: SimDuration,
        inflight: u32,
        dropped: bool,
    ) {
        if !self.has_policies {
            return;
        }
        for l in &mut self.instances[i].policies {
            l.finished(now, latency, inflight, dropped, &mut self.server_rng);
        }
        self.update_levels(now, i);
    }

    /// Instance `i`'s policies may have changed their levels: the service's sums follow.
    fn update_levels(&mut self, now: SimTime, i: usize) {
        let inst = &mut self.instances[i];
        for (k, l) in inst.policies.iter().enumerate() {
            let Some(level) = l.level() else { continue };
            let delta = level - inst.levels[k];
            if delta != 0.0 || !self.server_levels[k].reported {
                inst.levels[k] = level;
                self.server_levels[k].add(now, delta);
            }
        }
    }

    /// Recounts the load balancer's candidates after an instance went down, came up, was
    /// ejected or came back.
    fn count_eligible(&mut self) {
        self.eligible = self.instances.iter().filter(|i| i.up && !i.ejected).count();
    }

    /// Outlier detection learns how a request at instance `i` ended, as a proxy would see the
    /// answer: a success, a 5xx, or a gateway error (refused, unavailable, shed, expired).
    #[inline]
    pub(crate) fn observe(&mut self, now: SimTime, i: usize, outcome: Outcome) {
        let Some(d) = &mut self.outlier else {
            return;
        };
        let result = match outcome {
            Outcome::Completed | Outcome::Corrupted | Outcome::Fallback => HostResult::Success,
            Outcome::Rejected | Outcome::Unavailable | Outcome::Shed | Outcome::Expired => {
                HostResult::GatewayError
            }
            _ => HostResult::Error,
        };
        let u = sim_core::open01(&mut self.outlier_rng);
        if d.record(now, i, result, u) {
            self.instances[i].ejected = true;
            self.ejections_changed(now);
        }
    }

    /// Outlier detection's interval sweep at `now`; returns when the next one is due.
    pub(crate) fn outlier_sweep(&mut self, now: SimTime) -> Option<SimTime> {
        let d = self.outlier.as_mut()?;
        let rng = &mut self.outlier_rng;
        d.sweep(now, &mut || sim_core::open01(rng));
        let next = now + d.spec().interval;
        let mut changed = false;
        for (k, inst) in self.instances.iter_mut().enumerate() {
            let e = d.is_ejected(k);
            changed |= inst.ejected != e;
            inst.ejected = e;
        }
        if changed {
            self.ejections_changed(now);
        }
        Some(next)
    }

    /// When the first outlier sweep is due, if outlier detection is on.
    pub(crate) fn first_outlier_sweep(&self) -> Option<SimTime> {
        self.outlier
            .as_ref()
            .map(|d| SimTime::ZERO + d.spec().interval)
    }

    /// Ejections by reason so far.
    pub fn ejections(&self) -> Option<&EjectionCounts> {
        self.outlier.as_ref().map(|d| d.ejections())
    }

    /// Instances ejected, over time.
    pub fn ejected_level(&self) -> Option<&PolicyLevel> {
        self.ejected_level.as_ref()
    }

    fn ejections_changed(&mut self, now: SimTime) {
        self.count_eligible();
        let ejected = self.instances.iter().filter(|i| i.ejected).count() as f64;
        if let Some(l) = &mut self.ejected_level {
            let delta = ejected - l.level;
            l.add(now, delta);
        }
    }

    /// Every policy's level at the start.
    pub(crate) fn start_levels(&mut self) {
        for i in 0..self.instances.len() {
            self.update_levels(SimTime::ZERO, i);
        }
        if let Some(l) = &mut self.ejected_level {
            l.add(SimTime::ZERO, 0.0);
        }
    }

    /// A worker of instance `i` is freed at `now`: it takes the next queued call, returned, or
    /// goes idle (or retires, after a capacity loss).
    #[inline]
    pub(crate) fn release(&mut self, now: SimTime, i: usize) -> Option<CallId> {
        let inst = &self.instances[i];
        if inst.busy <= inst.workers {
            if let Some(next) = self.take_next(now, i) {
                return Some(next);
            }
        }
        self.set_busy(now, i, -1);
        None
    }

    /// A worker of instance `i` starts local work of kind `k` at `now`: draws its length
    /// (times any slowdown in force) and returns when it is done, pauses included.
    #[inline(always)]
    pub(crate) fn work(&mut self, now: SimTime, i: usize, k: u16) -> SimTime {
        let mut work = self.program.work[k as usize].sample(&mut self.service_rng);
        for f in &self.slowdowns {
            work = SimDuration::from_nanos_f64(work.as_nanos() as f64 * f);
        }
        self.instances[i].schedule_work(now, work).1
    }

    /// Instance `i` finished a request that arrived at `arrived`, successfully.
    #[inline]
    pub(crate) fn complete(&mut self, now: SimTime, i: usize, arrived: SimTime) {
        let latency = (now - arrived).as_nanos();
        self.stats.completed += 1;
        self.stats.latency.record(latency);
        self.series.completed.add(now, 1);
        self.series.latency_sum.add(now, latency as u128);
        self.instances[i].stats.completed += 1;
    }

    /// A call to this service ended with `outcome`, as its caller saw it, at `now`.
    #[inline]
    pub(crate) fn count_outcome(&mut self, now: SimTime, outcome: Outcome) {
        self.stats.outcomes[outcome as usize] += 1;
        if outcome == Outcome::Completed {
            self.series.goodput.add(now, 1);
        } else {
            self.series.errors.add(now, 1);
            // `Outcome::ERRORS` lists every outcome after `Completed`, in declaration order.
            self.series.errors_by_kind[outcome as usize - 1].add(now, 1);
        }
    }

    /// A successful answer of this service went unused.
    pub(crate) fn count_wasted(&mut self, now: SimTime) {
        self.stats.wasted += 1;
        self.series.wasted.add(now, 1);
    }

    /// A crash fault hits instance `i` at `now`. If it was up, it goes down, dropping its
    /// queue and freeing its workers (the caller ends the calls it held). Several crashes may
    /// overlap; the instance stays down until the last one restarts it. Returns whether it
    /// went down now.
    pub(crate) fn crash(&mut self, now: SimTime, i: usize) -> bool {
        let inst = &mut self.instances[i];
        inst.crashes_in_force += 1;
        if inst.crashes_in_force > 1 {
            return false; // already down: nothing left to lose
        }
        inst.up = false;
        self.up_count -= 1;
        let queued = inst.queue.clear() as i64;
        let busy = inst.busy as i64;
        let parked = inst.parked as i64;
        self.count_eligible();
        self.set_queued(now, -queued);
        self.set_busy(now, i, -busy);
        self.park(now, i, -parked);
        true
    }

    /// A crash fault on instance `i` ends; the instance comes back up, empty, when no other
    /// crash holds it down.
    pub(crate) fn restart(&mut self, i: usize) {
        let inst = &mut self.instances[i];
        inst.crashes_in_force = inst.crashes_in_force.saturating_sub(1);
        if inst.crashes_in_force == 0 && !inst.up {
            inst.up = true;
            self.up_count += 1;
            self.count_eligible();
        }
    }

    /// A capacity loss to `workers` starts (`on`) or ends at instance `i`; the fewest workers of
    /// the losses in force apply. Returns the queued calls that newly free workers take at once.
    pub(crate) fn capacity_loss(
        &mut self,
        now: SimTime,
        i: usize,
        workers: u32,
        on: bool,
    ) -> Vec<CallId> {
        let inst = &mut self.instances[i];
        if on {
            inst.capacity_losses.push(workers);
        } else if let Some(k) = inst.capacity_losses.iter().position(|&w| w == workers) {
            inst.capacity_losses.swap_remove(k);
        }
        inst.workers = inst.allowed_workers();
        let mut started = Vec::new();
        while self.instances[i].busy < self.instances[i].workers {
            let Some(next) = self.take_next(now, i) else {
                break;
            };
            self.set_busy(now, i, 1);
            started.push(next);
        }
        started
    }

    /// A slowdown by `factor` starts (`on`) or ends.
    pub(crate) fn slowdown(&mut self, factor: f64, on: bool) {
        toggle(&mut self.slowdowns, factor, on);
    }

    /// An error injection starts (`on`) or ends.
    pub(crate) fn inject_errors(&mut self, fraction: f64, mode: FailureMode, on: bool) {
        toggle(&mut self.injections, (fraction, mode), on);
    }

    /// A corrupted-responses fault starts (`on`) or ends.
    pub(crate) fn corrupt(&mut self, fraction: f64, on: bool) {
        toggle(&mut self.corruptions, fraction, on);
    }

    /// A black hole starts (`on`) or ends at instance `i`.
    pub(crate) fn black_hole(&mut self, i: usize, on: bool) {
        let inst = &mut self.instances[i];
        if on {
            inst.black_holes += 1;
        } else {
            inst.black_holes = inst.black_holes.saturating_sub(1);
        }
    }

    /// Where a request served here goes next — another service's index and the edge to it —
    /// or `None` to answer.
    #[inline]
    pub(crate) fn route(&mut self) -> Option<(u32, u32)> {
        if self.routes.is_empty() {
            return None;
        }
        let u = sim_core::open01(&mut self.routing_rng);
        self.routes
            .iter()
            .find(|(cum, _, _)| u < *cum)
            .map(|&(_, to, edge)| (to, edge))
    }

    /// Picks the path of a branch: the op of the chosen path among `paths`, or `None` for
    /// the probability left over.
    #[inline]
    pub(crate) fn branch(&mut self, first: u32, count: u16) -> Option<u16> {
        let u = sim_core::open01(&mut self.routing_rng);
        let paths = &self.program.branches[first as usize..first as usize + count as usize];
        paths.iter().find(|(cum, _)| u < *cum).map(|&(_, pc)| pc)
    }

    /// Starts the measurement window at `now` (end of the warm-up).
    pub(crate) fn reset_stats(&mut self, now: SimTime) {
        let s = &mut self.stats;
        s.arrivals = 0;
        s.completed = 0;
        s.outcomes = OutcomeCounts::default();
        s.wasted = 0;
        s.black_holed = 0;
        s.dropped_expired = 0;
        s.shed = [0; ShedReason::COUNT];
        s.latency.clear();
        s.wait.clear();
        s.queued.reset(now);
        s.busy.reset(now);
        s.parked.reset(now);
        for l in self.server_levels.iter_mut().chain(&mut self.ejected_level) {
            l.gauge.reset(now);
        }
        for inst in &mut self.instances {
            inst.stats.arrivals = 0;
            inst.stats.completed = 0;
            inst.stats.busy.reset(now);
        }
    }

    /// Closes the time series at the end of the run.
    pub(crate) fn finish_series(&mut self, end: SimTime) {
        self.series.queued.finish(end);
        self.series.busy.finish(end);
        for l in self.server_levels.iter_mut().chain(&mut self.ejected_level) {
            l.series.finish(end);
        }
    }
}

/// Adds `x` to the faults in force (`on`) or removes one equal to it.
fn toggle<T: PartialEq>(in_force: &mut Vec<T>, x: T, on: bool) {
    if on {
        in_force.push(x);
    } else if let Some(k) = in_force.iter().position(|y| *y == x) {
        in_force.remove(k);
    }
}
