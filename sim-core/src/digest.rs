//! A digest of a run's event stream: a run with one folds `(index, time, event)` of every
//! processed event into a running hash and keeps a checkpoint of it every [`CHECKPOINT_EVERY`]
//! events. [`crate::verify_determinism`] compares two runs' digests.

use crate::time::SimTime;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Events between two checkpoints of the running hash.
pub const CHECKPOINT_EVERY: u64 = 1024;

/// A fixed, platform-independent hasher for events (FxHash's multiply-rotate). Integers are
/// widened to 64 bits so `usize`/`isize` (and derived enum discriminants) hash alike everywhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct StableHasher(u64);

impl StableHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64)
    }
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64)
    }
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64)
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i)
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64)
    }
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64)
    }
    fn write_isize(&mut self, i: isize) {
        self.add(i as i64 as u64)
    }
}

/// The running hash of a run's events, with periodic checkpoints and an optional full record of
/// one window of events.
#[derive(Clone, Debug, Default)]
pub struct EventDigest {
    pub(crate) hash: u64,
    pub(crate) checkpoints: Vec<u64>,
    window: Option<(u64, u64)>,
    pub(crate) recorded: Vec<RecordedEvent>,
}

/// One event as the determinism check reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    /// Position in the run's event stream, from 0.
    pub index: u64,
    /// Simulated time of the event.
    pub time: SimTime,
    /// The event, as `Debug` prints it.
    pub event: String,
}

impl fmt::Display for RecordedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event #{} at {}: {}", self.index, self.time, self.event)
    }
}

impl EventDigest {
    /// A digest that keeps checkpoints only.
    pub fn new() -> Self {
        Self::default()
    }

    /// A digest that also records events `from..to` (by index) in full.
    pub fn recording(from: u64, to: u64) -> Self {
        EventDigest {
            window: Some((from, to)),
            ..Self::default()
        }
    }

    #[inline]
    pub(crate) fn record<E: Hash + fmt::Debug>(&mut self, index: u64, time: SimTime, event: &E) {
        let mut h = StableHasher(self.hash);
        h.write_u64(time.0);
        event.hash(&mut h);
        self.hash = h.finish();
        if (index + 1).is_multiple_of(CHECKPOINT_EVERY) {
            self.checkpoints.push(self.hash);
        }
        if let Some((from, to)) = self.window {
            if (from..to).contains(&index) {
                self.recorded.push(RecordedEvent {
                    index,
                    time,
                    event: format!("{event:?}"),
                });
            }
        }
    }

    /// The hash of the whole stream so far.
    pub fn hash(&self) -> u64 {
        self.hash
    }
}
