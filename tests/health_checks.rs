//! Health checks and liveness restarts in whole runs: the bundled restart storm happens from
//! the model and its fixed variant removes it; the health check takes a silent instance out of
//! the balancer's rotation and brings it back; Envoy's panic threshold; CrashLoopBackOff's
//! waits between restarts, exactly; requests conserved throughout.

mod common;
use sim_core::SimTime;
use sim_models::{load_scenario, run, run_observed, InstanceRef, Observer, RunResult};

fn restarts(result: &RunResult) -> u64 {
    result.report.services["api"]
        .health
        .as_ref()
        .expect("the api has a liveness probe")
        .restarts
}

#[test]
fn queued_liveness_probes_turn_a_spike_into_an_outage_in_at_least_90_percent_of_seeds() {
    let scenario = load_scenario("scenarios/liveness-restart-storm.ron", &[])
        .unwrap()
        .scenario;
    let mut outages = 0;
    for seed in 1..=20 {
        let result = run(&scenario, seed).unwrap();
        common::assert_conserved(&result);
        // The spike ends at 80 s; a minute later more than a tenth of requests still fail, and
        // instances are still being killed.
        let (sent, failed) = common::sent_and_failed(&result, 140, 180);
        if failed * 10 > sent && restarts(&result) >= 6 {
            outages += 1;
        }
    }
    assert!(
        outages >= 18,
        "the storm outlived the spike in {outages} of 20 seeds"
    );
}

#[test]
fn priority_probes_let_the_same_spike_pass_without_a_restart() {
    let scenario = load_scenario("scenarios/liveness-restart-storm-fixed.ron", &[])
        .unwrap()
        .scenario;
    for seed in 1..=20 {
        let result = run(&scenario, seed).unwrap();
        common::assert_conserved(&result);
        assert_eq!(restarts(&result), 0, "seed {seed}");
        let (sent, failed) = common::sent_and_failed(&result, 100, 180);
        assert!(
            failed * 100 < sent,
            "seed {seed}: {failed} of {sent} failed after the spike"
        );
    }
}

/// Three instances, one of which swallows requests from 30 s to 90 s; users give up after 1 s.
fn silent_instance(health_check: &str) -> String {
    format!(
        r#"(
  duration: "150s",
  time_series: (bucket: "1s"),
  clients: {{ "users": Open(rate: 300, target: "api", timeout: "1s") }},
  services: {{ "api": (instances: 3, workers: 8, service_time: Exponential(mean: "10ms"){health_check}) }},
  faults: [BlackHole(service: "api", instance: 0, start: "30s", duration: "60s")],
)"#
    )
}

#[test]
fn the_health_check_takes_a_silent_instance_out_of_rotation_and_brings_it_back() {
    let without = run(&common::scenario(&silent_instance("")), 1).unwrap();
    let checked = common::scenario(&silent_instance(
        r#", health_check: (interval: "2s", timeout: "500ms", unhealthy_threshold: 3, healthy_threshold: 2)"#,
    ));
    let with = run(&checked, 1).unwrap();
    common::assert_conserved(&with);
    // Without a health check a third of the requests vanish for the whole minute.
    let (sent, failed) = common::sent_and_failed(&without, 45, 90);
    assert!(failed * 4 > sent, "{failed} of {sent}");
    // With one, three failed probes in a row (4 to 8 s) take it out; nothing fails after.
    let (sent, failed) = common::sent_and_failed(&with, 45, 90);
    assert_eq!(
        failed, 0,
        "{failed} of {sent} failed once it was out of rotation"
    );
    let (_, failed) = common::sent_and_failed(&with, 30, 40);
    assert!(failed > 0, "detection takes a few probes");
    // It comes back after two good probes once the fault ends, and takes its share again.
    let h = with.report.services["api"].health.clone().unwrap();
    assert!(
        (54.0..=62.0).contains(&h.unhealthy_s),
        "out of rotation for {} s of the 60 s fault",
        h.unhealthy_s
    );
    assert_eq!(h.levels[0].end, 0.0, "healthy again at the end");
    assert_eq!(
        h.sent_to_unhealthy, 0,
        "one of three is not below the panic threshold"
    );
    let (sent, failed) = common::sent_and_failed(&with, 100, 150);
    assert_eq!(failed, 0, "{failed} of {sent}");
    let share = with.world.statistics().servers[0].instances[0].arrivals;
    assert!(share > 0);
}

/// Every instance swallows requests for a minute: the health check marks them all unhealthy.
fn all_silent(panic_threshold: f64) -> String {
    format!(
        r#"(
  duration: "100s",
  clients: {{ "users": Open(rate: 100, target: "api", timeout: "1s") }},
  services: {{ "api": (instances: 2, workers: 4, service_time: Exponential(mean: "10ms"),
    health_check: (interval: "1s", timeout: "200ms", unhealthy_threshold: 2, panic_threshold: {panic_threshold})) }},
  faults: [BlackHole(service: "api", start: "20s", duration: "60s")],
)"#
    )
}

