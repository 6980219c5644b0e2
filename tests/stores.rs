//! The bundled store scenarios show what their headers promise, over seeds: failover with
//! async replication splits and loses acknowledged writes; Raft with quorum writes and fencing
//! under the same cut loses nothing and stays linearizable; a lease on a clock drifting beyond
//! its margin serves stale reads; idempotency keys stop duplicate charges; quorum replication
//! trades latency and availability for the writes async loses. And the CLI writes each store's
//! history for Jepsen's tools.

use sim_history::Verdict;
use sim_models::{load_scenario, run};
use sim_store::StoreReport;
use std::path::Path;

fn scenario(file: &str, sets: &[&str]) -> sim_models::Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_scenario(&path, &sets)
        .expect("a bundled scenario")
        .scenario
}

fn kv(file: &str, sets: &[&str], seed: u64) -> StoreReport {
    let s = scenario(file, sets);
    run(&s, seed).expect("runs").report.stores["kv"].clone()
}

#[test]
fn failover_with_async_replication_loses_acknowledged_writes_in_most_seeds() {
    let losing = (1..=20)
        .filter(|&seed| {
            let r = kv("split-brain.ron", &[], seed);
            assert_eq!(r.leaders_max, 2, "seed {seed}: {r:?}");
            r.lost_acked_writes > 0 && r.linearizable == Verdict::NotLinearizable
        })
        .count();
    assert!(
        losing >= 18,
        "only {losing} of 20 seeds lost acknowledged writes"
    );
}

#[test]
fn raft_with_quorum_and_fencing_loses_nothing_under_the_same_cut() {
    for seed in 1..=20 {
        let r = kv("split-brain-fenced.ron", &[], seed);
        assert_eq!(r.lost_acked_writes, 0, "seed {seed}: {r:?}");
        assert_eq!(r.stale_reads, 0, "seed {seed}: {r:?}");
        assert_eq!(r.same_term_leaders, 0, "seed {seed}");
        assert_eq!(
            r.linearizable,
            Verdict::Linearizable,
            "seed {seed}: {:?}",
            r.first_anomaly
        );
        // East's clients pay with timeouts for the 8 s of the cut.
        assert!(r.ops.info > 40, "seed {seed}: {r:?}");
    }
}

#[test]
fn a_lease_on_a_clock_drifting_past_its_margin_serves_stale_reads_and_within_it_none() {
    for seed in 1..=5 {
        let skewed = kv("lease-clock-skew.ron", &[], seed);
        assert!(skewed.stale_reads > 0, "seed {seed}: {skewed:?}");
        assert_eq!(skewed.linearizable, Verdict::NotLinearizable);
        let fine = kv(
            "lease-clock-skew.ron",
            &["stores.kv.clock_drift=[-0.01, 0.0, 0.0]"],
            seed,
        );
        assert_eq!(fine.stale_reads, 0, "seed {seed}: {fine:?}");
        assert_eq!(
            fine.linearizable,
            Verdict::Linearizable,
            "{:?}",
            fine.first_anomaly
        );
    }
}

#[test]
fn resent_charges_apply_once_with_idempotency_keys_and_again_without() {
    for seed in 1..=3 {
        let unkeyed = kv("idempotency.ron", &[], seed);
        assert!(unkeyed.duplicate_adds > 100, "seed {seed}: {unkeyed:?}");
        assert_eq!(unkeyed.linearizable, Verdict::NotLinearizable);
        let keyed = kv(
            "idempotency.ron",
            &["stores.kv.clients.0.idempotency_keys=true"],
            seed,
        );
        assert_eq!(keyed.duplicate_adds, 0, "seed {seed}: {keyed:?}");
        assert_eq!(
            keyed.linearizable,
            Verdict::Linearizable,
            "{:?}",
            keyed.first_anomaly
        );
    }
}

