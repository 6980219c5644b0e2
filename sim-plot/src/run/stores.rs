//! The charts of a run's stores: who believed it led when (a band per replica, and how many
//! leaders at once), client operations by outcome, each replica's replication lag, and the
//! checker's first anomaly as a timeline of the operations no order explains.

use super::{stem_of, Panels, RunChart, RunCharts};
use crate::style::Rgb;
use crate::time_chart::{BandRow, Line, StateBands, TimeChart};
use sim_core::SimTime;
use sim_history::{Call, Completion, Operation};
use sim_store::replica::Role;
use sim_store::StoreModel;

/// Replica roles, in band order, then the same cut off from a majority by the network.
const ROLES: [(&str, Rgb); 5] = [
    ("follower", Rgb(0xBA, 0xB0, 0xAC)),
    ("candidate", Rgb(0xED, 0xC9, 0x48)),
    ("leader", Rgb(0x59, 0xA1, 0x4F)),
    ("isolated", Rgb(0x76, 0xB7, 0xB2)),
    ("leader, isolated", Rgb(0xE1, 0x57, 0x59)),
];

/// Operation outcomes, in band order (the anomaly timeline).
const OUTCOMES: [(&str, Rgb); 3] = [
    ("ok", Rgb(0x59, 0xA1, 0x4F)),
    ("fail", Rgb(0xE1, 0x57, 0x59)),
    ("info (no answer)", Rgb(0xC9, 0xB8, 0xD6)),
];

/// The most operations the anomaly timeline shows: the one that cannot be placed, those
/// concurrent with it, the writes of the value it saw, then the nearest on its key.
pub const ANOMALY_OPS: usize = 16;

/// A replica's band: its role, or, while a partition cuts it off from a majority, whether it
/// still believes it leads (the split brain to look for) or not.
fn band(role: Role, isolated: bool) -> usize {
    match (role, isolated) {
        (Role::Follower, false) => 0,
        (Role::Candidate, false) => 1,
        (Role::Leader, false) => 2,
        (Role::Follower | Role::Candidate, true) => 3,
        (Role::Leader, true) => 4,
    }
}

/// Adds each store's charts to `out`.
pub(super) fn charts(panels: &Panels<'_>, stores: &[StoreModel], out: &mut RunCharts) {
    for store in stores {
        out.charts.push(leaders(panels, store));
        out.charts.push(outcomes(panels, store));
        match lag(panels, store) {
            Some(c) => out.charts.push(c),
            None => out.omitted.push(format!(
                "replication lag of store {}: no replica fell behind",
                store.name
            )),
        }
    }
}

/// A band per replica (its role over time) and a staircase of how many believed they led.
fn leaders(panels: &Panels<'_>, store: &StoreModel) -> RunChart {
    let end = panels.series.end_s;
    let n = store.replicas.len();
    // (since, role, isolated) per replica.
    let mut now = vec![(0.0, Role::Follower, false); n];
    let mut rows: Vec<BandRow> = (0..n)
        .map(|i| BandRow {
            name: format!("replica {i}"),
            spans: Vec::new(),
        })
        .collect();
    let mut leading = 0i64;
    let mut count = vec![(0.0, 0.0)];
    // Role changes and isolation changes, in time order (a role change first at a tie).
    let mut changes: Vec<(SimTime, u32, Option<Role>, bool)> = store
        .timeline
        .iter()
        .map(|&(t, r, role, _)| (t, r, Some(role), false))
        .chain(store.isolation.iter().map(|&(t, r, cut)| (t, r, None, cut)))
        .collect();
    changes.sort_by_key(|&(t, _, role, _)| (t, role.is_none()));
    for (t, r, role, cut) in changes {
        let t = t.as_secs_f64().min(end);
        let r = r as usize;
        let (from, was, was_cut) = now[r];
        let (role, cut) = match role {
            Some(role) => (role, was_cut),
            None => (was, cut),
        };
        if band(role, cut) == band(was, was_cut) {
            now[r] = (from, role, cut);
            continue;
        }
        if t > from {
            rows[r].spans.push((from, t, band(was, was_cut)));
        }
        if role != was {
            leading += i64::from(role == Role::Leader) - i64::from(was == Role::Leader);
            count.push((t, leading as f64));
        }
        now[r] = (t, role, cut);
    }
    for (r, &(from, role, cut)) in now.iter().enumerate() {
        if end > from {
            rows[r].spans.push((from, end, band(role, cut)));
        }
    }
    count.push((end, leading as f64));
    let mut c = panels.chart(
        &format!("Store {}: who believes it leads", store.name),
        "replicas leading",
    );
    c.lines
        .push(Line::new("replicas believing they lead", count).step());
    c.states = Some(StateBands {
        states: ROLES.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
        rows,
    });
    RunChart {
        stem: format!("store-{}-leaders", stem_of(&store.name)),
        caption: format!(
            "Each replica of store {} as it saw itself (bands: follower, candidate, leader), \
             or isolated while the network cut it off from a majority of the replicas \
             (\"leader, isolated\": it still believes it leads, and is the split brain to look \
             for), and how many believed at once that they led (line): two or more is split \
             brain. The faults' windows are shaded.",
            store.name
        ),
        chart: c,
    }
}

