//! End-to-end amplification: how many attempts each call edge carries per request the users
//! sent. An edge's own `amplification` is attempts per call on that edge; multiplied down a
//! call chain (three tiers retrying three times each: 27 at the bottom) it is what a database
//! owner wants to know, and this computes it directly instead.
//!
//! The users of an edge are the clients whose requests can reach its caller: a client's own
//! edge, or any service reachable from the client's target along call, fan-out, publish,
//! route, cache and saga edges.

use crate::edge::Edge;
use crate::ids::EdgeId;
use serde::{Deserialize, Serialize};

/// The edge whose attempts per user request are the highest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AmplificationReport {
    /// The edge, `from -> to`.
    pub edge: String,
    /// Its attempts per request sent by the clients that reach it.
    pub per_user_request: f64,
}

/// Per edge: its attempts per request sent by the clients whose requests can reach it (`None`
/// if those clients sent nothing). `services` are the service names by index, `edge_targets`
/// each client's edge, `sent` the requests each client sent, and `attempts` each edge's.
pub(crate) fn per_user_request(
    edges: &[Edge],
    attempts: &[u64],
    services: &[&str],
    client_edges: &[EdgeId],
    sent: &[u64],
) -> Vec<Option<f64>> {
    let index: std::collections::BTreeMap<&str, usize> =
        services.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    // Each edge's caller service (none for a client's edge), and the services each calls.
    let caller: Vec<Option<usize>> = edges
        .iter()
        .map(|e| {
            if e.from_client {
                None
            } else {
                index.get(e.from.as_str()).copied()
            }
        })
        .collect();
    let mut calls = vec![Vec::new(); services.len()];
    for (e, from) in edges.iter().zip(&caller) {
        if let Some(s) = *from {
            calls[s].push(e.to.index());
        }
    }
    // Which services each client's requests can reach.
    let mut reaches = vec![vec![false; services.len()]; client_edges.len()];
    for (c, &e) in client_edges.iter().enumerate() {
        let mut stack = vec![edges[e].to.index()];
        while let Some(s) = stack.pop() {
            if !std::mem::replace(&mut reaches[c][s], true) {
                stack.extend(calls[s].iter().copied().filter(|&t| !reaches[c][t]));
            }
        }
    }
    edges
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let users: u64 = (0..client_edges.len())
                .filter(|&c| match caller[i] {
                    None => e.from_client && client_edges[c].index() == i,
                    Some(s) => reaches[c][s],
                })
                .map(|c| sent[c])
                .sum();
            (users > 0).then(|| attempts[i] as f64 / users as f64)
        })
        .collect()
}

/// The highest of `per_edge` (the first, on a tie), named by its edge.
pub(crate) fn largest(
    edges: &[Edge],
    services: &[&str],
    per_edge: &[Option<f64>],
) -> Option<AmplificationReport> {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in per_edge.iter().enumerate() {
        if let Some(v) = *v {
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((i, v));
            }
        }
    }
    best.map(|(i, v)| AmplificationReport {
        edge: format!("{} -> {}", edges[i].from, services[edges[i].to.index()]),
        per_user_request: v,
    })
}
