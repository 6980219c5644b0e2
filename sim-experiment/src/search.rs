//! The search: proptest draws the cases from the search seed, rayon runs them, and proptest's
//! value trees shrink the first failure.
//!
//! Cases are drawn one after another from one `TestRunner` with a fixed seed, so case `k` is
//! the same on every machine. They run in parallel in chunks; the failure reported is the
//! lowest-numbered failing case, which does not depend on the number of threads. Shrinking
//! runs one case at a time, as proptest's own runner does: simplify while the property still
//! fails, complicate when it passes.

use crate::case::{Case, Drawn};
use crate::error::ExperimentError;
use crate::fault_gen::{FaultDraw, Resolved};
use crate::regressions::{self, Regression};
use crate::verdict::FoundAt;
use crate::verdict::{Failure, Run, Verdict};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};
use rayon::prelude::*;
use sim_models::{LoadOptions, Observer, Recording};
use sim_sweep::Vary;
use std::path::PathBuf;

/// Cases run in parallel between two looks for a failure, at least: the search stops within
/// a chunk of the first failure. The verdict (the lowest failing case) does not depend on
/// the chunk's size, which grows with the number of threads.
const CHUNK: usize = 16;

/// A checked experiment, ready to run.
pub(crate) struct Plan {
    pub(crate) file: String,
    pub(crate) text: String,
    pub(crate) load: LoadOptions,
    pub(crate) sets: Vec<String>,
    pub(crate) vary: Vec<Vary>,
    pub(crate) faults: Vec<Resolved>,
    /// Faults the scenario lists itself (after the fixed overrides).
    pub(crate) existing_faults: usize,
    pub(crate) cases: u64,
    pub(crate) series: bool,
    pub(crate) search_seed: u64,
    pub(crate) shrink_runs: u32,
    /// Where new minimal failures are stored, if anywhere.
    pub(crate) regression_file: Option<PathBuf>,
    /// The cases stored there, run first.
    pub(crate) regressions: Vec<Regression>,
}

/// What one case's run came to.
enum Outcome {
    Holds,
    Fails(String),
    /// The case's scenario could not be built or run.
    Broken(ExperimentError),
}

impl Plan {
    fn case(&self, drawn: &Drawn) -> Case {
        Case::new(
            drawn,
            &self.sets,
            &self.vary,
            &self.faults,
            self.existing_faults,
        )
    }

    /// Every draw a case makes, as one proptest strategy: positions shrink towards the first
    /// value, fault times towards the earliest start and shortest length, instances towards
    /// 0; the seed never shrinks.
    fn strategy(&self) -> impl Strategy<Value = Drawn> {
        let positions: Vec<_> = self.vary.iter().map(|v| 0..v.values.len()).collect();
        let faults: Vec<_> = self
            .faults
            .iter()
            .map(|f| {
                (
                    f.start.0..=f.start.1,
                    f.length.0..=f.length.1,
                    0..f.instances,
                )
                    .prop_map(|(start_ms, length_ms, instance)| FaultDraw {
                        start_ms,
                        length_ms,
                        instance,
                    })
            })
            .collect();
        let seed = (1..=u64::from(u32::MAX)).no_shrink();
        (positions, faults, seed).prop_map(|(positions, faults, seed)| Drawn {
            positions,
            faults,
            seed,
        })
    }

    /// Runs the case `drawn` describes and asks the property.
    fn evaluate<O, M, P>(&self, drawn: &Drawn, make: &M, property: &P) -> Outcome
    where
        O: Observer,
        M: Fn() -> O,
        P: Fn(&Run<'_, O>) -> Result<(), String>,
    {
        let case = self.case(drawn);
        let broken = |problems: String| {
            Outcome::Broken(ExperimentError::Case {
                command: case.command(&self.file),
                problems,
            })
        };
        let loaded = match sim_models::load_scenario_str_with(
            &self.file, &self.text, &case.sets, &self.load,
        ) {
            Ok(l) => l,
            Err(e) => return broken(e.to_string()),
        };
        let recording = Recording {
            series: self.series,
        };
        let result = match sim_models::run_observed_recording(
            &loaded.scenario,
            case.seed,
            make(),
            recording,
        ) {
            Ok(r) => r,
            Err(problems) => return broken(problems.to_string()),
        };
        let run = Run {
            case: &case,
            scenario: &loaded.scenario,
            result: &result,
        };
        // A property that panics (an `assert!`, an index out of range) fails this case, which
        // is then reported and shrunk like any other failure.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| property(&run))) {
            Ok(Ok(())) => Outcome::Holds,
            Ok(Err(message)) => Outcome::Fails(message),
            Err(panic) => Outcome::Fails(format!("the property panicked: {}", panic_text(&*panic))),
        }
    }
}

