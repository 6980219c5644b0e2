//! Fixed-width time series: per-bucket counts and time-weighted levels.
//!
//! Buckets are indexed by `time / width` and the vectors grow as time passes, so the cost per
//! record is a division and an add; memory is one slot per bucket per metric. The warm-up is not
//! excluded here: a time series shows the whole run, transient included.

use crate::time::{SimDuration, SimTime};

/// Counts per time bucket (arrivals, completions, rejections, …).
pub type CountSeries = BucketSeries<u64>;

/// Sums of nanoseconds per time bucket (e.g. latencies, to divide by a count): 128 bits, since a
/// bucket may hold many long latencies.
pub type SumSeries = BucketSeries<u128>;

/// A value per time bucket that events add to.
#[derive(Clone, Debug, PartialEq)]
pub struct BucketSeries<T> {
    width: u64,
    counts: Vec<T>,
    /// The bucket written last and its time range: time mostly moves forward within a bucket,
    /// so the common case is two comparisons instead of a division.
    current: usize,
    current_range: (u64, u64),
    /// Records nothing anyone reads (see [`BucketSeries::disabled`]).
    disabled: bool,
}

impl<T: Copy + Default + std::ops::AddAssign> BucketSeries<T> {
    /// An empty series with buckets `width` wide (at least 1 ns).
    pub fn new(width: SimDuration) -> Self {
        BucketSeries {
            width: width.as_nanos().max(1),
            counts: Vec::new(),
            current: 0,
            current_range: (0, 0),
            disabled: false,
        }
    }

    /// A series that keeps nothing, for a run whose time series nobody reads: every add
    /// lands in one scratch slot without a branch, and it reads as empty.
    pub fn disabled() -> Self {
        BucketSeries {
            width: u64::MAX,
            counts: vec![T::default()],
            current: 0,
            current_range: (0, u64::MAX),
            disabled: true,
        }
    }

    /// Adds `n` in the bucket holding `now`.
    #[inline]
    pub fn add(&mut self, now: SimTime, n: T) {
        let (start, end) = self.current_range;
        if now.0 < start || now.0 >= end {
            self.seek(now.0);
        }
        self.counts[self.current] += n;
    }

    #[cold]
    fn seek(&mut self, t: u64) {
        let i = (t / self.width) as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, T::default());
        }
        self.current = i;
        let start = (i as u64).saturating_mul(self.width);
        self.current_range = (start, start.saturating_add(self.width));
    }

    /// Value in bucket `i` (zero past the end, and always for a disabled series).
    pub fn get(&self, i: usize) -> T {
        if self.disabled {
            return T::default();
        }
        self.counts.get(i).copied().unwrap_or_default()
    }

    /// Number of buckets touched so far.
    pub fn len(&self) -> usize {
        if self.disabled {
            0
        } else {
            self.counts.len()
        }
    }

    /// Whether nothing was counted yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The time-weighted mean of a level within each time bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelSeries {
    width: u64,
    level: u64,
    since: u64,
    /// The bucket holding `since` and its end, for the fast path.
    since_bucket: usize,
    since_bucket_end: u64,
    /// level × ns accumulated per bucket.
    area: Vec<u128>,
    /// Records nothing anyone reads (see [`LevelSeries::disabled`]).
    disabled: bool,
}

impl LevelSeries {
    /// A series at level 0 with buckets `width` wide.
    pub fn new(width: SimDuration) -> Self {
        LevelSeries {
            width: width.as_nanos().max(1),
            level: 0,
            since: 0,
            since_bucket: 0,
            since_bucket_end: 0,
            area: Vec::new(),
            disabled: false,
        }
    }

    /// A series that keeps nothing, for a run whose time series nobody reads: one bucket as
    /// wide as time, so every change takes the fast path, and it reads as zero.
    pub fn disabled() -> Self {
        LevelSeries {
            width: u64::MAX,
            level: 0,
            since: 0,
            since_bucket: 0,
            since_bucket_end: u64::MAX,
            area: vec![0],
            disabled: true,
        }
    }

    /// Spreads the current level's area over the buckets from `since` to `now`.
    #[inline]
    fn accumulate(&mut self, now: u64) {
        if now <= self.since {
            return;
        }
        if self.level == 0 {
            self.since = now;
            return;
        }
        // Fast path: still inside the bucket written last.
        if now < self.since_bucket_end
            && self.since >= self.since_bucket_end.saturating_sub(self.width)
        {
            let i = self.since_bucket;
            self.area[i] += self.level as u128 * (now - self.since) as u128;
            self.since = now;
            return;
        }
        self.accumulate_across(now);
    }

