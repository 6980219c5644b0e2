//! Probability distributions of durations: service times, think times, interarrival times.
//!
//! [`Distribution`] is the plain data a scenario file holds; [`Distribution::sampler`] validates it
//! and precomputes its parameters into a [`Sampler`], the fast form drawn from on every event.
//! Transcendental functions come from `libm`, a pure-Rust implementation, so a seed gives the same
//! draws on every platform instead of depending on the system's maths library.

use crate::rng::{open01, SimRng};
use crate::time::SimDuration;
use crate::ziggurat::standard_exponential;
use serde::{Deserialize, Serialize};

/// A distribution of non-negative durations, as written in a scenario.
///
/// ```
/// use sim_core::{Distribution, RngFactory, SimDuration};
/// let d: Distribution = Distribution::Exponential { mean: SimDuration::from_millis(10) };
/// let s = d.sampler().unwrap();
/// let mut rng = RngFactory::new(7).stream("example");
/// let n = 100_000;
/// let total: u64 = (0..n).map(|_| s.sample(&mut rng).as_nanos()).sum();
/// let mean_ms = total as f64 / n as f64 / 1e6;
/// assert!((mean_ms - 10.0).abs() < 0.2);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // each variant's doc describes its fields
pub enum Distribution {
    /// Exponential with the given mean (memoryless; rate = 1/mean).
    Exponential { mean: SimDuration },
    /// Always exactly `value`.
    Deterministic { value: SimDuration },
    /// Uniform on `[min, max]`.
    Uniform { min: SimDuration, max: SimDuration },
    /// Normal with mean and standard deviation, truncated at zero by redrawing negative values
    /// (so the realised mean is above `mean` when `sd` is large relative to it).
    Normal { mean: SimDuration, sd: SimDuration },
    /// Lognormal given by the mean and standard deviation of the duration itself.
    LogNormal { mean: SimDuration, sd: SimDuration },
    /// Lognormal given by its median and 99th percentile, as latencies are usually described.
    LogNormalQuantiles {
        median: SimDuration,
        p99: SimDuration,
    },
    /// Gamma with a shape parameter and the mean (scale = mean / shape).
    Gamma { shape: f64, mean: SimDuration },
    /// Erlang-k: the sum of `k` exponential phases, with the given overall mean.
    Erlang { k: u32, mean: SimDuration },
    /// Hyperexponential: exponential with mean `means[i]` chosen with probability `probs[i]`.
    HyperExponential {
        probs: Vec<f64>,
        means: Vec<SimDuration>,
    },
    /// A mixture (e.g. bimodal): component `i` chosen with probability proportional to
    /// `weights[i]`.
    Mixture {
        weights: Vec<f64>,
        components: Vec<Distribution>,
    },
    /// Pareto (type I) with minimum `scale` and tail index `shape` (mean is finite for shape > 1).
    Pareto { scale: SimDuration, shape: f64 },
    /// Each listed value equally likely (an empirical distribution from measurements).
    Empirical { values: Vec<SimDuration> },
}

/// Why a distribution's parameters are unusable. `field` is the parameter, relative to the
/// distribution.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DistributionError {
    /// The offending parameter, e.g. `sd` or `components.1.mean`.
    pub field: String,
    /// What is wrong and what is expected.
    pub message: String,
}

