//! One instance's cache: an entry per key, indexed by the key itself, with the entries present
//! on a doubly linked list in recency order (least recently used at the tail), and the
//! requests coalesced on a key's fetch on a list threaded through the world's calls.

use sim_core::{SimDuration, SimTime};

/// No entry, no call: the end of a list.
pub(crate) const NIL: u32 = u32::MAX;

/// A key's entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    /// Fresh until then (if present).
    pub(crate) expires: SimTime,
    /// How long the last fetch of the key took (XFetch's δ).
    pub(crate) delta: SimDuration,
    /// When the background fetch in flight started (while `refreshing`).
    pub(crate) fetch_started: SimTime,
    /// Recency list neighbours: towards the head (more recent) and the tail.
    prev: u32,
    next: u32,
    /// The first request waiting for the fetch in flight (a call index and its generation).
    pub(crate) waiters: (u32, u32),
    /// Whether the cache holds a value for the key (fresh, stale or expired).
    pub(crate) present: bool,
    /// Whether a request's fetch that others wait on is in flight (a coalescing leader's).
    pub(crate) leading: bool,
    /// Whether a background revalidation is in flight, and its number: an answer with
    /// another number (a duplicate, or one begun before a restart) is ignored.
    pub(crate) refreshing: bool,
    pub(crate) token: u16,
}

impl Entry {
    const EMPTY: Entry = Entry {
        expires: SimTime::ZERO,
        delta: SimDuration::ZERO,
        fetch_started: SimTime::ZERO,
        prev: NIL,
        next: NIL,
        waiters: (NIL, 0),
        present: false,
        leading: false,
        refreshing: false,
        token: 0,
    };
}

/// What a lookup finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// A value still fresh.
    Fresh,
    /// A value expired less than the stale window ago.
    Stale,
    /// Nothing usable.
    Missing,
}

/// One instance's entries.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    entries: Vec<Entry>,
    head: u32,
    tail: u32,
    len: u32,
    capacity: u32,
}

impl Table {
    /// An empty cache for `keys` keys holding at most `capacity` of them.
    pub(crate) fn new(keys: u32, capacity: u32) -> Self {
        Table {
            entries: vec![Entry::EMPTY; keys as usize],
            head: NIL,
            tail: NIL,
            len: 0,
            capacity,
        }
    }

    /// Entries present.
    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    /// Key `key`'s entry.
    #[inline]
    pub(crate) fn entry(&mut self, key: u32) -> &mut Entry {
        &mut self.entries[key as usize]
    }

    /// What the cache holds for `key` at `now`, with `stale` the window after expiry in which
    /// a value is still served. A value found fresh or stale becomes the most recently used.
    #[inline]
    pub(crate) fn lookup(&mut self, key: u32, now: SimTime, stale: SimDuration) -> Found {
        let e = self.entries[key as usize];
        if !e.present {
            return Found::Missing;
        }
        let found = if now < e.expires {
            Found::Fresh
        } else if now.0 < e.expires.0.saturating_add(stale.as_nanos()) {
            Found::Stale
        } else {
            return Found::Missing;
        };
        self.unlink(key);
        self.push_front(key);
        found
    }

    /// Stores a value for `key`, fresh until `expires`, fetched in `delta`; it becomes the most
    /// recently used. Returns whether the least recently used entry was evicted to make room.
    pub(crate) fn fill(&mut self, key: u32, expires: SimTime, delta: SimDuration) -> bool {
        let mut evicted = false;
        if self.entries[key as usize].present {
            self.unlink(key);
        } else {
            if self.len == self.capacity {
                let victim = self.tail;
                self.unlink(victim);
                self.entries[victim as usize].present = false;
                self.len -= 1;
                evicted = true;
            }
            self.len += 1;
        }
        let e = &mut self.entries[key as usize];
        e.present = true;
        e.expires = expires;
        e.delta = delta;
        self.push_front(key);
        evicted
    }

    /// Forgets everything (the instance restarted): no value, no fetch, no waiter. Each
    /// key's fetch number moves on, so an answer to a fetch begun before stores nothing.
    pub(crate) fn clear(&mut self) {
        for e in &mut self.entries {
            *e = Entry {
                token: e.token.wrapping_add(1),
                ..Entry::EMPTY
            };
        }
        self.head = NIL;
        self.tail = NIL;
        self.len = 0;
    }

    fn unlink(&mut self, key: u32) {
        let Entry { prev, next, .. } = self.entries[key as usize];
        if prev == NIL {
            self.head = next;
        } else {
            self.entries[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.entries[next as usize].prev = prev;
        }
        let e = &mut self.entries[key as usize];
        e.prev = NIL;
        e.next = NIL;
    }

    fn push_front(&mut self, key: u32) {
        let old = self.head;
        {
            let e = &mut self.entries[key as usize];
            e.prev = NIL;
            e.next = old;
        }
        if old == NIL {
            self.tail = key;
        } else {
            self.entries[old as usize].prev = key;
        }
        self.head = key;
    }

    /// The keys present, most recently used first (for tests).
    #[cfg(test)]
    fn order(&self) -> Vec<u32> {
        let mut out = Vec::new();
        let mut k = self.head;
        while k != NIL {
            out.push(k);
            k = self.entries[k as usize].next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEVER: SimTime = SimTime::MAX;

    fn at(secs: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(secs)
    }

    #[test]
    fn an_entry_fits_in_48_bytes() {
        // The memory estimate counts 48 bytes per key and instance.
        assert_eq!(std::mem::size_of::<Entry>(), 48);
    }

    #[test]
    fn the_least_recently_used_entry_is_evicted() {
        let mut t = Table::new(5, 2);
        let d = SimDuration::ZERO;
        assert!(!t.fill(0, NEVER, d));
        assert!(!t.fill(1, NEVER, d));
        assert_eq!(t.lookup(0, SimTime::ZERO, d), Found::Fresh); // 0 is now the most recent
        assert!(t.fill(2, NEVER, d)); // evicts 1
        assert_eq!(t.order(), vec![2, 0]);
        assert_eq!(t.lookup(1, SimTime::ZERO, d), Found::Missing);
        assert_eq!(t.len(), 2);
        assert!(
            !t.fill(0, NEVER, d),
            "refilling a present key evicts nothing"
        );
        assert_eq!(t.order(), vec![0, 2]);
    }

    #[test]
    fn an_entry_is_fresh_then_stale_then_gone() {
        let mut t = Table::new(1, 1);
        t.fill(0, at(10), SimDuration::ZERO);
        let window = SimDuration::from_secs(5);
        assert_eq!(t.lookup(0, at(9), window), Found::Fresh);
        assert_eq!(t.lookup(0, at(10), window), Found::Stale);
        assert_eq!(t.lookup(0, at(15), window), Found::Missing);
    }

    #[test]
    fn clearing_forgets_values_and_fetches_and_moves_the_fetch_numbers() {
        let mut t = Table::new(3, 3);
        t.fill(1, NEVER, SimDuration::ZERO);
        t.entry(2).refreshing = true;
        t.entry(2).token = 7;
        t.clear();
        assert_eq!(t.len(), 0);
        assert_eq!(t.entry(2).token, 8);
        assert!(!t.entry(2).refreshing);
        assert_eq!(
            t.lookup(1, SimTime::ZERO, SimDuration::ZERO),
            Found::Missing
        );
        assert!(!t.fill(0, NEVER, SimDuration::ZERO));
        assert_eq!(t.order(), vec![0]);
    }
}
