//! Determinism is the product: the same scenario and seed give byte-identical output on any
//! machine and with any number of threads; another seed gives another result; and changing one
//! component leaves the random draws of every other component alone.

mod common;
use common::{faultline, scenario};
use sim_models::{run, verify};

const MM1: &str = "scenarios/queueing/mm1.ron";

#[test]
fn identical_input_gives_byte_identical_json() {
    let args = [
        "run",
        MM1,
        "--json",
        "--set",
        "duration=20000s",
        "--set",
        "warmup=100s",
    ];
    let a = faultline(&args);
    let b = faultline(&args);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(!a.stdout.is_empty());
    assert_eq!(a.stdout, b.stdout);
    // Wall-clock figures go to stderr only.
    assert!(!String::from_utf8_lossy(&a.stdout).contains("wall"));
}

#[test]
fn another_seed_gives_another_result() {
    let run_seed = |seed: &str| {
        faultline(&[
            "run",
            MM1,
            "--json",
            "--seed",
            seed,
            "--set",
            "duration=20000s",
        ])
        .stdout
    };
    let (a, b) = (run_seed("1"), run_seed("2"));
    assert_ne!(a, b);
    let a: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(a["seed"], 1);
}

#[test]
fn results_do_not_depend_on_how_many_threads_run_at_once() {
    let s = scenario(
        include_str!("../scenarios/queueing/tandem.ron")
            .replace("1000000s", "20000s")
            .as_str(),
    );
    let sequential: Vec<String> = (1..=4)
        .map(|seed| serde_json::to_string(&run(&s, seed).unwrap().report).unwrap())
        .collect();
    let parallel: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=4)
            .map(|seed| {
                let s = &s;
                scope.spawn(move || serde_json::to_string(&run(s, seed).unwrap().report).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(sequential, parallel);
}

/// Two independent client → service pairs in one scenario.
const TWO_PAIRS: &str = r#"(
    duration: "5000s",
    clients: {
        "a_users": Open(rate: 0.5, target: "a"),
        "b_users": Open(rate: 0.5, target: "b"),
    },
    services: {
        "a": (workers: 1, service_time: Exponential(mean: "1s")),
        "b": (workers: 1, service_time: Exponential(mean: "1s")),
    },
)"#;

#[test]
fn changing_one_service_leaves_another_services_draws_unchanged() {
    let base = sim_models::load_scenario_str("pairs.ron", TWO_PAIRS, &[])
        .unwrap()
        .scenario;
    let changed = sim_models::load_scenario_str(
        "pairs.ron",
        TWO_PAIRS,
        &[
            "services.a.service_time=LogNormal(mean: \"700ms\", sd: \"2s\")".to_string(),
            "services.a.workers=3".to_string(),
        ],
    )
    .unwrap()
    .scenario;
    let r0 = run(&base, 9).unwrap().report;
    let r1 = run(&changed, 9).unwrap().report;
    common::assert_littles_law(&r0);
    common::assert_littles_law(&r1);
    assert_ne!(
        r0.services["a"], r1.services["a"],
        "the change must matter to a"
    );
    assert_eq!(
        r0.services["b"], r1.services["b"],
        "b must see exactly the same draws"
    );
    assert_eq!(r0.clients["b_users"], r1.clients["b_users"]);
}

#[test]
fn adding_a_component_leaves_the_others_draws_unchanged() {
    let with_c = TWO_PAIRS
        .replace(r#""b_users": Open"#, r#""c_users": Closed(users: 3, think_time: Exponential(mean: "2s"), target: "c"), "b_users": Open"#)
        .replace(r#""b": (workers"#, r#""c": (workers: 1, service_time: Deterministic(value: "1s")), "b": (workers"#);
    let r0 = run(&scenario(TWO_PAIRS), 4).unwrap().report;
    let r1 = run(&scenario(&with_c), 4).unwrap().report;
    common::assert_littles_law(&r0);
    common::assert_littles_law(&r1);
    assert!(r1.services.contains_key("c"));
    assert_eq!(r0.services["a"], r1.services["a"]);
    assert_eq!(r0.services["b"], r1.services["b"]);
}

#[test]
fn every_bundled_scenario_passes_the_determinism_self_check() {
    for path in common::bundled_scenarios() {
        // The long queueing runs are cut to 20,000 s: long enough to prove determinism.
        let mut s = sim_models::load_scenario(&path, &[]).unwrap().scenario;
        if s.duration > sim_core::SimDuration::from_secs(20_000) {
            s = sim_models::load_scenario(&path, &["duration=20000s".into(), "warmup=10s".into()])
                .unwrap()
                .scenario;
        }
        let report = verify(&s, 3)
            .unwrap()
            .unwrap_or_else(|d| panic!("{}: {d}", path.display()));
        assert!(
            report.events > 10_000,
            "{}: too few events to prove anything",
            path.display()
        );
    }
}

#[test]
fn verify_determinism_flag_reports_success_on_stderr() {
    let out = faultline(&[
        "run",
        MM1,
        "--verify-determinism",
        "--set",
        "duration=2000s",
        "--set",
        "warmup=10s",
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("determinism verified"), "{err}");
}

/// The JSON of one short run, pinned. It changes only when the engine's semantics or random draws
/// change on purpose — or when a platform, compiler or dependency changes the numbers, which is
/// exactly what this test is for. After an intended change, regenerate it with
/// `FAULTLINE_BLESS=1 cargo test --release --test determinism` and say why in the commit.
#[test]
fn output_matches_the_pinned_golden_file_byte_for_byte() {
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/tandem_seed7.json");
    let out = faultline(&[
        "run",
        "scenarios/queueing/tandem.ron",
        "--json",
        "--seed",
        "7",
        "--set",
        "duration=2000s",
        "--set",
        "warmup=100s",
    ]);
    assert!(out.status.success());
    if std::env::var_os("FAULTLINE_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &out.stdout).unwrap();
    }
    let want = std::fs::read(&golden)
        .expect("tests/golden/tandem_seed7.json (FAULTLINE_BLESS=1 makes it)");
    assert!(
        out.stdout == want,
        "the output differs from {}:\n{}",
        golden.display(),
        String::from_utf8_lossy(&out.stdout)
    );
}
