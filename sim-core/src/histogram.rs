//! Latency histogram with bounded relative error.
//!
//! Log-linear buckets, as in HdrHistogram: values below 256 ns are exact, and above that each power
//! of two is split into 128 equal sub-buckets. A bucket spans at most 1/128 of its lower bound and a
//! quantile is reported at the bucket's midpoint, so the reported value is within 0.4% of the true
//! one (the issue asks for ≤ 1%). The mean is kept exactly, from the sum. Buckets are allocated
//! up to the largest value seen, so an empty histogram holds nothing, one of latencies up to a
//! second about 25 KiB, and clearing touches only what was used.

/// Sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;
/// Values below this are counted exactly, one bucket each.
const EXACT_LIMIT: u64 = SUB * 2;
/// One group of `SUB` buckets per power of two from 2^8 up to 2^63, after the exact ones.
const BUCKETS: usize = (EXACT_LIMIT + (64 - SUB_BITS as u64 - 1) * SUB) as usize;

/// Counts of recorded values (nanoseconds) with ≤ 0.4% relative error on quantiles.
///
/// ```
/// use sim_core::Histogram;
/// let mut h = Histogram::new();
/// for v in 1..=1000u64 { h.record(v * 1_000_000); } // 1 ms .. 1 s
/// let p99 = h.quantile(0.99) as f64;
/// assert!((p99 - 990e6).abs() / 990e6 < 0.004);
/// assert_eq!(h.max(), 1_000_000_000);
/// ```
#[derive(Clone, Debug)]
pub struct Histogram {
    /// Counts per bucket, up to the highest bucket used since the last clear.
    counts: Vec<u64>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl PartialEq for Histogram {
    /// The same values recorded, however the buckets were grown.
    fn eq(&self, other: &Self) -> bool {
        let used = |c: &[u64]| c.len() - c.iter().rev().take_while(|&&n| n == 0).count();
        let (a, b) = (
            &self.counts[..used(&self.counts)],
            &other.counts[..used(&other.counts)],
        );
        self.count == other.count
            && self.sum == other.sum
            && self.min == other.min
            && self.max == other.max
            && a == b
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn bucket_of(v: u64) -> usize {
    if v < EXACT_LIMIT {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros(); // ≥ SUB_BITS + 1
    let shift = msb - SUB_BITS;
    // (v >> shift) lies in [SUB, 2·SUB): the top SUB_BITS + 1 bits of v.
    (EXACT_LIMIT + (shift as u64 - 1) * SUB + ((v >> shift) - SUB)) as usize
}

/// The lowest value and the width of bucket `i`.
fn bucket_range(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < EXACT_LIMIT {
        return (i, 1);
    }
    let shift = (i - EXACT_LIMIT) / SUB + 1;
    let sub = (i - EXACT_LIMIT) % SUB + SUB;
    (sub << shift, 1 << shift)
}

impl Histogram {
    /// An empty histogram; it allocates nothing until a value is recorded.
    pub fn new() -> Self {
        Histogram {
            counts: Vec::new(),
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// Records one value.
    #[inline]
    pub fn record(&mut self, v: u64) {
        let b = bucket_of(v);
        if b >= self.counts.len() {
            self.grow(b);
        }
        self.counts[b] += 1;
        self.count += 1;
        self.sum += v as u128;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Makes room for bucket `b` (at most [`BUCKETS`] in all).
    #[cold]
    fn grow(&mut self, b: usize) {
        debug_assert!(b < BUCKETS);
        self.counts.resize(b + 1, 0);
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact mean of the recorded values, or 0 if there are none.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// Exact sum of the recorded values.
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// Largest value recorded (exact), or 0.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Smallest value recorded (exact), or 0.
    pub fn min(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            self.min
        }
    }

    /// The value below which a fraction `q` of the recorded values fall (the nearest-rank
    /// quantile), reported at its bucket's midpoint and clamped to the exact min and max.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (low, width) = bucket_range(i);
                return (low + (width - 1) / 2).clamp(self.min, self.max);
            }
        }
        self.max
    }

    /// Adds another histogram's values to this one.
    pub fn merge(&mut self, other: &Histogram) {
        if other.counts.len() > self.counts.len() {
            self.grow(other.counts.len() - 1);
        }
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Forgets every value (used at the end of the warm-up).
    pub fn clear(&mut self) {
        self.counts.clear(); // keeps the allocation; recording zeroes what it reuses
        self.count = 0;
        self.sum = 0;
        self.min = u64::MAX;
        self.max = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lands_in_a_bucket_that_contains_it() {
        let mut v = 1u64;
        while v < u64::MAX / 8 {
            for x in [v - 1, v, v + 1, v * 3 / 2] {
                let (low, width) = bucket_range(bucket_of(x));
                assert!(
                    low <= x && x - low < width,
                    "{x} not in [{low}, {low}+{width})"
                );
                assert!(x < EXACT_LIMIT || (width as f64) / (low as f64) <= 1.0 / SUB as f64);
            }
            v = v * 5 / 4 + 1;
        }
        assert!(bucket_of(u64::MAX) < BUCKETS);
    }

    #[test]
    fn quantiles_are_within_one_percent_of_the_exact_order_statistic() {
        let mut h = Histogram::new();
        let mut values: Vec<u64> = (0..100_000u64)
            .map(|i| (i * i) % 9_999_991 * 1013 + 17)
            .collect();
        for &v in &values {
            h.record(v);
        }
        values.sort_unstable();
        for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
            let exact = values[((q * values.len() as f64).ceil() as usize).max(1) - 1] as f64;
            let got = h.quantile(q) as f64;
            assert!(
                (got - exact).abs() / exact <= 0.01,
                "q={q}: {got} vs {exact}"
            );
        }
        assert_eq!(h.max(), *values.last().unwrap());
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64;
        assert!((h.mean() - mean).abs() < 1e-6 * mean);
    }

    #[test]
    fn merge_equals_recording_everything_in_one() {
        let (mut a, mut b, mut all) = (Histogram::new(), Histogram::new(), Histogram::new());
        for v in 0..5000u64 {
            let x = v * 7919 % 100_003;
            if v % 2 == 0 {
                a.record(x)
            } else {
                b.record(x)
            }
            all.record(x);
        }
        a.merge(&b);
        assert_eq!(a, all);
    }

    #[test]
    fn clear_forgets_everything() {
        let mut h = Histogram::new();
        h.record(5);
        h.clear();
        assert_eq!((h.count(), h.max(), h.min(), h.quantile(0.5)), (0, 0, 0, 0));
    }

    #[test]
    fn buckets_grow_only_to_the_largest_value_and_a_cleared_one_counts_afresh() {
        let mut h = Histogram::new();
        assert_eq!(
            h.counts.capacity(),
            0,
            "an empty histogram allocates nothing"
        );
        h.record(1_000_000_000); // 1 s
        assert!(
            h.counts.len() < BUCKETS / 2,
            "{} buckets for 1 s",
            h.counts.len()
        );
        h.record(u64::MAX);
        assert_eq!(h.counts.len(), BUCKETS);
        h.clear();
        h.record(300);
        h.record(300);
        assert_eq!((h.count(), h.quantile(0.99), h.max()), (2, 300, 300));
        let mut fresh = Histogram::new();
        fresh.record(300);
        fresh.record(300);
        assert_eq!(h, fresh, "equal whatever the buckets once held");
    }
}