/// What a panic said, if it said it with a string.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)")
}

/// Runs `plan`'s cases and shrinks the first failure.
pub(crate) fn search<O, M, P>(
    plan: &Plan,
    make: &M,
    property: &P,
) -> Result<Verdict, ExperimentError>
where
    O: Observer,
    M: Fn() -> O + Sync,
    P: Fn(&Run<'_, O>) -> Result<(), String> + Sync,
{
    // The draws depend on the seed and the algorithm only, both set here: `PROPTEST_*`
    // variables (read by `Config::default`) cannot change which cases are drawn.
    let config = Config {
        rng_seed: RngSeed::Fixed(plan.search_seed),
        rng_algorithm: RngAlgorithm::ChaCha,
        failure_persistence: None,
        ..Config::default()
    };
    // Stored failures first: each was minimal when it was found, so it is reported as it is.
    let stored: Vec<Outcome> = plan
        .regressions
        .par_iter()
        .map(|(_, d)| plan.evaluate(d, make, property))
        .collect();
    for ((line, drawn), outcome) in plan.regressions.iter().zip(stored) {
        match outcome {
            Outcome::Holds => {}
            Outcome::Broken(e) => return Err(e),
            Outcome::Fails(message) => {
                let case = plan.case(drawn);
                return Ok(Verdict::Failed(Box::new(Failure {
                    command: case.command(&plan.file),
                    first: (case.clone(), message.clone()),
                    case,
                    message,
                    found_at: FoundAt::Regression { line: *line },
                    shrink_runs: 0,
                    search_seed: plan.search_seed,
                    note: None,
                })));
            }
        }
    }
    let mut runner = TestRunner::new(config);
    let strategy = plan.strategy();
    let mut trees = Vec::new();
    for _ in 0..plan.cases {
        // Ranges and lists of them cannot reject a draw; a failure here is proptest's own.
        let tree = strategy
            .new_tree(&mut runner)
            .map_err(|reason| ExperimentError::Case {
                command: String::from("(drawing a case)"),
                problems: reason.to_string(),
            })?;
        trees.push(Some(tree));
    }
    let draws: Vec<Drawn> = trees.iter().flatten().map(|t| t.current()).collect();
    let chunk_size = CHUNK.max(4 * rayon::current_num_threads());
    for (chunk, draws) in draws.chunks(chunk_size).enumerate() {
        let outcomes: Vec<Outcome> = draws
            .par_iter()
            .map(|d| plan.evaluate(d, make, property))
            .collect();
        for (k, outcome) in outcomes.into_iter().enumerate() {
            let index = chunk * chunk_size + k;
            match outcome {
                Outcome::Holds => {}
                Outcome::Broken(e) => return Err(e),
                Outcome::Fails(message) => {
                    let tree = trees[index].take().expect("each tree is taken once");
                    let (mut failure, minimal) =
                        shrink(plan, tree, &draws[k], message, index, make, property);
                    if let Some(path) = &plan.regression_file {
                        if let Err(e) =
                            regressions::append(path, &minimal, &plan.vary, &failure.message)
                        {
                            failure.note = Some(e.to_string());
                        }
                    }
                    return Ok(Verdict::Failed(Box::new(failure)));
                }
            }
        }
    }
    Ok(Verdict::Passed { cases: plan.cases })
}

/// Shrinks the failing case `first` (drawn by `tree`) as proptest's runner does, keeping the
/// last case that still failed.
fn shrink<O, M, P, T>(
    plan: &Plan,
    mut tree: T,
    first: &Drawn,
    message: String,
    index: usize,
    make: &M,
    property: &P,
) -> (Failure, Drawn)
where
    O: Observer,
    M: Fn() -> O,
    P: Fn(&Run<'_, O>) -> Result<(), String>,
    T: ValueTree<Value = Drawn>,
{
    let mut best = (first.clone(), message.clone());
    let mut runs = 0;
    if tree.simplify() {
        while runs < plan.shrink_runs {
            runs += 1;
            let drawn = tree.current();
            let still_fails = match plan.evaluate(&drawn, make, property) {
                Outcome::Fails(m) => {
                    best = (drawn, m);
                    true
                }
                // A simpler case that cannot run is not a smaller failure of the property.
                Outcome::Holds | Outcome::Broken(_) => false,
            };
            let moved = if still_fails {
                tree.simplify()
            } else {
                tree.complicate()
            };
            if !moved {
                break;
            }
        }
    }
    let case = plan.case(&best.0);
    let failure = Failure {
        message: best.1,
        command: case.command(&plan.file),
        case,
        first: (plan.case(first), message),
        found_at: FoundAt::Case {
            index: index as u64,
            of: plan.cases,
        },
        shrink_runs: runs,
        search_seed: plan.search_seed,
        note: None,
    };
    (failure, best.0)
}

#[cfg(test)]
mod tests {
    use crate::{ensure, Experiment, FaultGen, Verdict};

    /// One server, 10 ms per request: utilization is a tenth of the rate per second.
    const SERVER: &str = r#"Scenario(
        duration: "20s",
        clients: { "users": Open(rate: 50, target: "server") },
        services: { "server": (workers: 1, service_time: Exponential(mean: "10ms")) },
    )"#;

    /// Fails when the server is at least 60% busy and some request failed: the smallest
    /// failing case is the rate 70 with the earliest, shortest error burst.
    fn planted() -> Experiment {
        Experiment::from_text("server.ron", SERVER)
            .vary("clients.users.rate=10,30,50,70,90")
            .fault(
                FaultGen::windowed("ErrorInjection(service: \"server\", fraction: 1.0)")
                    .starting("2s", "10s")
                    .lasting("500ms", "5s"),
            )
            .seeds(8)
            .ignore_environment()
    }

    fn busy_and_failing(run: &crate::Run<'_>) -> Result<(), String> {
        let util = run.report().services["server"].utilization;
        let errors: u64 = run.report().clients["users"].errors.values().sum();
        ensure!(
            util < 0.6 || errors == 0,
            "utilization {util:.2} with {errors} errors"
        );
        Ok(())
    }

    #[test]
    fn a_failure_shrinks_to_the_first_failing_value_and_the_earliest_shortest_fault() {
        let Verdict::Failed(f) = planted().run(|| (), busy_and_failing).unwrap() else {
            panic!("the planted bug was not found");
        };
        assert_eq!(
            f.case.values,
            [("clients.users.rate".to_string(), "70".to_string())]
        );
        assert_eq!(
            f.case.faults,
            [
                r#"ErrorInjection(start: "2000ms", duration: "500ms", service: "server", fraction: 1.0)"#
            ]
        );
        assert_eq!(
            f.case.seed, f.first.0.seed,
            "the seed is held while shrinking"
        );
        assert!(f
            .command
            .starts_with(&format!("faultline run server.ron --seed {} ", f.case.seed)));
        assert!(f.command.contains(
            "--set clients.users.rate=70 --set 'faults=[ErrorInjection(start: \"2000ms\""
        ));
        let text = f.to_string();
        assert!(
            text.starts_with("property failed: utilization 0."),
            "{text}"
        );
        assert!(
            text.contains("found at case") && text.contains("FAULTLINE_SEED=0"),
            "{text}"
        );
        assert!(
            text.contains("reproduce with: faultline run server.ron"),
            "{text}"
        );
    }

    #[test]
    fn a_failure_is_stored_and_replayed_first_whatever_the_search_seed() {
        let dir = std::env::temp_dir().join(format!("sim-experiment-regr-{}", std::process::id()));
        let file = dir.join("planted.regressions");
        let _ = std::fs::remove_dir_all(&dir);
        let Verdict::Failed(found) = planted()
            .regressions(&file)
            .run(|| (), busy_and_failing)
            .unwrap()
        else {
            panic!("the planted bug was not found");
        };
        assert!(matches!(found.found_at, crate::FoundAt::Case { .. }));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("# utilization 0."), "{text}");
        assert!(
            text.contains(r#""values":[["clients.users.rate","70"]],"faults":[[2000,500,0]]"#),
            "{text}"
        );
        let Verdict::Failed(again) = planted()
            .regressions(&file)
            .search_seed(99)
            .run(|| (), busy_and_failing)
            .unwrap()
        else {
            panic!("the stored case no longer fails");
        };
        assert_eq!(again.found_at, crate::FoundAt::Regression { line: 2 });
        assert_eq!(
            (again.case.clone(), again.shrink_runs),
            (found.case.clone(), 0)
        );
        assert!(again
            .to_string()
            .contains("found by the regression file's line 2"));
        // A stored case that no longer fits the experiment is an error naming its line.
        std::fs::write(&file, text.replace(r#""70""#, r#""65""#)).unwrap();
        let err = planted()
            .regressions(&file)
            .run(|| (), busy_and_failing)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "regression file {}:2: `clients.users.rate=65` is no longer among its values",
                file.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_property_that_panics_fails_its_case_and_is_shrunk_like_any_failure() {
        let verdict = planted()
            .run(
                || (),
                |run| {
                    let util = run.report().services["server"].utilization;
                    assert!(util < 0.6, "utilization {util:.2}");
                    Ok(())
                },
            )
            .unwrap();
        let Verdict::Failed(f) = verdict else {
            panic!("the panic was not reported as a failure");
        };
        assert!(
            f.message
                .starts_with("the property panicked: utilization 0."),
            "{f}"
        );
        assert_eq!(
            f.case.values,
            [("clients.users.rate".to_string(), "70".to_string())]
        );
    }

    #[test]
    fn the_verdict_is_the_same_on_one_thread_and_on_four() {
        let on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| planted().run(|| (), busy_and_failing).unwrap())
        };
        assert_eq!(on(1), on(4));
    }

    #[test]
    fn a_property_that_holds_passes_every_case() {
        let verdict = planted()
            .run(
                || (),
                |run| {
                    ensure!(run.report().services["server"].utilization < 0.95);
                    Ok(())
                },
            )
            .unwrap();
        assert_eq!(verdict, Verdict::Passed { cases: 8 });
    }

    #[test]
    fn a_varied_path_that_names_no_field_is_an_error_with_suggestions() {
        let err = Experiment::from_text("server.ron", SERVER)
            .vary("clients.users.rte=1,2")
            .run(|| (), |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("clients.users.rte") && err.contains("clients.users.rate"),
            "{err}"
        );
        let err = Experiment::from_text("server.ron", SERVER)
            .vary("clients.users.rate")
            .run(|| (), |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("vary `clients.users.rate`: expected PATH=VALUES"),
            "{err}"
        );
    }

    #[test]
    fn zero_cases_and_a_case_that_cannot_run_are_errors() {
        let err = Experiment::from_text("server.ron", SERVER)
            .seeds(0)
            .ignore_environment()
            .run(|| (), |_| Ok(()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "an experiment runs 1 to 100000 cases, not 0"
        );
        // A crash of an instance the service does not have: the scenario refuses it.
        let err = Experiment::from_text("server.ron", SERVER)
            .fault(FaultGen::windowed(
                "Pause(service: \"server\", instance: 3)",
            ))
            .seeds(1)
            .run(|| (), |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("case could not run (faultline run server.ron --seed "),
            "{err}"
        );
        assert!(err.contains("instance"), "{err}");
    }
}
