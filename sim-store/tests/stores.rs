//! The store's safety and its failures, over many seeds: Raft never elects two leaders in one
//! term and, with quorum writes, keeps every history linearizable with nothing acknowledged
//! lost; naive failover with async replication loses acknowledged writes under a partition;
//! idempotency keys stop duplicate adds; leases are safe exactly while drift × ttl stays under
//! the margin.

mod support;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim_core::SimDuration;
use sim_history::Verdict;
use sim_store::StoreFault;
use support::*;

fn raft(replicas: u32) -> sim_store::StoreSpec {
    spec(&format!(
        r#"(
        replicas: {replicas}, zones: ["a", "b", "c"],
        election: Raft(election_timeout_min: "150ms", election_timeout_max: "300ms", heartbeat: "50ms"),
        replication: Quorum, reads: Quorum, fencing: true,
        keys: 3,
        clients: [
            (processes: 3, zone: "a", timeout: "200ms", mix: (read: 0.4, write: 0.4, cas: 0.2)),
            (processes: 3, zone: "b", timeout: "200ms", mix: (read: 0.4, write: 0.4, cas: 0.2)),
        ],
    )"#
    ))
}

#[test]
fn raft_keeps_one_leader_per_term_and_a_linearizable_history_over_200_seeds_of_faults() {
    let duration = SimDuration::from_secs(8);
    let mut elections = 0;
    let mut split = 0.0;
    for seed in 0..200u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let replicas = if seed % 2 == 0 { 3 } else { 5 };
        let (faults, net) = random_faults(&mut rng, replicas, duration);
        let (r, m) = run(&raft(replicas), seed, duration, faults.clone(), net.clone());
        let case = format!("seed {seed}: {faults:?} {net:?}");
        assert_eq!(r.same_term_leaders, 0, "two leaders in one term, {case}");
        assert_eq!(
            r.linearizable,
            Verdict::Linearizable,
            "{:?}, {case}",
            r.first_anomaly
        );
        assert_eq!(r.lost_acked_writes, 0, "{case}");
        assert_eq!(r.stale_reads, 0, "{case}");
        assert!(
            r.ops.ok > 100,
            "the store served hardly anything: {r:?}, {case}"
        );
        // Every leader of a term was the only one of that term (a direct look at the timeline).
        let mut leaders = std::collections::HashMap::new();
        for &(_, replica, role, term) in &m.timeline {
            if role == sim_store::replica::Role::Leader {
                assert_eq!(*leaders.entry(term).or_insert(replica), replica, "{case}");
            }
        }
        elections += r.elections;
        split += r.split_brain_s;
    }
    // The faults did force elections, and deposed leaders did go on believing for a while:
    // the safety above was tested, not just never challenged.
    assert!(elections > 400, "{elections} elections over 200 runs");
    assert!(split > 10.0, "{split} s of two believing leaders");
}

fn failover(replication: &str, fencing: bool) -> sim_store::StoreSpec {
    spec(&format!(
        r#"(
        replicas: 2, zones: ["a", "b"],
        election: Failover(heartbeat: "50ms", missed: 3),
        replication: {replication}, reads: Leader, fencing: {fencing},
        keys: 5,
        clients: [
            (processes: 3, zone: "a", timeout: "300ms"),
            (processes: 3, zone: "b", timeout: "300ms"),
        ],
    )"#
    ))
}

#[test]
fn failover_with_async_replication_loses_acknowledged_writes_when_a_partition_splits_it() {
    let duration = SimDuration::from_secs(10);
    let mut losing = 0;
    for seed in 0..50u64 {
        let cut = partition(
            &["a"],
            &["b"],
            SimDuration::from_secs(2),
            SimDuration::from_secs(4),
        );
        let (r, _) = run(&failover("Async", false), seed, duration, vec![], vec![cut]);
        assert_eq!(r.leaders_max, 2, "seed {seed}: both sides lead");
        assert!(r.split_brain_s > 3.0, "seed {seed}: {r:?}");
        if r.lost_acked_writes > 0 && r.linearizable == Verdict::NotLinearizable {
            losing += 1;
        }
    }
    assert!(
        losing >= 45,
        "only {losing} of 50 seeds lost acknowledged writes"
    );
    // Quorum writes on the same split acknowledge nothing they could lose: unavailable instead.
    let cut = partition(
        &["a"],
        &["b"],
        SimDuration::from_secs(2),
        SimDuration::from_secs(4),
    );
    let (r, m) = run(&failover("Quorum", true), 1, duration, vec![], vec![cut]);
    assert_eq!(r.lost_acked_writes, 0, "{r:?}");
    let acked_during_split = m
        .history
        .operations()
        .iter()
        .filter(|o| {
            o.call != sim_history::Call::Read
                && o.invoked.as_secs_f64() > 2.5
                && o.completed.as_secs_f64() < 6.0
                && matches!(o.result, sim_history::Completion::Ok(_))
        })
        .count();
    assert_eq!(
        acked_during_split, 0,
        "two replicas cannot make a quorum apart"
    );
    assert!(r.ops.ok > 1000, "{r:?}");
}

