//! A metric's mean over a candidate's replications with its Student-t confidence interval, and
//! how a report writes it.

use std::fmt;

/// A metric's mean over replications with its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The mean.
    pub mean: f64,
    /// Half the interval's width: it is `mean ± half_width` (infinite with one replication).
    pub half_width: f64,
    /// Replications.
    pub n: u32,
}

impl Estimate {
    /// The Student-t interval at `level` of the mean of `samples`.
    pub fn of(samples: &[f64], level: f64) -> Estimate {
        let n = samples.len();
        let mean = samples.iter().sum::<f64>() / n.max(1) as f64;
        let half_width = if n < 2 {
            f64::INFINITY
        } else {
            let var = samples.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
            crate::stats::t_quantile_at(n - 1, level) * (var / n as f64).sqrt()
        };
        Estimate {
            mean,
            half_width,
            n: n as u32,
        }
    }

    /// The interval's lower end.
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    /// The interval's upper end.
    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ± {}", num(self.mean), num(self.half_width))
    }
}

/// A number in a report: four significant digits, or scientific beyond.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{x:.3e}")
    } else {
        let decimals = if a == 0.0 {
            0
        } else {
            (3 - a.log10().floor() as i32).max(0) as usize
        };
        format!("{x:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_use_student_t() {
        // t(0.975, 4) = 2.776; sd of [1, 2, 3, 4, 5] is √2.5.
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95);
        assert_eq!(e.mean, 3.0);
        assert!((e.half_width - 2.776445 * (2.5f64).sqrt() / 5f64.sqrt()).abs() < 1e-5);
        assert!(Estimate::of(&[1.0], 0.95).half_width.is_infinite());
    }
}
