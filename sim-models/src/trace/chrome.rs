//! Chrome trace-event JSON (the `{"traceEvents": […]}` format read by Perfetto and
//! `chrome://tracing`) from a [`Tracer`]'s spans.
//!
//! - every span is an `"X"` (complete) event, `ts` and `dur` in microseconds printed to the
//!   nanosecond (`12.345`), integers only, so the same run gives the same bytes;
//! - each sampled request is a process (`pid` 1, 2, … in the order they were sent) named
//!   `request N (client NAME)` by a `process_name` event;
//! - within it, spans sit on *lanes* (`tid`s): a span shares its parent's lane, drawn nested
//!   under it, when it lies within the parent and after every earlier span of the parent's
//!   subtree on that lane; otherwise (hedges and fan-outs that overlap, late work that outlives
//!   its caller) it moves to the lowest lane free from its start. No two spans of a lane
//!   overlap unless one is an ancestor containing the other, so viewers never misnest them;
//! - each parent → child link is a flow (`"s"` bound to the parent, `"f"` with `"bp":"e"`
//!   bound to the child): the viewers bind a flow event to the slice that most recently began
//!   on its lane, so each is written just after the `"X"` it belongs to, at the same time;
//! - timeouts (of a call or an attempt), fallbacks, sheds, rejections at an instance and
//!   refusals by a caller's policies are also `"i"` (instant) events where they happened,
//!   written after the slices of their instant so that they never change how slices nest.

use super::{Span, SpanEnd, SpanKind, Tracer, NO_SPAN};
use crate::edge::Edge;
use crate::outcome::Outcome;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Writes the trace `tracer` recorded as Chrome trace-event JSON, with the scenario's name and
/// the seed in `otherData`; `services` and `stores` (each in name order) and `edges` name what
/// the spans refer to.
pub fn write_chrome_json(
    tracer: &Tracer,
    services: &[&str],
    stores: &[&str],
    edges: &[Edge],
    scenario: &str,
    seed: u64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let names = Names::of(services, stores, edges);
    out.write_all(b"{\"traceEvents\":[")?;
    let mut first = true;
    let mut buf = String::new();
    for (k, spans) in by_request(tracer).iter().enumerate() {
        let laid = lay_out(tracer, spans);
        buf.clear();
        request_events(tracer, &names, k + 1, spans, &laid, &mut first, &mut buf);
        out.write_all(buf.as_bytes())?;
    }
    let config = tracer.config();
    write!(
        out,
        "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{{\"generator\":\"faultline\",\"scenario\":{},\"seed\":{seed},\"sample\":{},\"traced_requests\":{},\"sampled_over_cap\":{},\"max_requests\":{},\"max_spans\":{}}}}}\n",
        json_str(scenario),
        config.sample,
        tracer.roots.len(),
        tracer.over_cap,
        config.max_requests,
        config.max_spans,
    )
}

/// Names of the world's parts, resolved and JSON-escaped (quotes included) once.
struct Names {
    services: Vec<String>,
    /// `from→to` per edge.
    edges: Vec<String>,
    /// The caller's name per edge.
    callers: Vec<String>,
    /// Stores, unquoted (a store span's name joins it with the call).
    stores: Vec<String>,
}

