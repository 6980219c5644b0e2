//! Caches in front of services: a `Cache` step reads through its instance's cache and calls the
//! origin on a miss, and the ways such caches fail — a low hit ratio from popularity and TTL,
//! a cold cache after a restart, and expiry stampedes when entries filled together expire
//! together — with the fixes: single-flight coalescing, jittered TTLs, stale-while-revalidate
//! and XFetch's probabilistic early recomputation.
//!
//! A request at a `Cache` step draws a key by its popularity and looks it up in its instance's
//! cache (`Cache::lookup`):
//! - **fresh**: a hit; the request goes on at once. With `early_recompute` it may instead
//!   fetch the key now, XFetch's way, while the entry still serves others;
//! - **stale** (within `stale_while_revalidate` of expiry): served as a hit, and the first
//!   request to find it so fetches a fresh copy in the background;
//! - **missing**: the request calls the origin and, if that succeeds, fills the cache. With
//!   `coalesce` only the first request for a key fetches; later ones wait and share its
//!   answer, success or failure, as Go's `singleflight` does.
//!
//! A fill evicts the least recently used entry when the cache is full; expired entries leave
//! only when evicted (as in memcached). A restart empties the instance's cache, and a
//! background fetch begun before it fills nothing after.
//!
//! Files: `spec.rs` (the step's fields and checks), `popularity.rs` (key draws and the closed
//! forms for hit ratios), `report.rs` (its report and CSV rows), `table.rs` (one instance's entries and recency list); the world runs
//! the step in `world/cache.rs`.

mod popularity;
mod report;
mod spec;
mod table;

pub use popularity::{lru_hit_ratio, probabilities, ttl_hit_ratio};
pub use report::CacheReport;
pub use spec::{check_cache, CacheStep, Popularity, MAX_KEYS};
pub(crate) use table::NIL;

use popularity::KeySampler;
use sim_core::{CountSeries, SimDuration, SimRng, SimTime};
use table::{Found, Table};

/// What a lookup tells the request to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Served from the cache: go on.
    Hit,
    /// Served stale: go on; with `refresh`, this request starts the background fetch of
    /// that number.
    Stale { refresh: Option<u16> },
    /// Fetch from the origin, then fill.
    Fetch,
    /// Wait for the fetch in flight for the key.
    Wait,
}

/// What a cache did since the end of the warm-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CacheStats {
    /// Lookups: requests that reached the step.
    pub lookups: u64,
    /// Lookups that found the key fresh.
    pub hits: u64,
    /// Lookups served a stale value (stale-while-revalidate).
    pub stale_hits: u64,
    /// Lookups that waited for another request's fetch of their key (coalesced).
    pub coalesced: u64,
    /// Lookups that missed and fetched from the origin.
    pub misses: u64,
    /// Lookups that found the key fresh and fetched it anyway (XFetch).
    pub early_fetches: u64,
    /// Background fetches of stale keys.
    pub refreshes: u64,
    /// Values stored.
    pub fills: u64,
    /// Fetches that failed (nothing stored).
    pub failed_fetches: u64,
    /// Entries evicted to make room.
    pub evictions: u64,
}

impl CacheStats {
    /// Lookups answered without a fetch of their own: fresh, stale or coalesced.
    pub fn served(&self) -> u64 {
        self.hits + self.stale_hits + self.coalesced
    }

    /// Served lookups over all lookups (0 with none).
    pub fn hit_ratio(&self) -> f64 {
        if self.lookups == 0 {
            0.0
        } else {
            self.served() as f64 / self.lookups as f64
        }
    }

    /// Calls the cache made to its origin: misses, early fetches and refreshes.
    pub fn origin_calls(&self) -> u64 {
        self.misses + self.early_fetches + self.refreshes
    }
}

/// A cache's time series over the whole run.
#[derive(Clone, Debug)]
pub struct CacheSeries {
    /// Lookups per bucket.
    pub lookups: CountSeries,
    /// Lookups served without a fetch of their own, per bucket.
    pub served: CountSeries,
    /// Calls to the origin per bucket.
    pub origin: CountSeries,
}

