//! The linearizability checker on the textbook histories, and against a brute-force search over
//! every order on a thousand random small ones.

mod support;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim_core::{SimDuration, SimTime};
use sim_history::linearizable::{check, DEFAULT_STEP_BUDGET};
use sim_history::{register, Call, Completion, History, Key, OpId, Operation, Process, Verdict};

fn op(p: u32, call: Call, from: u64, to: u64, result: Completion) -> Operation {
    let t = |ms| SimTime::ZERO + SimDuration::from_millis(ms);
    Operation {
        process: Process(p),
        key: Key(0),
        call,
        invoked: t(from),
        completed: t(to),
        result,
    }
}

const OK: Completion = Completion::Ok(None);
fn read(v: i64) -> Completion {
    Completion::Ok(Some(v))
}

fn verdict(ops: Vec<Operation>) -> Verdict {
    check(&History::from_operations(ops), DEFAULT_STEP_BUDGET).verdict
}

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    // Herlihy & Wing's figure: the read overlaps the write of 2, so 1 or 2 are both fine.
    for seen in [1, 2] {
        let v = verdict(vec![
            op(0, Call::Write(1), 0, 10, OK),
            op(0, Call::Write(2), 20, 40, OK),
            op(1, Call::Read, 30, 50, read(seen)),
        ]);
        assert_eq!(v, Verdict::Linearizable, "read {seen}");
    }
}

#[test]
fn a_read_after_a_completed_overwrite_cannot_see_the_old_value() {
    let h = History::from_operations(vec![
        op(0, Call::Write(1), 0, 10, OK),
        op(0, Call::Write(2), 20, 30, OK),
        op(1, Call::Read, 40, 50, read(1)),
    ]);
    let r = check(&h, DEFAULT_STEP_BUDGET);
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let a = r.anomaly.unwrap();
    assert_eq!(a.op, OpId(2));
    assert_eq!(a.could_hold, vec![Some(2)]);
    assert!(a.explanation.contains("read 1"), "{}", a.explanation);
    assert!(
        a.explanation.contains("could only hold 2"),
        "{}",
        a.explanation
    );
}

#[test]
fn two_reads_cannot_see_a_value_come_back() {
    // Read 2 then, strictly later, read 1 again with a single write of each value: the
    // "new-old inversion" a stale replica produces.
    let v = verdict(vec![
        op(0, Call::Write(1), 0, 10, OK),
        op(0, Call::Write(2), 20, 100, OK),
        op(1, Call::Read, 30, 40, read(2)),
        op(2, Call::Read, 50, 60, read(1)),
    ]);
    assert_eq!(v, Verdict::NotLinearizable);
}

#[test]
fn an_indeterminate_write_may_take_effect_late_or_never() {
    let write = |to| op(0, Call::Write(2), 10, to, Completion::Info);
    // Seen long after its client gave up: fine, it was still in flight.
    let late = vec![
        op(1, Call::Write(1), 0, 5, OK),
        write(20),
        op(1, Call::Read, 100, 110, read(2)),
    ];
    assert_eq!(verdict(late), Verdict::Linearizable);
    // Never seen: fine too.
    let never = vec![
        op(1, Call::Write(1), 0, 5, OK),
        write(20),
        op(1, Call::Read, 100, 110, read(1)),
    ];
    assert_eq!(verdict(never), Verdict::Linearizable);
    // But not before it was invoked.
    let early = vec![
        op(1, Call::Write(1), 0, 5, OK),
        op(1, Call::Read, 6, 8, read(2)),
        write(20),
    ];
    assert_eq!(verdict(early), Verdict::NotLinearizable);
}

#[test]
fn a_failed_write_never_happened() {
    let v = verdict(vec![
        op(0, Call::Write(1), 0, 5, OK),
        op(0, Call::Write(2), 10, 20, Completion::Fail),
        op(1, Call::Read, 30, 40, read(2)),
    ]);
    assert_eq!(v, Verdict::NotLinearizable);
}

