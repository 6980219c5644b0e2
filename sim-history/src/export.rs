//! Writing a history as Jepsen writes one, so that other checkers can read it: each operation
//! becomes two events, its invocation and its completion, in time order.
//!
//! - JSON lines (`history.jsonl`): `{"index":0,"type":"invoke","process":1,"f":"write",
//!   "key":3,"value":7,"time":1000000}`, times in nanoseconds.
//! - EDN (`history.edn`), the format Knossos and Elle read, with each key an independent
//!   register as `jepsen.independent` writes them: `{:index 0, :type :invoke, :process 1,
//!   :f :write, :value [3 7], :time 1000000}`; a compare-and-set's value is `[key [from to]]`.

use crate::history::History;
use crate::operation::{Call, Completion, Operation};
use std::fmt::Write as _;
use std::io::{self, Write};

/// One event of the history: an operation's invocation or completion.
struct Event<'a> {
    op: &'a Operation,
    invoke: bool,
}

/// The history's events in time order (an invocation before a completion at the same time,
/// operations in invocation order).
fn events(history: &History) -> Vec<Event<'_>> {
    let mut order: Vec<(u64, bool, usize)> = Vec::with_capacity(history.len() * 2);
    for (i, o) in history.operations().iter().enumerate() {
        order.push((o.invoked.0, false, i));
        order.push((o.completed.0, true, i));
    }
    order.sort_unstable();
    let ops = history.operations();
    order
        .into_iter()
        .map(|(_, done, i)| Event {
            op: &ops[i],
            invoke: !done,
        })
        .collect()
}

/// The value an event carries: what was asked on invocation (and on a completion without a
/// result), what was read on a read's `ok`.
fn value(e: &Event) -> Value {
    match (e.op.call, e.op.result, e.invoke) {
        (Call::Read, Completion::Ok(v), false) => v.map_or(Value::Nil, Value::Int),
        (Call::Read, ..) => Value::Nil,
        (Call::Write(v), ..) | (Call::Add(v), ..) => Value::Int(v),
        (Call::Cas { from, to }, ..) => Value::Pair(from, to),
    }
}

enum Value {
    Nil,
    Int(i64),
    Pair(i64, i64),
}

fn kind(e: &Event) -> &'static str {
    if e.invoke {
        "invoke"
    } else {
        e.op.result.name()
    }
}

/// Writes the history as JSON lines.
pub fn write_jsonl(history: &History, out: &mut impl Write) -> io::Result<()> {
    for (index, e) in events(history).iter().enumerate() {
        let value = match value(e) {
            Value::Int(v) => serde_json::json!(v),
            Value::Pair(a, b) => serde_json::json!([a, b]),
            Value::Nil => serde_json::Value::Null,
        };
        let line = serde_json::json!({
            "index": index,
            "type": kind(e),
            "process": e.op.process.0,
            "f": e.op.call.name(),
            "key": e.op.key.0,
            "value": value,
            "time": if e.invoke { e.op.invoked } else { e.op.completed }.0,
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Writes the history as Jepsen's EDN, one map per line.
pub fn write_edn(history: &History, out: &mut impl Write) -> io::Result<()> {
    let mut line = String::new();
    for (index, e) in events(history).iter().enumerate() {
        line.clear();
        let v = match value(e) {
            Value::Int(v) => v.to_string(),
            Value::Pair(a, b) => format!("[{a} {b}]"),
            Value::Nil => "nil".to_string(),
        };
        let time = if e.invoke {
            e.op.invoked
        } else {
            e.op.completed
        };
        let _ = write!(
            line,
            "{{:index {index}, :type :{}, :process {}, :f :{}, :value [{} {v}], :time {}}}",
            kind(e),
            e.op.process.0,
            e.op.call.name(),
            e.op.key.0,
            time.0
        );
        writeln!(out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{Key, Process};
    use sim_core::{SimDuration, SimTime};

    fn history() -> History {
        let t = |ms| SimTime::ZERO + SimDuration::from_millis(ms);
        let mut h = History::new();
        let w = h.invoke(t(0), Process(0), Key(3), Call::Write(7)).unwrap();
        let r = h.invoke(t(1), Process(1), Key(3), Call::Read).unwrap();
        h.complete(t(2), w, Completion::Ok(None)).unwrap();
        h.complete(t(3), r, Completion::Ok(Some(7))).unwrap();
        let c = h
            .invoke(t(4), Process(0), Key(3), Call::Cas { from: 7, to: 8 })
            .unwrap();
        h.complete(t(9), c, Completion::Info).unwrap();
        h
    }

    #[test]
    fn edn_lines_are_jepsen_independent_register_events_in_time_order() {
        let mut out = Vec::new();
        write_edn(&history(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(
            lines[0],
            "{:index 0, :type :invoke, :process 0, :f :write, :value [3 7], :time 0}"
        );
        assert_eq!(
            lines[1],
            "{:index 1, :type :invoke, :process 1, :f :read, :value [3 nil], :time 1000000}"
        );
        assert_eq!(
            lines[3],
            "{:index 3, :type :ok, :process 1, :f :read, :value [3 7], :time 3000000}"
        );
        assert_eq!(
            lines[5],
            "{:index 5, :type :info, :process 0, :f :cas, :value [3 [7 8]], :time 9000000}"
        );
    }

    #[test]
    fn json_lines_parse_and_carry_the_same_events() {
        let mut out = Vec::new();
        write_jsonl(&history(), &mut out).unwrap();
        let events: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(events.len(), 6);
        assert_eq!(events[3]["type"], "ok");
        assert_eq!(events[3]["value"], 7);
        assert_eq!(events[4]["f"], "cas");
        assert_eq!(events[4]["value"], serde_json::json!([7, 8]));
        assert_eq!(events[1]["value"], serde_json::Value::Null);
    }
}
