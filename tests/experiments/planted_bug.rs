//! A planted bug: the claim "retries never double the db's load" is false once the db fails
//! 60% of requests (three layers of three attempts give 2.5×; 50% gives 2.0×). The experiment
//! must find it, shrink it to exactly that fraction with the first value of every other
//! varied field, and print a command that reproduces it.

use sim_experiment::{ensure, Experiment, Verdict};

fn claim() -> Experiment {
    Experiment::load("scenarios/retry-amplification.ron")
        .unwrap()
        .set("duration=\"20s\"")
        .vary("services.db.workers=200,100,50")
        .vary("faults.0.fraction=0.0..0.9:0.1")
        .seeds(16)
        // Search seed 1 first fails at 100 workers and fraction 0.9: both fields must shrink.
        .search_seed(1)
        .ignore_environment()
}

fn never_doubles(run: &sim_experiment::Run<'_>) -> Result<(), String> {
    let amplification = run.metric("amplification")?;
    ensure!(
        amplification < 2.2,
        "db load is {amplification:.3}× the users'"
    );
    Ok(())
}

#[test]
fn the_shrinker_finds_the_smallest_failing_fraction_and_its_command_reproduces_it() {
    let Verdict::Failed(failure) = claim().run(|| (), never_doubles).unwrap() else {
        panic!("the planted bug was not found");
    };
    assert_eq!(
        failure.case.values,
        [
            ("services.db.workers".to_string(), "200".to_string()),
            ("faults.0.fraction".to_string(), "0.6".to_string()),
        ],
        "{failure}"
    );
    assert_eq!(
        failure.first.0.values,
        [
            ("services.db.workers".to_string(), "100".to_string()),
            ("faults.0.fraction".to_string(), "0.9".to_string()),
        ],
        "the first failure, before shrinking: {failure}"
    );
    // The printed command, run by the real binary, shows the same amplification.
    let report = crate::reproduce(&failure.command);
    let sent = report["clients"]["users"]["sent"].as_f64().unwrap();
    let attempts = report["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["attempts"].as_f64().unwrap())
        .fold(0.0, f64::max);
    let reproduced = format!("db load is {:.3}× the users'", attempts / sent);
    assert_eq!(failure.message, reproduced, "{failure}");
}

#[test]
fn a_failing_check_panics_with_the_minimal_case_and_the_command() {
    let panic = std::panic::catch_unwind(|| claim().check(never_doubles)).unwrap_err();
    let text = panic
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(text.starts_with("property failed: db load is 2."), "{text}");
    assert!(text.contains("minimal case: seed "), "{text}");
    assert!(
        text.contains("services.db.workers=200, faults.0.fraction=0.6"),
        "{text}"
    );
    assert!(
        text.contains("reproduce with: faultline run scenarios/retry-amplification.ron --seed "),
        "{text}"
    );
}
