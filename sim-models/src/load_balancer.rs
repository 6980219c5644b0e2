//! Choosing which instance of a service gets a request.
//!
//! The policies are the usual ones of client-side and proxy load balancers (Envoy, gRPC, Finagle):
//! round-robin, uniformly random, least outstanding requests, and the power of two choices
//! (Mitzenmacher 2001: two random instances, the less loaded one wins), which gets most of the
//! benefit of least-outstanding without looking at every instance. Only instances that are up are
//! candidates.

use crate::instance::Instance;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sim_core::SimRng;

/// How a service spreads requests over its instances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoadBalancer {
    /// Each up instance in turn.
    #[default]
    RoundRobin,
    /// An up instance chosen uniformly at random.
    Random,
    /// The up instance with the fewest requests present (queued or in service); ties go to the
    /// next one in round-robin order, so equal instances share evenly.
    LeastOutstanding,
    /// Two distinct up instances chosen at random; the one with fewer requests present wins
    /// (the first on a tie).
    PowerOfTwoChoices,
}

/// A load balancer's state: its policy, its round-robin position and its random stream.
#[derive(Clone, Debug)]
pub(crate) struct Balancer {
    policy: LoadBalancer,
    next: usize,
    rng: SimRng,
}

impl Balancer {
    pub(crate) fn new(policy: LoadBalancer, rng: SimRng) -> Self {
        Balancer {
            policy,
            next: 0,
            rng,
        }
    }

    /// The instance for the next request among `instances`, of which `up` are candidates:
    /// up, healthy and not ejected by outlier detection (or, in Envoy's `panic` mode, simply
    /// up). `None` when there is none.
    #[inline]
    pub(crate) fn pick(&mut self, instances: &[Instance], up: usize, panic: bool) -> Option<usize> {
        let candidate =
            |i: &Instance| i.up && i.in_rotation && (panic || (!i.ejected && i.healthy));
        let n = instances.len();
        if up == 0 {
            return None;
        }
        if n == 1 {
            return Some(0);
        }
        // The k-th up instance, counting from 0: direct when all are up (the usual case), a walk
        // only while some are down.
        let nth_up = |k: usize| {
            if up == n {
                return Some(k);
            }
            instances
                .iter()
                .enumerate()
                .filter(|(_, i)| candidate(i))
                .nth(k)
                .map(|(j, _)| j)
        };
        match self.policy {
            LoadBalancer::RoundRobin => {
                let start = self.next;
                let j = (0..n)
                    .map(|d| (start + d) % n)
                    .find(|&j| candidate(&instances[j]))?;
                self.next = (j + 1) % n;
                Some(j)
            }
            LoadBalancer::Random => nth_up(self.rng.random_range(0..up)),
            LoadBalancer::LeastOutstanding => {
                let start = self.next;
                let j = (0..n)
                    .map(|d| (start + d) % n)
                    .filter(|&j| candidate(&instances[j]))
                    .min_by_key(|&j| instances[j].outstanding())?;
                self.next = (j + 1) % n;
                Some(j)
            }
            LoadBalancer::PowerOfTwoChoices => {
                if up == 1 {
                    return nth_up(0);
                }
                let a = self.rng.random_range(0..up);
                let b = (a + 1 + self.rng.random_range(0..up - 1)) % up; // distinct from a
                let (a, b) = (nth_up(a)?, nth_up(b)?);
                Some(if instances[b].outstanding() < instances[a].outstanding() {
                    b
                } else {
                    a
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::RngFactory;

    fn instances(loads: &[u32], up: &[bool]) -> Vec<Instance> {
        loads
            .iter()
            .zip(up)
            .map(|(&busy, &up)| {
                let mut i = Instance::new(64, None, 1, Vec::new());
                i.busy = busy;
                i.up = up;
                i
            })
            .collect()
    }

    fn balancer(policy: LoadBalancer) -> Balancer {
        Balancer::new(policy, RngFactory::new(1).stream("lb"))
    }

    #[test]
    fn round_robin_takes_each_up_instance_in_turn() {
        let pool = instances(&[0, 0, 0, 0], &[true, false, true, true]);
        let mut b = balancer(LoadBalancer::RoundRobin);
        let picks: Vec<usize> = (0..6)
            .map(|_| {
                b.pick(&pool, pool.iter().filter(|i| i.up).count(), false)
                    .unwrap()
            })
            .collect();
        assert_eq!(picks, [0, 2, 3, 0, 2, 3]);
    }

    #[test]
    fn least_outstanding_takes_the_least_loaded_and_rotates_ties() {
        let pool = instances(&[3, 1, 1, 2], &[true; 4]);
        let mut b = balancer(LoadBalancer::LeastOutstanding);
        assert_eq!(
            b.pick(&pool, pool.iter().filter(|i| i.up).count(), false),
            Some(1)
        );
        assert_eq!(
            b.pick(&pool, pool.iter().filter(|i| i.up).count(), false),
            Some(2),
            "the tie goes to the next in turn"
        );
    }

    #[test]
    fn power_of_two_choices_never_picks_the_most_loaded_of_its_two() {
        let pool = instances(&[5, 0, 9, 2], &[true; 4]);
        let mut b = balancer(LoadBalancer::PowerOfTwoChoices);
        let mut seen = [0; 4];
        for _ in 0..10_000 {
            seen[b
                .pick(&pool, pool.iter().filter(|i| i.up).count(), false)
                .unwrap()] += 1;
        }
        assert_eq!(
            seen[2], 0,
            "the most loaded instance loses every comparison"
        );
        // Instance 1 (empty) wins whenever it is drawn: in 3 of the 6 pairs, so half the picks.
        assert!((seen[1] as f64 / 10_000.0 - 0.5).abs() < 0.02, "{seen:?}");
    }

    #[test]
    fn random_spreads_uniformly_over_up_instances() {
        let pool = instances(&[0, 0, 0], &[true, true, false]);
        let mut b = balancer(LoadBalancer::Random);
        let zeros = (0..10_000)
            .filter(|_| b.pick(&pool, pool.iter().filter(|i| i.up).count(), false) == Some(0))
            .count();
        assert!((zeros as f64 / 10_000.0 - 0.5).abs() < 0.02, "{zeros}");
    }

    #[test]
    fn no_instance_is_picked_when_all_are_down() {
        for policy in [
            LoadBalancer::RoundRobin,
            LoadBalancer::Random,
            LoadBalancer::LeastOutstanding,
            LoadBalancer::PowerOfTwoChoices,
        ] {
            assert_eq!(
                balancer(policy).pick(&instances(&[0, 0], &[false, false]), 0, false),
                None
            );
            assert_eq!(
                balancer(policy).pick(&instances(&[0], &[false]), 0, false),
                None
            );
        }
    }
}
