//! Instances and load balancing, against theory and against each other.

mod common;
use common::{assert_contains, replicate, scenario};

fn pool(policy: &str) -> String {
    format!(
        r#"(
            duration: "20000s", warmup: "1000s", time_series: (bucket: "1000s"),
            clients: {{ "users": Open(rate: 3.2, target: "pool") }},
            services: {{ "pool": (instances: 4, workers: 1, load_balancer: {policy},
                                  service_time: Exponential(mean: "1s")) }},
        )"#
    )
}

#[test]
fn random_balancing_of_poisson_arrivals_makes_each_instance_an_mm1() {
    // Random splitting of a Poisson stream is Poisson: each instance is M/M/1 at ρ = 0.8, Wq = 4.
    let runs = replicate(&scenario(&pool("Random")), 40);
    assert_contains("Wq under random balancing", &runs, 4.0, 0.06, |r| {
        r.services["pool"].wait.mean
    });
    for r in &runs {
        let s = &r.services["pool"];
        assert_eq!(s.instances.len(), 4);
        assert_eq!(
            s.instances.iter().map(|i| i.arrivals).sum::<u64>(),
            s.arrivals
        );
    }
}

#[test]
fn smarter_balancers_wait_less_in_the_textbook_order() {
    // Join-the-shortest-queue ≤ power of two choices < round-robin < random, at ρ = 0.8.
    let mean_wait = |policy: &str| {
        let runs = replicate(&scenario(&pool(policy)), 10);
        runs.iter()
            .map(|r| r.services["pool"].wait.mean)
            .sum::<f64>()
            / runs.len() as f64
    };
    let (random, rr, p2c, lo) = (
        mean_wait("Random"),
        mean_wait("RoundRobin"),
        mean_wait("PowerOfTwoChoices"),
        mean_wait("LeastOutstanding"),
    );
    assert!(
        lo <= p2c && p2c < rr && rr < random,
        "LO {lo}, P2C {p2c}, RR {rr}, random {random}"
    );
    // Two choices already capture most of the gain (Mitzenmacher): far closer to LO than to random.
    assert!(
        p2c - lo < (random - lo) / 4.0,
        "LO {lo}, P2C {p2c}, random {random}"
    );
}

#[test]
fn round_robin_shares_arrivals_exactly_evenly() {
    let r = &replicate(&scenario(&pool("RoundRobin")), 1)[0];
    let counts: Vec<u64> = r.services["pool"]
        .instances
        .iter()
        .map(|i| i.arrivals)
        .collect();
    let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(max - min <= 1, "{counts:?}");
}

#[test]
fn utilisation_counts_every_instance_worker() {
    let r = &replicate(&scenario(&pool("LeastOutstanding")), 1)[0];
    let s = &r.services["pool"];
    assert!((s.utilization - 0.8).abs() < 0.03, "{}", s.utilization);
    let mean_of_instances = s.instances.iter().map(|i| i.utilization).sum::<f64>() / 4.0;
    assert!((mean_of_instances - s.utilization).abs() < 1e-9);
}