#[test]
fn below_the_panic_threshold_the_balancer_sends_to_unhealthy_instances_and_at_zero_to_none() {
    let envoy = run(&common::scenario(&all_silent(50.0)), 1).unwrap();
    let h = envoy.report.services["api"].health.clone().unwrap();
    assert!(
        h.sent_to_unhealthy > 4000,
        "panic mode spreads over all: {}",
        h.sent_to_unhealthy
    );
    let users = &envoy.report.clients["users"];
    assert_eq!(users.errors.get("unavailable").copied().unwrap_or(0), 0);

    let kubernetes = run(&common::scenario(&all_silent(0.0)), 1).unwrap();
    common::assert_conserved(&kubernetes);
    let h = kubernetes.report.services["api"].health.clone().unwrap();
    assert_eq!(h.sent_to_unhealthy, 0);
    let unavailable = kubernetes.report.clients["users"].errors["unavailable"];
    assert!(
        unavailable > 4000,
        "no healthy endpoint, nowhere to send: {unavailable}"
    );
}

/// When each instance went down and came back up.
#[derive(Default)]
struct UpDown(Vec<(SimTime, bool)>);

impl Observer for UpDown {
    fn instance_changed(&mut self, now: SimTime, _at: InstanceRef, up: bool) {
        self.0.push((now, up));
    }
}

#[test]
fn a_dead_instance_restarts_after_crash_loop_back_off_waits_of_0_10_20_40_up_to_300_seconds() {
    // It never answers, before or after any restart: the liveness probe kills it every time.
    let scenario = common::scenario(
        r#"(
  duration: "1800s",
  clients: { "users": Open(rate: 1, target: "api", timeout: "1s") },
  services: { "api": (workers: 1, service_time: Exponential(mean: "10ms"),
    liveness: (period: "1s", timeout: "500ms", failure_threshold: 3, startup: "2s")) },
  faults: [BlackHole(service: "api", start: "0s", duration: "1800s")],
)"#,
    );
    let result = run_observed(&scenario, 1, UpDown::default()).unwrap();
    let events = &result.world.observer().0;
    let gaps: Vec<f64> = events
        .chunks(2)
        .filter(|pair| pair.len() == 2)
        .map(|pair| {
            assert_eq!((pair[0].1, pair[1].1), (false, true), "{events:?}");
            (pair[1].0 - pair[0].0).as_secs_f64()
        })
        .collect();
    // Each restart waits its CrashLoopBackOff delay, then the 2 s start-up.
    assert_eq!(
        gaps[..8],
        [2.0, 12.0, 22.0, 42.0, 82.0, 162.0, 302.0, 302.0],
        "{events:?}"
    );
    // Each kill comes three failed probes (2.5 to 3.5 s) after it serves again.
    for pair in events[1..].chunks(2).filter(|p| p.len() == 2) {
        let alive = (pair[1].0 - pair[0].0).as_secs_f64();
        assert!(
            (2.5..=3.5).contains(&alive),
            "killed {alive} s after it came up"
        );
    }
    let h = result.report.services["api"].health.clone().unwrap();
    assert_eq!(h.restarts as usize, events.iter().filter(|e| !e.1).count());
}

#[test]
fn a_paused_instance_fails_its_liveness_probe_however_it_is_answered_and_restarts_once() {
    // A 10 s pause (a long GC) is longer than three 1 s probes with 500 ms timeouts.
    let paused = |probe: &str| {
        common::scenario(&format!(
            r#"(
  duration: "60s",
  clients: {{ "users": Open(rate: 50, target: "api", timeout: "1s") }},
  services: {{ "api": (instances: 2, workers: 4, service_time: Exponential(mean: "10ms"),
    liveness: (period: "1s", timeout: "500ms", failure_threshold: 3, probe: {probe})) }},
  faults: [Pause(service: "api", instance: 1, start: "20s", duration: "10s")],
)"#
        ))
    };
    for probe in ["Queued", "Priority"] {
        let result = run(&paused(probe), 1).unwrap();
        common::assert_conserved(&result);
        assert_eq!(
            restarts(&result),
            1,
            "{probe}: frozen is dead to the kubelet"
        );
    }
}

#[test]
fn a_probe_timeout_equal_to_its_period_counts_every_failure() {
    // The probe judged at the instant the next is due must be judged first, or every other
    // failure is lost and the instance lives twice as long.
    let restarts = |timeout: &str| {
        let scenario = common::scenario(&format!(
            r#"(
  duration: "60s",
  clients: {{ "users": Open(rate: 1, target: "api", timeout: "1s") }},
  services: {{ "api": (workers: 1, service_time: Exponential(mean: "10ms"),
    liveness: (period: "1s", timeout: "{timeout}", failure_threshold: 3,
               restart_backoff: (initial: "1s", max: "1s"))) }},
  faults: [BlackHole(service: "api", start: "0s", duration: "60s")],
)"#
        ));
        let result = run(&scenario, 1).unwrap();
        common::assert_conserved(&result);
        result.report.services["api"].health.clone().unwrap()
    };
    let (tie, before) = (restarts("1s"), restarts("999ms"));
    assert_eq!(tie.liveness_probes.failed, before.liveness_probes.failed);
    assert_eq!(tie.restarts, before.restarts);
    assert!(tie.restarts >= 14, "{tie:?}");
}
