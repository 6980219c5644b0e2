//! SLOs in whole runs: the SRE workbook's burn-rate alerts page for an injected outage within
//! the workbook's detection time (scaled to the run) and stop soon after it ends, never fire on
//! a healthy run nor on errors well within the budget, and the budget spent is the bad share
//! over the allowed one.

mod common;

/// 2,000 requests/s for 300 s with a 99.9% availability SLO and `faults`.
fn with_slo(faults: &str) -> sim_models::Scenario {
    common::scenario(&format!(
        r#"(
  duration: "300s",
  clients: {{ "users": Open(rate: 2000, target: "api", timeout: "1s") }},
  services: {{ "api": (workers: 64, service_time: Exponential(mean: "10ms")) }},
  faults: [{faults}],
  slos: [(name: "availability", client: "users", objective: Availability(99.9))],
)"#
    ))
}

#[test]
fn an_outage_pages_within_the_workbooks_detection_time_and_the_page_stops_after_it() {
    let r = common::run_checked(
        &with_slo(
            r#"ErrorInjection(service: "api", start: "100s", duration: "30s", fraction: 1.0)"#,
        ),
        1,
    );
    let slo = &r.slos["availability"];
    // The workbook: a total outage reaches 14.4 × 0.1% of the 1 h window after 0.0144 h;
    // scaled to a 300 s period that is 6 ms, plus at most a slice (6.9 ms) and an arrival.
    let scale = 300.0 / (30.0 * 86_400.0);
    let workbook = 0.0144 * 3600.0 * scale;
    let page = slo.detection[0].page_after_s.expect("paged");
    assert!(page <= workbook + 0.02, "{page} vs {workbook}");
    assert_eq!(slo.detection[0].fault, "faults.0 (api)");
    let pages: Vec<_> = slo.alerts.iter().filter(|a| a.kind == "page").collect();
    assert_eq!(pages.len(), 1, "{:?}", slo.alerts);
    // It stops once the 1 h window (0.42 s scaled) has slid past the outage.
    let end = pages[0].end_s.expect("it stopped");
    assert!((130.0..131.0).contains(&end), "{end}");
    // 30 s of 300 failed: a tenth of the requests against a thousandth allowed.
    assert!(
        (slo.budget_consumed - 100.0).abs() < 2.0,
        "{}",
        slo.budget_consumed
    );
}

#[test]
fn a_healthy_run_and_errors_within_the_budget_never_alert() {
    let healthy = common::run_checked(&with_slo(""), 1);
    let slo = &healthy.slos["availability"];
    assert!(slo.alerts.is_empty());
    assert_eq!((slo.bad, slo.budget_consumed), (0, 0.0));
    // One request in 2,000 fails all along: half the budget, spread thin.
    let within = common::run_checked(
        &with_slo(
            r#"ErrorInjection(service: "api", start: "0s", duration: "300s", fraction: 0.0005)"#,
        ),
        1,
    );
    let slo = &within.slos["availability"];
    assert!(slo.alerts.is_empty(), "{:?}", slo.alerts);
    assert!(
        (0.35..0.65).contains(&slo.budget_consumed),
        "{}",
        slo.budget_consumed
    );
}

#[test]
fn a_month_long_period_still_counts_a_short_run_from_its_warm_up_and_pages_a_late_outage() {
    // The workbook's own windows (1 h and 5 min) on a 100 s run with a 10 s warm-up: every
    // request after the warm-up counts, and a 20 s outage at 70 s pages.
    let s = common::scenario(
        r#"(
  duration: "100s",
  warmup: "10s",
  clients: { "users": Open(rate: 200, target: "api", timeout: "1s") },
  services: { "api": (workers: 16, service_time: Exponential(mean: "10ms")) },
  faults: [ErrorInjection(service: "api", start: "70s", duration: "20s", fraction: 1.0)],
  slos: [
    (name: "month", client: "users", objective: Availability(99.9), period: "720h"),
    (name: "fast", client: "users", objective: Latency(threshold: "50ms", percent: 99.0)),
  ],
)"#,
    );
    let r = common::run_checked(&s, 1);
    let month = &r.slos["month"];
    let users = &r.clients["users"];
    // Counted over the measurement window: within a slice of the client's own counts.
    assert!(
        (month.good + month.bad).abs_diff(users.sent) < 10,
        "{month:?} vs {} sent",
        users.sent
    );
    let failed: u64 = users.errors.values().sum();
    assert!(
        month.bad.abs_diff(failed) < 10,
        "{} bad vs {failed} failed",
        month.bad
    );
    assert_eq!(month.period_s, 720.0 * 3600.0);
    // 60 s of good requests, then all bad: the 1 h window's bad share passes 1.44% within
    // about a second (0.0144 × 60 s), the 5 min window's as soon.
    let page = month.detection[0].page_after_s.expect("paged");
    assert!(page < 1.5, "{page}");
    // The latency SLO sees the outage's failures as bad too.
    assert!(r.slos["fast"].bad >= month.bad);
}