fn adder(keys: bool) -> sim_store::StoreSpec {
    spec(&format!(
        r#"(
        replicas: 3, zones: ["a", "b", "c"],
        election: Raft(election_timeout_min: "150ms", election_timeout_max: "300ms", heartbeat: "50ms"),
        keys: 1,
        clients: [(processes: 4, zone: "a", timeout: "100ms", retries: 3, idempotency_keys: {keys},
                   mix: (add: 0.8, read: 0.2))],
    )"#
    ))
}

#[test]
fn resent_adds_apply_twice_without_idempotency_keys_and_once_with_them() {
    let duration = SimDuration::from_secs(10);
    // The leader pauses (a GC pause) for longer than a client's timeout, twice: clients resend
    // adds that the leader then applies anyway.
    let pauses = || {
        vec![
            StoreFault::Pause {
                replica: None,
                start: SimDuration::from_secs(2),
                duration: SimDuration::from_millis(140),
            },
            StoreFault::Pause {
                replica: None,
                start: SimDuration::from_secs(5),
                duration: SimDuration::from_millis(140),
            },
        ]
    };
    let (without, _) = run(&adder(false), 3, duration, pauses(), vec![]);
    let (with, _) = run(&adder(true), 3, duration, pauses(), vec![]);
    assert!(without.duplicate_adds > 0, "{without:?}");
    assert_eq!(without.linearizable, Verdict::NotLinearizable);
    assert_eq!(with.duplicate_adds, 0, "{with:?}");
    assert_eq!(
        with.linearizable,
        Verdict::Linearizable,
        "{:?}",
        with.first_anomaly
    );
}

fn leased(leader: usize, drift: f64) -> sim_store::StoreSpec {
    let mut drifts = [0.0; 3];
    drifts[leader] = drift;
    let zones = ["a", "b", "c"];
    spec(&format!(
        r#"(
        replicas: 3, zones: ["a", "b", "c"], clock_drift: {drifts:?},
        election: Lease(ttl: "2s", margin: "100ms", election_timeout_min: "150ms",
                        election_timeout_max: "300ms", heartbeat: "50ms"),
        reads: Lease,
        keys: 2,
        clients: [
            (processes: 4, zone: "{}", timeout: "300ms", mix: (read: 0.9, write: 0.1)),
            (processes: 4, zone: "{}", timeout: "300ms", mix: (read: 0.1, write: 0.9)),
        ],
    )"#,
        zones[leader],
        zones[(leader + 1) % 3],
    ))
}

