//! Read-modify-write clients (optimistic concurrency): each try reads, then compare-and-sets
//! from the value read; a conflict waits the backoff and reads again; every acknowledged
//! increment lands, and the tally counts tries, calls and abandoned operations exactly.

mod support;

use sim_core::SimDuration;
use sim_history::{Call, Completion, Verdict};
use support::*;

fn rmw(processes: u32, operations: u32, backoff: &str, max_tries: u32) -> sim_store::StoreSpec {
    spec(&format!(
        r#"(
        replicas: 3, zones: ["a", "b", "c"],
        election: Raft(election_timeout_min: "150ms", election_timeout_max: "300ms", heartbeat: "50ms"),
        first_leader: 0,
        keys: 1,
        initial_value: 0,
        clients: [(processes: {processes}, zone: "a", timeout: "1s", start: "1s",
                   think_time: Deterministic(value: "0ms"), operations: {operations},
                   read_modify_write: (backoff: {backoff}, max_tries: {max_tries}))],
    )"#
    ))
}

/// The value the leader holds for key 0 at the end.
fn final_value(model: &sim_store::StoreModel) -> Option<i64> {
    model
        .replicas
        .iter()
        .max_by_key(|r| r.applied)
        .expect("replicas")
        .values[0]
}

#[test]
fn a_lone_client_reads_then_increments_in_one_try_each_time() {
    let (r, model) = run(
        &rmw(1, 5, "Immediate", 3),
        1,
        SimDuration::from_secs(5),
        vec![],
        vec![],
    );
    let t = r.read_modify_write.expect("a read-modify-write report");
    assert_eq!((t.operations, t.completed, t.abandoned), (5, 5, 0));
    assert_eq!((t.calls, t.tries_max, t.cas_failed), (10, 1, 0));
    let reads: Vec<Option<i64>> = model
        .history
        .operations()
        .iter()
        .filter(|o| o.call == Call::Read)
        .map(|o| match o.result {
            Completion::Ok(v) => v,
            _ => panic!("{o:?}"),
        })
        .collect();
    assert_eq!(reads, [Some(0), Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(final_value(&model), Some(5));
    assert_eq!(r.linearizable, Verdict::Linearizable);
}

#[test]
fn contending_clients_wait_their_backoff_after_a_conflict_and_every_increment_lands() {
    let (r, model) = run(
        &rmw(20, 1, r#"Constant("50ms")"#, 100),
        2,
        SimDuration::from_secs(20),
        vec![],
        vec![],
    );
    let t = r.read_modify_write.expect("a read-modify-write report");
    assert_eq!(
        (t.operations, t.completed, t.unfinished),
        (20, 20, 0),
        "{t:?}"
    );
    assert!(
        t.tries_mean > 1.5,
        "20 clients at once must conflict: {t:?}"
    );
    assert_eq!(
        final_value(&model),
        Some(20),
        "an acknowledged increment was lost"
    );
    assert_eq!(r.linearizable, Verdict::Linearizable);
    // Each failed compare-and-set is followed by the same process's read exactly 50 ms later.
    let ops = model.history.operations();
    let mut checked = 0;
    for (i, o) in ops.iter().enumerate() {
        if matches!(o.call, Call::Cas { .. }) && o.result == Completion::Fail {
            let next = ops[i + 1..]
                .iter()
                .find(|n| n.process == o.process)
                .expect("a failed try is tried again");
            assert_eq!(next.call, Call::Read);
            assert_eq!(
                next.invoked.since(o.completed),
                SimDuration::from_millis(50)
            );
            checked += 1;
        }
    }
    assert_eq!(checked as u64, t.cas_failed);
    assert!(checked > 0);
    // Calls: a read and a compare-and-set per try.
    let tries: u64 = 20 + t.cas_failed;
    assert_eq!(t.calls, 2 * tries);
}

#[test]
fn an_operation_out_of_tries_is_abandoned_and_counted() {
    let (r, model) = run(
        &rmw(20, 1, "Immediate", 1),
        3,
        SimDuration::from_secs(5),
        vec![],
        vec![],
    );
    let t = r.read_modify_write.expect("a read-modify-write report");
    assert_eq!(t.completed + t.abandoned, 20, "{t:?}");
    assert!(t.abandoned >= 1 && t.completed >= 1, "{t:?}");
    assert_eq!(t.calls, 40, "one try each: a read and a compare-and-set");
    assert_eq!(final_value(&model), Some(t.completed as i64));
    assert!(t.makespan_ms > 0.0);
}
