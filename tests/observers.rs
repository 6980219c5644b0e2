//! An observer written outside the crate sees every request exactly once from send to answer,
//! every message, retry, refusal, fault and crash the report counts, and every arrival,
//! completion, shed and drop the servers count — and changes no result.

use sim_core::{SimDuration, SimTime};
use sim_models::{
    load_scenario_str, run, run_observed, CallRef, ClientId, EdgeId, FaultId, HistoryRecorder,
    InstanceId, InstanceRef, Message, Observer, Outcome, RequestId, Scenario, ServiceId,
    ShedReason,
};
use std::collections::{BTreeMap, BTreeSet};

/// Everything a test might want to know, recorded as it happens.
#[derive(Clone, Debug, Default)]
struct Recorder {
    sent: BTreeMap<RequestId, SimTime>,
    sent_twice: u64,
    ended: BTreeMap<RequestId, (Outcome, SimDuration)>,
    ended_unsent_or_twice: u64,
    latency_wrong: u64,
    requests_out: u64,
    answers_out: u64,
    lost: u64,
    delivered: u64,
    queued: u64,
    started: BTreeSet<CallRef>,
    finished: u64,
    retried: u64,
    refused: BTreeMap<&'static str, u64>,
    retries_denied: u64,
    faults: Vec<(SimTime, FaultId, bool)>,
    /// Per edge, how its calls ended as their callers saw them.
    resolved: BTreeMap<EdgeId, BTreeMap<&'static str, u64>>,
    /// Messages whose edge does not lead to the instance they go to or come from.
    wrong_edge: u64,
    /// Each edge's callee: filled in by the test.
    edge_targets: Vec<ServiceId>,
    instances: Vec<(SimTime, InstanceRef, bool)>,
}

impl Observer for Recorder {
    fn request_sent(
        &mut self,
        now: SimTime,
        request: RequestId,
        _: ClientId,
        _: EdgeId,
        _: ServiceId,
    ) {
        if self.sent.insert(request, now).is_some() {
            self.sent_twice += 1;
        }
    }
    fn request_ended(
        &mut self,
        now: SimTime,
        request: RequestId,
        _client: ClientId,
        outcome: Outcome,
        latency: SimDuration,
    ) {
        match self.sent.get(&request) {
            Some(&at) if now - at != latency => self.latency_wrong += 1,
            Some(_) => {}
            None => self.ended_unsent_or_twice += 1,
        }
        if self.ended.insert(request, (outcome, latency)).is_some() {
            self.ended_unsent_or_twice += 1;
        }
    }
    fn message_sent(&mut self, _: SimTime, message: Message) {
        if self.edge_targets.get(message.edge.index()) != Some(&message.at.service) {
            self.wrong_edge += 1;
        }
        match (message.request, message.travel) {
            (_, None) => self.lost += 1,
            (true, Some(_)) => self.requests_out += 1,
            (false, Some(_)) => self.answers_out += 1,
        }
    }
    fn message_delivered(&mut self, _: SimTime, _: CallRef, _: InstanceRef) {
        self.delivered += 1;
    }
    fn call_queued(&mut self, _: SimTime, _: CallRef, _: InstanceRef) {
        self.queued += 1;
    }
    fn call_started(&mut self, _: SimTime, call: CallRef, _: InstanceRef) {
        self.started.insert(call);
    }
    fn call_finished(&mut self, _: SimTime, _: CallRef, _: InstanceRef, _: Outcome) {
        self.finished += 1;
    }
    fn retried(&mut self, _: SimTime, _: EdgeId, attempt: u32) {
        assert!(attempt >= 2);
        self.retried += 1;
    }
    fn refused(&mut self, _: SimTime, _: EdgeId, reason: Outcome) {
        *self.refused.entry(reason.name()).or_default() += 1;
    }
    fn retry_denied(&mut self, _: SimTime, _: EdgeId) {
        self.retries_denied += 1;
    }
    fn edge_resolved(&mut self, _: SimTime, edge: EdgeId, outcome: Outcome) {
        *self
            .resolved
            .entry(edge)
            .or_default()
            .entry(outcome.name())
            .or_default() += 1;
    }
    fn fault_changed(&mut self, now: SimTime, fault: FaultId, started: bool) {
        self.faults.push((now, fault, started));
    }
    fn instance_changed(&mut self, now: SimTime, at: InstanceRef, up: bool) {
        self.instances.push((now, at, up));
    }
}

