//! Retries multiply load with depth; a retry budget bounds it.
//!
//! Three layers (users → edge → api → db), each retrying up to 3 attempts, over a db that fails
//! a fraction `f` of requests. An api call fails only if all its db attempts fail (`f³`), an
//! edge call only if all its api attempts fail, and so on, so db attempts per user request are
//! `(1 + q₀ + q₀²)(1 + q₁ + q₁²)(1 + q₂ + q₂²)` with `q₀ = f`, `qₖ₊₁ = qₖ³`: the product of the
//! layers' amplifications.

use sim_experiment::{ensure, Experiment, FaultGen};

/// Expected db attempts per user request with 3 attempts per layer over 3 layers.
fn product_of_layers(f: f64) -> f64 {
    let mut q = f;
    let mut product = 1.0;
    for _ in 0..3 {
        product *= 1.0 + q + q * q;
        q = q * q * q;
    }
    product
}

#[test]
fn retries_without_a_budget_amplify_db_load_by_the_product_of_the_layers() {
    Experiment::load("scenarios/retry-amplification.ron")
        .unwrap()
        .vary("faults.0.fraction=0.1..0.9:0.1")
        .set("duration=\"20s\"")
        .seeds(48)
        .check(|run| {
            let f = fault_fraction(run);
            let expected = product_of_layers(f);
            let measured = run.metric("amplification")?;
            ensure!(
                (measured / expected - 1.0).abs() < 0.05,
                "fraction {f}: amplification {measured:.3}, the layers' product is {expected:.3}"
            );
            Ok(())
        });
}

#[test]
fn a_ten_percent_retry_budget_at_every_layer_keeps_db_load_within_1_1_cubed_for_any_failure_fraction(
) {
    Experiment::load("scenarios/retry-amplification-budget.ron")
        .unwrap()
        .set("clients.users.policies.1=RetryBudget(Sre(ratio: 0.1))")
        .set("services.edge.steps.1.policies.1=RetryBudget(Sre(ratio: 0.1))")
        .set("duration=\"20s\"")
        .vary("faults.0.fraction=0.1..1.0:0.1")
        .fault(
            FaultGen::crash("db")
                .starting("1s", "15s")
                .lasting("10ms", "5s"),
        )
        .seeds(48)
        .check(|run| {
            // Each caller instance checks retries / requests < 10% before a retry, so it may
            // end one retry over, and requests in flight at the end count as sent: 0.01 over
            // 1.1³ covers both at 2,000 requests.
            let measured = run.metric("amplification")?;
            ensure!(
                measured <= 1.1f64.powi(3) + 0.01,
                "amplification {measured:.3} > 1.1³"
            );
            Ok(())
        });
}

/// Budgets of three kinds (gRPC throttling, the AWS SDK quota, the SRE ratio) never add load,
/// but they do not all bound it: the AWS quota refunds a retry that succeeds and charges only
/// for failed ones, so at 40% failure it never runs dry and the edge retries as if it had no
/// budget (amplification ≈ 1.66, the same as without budgets). The bundled scenario's ≈ 1.2×
/// holds when everything fails.
#[test]
fn mixed_retry_budgets_never_add_load_and_bound_it_when_everything_fails() {
    Experiment::load("scenarios/retry-amplification-budget.ron")
        .unwrap()
        .set("duration=\"20s\"")
        .vary("faults.0.fraction=0.1..1.0:0.1")
        .seeds(48)
        .check(|run| {
            let f = fault_fraction(run);
            let measured = run.metric("amplification")?;
            let unbudgeted = product_of_layers(f);
            ensure!(
                measured <= unbudgeted * 1.05,
                "fraction {f}: amplification {measured:.3}, more than {unbudgeted:.3} without budgets"
            );
            if f == 1.0 {
                ensure!(measured <= 1.5, "everything fails: amplification {measured:.3} > 1.5");
            }
            Ok(())
        });
}

/// The failing fraction of the scenario's one error injection.
fn fault_fraction(run: &sim_experiment::Run<'_>) -> f64 {
    match &run.scenario.faults[0] {
        sim_models::FaultSpec::ErrorInjection { fraction, .. } => *fraction,
        other => panic!("the scenario's first fault is {other:?}, not an error injection"),
    }
}

#[test]
fn the_layers_product_is_27_when_everything_fails_and_1_when_nothing_does() {
    assert!((product_of_layers(1.0) - 27.0).abs() < 1e-12);
    assert!((product_of_layers(0.0) - 1.0).abs() < 1e-12);
}
