//! The future event set: a binary heap ordered by `(time, sequence number)` with lazy
//! cancellation.
//!
//! Events at the same instant pop in the order they were scheduled (FIFO), which makes a run a pure
//! function of its inputs. Most models never cancel (they recognise stale events by a
//! generation), so a heap entry is only its time, sequence number and payload, and popping tests
//! one counter to learn that no cancellable event is pending. Cancellable events are tracked by
//! sequence number beside the heap; a cancelled one stays in the heap and is skipped when it
//! surfaces.

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap};

/// Handle to a cancellable event, returned by [`EventQueue::schedule_cancellable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventId {
    seq: u64,
}

/// An event taken off the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scheduled<E> {
    /// When the event happens.
    pub time: SimTime,
    /// Its sequence number: the order in which it was scheduled.
    pub seq: u64,
    /// The model's payload.
    pub event: E,
}

#[derive(Clone)]
struct Entry<E> {
    time: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, because `BinaryHeap` is a max-heap and we want the earliest event first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        // One 128-bit compare instead of two dependent ones: sift-down branches on every
        // comparison, and these branches are unpredictable.
        let key = |e: &Self| ((e.time as u128) << 64) | e.seq as u128;
        key(other).cmp(&key(self))
    }
}

/// The pending events of one run.
///
/// ```
/// use sim_core::{EventQueue, SimTime};
/// let mut q = EventQueue::new();
/// q.schedule(SimTime(5), "b");
/// let timeout = q.schedule_cancellable(SimTime(3), "timeout");
/// q.schedule(SimTime(5), "c");
/// q.schedule(SimTime(1), "a");
/// assert!(q.cancel(timeout));
/// let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|s| s.event).collect();
/// assert_eq!(order, ["a", "b", "c"]);
/// ```
#[derive(Clone)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    /// Sequence numbers of the cancellable events still pending.
    live: BTreeSet<u64>,
    /// Sequence numbers of the cancelled events still in the heap.
    cancelled: BTreeSet<u64>,
    /// Entries in the heap that are in `live` or `cancelled`: while it is zero, popping
    /// looks at neither.
    tracked: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
            live: BTreeSet::new(),
            cancelled: BTreeSet::new(),
            tracked: 0,
        }
    }

    /// Schedules `event` at `time`. It cannot be cancelled; the model ignores it if it is stale.
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            time: time.0,
            seq,
            event,
        });
    }

    /// Schedules `event` at `time` and returns a handle that [`cancel`](Self::cancel) accepts.
    pub fn schedule_cancellable(&mut self, time: SimTime, event: E) -> EventId {
        let seq = self.next_seq;
        self.schedule(time, event);
        self.live.insert(seq);
        self.tracked += 1;
        EventId { seq }
    }

    /// Cancels a pending event in O(log n) of the cancellable events pending. Returns `false`
    /// if it already ran or was cancelled.
    pub fn cancel(&mut self, id: EventId) -> bool {
        if self.live.remove(&id.seq) {
            self.cancelled.insert(id.seq);
            true
        } else {
            false
        }
    }

    /// Whether the entry with sequence number `seq`, just taken off the heap, was cancelled;
    /// forgets it either way.
    #[cold]
    #[inline(never)]
    fn take_tracked(&mut self, seq: u64) -> bool {
        if self.cancelled.remove(&seq) {
            self.tracked -= 1;
            true
        } else {
            if self.live.remove(&seq) {
                self.tracked -= 1;
            }
            false
        }
    }

    /// Removes and returns the earliest live event.
    #[inline]
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        loop {
            let e = self.heap.pop()?;
            if self.tracked != 0 && self.take_tracked(e.seq) {
                continue;
            }
            return Some(Scheduled {
                time: SimTime(e.time),
                seq: e.seq,
                event: e.event,
            });
        }
    }

    /// Removes and returns the earliest live event if it happens no later than `limit`.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<Scheduled<E>> {
        loop {
            // One look at the top and one counter test per event: this is the engine's hot path.
            if self.heap.peek()?.time > limit.0 {
                return None;
            }
            let e = self.heap.pop().expect("peeked");
            if self.tracked != 0 && self.take_tracked(e.seq) {
                continue;
            }
            return Some(Scheduled {
                time: SimTime(e.time),
                seq: e.seq,
                event: e.event,
            });
        }
    }

    /// The time of the earliest live event, discarding cancelled entries found on top.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        while let Some(top) = self.heap.peek() {
            if !self.cancelled.is_empty() && self.cancelled.remove(&top.seq) {
                self.tracked -= 1;
                self.heap.pop();
                continue;
            }
            return Some(SimTime(top.time));
        }
        None
    }

    /// Number of live (not cancelled) pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - self.cancelled.len()
    }

    /// Whether no live event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many events were ever scheduled: the next sequence number.
    pub fn scheduled_total(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_pop_in_scheduling_order() {
        let mut q = EventQueue::new();
        for i in 0..100 {
            q.schedule(SimTime(7), i);
        }
        let got: Vec<i32> = std::iter::from_fn(|| q.pop()).map(|s| s.event).collect();
        assert_eq!(got, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn events_pop_in_time_order() {
        let mut q = EventQueue::new();
        for t in [9u64, 3, 7, 1, 8, 2] {
            q.schedule(SimTime(t), t);
        }
        let got: Vec<u64> = std::iter::from_fn(|| q.pop()).map(|s| s.time.0).collect();
        assert_eq!(got, vec![1, 2, 3, 7, 8, 9]);
    }

    #[test]
    fn cancelled_events_never_pop_and_do_not_count() {
        let mut q = EventQueue::new();
        let a = q.schedule_cancellable(SimTime(1), 'a');
        let b = q.schedule_cancellable(SimTime(2), 'b');
        q.schedule(SimTime(3), 'c');
        assert_eq!(q.len(), 3);
        assert!(q.cancel(a));
        assert!(
            !q.cancel(a),
            "a second cancel reports that nothing was cancelled"
        );
        assert_eq!(q.len(), 2);
        assert_eq!(q.peek_time(), Some(SimTime(2)));
        assert_eq!(q.pop().unwrap().event, 'b');
        assert!(
            !q.cancel(b),
            "an event that already ran cannot be cancelled"
        );
        assert_eq!(q.pop().unwrap().event, 'c');
        assert!(q.pop().is_none());
        assert!(q.is_empty());
    }

    #[test]
    fn a_stale_handle_does_not_resurrect_or_cancel_a_later_event() {
        let mut q = EventQueue::new();
        let old = q.schedule_cancellable(SimTime(10), "old");
        assert!(q.cancel(old));
        let new = q.schedule_cancellable(SimTime(20), "new");
        assert!(
            !q.cancel(old),
            "a stale handle must not cancel an event scheduled after it"
        );
        assert_eq!(q.pop().unwrap().event, "new");
        assert!(!q.cancel(new));
        assert!(q.is_empty());
    }

    #[test]
    fn a_queue_that_never_cancels_keeps_no_bookkeeping_and_one_that_did_drains_it() {
        let mut q = EventQueue::new();
        for t in 0..100u64 {
            q.schedule(SimTime(t), t);
        }
        assert_eq!(q.tracked, 0);
        let ids: Vec<_> = (0..50u64)
            .map(|t| q.schedule_cancellable(SimTime(t * 2 + 1), 1000 + t))
            .collect();
        for id in ids.iter().step_by(2) {
            assert!(q.cancel(*id));
        }
        assert_eq!(q.len(), 125);
        let got: Vec<u64> = std::iter::from_fn(|| q.pop()).map(|s| s.event).collect();
        assert_eq!(got.len(), 125);
        assert!(got.iter().all(|e| *e < 1000 || (e - 1000) % 2 == 1));
        assert_eq!((q.tracked, q.live.len(), q.cancelled.len()), (0, 0, 0));
    }

    #[test]
    fn an_entry_is_its_time_sequence_number_and_payload() {
        assert_eq!(std::mem::size_of::<Entry<u64>>(), 24);
    }
}
