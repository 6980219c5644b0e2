//! Exponential variates by the ziggurat method (Marsaglia & Tsang, 2000), 256 layers.
//!
//! Most simulations draw an exponential for every arrival and every service, so this is the
//! hottest arithmetic in a run. Inversion (`-ln U`) costs a logarithm each time; the ziggurat
//! accepts about 99% of draws with one table lookup, a multiply and a compare, and calls `exp` or
//! `log` only in the rare slow paths. The tables are computed once with `libm` (pure Rust,
//! IEEE-exact basic operations), so they — and every draw — are the same on every platform.

use crate::rng::{open01, SimRng};
use rand::RngCore;
use std::sync::OnceLock;

/// Start of the tail (the right edge of the base layer).
const R: f64 = 7.697_117_470_131_05;
/// Area of each layer.
const V: f64 = 0.003_949_659_822_581_557;
const LAYERS: usize = 256;

struct Tables {
    /// Right edges of the layers, decreasing: x[0] = V/f(R) (the base layer's pseudo-width),
    /// x[1] = R, …, x[256] = 0.
    x: [f64; LAYERS + 1],
    /// f(x[i]) = exp(−x[i]).
    f: [f64; LAYERS + 1],
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut x = [0.0; LAYERS + 1];
        x[0] = V / libm::exp(-R);
        x[1] = R;
        for i in 1..LAYERS - 1 {
            x[i + 1] = -libm::log(V / x[i] + libm::exp(-x[i]));
        }
        x[LAYERS] = 0.0;
        let mut f = [0.0; LAYERS + 1];
        for i in 0..=LAYERS {
            f[i] = libm::exp(-x[i]);
        }
        Tables { x, f }
    })
}

/// A draw from the exponential distribution with mean 1.
///
/// ```
/// let mut rng = sim_core::RngFactory::new(1).stream("doc");
/// let n = 200_000;
/// let mean = (0..n).map(|_| sim_core::standard_exponential(&mut rng)).sum::<f64>() / n as f64;
/// assert!((mean - 1.0).abs() < 0.01);
/// ```
#[inline(always)]
pub fn standard_exponential(rng: &mut SimRng) -> f64 {
    let t = tables();
    let bits = rng.next_u64();
    let i = (bits & 0xff) as usize;
    // The top 53 bits give a uniform in [0, 1), independent of the layer index below them.
    let u = (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    let x = u * t.x[i];
    if x < t.x[i + 1] {
        return x; // inside the layer's rectangle: ~99% of draws end here
    }
    rare_exponential(t, rng, i, x)
}

/// The ~1% of draws outside a layer's rectangle: the tail, or a wedge under the curve.
#[cold]
#[inline(never)]
fn rare_exponential(t: &Tables, rng: &mut SimRng, mut i: usize, mut x: f64) -> f64 {
    loop {
        if i == 0 {
            return R - libm::log(open01(rng)); // the tail beyond R, by memorylessness
        }
        // In the wedge between the rectangle and the curve: accept under the density.
        let y = t.f[i + 1] + (t.f[i] - t.f[i + 1]) * open01(rng);
        if y < libm::exp(-x) {
            return x;
        }
        // Rejected: draw afresh, as the fast path would.
        let bits = rng.next_u64();
        i = (bits & 0xff) as usize;
        x = (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * t.x[i];
        if x < t.x[i + 1] {
            return x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngFactory;

    #[test]
    fn tables_close_at_zero_like_marsaglia_and_tsang() {
        let t = tables();
        // The recursion must close: the last layer, from 0 to x[255], has area V like every
        // other layer, or R and V are wrong.
        let last = t.x[LAYERS - 1] * (1.0 - t.f[LAYERS - 1]);
        assert!(
            (last - V).abs() < 1e-9 * V.max(1.0) + 1e-12,
            "last layer area {last} vs {V}"
        );
        assert!((t.x[0] - 8.697_117_470_131_05).abs() < 1e-9, "{}", t.x[0]);
        assert!(t.x.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn draws_follow_the_exponential_law_in_body_and_tail() {
        let mut rng = RngFactory::new(17).stream("zig");
        let n = 2_000_000;
        let xs: Vec<f64> = (0..n).map(|_| standard_exponential(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.003, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
        // P(X > t) = e^{−t}, checked across the body, the wedges and the tail beyond R.
        for t in [0.1, 0.5, 1.0, 2.0, 4.0, 7.0, 8.0, 10.0] {
            let p = xs.iter().filter(|&&x| x > t).count() as f64 / n as f64;
            let want = (-t).exp();
            let sd = (want * (1.0 - want) / n as f64).sqrt();
            assert!(
                (p - want).abs() < 5.0 * sd + 1e-7,
                "P(X > {t}) = {p}, want {want}"
            );
        }
    }
}
