//! The engine against closed-form queueing results (see shared/reference/queueing-oracles.md).
//!
//! Each case runs 40 independent seeds long enough for a tight interval, and asserts that the
//! closed form lies inside the 99% Student-t interval of the simulated mean, and that the interval
//! is narrow enough to mean something. Little's law is checked on every service of every run
//! (`common::replicate`).
//!
//! A correct engine still misses a 99% interval 1% of the time, and this file makes about thirty
//! such assertions. The seeds are fixed, so the outcome is deterministic; with seeds 1–30 the
//! M/E₂/1 wait sat at z = −2.6 while 200 further seeds gave z = −0.7 (no bias), so the suite uses
//! 40 seeds. If a change moves a result outside its interval, check it with more seeds before
//! believing either the engine or the test.

mod common;
use common::{assert_contains, replicate, scenario};

const SEEDS: u64 = 40;

fn single_station(
    rate: f64,
    workers: u32,
    service: &str,
    capacity: Option<u32>,
    duration: &str,
    warmup: &str,
) -> String {
    let cap = capacity
        .map(|k| format!("capacity: {k},"))
        .unwrap_or_default();
    format!(
        r#"(
            duration: "{duration}", warmup: "{warmup}", time_series: (bucket: "1000s"),
            clients: {{ "arrivals": Open(rate: {rate}, target: "server") }},
            services: {{ "server": (workers: {workers}, {cap} service_time: {service}) }},
        )"#
    )
}

const EXP_1S: &str = r#"Exponential(mean: "1s")"#;

#[test]
fn mm1_mean_wait_matches_theory_at_rho_0_5() {
    let s = scenario(&single_station(0.5, 1, EXP_1S, None, "40000s", "500s"));
    let runs = replicate(&s, SEEDS);
    // Wq = ρ/(μ−λ) = 1, W = 2
    assert_contains("M/M/1 ρ=0.5 Wq", &runs, 1.0, 0.05, |r| {
        r.services["server"].wait.mean
    });
    assert_contains("M/M/1 ρ=0.5 W", &runs, 2.0, 0.05, |r| {
        r.services["server"].latency.mean
    });
    assert_contains("M/M/1 ρ=0.5 utilization", &runs, 0.5, 0.02, |r| {
        r.services["server"].utilization
    });
}

#[test]
fn mm1_mean_wait_matches_theory_at_rho_0_8() {
    let s = scenario(&single_station(0.8, 1, EXP_1S, None, "100000s", "2000s"));
    let runs = replicate(&s, SEEDS);
    assert_contains("M/M/1 ρ=0.8 Wq", &runs, 4.0, 0.05, |r| {
        r.services["server"].wait.mean
    });
    assert_contains("M/M/1 ρ=0.8 L", &runs, 4.0, 0.05, |r| {
        r.services["server"].mean_in_system
    });
}

#[test]
fn mm1_mean_wait_matches_theory_at_rho_0_9() {
    let s = scenario(&single_station(0.9, 1, EXP_1S, None, "200000s", "5000s"));
    let runs = replicate(&s, SEEDS);
    assert_contains("M/M/1 ρ=0.9 Wq", &runs, 9.0, 0.05, |r| {
        r.services["server"].wait.mean
    });
    assert_contains("M/M/1 ρ=0.9 W", &runs, 10.0, 0.05, |r| {
        r.services["server"].latency.mean
    });
    // The sojourn time is Exp(μ−λ), so its p99 is ln(100)/(μ−λ) = 46.05 s.
    assert_contains("M/M/1 ρ=0.9 p99", &runs, 46.0517, 0.05, |r| {
        r.services["server"].latency.p99
    });
}

#[test]
fn mmc_mean_wait_matches_erlang_c() {
    let s = scenario(&single_station(4.5, 5, EXP_1S, None, "40000s", "2000s"));
    let runs = replicate(&s, SEEDS);
    assert_contains("M/M/5 ρ=0.9 Wq", &runs, 1.524986, 0.06, |r| {
        r.services["server"].wait.mean
    });
    let s = scenario(&single_station(8.0, 10, EXP_1S, None, "10000s", "500s"));
    let runs = replicate(&s, SEEDS);
    assert_contains("M/M/10 ρ=0.8 Wq", &runs, 0.204590, 0.06, |r| {
        r.services["server"].wait.mean
    });
}

fn blocking(r: &sim_models::Report) -> f64 {
    let s = &r.services["server"];
    s.rejected as f64 / s.arrivals as f64
}

#[test]
fn erlang_b_blocking_is_insensitive_to_the_holding_time_distribution() {
    // M/G/5/5 at a = 3 Erlangs: B(5, 3) = 0.110054 whatever the holding-time distribution.
    for service in [
        EXP_1S,
        r#"Deterministic(value: "1s")"#,
        r#"LogNormal(mean: "1s", sd: "2s")"#,
    ] {
        let s = scenario(&single_station(3.0, 5, service, Some(5), "20000s", "100s"));
        let runs = replicate(&s, SEEDS);
        assert_contains(
            &format!("Erlang B with {service}"),
            &runs,
            0.110054,
            0.05,
            blocking,
        );
    }
}

