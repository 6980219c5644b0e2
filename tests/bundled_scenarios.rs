//! Each bundled queueing scenario, run once at its own seed and full length, lands within 3% of
//! its closed form: the promise its header comment makes. Each bundled sweep file plans: its
//! scenario, overrides and every point load and check clean.

mod common;

use sim_models::{load_scenario, run, Report};

fn report(file: &str) -> Report {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/queueing")
        .join(file);
    let loaded = load_scenario(&path, &[]).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(loaded.warnings.is_empty(), "{file}: {:?}", loaded.warnings);
    let s = loaded.scenario;
    let r = run(&s, s.seed).unwrap().report;
    assert!(r.stop.complete, "{file}: {}", r.stop.message);
    r
}

fn within_3_percent(what: &str, got: f64, theory: f64) {
    let err = (got - theory).abs() / theory;
    assert!(
        err <= 0.03,
        "{what}: {got} is {:.1}% from theory {theory}",
        err * 100.0
    );
}

#[test]
fn bundled_scenarios_land_within_3_percent_of_theory() {
    let r = report("mm1.ron");
    within_3_percent("M/M/1 Wq", r.services["server"].wait.mean, 9.0);
    let r = report("mmc.ron");
    within_3_percent("M/M/5 Wq", r.services["server"].wait.mean, 1.524986);
    let r = report("md1.ron");
    within_3_percent("M/D/1 Wq", r.services["server"].wait.mean, 4.5);
    let r = report("mmck.ron");
    let s = &r.services["server"];
    within_3_percent("M/M/1/10 W", s.latency.mean, 4.646601);
    within_3_percent("M/M/1/10 throughput", s.throughput, 0.854268);
    let r = report("tandem.ron");
    within_3_percent("tandem W", r.clients["arrivals"].latency.mean, 3.0);
}

#[test]
fn bundled_sweeps_check_clean_at_every_point() {
    let sweeps = common::bundled_sweeps();
    assert!(!sweeps.is_empty(), "expected scenarios/sweeps/*.ron");
    for path in sweeps {
        let args = sim_sweep::SweepArgs {
            file: path.clone(),
            ..Default::default()
        };
        let spec = sim_sweep::SweepSpec::from_args(&args)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let plan = sim_sweep::Plan::new(spec).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            plan.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            plan.warnings
        );
        assert!(plan.points >= 4, "{}: a sweep of one point", path.display());
        assert!(
            plan.seeds.len() >= 2,
            "{}: no intervals without replications",
            path.display()
        );
    }
}
