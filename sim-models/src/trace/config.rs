//! What to trace: the sampling rate and the caps.

/// What to trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceConfig {
    /// Fraction of requests traced, in (0, 1].
    pub sample: f64,
    /// At most this many requests are traced; later samples are counted, not traced.
    pub max_requests: u32,
    /// No new request is traced once this many spans are recorded.
    pub max_spans: u32,
}

impl TraceConfig {
    /// The default sampling rate of `--trace`: one request in a hundred.
    pub const DEFAULT_SAMPLE: f64 = 0.01;
    /// The default cap on traced requests.
    pub const DEFAULT_MAX_REQUESTS: u32 = 10_000;
    /// The default cap on spans (a few hundred bytes of JSON each).
    pub const DEFAULT_MAX_SPANS: u32 = 500_000;

    /// Tracing a fraction `sample` of requests, with the default caps.
    pub fn sampling(sample: f64) -> TraceConfig {
        TraceConfig {
            sample,
            ..TraceConfig::default()
        }
    }

    /// Checks the rate: a fraction in (0, 1].
    pub fn check(&self) -> Result<(), String> {
        if self.sample > 0.0 && self.sample <= 1.0 {
            Ok(())
        } else {
            Err(format!(
                "the trace sampling rate must be a fraction in (0, 1], e.g. 0.01 for one request in a hundred; got {}",
                self.sample
            ))
        }
    }
}

impl Default for TraceConfig {
    fn default() -> Self {
        TraceConfig {
            sample: TraceConfig::DEFAULT_SAMPLE,
            max_requests: TraceConfig::DEFAULT_MAX_REQUESTS,
            max_spans: TraceConfig::DEFAULT_MAX_SPANS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_outside_zero_to_one_are_refused() {
        for bad in [0.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            assert!(TraceConfig::sampling(bad).check().is_err(), "{bad}");
        }
        for good in [1e-9, 0.01, 1.0] {
            assert!(TraceConfig::sampling(good).check().is_ok(), "{good}");
        }
    }
}