impl Names {
    fn of(services: &[&str], stores: &[&str], edges: &[Edge]) -> Names {
        Names {
            edges: edges
                .iter()
                .map(|e| json_str(&format!("{}→{}", e.from, services[e.to.index()])))
                .collect(),
            callers: edges.iter().map(|e| json_str(&e.from)).collect(),
            services: services.iter().map(|s| json_str(s)).collect(),
            stores: stores.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// The span ids of each traced request, in the order the requests were sent; each list in
/// the order the spans started.
fn by_request(t: &Tracer) -> Vec<Vec<u32>> {
    let mut lists = vec![Vec::new(); t.roots.len()];
    for s in &t.spans {
        let k = t
            .roots
            .binary_search(&s.trace)
            .expect("every span has a root");
        lists[k].push(s.id);
    }
    lists
}

/// Where each span of one request goes: its lane, and its place in depth-first order.
struct Layout {
    /// Local indices (into the request's span list) in depth-first order, parents first.
    order: Vec<usize>,
    /// Lane of each span, by local index.
    lane: Vec<u32>,
    /// Children of each span, by local index, in start order.
    children: Vec<Vec<usize>>,
    lanes: u32,
}

/// The latest end among some spans, and whether a zero-length one ends then.
#[derive(Clone, Copy, Debug, Default)]
struct Mark {
    end: u64,
    zero: bool,
}

impl Mark {
    fn add(&mut self, s: &Span) {
        let (end, zero) = (s.end.0, s.end == s.start);
        if end > self.end {
            *self = Mark { end, zero };
        } else if end == self.end {
            self.zero |= zero;
        }
    }

    /// Whether span `s` comes after every span marked, as the viewers see it: a slice covers
    /// `[start, end)`, so one that ends when `s` starts is over, except that zero-length
    /// slices at the same instant stack on each other.
    fn before(&self, s: &Span) -> bool {
        self.end < s.start.0 || (self.end == s.start.0 && !(self.zero && s.end == s.start))
    }
}

/// Whether the viewers draw span `s` inside span `p` on one lane.
fn inside(s: &Span, p: &Span) -> bool {
    s.start >= p.start && s.end <= p.end && (s.start < p.end || p.start == p.end)
}

fn lay_out(t: &Tracer, ids: &[u32]) -> Layout {
    let n = ids.len();
    let local = |id: u32| ids.binary_search(&id).ok();
    let parent: Vec<Option<usize>> = ids
        .iter()
        .map(|&id| {
            let p = t.spans[id as usize].parent;
            (p != NO_SPAN).then(|| local(p)).flatten()
        })
        .collect();
    let mut children = vec![Vec::new(); n];
    for (i, p) in parent.iter().enumerate() {
        if let Some(p) = *p {
            children[p].push(i);
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut stack = vec![0usize];
    while let Some(i) = stack.pop() {
        order.push(i);
        stack.extend(children[i].iter().rev());
    }
    let span = |i: usize| &t.spans[ids[i] as usize];
    let mut lane = vec![0u32; n];
    // The spans placed in each span's subtree on its own lane.
    let mut busy = vec![Mark::default(); n];
    // The spans placed on each lane.
    let mut lanes: Vec<Mark> = Vec::new();
    for &i in &order {
        let s = span(i);
        let l = match parent[i] {
            None => 0,
            Some(p) if inside(s, span(p)) && busy[p].before(s) => lane[p],
            Some(_) => match lanes.iter().position(|m| m.before(s)) {
                Some(k) => k as u32,
                None => lanes.len() as u32,
            },
        };
        lane[i] = l;
        if lanes.len() <= l as usize {
            lanes.push(Mark::default());
        }
        lanes[l as usize].add(s);
        let mut a = parent[i];
        while let Some(p) = a {
            if lane[p] == l {
                busy[p].add(s);
            }
            a = parent[p];
        }
    }
    Layout {
        order,
        lane,
        children,
        lanes: lanes.len() as u32,
    }
}

/// Microseconds with three decimals: nanosecond precision, integer arithmetic only.
#[cfg(test)]
fn us(ns: u64) -> String {
    let mut out = String::new();
    push_us(&mut out, ns);
    out
}

/// Writes `ns` as microseconds with three decimals.
fn push_us(out: &mut String, ns: u64) {
    let _ = write!(out, "{}.{:03}", ns / 1000, ns % 1000);
}

/// `s` as a JSON string, quotes included.
/// Store `k`'s name ("store" if the writer was not told it).
fn store_name(names: &Names, k: u32) -> &str {
    names.stores.get(k as usize).map_or("store", |s| s.as_str())
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string always encodes")
}

/// The instant event a span's end is, where it happened: a caller's timeout, a fallback, a
/// refusal by the instance or by the caller's own policies.
fn instant(s: &Span) -> Option<Outcome> {
    let SpanEnd::Outcome(o) = s.outcome else {
        return None;
    };
    let at_origin = match s.kind {
        SpanKind::Call => matches!(o, Outcome::Timeout | Outcome::Fallback),
        SpanKind::Attempt { .. } => o == Outcome::Timeout || o.is_local_rejection(),
        SpanKind::Serve => matches!(o, Outcome::Shed | Outcome::Rejected),
        SpanKind::Request { .. } | SpanKind::Backoff | SpanKind::Store { .. } => false,
    };
    at_origin.then_some(o)
}

/// One event of a request, before it is written.
#[derive(Clone, Copy)]
enum Event {
    /// The span's slice.
    Slice,
    /// The flow from its parent, bound to it.
    FlowIn,
    /// The flow to its child (local index), bound to it.
    FlowOut(usize),
    /// The instant its end is.
    Instant(Outcome),
}

/// Appends the events of one request (process `pid`) to `out`, in time order, each preceded
/// by a comma unless it is the file's `first`.
fn request_events(
    t: &Tracer,
    names: &Names,
    pid: usize,
    ids: &[u32],
    laid: &Layout,
    first: &mut bool,
    out: &mut String,
) {
    let mut next = |out: &mut String| {
        out.push_str(if *first { "\n" } else { ",\n" });
        *first = false;
    };
    let root = &t.spans[ids[0] as usize];
    let SpanKind::Request { seq } = root.kind else {
        unreachable!("a trace starts with its request")
    };
    let client = &names.callers[root.edge.index()];
    next(out);
    let _ = write!(
        out,
        r#"{{"name":"process_name","ph":"M","pid":{pid},"tid":0,"args":{{"name":"request {seq} (client {})"}}}}"#,
        &client[1..client.len() - 1]
    );
    next(out);
    let _ = write!(
        out,
        r#"{{"name":"process_sort_index","ph":"M","pid":{pid},"tid":0,"args":{{"sort_index":{pid}}}}}"#
    );
    for l in 0..laid.lanes {
        next(out);
        let _ = write!(
            out,
            r#"{{"name":"thread_name","ph":"M","pid":{pid},"tid":{},"args":{{"name":"lane {l}"}}}}"#,
            l + 1
        );
    }
    // (time, class, depth-first position, sub-order, local index, event): each span's "X",
    // then the flow into it, then the flows out of it. Instants (class 1) come after every
    // slice and flow of their instant: a viewer stacks zero-length slices at one instant on
    // each other, so an instant written before a zero-length span would be drawn as its parent.
    let mut events: Vec<(u64, u8, usize, usize, usize, Event)> = Vec::new();
    let mut position = vec![0usize; ids.len()];
    for (o, &i) in laid.order.iter().enumerate() {
        position[i] = o;
    }
    for (o, &i) in laid.order.iter().enumerate() {
        let s = &t.spans[ids[i] as usize];
        events.push((s.start.0, 0, o, 0, i, Event::Slice));
        if s.parent != NO_SPAN {
            events.push((s.start.0, 0, o, 1, i, Event::FlowIn));
        }
        for &c in &laid.children[i] {
            events.push((s.start.0, 0, o, 2 + position[c], i, Event::FlowOut(c)));
        }
        if let Some(what) = instant(s) {
            events.push((s.end.0, 1, o, 0, i, Event::Instant(what)));
        }
    }
    events.sort_unstable_by_key(|e| (e.0, e.1, e.2, e.3));
    for (ts, _, _, _, i, event) in events {
        let s = &t.spans[ids[i] as usize];
        let tid = laid.lane[i] + 1;
        next(out);
        match event {
            Event::Slice => slice(t, names, s, pid, tid, out),
            Event::FlowIn | Event::FlowOut(_) => {
                let (ph, id) = match event {
                    Event::FlowOut(c) => (r#""s""#, ids[c]),
                    _ => (r#""f","bp":"e""#, s.id),
                };
                let _ = write!(
                    out,
                    r#"{{"name":"span","cat":"link","ph":{ph},"id":{id},"ts":"#
                );
                push_us(out, ts);
                let _ = write!(out, r#","pid":{pid},"tid":{tid}}}"#);
            }
            Event::Instant(what) => {
                let what = what.name();
                let _ = write!(
                    out,
                    r#"{{"name":"{what}","cat":"outcome","ph":"i","s":"t","ts":"#
                );
                push_us(out, ts);
                let _ = write!(
                    out,
                    r#","pid":{pid},"tid":{tid},"args":{{"span":{},"outcome":"{what}"}}}}"#,
                    s.id
                );
            }
        }
    }
}

/// Writes span `s` as an `"X"` event.
fn slice(t: &Tracer, names: &Names, s: &Span, pid: usize, tid: u32, out: &mut String) {
    let edge = &names.edges[s.edge.index()];
    let service = &names.services[s.service.index()];
    let (cat, attempt_kind) = match s.kind {
        SpanKind::Request { .. } => ("request", ""),
        SpanKind::Call => ("call", ""),
        SpanKind::Attempt { n: 1, .. } => ("attempt", "first"),
        SpanKind::Attempt { hedge: true, .. } => ("attempt", "hedge"),
        SpanKind::Attempt { .. } => ("attempt", "retry"),
        SpanKind::Backoff => ("backoff", ""),
        SpanKind::Serve => ("serve", ""),
        SpanKind::Store { .. } => ("store", ""),
    };
    out.push_str(r#"{"name":"#);
    match s.kind {
        SpanKind::Request { seq } => {
            let _ = write!(out, r#""request {seq}""#);
        }
        SpanKind::Call => out.push_str(edge),
        SpanKind::Attempt { n: 1, .. } => out.push_str(r#""attempt 1""#),
        SpanKind::Attempt { n, .. } => {
            let _ = write!(out, r#""attempt {n} ({attempt_kind})""#);
        }
        SpanKind::Backoff => out.push_str(r#""backoff""#),
        SpanKind::Serve => {
            let _ = write!(out, r#"{}#{}""#, &service[..service.len() - 1], s.instance);
        }
        SpanKind::Store { store, call, .. } => {
            let name = format!("{} {}", store_name(names, store), call.name());
            out.push_str(&json_str(&name));
        }
    }
    let _ = write!(out, r#","cat":"{cat}","ph":"X","ts":"#);
    push_us(out, s.start.0);
    out.push_str(r#","dur":"#);
    push_us(out, s.end.0 - s.start.0);
    let _ = write!(
        out,
        r#","pid":{pid},"tid":{tid},"args":{{"span":{},"parent":"#,
        s.id
    );
    let parent = (s.parent != NO_SPAN).then(|| &t.spans[s.parent as usize]);
    match parent {
        Some(p) => {
            let _ = write!(out, "{}", p.id);
        }
        None => out.push_str("null"),
    }
    let _ = write!(
        out,
        r#","outcome":"{}","service":{service}"#,
        s.outcome.name()
    );
    match s.kind {
        SpanKind::Request { seq } => {
            let client = &names.callers[s.edge.index()];
            let _ = write!(out, r#","request":{seq},"client":{client}"#);
        }
        SpanKind::Call | SpanKind::Backoff => {
            let _ = write!(out, r#","edge":{edge}"#);
        }
        SpanKind::Attempt { n, .. } => {
            let _ = write!(
                out,
                r#","edge":{edge},"attempt":{n},"attempt_kind":"{attempt_kind}""#
            );
        }
        SpanKind::Store {
            store,
            key,
            call,
            read,
        } => {
            let store = json_str(store_name(names, store));
            let _ = write!(
                out,
                r#","store":{store},"key":{key},"call":"{}""#,
                call.name()
            );
            match call {
                sim_history::Call::Write(v) | sim_history::Call::Add(v) => {
                    let _ = write!(out, r#","value":{v}"#);
                }
                sim_history::Call::Cas { from, to } => {
                    let _ = write!(out, r#","from":{from},"to":{to}"#);
                }
                sim_history::Call::Read => {
                    if let Some(v) = read {
                        let _ = write!(out, r#","read":{v}"#);
                    }
                }
            }
        }
        SpanKind::Serve => {
            let _ = write!(out, r#","instance":{},"edge":{edge}"#, s.instance);
            if s.worker_at != sim_core::SimTime::MAX {
                out.push_str(r#","queue_wait_us":"#);
                push_us(out, s.worker_at.0 - s.start.0);
            }
        }
    }
    if let Some(before) = s.before_fallback {
        let _ = write!(out, r#","fallback_for":"{}""#, before.name());
    }
    if parent.is_some_and(|p| s.end > p.end) {
        out.push_str(r#","late":true"#);
    }
    out.push_str("}}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{EdgeId, ServiceId};
    use sim_core::SimTime;

    fn span(id: u32, parent: u32, start: u64, end: u64) -> Span {
        Span {
            id,
            parent,
            trace: 0,
            kind: if parent == NO_SPAN {
                SpanKind::Request { seq: 1 }
            } else {
                SpanKind::Call
            },
            start: SimTime(start),
            end: SimTime(end),
            outcome: SpanEnd::Outcome(Outcome::Completed),
            edge: EdgeId::new(0),
            service: ServiceId::new(0),
            instance: NO_SPAN,
            worker_at: SimTime::MAX,
            before_fallback: None,
            routed: false,
        }
    }

    fn tracer(spans: Vec<Span>) -> Tracer {
        let mut t = Tracer::new(super::super::TraceConfig::sampling(1.0), 1);
        t.spans = spans;
        t.roots = vec![0];
        t
    }

    #[test]
    fn time_prints_in_microseconds_to_the_nanosecond() {
        assert_eq!(us(0), "0.000");
        assert_eq!(us(1), "0.001");
        assert_eq!(us(1_234_567), "1234.567");
    }

    #[test]
    fn sequential_children_share_their_parents_lane_and_overlapping_ones_do_not() {
        // 0: request [0, 100); 1: call [0, 100); 2: attempt [0, 40); 3: hedge [20, 60);
        // 4: serve of 2 [5, 30); 5: attempt [60, 90) after both.
        let t = tracer(vec![
            span(0, NO_SPAN, 0, 100),
            span(1, 0, 0, 100),
            span(2, 1, 0, 40),
            span(3, 1, 20, 60),
            span(4, 2, 5, 30),
            span(5, 1, 60, 90),
        ]);
        let l = lay_out(&t, &[0, 1, 2, 3, 4, 5]);
        assert_eq!(l.order, [0, 1, 2, 4, 3, 5], "depth first, parents first");
        assert_eq!(&l.lane[..3], [0, 0, 0], "nested: one lane");
        assert_eq!(l.lane[4], 0, "the serve nests under its attempt");
        assert_ne!(l.lane[3], 0, "the hedge overlaps the first attempt");
        assert_eq!(l.lane[5], 0, "after both, back on the call's lane");
    }

    #[test]
    fn a_late_child_leaves_its_parents_lane() {
        // The call ends (timeout) at 10; its serve goes on to 50.
        let t = tracer(vec![
            span(0, NO_SPAN, 0, 10),
            span(1, 0, 0, 10),
            span(2, 1, 2, 50),
        ]);
        let l = lay_out(&t, &[0, 1, 2]);
        assert_eq!(l.lane, [0, 0, 1]);
    }

    #[test]
    fn zero_length_spans_share_a_lane_with_what_follows_them() {
        // An attempt refused at once at 10, a backoff [10, 30), the next attempt at 30.
        let t = tracer(vec![
            span(0, NO_SPAN, 0, 100),
            span(1, 0, 0, 100),
            span(2, 1, 10, 10),
            span(3, 1, 10, 30),
            span(4, 1, 30, 30),
            span(5, 1, 30, 30),
        ]);
        let l = lay_out(&t, &[0, 1, 2, 3, 4, 5]);
        assert_eq!(&l.lane[..5], [0; 5]);
        assert_ne!(
            l.lane[5], 0,
            "two zero-length siblings at one instant would stack"
        );
    }

    #[test]
    fn no_two_spans_of_a_lane_overlap_unless_nested() {
        // A fan-out of 8 overlapping calls, each with a serve, some late, some zero-length.
        let mut spans = vec![span(0, NO_SPAN, 0, 1000), span(1, 0, 0, 1000)];
        for k in 0..8u64 {
            let id = spans.len() as u32;
            let end = if k % 3 == 0 { 10 + k } else { 500 + 10 * k };
            spans.push(span(id, 1, 10 + k, end));
            spans.push(span(id + 1, id, 20 + k, 400 + 200 * k));
        }
        let ids: Vec<u32> = (0..spans.len() as u32).collect();
        let t = tracer(spans);
        let l = lay_out(&t, &ids);
        let ancestor = |a: usize, mut b: usize| {
            while t.spans[b].parent != NO_SPAN {
                b = t.spans[b].parent as usize;
                if b == a {
                    return true;
                }
            }
            false
        };
        let mark = |s: &Span| {
            let mut m = Mark::default();
            m.add(s);
            m
        };
        for a in 0..ids.len() {
            for b in 0..ids.len() {
                let (sa, sb) = (&t.spans[a], &t.spans[b]);
                if a == b || l.lane[a] != l.lane[b] {
                    continue;
                }
                let apart = mark(sa).before(sb) || mark(sb).before(sa);
                let nested = ancestor(a, b) && inside(sb, sa) || ancestor(b, a) && inside(sa, sb);
                assert!(apart || nested, "spans {a} and {b} on lane {}", l.lane[a]);
            }
        }
    }
}
