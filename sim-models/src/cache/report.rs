//! What a cache reports: its figures over the measurement window ([`CacheReport`]) and its
//! rows of `caches.csv`.

use super::{Cache, CacheStats};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// What one service's cache of one origin did over the measurement window: its counts, and
/// what follows from them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheReport {
    /// Lookups, and how each was served (see [`CacheStats`]).
    #[serde(flatten)]
    pub counts: CacheStats,
    /// Lookups served without a fetch of their own (hits, stale hits, coalesced) over all
    /// lookups.
    pub hit_ratio: f64,
    /// Calls to the origin per second (misses, early fetches and refreshes).
    pub origin_rate: f64,
    /// Entries held at the end, over all instances.
    pub entries: u64,
}

impl Cache {
    /// Its report, over a measurement window of `measured_s` seconds.
    pub(crate) fn report(&self, measured_s: f64) -> CacheReport {
        let s = &self.stats;
        CacheReport {
            counts: *s,
            hit_ratio: s.hit_ratio(),
            origin_rate: if measured_s > 0.0 {
                s.origin_calls() as f64 / measured_s
            } else {
                0.0
            },
            entries: (0..self.tables.len()).map(|i| self.entries(i) as u64).sum(),
        }
    }

    /// Its row of `caches.csv` for bucket `i` (starting at `t` seconds, `span_s` long) of
    /// service `service`: `time_s,service,cache,lookups,served,origin_calls,hit_ratio,origin_rate`,
    /// the hit ratio empty when nothing was looked up.
    pub(crate) fn csv_row(&self, service: &str, i: usize, t: f64, span_s: f64, out: &mut String) {
        let lookups = self.series.lookups.get(i);
        let served = self.series.served.get(i);
        let origin = self.series.origin.get(i);
        let ratio = if lookups == 0 {
            String::new()
        } else {
            (served as f64 / lookups as f64).to_string()
        };
        let _ = writeln!(
            out,
            "{t},{service},{},{lookups},{served},{origin},{ratio},{}",
            self.of,
            origin as f64 / span_s
        );
    }
}
