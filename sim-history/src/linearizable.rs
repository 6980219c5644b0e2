//! Is there an order of the operations, each taking effect at one instant between its
//! invocation and its completion, that a single register would have produced? The
//! Wing–Gong–Lowe search, as Porcupine and Knossos run it:
//!
//! - the history is split per key (a register per key: P-compositionality), and each key is
//!   searched on its own;
//! - invocations and completions form one list in time order (an invocation before a completion
//!   at the same instant, so that operations touching in time count as concurrent and no
//!   anomaly is reported that a different tie-break would explain away);
//! - the search takes the first operation whose invocation comes before any pending completion
//!   and that the register can apply, removes it from the list, and starts over; when it meets
//!   the completion of an operation not yet taken, it backtracks;
//! - each (set of operations taken, register value) reached is remembered, and never explored
//!   twice: what makes the search practical;
//! - failed operations (`Fail`) never took effect and are left out; indeterminate ones (`Info`)
//!   complete at the end of time, so they may take effect anywhere after their invocation, or
//!   never (once every determinate operation is placed, the search is done);
//! - indeterminate writes whose value nobody observed are left out (see
//!   `drop_unobserved_indeterminate`: no verdict changes, and the search no longer tries each
//!   of them at every later point);
//! - indeterminate operations asking the same thing (a counter's unanswered adds) are taken
//!   in invocation order, since any one could stand for another;
//! - a budget of search steps, not of wall-clock time, bounds the search: past it the answer is
//!   `Unknown`, and the same on every machine.
//!
//! When no order exists, the report names the operation the deepest attempt could not place,
//! the operations concurrent with it, and the values the register could hold just before it.

use crate::history::History;
use crate::operation::{Completion, Key, OpId, Operation};
use crate::register::{step, Value};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use sim_core::SimTime;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashSet};

/// The search steps allowed per key before the answer is `Unknown`.
pub const DEFAULT_STEP_BUDGET: u64 = 10_000_000;

/// The verdict on a history or one of its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Some order explains every operation.
    Linearizable,
    /// No order does.
    NotLinearizable,
    /// The step budget ran out first.
    Unknown,
}

/// Why no order explains a key's operations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    /// The key.
    pub key: Key,
    /// The operation that could not be placed.
    pub op: OpId,
    /// Operations concurrent with it and not yet placed when it had to be: the candidates the
    /// search tried before it.
    pub concurrent: Vec<OpId>,
    /// Values the register could hold just before it, whatever order came first (at most 8).
    pub could_hold: Vec<Value>,
    /// The same in a sentence.
    pub explanation: String,
}

/// The verdict on a whole history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Linearizability {
    /// Not linearizable if any key is not; else unknown if any key is; else linearizable.
    pub verdict: Verdict,
    /// The anomaly of the first key found not linearizable (keys in order).
    pub anomaly: Option<Anomaly>,
    /// Keys found not linearizable.
    pub bad_keys: Vec<Key>,
    /// Keys the budget ran out on.
    pub unknown_keys: Vec<Key>,
    /// Keys checked.
    pub keys: usize,
    /// Search steps taken over all keys.
    pub steps: u64,
}

