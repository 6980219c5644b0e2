//! Call graphs: sequential calls, fan-outs, optional calls, publishing, branches, timeouts,
//! deadlines and the two concurrency models each do what the scenario says, with every request
//! and every call attempt accounted for.

mod common;
use common::{run_checked, scenario};
use sim_models::Report;

/// A front service calling `back` through the given steps; constant arrivals at 10/s for 100 s,
/// deterministic work so counts are exact.
fn front_back(front_steps: &str, back: &str, extra: &str) -> Report {
    let text = format!(
        r#"(
            duration: "100s",
            clients: {{ "users": Open(rate: 10, process: Constant, target: "front") }},
            services: {{
                "front": (workers: 100, steps: [{front_steps}]),
                {back}
            }},
            {extra}
        )"#
    );
    run_checked(&scenario(&text), 1)
}

fn edge<'a>(r: &'a Report, from: &str, to: &str) -> &'a sim_models::EdgeReport {
    r.edges
        .iter()
        .find(|e| e.from == from && e.to == to)
        .unwrap_or_else(|| panic!("no edge {from} -> {to}"))
}

#[test]
fn a_synchronous_call_adds_the_callee_time_to_the_callers_latency() {
    let r = front_back(
        r#"Work(Deterministic(value: "10ms")), Call(to: "back"), Work(Deterministic(value: "5ms"))"#,
        r#""back": (workers: 10, service_time: Deterministic(value: "30ms")),"#,
        "",
    );
    let users = &r.clients["users"];
    assert_eq!(users.completed, 999); // the arrival at 100 s is outside the run
    assert!(
        (users.latency.max - 0.045).abs() < 1e-6,
        "{}",
        users.latency.max
    );
    let e = edge(&r, "front", "back");
    assert_eq!((e.requests, e.attempts, e.amplification), (999, 999, 1.0));
    assert_eq!(r.services["back"].succeeded, 999);
}

#[test]
fn fan_out_all_waits_for_the_slowest_and_first_for_the_fastest() {
    let backs = r#""fast": (workers: 10, service_time: Deterministic(value: "10ms")),
                   "slow": (workers: 10, service_time: Deterministic(value: "80ms")),"#;
    let all = front_back(
        r#"FanOut(calls: [(to: "fast"), (to: "slow")], wait: All)"#,
        backs,
        "",
    );
    let first = front_back(
        r#"FanOut(calls: [(to: "fast"), (to: "slow")], wait: First)"#,
        backs,
        "",
    );
    assert!((all.clients["users"].latency.max - 0.080).abs() < 1e-6);
    assert!((first.clients["users"].latency.max - 0.010).abs() < 1e-6);
    // With First the slow call is abandoned each time and its answer, when it comes, is wasted.
    let slow = edge(&first, "front", "slow");
    assert_eq!(slow.abandoned, 999);
    assert_eq!(slow.late, 999);
    assert_eq!(first.services["slow"].wasted, 999);
    assert_eq!(all.services["slow"].wasted, 0);
}

