//! Split brain as a property over generated fault schedules: Raft with quorum writes and
//! fencing stays safe whatever partition, crash and pause strike its replicas (one leader per
//! term, a linearizable history, nothing acknowledged lost), while naive failover with async
//! replication does not — and its failure shrinks to the shortest partition that still loses
//! writes, just past the failover's detection time.

use sim_experiment::{ensure, Experiment, FaultGen, Verdict};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[test]
fn raft_with_quorum_writes_and_fencing_is_safe_under_any_partition_crash_and_pause() {
    let elections = AtomicU64::new(0);
    let cases = AtomicU64::new(0);
    let split_ms = AtomicU64::new(0);
    Experiment::load("scenarios/split-brain-fenced.ron")
        .unwrap()
        .set("duration=\"12s\"")
        .set("faults=[]")
        .fault(
            FaultGen::partition(&["east"], &["west"])
                .starting("0s", "8s")
                .lasting("100ms", "4s"),
        )
        .fault(
            FaultGen::crash("kv")
                .starting("0s", "8s")
                .lasting("100ms", "3s"),
        )
        .fault(
            FaultGen::pause("kv")
                .starting("0s", "8s")
                .lasting("100ms", "2s"),
        )
        .seeds(200)
        .check(|run| {
            let m = |name: &str| run.metric(&format!("stores.kv.{name}"));
            cases.fetch_add(1, Relaxed);
            elections.fetch_add(m("elections")? as u64, Relaxed);
            split_ms.fetch_add((m("split_brain_s")? * 1e3) as u64, Relaxed);
            ensure!(
                m("same_term_leaders")? == 0.0,
                "two leaders in one term ({} times)",
                m("same_term_leaders")?
            );
            ensure!(
                m("linearizable")? == 1.0,
                "not linearizable: {:?}",
                run.report().stores["kv"].first_anomaly
            );
            ensure!(
                m("lost_acked_writes")? == 0.0,
                "{} acknowledged writes lost",
                m("lost_acked_writes")?
            );
            ensure!(
                m("stale_reads")? == 0.0,
                "{} stale reads",
                m("stale_reads")?
            );
            ensure!(m("ops.ok")? > 100.0, "the store served hardly anything");
            Ok(())
        });
    // The faults forced elections, and deposed leaders went on believing they led for a
    // while: the safety was challenged, not just never tested.
    let (elections, cases) = (elections.load(Relaxed), cases.load(Relaxed));
    let split_s = split_ms.load(Relaxed) as f64 / 1e3;
    println!("{elections} elections and {split_s} s of two believing leaders over {cases} cases");
    assert!(
        2 * elections > 3 * cases,
        "{elections} elections over {cases} cases"
    );
    assert!(
        split_s > 0.05 * cases as f64,
        "{split_s} s of split brain over {cases} cases"
    );
}

/// The drawn length of a generated fault's text: `duration: "1234ms"`.
fn duration_ms(fault: &str) -> u64 {
    let rest = &fault[fault.find("duration: \"").expect("a duration") + 11..];
    rest[..rest.find("ms").expect("in ms")].parse().unwrap()
}

#[test]
fn failover_loses_acknowledged_writes_and_shrinks_to_a_partition_just_past_its_detection_time() {
    let claim = Experiment::load("scenarios/split-brain.ron")
        .unwrap()
        .set("duration=\"12s\"")
        .set("faults=[]")
        .fault(
            FaultGen::partition(&["east"], &["west"])
                .starting("1s", "5s")
                .lasting("10ms", "5s"),
        )
        .seeds(50)
        .search_seed(1)
        .ignore_environment();
    let Verdict::Failed(failure) = claim
        .run(
            || (),
            |run| {
                let lost = run.metric("stores.kv.lost_acked_writes")?;
                ensure!(lost == 0.0, "{lost} acknowledged writes lost");
                Ok(())
            },
        )
        .unwrap()
    else {
        panic!("failover with async replication lost nothing under any partition");
    };
    // The backup promotes itself after 3 missed 50 ms heartbeats (150 ms, plus the rank and
    // check delays): a shorter partition leaves one primary, so nothing can be lost. The
    // shrinker walks the drawn length down to just past that.
    let (first, minimal) = (
        duration_ms(&failure.first.0.faults[0]),
        duration_ms(&failure.case.faults[0]),
    );
    println!("shrunk from a {first} ms partition to {minimal} ms:\n{failure}");
    assert!(
        minimal < first,
        "shrunk from {first} ms to {minimal} ms: {failure}"
    );
    assert!(
        (150..=600).contains(&minimal),
        "the shortest losing partition is {minimal} ms: {failure}"
    );
    // The printed command reproduces the loss with the real binary.
    let report = crate::reproduce(&failure.command);
    let lost = report["stores"]["kv"]["lost_acked_writes"]
        .as_f64()
        .unwrap();
    assert_eq!(failure.message, format!("{lost} acknowledged writes lost"));
}
