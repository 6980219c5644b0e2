//! A running simulation can be cloned at any instant and the clone continues exactly as the
//! original; a fork with a fault added differs only after the fork.

use sim_core::{SimDuration, SimTime};
use sim_models::{finish, inject_fault, load_scenario_str, simulation, FaultSpec, Scenario};

fn scenario(text: &str) -> Scenario {
    load_scenario_str("checkpoint.ron", text, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

/// Retries, a breaker, a partition and a crash: state in every layer when the clone is taken.
const BUSY: &str = r#"(
    duration: "120s",
    warmup: "10s",
    time_series: (bucket: "1s"),
    clients: { "users": Open(rate: 200.0, target: "api", timeout: "2s",
                             policies: [Retry(max_attempts: 3, backoff: Exponential(base: "10ms", cap: "1s", jitter: Full))]) },
    services: {
        "api": (instances: 3, workers: 16, zones: ["a", "b"], steps: [
            Work(Exponential(mean: "2ms")),
            Call(to: "db", timeout: "500ms", policies: [CircuitBreaker(Resilience4j(window: Count(50), minimum_calls: 20, wait_in_open: "1s"))]),
        ]),
        "db": (instances: 2, workers: 8, zones: ["a", "b"], service_time: Exponential(mean: "5ms")),
    },
    network: (latency: Exponential(mean: "1ms")),
    faults: [
        Partition(a: ["a"], b: ["b"], start: "40s", duration: "10s"),
        Crash(service: "db", instance: 0, at: "70s", restart_after: "5s"),
    ],
)"#;

fn json(r: &sim_models::RunResult) -> String {
    serde_json::to_string(&r.report).expect("report as JSON")
}

#[test]
fn a_clone_taken_mid_run_finishes_exactly_like_the_original_and_an_uninterrupted_run() {
    let s = scenario(BUSY);
    let whole = sim_models::run(&s, 3).expect("runs");
    for at in [1, 45, 72, 119] {
        let mut original = simulation(&s, 3).expect("builds");
        original.run_until(SimTime::ZERO + SimDuration::from_secs(at));
        let mut copy = original.clone();
        original.run();
        copy.run();
        let (a, b) = (finish(original, &s, 3), finish(copy, &s, 3));
        assert_eq!(json(&a), json(&b), "clone at {at}s");
        assert_eq!(a.timeseries_csv(), b.timeseries_csv(), "clone at {at}s");
        assert_eq!(json(&a), json(&whole), "stepping to {at}s changed the run");
    }
}

#[test]
fn a_fork_with_a_crash_differs_only_after_the_fork() {
    let s = scenario(BUSY);
    let fork_at = SimTime::ZERO + SimDuration::from_secs(20);
    let mut original = simulation(&s, 5).expect("builds");
    original.run_until(fork_at);
    let mut fork = original.clone();
    let crash = FaultSpec::Crash {
        service: "db".into(),
        instance: None,
        at: SimDuration::from_secs(20),
        restart_after: Some(SimDuration::from_secs(5)),
    };
    inject_fault(&mut fork, &s, crash).expect("a valid fault");
    original.run();
    fork.run();
    let (a, b) = (finish(original, &s, 5), finish(fork, &s, 5));
    let failed = |r: &sim_models::RunResult| r.report.clients["users"].errors.values().sum::<u64>();
    assert!(
        failed(&b) > failed(&a) + 100,
        "crashing every db for 5 s fails requests: {} vs {}",
        failed(&b),
        failed(&a)
    );
    // The time series agree bucket for bucket before the fork and differ after it.
    let (ta, tb) = (a.timeseries_csv(), b.timeseries_csv());
    let rows = |t: &str| t.lines().map(String::from).collect::<Vec<_>>();
    let (ra, rb) = (rows(&ta), rows(&tb));
    assert_eq!(ra.len(), rb.len());
    let bucket_start = |row: &str| row.split(',').next().and_then(|v| v.parse::<f64>().ok());
    let mut before = 0;
    let mut after_differ = 0;
    for (x, y) in ra.iter().zip(&rb).skip(1) {
        match bucket_start(x) {
            Some(t) if t < 20.0 => {
                assert_eq!(x, y, "bucket at {t}s, before the fork");
                before += 1;
            }
            Some(_) => after_differ += usize::from(x != y),
            None => {}
        }
    }
    assert!(before >= 19, "{before} buckets before the fork");
    assert!(
        after_differ >= 5,
        "{after_differ} buckets after the fork differ"
    );
}

#[test]
fn a_fault_that_starts_before_the_clock_or_names_nothing_is_refused() {
    let s = scenario(BUSY);
    let mut sim = simulation(&s, 1).expect("builds");
    sim.run_until(SimTime::ZERO + SimDuration::from_secs(30));
    let past = FaultSpec::Crash {
        service: "db".into(),
        instance: None,
        at: SimDuration::from_secs(10),
        restart_after: None,
    };
    let e = inject_fault(&mut sim, &s, past).expect_err("in the past");
    assert!(e.to_string().contains("before the run's clock"), "{e}");
    let nowhere = FaultSpec::Crash {
        service: "dbx".into(),
        instance: None,
        at: SimDuration::from_secs(40),
        restart_after: None,
    };
    let e = inject_fault(&mut sim, &s, nowhere).expect_err("unknown service");
    assert!(e.to_string().contains("faults.2.service"), "{e}");
    assert!(e.to_string().contains("did you mean \"db\""), "{e}");
}
