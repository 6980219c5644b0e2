//! `faultline tune`: the search over a bundled scenario, its report and exported configuration,
//! and its errors.

mod common;
use common::faultline;

const SCENARIO: &str = "scenarios/tuning/breaker-backoff.ron";
const WAIT: &str = "services.api.steps.1.policies.1.0.wait_in_open";
const THRESHOLD: &str = "services.api.steps.1.policies.1.0.failure_rate_threshold";

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_shortest_wait_in_open_wins_and_is_exported_as_resilience4j_yaml() {
    let dir = std::env::temp_dir().join(format!("faultline-tune-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = faultline(&[
        "tune",
        SCENARIO,
        "--vary",
        &format!("{WAIT}=1s,20s"),
        "--vary",
        &format!("{THRESHOLD}=50,90"),
        "--objective",
        "max goodput",
        "--constraint",
        "p99 < 500ms",
        "--constraint",
        "amplification < 1.5",
        "--seeds",
        "4",
        "--jobs",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let best = stdout
        .split("best:")
        .nth(1)
        .and_then(|b| b.lines().nth(1))
        .unwrap_or_else(|| panic!("no best setting in:\n{stdout}"));
    assert!(best.contains(&format!("{WAIT}=1s")), "{best}");
    assert!(stdout.contains("goodput (max):") && stdout.contains("95% interval"));
    assert!(stdout.contains("runners-up:"), "{stdout}");
    assert!(
        stdout.contains("waitDurationInOpenState: 1s"),
        "the export carries the winning wait:\n{stdout}"
    );
    // The files: the report, the runnable best scenario, the YAML to paste.
    let yaml = std::fs::read_to_string(dir.join("api.resilience4j.yaml")).unwrap();
    assert!(yaml.contains("resilience4j:") && yaml.contains("waitDurationInOpenState: 1s"));
    let best_ron = dir.join("best.ron");
    let check = faultline(&["check", best_ron.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check).1);
    assert_eq!(
        std::fs::read_to_string(dir.join("tune.txt")).unwrap(),
        stdout
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_or_two_threads_give_the_same_report() {
    let run = |jobs: &str| {
        let out = faultline(&[
            "tune",
            SCENARIO,
            "--vary",
            &format!("{WAIT}=1s,5s"),
            "--objective",
            "min p99",
            "--seeds",
            "3",
            "--jobs",
            jobs,
            "--quiet",
        ]);
        assert!(out.status.success(), "{}", text(&out).1);
        out.stdout
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn an_unknown_metric_names_the_closest_ones() {
    let out = faultline(&[
        "tune",
        SCENARIO,
        "--vary",
        &format!("{WAIT}=1s,5s"),
        "--objective",
        "max goodptu",
        "--seeds",
        "2",
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("goodptu") && stderr.contains("goodput"),
        "{stderr}"
    );
}

#[test]
fn malformed_objectives_constraints_and_paths_are_refused_with_a_reason() {
    let cases: [(&[&str], &str); 3] = [
        (&["--objective", "best goodput"], "objective"),
        (
            &["--objective", "max goodput", "--constraint", "p99 <"],
            "constraint",
        ),
        (
            &[
                "--objective",
                "max goodput",
                "--vary",
                "services.api.steps.1.policies.1.0.wait_in_opn=1s",
            ],
            "did you mean",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["tune", SCENARIO, "--vary", "duration=10s,20s"];
        args.extend_from_slice(extra);
        let out = faultline(&args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