/// Checks a whole history, key by key (in parallel: keys are independent, and the results are
/// combined in key order, so the verdict is the same on any number of threads), with `budget`
/// steps per key.
pub fn check(history: &History, budget: u64) -> Linearizability {
    let mut by_key: BTreeMap<Key, Vec<OpId>> = BTreeMap::new();
    for (i, o) in history.operations().iter().enumerate() {
        by_key.entry(o.key).or_default().push(OpId(i as u32));
    }
    let keys: Vec<(Key, Vec<OpId>)> = by_key.into_iter().collect();
    let results: Vec<(Verdict, u64, Option<Anomaly>)> = keys
        .par_iter()
        // Each worker reuses its memo's memory from key to key.
        .map_init(Seen::default, |seen, (key, ids)| {
            search_key(
                seen,
                history.operations(),
                history.initial(),
                *key,
                ids,
                budget,
            )
        })
        .collect();
    let mut result = Linearizability {
        verdict: Verdict::Linearizable,
        anomaly: None,
        bad_keys: Vec::new(),
        unknown_keys: Vec::new(),
        keys: keys.len(),
        steps: 0,
    };
    for ((key, _), (verdict, steps, anomaly)) in keys.iter().zip(results) {
        result.steps += steps;
        match verdict {
            Verdict::Linearizable => {}
            Verdict::Unknown => result.unknown_keys.push(*key),
            Verdict::NotLinearizable => {
                result.bad_keys.push(*key);
                if result.anomaly.is_none() {
                    result.anomaly = anomaly;
                }
            }
        }
    }
    result.verdict = if result.anomaly.is_some() {
        Verdict::NotLinearizable
    } else if !result.unknown_keys.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Linearizable
    };
    result
}

/// One list entry: an operation's invocation or completion.
#[derive(Clone, Copy)]
struct ListEntry {
    /// Index into the key's operations.
    op: u32,
    call: bool,
    /// The other entry of the same operation.
    other: u32,
}

/// Checks the operations `ids` of one key, whose register held `initial` before them; returns
/// the verdict, the steps taken and, if not linearizable, why.
pub fn check_key(
    all: &[Operation],
    initial: Value,
    key: Key,
    ids: &[OpId],
    budget: u64,
) -> (Verdict, u64, Option<Anomaly>) {
    search_key(&mut Seen::default(), all, initial, key, ids, budget)
}

