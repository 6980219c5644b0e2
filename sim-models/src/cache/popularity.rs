//! Key popularity under the independent reference model, and the closed forms that predict a
//! cache's hit ratio from it: a TTL cache's exactly (a renewal argument) and an LRU cache's by
//! Che's approximation. The tests of the simulated caches compare against these.

use super::spec::Popularity;

/// Each key's probability, key 0 (the most popular) first.
pub fn probabilities(popularity: Popularity, keys: u32) -> Vec<f64> {
    let weights: Vec<f64> = (1..=keys as u64)
        .map(|k| match popularity {
            Popularity::Uniform => 1.0,
            Popularity::Zipf(s) => (k as f64).powf(-s),
        })
        .collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|w| w / total).collect()
}

/// Draws keys by their popularity: a cumulative table searched by bisection, so a draw costs
/// `log2(keys)` comparisons and no allocation.
#[derive(Clone, Debug)]
pub(crate) struct KeySampler {
    cumulative: Vec<f64>,
}

impl KeySampler {
    pub(crate) fn new(popularity: Popularity, keys: u32) -> Self {
        let mut sum = 0.0;
        let mut cumulative: Vec<f64> = probabilities(popularity, keys)
            .into_iter()
            .map(|p| {
                sum += p;
                sum
            })
            .collect();
        if let Some(last) = cumulative.last_mut() {
            *last = f64::INFINITY; // rounding never leaves a draw past the last key
        }
        KeySampler { cumulative }
    }

    /// The key for a uniform draw `u` in `[0, 1)`.
    #[inline]
    pub(crate) fn key(&self, u: f64) -> u32 {
        self.cumulative.partition_point(|&c| c <= u) as u32
    }
}

/// The hit ratio of a TTL cache with room for every key, under Poisson requests at `rate` per
/// second spread by `probabilities`, filled at once on a miss, each entry fresh for `ttl`
/// seconds from its fill: key `k` is requested `λ_k·T` times on average while fresh after each
/// miss, so it hits `λ_k·T / (1 + λ_k·T)` of the time.
pub fn ttl_hit_ratio(probabilities: &[f64], rate: f64, ttl: f64) -> f64 {
    probabilities
        .iter()
        .map(|&p| {
            let x = p * rate * ttl;
            p * x / (1.0 + x)
        })
        .sum()
}

/// The hit ratio of an LRU cache holding `capacity` of the keys, by Che's approximation
/// (Che, Tung and Wang 2002; Fricker, Robert and Roberts 2012 on its accuracy): a key is in
/// the cache if it was requested within the characteristic time `t` that solves
/// `Σ (1 − e^(−p_k·t)) = capacity`, so it hits with probability `1 − e^(−p_k·t)`. The rate
/// cancels out: `t` is in requests.
pub fn lru_hit_ratio(probabilities: &[f64], capacity: u32) -> f64 {
    let c = capacity as f64;
    if c >= probabilities.len() as f64 {
        return 1.0;
    }
    let filled = |t: f64| -> f64 { probabilities.iter().map(|&p| 1.0 - (-p * t).exp()).sum() };
    let (mut lo, mut hi) = (0.0, 1.0);
    while filled(hi) < c {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if filled(mid) < c {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = 0.5 * (lo + hi);
    probabilities
        .iter()
        .map(|&p| p * (1.0 - (-p * t).exp()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_probabilities_fall_as_a_power_of_the_rank() {
        let p = probabilities(Popularity::Zipf(1.0), 4);
        let h = 1.0 + 0.5 + 1.0 / 3.0 + 0.25;
        assert!((p[0] - 1.0 / h).abs() < 1e-12);
        assert!((p[3] - 0.25 / h).abs() < 1e-12);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_sampler_draws_each_key_by_its_share() {
        let s = KeySampler::new(Popularity::Zipf(1.0), 4);
        let h = 1.0 + 0.5 + 1.0 / 3.0 + 0.25;
        assert_eq!(s.key(0.0), 0);
        assert_eq!(s.key(1.0 / h - 1e-9), 0);
        assert_eq!(s.key(1.0 / h + 1e-9), 1);
        assert_eq!(s.key(0.999_999_999), 3);
    }

    #[test]
    fn closed_forms_reach_their_limits() {
        let p = probabilities(Popularity::Uniform, 100);
        // Uniform keys in an LRU cache: the hit ratio is the share of keys held.
        assert!((lru_hit_ratio(&p, 25) - 0.25).abs() < 0.02);
        assert_eq!(lru_hit_ratio(&p, 100), 1.0);
        // One key at 1/s with a 1 s TTL: one miss then one hit on average.
        assert!((ttl_hit_ratio(&[1.0], 1.0, 1.0) - 0.5).abs() < 1e-12);
    }
}
