//! A cache step as a scenario writes it ([`CacheStep`]), how keys are requested
//! ([`Popularity`]), and the range checks the step applies ([`check_cache`]).

use crate::policy::PolicySpec;
use serde::{Deserialize, Serialize};
use sim_core::SimDuration;

/// The most keys one cache step may have: its popularity table holds one probability per key.
pub const MAX_KEYS: u32 = 1_000_000;

/// How often each key is requested: the independent reference model, key `k` (from 1) with a
/// fixed probability.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Popularity {
    /// Every key equally often.
    #[default]
    Uniform,
    /// Zipf's law: key `k` in proportion to `1 / k^s` (web and key-value caches measure `s`
    /// between 0.6 and 1.2).
    Zipf(f64),
}

/// A read through a cache in front of service `of`: the request picks a key by its
/// popularity, and the instance's own cache answers it if it holds the key fresh; otherwise
/// the request calls `of` (a miss) and, if that succeeds, fills the cache. Each instance of
/// the service has its own cache, empty after a restart. Every `Cache` step of a service that
/// names the same `of` reads one cache, so they must agree on its fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheStep {
    /// The service behind the cache (the origin).
    pub of: String,
    /// How many distinct keys are requested.
    pub keys: u32,
    /// How often each key is requested (default `Uniform`).
    #[serde(default)]
    pub popularity: Popularity,
    /// How long a filled entry stays fresh. Default: until evicted.
    #[serde(default)]
    pub ttl: Option<SimDuration>,
    /// Entries each instance holds; filling one more evicts the least recently used.
    /// Default: every key fits.
    #[serde(default)]
    pub capacity: Option<u32>,
    /// Each entry's TTL is drawn uniformly from `[ttl × (1 − ttl_jitter), ttl]`, so that
    /// entries filled together do not expire together (default 0: exactly `ttl`).
    #[serde(default)]
    pub ttl_jitter: f64,
    /// Single-flight: while one request of an instance fetches a key from the origin, the
    /// instance's other requests for that key wait for its answer instead of calling too.
    #[serde(default)]
    pub coalesce: bool,
    /// For this long after an entry expires it is still served, and the first request to find
    /// it stale fetches a fresh copy in the background (HTTP `stale-while-revalidate`).
    #[serde(default)]
    pub stale_while_revalidate: Option<SimDuration>,
    /// Probabilistic early recomputation (XFetch, Vattani et al. 2015) with this β: a request
    /// that finds an entry fresh still fetches it when `now − δ·β·ln(U) ≥ expiry`, δ being
    /// how long the entry's last fetch took. β = 1 is the paper's choice; larger fetches
    /// earlier.
    #[serde(default)]
    pub early_recompute: Option<f64>,
    /// Every instance starts with its cache full, the most popular keys first, all filled at
    /// time 0 (a warm-up job's mass fill). Default: empty.
    #[serde(default)]
    pub warm: bool,
    /// How long a fetch from the origin may take (error `timeout`). Default: forever.
    #[serde(default)]
    pub timeout: Option<SimDuration>,
    /// A failed fetch does not fail the request (it goes on without the value).
    #[serde(default)]
    pub optional: bool,
    /// Resilience policies on the fetch, outermost first, as on a `Call`.
    #[serde(default)]
    pub policies: Vec<PolicySpec>,
}

impl CacheStep {
    /// Whether `other` describes the same cache (every field but how a fetch is made).
    pub fn same_cache(&self, other: &CacheStep) -> bool {
        self.of == other.of
            && self.keys == other.keys
            && self.popularity == other.popularity
            && self.ttl == other.ttl
            && self.capacity == other.capacity
            && self.ttl_jitter == other.ttl_jitter
            && self.coalesce == other.coalesce
            && self.stale_while_revalidate == other.stale_while_revalidate
            && self.early_recompute == other.early_recompute
            && self.warm == other.warm
    }

    /// Entries each instance holds at most.
    pub fn entries(&self) -> u32 {
        self.capacity.unwrap_or(self.keys).min(self.keys)
    }
}