#[test]
fn a_quorum_fails_once_it_can_no_longer_be_reached() {
    // Two of three answer; one of them always fails: Quorum(2) still succeeds, Quorum(3) fails
    // with `dependency`.
    let backs = r#""a": (workers: 10, service_time: Deterministic(value: "10ms")),
                   "b": (workers: 10, service_time: Deterministic(value: "10ms")),
                   "bad": (workers: 10, service_time: Deterministic(value: "10ms")),"#;
    let faults = r#"faults: [ErrorInjection(service: "bad", start: "0s", duration: "1000s", fraction: 1.0)],"#;
    let q = |k: u32| {
        front_back(
            &format!(r#"FanOut(calls: [(to: "a"), (to: "b"), (to: "bad")], wait: Quorum({k}))"#),
            backs,
            faults,
        )
    };
    let two = q(2);
    assert_eq!(two.clients["users"].completed, 999);
    let three = q(3);
    assert_eq!(three.clients["users"].completed, 0);
    assert_eq!(three.clients["users"].errors["dependency"], 999);
    assert_eq!(three.services["bad"].errors["injected"], 999);
}

#[test]
fn an_optional_call_that_fails_does_not_fail_the_request() {
    let backs = r#""bad": (workers: 10, service_time: Deterministic(value: "10ms")),"#;
    let faults = r#"faults: [ErrorInjection(service: "bad", start: "0s", duration: "1000s", fraction: 1.0)],"#;
    let optional = front_back(r#"Call(to: "bad", optional: true)"#, backs, faults);
    let required = front_back(r#"Call(to: "bad")"#, backs, faults);
    assert_eq!(optional.clients["users"].completed, 999);
    assert_eq!(required.clients["users"].errors["dependency"], 999);
}

#[test]
fn a_timeout_fails_the_call_and_the_late_answer_is_wasted_work() {
    let r = front_back(
        r#"Call(to: "back", timeout: "50ms")"#,
        r#""back": (workers: 100, service_time: Deterministic(value: "80ms")),"#,
        "",
    );
    assert_eq!(r.services["back"].errors["timeout"], 999);
    assert_eq!(r.clients["users"].errors["dependency"], 999);
    assert!((r.clients["users"].latency.max - 0.0).abs() < 1e-12);
    // Each call completed 30 ms after its caller gave up.
    assert_eq!(r.services["back"].completed, 999);
    assert_eq!(r.services["back"].wasted, 999);
    assert_eq!(r.services["back"].goodput, 0.0);
}

#[test]
fn published_messages_are_handled_without_anyone_waiting() {
    let r = front_back(
        r#"Work(Deterministic(value: "1ms")), Publish(to: "consumer")"#,
        r#""consumer": (workers: 1, service_time: Deterministic(value: "500ms")),"#,
        "",
    );
    // The front answers after 1 ms although the consumer takes 500 ms (and falls behind).
    assert!((r.clients["users"].latency.max - 0.001).abs() < 1e-9);
    assert_eq!(edge(&r, "front", "consumer").requests, 999);
    // One worker busy from the first message (at 0.101 s) on: 199 of 500 ms in the 100 s.
    assert_eq!(r.services["consumer"].completed, 199);
}

#[test]
fn branches_take_each_path_with_its_probability() {
    let text = r#"(
        duration: "1000s",
        clients: { "users": Open(rate: 100, target: "front") },
        services: {
            "front": (workers: 1000, steps: [Branch([
                (probability: 0.2, steps: [Call(to: "a")]),
                (probability: 0.5, steps: [Call(to: "b")]),
            ])]),
            "a": (workers: 100, service_time: Deterministic(value: "1ms")),
            "b": (workers: 100, service_time: Deterministic(value: "1ms")),
        },
    )"#;
    let r = run_checked(&scenario(text), 3);
    let sent = r.clients["users"].sent as f64;
    let share = |to: &str| edge(&r, "front", to).requests as f64 / sent;
    // 100,000 draws: 4.5 standard deviations is about 0.006.
    assert!((share("a") - 0.2).abs() < 0.006, "{}", share("a"));
    assert!((share("b") - 0.5).abs() < 0.007, "{}", share("b"));
}

/// A front of 10 workers calling a 200 ms back end at 40 requests/s: thread-per-request needs 8
/// workers held on average; async holds them only for the 1 ms of local work.
fn concurrency(mode: &str) -> Report {
    let text = format!(
        r#"(
            duration: "200s",
            warmup: "10s",
            clients: {{ "users": Open(rate: 40, target: "front") }},
            services: {{
                "front": (workers: 10, concurrency: {mode},
                          steps: [Work(Deterministic(value: "1ms")), Call(to: "back")]),
                "back": (workers: 1000, service_time: Deterministic(value: "200ms")),
            }},
        )"#
    );
    run_checked(&scenario(&text), 5)
}

#[test]
fn thread_per_request_holds_the_worker_while_waiting_and_async_frees_it() {
    let threads = concurrency("ThreadPerRequest");
    let async_ = concurrency("Async");
    let u = |r: &Report| r.services["front"].utilization;
    assert!(u(&threads) > 0.75, "{}", u(&threads)); // ≈ 40 × 0.201 / 10 = 0.80
    assert!(u(&async_) < 0.01, "{}", u(&async_)); // ≈ 40 × 0.001 / 10
                                                  // Either way the requests wait the same 200 ms downstream (async: no queueing at all).
    assert!(async_.clients["users"].latency.p99 < 0.2015);
    // Little's law still holds at the front: requests present include those parked on a call.
    let f = &async_.services["front"];
    let l = f.throughput * f.latency.mean;
    assert!(
        (f.mean_in_system - l).abs() / l < 0.03,
        "{} vs {l}",
        f.mean_in_system
    );
}

#[test]
fn an_async_service_whose_first_step_is_a_call_counts_the_waiting_requests_as_present() {
    // No local work before the call: the request never holds a worker, yet it is present (and
    // counts against capacity) while it waits. `run_checked` compares the instances' counters
    // with the call records.
    let text = r#"(
        duration: "100s",
        clients: { "users": Open(rate: 10, process: Constant, target: "front") },
        services: {
            "front": (workers: 1, capacity: 3, concurrency: Async, steps: [Call(to: "back")]),
            "back": (workers: 100, service_time: Deterministic(value: "250ms")),
        },
    )"#;
    let r = run_checked(&scenario(text), 1);
    let front = &r.services["front"];
    // Requests 100 ms apart, each present 250 ms: 2.5 on average, never more than 3.
    assert!(
        (front.mean_in_system - 2.5).abs() < 0.01,
        "{}",
        front.mean_in_system
    );
    assert_eq!(front.rejected, 0);
    assert_eq!(r.clients["users"].completed, 997);
}

