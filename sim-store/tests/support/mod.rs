#![allow(dead_code)] // each test binary (and the benchmark) uses its own subset
//! Building and running a store the way `sim-models` does, for the crate's own tests.

use sim_core::{Distribution, RngFactory, RunLimits, SimDuration, SimTime, Simulation};
use sim_net::{NetEffect, Network, NetworkSpec, Place};
use sim_store::{StoreFault, StoreModel, StoreNetFault, StoreReport, StoreSpec};

/// Zones "a", "b", "c", … are 0, 1, 2, …
pub fn zone(name: &str) -> u16 {
    (name.as_bytes()[0] - b'a') as u16
}

pub fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

/// A partition between two sets of zones from `start` for `duration`.
pub fn partition(
    a: &[&str],
    b: &[&str],
    start: SimDuration,
    duration: SimDuration,
) -> StoreNetFault {
    StoreNetFault {
        start,
        end: Some(start + duration),
        effect: NetEffect::Partition,
        a: a.iter().map(|z| Place::Zone(zone(z))).collect(),
        b: b.iter().map(|z| Place::Zone(zone(z))).collect(),
        one_way: false,
    }
}

/// Runs `spec` for `duration` on a network of 1 ms one-way latency between five zones, and
/// measures it.
pub fn run(
    spec: &StoreSpec,
    seed: u64,
    duration: SimDuration,
    faults: Vec<StoreFault>,
    net_faults: Vec<StoreNetFault>,
) -> (StoreReport, StoreModel) {
    let mut model = simulate(spec, seed, duration, faults, net_faults);
    let end = SimTime::ZERO + duration;
    let report = model.measure(end, sim_history::linearizable::DEFAULT_STEP_BUDGET);
    (report, model)
}

fn finish(model: StoreModel, end: SimTime) -> StoreModel {
    let limits = RunLimits {
        end_time: end,
        ..RunLimits::default()
    };
    let mut sim = Simulation::new(model, limits);
    sim.run();
    sim.into_parts().0
}

/// Runs `spec` for `duration` on a network of 1 ms one-way latency between five zones.
pub fn simulate(
    spec: &StoreSpec,
    seed: u64,
    duration: SimDuration,
    faults: Vec<StoreFault>,
    net_faults: Vec<StoreNetFault>,
) -> StoreModel {
    let model = build(spec, seed, duration, faults, net_faults);
    finish(model, SimTime::ZERO + duration)
}

/// The store [`simulate`] runs, not started.
pub fn build(
    spec: &StoreSpec,
    seed: u64,
    duration: SimDuration,
    faults: Vec<StoreFault>,
    net_faults: Vec<StoreNetFault>,
) -> StoreModel {
    let net = NetworkSpec {
        latency: Some(Distribution::Deterministic { value: ms(1) }),
        ..NetworkSpec::default()
    };
    let network = Network::new(
        &net,
        &|z| Place::Zone(zone(z)),
        // Replicas, clients, and one caller of another model (`FIRST_CALLER_NODE`).
        3,
        5,
        !net_faults.is_empty(),
        RngFactory::new(seed).stream("store/kv/network"),
    );
    StoreModel::new(
        "kv", spec, seed, network, &zone, faults, net_faults, duration,
    )
}

/// Reads a store spec as scenarios are read (implicit `Some`).
pub fn spec(text: &str) -> StoreSpec {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .unwrap()
}

/// A random schedule of faults over `duration` for a store with replicas in zones "a".."c" and
/// `replicas` replicas: partitions between random sides (some holding, some one-way), pauses
/// and crashes with restarts, all over by three quarters of the run so that the store can
/// settle before it ends.
pub fn random_faults(
    rng: &mut rand_chacha::ChaCha8Rng,
    replicas: u32,
    duration: SimDuration,
) -> (Vec<StoreFault>, Vec<StoreNetFault>) {
    use rand::Rng;
    let last = duration.as_nanos() * 3 / 4;
    let window = |rng: &mut rand_chacha::ChaCha8Rng| {
        let start = rng.random_range(0..last / 2);
        let len = rng.random_range(last / 40..last / 4);
        (
            SimDuration::from_nanos(start),
            SimDuration::from_nanos(len.min(last - start)),
        )
    };
    let mut faults = Vec::new();
    let mut net = Vec::new();
    for _ in 0..rng.random_range(1..=3) {
        let zones = ["a", "b", "c"];
        let cut = rng.random_range(0..3);
        let (start, len) = window(rng);
        let mut p = partition(
            &[zones[cut]],
            &zones
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != cut)
                .map(|(_, z)| *z)
                .collect::<Vec<_>>(),
            start,
            len,
        );
        p.one_way = rng.random_range(0..4) == 0;
        if rng.random_range(0..3) == 0 {
            p.effect = NetEffect::Hold(SimTime::ZERO + start + len);
        }
        net.push(p);
    }
    for _ in 0..rng.random_range(0..=2) {
        let (start, len) = window(rng);
        faults.push(StoreFault::Pause {
            replica: Some(rng.random_range(0..replicas)),
            start,
            duration: len,
        });
    }
    for _ in 0..rng.random_range(0..=2) {
        let (start, len) = window(rng);
        faults.push(StoreFault::Crash {
            replica: Some(rng.random_range(0..replicas)),
            at: start,
            restart_after: Some(len),
        });
    }
    (faults, net)
}