#[test]
fn a_lease_serves_stale_reads_only_when_drift_times_ttl_exceeds_its_margin() {
    let duration = SimDuration::from_secs(12);
    for seed in 0..5 {
        // Who leads at 3 s: the run is the same up to the partition, whatever comes after.
        let (_, before) = run(
            &leased(0, 0.0),
            seed,
            SimDuration::from_secs(3),
            vec![],
            vec![],
        );
        let leader = before
            .replicas
            .iter()
            .position(|r| r.role == sim_store::replica::Role::Leader)
            .expect("a leader by 3 s");
        let zones = ["a", "b", "c"];
        let others: Vec<&str> = (0..3).filter(|&z| z != leader).map(|z| zones[z]).collect();
        let cut = || {
            vec![partition(
                &[zones[leader]],
                &others,
                SimDuration::from_secs(3),
                SimDuration::from_secs(5),
            )]
        };
        // Its clock 20% slow × 2 s = 400 ms > 100 ms margin: the isolated leader's lease
        // outlives its successor's wait.
        let (slow, _) = run(&leased(leader, -0.2), seed, duration, vec![], cut());
        assert!(slow.stale_reads > 0, "seed {seed}: {slow:?}");
        assert_eq!(slow.linearizable, Verdict::NotLinearizable);
        // 1% × 2 s = 20 ms < 100 ms: safe.
        let (fine, _) = run(&leased(leader, -0.01), seed, duration, vec![], cut());
        assert_eq!(fine.stale_reads, 0, "seed {seed}: {fine:?}");
        assert_eq!(
            fine.linearizable,
            Verdict::Linearizable,
            "{:?}",
            fine.first_anomaly
        );
        assert_eq!(
            fine.leaders_max, 2,
            "the isolated leader believes it leads all the same"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_history_and_report() {
    let duration = SimDuration::from_secs(5);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (faults, net) = random_faults(&mut rng, 3, duration);
    let (a, ma) = run(&raft(3), 9, duration, faults.clone(), net.clone());
    let (b, mb) = run(&raft(3), 9, duration, faults, net);
    assert_eq!(a, b);
    assert_eq!(ma.history.operations(), mb.history.operations());
    assert_eq!(ma.timeline, mb.timeline);
    let (c, _) = run(&raft(3), 10, duration, vec![], vec![]);
    assert_ne!(a, c);
}

#[test]
fn a_replica_is_isolated_while_a_partition_leaves_it_without_a_majority() {
    let s = SimDuration::from_secs;
    // Three replicas, one per zone: cutting "a" from "b" and "c" isolates replica 0 only;
    // then a one-way cut of "c" leaves replica 2 unable to hear the others, isolated too.
    let cut = partition(&["a"], &["b", "c"], s(2), s(3));
    let mut one_way = partition(&["c"], &["a", "b"], s(7), s(1));
    one_way.one_way = true;
    let m = simulate(&raft(3), 1, s(10), vec![], vec![cut, one_way]);
    let at = |secs| sim_core::SimTime::ZERO + s(secs);
    assert_eq!(
        m.isolation,
        vec![
            (at(2), 0, true),
            (at(5), 0, false),
            (at(7), 2, true),
            (at(8), 2, false),
        ]
    );
    // Five replicas over three zones (0 and 3 in a, 1 and 4 in b, 2 in c): cutting c off
    // isolates replica 2 alone; the other four keep their majority.
    let five = simulate(
        &raft(5),
        1,
        s(4),
        vec![],
        vec![partition(&["a", "b"], &["c"], s(1), s(1))],
    );
    assert_eq!(five.isolation, vec![(at(1), 2, true), (at(2), 2, false)]);
}

#[test]
fn another_models_operations_run_on_processes_of_their_own_and_come_back_tagged() {
    use sim_core::{RunLimits, SimTime, Simulation};
    use sim_store::{CallerSpec, ExternalCall, ExternalOp};
    let s = SimDuration::from_secs;
    let mut model = build(&raft(3), 1, s(4), vec![], vec![]);
    let caller = model.add_caller(
        "api",
        CallerSpec {
            timeout: ms(100),
            retries: 1,
            idempotency_keys: true,
        },
    );
    let limits = RunLimits {
        end_time: SimTime::ZERO + s(4),
        ..RunLimits::default()
    };
    let mut sim = Simulation::new(model, limits);
    sim.run_until(SimTime::ZERO + s(1));
    let own = sim.model().processes.len();
    // Twenty operations at once: more than one process can hold, so each gets its own.
    for tag in 0..20u64 {
        let call = [
            ExternalCall::Write,
            ExternalCall::Read,
            ExternalCall::Add(1),
        ][tag as usize % 3];
        let ev = sim.model_mut().submit(ExternalOp {
            tag,
            caller,
            zone: 0,
            node: sim_store::FIRST_CALLER_NODE,
            instance: 0,
            key: None,
            call,
        });
        sim.schedule_at(SimTime::ZERO + s(1), ev);
    }
    sim.run_until(SimTime::ZERO + s(2));
    let mut answers: Vec<_> = sim.model_mut().take_answers().collect();
    answers.sort_by_key(|a| a.tag);
    assert_eq!(
        answers.iter().map(|a| a.tag).collect::<Vec<_>>(),
        (0..20).collect::<Vec<_>>()
    );
    assert!(
        answers
            .iter()
            .all(|a| matches!(a.completion, sim_history::Completion::Ok(_))),
        "{answers:?}"
    );
    // A write's answer carries the value it wrote, a read's what it read.
    assert!(answers
        .iter()
        .filter(|a| a.tag % 3 == 0)
        .all(|a| a.seen.is_some()));
    assert_eq!(
        sim.model().processes.len(),
        own + 20,
        "one process per concurrent operation"
    );
    // Later operations reuse the idle processes.
    for tag in 100..105u64 {
        let ev = sim.model_mut().submit(ExternalOp {
            tag,
            caller,
            zone: 1,
            node: sim_store::FIRST_CALLER_NODE,
            instance: 1,
            key: Some(2),
            call: ExternalCall::Write,
        });
        sim.schedule_at(SimTime::ZERO + s(2), ev);
    }
    sim.run();
    let (mut m, _) = sim.into_parts();
    let later: Vec<_> = m.take_answers().collect();
    assert_eq!(later.len(), 5);
    assert!(
        later.iter().all(|a| a.key == 2),
        "the key asked for: {later:?}"
    );
    assert_eq!(m.processes.len(), own + 20);
    // Each is in the history as one of the store's own operations, and judged with them.
    let theirs = m
        .history
        .operations()
        .iter()
        .filter(|o| o.process.0 as usize >= own)
        .count();
    assert_eq!(theirs, 25);
    let r = m.measure(
        SimTime::ZERO + s(4),
        sim_history::linearizable::DEFAULT_STEP_BUDGET,
    );
    assert_eq!(r.linearizable, Verdict::Linearizable);
}
