//! Contention in whole runs: with every worker kept busy by a closed loop, throughput follows
//! the model's formula — Brooker's linear model exactly, and the Universal Scalability Law up
//! to and past its peak at N* = √((1−σ)/κ).

mod common;
use sim_models::contention::ContentionSpec;

/// `n` users in a closed loop without think time, on one instance of `n` workers whose work
/// takes exactly `work`, under `contention`: the concurrency is always `n`.
fn throughput(n: u32, work: &str, contention: &str) -> f64 {
    let s = common::scenario(&format!(
        r#"(
  duration: "400s",
  warmup: "100s",
  clients: {{ "users": Closed(users: {n}, think_time: Deterministic(value: "0s"), target: "api") }},
  services: {{ "api": (workers: {n}, service_time: Deterministic(value: "{work}"),
                       contention: {contention}) }},
)"#
    ));
    common::run_checked(&s, 1).services["api"].throughput
}

#[test]
fn brookers_linear_model_serves_n_requests_in_one_second_plus_ten_ms_each() {
    for n in [1, 10, 50, 200] {
        let got = throughput(n, "1s", r#"Linear(per_request: "10ms")"#);
        let want = n as f64 / (1.0 + 0.01 * n as f64);
        assert!((got - want).abs() / want < 0.01, "N = {n}: {got} vs {want}");
    }
}

#[test]
fn usl_throughput_follows_gunthers_formula_and_peaks_at_its_n_star() {
    let (sigma, kappa) = (0.05, 0.002);
    let usl = ContentionSpec::Usl { sigma, kappa };
    let text = format!("Usl(sigma: {sigma}, kappa: {kappa})");
    let formula = |n: u32| {
        let n = n as f64;
        n / (0.1 * (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0)))
    };
    let mut measured = Vec::new();
    for n in [5, 15, 22, 30, 60] {
        let got = throughput(n, "100ms", &text);
        assert!(
            (got - formula(n)).abs() / formula(n) < 0.01,
            "N = {n}: {got} vs {}",
            formula(n)
        );
        measured.push((n, got));
    }
    let best = measured
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
        .0;
    // N* = 21.8: of the concurrencies tried (far enough apart that the run's edges cannot
    // reorder them), the one nearest it serves most.
    let peak = usl.peak().unwrap();
    assert!((peak - 21.79).abs() < 0.01);
    assert_eq!(best, 22, "{measured:?}");
    // Past the peak more concurrency buys less throughput: at 60 it is below that at 15.
    assert!(measured[4].1 < measured[1].1, "{measured:?}");
}

#[test]
fn retries_turn_a_spike_into_lasting_collapse_in_at_least_90_percent_of_seeds_and_a_budget_prevents_it(
) {
    let load = |name: &str| {
        sim_models::load_scenario(format!("scenarios/{name}.ron"), &[])
            .unwrap()
            .scenario
    };
    let (collapse, fixed) = (load("collapse-spike"), load("collapse-spike-fixed"));
    let answered = |r: &sim_models::RunResult, from: usize, to: usize| -> u64 {
        (from..to)
            .map(|i| r.world.statistics().clients[0].series.completed.get(i))
            .sum()
    };
    let mut collapsed = 0;
    for seed in 1..=20 {
        let r = sim_models::run(&collapse, seed).unwrap();
        common::assert_conserved(&r);
        // Healthy before the spike; nothing answered long after it ended.
        let before = answered(&r, 20, 60);
        if before > 1800 && answered(&r, 150, 300) == 0 {
            collapsed += 1;
        }
    }
    assert!(collapsed >= 18, "collapsed in {collapsed} of 20 seeds");
    for seed in 1..=20 {
        let r = sim_models::run(&fixed, seed).unwrap();
        common::assert_conserved(&r);
        let (sent, failed) = common::sent_and_failed(&r, 150, 300);
        assert_eq!(failed, 0, "seed {seed}");
        assert!(answered(&r, 150, 300) + 200 >= sent, "seed {seed}");
    }
}

/// M/G/1 with processor sharing at load ρ = 0.8 (80 requests/s, 10 ms of work on average),
/// service times drawn from `service_time`.
fn mg1_ps(service_time: &str) -> sim_models::Scenario {
    common::scenario(&format!(
        r#"(
  duration: "2100s",
  warmup: "100s",
  clients: {{ "users": Open(rate: 80, target: "cpu") }},
  services: {{ "cpu": (workers: 100000, service_time: {service_time},
                       contention: ProcessorSharing(cores: 1)) }},
)"#
    ))
}

#[test]
fn processor_sharing_gives_the_m_g_1_ps_mean_response_whatever_the_service_distribution() {
    // E[T] = E[x] / (1 − ρ) = 10 ms / 0.2 = 50 ms, for any distribution of x (insensitivity).
    for service_time in [
        r#"Exponential(mean: "10ms")"#,
        r#"Deterministic(value: "10ms")"#,
        r#"LogNormal(mean: "10ms", sd: "30ms")"#,
    ] {
        let reports = common::replicate(&mg1_ps(service_time), 30);
        common::assert_contains(
            &format!("M/G/1-PS mean response, {service_time}"),
            &reports,
            0.05,
            0.03,
            |r| r.services["cpu"].latency.mean,
        );
    }
}

#[test]
fn a_crash_ends_what_a_shared_processor_holds_and_it_serves_again_after_the_restart() {
    let s = common::scenario(
        r#"(
  duration: "60s",
  time_series: (bucket: "1s"),
  clients: { "users": Open(rate: 80, target: "cpu", timeout: "5s") },
  services: { "cpu": (workers: 1000, service_time: Exponential(mean: "10ms"),
                      contention: ProcessorSharing(cores: 1)) },
  faults: [Crash(service: "cpu", at: "20s", restart_after: "5s")],
)"#,
    );
    let r = sim_models::run(&s, 1).unwrap();
    common::assert_conserved(&r);
    assert!(r.report.services["cpu"].errors["crashed"] > 0);
    let served: u64 = (30..60)
        .map(|i| r.world.statistics().servers[0].series.completed.get(i))
        .sum();
    let sent: u64 = (30..60)
        .map(|i| r.world.statistics().clients[0].series.sent.get(i))
        .sum();
    assert!(served + 50 >= sent, "{served} of {sent}");
}
