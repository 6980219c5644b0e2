//! Random histories for the checker's tests and benchmark: each one the record of a real
//! register, so linearizable by construction until a test alters it.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim_core::{SimDuration, SimTime};
use sim_history::{register, Call, Completion, History, Key, Operation, Process};

/// How to draw a history.
pub struct Shape {
    pub keys: u32,
    pub processes_per_key: u32,
    pub ops_per_key: u32,
    /// Probability that an operation ends without an answer.
    pub info: f64,
    /// Whether `add` is among the calls.
    pub adds: bool,
}

/// A history of a single correct register per key: every operation takes effect at a random
/// instant of its interval (an indeterminate one, half the time never), in that order.
pub fn linearizable(rng: &mut ChaCha8Rng, shape: &Shape) -> History {
    let us = |n: u64| SimDuration::from_nanos(n * 1_000);
    let mut ops: Vec<Operation> = Vec::new();
    let mut next_value = 1i64;
    for k in 0..shape.keys {
        // (linearization point, index in `ops`, takes effect)
        let mut points: Vec<(SimTime, usize, bool)> = Vec::new();
        let mut clock = vec![SimTime::ZERO; shape.processes_per_key as usize];
        for _ in 0..shape.ops_per_key {
            let p = rng.random_range(0..shape.processes_per_key) as usize;
            let invoked = clock[p] + us(rng.random_range(0..50));
            let completed = invoked + us(rng.random_range(1..100));
            let info = rng.random::<f64>() < shape.info;
            let call = match rng.random_range(0..if shape.adds { 4 } else { 3 }) {
                0 => Call::Read,
                1 => {
                    next_value += 1;
                    Call::Write(next_value)
                }
                2 => {
                    next_value += 1;
                    Call::Cas {
                        from: rng.random_range(1..=next_value.max(2) - 1),
                        to: next_value,
                    }
                }
                _ => Call::Add(rng.random_range(1..4)),
            };
            // An unanswered operation's client gives up later; its process moves on then.
            let given_up = completed + us(rng.random_range(0..200));
            clock[p] = if info { given_up } else { completed };
            let at = invoked + us(rng.random_range(0..=(completed - invoked).as_nanos() / 1_000));
            points.push((at, ops.len(), !info || rng.random::<bool>()));
            ops.push(Operation {
                process: Process(k * shape.processes_per_key + p as u32),
                key: Key(k),
                call,
                invoked,
                completed: if info { given_up } else { completed },
                result: if info {
                    Completion::Info
                } else {
                    Completion::Ok(None)
                },
            });
        }
        points.sort_by_key(|&(t, i, _)| (t, i));
        let mut state = None;
        for (_, i, effect) in points {
            let o = &mut ops[i];
            if o.result == Completion::Info {
                if effect {
                    state = register::step(state, o.call, o.result).unwrap_or(state);
                }
                continue;
            }
            match register::step(state, o.call, Completion::Ok(state)) {
                Some(after) => {
                    if o.call == Call::Read {
                        o.result = Completion::Ok(state);
                    }
                    state = after;
                }
                None => o.result = Completion::Fail, // a compare-and-set that found another value
            }
        }
    }
    ops.sort_by_key(|o| (o.invoked, o.process));
    History::from_operations(ops)
}
