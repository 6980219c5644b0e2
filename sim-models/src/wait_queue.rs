//! An instance's queue of requests waiting for a worker: FIFO by default, newest first while
//! a policy says so (adaptive LIFO), highest priority class first when the service has
//! classes (criticality). Each entry may carry a time after which it is not worth serving
//! (a controlled-delay timeout).

use crate::ids::CallId;
use sim_core::SimTime;
use std::collections::VecDeque;

/// A request waiting for a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Waiting {
    /// The call.
    pub(crate) call: CallId,
    /// When it started waiting.
    pub(crate) since: SimTime,
    /// When its wait stops being worth it (`SimTime::MAX`: never).
    pub(crate) expires: SimTime,
    /// Its priority class (0 when the queue has one class).
    pub(crate) class: u8,
}

/// The waiting requests of one instance: one FIFO, or one per priority class.
#[derive(Clone, Debug)]
pub(crate) struct WaitQueue {
    /// The queue without classes (kept inline: it is on every request's path).
    plain: VecDeque<Waiting>,
    /// One queue per class, lowest first, when the service has classes.
    classes: Vec<VecDeque<Waiting>>,
    len: usize,
}

impl WaitQueue {
    /// An empty queue with `classes` priority classes (1: plain).
    pub(crate) fn new(classes: usize) -> Self {
        WaitQueue {
            plain: VecDeque::new(),
            classes: if classes > 1 {
                vec![VecDeque::new(); classes]
            } else {
                Vec::new()
            },
            len: 0,
        }
    }

    /// The queue of class `c`.
    #[inline]
    fn class(&mut self, c: u8) -> &mut VecDeque<Waiting> {
        if self.classes.is_empty() {
            &mut self.plain
        } else {
            let last = self.classes.len() - 1;
            &mut self.classes[(c as usize).min(last)]
        }
    }

    /// Requests waiting.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether none waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a request behind those of its class.
    #[inline]
    pub(crate) fn push(&mut self, w: Waiting) {
        self.class(w.class).push_back(w);
        self.len += 1;
    }

    /// Takes the next request to serve: from the highest class that has one, its oldest (or,
    /// `newest_first`, its newest).
    #[inline]
    pub(crate) fn pop(&mut self, newest_first: bool) -> Option<Waiting> {
        let q = if self.classes.is_empty() {
            &mut self.plain
        } else {
            self.classes.iter_mut().rev().find(|q| !q.is_empty())?
        };
        if q.is_empty() {
            return None;
        }
        self.len -= 1;
        if newest_first {
            q.pop_back()
        } else {
            q.pop_front()
        }
    }

    /// Takes the oldest request of any class whose wait is no longer worth it at `now`.
    /// Only each class's oldest is looked at: the others are found as they come to the front
    /// (or when a worker takes them).
    pub(crate) fn pop_expired(&mut self, now: SimTime) -> Option<Waiting> {
        let q = std::iter::once(&mut self.plain)
            .chain(self.classes.iter_mut())
            .find(|q| q.front().is_some_and(|w| w.expires <= now))?;
        self.len -= 1;
        q.pop_front()
    }

    /// Makes room for an arrival of class `class`: takes the newest request of the lowest
    /// class below it, if any.
    pub(crate) fn evict_below(&mut self, class: u8) -> Option<Waiting> {
        if self.classes.is_empty() {
            return None; // no classes: nobody outranks anybody
        }
        let below = (class as usize).min(self.classes.len());
        let q = self.classes[..below].iter_mut().find(|q| !q.is_empty())?;
        self.len -= 1;
        q.pop_back()
    }

    /// Empties the queue (a crash), returning how many waited.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.len;
        self.plain.clear();
        for q in &mut self.classes {
            q.clear();
        }
        self.len = 0;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(call: u32, class: u8) -> Waiting {
        Waiting {
            call: CallId::new(call),
            since: SimTime(call as u64),
            expires: SimTime::MAX,
            class,
        }
    }

    #[test]
    fn higher_classes_are_served_first_and_each_class_in_arrival_order() {
        let mut q = WaitQueue::new(4);
        for (call, class) in [(1, 0), (2, 2), (3, 3), (4, 2), (5, 0)] {
            q.push(w(call, class));
        }
        let order: Vec<u32> = std::iter::from_fn(|| q.pop(false))
            .map(|w| w.call.index())
            .collect();
        assert_eq!(order, [3, 2, 4, 1, 5]);
        assert!(q.is_empty());
    }

    #[test]
    fn newest_first_takes_the_back_of_the_class() {
        let mut q = WaitQueue::new(1);
        for call in 1..=3 {
            q.push(w(call, 0));
        }
        assert_eq!(q.pop(true).unwrap().call.index(), 3);
        assert_eq!(q.pop(false).unwrap().call.index(), 1);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn eviction_takes_the_newest_of_the_lowest_class_below_the_arrival() {
        let mut q = WaitQueue::new(4);
        for (call, class) in [(1, 1), (2, 0), (3, 0), (4, 2)] {
            q.push(w(call, class));
        }
        assert_eq!(q.evict_below(2).unwrap().call.index(), 3);
        assert_eq!(q.evict_below(2).unwrap().call.index(), 2);
        assert_eq!(q.evict_below(2).unwrap().call.index(), 1);
        assert_eq!(
            q.evict_below(2),
            None,
            "never a request of the arrival's own class"
        );
        assert_eq!(q.len(), 1);
        let mut plain = WaitQueue::new(1);
        plain.push(w(1, 0));
        assert_eq!(
            plain.evict_below(3),
            None,
            "a queue without classes never evicts"
        );
    }

    #[test]
    fn expired_requests_are_taken_from_the_front() {
        let mut q = WaitQueue::new(1);
        q.push(Waiting {
            expires: SimTime(10),
            ..w(1, 0)
        });
        q.push(w(2, 0));
        assert_eq!(q.pop_expired(SimTime(9)), None);
        assert_eq!(q.pop_expired(SimTime(10)).unwrap().call.index(), 1);
        assert_eq!(q.pop_expired(SimTime(100)), None);
    }
}
