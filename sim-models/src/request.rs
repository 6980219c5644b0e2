//! Requests in flight, kept in a slab indexed by [`RequestId`] so that events carry a `u32`
//! instead of a pointer, and a finished request's slot is reused without allocating.

use sim_core::SimTime;

/// Index of a request in flight.
pub type RequestId = u32;

/// One request in flight.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// The client that sent it (index).
    pub client: u32,
    /// The instance of its current service that holds it.
    pub instance: u32,
    /// When the client sent it.
    pub created: SimTime,
    /// When it arrived at the service it is at now.
    pub arrived: SimTime,
    /// The service it is at now (index).
    pub service: u32,
    /// Whether an injected failure will fail it when its service completes.
    pub doomed: bool,
    /// Whether a worker is serving it now (rather than it waiting in a queue).
    pub in_service: bool,
    /// Whether the slot holds a request in flight (false once it has ended).
    pub live: bool,
}

/// The requests in flight.
#[derive(Clone, Debug, Default)]
pub struct Requests {
    slots: Vec<Request>,
    free: Vec<RequestId>,
}

impl Requests {
    /// Stores a new request and returns its id.
    #[inline]
    pub fn insert(&mut self, r: Request) -> RequestId {
        match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = r;
                id
            }
            None => {
                self.slots.push(r);
                (self.slots.len() - 1) as RequestId
            }
        }
    }

    /// Frees a finished request's slot.
    ///
    /// # Panics
    /// If the request already ended: ending a request twice is a bug that would corrupt the
    /// accounting, so it stops the run loudly instead.
    #[inline]
    pub fn remove(&mut self, id: RequestId) -> Request {
        let r = &mut self.slots[id as usize];
        assert!(r.live, "request {id} ended twice");
        r.live = false;
        self.free.push(id);
        *r
    }

    /// The requests in flight, with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (RequestId, &Request)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, r)| r.live)
            .map(|(i, r)| (i as RequestId, r))
    }

    /// The request with this id.
    #[inline]
    pub fn get_mut(&mut self, id: RequestId) -> &mut Request {
        &mut self.slots[id as usize]
    }

    /// Number of requests in flight.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Whether none is in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