/// [`check_key`] with a memo to reuse.
fn search_key(
    seen: &mut Seen,
    all: &[Operation],
    initial: Value,
    key: Key,
    ids: &[OpId],
    budget: u64,
) -> (Verdict, u64, Option<Anomaly>) {
    // Failed operations did nothing; unanswered reads constrain nothing.
    let mut ops: Vec<(OpId, Operation)> = ids
        .iter()
        .map(|&id| (id, all[id.0 as usize]))
        .filter(|(_, o)| {
            o.result != Completion::Fail
                && !(o.result == Completion::Info && o.call == crate::Call::Read)
        })
        .collect();
    drop_unobserved_indeterminate(&mut ops);
    // Numbered in invocation order, the sets taken stay compact in the memo (see `Seen`).
    ops.sort_by_key(|(id, o)| (o.invoked, *id));
    let n = ops.len();
    if n == 0 {
        return (Verdict::Linearizable, 0, None);
    }
    // Indeterminate operations asking the same thing are interchangeable: each may take effect
    // at any time after its invocation, so any order that uses a later one could use the
    // earliest instead. Taking them in invocation order only turns 2^k subsets into k + 1
    // counts (a counter's unanswered adds would otherwise exhaust any budget).
    let mut twin_before = vec![u32::MAX; n];
    {
        let mut last: std::collections::HashMap<crate::Call, u32> = Default::default();
        let mut by_invocation: Vec<usize> = (0..n).collect();
        by_invocation.sort_by_key(|&i| (ops[i].1.invoked, i));
        for i in by_invocation {
            if ops[i].1.result == Completion::Info {
                if let Some(&t) = last.get(&ops[i].1.call) {
                    twin_before[i] = t;
                }
                last.insert(ops[i].1.call, i as u32);
            }
        }
    }
    let end = |o: &Operation| {
        if o.result == Completion::Info {
            SimTime::MAX
        } else {
            o.completed
        }
    };
    // (time, completion after invocation, op) orders the list.
    let mut order: Vec<(SimTime, bool, u32)> = Vec::with_capacity(2 * n);
    for (i, (_, o)) in ops.iter().enumerate() {
        order.push((o.invoked, false, i as u32));
        order.push((end(o), true, i as u32));
    }
    order.sort_unstable();
    let mut entries: Vec<ListEntry> = Vec::with_capacity(2 * n);
    let mut call_at = vec![0u32; n];
    let mut ret_at = vec![0u32; n];
    for (k, &(_, ret, op)) in order.iter().enumerate() {
        if ret {
            ret_at[op as usize] = k as u32;
        } else {
            call_at[op as usize] = k as u32;
        }
        entries.push(ListEntry {
            op,
            call: !ret,
            other: 0,
        });
    }
    for e in entries.iter_mut() {
        e.other = if e.call {
            ret_at[e.op as usize]
        } else {
            call_at[e.op as usize]
        };
    }
    // A doubly linked list over the entries, with sentinels `head` and `tail`.
    let m = entries.len();
    let (head, tail) = (m, m + 1);
    let mut next = vec![tail; m + 2];
    let mut prev = vec![head; m + 2];
    for i in 0..m {
        next[i] = if i + 1 < m { i + 1 } else { tail };
        prev[i] = if i == 0 { head } else { i - 1 };
    }
    next[head] = 0;
    prev[tail] = m - 1;
    let lift = |next: &mut Vec<usize>, prev: &mut Vec<usize>, e: usize, other: usize| {
        next[prev[e]] = next[e];
        prev[next[e]] = prev[e];
        next[prev[other]] = next[other];
        prev[next[other]] = prev[other];
    };
    let unlift = |next: &mut Vec<usize>, prev: &mut Vec<usize>, e: usize, other: usize| {
        next[prev[other]] = other;
        prev[next[other]] = other;
        next[prev[e]] = e;
        prev[next[e]] = e;
    };

    let mut taken = Taken::new(n);
    seen.clear();
    // (entry taken, state before it, whether it was a read).
    let mut stack: Vec<(usize, Value, bool)> = Vec::new();
    let mut state: Value = initial;
    let mut entry = next[head];
    let mut steps = 0u64;
    // The deepest point reached: (depth, blocked op, values seen there, ops open beside it).
    let mut deepest: Option<(usize, u32, Vec<Value>, Vec<u32>)> = None;

    while next[head] != tail {
        if steps >= budget {
            return (Verdict::Unknown, steps, None);
        }
        steps += 1;
        let e = entries[entry];
        if e.call {
            let (_, o) = ops[e.op as usize];
            let twin = twin_before[e.op as usize];
            let applicable = if twin != u32::MAX && !taken.has(twin) {
                None // its earlier twin goes first
            } else {
                step(state, o.call, o.result)
            };
            let Some(after) = applicable else {
                entry = next[entry];
                continue;
            };
            // A read that can go now, and returns what the register holds, can always go
            // now: any order that places it later stays valid with it moved here (it changes
            // nothing, and everything that had to precede it already has). So when the search
            // from here fails, every other choice at this point fails too.
            let read = o.call == crate::Call::Read;
            taken.flip(e.op);
            if seen.insert(&taken, after) {
                stack.push((entry, state, read));
                state = after;
                lift(&mut next, &mut prev, entry, e.other as usize);
                entry = next[head];
                continue;
            }
            taken.flip(e.op);
            if !read {
                entry = next[entry];
                continue;
            }
            // Seen and not on this path, so searched and failed: so does this point.
        } else {
            if end(&ops[e.op as usize].1) == SimTime::MAX {
                // Every determinate operation is placed; the rest may never have happened.
                return (Verdict::Linearizable, steps, None);
            }
            let depth = stack.len();
            match &mut deepest {
                Some((d, op, values, _)) if *d == depth && *op == e.op => {
                    if values.len() < 8 && !values.contains(&state) {
                        values.push(state);
                    }
                }
                Some((d, ..)) if *d >= depth => {}
                _ => {
                    let mut pending = Vec::new();
                    let mut k = next[head];
                    while k != entry {
                        if entries[k].call {
                            pending.push(entries[k].op);
                        }
                        k = next[k];
                    }
                    deepest = Some((depth, e.op, vec![state], pending));
                }
            }
        }
        // Back to the latest choice that has alternatives.
        loop {
            let Some((top, before, read)) = stack.pop() else {
                let (_, op, values, pending) = deepest.expect("set on meeting a completion");
                return (
                    Verdict::NotLinearizable,
                    steps,
                    Some(anomaly(key, &ops, op, values, pending)),
                );
            };
            let t = entries[top];
            taken.flip(t.op);
            state = before;
            unlift(&mut next, &mut prev, top, t.other as usize);
            entry = next[top];
            if !read {
                break;
            }
        }
    }
    (Verdict::Linearizable, steps, None)
}