#[test]
fn jitter_spreads_contending_read_modify_writes_and_lockstep_backoff_strands_them() {
    let s = scenario("optimistic-concurrency.ron", &[]);
    let (mut full_calls, mut decorrelated_calls) = (0, 0);
    for seed in 1..=3 {
        let stores = run(&s, seed).expect("runs").report.stores;
        let rmw = |name: &str| {
            let r = &stores[name];
            assert_eq!(r.linearizable, Verdict::Linearizable, "seed {seed} {name}");
            r.read_modify_write
                .clone()
                .expect("read-modify-write clients")
        };
        let immediate = rmw("immediate");
        let lockstep = rmw("exponential");
        assert_eq!(immediate.completed, 100, "seed {seed}");
        // One winner per round: client k needs about k tries.
        assert!(
            immediate.calls_per_operation > 40.0,
            "seed {seed}: {immediate:?}"
        );
        assert!(lockstep.unfinished > 20, "seed {seed}: {lockstep:?}");
        for name in ["full", "equal", "decorrelated"] {
            let j = rmw(name);
            assert_eq!(j.completed, 100, "seed {seed} {name}: {j:?}");
            assert!(j.calls * 2 < lockstep.calls, "seed {seed} {name}: {j:?}");
            assert!(j.calls * 3 < immediate.calls, "seed {seed} {name}: {j:?}");
            assert!(j.makespan_ms < 5_000.0, "seed {seed} {name}: {j:?}");
        }
        full_calls += rmw("full").calls;
        decorrelated_calls += rmw("decorrelated").calls;
    }
    assert!(
        full_calls < decorrelated_calls,
        "{full_calls} vs {decorrelated_calls}"
    );
}

#[test]
fn quorum_replication_pays_latency_and_availability_for_the_writes_async_loses() {
    let async_ = kv("async-vs-quorum.ron", &[], 1);
    let quorum = kv("async-vs-quorum.ron", &["stores.kv.replication=Quorum"], 1);
    assert!(async_.lost_acked_writes > 100, "{async_:?}");
    assert_eq!(quorum.lost_acked_writes, 0, "{quorum:?}");
    assert_eq!(quorum.linearizable, Verdict::Linearizable);
    assert!(quorum.latency.p99_ms > async_.latency.p99_ms + 20.0);
    assert!(
        quorum.ops.info > 3 * async_.ops.info,
        "{quorum:?} {async_:?}"
    );
}

#[test]
fn stores_and_services_in_one_scenario_run_side_by_side_without_touching_each_other() {
    // A service scenario with a store added: the services' figures are exactly those of the
    // scenario without it.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/cascade.ron");
    let plain = load_scenario(&path, &[]).unwrap().scenario;
    let store = scenario("split-brain.ron", &[]);
    let mut both = plain.clone();
    both.stores = store.stores.clone();
    let a = run(&plain, 3).unwrap().report;
    let b = run(&both, 3).unwrap().report;
    assert_eq!(a.services, b.services);
    assert_eq!(a.clients, b.clients);
    assert!(b.stores["kv"].ops.ok > 1000);
    assert!(a.stores.is_empty());
}

