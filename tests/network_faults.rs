//! Network faults and the service faults that only a caller can see: each does what it says,
//! and a lost message is only ever noticed by a timeout.

mod common;
use common::{run_checked, scenario};
use sim_models::{run, Report};

/// Users in zone-a (100/s, 1 s timeout, constant arrivals) → api with one instance per zone
/// (round-robin: every other request crosses to zone-b), 1 ms of work, plus `faults` and
/// `network`. The run sends 9,999 requests; a 10 s fault window sees 1,000, 500 of them crossing.
fn zones(faults: &str, network: &str) -> Report {
    let text = format!(
        r#"(
            duration: "100s",
            network: ({network}),
            clients: {{
                "users": Open(rate: 100, process: Constant, target: "api", timeout: "1s", zone: "zone-a"),
            }},
            services: {{
                "api": (instances: 2, zones: ["zone-a", "zone-b"], workers: 100,
                        service_time: Deterministic(value: "1ms")),
            }},
            faults: [{faults}],
        )"#
    );
    run_checked(&scenario(&text), 1)
}

fn timeouts(r: &Report) -> u64 {
    r.clients["users"].errors["timeout"]
}

const SENT: u64 = 9_999;

#[test]
fn a_partition_loses_exactly_the_messages_that_cross_it_while_it_lasts() {
    let r = zones(
        r#"Partition(a: ["zone-a"], b: ["zone-b"], start: "20s", duration: "10s")"#,
        "",
    );
    assert_eq!(timeouts(&r), 500);
    assert_eq!(r.network.lost, 500);
    // The api never saw them: nothing wasted, nothing failed on its side.
    assert_eq!(r.services["api"].wasted, 0);
    assert_eq!(r.services["api"].arrivals, SENT - 500);
}

#[test]
fn a_holding_partition_delivers_what_crosses_it_when_it_heals() {
    // The same partition, holding instead of dropping: nothing is lost, and the 500 requests
    // that cross it wait for the heal. With a 1 s timeout their callers have given up, except
    // for the ~50 sent in its last second; with a 20 s timeout all are answered, up to 10 s late.
    let r = zones(
        r#"Partition(a: ["zone-a"], b: ["zone-b"], start: "20s", duration: "10s", hold: true)"#,
        "",
    );
    assert_eq!(r.network.lost, 0);
    assert_eq!(r.network.held, 500);
    assert!((445..=455).contains(&timeouts(&r)), "{}", timeouts(&r));
    assert_eq!(
        r.services["api"].arrivals, SENT,
        "every held request arrives"
    );
    let text = r#"(
        duration: "100s",
        clients: { "users": Open(rate: 100, process: Constant, target: "api", timeout: "20s", zone: "zone-a") },
        services: { "api": (instances: 2, zones: ["zone-a", "zone-b"], workers: 100,
                            service_time: Deterministic(value: "1ms")) },
        faults: [Partition(a: ["zone-a"], b: ["zone-b"], start: "20s", duration: "10s", hold: true)],
    )"#;
    let r = run_checked(&scenario(text), 1);
    assert_eq!(r.clients["users"].errors.values().sum::<u64>(), 0);
    assert_eq!(r.clients["users"].completed, SENT);
    // The first request held waits the whole 10 s; the answers of the last come back at once.
    let max = r.clients["users"].latency.max;
    assert!((9.9..=10.01).contains(&max), "{max}");
    let json = serde_json::to_string(&r.network).unwrap();
    assert!(json.contains("\"held\":500"), "{json}");
}

#[test]
fn a_one_way_partition_drops_only_one_direction() {
    let one_way = |a: &str, b: &str| {
        zones(
            &format!(
                r#"Partition(a: ["{a}"], b: ["{b}"], one_way: true, start: "20s", duration: "10s")"#
            ),
            "",
        )
    };
    // zone-a → zone-b: the requests vanish before the api sees them.
    let requests_lost = one_way("zone-a", "zone-b");
    assert_eq!(timeouts(&requests_lost), 500);
    assert_eq!(requests_lost.services["api"].arrivals, SENT - 500);
    assert_eq!(requests_lost.services["api"].wasted, 0);
    // zone-b → zone-a: the requests arrive and are served; only the answers vanish, so the
    // same number of timeouts now comes with wasted work.
    let answers_lost = one_way("zone-b", "zone-a");
    assert_eq!(timeouts(&answers_lost), 500);
    assert_eq!(answers_lost.services["api"].arrivals, SENT);
    assert_eq!(answers_lost.services["api"].wasted, 500);
}

#[test]
fn a_partition_of_one_instance_cuts_only_that_instance() {
    let r = zones(
        r#"Partition(a: ["api#1"], b: ["users"], start: "20s", duration: "10s")"#,
        "",
    );
    assert_eq!(timeouts(&r), 500);
    assert_eq!(r.services["api"].instances[0].arrivals, SENT.div_ceil(2));
    let r = zones(
        r#"Partition(a: ["api#0"], b: ["zone-b"], start: "20s", duration: "10s")"#,
        "",
    );
    assert_eq!(timeouts(&r), 0, "nothing in zone-b talks to api#0");
}