/// Client operations completed per second, by outcome.
fn outcomes(panels: &Panels<'_>, store: &StoreModel) -> RunChart {
    let series = panels.series;
    let width = series.bucket_s;
    let buckets = series.starts.len();
    let mut counts = [vec![0.0; buckets], vec![0.0; buckets], vec![0.0; buckets]];
    for o in store.history.operations() {
        let b = ((o.completed.as_secs_f64() / width) as usize).min(buckets.saturating_sub(1));
        let k = match o.result {
            Completion::Ok(_) => 0,
            Completion::Fail => 1,
            Completion::Info => 2,
        };
        if let Some(slot) = counts[k].get_mut(b) {
            *slot += 1.0 / width;
        }
    }
    let mut c = panels.chart(
        &format!("Store {}: operations by outcome", store.name),
        "operations/s",
    );
    for (k, name) in ["ok", "fail", "info (timed out)"].iter().enumerate() {
        c.lines
            .push(Line::new(*name, series.points(&counts[k])).color(k));
    }
    RunChart {
        stem: format!("store-{}-operations", stem_of(&store.name)),
        caption: format!(
            "Store {}'s client operations per second by how they ended, per {} s bucket of \
             their completion: took effect (ok), definitely did not (fail: a refused \
             compare-and-set, nobody leading), unknown (info: the client gave up waiting).",
            store.name, panels.bucket
        ),
        chart: c,
    }
}

/// Entries each replica had applied behind the most advanced one, per bucket; `None` if none
/// ever fell behind (or the run did not record them).
fn lag(panels: &Panels<'_>, store: &StoreModel) -> Option<RunChart> {
    let width = store.applied_bucket.as_secs_f64();
    let buckets = store.applied.first().map_or(0, Vec::len);
    if width == 0.0 || buckets == 0 {
        return None;
    }
    // Carry each replica's applied index forward through buckets where it applied nothing.
    let filled: Vec<Vec<u64>> = store
        .applied
        .iter()
        .map(|s| {
            let mut last = 0;
            s.iter()
                .map(|&v| {
                    if v != 0 {
                        last = v;
                    }
                    last
                })
                .collect()
        })
        .collect();
    let mut any = false;
    let mut c = panels.chart(
        &format!("Store {}: replication lag", store.name),
        "entries behind",
    );
    for (r, s) in filled.iter().enumerate() {
        let points: Vec<(f64, f64)> = (0..buckets)
            .map(|b| {
                let most = filled.iter().map(|f| f[b]).max().unwrap_or(0);
                let behind = most - s[b];
                any |= behind > 0;
                (b as f64 * width, behind as f64)
            })
            .collect();
        c.lines
            .push(Line::new(format!("replica {r}"), points).step().color(r));
    }
    any.then(|| RunChart {
        stem: format!("store-{}-lag", stem_of(&store.name)),
        caption: format!(
            "How many log entries each replica of store {} had applied fewer than the most \
             advanced one, at the end of each {} s bucket. A crashed or cut-off replica falls \
             behind until it catches up; under async replication a deposed leader's lead is \
             writes nobody else holds.",
            store.name,
            crate::style::sig3(width)
        ),
        chart: c,
    })
}

/// The file stem of `store`'s anomaly timeline, beside its other charts.
pub fn anomaly_stem(store: &StoreModel) -> String {
    format!("store-{}-anomaly", stem_of(&store.name))
}