/// Leaves out indeterminate writes (and compare-and-sets) whose value no operation observes:
/// whatever order places one, the operation right after it cannot depend on its value (no read
/// returns it, no compare-and-set expects it, and the key has no `add` that would carry it), so
/// the same order without it is just as valid. This removes what makes a search over
/// indeterminate operations explode (each may take effect anywhere after it began, or never),
/// and changes no verdict: stores write unique values, so nearly every unanswered write goes.
fn drop_unobserved_indeterminate(ops: &mut Vec<(OpId, Operation)>) {
    use crate::Call;
    if ops.iter().any(|(_, o)| matches!(o.call, Call::Add(_))) {
        return;
    }
    let observed: HashSet<i64> = ops
        .iter()
        .filter_map(|(_, o)| match (o.call, o.result) {
            (Call::Read, Completion::Ok(v)) => v,
            (Call::Cas { from, .. }, _) => Some(from),
            _ => None,
        })
        .collect();
    ops.retain(|(_, o)| match (o.call, o.result) {
        (Call::Write(v), Completion::Info) | (Call::Cas { to: v, .. }, Completion::Info) => {
            observed.contains(&v)
        }
        _ => true,
    });
}

/// The set of operations taken so far, with a Zobrist hash kept up to date as it changes, so
/// that remembering a search state hashes two words instead of the whole set.
struct Taken {
    bits: Vec<u64>,
    hash: u64,
    keys: Vec<u64>,
}

impl Taken {
    fn new(n: usize) -> Taken {
        // SplitMix64 from a fixed seed: the same keys on every machine.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let keys = (0..n)
            .map(|_| {
                x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            })
            .collect();
        Taken {
            bits: vec![0; n.div_ceil(64)],
            hash: 0,
            keys,
        }
    }

    fn has(&self, op: u32) -> bool {
        self.bits[op as usize / 64] & (1 << (op % 64)) != 0
    }

    fn flip(&mut self, op: u32) {
        self.bits[op as usize / 64] ^= 1 << (op % 64);
        self.hash ^= self.keys[op as usize];
    }
}

/// The search states already explored: (set taken, value), each set stored exactly but
/// compactly. Operations are numbered in invocation order, so a set taken is all ones up to
/// the oldest operation still open, a short mixed window, then zeros: only the window is
/// kept, with where it starts. A state costs a few words instead of a bit per operation,
/// which is what keeps a search of millions of states in cache.
#[derive(Default)]
struct Seen {
    /// (hash of the set mixed with the value) → first slot with that hash.
    first: FxHashMap<u64, u32>,
    slots: Vec<Slot>,
    /// The slots' windows, end to end.
    words: Vec<u64>,
}

/// One remembered state.
#[derive(Clone, Copy)]
struct Slot {
    value: Value,
    /// Where its window starts in `Seen::words`.
    at: usize,
    /// The index of its window's first word in the set (every word before it is all ones).
    lo: u32,
    /// Its window's length in words (every word after it is zero).
    len: u32,
    /// The next slot with the same hash (`u32::MAX`: none), for the rare collision.
    next: u32,
}

impl Seen {
    /// Forgets everything, keeping the memory for the next key.
    fn clear(&mut self) {
        self.first.clear();
        self.slots.clear();
        self.words.clear();
    }

