//! Server-side policies in whole runs: load shedding keeps goodput up under overload, CoDel
//! and adaptive LIFO cut the latency of what is served, priority classes shed the lowest
//! first, a concurrency limit bounds the requests inside, per-tenant limits protect a quiet
//! tenant from a noisy one, and outlier detection ejects a broken instance — over several
//! seeds, with conservation checked on every run.

mod common;

use common::{run_checked, scenario};
use sim_models::Report;

/// An M/M/1-like service (one instance, 4 workers of 10 ms) offered `rate` per second by
/// clients with a 1 s timeout, with `server` as its server policies.
fn overloaded(rate: u32, server: &str) -> String {
    format!(
        r#"(
        duration: "60s",
        warmup: "10s",
        clients: {{ "users": Open(rate: {rate}, target: "api", timeout: "1s") }},
        services: {{
            "api": (workers: 4, service_time: Exponential(mean: "10ms"), server_policies: [{server}]),
        }},
    )"#
    )
}

fn goodput(r: &Report) -> f64 {
    r.services["api"].goodput
}

fn shed(r: &Report, reason: &str) -> u64 {
    r.services["api"].shed[reason]
}

#[test]
fn bounding_queue_wait_keeps_goodput_near_capacity_under_overload() {
    // 600/s offered to a capacity of 400/s: without shedding the queue grows until every
    // request waits past its caller's timeout and goodput collapses.
    for seed in 1..=5 {
        let bare = run_checked(&scenario(&overloaded(600, "")), seed);
        let shedding = run_checked(
            &scenario(&overloaded(600, r#"ShedQueueWait(max_wait: "200ms")"#)),
            seed,
        );
        assert!(goodput(&bare) < 50.0, "seed {seed}: {}", goodput(&bare));
        assert!(
            goodput(&shedding) > 360.0,
            "seed {seed}: {}",
            goodput(&shedding)
        );
        assert!(shed(&shedding, "queue_wait") > 0);
        assert!(shedding.clients["users"].errors["shed"] > 0);
    }
}

#[test]
fn shedding_by_queue_length_bounds_the_queue() {
    for seed in 1..=5 {
        let r = run_checked(
            &scenario(&overloaded(600, "ShedQueueLength(max: 20)")),
            seed,
        );
        let api = &r.services["api"];
        assert!(
            api.max_queue_length <= 20,
            "seed {seed}: {}",
            api.max_queue_length
        );
        assert!(shed(&r, "queue_length") > 0);
        assert!(goodput(&r) > 360.0, "seed {seed}: {}", goodput(&r));
    }
}

#[test]
fn codel_and_adaptive_lifo_cut_the_latency_of_served_requests_under_overload() {
    for seed in 1..=5 {
        let fifo = run_checked(
            &scenario(&overloaded(440, "ShedQueueLength(max: 400)")),
            seed,
        );
        let codel = run_checked(
            &scenario(&overloaded(440, "ShedQueueLength(max: 400), CoDel()")),
            seed,
        );
        let lifo = run_checked(
            &scenario(&overloaded(
                440,
                "ShedQueueLength(max: 400), AdaptiveLifo()",
            )),
            seed,
        );
        let p50 = |r: &Report| r.clients["users"].latency.p50;
        assert!(
            p50(&codel) < p50(&fifo) / 4.0,
            "seed {seed}: {} vs {}",
            p50(&codel),
            p50(&fifo)
        );
        assert!(
            p50(&lifo) < p50(&fifo) / 4.0,
            "seed {seed}: {} vs {}",
            p50(&lifo),
            p50(&fifo)
        );
        assert!(shed(&codel, "codel") > 0);
        assert!(shed(&lifo, "controlled_delay") > 0);
        // Both keep serving at about capacity.
        assert!(goodput(&codel) > 350.0 && goodput(&lifo) > 350.0);
    }
}

#[test]
fn priority_classes_shed_the_sheddable_traffic_and_keep_the_critical() {
    let text = r#"(
        duration: "60s",
        warmup: "10s",
        clients: {
            "batch": Open(rate: 300, target: "api", timeout: "1s", criticality: Sheddable),
            "checkout": Open(rate: 300, target: "api", timeout: "1s", criticality: CriticalPlus),
        },
        services: {
            "api": (workers: 4, capacity: 40, service_time: Exponential(mean: "10ms"),
                    server_policies: [Criticality(sheddable: 10)]),
        },
    )"#;
    for seed in 1..=5 {
        let r = run_checked(&scenario(text), seed);
        let ok = |c: &str| r.clients[c].completed as f64 / r.clients[c].sent as f64;
        assert!(ok("checkout") > 0.99, "seed {seed}: {}", ok("checkout"));
        assert!(ok("batch") < 0.5, "seed {seed}: {}", ok("batch"));
        assert!(shed(&r, "criticality") > 0);
    }
}

#[test]
fn a_server_concurrency_limit_bounds_the_requests_inside() {
    for seed in 1..=3 {
        let r = run_checked(
            &scenario(&overloaded(600, "ConcurrencyLimit(Fixed(limit: 12))")),
            seed,
        );
        let api = &r.services["api"];
        assert!(
            api.max_queue_length <= 8,
            "seed {seed}: {}",
            api.max_queue_length
        );
        assert!(shed(&r, "concurrency_limit") > 0);
        assert!(goodput(&r) > 360.0);
    }
}

#[test]
fn adaptive_server_limits_settle_where_latency_stays_low() {
    for seed in 1..=3 {
        let bare = run_checked(&scenario(&overloaded(600, "")), seed);
        let p99 = |r: &Report| r.clients["users"].latency.p99;
        // Without a limit the queue grows past the callers' timeout: almost nothing is useful.
        assert!(goodput(&bare) < 50.0, "seed {seed}: {}", goodput(&bare));
        // Vegas (Netflix's default) finds a limit just above the 4 workers: a short queue.
        let vegas = run_checked(
            &scenario(&overloaded(600, "ConcurrencyLimit(Vegas())")),
            seed,
        );
        let limit = &vegas.services["api"].server_policies[0];
        assert_eq!(limit.layer, "concurrency_limit");
        assert!(
            (4.0..20.0).contains(&limit.mean),
            "seed {seed}: {}",
            limit.mean
        );
        assert!(p99(&vegas) < 0.1, "seed {seed}: {}", p99(&vegas));
        assert!(goodput(&vegas) > 350.0, "seed {seed}: {}", goodput(&vegas));
        // Gradient2 in Netflix's usual windowed wrapper stays between its floor (20) and
        // its ceiling (200), far from the 1 s queue of the bare run.
        let g2 = run_checked(
            &scenario(&overloaded(600, "ConcurrencyLimit(Gradient2(window: ()))")),
            seed,
        );
        let limit = g2.services["api"].server_policies[0].mean;
        assert!((20.0..80.0).contains(&limit), "seed {seed}: {limit}");
        assert!(p99(&g2) < 0.3, "seed {seed}: {}", p99(&g2));
        assert!(shed(&g2, "concurrency_limit") > 0);
    }
}

#[test]
fn per_tenant_rate_limits_protect_a_quiet_tenant_from_a_noisy_one() {
    let text = |limit: &str| {
        format!(
            r#"(
        duration: "60s",
        warmup: "10s",
        clients: {{
            "noisy": Open(rate: 900, target: "api", timeout: "1s"),
            "quiet": Open(rate: 100, target: "api", timeout: "1s"),
        }},
        services: {{
            "api": (workers: 4, service_time: Exponential(mean: "10ms"), server_policies: [{limit}]),
        }},
    )"#
        )
    };
    for seed in 1..=3 {
        let bare = run_checked(&scenario(&text("")), seed);
        let limited = run_checked(&scenario(&text("TenantRateLimit(rate: 250)")), seed);
        let ok = |r: &Report, c: &str| r.clients[c].completed as f64 / r.clients[c].sent as f64;
        assert!(
            ok(&bare, "quiet") < 0.2,
            "seed {seed}: {}",
            ok(&bare, "quiet")
        );
        assert!(
            ok(&limited, "quiet") > 0.99,
            "seed {seed}: {}",
            ok(&limited, "quiet")
        );
        assert!(shed(&limited, "tenant_rate") > 0);
    }
}

