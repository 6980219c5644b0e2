//! Values parked by slot number until an event takes them (a message in flight, an operation
//! submitted by another model), with freed slots reused: events carry a `u32` instead of the
//! value, and nothing is allocated once the run has reached its peak.

/// Parked values by slot.
#[derive(Clone, Debug)]
pub(crate) struct Slots<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slots<T> {
    /// Parks `value`; returns its slot.
    pub(crate) fn put(&mut self, value: T) -> u32 {
        match self.free.pop() {
            Some(s) => {
                self.items[s as usize] = Some(value);
                s
            }
            None => {
                self.items.push(Some(value));
                (self.items.len() - 1) as u32
            }
        }
    }

    /// Takes the value parked at `slot`, freeing it.
    ///
    /// # Panics
    /// If nothing is parked there: each slot's event takes its value once.
    pub(crate) fn take(&mut self, slot: u32) -> T {
        let value = self.items[slot as usize]
            .take()
            .expect("a value per parked slot");
        self.free.push(slot);
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_slot_is_reused_and_each_value_is_taken_once() {
        let mut s = Slots::default();
        let (a, b) = (s.put("a"), s.put("b"));
        assert_eq!((a, b), (0, 1));
        assert_eq!(s.take(a), "a");
        assert_eq!(s.put("c"), a, "the freed slot");
        assert_eq!(s.take(b), "b");
        assert_eq!(s.take(a), "c");
    }
}