    #[cold]
    fn accumulate_across(&mut self, now: u64) {
        let last = (now / self.width) as usize;
        if last >= self.area.len() {
            self.area.resize(last + 1, 0);
        }
        let mut t = self.since;
        while t < now {
            let i = (t / self.width) as usize;
            let end = (i as u64 + 1).saturating_mul(self.width).min(now);
            self.area[i] += self.level as u128 * (end - t) as u128;
            t = end;
        }
        self.since = now;
        self.since_bucket = (now / self.width) as usize;
        self.since_bucket_end = (self.since_bucket as u64 + 1).saturating_mul(self.width);
        if self.since_bucket >= self.area.len() {
            self.area.resize(self.since_bucket + 1, 0);
        }
    }

    /// Sets the level at `now`.
    #[inline]
    pub fn set(&mut self, now: SimTime, level: u64) {
        self.accumulate(now.0);
        self.level = level;
    }

    /// Closes the series at `end` so the last bucket includes the final level.
    pub fn finish(&mut self, end: SimTime) {
        self.accumulate(end.0);
    }

    /// Mean level in bucket `i`, over the part of it that lies before `end` (zero for a
    /// disabled series).
    pub fn mean(&self, i: usize, end: SimTime) -> f64 {
        if self.disabled {
            return 0.0;
        }
        let start = (i as u64).saturating_mul(self.width);
        let span = (i as u64 + 1)
            .saturating_mul(self.width)
            .min(end.0)
            .saturating_sub(start);
        if span == 0 {
            return 0.0;
        }
        self.area.get(i).copied().unwrap_or(0) as f64 / span as f64
    }

    /// [`mean`](Self::mean) of a series still running at `now`: the current level counts up
    /// to `now` even where it has not been written into the buckets yet (a level that has not
    /// changed since). For a viewer, which reads the series mid-run without closing it.
    pub fn mean_so_far(&self, i: usize, now: SimTime) -> f64 {
        if self.disabled {
            return 0.0;
        }
        let start = (i as u64).saturating_mul(self.width);
        let end = (i as u64 + 1).saturating_mul(self.width).min(now.0);
        let span = end.saturating_sub(start);
        if span == 0 {
            return 0.0;
        }
        let pending = end.saturating_sub(self.since.max(start));
        let area = self.area.get(i).copied().unwrap_or(0) + self.level as u128 * pending as u128;
        area as f64 / span as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_read_mid_run_counts_up_to_now_without_closing_the_series() {
        let mut s = LevelSeries::new(SimDuration(10));
        s.set(SimTime(5), 4);
        // Nothing written past 5 yet; the level 4 has held since.
        assert_eq!(s.mean_so_far(0, SimTime(25)), 2.0);
        assert_eq!(s.mean_so_far(1, SimTime(25)), 4.0);
        assert_eq!(s.mean_so_far(2, SimTime(25)), 4.0);
        assert_eq!(s.mean_so_far(3, SimTime(25)), 0.0);
        let mut closed = s.clone();
        closed.finish(SimTime(25));
        for i in 0..3 {
            assert_eq!(closed.mean(i, SimTime(25)), s.mean_so_far(i, SimTime(25)));
        }
    }

    #[test]
    fn counts_land_in_their_buckets() {
        let mut s = CountSeries::new(SimDuration(10));
        s.add(SimTime(0), 1);
        s.add(SimTime(9), 1);
        s.add(SimTime(10), 5);
        s.add(SimTime(35), 1);
        assert_eq!(
            (s.get(0), s.get(1), s.get(2), s.get(3), s.get(99)),
            (2, 5, 0, 1, 0)
        );
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn a_level_spanning_buckets_is_split_between_them() {
        let mut s = LevelSeries::new(SimDuration(10));
        s.set(SimTime(5), 2); // 2 from t=5
        s.set(SimTime(25), 0); // to t=25
        s.finish(SimTime(30));
        assert_eq!(s.mean(0, SimTime(30)), 1.0); // 2 for half the bucket
        assert_eq!(s.mean(1, SimTime(30)), 2.0);
        assert_eq!(s.mean(2, SimTime(30)), 1.0);
    }

    #[test]
    fn a_disabled_series_takes_any_record_and_reads_as_empty() {
        let mut c = CountSeries::disabled();
        let mut l = LevelSeries::disabled();
        for t in [0u64, 5, 3_000_000_000_000, u64::MAX - 1] {
            c.add(SimTime(t), 7);
            l.set(SimTime(t), 3);
        }
        l.finish(SimTime(u64::MAX));
        assert_eq!((c.get(0), c.len(), c.is_empty()), (0, 0, true));
        assert_eq!(l.mean(0, SimTime(10)), 0.0);
        let mut q = QuantileSeries::disabled();
        q.record(SimTime(1), 10);
        q.finish(SimTime(10));
        assert_eq!((q.get(0), q.len()), (None, 0));
    }

    #[test]
    fn the_last_partial_bucket_is_averaged_over_its_elapsed_part() {
        let mut s = LevelSeries::new(SimDuration(10));
        s.set(SimTime(0), 3);
        s.finish(SimTime(15));
        assert_eq!(s.mean(1, SimTime(15)), 3.0);
    }
}

/// Latency quantiles per time bucket: the p50, p90 and p99 of the values recorded in each bucket.
///
/// One [`Histogram`](crate::Histogram) holds the current bucket (quantiles within 0.4%); when
/// time moves to a later bucket its quantiles are kept and the histogram is cleared, so memory is
/// three numbers per bucket whatever the rate. Values must arrive in time order, as a
/// simulation's do.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantileSeries {
    width: u64,
    current: usize,
    /// Where the current bucket ends (ns): crossing it is the only time a division is needed.
    current_end: u64,
    hist: crate::Histogram,
    /// `[p50, p90, p99]` of each finished bucket, ns (`None`: nothing recorded in it).
    done: Vec<Option<[u64; 3]>>,
    /// Records nothing (see [`QuantileSeries::disabled`]).
    disabled: bool,
}

impl QuantileSeries {
    /// The quantiles kept per bucket.
    pub const QUANTILES: [f64; 3] = [0.5, 0.9, 0.99];