fn bundled(path: &str) -> Scenario {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    sim_models::load_scenario(&file, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

/// Runs `s` watched and unwatched: identical reports; every request sent once and ended at
/// most once, matching the report's counts by outcome.
fn watched(s: &Scenario, seed: u64) -> (Recorder, sim_models::Report) {
    assert_eq!(
        s.warmup,
        SimDuration::ZERO,
        "counts are compared over the whole run"
    );
    let plain = run(s, seed).expect("runs");
    let recorder = Recorder {
        edge_targets: plain.world.edges.iter().map(|e| e.to).collect(),
        ..Recorder::default()
    };
    let plain = plain.report;
    let result = run_observed(s, seed, recorder).expect("runs");
    let report = result.report.clone();
    assert_eq!(
        serde_json::to_string(&plain).unwrap(),
        serde_json::to_string(&report).unwrap(),
        "an observer changed the result"
    );
    let r = result.world.observer().clone();
    assert_eq!(r.wrong_edge, 0, "a message names the edge it travels along");
    let figures = &result.world.statistics().edges;
    for (e, edge) in result.world.edges.iter().enumerate() {
        let all = std::iter::once(Outcome::Completed)
            .chain(Outcome::ERRORS)
            .chain([Outcome::Fallback]);
        for outcome in all {
            let seen = r
                .resolved
                .get(&EdgeId::new(e))
                .and_then(|m| m.get(outcome.name()))
                .copied()
                .unwrap_or(0);
            assert_eq!(
                seen,
                figures[e].outcomes[outcome as usize],
                "edge {e} ({} -> {}): {}",
                edge.from,
                edge.to,
                outcome.name()
            );
        }
    }
    assert_eq!(r.sent_twice, 0);
    assert_eq!(r.ended_unsent_or_twice, 0);
    assert_eq!(r.latency_wrong, 0);
    let sent: u64 = report.clients.values().map(|c| c.sent).sum();
    assert_eq!(r.sent.len() as u64, sent);
    assert_eq!(
        r.sent.len() - r.ended.len(),
        report.in_flight_at_end as usize
    );
    let mut by_outcome: BTreeMap<&str, u64> = BTreeMap::new();
    for (outcome, _) in r.ended.values() {
        *by_outcome.entry(outcome.name()).or_default() += 1;
    }
    assert_eq!(
        by_outcome.get("completed").copied().unwrap_or(0),
        report.totals.completed
    );
    for (kind, n) in &report.totals.errors {
        assert_eq!(
            by_outcome.get(kind.as_str()).copied().unwrap_or(0),
            *n,
            "{kind}"
        );
    }
    let errors: u64 = report.totals.errors.values().sum();
    let fallbacks = by_outcome.get("fallback").copied().unwrap_or(0);
    assert_eq!(
        r.ended.len() as u64,
        report.totals.completed + errors + fallbacks,
        "{by_outcome:?}"
    );
    (r, report)
}

#[test]
fn every_request_is_seen_once_from_send_to_answer_with_its_latency() {
    let s = bundled("scenarios/cascade.ron");
    let (r, _) = watched(&s, 1);
    assert!(r.sent.len() > 1000);
    // A call starts only once delivered, and is answered once at most.
    assert!(r.delivered as usize >= r.started.len());
    assert!(r.finished <= r.delivered);
    assert!(r.finished > 0);
}

#[test]
fn retries_refusals_and_denied_retries_match_the_report() {
    for path in [
        "scenarios/retry-amplification-budget.ron",
        "scenarios/slow-dependency-breaker.ron",
    ] {
        let s = bundled(path);
        let (r, report) = watched(&s, 2);
        let retries: u64 = report.edges.iter().map(|e| e.retries).sum();
        assert_eq!(r.retried, retries, "{path}");
        let denied: u64 = report
            .edges
            .iter()
            .map(|e| e.rejections.get("budget_exhausted").copied().unwrap_or(0))
            .sum();
        assert_eq!(r.retries_denied, denied, "{path}");
        for (reason, n) in &r.refused {
            let counted: u64 = report
                .edges
                .iter()
                .map(|e| e.rejections.get(*reason).copied().unwrap_or(0))
                .sum();
            assert_eq!(*n, counted, "{path}: {reason}");
        }
        if path.contains("budget") {
            assert!(r.retries_denied > 0 && r.retried > 0, "{path}");
        } else {
            assert!(
                r.refused.get("circuit_open").copied().unwrap_or(0) > 0,
                "{path}: {:?}",
                r.refused
            );
        }
    }
}

#[test]
fn faults_crashes_and_lost_messages_are_seen_when_they_happen() {
    let s = bundled("scenarios/faults/instance-crash.ron");
    let (r, _) = watched(&s, 1);
    let starts = r.faults.iter().filter(|f| f.2).count();
    assert_eq!(starts, s.faults.len());
    assert!(r.instances.iter().any(|i| !i.2), "a crash");
    assert!(r.instances.iter().any(|i| i.2), "a restart");
    for w in r.faults.windows(2) {
        assert!(w[0].0 <= w[1].0, "in time order");
    }
    let s = bundled("scenarios/partition.ron");
    let (r, report) = watched(&s, 1);
    assert!(r.lost > 0, "a partition loses messages");
    assert!(
        r.answers_out > 0,
        "a network with latency sends answers as messages"
    );
    assert!(report.network.lost > 0);
}

#[test]
fn observers_compose_as_tuples_and_each_sees_everything() {
    let s = bundled("scenarios/hedging.ron");
    let result = run_observed(&s, 3, (Recorder::default(), Recorder::default())).expect("runs");
    let (a, b) = result.world.observer();
    assert_eq!(a.sent.len(), b.sent.len());
    assert_eq!(a.ended.len(), b.ended.len());
    assert_eq!(a.retried, b.retried);
    assert!(a.retried > 0, "hedges are attempts after the first");
}

#[test]
fn a_scenario_with_a_queue_reports_queued_calls() {
    let s = load_scenario_str(
        "q.ron",
        r#"(duration: "100s", clients: { "u": Open(rate: 9.0, target: "s") },
            services: { "s": (workers: 1, service_time: Exponential(mean: "100ms")) })"#,
        &[],
    )
    .unwrap()
    .scenario;
    let (r, report) = watched(&s, 1);
    assert!(r.queued > 100, "{}", r.queued);
    assert_eq!(r.delivered, report.services["s"].arrivals);
    // Those still queued at the end never started.
    assert!(r.delivered - r.started.len() as u64 <= report.in_flight_at_end);
}

/// `service-store.ron` with the store's own clients removed: its history is the services'.
fn store_called_by_services_only() -> Scenario {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/service-store.ron");
    sim_models::load_scenario(&file, &["stores.kv.clients=[]".to_string()])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

#[test]
fn an_operation_history_recorder_rebuilds_the_history_the_services_made_on_a_store() {
    // The store's only clients are the api's steps, so the store's own history is the one
    // the services made: the recorder, told only through its hooks, must rebuild it exactly
    // (the partition leaves operations refused, indeterminate and open at the end).
    let s = store_called_by_services_only();
    let plain = run(&s, 1).expect("runs");
    let result = run_observed(&s, 1, HistoryRecorder::new(&s)).expect("runs");
    assert_eq!(
        serde_json::to_string(&plain.report).unwrap(),
        serde_json::to_string(&result.report).unwrap(),
        "recording changes no result"
    );
    let recorder = result.world.observer();
    assert!(recorder.error().is_none(), "{:?}", recorder.error());
    let recorded = recorder.history(0).expect("the scenario's one store");
    let kept = &result.stores[0].history;
    assert_eq!(recorded.operations(), kept.operations());
    let (ok, fail, info) = recorded.outcome_counts();
    assert!(
        ok > 4_000 && fail > 0 && info > 100,
        "{ok} ok, {fail} fail, {info} info"
    );
    // Each call ran its write, then its read: two operations at most, in that order.
    let mut per_call: BTreeMap<CallRef, Vec<sim_history::Call>> = BTreeMap::new();
    for (op, call) in recorded.operations().iter().zip(recorder.calls(0)) {
        per_call.entry(*call).or_default().push(op.call);
    }
    assert!(per_call.len() as u64 >= plain.report.clients["users"].completed);
    for calls in per_call.values() {
        assert!(matches!(calls[0], sim_history::Call::Write(_)), "{calls:?}");
        assert!(calls.len() <= 2 && calls[1..].iter().all(|c| *c == sim_history::Call::Read));
    }
    let verdict = sim_history::linearizable::check(recorded, 10_000_000).verdict;
    assert_eq!(verdict, sim_history::Verdict::Linearizable);
}

#[test]
fn a_run_stopped_mid_instant_still_records_every_store_operation_the_store_kept() {
    // Stopped after n events, the world may leave store work due at that very instant: the
    // recorder must still see what the store ran through the end.
    let s = store_called_by_services_only();
    let registry = sim_models::policy::PolicyRegistry::new();
    let mut compared = 0;
    for n in (1_000..4_000).step_by(5) {
        let mut sim =
            sim_models::simulation_observed(&s, 1, &registry, HistoryRecorder::new(&s)).unwrap();
        sim.run_for(n);
        let result = sim_models::finish(sim, &s, 1);
        let recorder = result.world.observer();
        assert!(recorder.error().is_none(), "{n}: {:?}", recorder.error());
        let recorded = recorder.history(0).expect("the one store");
        assert_eq!(
            recorded.operations(),
            result.stores[0].history.operations(),
            "stopped after {n} events"
        );
        compared += recorded.len();
    }
    assert!(compared > 10_000, "{compared} operations compared");
}

/// What the servers told, per service: the `server_*` hooks counted from outside the crate.
#[derive(Clone, Debug, Default)]
struct ServerCounts {
    arrivals: u64,
    completed: u64,
    black_holed: u64,
    expired: u64,
    shed: BTreeMap<&'static str, u64>,
    waits: u64,
    /// Per instance: arrivals while up, completions.
    instances: BTreeMap<InstanceId, (u64, u64)>,
    most_busy: u64,
    most_parked: u64,
}

#[derive(Clone, Debug, Default)]
struct ServerWatcher(BTreeMap<ServiceId, ServerCounts>);

impl Observer for ServerWatcher {
    fn server_arrival(&mut self, _: SimTime, at: InstanceRef, up: bool) {
        let s = self.0.entry(at.service).or_default();
        s.arrivals += 1;
        if up {
            s.instances.entry(at.instance).or_default().0 += 1;
        }
    }
    fn server_black_holed(&mut self, _: SimTime, at: InstanceRef) {
        self.0.entry(at.service).or_default().black_holed += 1;
    }
    fn server_expired(&mut self, _: SimTime, at: InstanceRef) {
        self.0.entry(at.service).or_default().expired += 1;
    }
    fn server_shed(&mut self, _: SimTime, at: InstanceRef, reason: ShedReason) {
        *self
            .0
            .entry(at.service)
            .or_default()
            .shed
            .entry(reason.name())
            .or_default() += 1;
    }
    fn server_waited(&mut self, _: SimTime, at: InstanceRef, _: SimDuration) {
        self.0.entry(at.service).or_default().waits += 1;
    }
    fn server_completed(&mut self, _: SimTime, at: InstanceRef, _: SimDuration) {
        let s = self.0.entry(at.service).or_default();
        s.completed += 1;
        s.instances.entry(at.instance).or_default().1 += 1;
    }
    fn server_busy(&mut self, _: SimTime, at: InstanceRef, _: u32, total: u64) {
        let s = self.0.entry(at.service).or_default();
        s.most_busy = s.most_busy.max(total);
    }
    fn server_parked(&mut self, _: SimTime, service: ServiceId, parked: u64) {
        let s = self.0.entry(service).or_default();
        s.most_parked = s.most_parked.max(parked);
    }
}

/// An `Async` tier over a thread-per-request one that shed for many reasons, drop expired
/// work (a slowdown makes the db's queue outlast its callers' timeout), swallow requests in a
/// black hole, crash and lose capacity, with no warm-up.
const SERVERS_UNDER_STRESS: &str = r#"(
  duration: "40s",
  clients: {
    "batch": Open(rate: 1500, target: "api", timeout: "1s", criticality: Sheddable),
    "checkout": Open(rate: 900, target: "api", timeout: "1s", criticality: CriticalPlus),
  },
  services: {
    "api": (instances: 3, workers: 4, capacity: 40, concurrency: Async,
            deadlines: (drop_expired: true),
            steps: [Work(Exponential(mean: "2ms")), Call(to: "db", timeout: "300ms"),
                    Work(Exponential(mean: "2ms"))],
            server_policies: [Criticality(sheddable: 10), AdaptiveLifo(),
                              ShedQueueWait(max_wait: "50ms")]),
    "db": (instances: 2, workers: 6, capacity: 30, service_time: Exponential(mean: "8ms"),
           deadlines: (drop_expired: true),
           server_policies: [ConcurrencyLimit(Fixed(limit: 20)), CoDel(), ShedQueueLength(max: 12)]),
  },
  faults: [
    Crash(service: "api", instance: 1, at: "20s", restart_after: "5s"),
    CapacityLoss(service: "db", instance: 0, start: "28s", duration: "10s", workers: 1),
    CapacityLoss(service: "api", start: "10s", duration: "5s", workers: 0),
    BlackHole(service: "db", instance: 1, start: "15s", duration: "3s"),
    Slowdown(service: "db", start: "32s", duration: "6s", factor: 20.0),
  ],
)"#;

#[test]
fn what_the_servers_tell_an_outside_observer_adds_up_to_the_reports_services() {
    let s = load_scenario_str("servers.ron", SERVERS_UNDER_STRESS, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    let plain = run(&s, 3).expect("runs");
    let watched = run_observed(&s, 3, ServerWatcher::default()).expect("runs");
    assert_eq!(watched.report, plain.report, "watching changed the report");
    let seen = &watched.world.observer().0;
    let (mut shed, mut expired, mut black_holed) = (0, 0, 0);
    for (index, service) in watched.world.services.iter().enumerate() {
        let reported = &watched.report.services[&service.name];
        let counted = &seen[&ServiceId::new(index)];
        let name = &service.name;
        assert_eq!(counted.arrivals, reported.arrivals, "{name}");
        assert_eq!(counted.completed, reported.completed, "{name}");
        assert_eq!(counted.black_holed, reported.black_holed, "{name}");
        assert_eq!(counted.expired, reported.dropped_expired, "{name}");
        for (reason, n) in &reported.shed {
            let told = counted.shed.get(reason.as_str()).copied().unwrap_or(0);
            assert_eq!(told, *n, "{name}: shed for {reason}");
        }
        for (i, r) in reported.instances.iter().enumerate() {
            let told = counted
                .instances
                .get(&InstanceId::new(i))
                .copied()
                .unwrap_or_default();
            assert_eq!(told, (r.arrivals, r.completed), "{name} instance {i}");
        }
        assert!(counted.waits > 0, "{name}");
        assert!(counted.most_busy <= service.total_workers(), "{name}");
        shed += counted.shed.values().sum::<u64>();
        (expired, black_holed) = (expired + counted.expired, black_holed + counted.black_holed);
    }
    // What the comparison covered.
    assert!(shed > 100, "{shed} shed");
    assert!(expired > 0, "{expired} expired");
    assert!(black_holed > 0, "{black_holed} black-holed");
    assert!(
        seen[&ServiceId::new(0)].most_parked > 0,
        "api parks while it waits on db"
    );
}
