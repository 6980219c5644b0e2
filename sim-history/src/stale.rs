//! Stale and unexpected reads, judged from real time alone (Jepsen's `set-full` notion of
//! stale): a read that began after a write had completed, and returned a value that write had
//! already overwritten.
//!
//! A value is traced to the write that produced it only when one write produced it (values
//! written twice are skipped, never guessed at); counters (`add`) are not traced. A read that
//! returns a value nobody wrote (and that the registers did not start with) is *unexpected*.

use crate::history::History;
use crate::operation::{Call, Completion, Key, OpId};
use serde::Serialize;
use sim_core::SimTime;
use std::collections::{BTreeMap, HashMap};

/// Reads that returned what real time had already ruled out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StaleReads {
    /// Reads that returned a value already overwritten before they began (or nothing, after a
    /// write had completed).
    pub stale: Vec<OpId>,
    /// Reads that returned a value no operation wrote.
    pub unexpected: Vec<OpId>,
}

/// Finds the stale and unexpected reads of `history`.
pub fn stale_reads(history: &History) -> StaleReads {
    let ops = history.operations();
    let initial = history.initial();
    let mut by_key: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for (i, o) in ops.iter().enumerate() {
        by_key.entry(o.key).or_default().push(i);
    }
    let mut out = StaleReads::default();
    for ids in by_key.values() {
        // Writes that may have taken effect, by the value they set.
        let mut writer: HashMap<i64, Option<usize>> = HashMap::new();
        let mut counted = false;
        // Writes known to have taken effect: (completed, invoked).
        let mut done: Vec<(SimTime, SimTime)> = Vec::new();
        for &i in ids {
            let o = &ops[i];
            if o.result == Completion::Fail {
                continue;
            }
            let set = match o.call {
                Call::Write(v) => Some(v),
                Call::Cas { to, .. } => Some(to),
                Call::Add(_) => {
                    counted = true;
                    None
                }
                Call::Read => None,
            };
            if let Some(v) = set {
                writer.entry(v).and_modify(|w| *w = None).or_insert(Some(i));
                if matches!(o.result, Completion::Ok(_)) {
                    done.push((o.completed, o.invoked));
                }
            }
        }
        if counted {
            continue; // a counter's values are sums, not any one write's
        }
        done.sort_unstable();
        // latest_start[k]: the latest invocation among the first k + 1 completed writes.
        let latest_start: Vec<SimTime> = done
            .iter()
            .scan(SimTime::ZERO, |m, &(_, inv)| {
                *m = (*m).max(inv);
                Some(*m)
            })
            .collect();
        // The latest invocation of a write completed strictly before `t`, if any.
        let latest_before = |t: SimTime| {
            let k = done.partition_point(|&(c, _)| c < t);
            (k > 0).then(|| latest_start[k - 1])
        };
        for &i in ids {
            let r = &ops[i];
            let (Call::Read, Completion::Ok(v)) = (r.call, r.result) else {
                continue;
            };
            let Some(latest) = latest_before(r.invoked) else {
                continue;
            };
            match v {
                // The register's first value, after a write had completed: stale, unless
                // someone wrote that value again.
                v if v == initial => {
                    if v.is_none_or(|v| !writer.contains_key(&v)) {
                        out.stale.push(OpId(i as u32));
                    }
                }
                None => out.unexpected.push(OpId(i as u32)),
                Some(v) => match writer.get(&v) {
                    None => out.unexpected.push(OpId(i as u32)),
                    Some(None) => {} // written more than once: cannot tell which
                    Some(Some(w)) => {
                        // Stale if a write began after v's write had completed, and completed
                        // before this read began.
                        let w = &ops[*w];
                        if w.result != Completion::Info && latest > w.completed {
                            out.stale.push(OpId(i as u32));
                        }
                    }
                },
            }
        }
        // Reads of values nobody wrote, before any write completed.
        for &i in ids {
            let r = &ops[i];
            if let (Call::Read, Completion::Ok(Some(v))) = (r.call, r.result) {
                if latest_before(r.invoked).is_none()
                    && !writer.contains_key(&v)
                    && initial != Some(v)
                {
                    out.unexpected.push(OpId(i as u32));
                }
            }
        }
    }
    out.stale.sort_unstable();
    out.unexpected.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{Operation, Process};
    use sim_core::SimDuration;

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

    #[test]
    fn a_read_after_an_overwrite_completed_is_stale() {
        let ok = Completion::Ok(None);
        let h = History::from_operations(vec![
            op(0, Call::Write(1), 0, 10, ok),
            op(0, Call::Write(2), 20, 30, ok),
            op(1, Call::Read, 40, 50, Completion::Ok(Some(1))),
            op(2, Call::Read, 25, 50, Completion::Ok(Some(1))), // concurrent with write 2: fine
            op(3, Call::Read, 40, 50, Completion::Ok(Some(2))),
            op(4, Call::Read, 40, 50, Completion::Ok(Some(9))),
        ]);
        let s = stale_reads(&h);
        assert_eq!(s.stale, vec![OpId(2)]);
        assert_eq!(s.unexpected, vec![OpId(5)]);
    }

    #[test]
    fn reading_nothing_after_a_completed_write_is_stale() {
        let h = History::from_operations(vec![
            op(0, Call::Write(1), 0, 10, Completion::Ok(None)),
            op(1, Call::Read, 5, 12, Completion::Ok(None)),
            op(1, Call::Read, 20, 30, Completion::Ok(None)),
        ]);
        assert_eq!(stale_reads(&h).stale, vec![OpId(2)]);
    }

    #[test]
    fn the_starting_value_is_stale_once_a_write_has_completed() {
        let h = History::from_operations(vec![
            op(0, Call::Read, 0, 5, Completion::Ok(Some(0))), // before any write: fine
            op(
                0,
                Call::Cas { from: 0, to: 1 },
                10,
                20,
                Completion::Ok(None),
            ),
            op(1, Call::Read, 30, 40, Completion::Ok(Some(0))),
            op(1, Call::Read, 50, 60, Completion::Ok(None)), // registers are never empty
        ])
        .with_initial(Some(0));
        let s = stale_reads(&h);
        assert_eq!(s.stale, vec![OpId(2)]);
        assert_eq!(s.unexpected, vec![OpId(3)]);
    }

    #[test]
    fn an_indeterminate_write_never_makes_a_read_stale() {
        let h = History::from_operations(vec![
            op(0, Call::Write(1), 0, 10, Completion::Ok(None)),
            op(0, Call::Write(2), 20, 30, Completion::Info),
            op(1, Call::Read, 40, 50, Completion::Ok(Some(1))),
        ]);
        assert_eq!(stale_reads(&h), StaleReads::default());
    }
}