#[test]
fn compare_and_set_orders_concurrent_writers() {
    // Two concurrent cas from 0: only one can win; both claiming success is impossible.
    let both = vec![
        op(0, Call::Write(0), 0, 1, OK),
        op(1, Call::Cas { from: 0, to: 1 }, 10, 20, OK),
        op(2, Call::Cas { from: 0, to: 2 }, 10, 20, OK),
    ];
    assert_eq!(verdict(both), Verdict::NotLinearizable);
    let one = vec![
        op(0, Call::Write(0), 0, 1, OK),
        op(1, Call::Cas { from: 0, to: 1 }, 10, 20, OK),
        op(2, Call::Cas { from: 0, to: 2 }, 10, 20, Completion::Fail),
        op(3, Call::Read, 30, 40, read(1)),
    ];
    assert_eq!(verdict(one), Verdict::Linearizable);
}

#[test]
fn registers_that_start_at_a_value_are_checked_from_it() {
    // Read-modify-write from a register that starts at 0: read 0, cas 0 -> 1, read 1.
    let ops = vec![
        op(0, Call::Read, 0, 5, read(0)),
        op(0, Call::Cas { from: 0, to: 1 }, 10, 20, OK),
        op(1, Call::Read, 30, 40, read(1)),
    ];
    let from_zero = History::from_operations(ops.clone()).with_initial(Some(0));
    assert_eq!(
        check(&from_zero, DEFAULT_STEP_BUDGET).verdict,
        Verdict::Linearizable
    );
    // The same history of registers that start empty: nobody wrote the 0 that was read.
    assert_eq!(verdict(ops), Verdict::NotLinearizable);
}

#[test]
fn an_add_applied_twice_is_not_linearizable() {
    let v = verdict(vec![
        op(0, Call::Add(1), 0, 10, OK),
        op(1, Call::Read, 20, 30, read(2)),
    ]);
    assert_eq!(v, Verdict::NotLinearizable);
}

#[test]
fn keys_are_judged_apart_and_the_first_bad_key_is_reported() {
    let mut ops = vec![
        op(0, Call::Write(1), 0, 10, OK),
        op(1, Call::Read, 20, 30, read(1)),
    ];
    let mut bad = op(2, Call::Read, 20, 30, read(1)); // key 1 was never written
    bad.key = Key(1);
    ops.push(bad);
    let r = check(&History::from_operations(ops), DEFAULT_STEP_BUDGET);
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    assert_eq!(r.keys, 2);
    let a = r.anomaly.unwrap();
    assert_eq!((a.key, a.op), (Key(1), OpId(2)));
    assert_eq!(a.could_hold, vec![None]);
}

#[test]
fn a_search_past_its_budget_answers_unknown_not_a_guess() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let shape = support::Shape {
        keys: 1,
        processes_per_key: 8,
        ops_per_key: 400,
        info: 0.1,
        adds: false,
    };
    let h = support::linearizable(&mut rng, &shape);
    let full = check(&h, DEFAULT_STEP_BUDGET);
    assert_eq!(full.verdict, Verdict::Linearizable);
    let r = check(&h, full.steps / 2);
    assert_eq!(r.verdict, Verdict::Unknown);
    assert_eq!(r.unknown_keys, vec![Key(0)]);
    assert!(r.anomaly.is_none());
}

/// Whether some order of `ops`, each placed in its own interval, is a register's run: every
/// subset of the indeterminate writes that took effect, every order that respects real time.
fn brute_force(ops: &[Operation]) -> bool {
    let ops: Vec<Operation> = ops
        .iter()
        .copied()
        .filter(|o| {
            o.result != Completion::Fail && !(o.result == Completion::Info && o.call == Call::Read)
        })
        .collect();
    let infos: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].result == Completion::Info)
        .collect();
    for mask in 0..(1u32 << infos.len()) {
        let chosen: Vec<Operation> = (0..ops.len())
            .filter(|i| match infos.iter().position(|j| j == i) {
                Some(b) => mask & (1 << b) != 0,
                None => true,
            })
            .map(|i| ops[i])
            .collect();
        let mut used = vec![false; chosen.len()];
        if orders(&chosen, &mut used, None, 0) {
            return true;
        }
    }
    false
}