#[test]
fn outlier_detection_ejects_an_instance_that_keeps_refusing() {
    // Instance 0 of three loses all its workers: with a bounded queue it refuses (503) what
    // round-robin keeps sending it. Ejection takes it out of the rotation.
    let text = |od: &str| {
        format!(
            r#"(
        duration: "120s",
        clients: {{ "users": Open(rate: 300, target: "api", timeout: "1s") }},
        services: {{
            "api": (instances: 3, workers: 4, capacity: 8, service_time: Exponential(mean: "5ms"){od}),
        }},
        faults: [CapacityLoss(service: "api", instance: 0, start: "0s", duration: "120s", workers: 0)],
    )"#
        )
    };
    for seed in 1..=3 {
        let bare = run_checked(&scenario(&text("")), seed);
        let ejecting = run_checked(
            &scenario(&text(", outlier_detection: (max_ejection_percent: 50)")),
            seed,
        );
        let failed =
            |r: &Report| 1.0 - r.clients["users"].completed as f64 / r.clients["users"].sent as f64;
        assert!(failed(&bare) > 0.3, "seed {seed}: {}", failed(&bare));
        assert!(
            failed(&ejecting) < 0.02,
            "seed {seed}: {}",
            failed(&ejecting)
        );
        let od = ejecting.services["api"].outlier_detection.as_ref().unwrap();
        assert!(od.ejections["consecutive_5xx"] >= 1);
        assert!(od.ejected.mean > 0.9, "{}", od.ejected.mean);
    }
}

#[test]
fn a_users_server_policy_runs_from_a_scenario_by_name() {
    use sim_core::{SimRng, SimTime};
    use sim_models::policy::{PolicyRegistry, ServerArrival, ServerPolicy};

    /// Admits only every `every`-th arrival.
    #[derive(Clone, Debug)]
    struct OneIn {
        every: u64,
        seen: u64,
    }
    impl ServerPolicy for OneIn {
        fn name(&self) -> &str {
            "one_in"
        }
        fn arrive(&mut self, _: SimTime, _: &ServerArrival, _: &mut SimRng) -> bool {
            self.seen += 1;
            self.seen.is_multiple_of(self.every)
        }
    }
    let mut registry = PolicyRegistry::new();
    registry.register_server("one_in", |p| {
        Ok(Box::new(OneIn {
            every: p.get("every").copied().unwrap_or(2.0) as u64,
            seen: 0,
        }))
    });
    let s = scenario(&overloaded(
        100,
        r#"Custom(name: "one_in", params: { "every": 4 })"#,
    ));
    let result = sim_models::run_with_policies(&s, 1, &registry).unwrap();
    let api = &result.report.services["api"];
    let shed = api.shed["custom"] as f64;
    assert!(
        (shed / api.arrivals as f64 - 0.75).abs() < 0.01,
        "{shed} of {}",
        api.arrivals
    );
    // Without the registration the run is refused with the name and where it was written.
    let err = sim_models::run(&s, 1).unwrap_err().to_string();
    assert!(err.contains("services.api.server_policies.0"), "{err}");
    assert!(err.contains("unknown server policy `one_in`"), "{err}");
}