fn bad(field: &str, message: impl Into<String>) -> DistributionError {
    DistributionError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// The precomputed, validated form of a [`Distribution`], in nanoseconds.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // each variant's doc describes its fields
pub enum Sampler {
    /// Exponential with this mean (ns).
    Exponential { mean: f64 },
    /// A constant (ns).
    Deterministic { value: u64 },
    /// Uniform on `[min, min + width]` (ns).
    Uniform { min: f64, width: f64 },
    /// Normal truncated at zero (ns).
    Normal { mean: f64, sd: f64 },
    /// `exp(mu + sigma·Z)` nanoseconds.
    LogNormal { mu: f64, sigma: f64 },
    /// Gamma(shape, scale) in ns.
    Gamma { shape: f64, scale: f64 },
    /// Erlang-k with this phase mean (ns).
    Erlang { k: u32, phase_mean: f64 },
    /// Cumulative probabilities and the component samplers.
    Mixture {
        cumulative: Vec<f64>,
        parts: Vec<Sampler>,
    },
    /// Pareto with minimum `scale` (ns) and `1/shape` precomputed.
    Pareto { scale: f64, inv_shape: f64 },
    /// Listed values (ns).
    Empirical { values: Vec<u64> },
}

/// Up to this many phases an Erlang draw sums its phases; beyond, it draws the equivalent Gamma,
/// so a huge `k` costs no more than a small one.
const ERLANG_PHASES_SUMMED: u32 = 32;

/// z such that P(Z < z) = 0.99 for a standard normal.
const Z99: f64 = 2.326_347_874_040_841;

impl Distribution {
    /// Checks the parameters and precomputes the sampler.
    pub fn sampler(&self) -> Result<Sampler, DistributionError> {
        let ns = |d: &SimDuration| d.as_nanos() as f64;
        Ok(match self {
            Distribution::Exponential { mean } => {
                if mean.as_nanos() == 0 {
                    return Err(bad("mean", "must be greater than zero"));
                }
                Sampler::Exponential { mean: ns(mean) }
            }
            Distribution::Deterministic { value } => Sampler::Deterministic {
                value: value.as_nanos(),
            },
            Distribution::Uniform { min, max } => {
                if max < min {
                    return Err(bad(
                        "max",
                        format!("must be at least min ({min}), got {max}"),
                    ));
                }
                Sampler::Uniform {
                    min: ns(min),
                    width: ns(max) - ns(min),
                }
            }
            Distribution::Normal { mean, sd } => {
                if mean.as_nanos() == 0 {
                    return Err(bad(
                        "mean",
                        "must be greater than zero (the normal is truncated at 0)",
                    ));
                }
                if ns(sd) > 3.0 * ns(mean) {
                    return Err(bad(
                        "sd",
                        format!("{sd} is more than 3 × the mean {mean}: truncation at 0 would distort it; use LogNormal or Gamma"),
                    ));
                }
                Sampler::Normal {
                    mean: ns(mean),
                    sd: ns(sd),
                }
            }
            Distribution::LogNormal { mean, sd } => {
                if mean.as_nanos() == 0 {
                    return Err(bad("mean", "must be greater than zero"));
                }
                let (m, s) = (ns(mean), ns(sd));
                let sigma2 = libm::log1p((s / m) * (s / m));
                Sampler::LogNormal {
                    mu: libm::log(m) - sigma2 / 2.0,
                    sigma: libm::sqrt(sigma2),
                }
            }
            Distribution::LogNormalQuantiles { median, p99 } => {
                if median.as_nanos() == 0 {
                    return Err(bad("median", "must be greater than zero"));
                }
                if p99 < median {
                    return Err(bad(
                        "p99",
                        format!("must be at least the median ({median}), got {p99}"),
                    ));
                }
                Sampler::LogNormal {
                    mu: libm::log(ns(median)),
                    sigma: libm::log(ns(p99) / ns(median)) / Z99,
                }
            }
            Distribution::Gamma { shape, mean } => {
                if !(shape.is_finite() && *shape > 0.0) {
                    return Err(bad(
                        "shape",
                        format!("must be a positive number, got {shape}"),
                    ));
                }
                if mean.as_nanos() == 0 {
                    return Err(bad("mean", "must be greater than zero"));
                }
                Sampler::Gamma {
                    shape: *shape,
                    scale: ns(mean) / shape,
                }
            }
            Distribution::Erlang { k, mean } => {
                if *k == 0 {
                    return Err(bad("k", "must be at least 1"));
                }
                if mean.as_nanos() == 0 {
                    return Err(bad("mean", "must be greater than zero"));
                }
                if *k > ERLANG_PHASES_SUMMED {
                    // Erlang-k is Gamma(k): one draw instead of k, however large k is.
                    Sampler::Gamma {
                        shape: *k as f64,
                        scale: ns(mean) / *k as f64,
                    }
                } else {
                    Sampler::Erlang {
                        k: *k,
                        phase_mean: ns(mean) / *k as f64,
                    }
                }
            }
            Distribution::HyperExponential { probs, means } => {
                if probs.len() != means.len() || probs.is_empty() {
                    return Err(bad(
                        "probs",
                        format!(
                            "needs one probability per mean ({} probabilities, {} means)",
                            probs.len(),
                            means.len()
                        ),
                    ));
                }
                let sum: f64 = probs.iter().sum();
                if (sum - 1.0).abs() > 1e-9 {
                    return Err(bad("probs", format!("must sum to 1, got {sum}")));
                }
                let parts = means
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        if m.as_nanos() == 0 {
                            Err(bad(&format!("means.{i}"), "must be greater than zero"))
                        } else {
                            Ok(Sampler::Exponential { mean: ns(m) })
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Sampler::Mixture {
                    cumulative: cumulative(probs, "probs")?,
                    parts,
                }
            }
            Distribution::Mixture {
                weights,
                components,
            } => {
                if weights.len() != components.len() || weights.is_empty() {
                    return Err(bad(
                        "weights",
                        format!(
                            "needs one weight per component ({} weights, {} components)",
                            weights.len(),
                            components.len()
                        ),
                    ));
                }
                let parts = components
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        c.sampler().map_err(|e| DistributionError {
                            field: format!("components.{i}.{}", e.field),
                            message: e.message,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Sampler::Mixture {
                    cumulative: cumulative(weights, "weights")?,
                    parts,
                }
            }
            Distribution::Pareto { scale, shape } => {
                if scale.as_nanos() == 0 {
                    return Err(bad("scale", "must be greater than zero"));
                }
                if !(shape.is_finite() && *shape > 0.0) {
                    return Err(bad(
                        "shape",
                        format!("must be a positive number, got {shape}"),
                    ));
                }
                Sampler::Pareto {
                    scale: ns(scale),
                    inv_shape: 1.0 / shape,
                }
            }
            Distribution::Empirical { values } => {
                if values.is_empty() {
                    return Err(bad("values", "needs at least one value"));
                }
                Sampler::Empirical {
                    values: values.iter().map(|v| v.as_nanos()).collect(),
                }
            }
        })
    }

    /// The mean of the distribution in seconds, where it is finite (Pareto with shape ≤ 1 is not).
    /// Used for load estimates and warnings, not for sampling.
    pub fn mean_secs(&self) -> Option<f64> {
        let s = |d: &SimDuration| d.as_secs_f64();
        Some(match self {
            Distribution::Exponential { mean }
            | Distribution::Normal { mean, .. }
            | Distribution::LogNormal { mean, .. }
            | Distribution::Gamma { mean, .. }
            | Distribution::Erlang { mean, .. } => s(mean),
            Distribution::Deterministic { value } => s(value),
            Distribution::Uniform { min, max } => (s(min) + s(max)) / 2.0,
            Distribution::LogNormalQuantiles { median, p99 } => {
                let sigma = (s(p99) / s(median)).ln() / Z99;
                s(median) * (sigma * sigma / 2.0).exp()
            }
            Distribution::HyperExponential { probs, means } => {
                probs.iter().zip(means).map(|(p, m)| p * s(m)).sum()
            }
            Distribution::Mixture {
                weights,
                components,
            } => {
                let total: f64 = weights.iter().sum();
                let mut acc = 0.0;
                for (w, c) in weights.iter().zip(components) {
                    acc += w / total * c.mean_secs()?;
                }
                acc
            }
            Distribution::Pareto { scale, shape } => {
                if *shape <= 1.0 {
                    return None;
                }
                shape * s(scale) / (shape - 1.0)
            }
            Distribution::Empirical { values } => {
                values.iter().map(s).sum::<f64>() / values.len() as f64
            }
        })
    }
}

fn cumulative(weights: &[f64], field: &str) -> Result<Vec<f64>, DistributionError> {
    if let Some((i, w)) = weights
        .iter()
        .enumerate()
        .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
    {
        return Err(bad(
            &format!("{field}.{i}"),
            format!("must be a non-negative number, got {w}"),
        ));
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err(bad(field, "must not all be zero"));
    }
    let mut acc = 0.0;
    let mut cum: Vec<f64> = weights
        .iter()
        .map(|w| {
            acc += w / total;
            acc
        })
        .collect();
    *cum.last_mut().expect("non-empty") = 1.0; // guard against rounding leaving a gap at the top
    Ok(cum)
}

#[inline]
fn standard_normal(rng: &mut SimRng) -> f64 {
    // Box–Muller; one of the pair is discarded so that a draw never depends on a previous call.
    let u1 = open01(rng);
    let u2 = open01(rng);
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
}

/// Marsaglia & Tsang (2000), with the `U^(1/shape)` boost for shape < 1.
fn gamma_unit_scale(shape: f64, rng: &mut SimRng) -> f64 {
    if shape < 1.0 {
        let boost = libm::pow(open01(rng), 1.0 / shape);
        return gamma_unit_scale(shape + 1.0, rng) * boost;
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / libm::sqrt(9.0 * d);
    loop {
        let x = standard_normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = open01(rng);
        if libm::log(u) < 0.5 * x * x + d - d * v + d * libm::log(v) {
            return d * v;
        }
    }
}

impl Sampler {
    /// Draws one duration.
    #[inline(always)]
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        // The two most common forms are inlined at every call site; the rest are not.
        match self {
            Sampler::Exponential { mean } => {
                SimDuration::from_nanos_f64(mean * standard_exponential(rng))
            }
            Sampler::Deterministic { value } => SimDuration(*value),
            _ => self.sample_other(rng),
        }
    }

    #[inline(never)]
    fn sample_other(&self, rng: &mut SimRng) -> SimDuration {
        SimDuration::from_nanos_f64(match self {
            Sampler::Exponential { mean } => mean * standard_exponential(rng),
            Sampler::Deterministic { value } => return SimDuration(*value),
            Sampler::Uniform { min, width } => min + width * open01(rng),
            Sampler::Normal { mean, sd } => loop {
                // Validation keeps sd ≤ 3·mean, so a redraw is needed less than 34% of the time.
                let x = mean + sd * standard_normal(rng);
                if x >= 0.0 {
                    break x;
                }
            },
            Sampler::LogNormal { mu, sigma } => libm::exp(mu + sigma * standard_normal(rng)),
            Sampler::Gamma { shape, scale } => scale * gamma_unit_scale(*shape, rng),
            Sampler::Erlang { k, phase_mean } => {
                // Sum of k exponentials as -mean·ln(∏u): one logarithm instead of k.
                let mut prod = 1.0;
                let mut total = 0.0;
                for _ in 0..*k {
                    prod *= open01(rng);
                    if prod < 1e-300 {
                        total += -libm::log(prod);
                        prod = 1.0;
                    }
                }
                phase_mean * (total - libm::log(prod))
            }
            Sampler::Mixture { cumulative, parts } => {
                let u = open01(rng);
                let i = cumulative.partition_point(|&c| c < u).min(parts.len() - 1);
                return parts[i].sample(rng);
            }
            Sampler::Pareto { scale, inv_shape } => scale * libm::pow(open01(rng), -inv_shape),
            Sampler::Empirical { values } => {
                let i = (open01(rng) * values.len() as f64) as usize;
                return SimDuration(values[i.min(values.len() - 1)]);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngFactory;

    fn moments(d: &Distribution, n: usize) -> (f64, f64) {
        let s = d.sampler().unwrap();
        let mut rng = RngFactory::new(11).stream("moments");
        let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng).as_secs_f64()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        (mean, var)
    }

    fn secs(x: f64) -> SimDuration {
        SimDuration::from_secs_f64(x)
    }

    #[test]
    fn each_distribution_has_its_textbook_mean_and_variance() {
        // (distribution, mean, variance) in seconds.
        let cases = vec![
            (Distribution::Exponential { mean: secs(2.0) }, 2.0, 4.0),
            (Distribution::Deterministic { value: secs(1.5) }, 1.5, 0.0),
            (
                Distribution::Uniform {
                    min: secs(0.0),
                    max: secs(2.0),
                },
                1.0,
                1.0 / 3.0,
            ),
            (
                Distribution::Normal {
                    mean: secs(10.0),
                    sd: secs(1.0),
                },
                10.0,
                1.0,
            ),
            (
                Distribution::LogNormal {
                    mean: secs(1.0),
                    sd: secs(0.5),
                },
                1.0,
                0.25,
            ),
            (
                Distribution::Gamma {
                    shape: 2.5,
                    mean: secs(1.0),
                },
                1.0,
                0.4,
            ),
            (
                Distribution::Gamma {
                    shape: 0.5,
                    mean: secs(1.0),
                },
                1.0,
                2.0,
            ),
            (
                Distribution::Erlang {
                    k: 2,
                    mean: secs(1.0),
                },
                1.0,
                0.5,
            ),
            // Beyond 32 phases the sampler draws the equivalent Gamma: variance mean²/k.
            (
                Distribution::Erlang {
                    k: 400,
                    mean: secs(1.0),
                },
                1.0,
                1.0 / 400.0,
            ),
            (
                Distribution::HyperExponential {
                    probs: vec![0.9, 0.1],
                    means: vec![secs(0.5), secs(5.5)],
                },
                1.0,
                // E[S²] = Σ p·2m², minus mean²
                0.9 * 2.0 * 0.25 + 0.1 * 2.0 * 30.25 - 1.0,
            ),
            (
                Distribution::Pareto {
                    scale: secs(1.0),
                    shape: 5.0,
                },
                1.25,
                5.0 / (16.0 * 3.0),
            ),
            (
                Distribution::Empirical {
                    values: vec![secs(1.0), secs(2.0), secs(3.0)],
                },
                2.0,
                2.0 / 3.0,
            ),
        ];
        for (d, mean, var) in cases {
            let (m, v) = moments(&d, 400_000);
            assert!(
                (m - mean).abs() < 0.01 * mean.max(0.1),
                "{d:?}: mean {m} vs {mean}"
            );
            assert!(
                (v - var).abs() < 0.03 * var.max(0.01) + 1e-9,
                "{d:?}: variance {v} vs {var}"
            );
            assert_eq!(
                d.mean_secs().map(|x| (x * 1e6).round()),
                Some((mean * 1e6_f64).round()),
                "{d:?}"
            );
        }
    }

    #[test]
    fn a_huge_erlang_k_costs_one_draw_not_k() {
        let s = Distribution::Erlang {
            k: u32::MAX,
            mean: secs(1.0),
        }
        .sampler()
        .unwrap();
        let mut rng = RngFactory::new(1).stream("k");
        let x = s.sample(&mut rng).as_secs_f64();
        assert!((x - 1.0).abs() < 1e-3, "{x}");
    }

    #[test]
    fn lognormal_by_quantiles_hits_its_median_and_p99() {
        let d = Distribution::LogNormalQuantiles {
            median: secs(0.1),
            p99: secs(1.0),
        };
        let s = d.sampler().unwrap();
        let mut rng = RngFactory::new(3).stream("q");
        let mut xs: Vec<u64> = (0..200_000)
            .map(|_| s.sample(&mut rng).as_nanos())
            .collect();
        xs.sort_unstable();
        let q = |p: f64| xs[(p * xs.len() as f64) as usize] as f64 / 1e9;
        assert!((q(0.5) - 0.1).abs() < 0.003, "median {}", q(0.5));
        assert!((q(0.99) - 1.0).abs() < 0.05, "p99 {}", q(0.99));
    }

    #[test]
    fn truncated_normal_never_goes_negative() {
        let d = Distribution::Normal {
            mean: secs(1.0),
            sd: secs(2.0),
        };
        let s = d.sampler().unwrap();
        let mut rng = RngFactory::new(5).stream("n");
        // A draw is a u64 of nanoseconds; a negative value would have saturated to exactly 0.
        let zeros = (0..100_000)
            .filter(|_| s.sample(&mut rng).as_nanos() == 0)
            .count();
        assert!(zeros < 5, "{zeros} draws collapsed to zero");
    }

    #[test]
    fn invalid_parameters_name_the_field() {
        let cases = vec![
            (Distribution::Exponential { mean: secs(0.0) }, "mean"),
            (
                Distribution::Uniform {
                    min: secs(2.0),
                    max: secs(1.0),
                },
                "max",
            ),
            (
                Distribution::Gamma {
                    shape: -1.0,
                    mean: secs(1.0),
                },
                "shape",
            ),
            (
                Distribution::Erlang {
                    k: 0,
                    mean: secs(1.0),
                },
                "k",
            ),
            (
                Distribution::HyperExponential {
                    probs: vec![0.5, 0.6],
                    means: vec![secs(1.0), secs(1.0)],
                },
                "probs",
            ),
            (
                Distribution::Mixture {
                    weights: vec![1.0],
                    components: vec![Distribution::Exponential { mean: secs(0.0) }],
                },
                "components.0.mean",
            ),
            (
                Distribution::Pareto {
                    scale: secs(1.0),
                    shape: 0.0,
                },
                "shape",
            ),
            (Distribution::Empirical { values: vec![] }, "values"),
            (
                Distribution::LogNormalQuantiles {
                    median: secs(1.0),
                    p99: secs(0.5),
                },
                "p99",
            ),
        ];
        for (d, field) in cases {
            assert_eq!(d.sampler().unwrap_err().field, field, "{d:?}");
        }
    }

    #[test]
    fn same_stream_gives_same_draws() {
        let s = Distribution::LogNormal {
            mean: secs(1.0),
            sd: secs(3.0),
        }
        .sampler()
        .unwrap();
        let draw = || {
            let mut r = RngFactory::new(9).stream("same");
            (0..1000)
                .map(|_| s.sample(&mut r).as_nanos())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(), draw());
    }
}