/// The first anomaly of `store`, if its history had one: a timeline of the operation that
/// cannot be placed, those concurrent with it, the writes of the value it saw or expected, and
/// the nearest others on its key, a row each, coloured by outcome.
pub fn anomaly_timeline(store: &StoreModel) -> Option<(TimeChart, String)> {
    let a = store.anomaly.as_ref()?;
    let ops = store.history.operations();
    let culprit = *ops.get(a.op.0 as usize)?;
    // The value it saw or expected, and who wrote it.
    let seen = match (culprit.call, culprit.result) {
        (Call::Read, Completion::Ok(v)) => v,
        (Call::Cas { from, .. }, _) => Some(from),
        _ => None,
    };
    let wrote = |o: &Operation| match o.call {
        Call::Write(v) | Call::Cas { to: v, .. } => Some(v),
        _ => None,
    };
    // How far an operation lies from the culprit in time (0: they overlap).
    let gap = |o: &Operation| {
        if o.completed < culprit.invoked {
            culprit.invoked.0 - o.completed.0
        } else {
            o.invoked.0.saturating_sub(culprit.completed.0)
        }
    };
    let mut picked: Vec<usize> = vec![a.op.0 as usize];
    let take = |i: usize, picked: &mut Vec<usize>| {
        if picked.len() < ANOMALY_OPS && !picked.contains(&i) {
            picked.push(i);
        }
    };
    for id in &a.concurrent {
        take(id.0 as usize, &mut picked);
    }
    let same_key: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].key == a.key).collect();
    for &i in &same_key {
        if seen.is_some() && wrote(&ops[i]) == seen {
            take(i, &mut picked);
        }
    }
    let mut near = same_key.clone();
    near.sort_by_key(|&i| (gap(&ops[i]), i));
    for i in near {
        take(i, &mut picked);
    }
    let mut shown: Vec<(sim_history::OpId, Operation)> = picked
        .into_iter()
        .map(|i| (sim_history::OpId(i as u32), ops[i]))
        .collect();
    shown.sort_by_key(|(id, o)| (o.invoked, *id));
    let from = shown.iter().map(|(_, o)| o.invoked).min()?;
    let to = shown
        .iter()
        .map(|(_, o)| o.completed.max(o.invoked))
        .max()?;
    let pad = (to.0 - from.0).max(1_000_000) as f64 / 1e9 * 0.05;
    let (x0, x1) = (from.as_secs_f64() - pad, to.as_secs_f64() + pad);
    let rows = shown
        .iter()
        .map(|(id, o)| {
            let outcome = match o.result {
                Completion::Ok(_) => 0,
                Completion::Fail => 1,
                Completion::Info => 2,
            };
            let mark = if *id == a.op { "✗ " } else { "" };
            BandRow {
                name: format!("{mark}#{} p{} {}", id.0, o.process.0, describe(o)),
                spans: vec![(
                    o.invoked.as_secs_f64(),
                    o.completed.as_secs_f64().min(x1),
                    outcome,
                )],
            }
        })
        .collect();
    let mut chart = TimeChart::new(
        format!("Store {}: the first anomaly (key {})", store.name, a.key.0),
        "",
    )
    .x_range(x0, x1);
    chart.states = Some(StateBands {
        states: OUTCOMES.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
        rows,
    });
    chart.size.1 = 140 + 44 * shown.len() as u32;
    Some((chart, a.explanation.clone()))
}

/// An operation as the timeline labels it: `write 7`, `cas 3→4`, `read → 5`.
fn describe(o: &Operation) -> String {
    let value = |v: Option<i64>| v.map_or("nil".to_string(), |v| v.to_string());
    match (o.call, o.result) {
        (Call::Read, Completion::Ok(v)) => format!("read → {}", value(v)),
        (Call::Read, _) => "read".into(),
        (Call::Write(v), _) => format!("write {v}"),
        (Call::Cas { from, to }, _) => format!("cas {from}→{to}"),
        (Call::Add(d), _) => format!("add {d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::run_charts;

    fn split_brain() -> (sim_models::RunResult, sim_models::Scenario) {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/split-brain.ron");
        let scenario = sim_models::load_scenario(&path, &[])
            .expect("the bundled scenario")
            .scenario;
        (sim_models::run(&scenario, 1).expect("runs"), scenario)
    }

    #[test]
    fn split_brain_shows_two_leaders_a_lagging_replica_and_the_anomalys_operations() {
        let (result, scenario) = split_brain();
        let charts = run_charts(&result, &scenario).charts;
        let leaders = charts
            .iter()
            .find(|c| c.stem == "store-kv-leaders")
            .expect("a leaders chart");
        let most = leaders.chart.lines[0]
            .points
            .iter()
            .map(|p| p.1)
            .fold(0.0, f64::max);
        assert_eq!(most, 2.0, "two primaries during the partition");
        let bands = leaders.chart.states.as_ref().expect("role bands");
        assert_eq!(bands.rows.len(), 2);
        for row in &bands.rows {
            assert!(
                row.spans.iter().any(|s| s.2 == 2),
                "{} led at some point",
                row.name
            );
        }
        let lag = charts
            .iter()
            .find(|c| c.stem == "store-kv-lag")
            .expect("a lag chart");
        assert!(lag
            .chart
            .lines
            .iter()
            .any(|l| l.points.iter().any(|p| p.1 > 10.0)));
        assert!(charts.iter().any(|c| c.stem == "store-kv-operations"));

        let (chart, why) = anomaly_timeline(&result.stores[0]).expect("not linearizable");
        assert!(why.contains("read"), "{why}");
        let rows = &chart.states.as_ref().unwrap().rows;
        assert!(rows.len() > 1 && rows.len() <= ANOMALY_OPS);
        assert_eq!(rows.iter().filter(|r| r.name.starts_with('✗')).count(), 1);
        assert!(chart.to_svg().unwrap().contains("<svg"));
    }
}
