//! The callers' statistics are an observer: fed by the world's hooks alone, so a copy attached
//! as an ordinary observer records exactly what the world's own records, and a lean run that
//! keeps none of them simulates exactly the same events.

mod common;

use sim_models::{
    load_scenario, load_scenario_str, run, run_observed, simulation, simulation_lean, Scenario,
    Statistics,
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
    for (path, s) in scenarios() {
        let plain = run(&s, 1).unwrap_or_else(|e| panic!("{path}: {e}"));
        let w = &plain.world;
        let policies: Vec<bool> = w.edges.iter().map(|e| e.policies).collect();
        let copy = Statistics::new(s.time_series.bucket, w.clients.len(), &policies);
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
        warmed_up += usize::from(s.warmup.as_nanos() > 0);
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
    assert!(answered > 100_000, "{answered} answers");
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
            assert_eq!(x.stats.completed, y.stats.completed, "{path}");
            assert_eq!(x.stats.latency, y.stats.latency, "{path}");
        }
    }
}
