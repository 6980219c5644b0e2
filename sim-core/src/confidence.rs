//! Confidence intervals over independent replications (Student t, via statrs).

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mean and half-width of a two-sided confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Sample mean.
    pub mean: f64,
    /// Half the width of the interval: it is `mean ± half_width`.
    pub half_width: f64,
    /// Number of replications.
    pub n: usize,
}

impl Interval {
    /// Whether `x` lies inside the interval.
    pub fn contains(&self, x: f64) -> bool {
        (x - self.mean).abs() <= self.half_width
    }
    /// Lower end.
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }
    /// Upper end.
    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }
}

/// The Student-t interval at `level` (e.g. 0.99) for the mean of independent samples.
/// With fewer than two samples the half-width is infinite: nothing is known about the spread.
///
/// ```
/// let ci = sim_core::student_t_interval(&[9.8, 10.1, 10.0, 9.9, 10.2], 0.95);
/// assert!(ci.contains(10.0));
/// assert!((ci.mean - 10.0).abs() < 1e-12);
/// ```
pub fn student_t_interval(samples: &[f64], level: f64) -> Interval {
    let n = samples.len();
    let mean = samples.iter().sum::<f64>() / n.max(1) as f64;
    if n < 2 {
        return Interval {
            mean,
            half_width: f64::INFINITY,
            n,
        };
    }
    let var = samples.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .expect("n ≥ 2 gives positive degrees of freedom")
        .inverse_cdf(0.5 + level / 2.0);
    Interval {
        mean,
        half_width: t * (var / n as f64).sqrt(),
        n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantile_matches_tables() {
        // t(0.975, 9) = 2.262; with sd = 1 and n = 10 the half-width is 2.262/√10.
        let xs: Vec<f64> = (0..10)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let ci = student_t_interval(&xs, 0.95);
        let sd = (10.0f64 / 9.0).sqrt();
        assert!((ci.half_width - 2.262157 * sd / 10f64.sqrt()).abs() < 1e-5);
    }

    #[test]
    fn one_sample_gives_an_unbounded_interval() {
        assert!(student_t_interval(&[3.0], 0.99).half_width.is_infinite());
    }
}
