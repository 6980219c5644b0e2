//! Typed keys of the slabs of things in flight ([`Slab`](crate::Slab), `call.rs`): a call's, a
//! client request's and a policy invocation's slot index. Each is a `u32` the compiler tells
//! apart from the others, so a request's index cannot be passed where an invocation's is
//! expected; `#[repr(transparent)]` keeps it a `u32` in memory, in events and in hashes.
//!
//! The world's tables — services, clients, call edges, faults, a service's instances — are
//! addressed the same way: a [`ServiceId`], [`ClientId`], [`EdgeId`], [`FaultId`] or
//! [`InstanceId`] is a position in its table (name order for services and clients), and only
//! indexes the table it names (`indexed_by!`):
//!
//! ```
//! use sim_models::{Edge, EdgeId, ServiceId};
//! fn callee(edges: &[Edge], edge: EdgeId) -> ServiceId {
//!     edges[edge].to
//! }
//! ```
//!
//! ```compile_fail
//! use sim_models::{Edge, EdgeId, ServiceId};
//! fn callee(edges: &[Edge], service: ServiceId) -> ServiceId {
//!     edges[service].to // a service's id does not index the edges
//! }
//! ```
//!
//! A leaf module: it depends on nothing else in the crate, so every module may use it.

/// The key of a slab's slots: a slot index of one kind of value.
pub trait SlabKey: Copy {
    /// The key of slot `index`.
    fn new(index: u32) -> Self;
    /// Its slot index.
    fn index(self) -> u32;
}

macro_rules! slab_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub struct $name(u32);

        impl $name {
            /// The key of slot `index`.
            #[inline]
            pub const fn new(index: u32) -> Self {
                $name(index)
            }

            /// Its slot index.
            #[inline]
            pub const fn index(self) -> u32 {
                self.0
            }
        }

        impl SlabKey for $name {
            #[inline]
            fn new(index: u32) -> Self {
                $name(index)
            }

            #[inline]
            fn index(self) -> u32 {
                self.0
            }
        }
    };
}

slab_key! {
    /// Index of a call in flight (one service's handling of one message).
    CallId
}

slab_key! {
    /// Number of a saga (its place in the run's list of sagas, never reused).
    SagaId
}

slab_key! {
    /// Index of a client's request in flight. (Not [`RequestId`](crate::RequestId), the
    /// observer's public index and generation of a request.)
    RequestIndex
}

slab_key! {
    /// Index of a call through a policy stack (an *invocation*) in flight.
    InvocationId
}

slab_key! {
    /// Index of an operation a call submitted to a store and still waits for (the tag the
    /// store hands back with its answer).
    StoreWaitId
}

macro_rules! table_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub struct $name(u32);

        impl $name {
            /// The one at position `index` of its table.
            #[inline]
            pub const fn new(index: usize) -> Self {
                debug_assert!(index <= u32::MAX as usize);
                $name(index as u32)
            }

            /// Its position in its table.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

table_id! {
    /// A service: its position among the scenario's services in name order (as
    /// [`World::services`](crate::World::services) and the report hold them).
    ServiceId
}

table_id! {
    /// A client: its position among the scenario's clients in name order (as
    /// [`World::clients`](crate::World::clients)).
    ClientId
}

table_id! {
    /// A call edge: its position in [`World::edges`](crate::World::edges) (clients' edges
    /// first, then each service's calls, publishes and routes).
    EdgeId
}

table_id! {
    /// An instance of a service: its position among that service's instances (as
    /// [`Service::instances`](crate::Service::instances)); with its [`ServiceId`] it names one
    /// instance of the run ([`InstanceRef`](crate::InstanceRef)).
    InstanceId
}

table_id! {
    /// A fault: its position in [`World::faults`](crate::World::faults) (the scenario's, in
    /// order, then injected ones).
    FaultId
}

/// Lets a table of `$item`s (a `Vec` or a slice) be indexed by `$id` and by nothing else
/// typed: `world.services[call.service]`.
macro_rules! indexed_by {
    ($id:ty, $item:ty) => {
        impl std::ops::Index<$id> for [$item] {
            type Output = $item;
            #[inline]
            fn index(&self, id: $id) -> &$item {
                &self[id.index()]
            }
        }

        impl std::ops::IndexMut<$id> for [$item] {
            #[inline]
            fn index_mut(&mut self, id: $id) -> &mut $item {
                &mut self[id.index()]
            }
        }

        impl std::ops::Index<$id> for Vec<$item> {
            type Output = $item;
            #[inline]
            fn index(&self, id: $id) -> &$item {
                &self[id.index()]
            }
        }

        impl std::ops::IndexMut<$id> for Vec<$item> {
            #[inline]
            fn index_mut(&mut self, id: $id) -> &mut $item {
                &mut self[id.index()]
            }
        }
    };
}
pub(crate) use indexed_by;

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, size_of};

    #[test]
    fn a_key_is_a_bare_u32_in_memory() {
        // What keeps calls, events and timers the size they were with bare `u32`s.
        let u32_layout = (size_of::<u32>(), align_of::<u32>());
        assert_eq!((size_of::<CallId>(), align_of::<CallId>()), u32_layout);
        assert_eq!(
            (size_of::<RequestIndex>(), align_of::<RequestIndex>()),
            u32_layout
        );
        assert_eq!(
            (size_of::<InvocationId>(), align_of::<InvocationId>()),
            u32_layout
        );
        assert_eq!(
            (size_of::<ServiceId>(), align_of::<ServiceId>()),
            u32_layout
        );
        assert_eq!((size_of::<EdgeId>(), align_of::<EdgeId>()), u32_layout);
        assert_eq!(
            (size_of::<InstanceId>(), align_of::<InstanceId>()),
            u32_layout
        );
    }
}