    /// Remembers (`taken`, `value`); false if it was already remembered.
    fn insert(&mut self, taken: &Taken, value: Value) -> bool {
        let bits = &taken.bits[..];
        let lo = bits
            .iter()
            .position(|&w| w != u64::MAX)
            .unwrap_or(bits.len());
        let hi = bits
            .iter()
            .rposition(|&w| w != 0)
            .map_or(0, |i| i + 1)
            .max(lo);
        let window = &bits[lo..hi];
        let mixed = match value {
            None => 0x6A09_E667_F3BC_C909,
            Some(v) => (v as u64)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(29),
        };
        let slot = self.slots.len() as u32;
        match self.first.entry(taken.hash ^ mixed) {
            Entry::Vacant(v) => {
                v.insert(slot);
            }
            Entry::Occupied(o) => {
                let mut s = *o.get();
                loop {
                    let t = self.slots[s as usize];
                    if t.value == value
                        && t.lo as usize == lo
                        && t.len as usize == window.len()
                        && self.words[t.at..t.at + window.len()] == *window
                    {
                        return false;
                    }
                    if t.next == u32::MAX {
                        break;
                    }
                    s = t.next;
                }
                self.slots[s as usize].next = slot;
            }
        }
        self.slots.push(Slot {
            value,
            at: self.words.len(),
            lo: lo as u32,
            len: window.len() as u32,
            next: u32::MAX,
        });
        self.words.extend_from_slice(window);
        true
    }
}

fn anomaly(
    key: Key,
    ops: &[(OpId, Operation)],
    op: u32,
    mut values: Vec<Value>,
    pending: Vec<u32>,
) -> Anomaly {
    values.sort();
    let (id, o) = ops[op as usize];
    let show = |v: &Value| v.map_or("nothing".to_string(), |v| v.to_string());
    let held = values.iter().map(show).collect::<Vec<_>>().join(" or ");
    let what = match (o.call, o.result) {
        (crate::Call::Read, Completion::Ok(v)) => format!("read {}", show(&v)),
        (crate::Call::Write(v), _) => format!("write of {v}"),
        (crate::Call::Cas { from, to }, _) => format!("compare-and-set {from} -> {to}"),
        (crate::Call::Add(d), _) => format!("add of {d}"),
        (crate::Call::Read, _) => "read".to_string(),
    };
    let explanation = format!(
        "key {}: process {}'s {what} (operation {}, {:.6} s to {:.6} s) cannot be placed: \
         whatever order the operations before it took, the register could only hold {held} \
         ({} other operation(s) still open beside it)",
        key.0,
        o.process.0,
        id.0,
        o.invoked.as_secs_f64(),
        o.completed.as_secs_f64(),
        pending.len().saturating_sub(1),
    );
    Anomaly {
        key,
        op: id,
        concurrent: pending
            .into_iter()
            .filter(|&p| p != op)
            .map(|p| ops[p as usize].0)
            .collect(),
        could_hold: values,
        explanation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(n: usize, ops: impl IntoIterator<Item = u32>) -> Taken {
        let mut t = Taken::new(n);
        for op in ops {
            t.flip(op);
        }
        t
    }

    #[test]
    fn the_memo_tells_apart_sets_whose_windows_match_at_different_places() {
        let mut seen = Seen::default();
        // The same one-word window (bit 6), once at word 0 and once at word 1 after a full word.
        let low = taken(192, [6]);
        let high = taken(192, (0..64).chain([70]));
        assert_eq!(low.bits[0], high.bits[1]);
        assert!(seen.insert(&low, Some(1)));
        assert!(seen.insert(&high, Some(1)));
        assert!(!seen.insert(&low, Some(1)), "remembered");
        assert!(!seen.insert(&high, Some(1)), "remembered");
        // The same set with another value, or with nothing in the register, is a new state.
        assert!(seen.insert(&low, Some(2)));
        assert!(seen.insert(&low, None));
        // Everything taken and nothing taken: empty windows, told apart by where they start.
        let all = taken(128, 0..128);
        let none = taken(128, []);
        assert!(seen.insert(&all, None));
        assert!(seen.insert(&none, None));
        assert!(!seen.insert(&all, None));
        seen.clear();
        assert!(seen.insert(&low, Some(1)), "forgotten after clear");
    }
}