#[test]
fn run_out_writes_each_store_history_as_json_lines_and_edn() {
    let dir = std::env::temp_dir().join(format!("faultline-store-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/split-brain.ron");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "run",
            file.to_str().unwrap(),
            "--no-plots",
            "--out",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let ops = &summary["stores"]["kv"]["ops"];
    let total = ["ok", "fail", "info"]
        .iter()
        .map(|k| ops[k].as_u64().unwrap())
        .sum::<u64>();
    let jsonl = std::fs::read_to_string(dir.join("store-kv/history.jsonl")).unwrap();
    let edn = std::fs::read_to_string(dir.join("store-kv/history.edn")).unwrap();
    // Two events per operation: its invocation and its completion.
    assert_eq!(jsonl.lines().count() as u64, 2 * total);
    assert_eq!(edn.lines().count() as u64, 2 * total);
    let first: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "invoke");
    assert!(edn
        .lines()
        .all(|l| l.starts_with("{:index ") && l.ends_with('}')));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Errors of every kind.
fn errors(e: &std::collections::BTreeMap<String, u64>) -> u64 {
    e.values().sum()
}

/// The operations in a store's history that services' steps submitted: those of processes
/// beyond the store's own clients.
fn service_ops(store: &sim_store::StoreModel) -> Vec<sim_history::Operation> {
    let own: u32 = store.spec.clients.iter().map(|c| c.processes).sum();
    store
        .history
        .operations()
        .iter()
        .filter(|o| o.process.0 >= own)
        .copied()
        .collect()
}

#[test]
fn a_service_step_reads_and_writes_a_store_on_the_same_clock_and_fails_while_it_cannot_commit() {
    let calm = scenario("service-store.ron", &["faults=[]"]);
    let r = run(&calm, 1).expect("runs");
    let api = &r.report.services["api"];
    let users = &r.report.clients["users"];
    let ops = service_ops(&r.stores[0]);
    assert!(!ops.is_empty());
    // Every request that completed wrote and then read: two operations, both acknowledged.
    assert!(users.completed > 3_500, "{users:?}");
    // Only while the first leader takes office (its first election, ~0.15 s) does the store
    // refuse them ("nobody leads"): those requests fail with `dependency`, and no others.
    assert_eq!(
        errors(&api.errors),
        api.errors["dependency"],
        "{:?}",
        api.errors
    );
    assert!(api.errors["dependency"] < 40, "{:?}", api.errors);
    let refused: Vec<f64> = ops
        .iter()
        .filter(|o| o.result == sim_history::Completion::Fail)
        .map(|o| o.invoked.as_secs_f64())
        .collect();
    assert!(refused.iter().all(|&t| t < 0.2), "refused at {refused:?}");
    let ok = ops
        .iter()
        .filter(|o| matches!(o.result, sim_history::Completion::Ok(_)))
        .count() as u64;
    assert!(
        ok >= 2 * users.completed && ok <= 2 * users.sent,
        "{ok} ops for {users:?}"
    );
    // Each request's write comes before its read, on one process at a time: the read returns
    // a value some write wrote (the store's own clients write too), and the whole history is
    // linearizable.
    assert!(ops.iter().any(|o| o.call == sim_history::Call::Read));
    assert_eq!(r.report.stores["kv"].linearizable, Verdict::Linearizable);

    // The partition: the east instance's requests time out at the store step while east holds
    // only the deposed leader; nothing is lost, nothing is stale.
    let cut = scenario("service-store.ron", &[]);
    let r = run(&cut, 1).expect("runs");
    let api = &r.report.services["api"];
    let store = &r.report.stores["kv"];
    assert!(api.errors["timeout"] > 100, "{:?}", api.errors);
    assert_eq!(store.lost_acked_writes, 0, "{store:?}");
    assert_eq!(store.linearizable, Verdict::Linearizable, "{store:?}");
    let late = service_ops(&r.stores[0])
        .iter()
        .filter(|o| o.result == sim_history::Completion::Info)
        .map(|o| o.invoked.as_secs_f64())
        .filter(|&t| t < 19.0) // those still open at the end are indeterminate too
        .fold(f64::NAN, f64::max);
    assert!(
        (8.0..12.0).contains(&late),
        "the last unanswered store step began at {late} s"
    );
    // Requests are conserved through the store steps.
    let users = &r.report.clients["users"];
    assert!(
        users.sent - users.completed - errors(&users.errors) <= 2,
        "{users:?}"
    );
}

#[test]
fn an_optional_store_step_lets_requests_through_when_the_store_cannot_answer() {
    let s = scenario(
        "service-store.ron",
        &[
            "services.api.steps.1.optional=true",
            "services.api.steps.2.optional=true",
            // Waiting on the store holds no worker, so the slow steps queue nobody behind them.
            "services.api.concurrency=Async",
        ],
    );
    let r = run(&s, 1).expect("runs");
    assert_eq!(
        errors(&r.report.services["api"].errors),
        0,
        "{:?}",
        r.report.services["api"]
    );
    // The store still saw the operations it could not answer.
    assert!(
        r.report.stores["kv"].ops.info > 50,
        "{:?}",
        r.report.stores["kv"]
    );
}

#[test]
fn services_calling_a_store_run_the_same_from_the_same_seed_and_from_a_clone_taken_mid_run() {
    let s = scenario("service-store.ron", &[]);
    let json = |r: &sim_models::RunResult| serde_json::to_string(&r.report).unwrap();
    let whole = run(&s, 4).expect("runs");
    assert_eq!(json(&whole), json(&run(&s, 4).expect("runs")));
    assert_ne!(json(&whole), json(&run(&s, 5).expect("runs")));
    let mut original = sim_models::simulation(&s, 4).expect("builds");
    original.run_until(sim_core::SimTime::ZERO + sim_core::SimDuration::from_secs(9));
    let mut copy = original.clone();
    original.run();
    copy.run();
    let (a, b) = (
        sim_models::finish(original, &s, 4),
        sim_models::finish(copy, &s, 4),
    );
    assert_eq!(json(&a), json(&b));
    assert_eq!(json(&a), json(&whole));
}

#[test]
fn a_service_with_more_store_steps_than_it_may_have_is_refused_at_its_steps() {
    let steps = vec![r#"Store(store: "kv", op: Read)"#; 65].join(", ");
    let text = format!(
        r#"(duration: "1s", clients: {{ "u": Open(rate: 1.0, target: "api") }},
            services: {{ "api": (workers: 1, steps: [{steps}]) }},
            stores: {{ "kv": (replicas: 1, keys: 1,
                election: Raft(election_timeout_min: "150ms", election_timeout_max: "300ms", heartbeat: "50ms"),
                clients: [(processes: 1, timeout: "100ms")]) }})"#
    );
    let err = format!(
        "{:?}",
        sim_models::load_scenario_str("many.ron", &text, &[])
            .map(|_| ())
            .expect_err("refused")
    );
    assert!(
        err.contains("services.api.steps") && err.contains("at most 64 Store steps, got 65"),
        "{err}"
    );
}

#[test]
fn a_partition_naming_the_calling_service_and_the_store_cuts_the_store_steps() {
    let s = scenario(
        "service-store.ron",
        &[r#"faults=[Partition(a: ["api"], b: ["kv"], start: "5s", duration: "2s")]"#],
    );
    let r = run(&s, 1).expect("runs");
    let api = &r.report.services["api"];
    // Each cut request holds a worker through two 300 ms attempts: ~50 fail per second.
    assert!(api.errors["timeout"] > 50, "{:?}", api.errors);
    // Only the service's own traffic is cut: the store's clients go on being served.
    let own: u32 = r.stores[0].spec.clients.iter().map(|c| c.processes).sum();
    let served_during = r.stores[0]
        .history
        .operations()
        .iter()
        .filter(|o| o.process.0 < own && matches!(o.result, sim_history::Completion::Ok(_)))
        .filter(|o| (5.2..6.8).contains(&o.invoked.as_secs_f64()))
        .count();
    assert!(served_during > 50, "{served_during}");
    // One instance alone: `api#1` cut from the store fails only part of the requests.
    let one = scenario(
        "service-store.ron",
        &[r#"faults=[Partition(a: ["api#1"], b: ["kv"], start: "5s", duration: "2s")]"#],
    );
    let half = run(&one, 1).expect("runs").report.services["api"].errors["timeout"];
    assert!(
        half > 10 && half < api.errors["timeout"],
        "{half} vs {:?}",
        api.errors
    );
}

#[test]
fn a_fault_injected_into_a_running_world_reaches_the_store_its_services_call() {
    use sim_core::{SimDuration, SimTime};
    let s = scenario("service-store.ron", &["faults=[]"]);
    let mut base = sim_models::simulation(&s, 2).expect("builds");
    base.run_until(SimTime::ZERO + SimDuration::from_secs(5));
    let mut cut = base.clone();
    let mut crashed = base.clone();
    let partition = sim_models::FaultSpec::Partition {
        a: vec!["east".into()],
        b: vec!["west".into()],
        one_way: false,
        start: SimDuration::from_secs(6),
        duration: SimDuration::from_secs(4),
        hold: false,
    };
    sim_models::inject_fault(&mut cut, &s, partition).expect("injected");
    let crash = sim_models::FaultSpec::Crash {
        service: "kv".into(),
        instance: Some(0),
        at: SimDuration::from_secs(6),
        restart_after: Some(SimDuration::from_secs(3)),
    };
    sim_models::inject_fault(&mut crashed, &s, crash).expect("injected");
    base.run();
    cut.run();
    crashed.run();
    let (base, cut, crashed) = (
        sim_models::finish(base, &s, 2).report,
        sim_models::finish(cut, &s, 2).report,
        sim_models::finish(crashed, &s, 2).report,
    );
    assert_eq!(base.stores["kv"].elections, 1, "{:?}", base.stores["kv"]);
    assert!(
        cut.services["api"].errors["timeout"] > 100,
        "{:?}",
        cut.services["api"]
    );
    assert!(cut.stores["kv"].elections > 1 && cut.stores["kv"].split_brain_s > 1.0);
    // The leader's crash forces an election, and requests fail while there is none.
    assert!(
        crashed.stores["kv"].elections > 1,
        "{:?}",
        crashed.stores["kv"]
    );
    assert!(errors(&crashed.services["api"].errors) > errors(&base.services["api"].errors));
}

#[test]
fn a_read_then_cas_in_one_request_is_a_read_modify_write_that_conflicts_under_contention() {
    let rmw = |keys: &str| {
        let s = scenario(
            "service-store.ron",
            &[
                "faults=[]",
                "services.api.steps.1.op=Read",
                "services.api.steps.2.op=Cas",
                keys,
            ],
        );
        let r = run(&s, 1).expect("runs").report;
        assert_eq!(r.stores["kv"].linearizable, Verdict::Linearizable);
        let api = &r.services["api"];
        errors(&api.errors) as f64 / api.arrivals as f64
    };
    // The Cas sets from what the same request read on the same key: over ten keys most take
    // effect; on one key, contended by every request, most find it changed.
    let spread = rmw("stores.kv.keys=10");
    let contended = rmw("stores.kv.keys=1");
    assert!(spread < 0.2, "{spread}");
    assert!(contended > 0.4, "{contended}");
}