/// One service's cache of one origin, an independent table per instance.
#[derive(Clone, Debug)]
pub struct Cache {
    /// The origin's name.
    pub of: String,
    /// What it did since the warm-up.
    pub stats: CacheStats,
    /// Its time series.
    pub series: CacheSeries,
    ttl: Option<SimDuration>,
    jitter: f64,
    coalesce: bool,
    stale: SimDuration,
    beta: Option<f64>,
    sampler: KeySampler,
    tables: Vec<Table>,
    rng: SimRng,
    /// Fetches measured and their total time (ns): XFetch's δ for keys never fetched.
    fetches: (u64, u128),
}

impl Cache {
    /// The cache of `spec` for `instances` instances, in buckets of `bucket`, drawing from
    /// `rng`; if the spec says so, warm on the first `serving` (the others are an
    /// autoscaler's, not yet provisioned).
    pub(crate) fn new(
        spec: &CacheStep,
        instances: u32,
        serving: u32,
        bucket: SimDuration,
        rng: SimRng,
    ) -> Self {
        let entries = spec.entries();
        let mut cache = Cache {
            of: spec.of.clone(),
            stats: CacheStats::default(),
            series: CacheSeries {
                lookups: CountSeries::new(bucket),
                served: CountSeries::new(bucket),
                origin: CountSeries::new(bucket),
            },
            ttl: spec.ttl,
            jitter: spec.ttl_jitter,
            coalesce: spec.coalesce,
            stale: spec.stale_while_revalidate.unwrap_or(SimDuration::ZERO),
            beta: spec.early_recompute,
            sampler: KeySampler::new(spec.popularity, spec.keys),
            tables: (0..instances)
                .map(|_| Table::new(spec.keys, entries))
                .collect(),
            rng,
            fetches: (0, 0),
        };
        if spec.warm {
            for i in 0..serving.min(instances) as usize {
                // Least popular first, so the most popular ends most recently used.
                for key in (0..entries).rev() {
                    let expires = cache.expiry(SimTime::ZERO);
                    cache.tables[i].fill(key, expires, SimDuration::ZERO);
                }
            }
        }
        cache
    }

    /// The key the next request asks for.
    #[inline]
    pub(crate) fn draw_key(&mut self) -> u32 {
        self.sampler.key(sim_core::open01(&mut self.rng))
    }

    /// Instance `i` looks up `key` at `now` for a request; its fetches time out after
    /// `timeout`.
    pub(crate) fn lookup(
        &mut self,
        now: SimTime,
        i: usize,
        key: u32,
        timeout: Option<SimDuration>,
    ) -> Lookup {
        self.stats.lookups += 1;
        self.series.lookups.add(now, 1);
        let found = self.tables[i].lookup(key, now, self.stale);
        let mean_fetch = self.mean_fetch();
        let e = self.tables[i].entry(key);
        let lookup = match found {
            Found::Fresh => match self.beta {
                Some(beta) if !(self.coalesce && e.leading) => {
                    let delta = if e.delta > SimDuration::ZERO {
                        e.delta
                    } else {
                        mean_fetch
                    };
                    let u = sim_core::open01(&mut self.rng);
                    let early = delta.as_nanos() as f64 * beta * -u.ln();
                    if now.0 as f64 + early >= e.expires.0 as f64 {
                        self.stats.early_fetches += 1;
                        Lookup::Fetch
                    } else {
                        self.stats.hits += 1;
                        Lookup::Hit
                    }
                }
                _ => {
                    self.stats.hits += 1;
                    Lookup::Hit
                }
            },
            Found::Stale => {
                self.stats.stale_hits += 1;
                // A revalidation that has had its timeout without an answer is given up.
                let lost = timeout.is_some_and(|t| now >= e.fetch_started + t);
                if e.refreshing && !lost {
                    Lookup::Stale { refresh: None }
                } else {
                    e.refreshing = true;
                    e.fetch_started = now;
                    e.token = e.token.wrapping_add(1);
                    self.stats.refreshes += 1;
                    Lookup::Stale {
                        refresh: Some(e.token),
                    }
                }
            }
            // Only a request's own fetch is waited on: it ends by its answer or its timeout.
            Found::Missing if self.coalesce && e.leading => {
                self.stats.coalesced += 1;
                Lookup::Wait
            }
            Found::Missing => {
                self.stats.misses += 1;
                Lookup::Fetch
            }
        };
        match lookup {
            Lookup::Fetch => {
                if self.coalesce {
                    self.tables[i].entry(key).leading = true;
                }
                self.series.origin.add(now, 1);
            }
            Lookup::Stale { refresh: Some(_) } => {
                self.series.served.add(now, 1);
                self.series.origin.add(now, 1);
            }
            _ => self.series.served.add(now, 1),
        }
        lookup
    }

