//! The statistics — the callers' and what the servers measured — are an observer: fed by the
//! world's hooks alone, so a copy attached as an ordinary observer records exactly what the
//! world's own records, and a lean run that keeps none of them simulates exactly the same
//! events and tells an observer the same hooks.

mod common;

use sim_models::{
    load_scenario, load_scenario_str, run, run_observed, simulation, simulation_lean, Outcome,
    Scenario,
};
use std::path::Path;

/// A bundled scenario, cut to two simulated minutes where it runs longer (and its warm-up
/// allows).
fn short(path: &Path) -> Scenario {
    let cut = ["duration=120s".to_string()];
    let full = load_scenario(path, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    if full.duration.as_nanos() <= 120_000_000_000 || full.warmup.as_nanos() >= 60_000_000_000 {
        return full;
    }
    load_scenario(path, &cut)
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

/// What the bundled scenarios rarely do in two minutes: a fan-out that abandons its slower
/// call, publishes into a black hole, a crash under load, a lossy network, and a warm-up.
const ODDITIES: &str = r#"(
  duration: "60s", warmup: "5s",
  network: (loss: 0.02),
  clients: { "users": Open(rate: 300, target: "front", timeout: "1s") },
  services: {
    "front": (instances: 2, workers: 40, steps: [
      FanOut(calls: [(to: "fast", timeout: "300ms"), (to: "slow", timeout: "300ms")], wait: First),
      Publish(to: "audit"),
    ]),
    "fast": (workers: 20, service_time: Exponential(mean: "2ms")),
    "slow": (workers: 20, service_time: Exponential(mean: "30ms")),
    "audit": (workers: 5, service_time: Exponential(mean: "1ms")),
  },
  faults: [
    BlackHole(service: "audit", start: "20s", duration: "10s"),
    Crash(service: "front", instance: 0, at: "40s", restart_after: "2s"),
  ],
)"#;

/// Every bundled scenario, cut short, and [`ODDITIES`].
fn scenarios() -> Vec<(String, Scenario)> {
    let mut all: Vec<(String, Scenario)> = common::bundled_scenarios()
        .iter()
        .map(|p| (p.display().to_string(), short(p)))
        .collect();
    let odd = load_scenario_str("oddities.ron", ODDITIES, &[]).unwrap_or_else(|e| panic!("{e}"));
    all.push(("oddities.ron".into(), odd.scenario));
    all
}

#[test]
fn statistics_attached_as_an_observer_record_exactly_what_the_worlds_own_record() {
    let (mut retries, mut refusals, mut warmed_up, mut answered) = (0u64, 0u64, 0, 0u64);
    let (mut late, mut abandoned, mut lost, mut denied) = (0u64, 0u64, 0u64, 0u64);
    let mut with_slos = 0;
    // What the servers saw: sheds, black holes, expired requests, waits, parked requests.
    let (mut shed, mut black_holed, mut expired) = (0u64, 0u64, 0u64);
    let (mut waits, mut parked, mut several) = (0u64, 0, 0);
    for (path, s) in scenarios() {
        let plain = run(&s, 1).unwrap_or_else(|e| panic!("{path}: {e}"));
        let copy = plain.world.empty_statistics(s.time_series.bucket);
        let watched = run_observed(&s, 1, copy).unwrap();
        assert!(
            watched.world.observer() == watched.world.statistics(),
            "{path}: the copy fed by the hooks differs from the world's own"
        );
        assert!(
            watched.world.statistics() == plain.world.statistics(),
            "{path}: watching changed the statistics"
        );
        assert_eq!(watched.report, plain.report, "{path}");
        let stats = plain.world.statistics();
        retries += (stats.retry_series.iter())
            .map(|r| (0..r.len()).map(|i| r.get(i)).sum::<u64>())
            .sum::<u64>();
        refusals += (stats.rejection_series.iter().flatten())
            .map(|r| (0..r.len()).map(|i| r.get(i)).sum::<u64>())
            .sum::<u64>();
        answered += stats
            .clients
            .iter()
            .map(|c| c.stats.completed())
            .sum::<u64>();
        for e in &stats.edges {
            (late, abandoned) = (late + e.late, abandoned + e.abandoned);
            (lost, denied) = (lost + e.lost, denied + e.budget_exhausted);
        }
        for server in &stats.servers {
            shed += server.stats.shed.iter().sum::<u64>();
            black_holed += server.stats.black_holed;
            expired += server.stats.dropped_expired;
            waits += server.stats.wait.count();
            parked += usize::from(server.stats.parked.peak() > 0);
            several += usize::from(server.instances.iter().any(|i| i.busy.peak() > 0));
        }
        warmed_up += usize::from(s.warmup.as_nanos() > 0);
        with_slos += usize::from(!stats.slos.is_empty());
    }
    // What the comparison covered: retries, refusals, a warm-up's reset, answers, late
    // answers, abandoned calls, lost publishes and retries a budget denied.
    assert!(late > 1_000, "{late} late answers");
    assert!(abandoned > 1_000, "{abandoned} abandoned calls");
    assert!(lost > 100, "{lost} lost publishes");
    assert!(denied > 1_000, "{denied} retries denied");
    assert!(retries > 1_000, "{retries} retries");
    assert!(refusals > 100, "{refusals} refusals");
    assert!(warmed_up >= 3, "{warmed_up} scenarios with a warm-up");
    assert!(with_slos >= 1, "{with_slos} scenarios with SLOs");
    assert!(answered > 100_000, "{answered} answers");
    assert!(shed > 100, "{shed} requests shed");
    assert!(black_holed > 100, "{black_holed} requests black-holed");
    assert!(expired > 100, "{expired} expired requests dropped");
    assert!(waits > 100_000, "{waits} waits");
    assert!(parked >= 1, "{parked} services parked requests");
    assert!(
        several >= 3,
        "{several} services measured instance by instance"
    );
}

#[test]
fn a_lean_run_without_statistics_simulates_the_same_events() {
    for (path, s) in scenarios() {
        let mut standard = simulation(&s, 1).unwrap();
        let mut lean = simulation_lean(&s, 1, ()).unwrap();
        let stop = standard.run();
        assert_eq!(lean.run(), stop, "{path}");
        assert_eq!(lean.events(), standard.events(), "{path}");
        assert_eq!(lean.now(), standard.now(), "{path}");
        let (a, b) = (lean.model(), standard.model());
        assert_eq!(a.totals, b.totals, "{path}");
        for (x, y) in a.services.iter().zip(&b.services) {
            assert_eq!(x.in_system(), y.in_system(), "{path}");
            assert_eq!(x.busy_workers(), y.busy_workers(), "{path}");
        }
    }
}

#[test]
fn statistics_watching_a_lean_run_record_exactly_what_a_standard_run_keeps() {
    for (path, s) in scenarios() {
        let mut standard = simulation(&s, 1).unwrap();
        let copy = standard.model().empty_statistics(s.time_series.bucket);
        let mut lean = simulation_lean(&s, 1, copy).unwrap();
        assert_eq!(lean.run(), standard.run(), "{path}");
        let end = standard.now();
        lean.model_mut().finish(end);
        standard.model_mut().finish(end);
        assert!(
            lean.model().observer() == standard.model().statistics(),
            "{path}: the hooks a lean world tells differ from what its statistics slot hears"
        );
    }
}

/// `tests/golden/series/callers.ron`: retries, a budget, a breaker, abandoned and late calls,
/// lost publishes, a crash and a warm-up in one minute. Its time series were written by the
/// counting that came before the statistics were an observer (`FAULTLINE_BLESS=1` rewrites
/// them: only on purpose).
#[test]
fn the_callers_time_series_are_as_pinned() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/series");
    let s = load_scenario(dir.join("callers.ron"), &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    let r = run(&s, 1).unwrap();
    let edges = &r.world.statistics().edges;
    let refused: u64 = edges
        .iter()
        .map(|e| e.local_rejections.iter().sum::<u64>())
        .sum();
    let denied: u64 = edges.iter().map(|e| e.budget_exhausted).sum();
    let abandoned: u64 = edges.iter().map(|e| e.abandoned).sum();
    let retries: u64 = edges.iter().map(|e| e.retries).sum();
    let wasted: u64 = (r.world.statistics().services.iter())
        .map(|s| s.wasted)
        .sum();
    assert!(
        refused > 0 && denied > 0 && abandoned > 0 && retries > 0 && wasted > 0,
        "the scenario exercises what it claims: {edges:?}, {wasted} wasted"
    );
    for (name, csv) in [
        ("timeseries", r.timeseries_csv()),
        ("policies", r.policies_csv()),
    ] {
        let pinned = dir.join(format!("callers-seed1.{name}.csv"));
        if std::env::var_os("FAULTLINE_BLESS").is_some() {
            std::fs::write(&pinned, &csv).unwrap();
        }
        let want = std::fs::read_to_string(&pinned)
            .unwrap_or_else(|e| panic!("{}: {e}", pinned.display()));
        assert!(csv == want, "{name}.csv differs from {}", pinned.display());
    }
}

/// A hedge that a retry budget denies is a retry the budget stopped: it counts in the
/// refusal series' budget column as in the summary's `budget_exhausted`.
#[test]
fn a_hedge_a_budget_denies_counts_in_the_refusal_series_as_in_the_summary() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/hedging.ron");
    let sets = [
        "warmup=\"0s\"".to_string(),
        "clients.users.policies=[Hedge(Finagle(max_extra_load: 0.01))]".to_string(),
    ];
    let s = load_scenario(&path, &sets)
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    let r = run(&s, 1).unwrap();
    let stats = r.world.statistics();
    let budget = &stats.rejection_series[0][Outcome::LOCAL_REJECTIONS.len()];
    let series: u64 = (0..budget.len()).map(|i| budget.get(i)).sum();
    let summary = stats.edges[0].budget_exhausted;
    assert!(summary > 10, "{summary} hedges denied");
    assert_eq!(series, summary);
}
