//! One host as the detector sees it: what a result was, and the counters kept per host.

use sim_core::SimTime;

/// What a request's result was, as the detector classifies it (Envoy's
/// `putHttpResponseCode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostResult {
    /// Not a 5xx: resets both consecutive counters.
    Success,
    /// A 5xx other than 502/503/504: counts toward `consecutive_5xx`, and breaks a run of
    /// gateway failures (Envoy resets that counter on any other 5xx).
    Error,
    /// 502, 503, 504, or a local connect failure or timeout: counts toward both
    /// `consecutive_gateway_failure` and `consecutive_5xx`.
    GatewayError,
}

/// One host's monitor (Envoy's `DetectorHostMonitorImpl`).
#[derive(Clone, Debug, Default)]
pub(super) struct Host {
    pub(super) consecutive_5xx: u32,
    pub(super) consecutive_gateway_failure: u32,
    /// Results since the last sweep.
    pub(super) requests: u64,
    /// Non-5xx results since the last sweep.
    pub(super) successes: u64,
    /// When the ejection in force began.
    pub(super) ejected_at: Option<SimTime>,
    /// When the host last came back (Envoy's `lastUnejectionTime`).
    pub(super) unejected_at: Option<SimTime>,
    /// Envoy's `ejectTimeBackoff`: the ejection lasts `base·multiplier`, capped.
    pub(super) multiplier: u32,
}