    /// An empty series with buckets `width` wide (at least 1 ns).
    pub fn new(width: SimDuration) -> Self {
        QuantileSeries {
            width: width.as_nanos().max(1),
            current: 0,
            current_end: width.as_nanos().max(1),
            hist: crate::Histogram::new(),
            done: Vec::new(),
            disabled: false,
        }
    }

    /// A series that records nothing, for a run whose time series nobody reads.
    pub fn disabled() -> Self {
        QuantileSeries {
            disabled: true,
            ..QuantileSeries::new(SimDuration(u64::MAX))
        }
    }

    /// Records `value` (ns) at `now`.
    #[inline]
    pub fn record(&mut self, now: SimTime, value: u64) {
        if self.disabled {
            return;
        }
        if now.0 >= self.current_end {
            self.close_until((now.0 / self.width) as usize);
        }
        self.hist.record(value);
    }

    /// Closes the current bucket and every empty one before bucket `i`.
    #[cold]
    fn close_until(&mut self, i: usize) {
        while self.done.len() < i {
            let q = (self.hist.count() > 0 && self.done.len() == self.current)
                .then(|| Self::QUANTILES.map(|q| self.hist.quantile(q)));
            self.done.push(q);
            if q.is_some() {
                self.hist.clear();
            }
        }
        self.current = i;
        self.current_end = (i as u64 + 1).saturating_mul(self.width);
    }

    /// Closes the series at `end` (call once, after the run).
    pub fn finish(&mut self, end: SimTime) {
        if self.disabled {
            return;
        }
        let last = (end.0 / self.width) as usize + 1;
        self.close_until(self.current.max(last.saturating_sub(1)) + 1);
    }

    /// The `[p50, p90, p99]` of bucket `i` in ns, if anything was recorded in it.
    pub fn get(&self, i: usize) -> Option<[u64; 3]> {
        self.done.get(i).copied().flatten()
    }

    /// Number of closed buckets.
    pub fn len(&self) -> usize {
        self.done.len()
    }

    /// Whether no bucket is closed yet.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }
}

#[cfg(test)]
mod quantile_series_tests {
    use super::*;

    #[test]
    fn each_bucket_keeps_the_quantiles_of_its_own_values() {
        let mut s = QuantileSeries::new(SimDuration::from_secs(1));
        for v in 1..=100u64 {
            s.record(SimTime(v * 1_000_000), v * 1_000); // bucket 0: 1..100 µs
        }
        for v in 1..=100u64 {
            s.record(SimTime(2_000_000_000 + v), v * 1_000_000); // bucket 2: 1..100 ms
        }
        s.finish(SimTime(3_000_000_000));
        let b0 = s.get(0).unwrap();
        assert!((b0[0] as f64 - 50_000.0).abs() / 50_000.0 < 0.02, "{b0:?}");
        assert!((b0[2] as f64 - 99_000.0).abs() / 99_000.0 < 0.02, "{b0:?}");
        assert_eq!(s.get(1), None, "nothing was recorded in bucket 1");
        let b2 = s.get(2).unwrap();
        assert!((b2[1] as f64 - 90e6).abs() / 90e6 < 0.02, "{b2:?}");
        assert_eq!(s.get(3), None);
        assert!(s.len() >= 3);
    }
}
