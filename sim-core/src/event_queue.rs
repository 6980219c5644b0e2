//! The future event set: a binary heap ordered by `(time, sequence number)` with O(1) lazy
//! cancellation.
//!
//! Events at the same instant pop in the order they were scheduled (FIFO), which makes a run a pure
//! function of its inputs. Cancelling does not search the heap: a cancellable event owns a slot whose
//! tag is cleared on cancel, and the stale heap entry is skipped when it surfaces. Timeouts are
//! almost always cancelled, so this keeps them at the cost of a store.

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Marks an entry that was scheduled without a cancellation slot.
const NO_SLOT: u32 = u32::MAX;
/// Marks a cancellation slot that holds no live event.
const FREE: u64 = u64::MAX;

/// Handle to a cancellable event, returned by [`EventQueue::schedule_cancellable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventId {
    slot: u32,
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
    slot: u32,
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
    /// `slots[i]` is the sequence number of the live event owning slot `i`, or `FREE`.
    slots: Vec<u64>,
    free_slots: Vec<u32>,
    cancelled_pending: usize,
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
            slots: Vec::new(),
            free_slots: Vec::new(),
            cancelled_pending: 0,
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
            slot: NO_SLOT,
            event,
        });
    }

    /// Schedules `event` at `time` and returns a handle that [`cancel`](Self::cancel) accepts.
    #[inline]
    pub fn schedule_cancellable(&mut self, time: SimTime, event: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.slots[s as usize] = seq;
                s
            }
            None => {
                self.slots.push(seq);
                (self.slots.len() - 1) as u32
            }
        };
        self.heap.push(Entry {
            time: time.0,
            seq,
            slot,
            event,
        });
        EventId { slot, seq }
    }

    /// Cancels a pending event in O(1). Returns `false` if it already ran or was cancelled.
    #[inline]
    pub fn cancel(&mut self, id: EventId) -> bool {
        match self.slots.get_mut(id.slot as usize) {
            Some(tag) if *tag == id.seq => {
                *tag = FREE;
                self.free_slots.push(id.slot);
                self.cancelled_pending += 1;
                true
            }
            _ => false,
        }
    }

    /// Removes and returns the earliest live event.
    #[inline]
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        loop {
            let e = self.heap.pop()?;
            if e.slot != NO_SLOT {
                let tag = &mut self.slots[e.slot as usize];
                if *tag != e.seq {
                    self.cancelled_pending -= 1;
                    continue; // cancelled: its slot was freed (and maybe reused) already
                }
                *tag = FREE;
                self.free_slots.push(e.slot);
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
            // One look at the top and one tag check per event: this is the engine's hot path.
            if self.heap.peek()?.time > limit.0 {
                return None;
            }
            let e = self.heap.pop().expect("peeked");
            if e.slot != NO_SLOT {
                let tag = &mut self.slots[e.slot as usize];
                if *tag != e.seq {
                    self.cancelled_pending -= 1;
                    continue; // cancelled
                }
                *tag = FREE;
                self.free_slots.push(e.slot);
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
            if top.slot != NO_SLOT && self.slots[top.slot as usize] != top.seq {
                self.heap.pop();
                self.cancelled_pending -= 1;
                continue;
            }
            return Some(SimTime(top.time));
        }
        None
    }

    /// Number of live (not cancelled) pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - self.cancelled_pending
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
    fn a_reused_slot_does_not_resurrect_or_cancel_the_wrong_event() {
        let mut q = EventQueue::new();
        let old = q.schedule_cancellable(SimTime(10), "old");
        assert!(q.cancel(old));
        let new = q.schedule_cancellable(SimTime(20), "new"); // reuses old's slot
        assert!(
            !q.cancel(old),
            "a stale handle must not cancel the slot's new owner"
        );
        assert_eq!(q.pop().unwrap().event, "new");
        assert!(!q.cancel(new));
    }
}
