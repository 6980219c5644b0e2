//! End-to-end amplification: attempts on an edge per request the users sent, multiplied down
//! a retrying call chain, scaled by the share of requests that take a branch, and counted
//! only against the clients whose requests can reach the edge.

mod common;
use sim_models::{load_scenario, Report};

fn per_user(r: &Report, from: &str, to: &str) -> f64 {
    r.edges
        .iter()
        .find(|e| e.from == from && e.to == to)
        .and_then(|e| e.per_user_request)
        .unwrap_or_else(|| panic!("edge {from} -> {to}"))
}

#[test]
fn three_tiers_retrying_three_times_each_send_the_database_27_attempts_per_user_request() {
    let s = load_scenario("scenarios/retry-amplification.ron", &[])
        .unwrap()
        .scenario;
    let r = common::run_checked(&s, 1);
    assert!((per_user(&r, "users", "edge") - 3.0).abs() < 0.05);
    assert!((per_user(&r, "edge", "api") - 9.0).abs() < 0.15);
    let db = per_user(&r, "api", "db");
    assert!((db - 27.0).abs() < 0.5, "{db}");
    let top = r.amplification.as_ref().unwrap();
    assert_eq!(top.edge, "api -> db");
    assert_eq!(top.per_user_request, db);
    let out = common::faultline(&["run", "scenarios/retry-amplification.ron"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("end-to-end amplification: api → db carries 26.9 attempts per user request"),
        "{text}"
    );
}

#[test]
fn a_branch_scales_it_and_only_the_clients_that_reach_an_edge_count() {
    let s = common::scenario(
        r#"(
  duration: "100s",
  clients: {
    "shoppers": Open(rate: 100, target: "shop"),
    "admins": Open(rate: 300, target: "admin"),
  },
  services: {
    "shop": (workers: 100, steps: [Branch([(probability: 0.25, steps: [Call(to: "db")])])]),
    "admin": (workers: 100, steps: [Call(to: "audit")]),
    "db": (workers: 100, service_time: Exponential(mean: "1ms")),
    "audit": (workers: 100, service_time: Exponential(mean: "1ms")),
  },
)"#,
    );
    let r = common::run_checked(&s, 1);
    // A quarter of the shoppers' requests reach the db; the admins' never do.
    let db = per_user(&r, "shop", "db");
    assert!((db - 0.25).abs() < 0.01, "{db}");
    assert!((per_user(&r, "admin", "audit") - 1.0).abs() < 1e-9);
    assert_eq!(r.amplification.as_ref().unwrap().per_user_request, 1.0);
}

#[test]
fn reachability_follows_publishes_routes_caches_and_sagas() {
    let s = common::scenario(
        r#"(
  duration: "60s",
  clients: { "users": Open(rate: 100, target: "front") },
  services: {
    "front": (workers: 100, steps: [Publish(to: "audit")], routes: [(to: "back")]),
    "audit": (workers: 100, steps: [Cache(of: "store", keys: 1, ttl: "1s")]),
    "back": (workers: 100, steps: [Saga(name: "s", steps: [(action: "ledger")])]),
    "store": (workers: 100, service_time: Exponential(mean: "1ms")),
    "ledger": (workers: 100, service_time: Exponential(mean: "1ms")),
  },
)"#,
    );
    let r = common::run_checked(&s, 1);
    // Every edge is reached by the users' requests, so each is attempts per user request:
    // one publish, one route and one saga call per request, and the cache's few fetches.
    for (from, to) in [("front", "audit"), ("front", "back"), ("back", "ledger")] {
        let v = per_user(&r, from, to);
        assert!((v - 1.0).abs() < 0.01, "{from} -> {to}: {v}");
    }
    let fetches = per_user(&r, "audit", "store");
    assert!(fetches > 0.0 && fetches < 0.02, "{fetches}");
}