    /// Adds a request (call index and generation) to those waiting for `key`'s fetch at
    /// instance `i`; returns the waiter it goes in front of.
    pub(crate) fn wait(&mut self, i: usize, key: u32, call: (u32, u32)) -> (u32, u32) {
        let e = self.tables[i].entry(key);
        std::mem::replace(&mut e.waiters, call)
    }

    /// A request's fetch of `key` at instance `i`, begun at `started`, ended at `now`
    /// (`ok`: it succeeded, and the value is stored). Returns the first of the requests that
    /// waited for it, who share its answer.
    pub(crate) fn fetched(
        &mut self,
        now: SimTime,
        i: usize,
        key: u32,
        started: SimTime,
        ok: bool,
    ) -> (u32, u32) {
        if ok {
            self.store(now, i, key, now - started);
        } else {
            self.stats.failed_fetches += 1;
        }
        let e = self.tables[i].entry(key);
        if ok && e.refreshing {
            // A newer value supersedes the revalidation still out: its answer is ignored.
            e.refreshing = false;
            e.token = e.token.wrapping_add(1);
        }
        if !self.coalesce {
            return (NIL, 0);
        }
        e.leading = false;
        std::mem::replace(&mut e.waiters, (NIL, 0))
    }

    /// Background fetch number `token` of `key` at instance `i` answered at `now`. Returns
    /// whether it was still awaited: a duplicate answer, one given up on, or one begun
    /// before the instance restarted stores nothing.
    pub(crate) fn refreshed(
        &mut self,
        now: SimTime,
        i: usize,
        key: u32,
        token: u16,
        ok: bool,
    ) -> bool {
        let e = self.tables[i].entry(key);
        if !(e.refreshing && e.token == token) {
            return false;
        }
        e.refreshing = false;
        let started = e.fetch_started;
        if ok {
            self.store(now, i, key, now - started);
        } else {
            self.stats.failed_fetches += 1;
        }
        true
    }

    /// Instance `i` restarted: its cache is empty.
    pub(crate) fn clear(&mut self, i: usize) {
        self.tables[i].clear();
    }

    /// Entries instance `i` holds now.
    pub fn entries(&self, i: usize) -> u32 {
        self.tables[i].len()
    }

    /// Starts the measurement window.
    pub(crate) fn reset_stats(&mut self) {
        self.stats = CacheStats::default();
    }

    /// Keeps no time series from now on.
    pub(crate) fn disable_series(&mut self) {
        self.series = CacheSeries {
            lookups: CountSeries::disabled(),
            served: CountSeries::disabled(),
            origin: CountSeries::disabled(),
        };
    }

    fn store(&mut self, now: SimTime, i: usize, key: u32, delta: SimDuration) {
        self.fetches.0 += 1;
        self.fetches.1 += delta.as_nanos() as u128;
        self.stats.fills += 1;
        let expires = self.expiry(now);
        if self.tables[i].fill(key, expires, delta) {
            self.stats.evictions += 1;
        }
    }

    /// When a value stored at `now` expires: the TTL, shortened by a uniform share of up to
    /// `ttl_jitter`.
    fn expiry(&mut self, now: SimTime) -> SimTime {
        match self.ttl {
            None => SimTime::MAX,
            Some(ttl) if self.jitter > 0.0 => {
                let u = sim_core::open01(&mut self.rng);
                let t = ttl.as_nanos() as f64 * (1.0 - self.jitter * u);
                now + SimDuration::from_nanos_f64(t)
            }
            Some(ttl) => now + ttl,
        }
    }

    fn mean_fetch(&self) -> SimDuration {
        match self.fetches {
            (0, _) => SimDuration::ZERO,
            (n, total) => SimDuration((total / n as u128) as u64),
        }
    }
}