fn orders(ops: &[Operation], used: &mut [bool], state: Option<i64>, placed: usize) -> bool {
    if placed == ops.len() {
        return true;
    }
    for i in 0..ops.len() {
        if used[i] {
            continue;
        }
        // `i` may go next only if no unplaced operation had completed before it began.
        let blocked = (0..ops.len()).any(|j| {
            !used[j]
                && j != i
                && ops[j].result != Completion::Info
                && ops[j].completed < ops[i].invoked
        });
        if blocked {
            continue;
        }
        if let Some(after) = register::step(state, ops[i].call, ops[i].result) {
            used[i] = true;
            if orders(ops, used, after, placed + 1) {
                used[i] = false;
                return true;
            }
            used[i] = false;
        }
    }
    false
}

#[test]
fn the_checker_agrees_with_trying_every_order_on_a_thousand_small_histories() {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let (mut yes, mut no) = (0, 0);
    for case in 0..1_500 {
        let shape = support::Shape {
            keys: 1,
            processes_per_key: rng.random_range(1..=4),
            ops_per_key: rng.random_range(1..=7),
            info: 0.2,
            adds: case % 3 == 0,
        };
        let h = support::linearizable(&mut rng, &shape);
        let mut ops = h.operations().to_vec();
        // Half the time, corrupt one answer: a read sees another value, or a result flips.
        if rng.random::<bool>() {
            let i = rng.random_range(0..ops.len());
            ops[i].result = match ops[i].result {
                Completion::Ok(Some(v)) => Completion::Ok(Some(v + rng.random_range(-2..=2))),
                Completion::Ok(None) if ops[i].call == Call::Read => Completion::Ok(Some(2)),
                Completion::Ok(None) => Completion::Fail,
                Completion::Fail => Completion::Ok(None),
                Completion::Info => Completion::Ok(None),
            };
        }
        let expected = brute_force(&ops);
        let got = check(&History::from_operations(ops.clone()), DEFAULT_STEP_BUDGET).verdict;
        let want = if expected {
            yes += 1;
            Verdict::Linearizable
        } else {
            no += 1;
            Verdict::NotLinearizable
        };
        assert_eq!(got, want, "case {case}: {ops:#?}");
    }
    // Both answers must be well represented, or the agreement proves little.
    assert!(yes > 500 && no > 150, "{yes} linearizable, {no} not");
}

#[test]
fn generated_histories_of_a_correct_register_are_linearizable() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let shape = support::Shape {
        keys: 20,
        processes_per_key: 5,
        ops_per_key: 200,
        info: 0.05,
        adds: true,
    };
    let h = support::linearizable(&mut rng, &shape);
    let r = check(&h, DEFAULT_STEP_BUDGET);
    assert_eq!(r.verdict, Verdict::Linearizable, "{:?}", r.anomaly);
    assert_eq!(r.keys, 20);
}

#[test]
fn the_verdict_and_its_anomaly_are_the_same_on_one_thread_and_on_four() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let shape = support::Shape {
        keys: 30,
        processes_per_key: 4,
        ops_per_key: 100,
        info: 0.1,
        adds: false,
    };
    let mut ops = support::linearizable(&mut rng, &shape)
        .operations()
        .to_vec();
    for o in ops.iter_mut().filter(|o| o.key.0 % 7 == 3) {
        if let Completion::Ok(Some(v)) = o.result {
            o.result = Completion::Ok(Some(v + 1000));
        }
    }
    let h = History::from_operations(ops);
    let on = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| check(&h, DEFAULT_STEP_BUDGET))
    };
    let one = on(1);
    assert_eq!(one.verdict, Verdict::NotLinearizable);
    assert_eq!(one.bad_keys.first(), Some(&Key(3)));
    assert_eq!(one, on(4));
}