#[test]
fn added_latency_slows_both_the_request_and_the_answer() {
    let r = zones(
        r#"NetworkDelay(a: ["zone-a"], b: ["zone-b"], extra: "50ms", start: "20s", duration: "10s")"#,
        "",
    );
    // Cross-zone requests in the window take 1 ms of work + 2 × 50 ms; same-zone ones 1 ms.
    let users = &r.clients["users"];
    assert!(
        (users.latency.max - 0.101).abs() < 1e-6,
        "{}",
        users.latency.max
    );
    assert!((users.latency.p50 - 0.001).abs() < 1e-5);
    assert_eq!(timeouts(&r), 0);
}

#[test]
fn a_loss_burst_fails_requests_whose_request_or_answer_is_lost() {
    let r = zones(
        r#"PacketLoss(loss: 0.2, start: "0s", duration: "100s")"#,
        "",
    );
    // A request fails if either of its two messages is lost: 1 − 0.8² = 36%.
    let n = SENT as f64;
    let failed = timeouts(&r) as f64;
    assert!(
        (failed - 0.36 * n).abs() < 4.5 * (n * 0.36 * 0.64).sqrt(),
        "{failed}"
    );
    // Lost answers are wasted work: 0.8 × 0.2 = 16% of requests.
    let wasted = r.services["api"].wasted as f64;
    assert!((wasted - 0.16 * n).abs() < 4.5 * (n * 0.16 * 0.84).sqrt());
}

#[test]
fn a_flapping_link_is_down_about_the_share_its_rates_give() {
    // Fails 2/s, repaired 2/s: down half the time, in many short outages.
    let text = r#"(
        duration: "2000s",
        clients: { "users": Open(rate: 100, target: "api", timeout: "1s") },
        services: { "api": (workers: 100, service_time: Deterministic(value: "1ms")) },
        faults: [FlappingLink(a: ["users"], b: ["api"], fail_rate: 2, repair_rate: 2,
                              start: "0s", duration: "2000s")],
    )"#;
    let r = run_checked(&scenario(text), 4);
    let share = r.clients["users"].errors["timeout"] as f64 / r.clients["users"].sent as f64;
    // Requests fail if sent while down or answered while down (1 ms later): about half.
    assert!((share - 0.5).abs() < 0.05, "{share}");
}

#[test]
fn a_black_hole_accepts_requests_and_never_answers() {
    let r = zones(
        r#"BlackHole(service: "api", instance: 1, start: "20s", duration: "10s")"#,
        "",
    );
    assert_eq!(r.services["api"].black_holed, 500);
    assert_eq!(timeouts(&r), 500);
    assert_eq!(r.services["api"].errors["timeout"], 500);
    // The timed-out callers learn nothing faster than their 1 s timeout.
    assert_eq!(r.network.lost, 0);
}

#[test]
fn corrupted_answers_are_errors_to_the_caller() {
    let r = zones(
        r#"CorruptResponses(service: "api", fraction: 0.25, start: "0s", duration: "100s")"#,
        "",
    );
    let n = SENT as f64;
    let corrupted = r.services["api"].errors["corrupted"] as f64;
    assert!(
        (corrupted - 0.25 * n).abs() < 4.5 * (n * 0.25 * 0.75).sqrt(),
        "{corrupted}"
    );
    // The work was done: it counts as throughput, not goodput.
    assert_eq!(r.services["api"].completed, SENT);
    assert_eq!(r.services["api"].succeeded, SENT - corrupted as u64);
}

#[test]
fn duplicated_requests_are_served_twice_and_the_second_answer_is_late() {
    let r = zones("", "duplication: 0.5");
    let dups = r.network.duplicated;
    let n = SENT as f64;
    assert!((dups as f64 - 0.5 * n).abs() < 4.5 * (n * 0.25).sqrt());
    assert_eq!(r.services["api"].arrivals, SENT + dups);
    assert_eq!(r.services["api"].wasted, dups);
    let late: u64 = r.edges.iter().map(|e| e.late).sum();
    assert_eq!(late, dups);
    assert_eq!(r.clients["users"].completed, SENT);
}

#[test]
fn zone_links_and_bandwidth_shape_latency() {
    let network = r#"latency: Deterministic(value: "1ms"),
        links: [(between: ("zone-a", "zone-b"), latency: Deterministic(value: "20ms"))]"#;
    let r = zones("", network);
    // Same zone: 1 + 1 + 1 ms; across: 20 + 1 + 20 ms. Round robin gives each client half.
    assert!((r.clients["users"].latency.p50 - 0.003).abs() < 1e-4);
    assert!((r.clients["users"].latency.max - 0.041).abs() < 1e-4);
    // 1,000 bytes at 100 kB/s take 10 ms on the wire; 100 requests/s keep it busy all the time
    // only if the wire is shared: the queue behind it shows in the latency.
    let text = r#"(
        duration: "10s",
        network: (links: [(between: ("users", "api"), bandwidth: 100000.0)]),
        clients: { "users": Open(rate: 200, process: Constant, target: "api") },
        services: { "api": (workers: 100, service_time: Deterministic(value: "1ms"), request_bytes: 1000) },
    )"#;
    let result = run(&scenario(text), 1).unwrap();
    // 200 requests/s of 10 ms each need 2 s of wire per second: the backlog grows by 0.5 s/s.
    let lat = &result.report.clients["users"].latency;
    assert!(lat.max > 4.0, "{}", lat.max);
}
