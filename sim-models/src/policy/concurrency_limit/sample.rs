//! One completed call as a limit algorithm sees it: the vocabulary every algorithm and the
//! window share.

/// One sample as an algorithm sees it (Java's `onSample(startTime, rtt, inflight, didDrop)`;
/// no algorithm reads `startTime`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Sample {
    /// Round-trip time in nanoseconds.
    pub(super) rtt: u64,
    /// Calls in flight when the call started, itself included.
    pub(super) inflight: u32,
    /// The call timed out or was rejected by the server.
    pub(super) dropped: bool,
}
