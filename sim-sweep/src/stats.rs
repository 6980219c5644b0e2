//! Means, 95% Student-t intervals and paired differences over replications.
//!
//! Replications of a point are independent (distinct seeds), so the mean's interval is
//! `mean ± t(0.975, n−1) · s/√n` with `s` the sample standard deviation (statrs' `StudentsT`).
//! Replication `i` of every point uses the same seed (common random numbers), so two points are
//! best compared through the differences `x_point,i − x_base,i`, whose interval is usually much
//! narrower than either mean's: the noise both runs share cancels.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The confidence level of every interval.
pub const LEVEL: f64 = 0.95;

/// A sample's mean with its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// Number of values.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (divisor `n − 1`); `None` with fewer than two values.
    pub stddev: Option<f64>,
    /// Lower end of the 95% Student-t interval; `None` with fewer than two values.
    pub ci_low: Option<f64>,
    /// Upper end.
    pub ci_high: Option<f64>,
}

/// The mean of `xs` and its 95% interval; `None` for no values. Sums run in the order given,
/// so equal inputs give bit-identical results.
pub fn estimate(xs: &[f64]) -> Option<Estimate> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Some(Estimate {
            n,
            mean,
            stddev: None,
            ci_low: None,
            ci_high: None,
        });
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    let half = t_quantile(n - 1) * sd / (n as f64).sqrt();
    Some(Estimate {
        n,
        mean,
        stddev: Some(sd),
        ci_low: Some(mean - half),
        ci_high: Some(mean + half),
    })
}

/// `t(0.975, df)`: the two-sided 95% quantile of Student's t.
pub fn t_quantile(df: usize) -> f64 {
    t_quantile_at(df, LEVEL)
}

/// The two-sided quantile of Student's t with `df` degrees of freedom for a `level` interval
/// (`0.95` → `t(0.975, df)`); NaN without degrees of freedom.
pub fn t_quantile_at(df: usize, level: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .map(|t| t.inverse_cdf(0.5 + level / 2.0))
        .unwrap_or(f64::NAN)
}

/// The paired differences `xs[i] − base[i]` over the replications both have (`None` marks a
/// replication without the metric), with their mean and 95% interval.
pub fn paired(xs: &[Option<f64>], base: &[Option<f64>]) -> Option<Estimate> {
    let diffs: Vec<f64> = xs
        .iter()
        .zip(base)
        .filter_map(|(x, b)| Some((*x)? - (*b)?))
        .collect();
    estimate(&diffs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_interval_matches_the_t_table() {
        // t(0.975, 4) = 2.776445; sd of 1..=5 is √2.5.
        let e = estimate(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(e.mean, 3.0);
        let half = 2.776_445_105 * 2.5f64.sqrt() / 5f64.sqrt();
        assert!((e.ci_high.unwrap() - 3.0 - half).abs() < 1e-8);
        assert!((3.0 - e.ci_low.unwrap() - half).abs() < 1e-8);
    }

    #[test]
    fn ninety_five_percent_intervals_cover_the_mean_95_percent_of_the_time() {
        // 4000 samples of 5 normal draws (Box–Muller) around a known mean: the interval should
        // contain it in 95% of them (binomial sd 0.34%). Seeded, so never flaky.
        let mut rng = ChaCha8Rng::seed_from_u64(2024);
        let (mu, sigma, trials) = (10.0, 3.0, 4000);
        let mut normal = move || {
            let u1: f64 = 1.0 - rng.random::<f64>();
            let u2: f64 = rng.random();
            mu + sigma * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        };
        let covered = (0..trials)
            .filter(|_| {
                let xs: Vec<f64> = (0..5).map(|_| normal()).collect();
                let e = estimate(&xs).unwrap();
                e.ci_low.unwrap() <= mu && mu <= e.ci_high.unwrap()
            })
            .count();
        let coverage = covered as f64 / trials as f64;
        assert!((0.93..=0.97).contains(&coverage), "coverage {coverage}");
    }

    #[test]
    fn paired_differences_are_exact_on_a_constructed_example() {
        // Differences 2, 3, 4: mean 3, sd 1, half-width t(0.975, 2)/√3 = 4.302653/√3.
        let x = [Some(3.0), Some(5.0), Some(7.0)];
        let base = [Some(1.0), Some(2.0), Some(3.0)];
        let d = paired(&x, &base).unwrap();
        assert_eq!((d.n, d.mean, d.stddev), (3, 3.0, Some(1.0)));
        let half = t_quantile(2) / 3f64.sqrt();
        assert!((t_quantile(2) - 4.302_652_73).abs() < 1e-7);
        assert_eq!(d.ci_low, Some(3.0 - half));
        assert_eq!(d.ci_high, Some(3.0 + half));
        // Against itself: exactly zero, with a zero-width interval.
        let z = paired(&x, &x).unwrap();
        assert_eq!((z.mean, z.ci_low, z.ci_high), (0.0, Some(0.0), Some(0.0)));
    }

    #[test]
    fn replications_missing_a_metric_leave_the_pair_out() {
        let d = paired(&[Some(2.0), None, Some(4.0)], &[Some(1.0), Some(1.0), None]).unwrap();
        assert_eq!((d.n, d.mean), (1, 1.0));
        assert_eq!(d.ci_low, None);
        assert!(estimate(&[]).is_none());
    }
}
