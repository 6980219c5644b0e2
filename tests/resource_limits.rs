//! Inputs that would need more memory or time than a run may have: refused before anything is
//! allocated with a message naming the fields, or stopped at a limit with their results.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-limits-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("faultline runs")
}

/// Writes `text` as `name.ron` and runs `faultline COMMAND file EXTRA…`.
fn on_file(command: &str, name: &str, text: &str, extra: &[&str]) -> (Output, String) {
    let dir = scratch(name);
    let file = dir.join(format!("{name}.ron"));
    std::fs::write(&file, text).expect("write scenario");
    let mut args = vec![command, file.to_str().expect("utf-8 path")];
    args.extend(extra);
    let out = faultline(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

fn assert_refused(name: &str, text: &str, expect: &[&str]) {
    for command in ["check", "run"] {
        let (out, stderr) = on_file(command, name, text, &[]);
        assert_eq!(out.status.code(), Some(2), "{command} {name}: {stderr}");
        for e in expect {
            assert!(
                stderr.contains(e),
                "{command} {name}: expected {e:?} in:\n{stderr}"
            );
        }
    }
}

#[test]
fn a_hundred_million_instances_are_refused_naming_the_field_and_the_estimate() {
    assert_refused(
        "instances",
        "(duration: \"10s\",\n clients: { \"u\": Open(rate: 10.0, target: \"api\") },\n services: { \"api\": (instances: 100000000, workers: 2, service_time: Exponential(mean: \"1ms\")) })",
        &[
            "instances.ron:3:",
            "services.api.instances",
            "would need up to 35.",
            "GiB of memory, more than",
            "limits.max_memory",
            "100000000 instances",
        ],
    );
}

#[test]
fn two_hundred_services_at_the_largest_bucket_count_are_refused_for_their_time_series() {
    let mut text = String::from(
        "(duration: \"1000s\", time_series: (bucket: \"1ms\"),\n clients: { \"u\": Open(rate: 1.0, target: \"s0\") },\n services: {",
    );
    for i in 0..200 {
        text += &format!(" \"s{i}\": (workers: 1, service_time: Exponential(mean: \"1ms\")),");
    }
    text += " })";
    assert_refused(
        "buckets",
        &text,
        &[
            "time_series.bucket",
            "1000001 buckets × 201 clients and services",
        ],
    );
}

#[test]
fn an_in_flight_limit_beyond_memory_is_refused() {
    assert_refused(
        "in_flight",
        "(duration: \"1000s\", limits: (max_in_flight: 50000000, max_memory: \"4GiB\"),\n clients: { \"u\": Open(rate: 1000000, target: \"api\") },\n services: { \"api\": (workers: 1, service_time: Exponential(mean: \"1s\")) })",
        &["limits.max_in_flight", "more than 4.0 GiB (limits.max_memory)", "50000000 requests in flight"],
    );
}

#[test]
fn a_store_history_beyond_memory_is_refused_naming_its_clients() {
    // 100 processes with no think time for 3 minutes: some 16 million recorded operations,
    // within the operations a run keeps but not within 1 GiB.
    assert_refused(
        "store",
        "(duration: \"3m\", limits: (max_memory: \"1GiB\"), clients: {}, services: {},\n stores: { \"kv\": (replicas: 3, keys: 10,\n  election: Raft(election_timeout_min: \"150ms\", election_timeout_max: \"300ms\", heartbeat: \"50ms\"),\n  clients: [(processes: 100, timeout: \"1s\", think_time: Deterministic(value: \"0s\"))]) })",
        &[
            "store.ron:",
            "stores.kv.clients",
            "more than 1.0 GiB (limits.max_memory)",
            "operations × 256 B of history",
        ],
    );
}

#[test]
fn max_memory_raises_and_lowers_the_limit() {
    let text = |limit: &str| {
        format!("(duration: \"10s\", limits: (max_memory: \"{limit}\"),\n clients: {{ \"u\": Open(rate: 10.0, target: \"api\") }},\n services: {{ \"api\": (instances: 100000, workers: 2, service_time: Exponential(mean: \"1ms\")) }})")
    };
    let (out, stderr) = on_file("check", "small_limit", &text("16MiB"), &[]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("more than 16.0 MiB (limits.max_memory)"),
        "{stderr}"
    );
    let (out, stderr) = on_file("check", "large_limit", &text("1GiB"), &[]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let (out, stderr) = on_file("check", "bad_limit", &text("lots"), &[]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("limits.max_memory") && stderr.contains("not an amount of memory"),
        "{stderr}"
    );
}

#[test]
fn a_breaker_window_of_four_billion_runs_in_the_memory_its_calls_need() {
    for window in ["Time(4294967295)", "Count(4294967295)"] {
        let text = format!("(duration: \"2s\",\n clients: {{ \"u\": Open(rate: 1000, target: \"api\", policies: [CircuitBreaker(Resilience4j(window: {window}))]) }},\n services: {{ \"api\": (workers: 2, service_time: Exponential(mean: \"1ms\")) }})");
        let started = Instant::now();
        let (out, stderr) = on_file("run", "window", &text, &["--json"]);
        assert_eq!(out.status.code(), Some(0), "{window}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{window} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_retry_storm_that_would_run_for_days_is_warned_about_naming_the_retries() {
    let text = "(duration: \"10h\",\n clients: { \"u\": Open(rate: 100, target: \"a\", policies: [Retry(max_attempts: 100, backoff: Immediate)]) },\n services: {\n  \"a\": (workers: 8, steps: [Call(to: \"b\", policies: [Retry(max_attempts: 100, backoff: Immediate)])]),\n  \"b\": (workers: 8, steps: [Call(to: \"c\", policies: [Retry(max_attempts: 100, backoff: Immediate)])]),\n  \"c\": (workers: 1, service_time: Exponential(mean: \"1s\")),\n })";
    let (out, stderr) = on_file("check", "storm", text, &[]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for e in [
        "warning:",
        "duration",
        "days",
        "up to 1000000 attempts per call from clients.u.policies.0.max_attempts × services.a.steps.0.policies.0.max_attempts × services.b.steps.0.policies.0.max_attempts",
        "limits.wall_clock",
    ] {
        assert!(stderr.contains(e), "expected {e:?} in:\n{stderr}");
    }
    // Bounded by a wall-clock limit, it is not warned about.
    let bounded = text.replace(
        "(duration: \"10h\",",
        "(duration: \"10h\", limits: (wall_clock: \"1m\"),",
    );
    let (out, stderr) = on_file("check", "storm_bounded", &bounded, &[]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("warning:"), "{stderr}");
}

#[test]
fn bundled_scenarios_fit_in_memory_and_time_without_warnings_about_either() {
    let mut files = Vec::new();
    let mut dirs = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("scenarios") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "sweeps") {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "ron") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let out = faultline(&["check", file.to_str().expect("utf-8")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{}: {stderr}", file.display());
        assert!(
            !stderr.contains("memory") && !stderr.contains("events over"),
            "{}: {stderr}",
            file.display()
        );
    }
}

/// Starts a long run with `--out`, sends `signal` once it has begun, and checks that it stopped
/// promptly with its results written and the stop reason `interrupted`.
fn interrupted_run_keeps_its_results(signal: &str) {
    let dir = scratch(&format!("signal-{signal}"));
    let file = dir.join("long.ron");
    std::fs::write(
        &file,
        "(duration: \"100000s\", limits: (wall_clock: \"10m\"),\n clients: { \"u\": Open(rate: 1000, target: \"api\") },\n services: { \"api\": (workers: 2, service_time: Exponential(mean: \"1ms\")) })",
    )
    .expect("write");
    let out_dir = dir.join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["run", file.to_str().expect("utf-8"), "--no-plots", "--out"])
        .arg(&out_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run did not stop after SIG{signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let summary = std::fs::read_to_string(out_dir.join("summary.json")).expect("summary.json");
    let json: serde_json::Value = serde_json::from_str(&summary).expect("valid JSON");
    assert_eq!(json["stop"]["reason"], "interrupted");
    assert_eq!(json["stop"]["complete"], false);
    assert!(json["clients"]["u"]["sent"].as_u64().expect("sent") > 1000);
    let series = std::fs::read_to_string(out_dir.join("timeseries.csv")).expect("timeseries.csv");
    assert!(series.lines().count() > 10);
    // The table was printed too.
    assert!(String::from_utf8_lossy(&output.stdout).contains("sent"));
}

#[test]
fn ctrl_c_stops_a_run_and_still_writes_its_results() {
    interrupted_run_keeps_its_results("INT");
}

#[test]
fn sigterm_stops_a_run_and_still_writes_its_results() {
    interrupted_run_keeps_its_results("TERM");
}
