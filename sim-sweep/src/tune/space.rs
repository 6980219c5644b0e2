//! The space a search explores: parameters with their candidate values, a point as one value
//! index per parameter, the points of a grid in order, and random draws of distinct points.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;

/// A parameter to tune and its candidate values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parameter {
    /// Its name (e.g. a scenario path such as `clients.users.policies.0.max_attempts`).
    pub name: String,
    /// The values to try, as the caller will apply them.
    pub values: Vec<String>,
}

impl Parameter {
    /// Parameter `name` with candidate `values`.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        Parameter {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }
}

/// Point number `i` of the space, the first parameter varying slowest.
pub(super) fn unflatten(space: &[Parameter], mut i: u128) -> Vec<usize> {
    let mut point = vec![0; space.len()];
    for (k, p) in space.iter().enumerate().rev() {
        let n = p.values.len() as u128;
        point[k] = (i % n) as usize;
        i /= n;
    }
    point
}

/// `n` distinct points drawn uniformly (all of them if the space is no larger), in space order.
pub(super) fn sample(space: &[Parameter], size: u128, n: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    if size <= n as u128 {
        return (0..size).map(|i| unflatten(space, i)).collect();
    }
    if let Ok(len) = usize::try_from(size) {
        let mut picked = rand::seq::index::sample(&mut rng, len, n).into_vec();
        picked.sort_unstable();
        return picked
            .into_iter()
            .map(|i| unflatten(space, i as u128))
            .collect();
    }
    // A space too large to index: draw each parameter's value, skipping repeats.
    let mut seen = BTreeSet::new();
    while seen.len() < n {
        let point: Vec<usize> = space
            .iter()
            .map(|p| rand::Rng::random_range(&mut rng, 0..p.values.len()))
            .collect();
        seen.insert(point);
    }
    seen.into_iter().collect()
}

/// The point as `name=value` pairs, comma-separated, for messages.
pub(super) fn describe(space: &[Parameter], point: &[usize]) -> String {
    let parts: Vec<String> = space
        .iter()
        .zip(point)
        .map(|(p, &i)| format!("{}={}", p.name, p.values[i]))
        .collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(name: &str, n: usize) -> Parameter {
        Parameter::new(name, (0..n).map(|i| i.to_string()))
    }

    #[test]
    fn random_candidates_are_distinct_seeded_and_in_space_order() {
        let space = [axis("x", 30), axis("y", 30)];
        let a = sample(&space, 900, 64, 5);
        assert_eq!(a, sample(&space, 900, 64, 5));
        assert_ne!(a, sample(&space, 900, 64, 6));
        assert_eq!(a.len(), 64);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        // A space too large to index still gives distinct points.
        let huge: Vec<Parameter> = (0..30).map(|i| axis(&format!("p{i}"), 100)).collect();
        let b = sample(&huge, u128::MAX, 10, 1);
        assert_eq!(b.iter().collect::<BTreeSet<_>>().len(), 10);
    }
}
