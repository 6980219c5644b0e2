//! What `faultline run` prints and writes: the documented JSON schema, the tables, and the files
//! of `--out`.

mod common;
use common::faultline;
use std::process::Command;

#[test]
fn json_summary_has_the_documented_fields_in_seconds() {
    let out = faultline(&[
        "run",
        "scenarios/queueing/tandem.ron",
        "--json",
        "--set",
        "duration=20000s",
        "--seed",
        "5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["seed"], 5);
    assert_eq!(j["sim_time_s"], 20000.0);
    assert!(j["events"].as_u64().unwrap() > 50_000);
    for name in ["first", "second"] {
        let s = &j["services"][name];
        for key in [
            "arrivals",
            "completed",
            "rejected",
            "throughput",
            "utilization",
            "mean_queue_length",
        ] {
            assert!(s[key].is_number(), "services.{name}.{key} missing: {s}");
        }
        for key in ["mean", "p50", "p90", "p99", "p999", "max"] {
            assert!(
                s["latency"][key].is_number(),
                "services.{name}.latency.{key} missing"
            );
        }
        for key in ["mean", "p99"] {
            assert!(
                s["wait"][key].is_number(),
                "services.{name}.wait.{key} missing"
            );
        }
    }
    // Seconds, not nanoseconds: the first station's mean latency is about 1 s.
    let w1 = j["services"]["first"]["latency"]["mean"].as_f64().unwrap();
    assert!((0.8..1.2).contains(&w1), "{w1}");
}

#[test]
fn tables_show_every_service_and_client() {
    let out = faultline(&[
        "run",
        "scenarios/queueing/tandem.ron",
        "--set",
        "duration=5000s",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "service",
        "first",
        "second",
        "client",
        "arrivals",
        "latency mean",
        "p99.9",
        "util",
    ] {
        assert!(text.contains(word), "table lacks {word:?}:\n{text}");
    }
}

#[test]
fn out_dir_gets_a_summary_and_a_time_series_per_bucket() {
    let dir = std::env::temp_dir().join(format!("faultline-out-{}", std::process::id()));
    let out = faultline(&[
        "run",
        "scenarios/queueing/mmck.ron",
        "--set",
        "duration=50s",
        "--set",
        "warmup=0s",
        "--set",
        "time_series.bucket=10s",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let csv = std::fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "time_s,component,kind,arrivals,completed,errors,throughput,goodput,latency_mean_s,queue_length,busy_workers,wasted,errors_rejected,errors_unavailable,errors_crashed,errors_injected,errors_timeout,errors_expired,errors_corrupted,errors_dependency,errors_circuit_open,errors_bulkhead_full,errors_rate_limited,errors_throttled,errors_limit_exceeded,errors_shed"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(
        rows.iter().all(|r| r.len() == 26),
        "every row has every column"
    );
    // 5 buckets × (1 service + 1 client)
    assert_eq!(rows.len(), 10);
    let service_rows: Vec<&Vec<&str>> = rows.iter().filter(|r| r[2] == "service").collect();
    assert_eq!(
        service_rows.iter().map(|r| r[0]).collect::<Vec<_>>(),
        ["0", "10", "20", "30", "40"]
    );
    // Per-bucket counts add up to the summary (no warm-up, so the windows agree).
    let arrivals: u64 = service_rows
        .iter()
        .map(|r| r[3].parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        arrivals,
        summary["services"]["server"]["arrivals"].as_u64().unwrap()
    );
    let busy: f64 = service_rows
        .iter()
        .map(|r| r[10].parse::<f64>().unwrap())
        .sum::<f64>()
        / 5.0;
    let util = summary["services"]["server"]["utilization"]
        .as_f64()
        .unwrap();
    assert!((busy - util).abs() < 1e-9, "{busy} vs {util}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn check_reports_ok_for_a_valid_scenario() {
    let out = faultline(&["check", "scenarios/queueing/mm1.ron"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
}

#[test]
fn time_series_buckets_tile_the_run_exactly_as_the_summary_counts_it() {
    // Constant arrivals every 0.5 s: one would fall exactly at the end time, which is outside the
    // run [0, 10 s), in the summary and in the buckets alike.
    let dir = std::env::temp_dir().join(format!("faultline-tiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("constant.ron");
    std::fs::write(
        &file,
        r#"(duration: "10s", clients: { "tick": Open(rate: 2, process: Constant, target: "s") },
            services: { "s": (workers: 1, service_time: Deterministic(value: "100ms")) })"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/summary.json")).unwrap()).unwrap();
    let csv = std::fs::read_to_string(dir.join("out/timeseries.csv")).unwrap();
    let bucket_arrivals: u64 = csv
        .lines()
        .skip(1)
        .filter(|l| l.contains(",service,"))
        .map(|l| l.split(',').nth(3).unwrap().parse::<u64>().unwrap())
        .sum();
    // Arrivals at 0.5 s, 1.0 s, …, 9.5 s.
    assert_eq!(summary["services"]["s"]["arrivals"], 19);
    assert_eq!(bucket_arrivals, 19);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_scenarios_command_lists_the_library_with_each_headers_first_sentence() {
    let out = faultline(&["scenarios"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for path in common::bundled_scenarios() {
        let rel = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .display()
            .to_string();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // A -fixed variant is named on its base's line.
        let shown = if name.ends_with("-fixed.ron") {
            format!("[fixed: {name}]")
        } else {
            rel
        };
        assert!(text.contains(&shown), "{shown} missing from:\n{text}");
    }
    assert!(text.contains("An expiry stampede. [fixed: cache-stampede-fixed.ron]"));
    assert!(text.contains("sweeps (faultline sweep FILE)"));
    let missing = faultline(&["scenarios", "no/such/dir"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/dir: no scenario library"));
}
