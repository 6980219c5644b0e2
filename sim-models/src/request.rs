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
    /// Whether an injected failure will fail it when its service completes.
    pub doomed: bool,
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
    #[inline]
    pub fn remove(&mut self, id: RequestId) -> Request {
        self.free.push(id);
        self.slots[id as usize]
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