/// Range checks of a cache step: `(field, message)` pairs, empty if it is valid. (The origin's
/// name, the fetch's timeout and its policies are checked as a call's are.)
pub fn check_cache(spec: &CacheStep) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut error = |field: &str, message: String| out.push((field.to_string(), message));
    if spec.keys == 0 || spec.keys > MAX_KEYS {
        error(
            "keys",
            format!("a cache has 1 to {MAX_KEYS} keys, got {}", spec.keys),
        );
    }
    if let Popularity::Zipf(s) = spec.popularity {
        if !(s.is_finite() && (0.0..=10.0).contains(&s)) {
            error(
                "popularity",
                format!("Zipf's exponent s is in [0, 10] (0 is uniform), got {s}"),
            );
        }
    }
    if spec.ttl == Some(SimDuration::ZERO) {
        let why = if spec.coalesce {
            "a value would expire the moment it is stored: with coalesce only the requests \
             already waiting would share it, and every later request fetches again"
        } else {
            "an entry would expire as it is filled and the cache would hold nothing"
        };
        error(
            "ttl",
            format!("must be longer than zero ({why}); leave it out to keep entries until evicted"),
        );
    }
    if spec.capacity == Some(0) {
        error(
            "capacity",
            "must be at least 1 entry (leave it out for a cache that holds every key)".into(),
        );
    }
    if !(spec.ttl_jitter.is_finite() && (0.0..1.0).contains(&spec.ttl_jitter)) {
        error(
            "ttl_jitter",
            format!(
                "is the fraction a TTL may be shortened by, in [0, 1); got {}",
                spec.ttl_jitter
            ),
        );
    } else if spec.ttl_jitter > 0.0 && spec.ttl.is_none() {
        error(
            "ttl_jitter",
            "jitters the ttl, and this cache has none: set ttl".into(),
        );
    }
    if let Some(w) = spec.stale_while_revalidate {
        if w == SimDuration::ZERO {
            error(
                "stale_while_revalidate",
                "must be longer than zero (leave it out to serve nothing stale)".into(),
            );
        } else if spec.ttl.is_none() {
            error(
                "stale_while_revalidate",
                "serves entries after they expire, and without a ttl none ever does: set ttl"
                    .into(),
            );
        }
    }
    if let Some(beta) = spec.early_recompute {
        if !(beta.is_finite() && beta > 0.0 && beta <= 100.0) {
            error(
                "early_recompute",
                format!("XFetch's β is in (0, 100] (1 is the paper's), got {beta}"),
            );
        } else if spec.ttl.is_none() {
            error(
                "early_recompute",
                "recomputes entries before they expire, and without a ttl none does: set ttl"
                    .into(),
            );
        }
    }
    if spec.timeout == Some(SimDuration::ZERO) {
        error(
            "timeout",
            "must be longer than zero (leave it out to wait forever)".into(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(text: &str) -> CacheStep {
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        options.from_str(text).expect("a cache step")
    }

    #[test]
    fn a_ttl_of_zero_with_coalescing_is_refused_at_the_ttl() {
        let problems = check_cache(&step(r#"(of: "db", keys: 10, ttl: "0s", coalesce: true)"#));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "ttl");
        assert!(problems[0].1.contains("coalesce"), "{}", problems[0].1);
    }

    #[test]
    fn fixes_that_need_a_ttl_are_refused_without_one() {
        let problems = check_cache(&step(
            r#"(of: "db", keys: 10, ttl_jitter: 0.2, stale_while_revalidate: "5s", early_recompute: 1.0)"#,
        ));
        let fields: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(
            fields,
            ["ttl_jitter", "stale_while_revalidate", "early_recompute"]
        );
    }

    #[test]
    fn sizes_and_ranges_are_bounded() {
        let problems = check_cache(&step(
            r#"(of: "db", keys: 2000000, capacity: 0, popularity: Zipf(-1.0), ttl: "1s", ttl_jitter: 1.0)"#,
        ));
        let fields: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(fields, ["keys", "popularity", "capacity", "ttl_jitter"]);
        assert!(check_cache(&step(r#"(of: "db", keys: 10, ttl: "1s", capacity: 5)"#)).is_empty());
    }

    #[test]
    fn steps_with_other_fetch_settings_share_one_cache() {
        let a = step(r#"(of: "db", keys: 10, ttl: "1s")"#);
        let b = step(r#"(of: "db", keys: 10, ttl: "1s", timeout: "2s", optional: true)"#);
        let c = step(r#"(of: "db", keys: 10, ttl: "2s")"#);
        assert!(a.same_cache(&b));
        assert!(!a.same_cache(&c));
        assert_eq!(step(r#"(of: "db", keys: 10, capacity: 50)"#).entries(), 10);
    }
}