/// Users with a 1 s deadline → front (10 ms) → back, one worker, 400 ms per request. For 30 s
/// users send 10/s, four times what back can serve; then 1/s, which it could serve easily.
fn deadlines(front_deadlines: &str, back_deadlines: &str) -> Report {
    let text = format!(
        r#"(
            duration: "60s",
            clients: {{ "users": Open(rate: 10, process: Constant, target: "front", timeout: "1s",
                                      schedule: [Step(at: "30s", rate: 1)]) }},
            services: {{
                "front": (workers: 1000, deadlines: {front_deadlines},
                          steps: [Work(Deterministic(value: "10ms")), Call(to: "back")]),
                "back": (workers: 1, deadlines: {back_deadlines},
                         service_time: Deterministic(value: "400ms")),
            }},
        )"#
    );
    run_checked(&scenario(&text), 1)
}

#[test]
fn a_propagated_deadline_lets_the_server_drop_expired_work_and_recover() {
    // Without propagation nobody below the user learns that it gave up: the back end works
    // through a backlog of 225 requests that all expired long ago, the front waits for each
    // answer, and the answer is thrown away at the top. Users keep failing after the load falls.
    let blind = deadlines("()", "(drop_expired: true)");
    // With it, the call carries the user's remaining budget: back drops expired work, its queue
    // stays short, and once the load falls users are answered again.
    let aware = deadlines("(propagate: true)", "(drop_expired: true)");
    let back = |r: &Report| r.services["back"].clone();
    assert_eq!(back(&blind).dropped_expired, 0);
    assert!(
        back(&blind).max_queue_length > 200,
        "{}",
        back(&blind).max_queue_length
    );
    assert!(
        back(&aware).dropped_expired > 200,
        "{}",
        back(&aware).dropped_expired
    );
    assert!(
        back(&aware).max_queue_length <= 12,
        "{}",
        back(&aware).max_queue_length
    );
    let ok = |r: &Report| r.clients["users"].completed;
    assert!(ok(&blind) <= 2, "{}", ok(&blind));
    assert!(ok(&aware) >= 25, "{}", ok(&aware)); // the ~29 requests sent after 31 s
    assert!(r_wasted(&blind) > 100);
}

fn r_wasted(r: &Report) -> u64 {
    r.services.values().map(|s| s.wasted).sum()
}

#[test]
fn a_margin_shortens_the_propagated_deadline() {
    let aware = deadlines("(propagate: true)", "()");
    let margin = deadlines("(propagate: true, margin: \"300ms\")", "()");
    // The front's call now times out 300 ms before the user's deadline: the front answers
    // `dependency` in time, and the user sees that instead of its own timeout.
    assert!(aware.clients["users"].errors["timeout"] > 0);
    assert_eq!(margin.clients["users"].errors["timeout"], 0);
    assert!(margin.clients["users"].errors["dependency"] > 200);
}

#[test]
fn a_timeout_left_by_a_fan_out_that_ended_early_is_ignored_at_the_next_call() {
    // The fan-out has what it needs from db after 1 ms; cache's 20 ms timeout is still queued
    // and falls due while front waits on `slow`, a step with fewer calls: it must be ignored
    // (it used to index the targets of the current step and panic).
    let r = front_back(
        r#"FanOut(calls: [(to: "db", timeout: "100ms"), (to: "cache", timeout: "20ms")], wait: First),
           Call(to: "slow", timeout: "1s")"#,
        r#""db": (workers: 10, service_time: Deterministic(value: "1ms")),
           "cache": (workers: 10, service_time: Deterministic(value: "50ms")),
           "slow": (workers: 10, service_time: Deterministic(value: "40ms")),"#,
        "",
    );
    let users = &r.clients["users"];
    assert_eq!(users.completed + r.in_flight_at_end, users.sent);
    assert_eq!(
        edge(&r, "front", "cache").abandoned,
        edge(&r, "front", "db").requests
    );
    assert_eq!(edge(&r, "front", "cache").errors["timeout"], 0);
}