#[test]
fn mmck_blocking_and_latency_match_theory() {
    let s = scenario(&single_station(0.9, 1, EXP_1S, Some(10), "40000s", "500s"));
    let runs = replicate(&s, SEEDS);
    assert_contains("M/M/1/10 P_block", &runs, 0.050814, 0.06, blocking);
    assert_contains("M/M/1/10 W", &runs, 4.646601, 0.03, |r| {
        r.services["server"].latency.mean
    });
    assert_contains("M/M/1/10 throughput", &runs, 0.854268, 0.01, |r| {
        r.services["server"].throughput
    });
    let s = scenario(&single_station(1.5, 2, EXP_1S, Some(5), "20000s", "200s"));
    let runs = replicate(&s, SEEDS);
    assert_contains("M/M/2/5 P_block", &runs, 0.085114, 0.06, blocking);
    assert_contains("M/M/2/5 L", &runs, 2.005954, 0.03, |r| {
        r.services["server"].mean_in_system
    });
}

#[test]
fn md1_wait_is_half_of_mm1_as_pollaczek_khinchine_says() {
    let s = scenario(&single_station(
        0.8,
        1,
        r#"Deterministic(value: "1s")"#,
        None,
        "60000s",
        "1000s",
    ));
    let runs = replicate(&s, SEEDS);
    assert_contains("M/D/1 ρ=0.8 Wq", &runs, 2.0, 0.05, |r| {
        r.services["server"].wait.mean
    });
}

#[test]
fn mg1_wait_follows_pollaczek_khinchine_for_erlang_and_uniform_service() {
    // Wq = ρ·E[S]·(1 + C²)/(2(1 − ρ)) at ρ = 0.8: Erlang-2 (C² = ½) → 3.0; U(0, 2) (C² = ⅓) → 2.6667.
    for (service, theory) in [
        (r#"Erlang(k: 2, mean: "1s")"#, 3.0),
        (r#"Uniform(min: "0s", max: "2s")"#, 8.0 / 3.0),
    ] {
        let s = scenario(&single_station(0.8, 1, service, None, "60000s", "1000s"));
        let runs = replicate(&s, SEEDS);
        assert_contains(&format!("M/G/1 {service}"), &runs, theory, 0.05, |r| {
            r.services["server"].wait.mean
        });
    }
}

#[test]
fn tandem_jackson_network_end_to_end_time_is_the_sum_of_stations() {
    let s = scenario(
        r#"(
            duration: "40000s", warmup: "500s", time_series: (bucket: "1000s"),
            clients: { "arrivals": Open(rate: 1.0, target: "first") },
            services: {
                "first": (workers: 1, service_time: Exponential(mean: "500ms"), routes: [(to: "second")]),
                "second": (workers: 1, service_time: Exponential(mean: "666.666667ms")),
            },
        )"#,
    );
    let runs = replicate(&s, SEEDS);
    assert_contains("tandem W1", &runs, 1.0, 0.03, |r| {
        r.services["first"].latency.mean
    });
    assert_contains("tandem W2", &runs, 2.0, 0.04, |r| {
        r.services["second"].latency.mean
    });
    assert_contains("tandem end to end", &runs, 3.0, 0.04, |r| {
        r.clients["arrivals"].latency.mean
    });
}

#[test]
fn feedback_jackson_network_counts_every_visit() {
    // γ = 0.5, μ = 2, return probability 0.5: λ = 1 at the node, L = 1, W per external customer = 2.
    let s = scenario(
        r#"(
            duration: "40000s", warmup: "500s", time_series: (bucket: "1000s"),
            clients: { "arrivals": Open(rate: 0.5, target: "node") },
            services: {
                "node": (workers: 1, service_time: Exponential(mean: "500ms"), routes: [(to: "node", probability: 0.5)]),
            },
        )"#,
    );
    let runs = replicate(&s, SEEDS);
    assert_contains("feedback L", &runs, 1.0, 0.05, |r| {
        r.services["node"].mean_in_system
    });
    assert_contains("feedback W per customer", &runs, 2.0, 0.05, |r| {
        r.clients["arrivals"].latency.mean
    });
    assert_contains("feedback visit rate", &runs, 1.0, 0.02, |r| {
        r.services["node"].throughput
    });
}

/// Exact mean value analysis for N users with think time Z in front of one exponential server
/// with mean service S: the closed-loop oracle.
fn mva_throughput(users: u32, think: f64, service: f64) -> f64 {
    let mut queue = 0.0;
    let mut x = 0.0;
    for n in 1..=users {
        let response = service * (1.0 + queue);
        x = n as f64 / (think + response);
        queue = x * response;
    }
    x
}

#[test]
fn closed_loop_users_match_mean_value_analysis() {
    let s = scenario(
        r#"(
            duration: "20000s", warmup: "500s", time_series: (bucket: "1000s"),
            clients: { "users": Closed(users: 10, think_time: Exponential(mean: "5s"), target: "server") },
            services: { "server": (workers: 1, service_time: Exponential(mean: "500ms")) },
        )"#,
    );
    let runs = replicate(&s, SEEDS);
    let x = mva_throughput(10, 5.0, 0.5);
    assert_contains("closed-loop throughput", &runs, x, 0.02, |r| {
        r.clients["users"].throughput
    });
    // Response time law: R = N/X − Z.
    assert_contains(
        "closed-loop response time",
        &runs,
        10.0 / x - 5.0,
        0.05,
        |r| r.clients["users"].latency.mean,
    );
}
