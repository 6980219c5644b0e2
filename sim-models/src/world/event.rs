//! What happens in the simulated system: the events of [`World`](super::World)'s future-event
//! set. Each carries the index and generation of what it concerns, so an event for something
//! that has ended meanwhile is recognised and ignored.

use crate::health::ProbeKind;
use crate::ids::{
    CallId, ClientId, FaultId, InstanceId, InvocationId, RequestIndex, SagaId, ServiceId,
};

/// Everything that happens in the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// The warm-up ends: statistics restart from here.
    WarmupEnd,
    /// Hedging: the delay after attempt `attempt` of invocation `inv` is over.
    Hedge {
        /// The invocation.
        inv: InvocationId,
        /// Its generation.
        gen: u32,
        /// The attempt the delay followed.
        attempt: u32,
    },
    /// Every caller layer's level is sampled (see
    /// [`World::level_period`](super::World::level_period)).
    SampleLevels,
    /// A service's outlier detection sweeps its instances.
    OutlierSweep {
        /// The service.
        service: ServiceId,
    },
    /// A prober of a service sends its next probe to one instance.
    Probe {
        /// The service.
        service: ServiceId,
        /// Instance index.
        instance: InstanceId,
        /// Which prober.
        kind: ProbeKind,
    },
    /// An instance's outstanding probe is judged: answered, or timed out.
    ProbeJudged {
        /// The service.
        service: ServiceId,
        /// Instance index.
        instance: InstanceId,
        /// Which prober.
        kind: ProbeKind,
    },
    /// An instance the liveness probe killed serves again.
    Restarted {
        /// The service.
        service: ServiceId,
        /// Instance index.
        instance: InstanceId,
    },
    /// A service's autoscaler syncs: measures and scales.
    AutoscaleSync {
        /// The service.
        service: ServiceId,
    },
    /// An instance the autoscaler added is provisioned and serves.
    Provisioned {
        /// The service.
        service: ServiceId,
        /// Instance index.
        instance: InstanceId,
        /// Which provisioning (a cancelled one's event is ignored).
        epoch: u32,
    },
    /// An instance the autoscaler removed has had its grace period: it stops.
    Terminated {
        /// The service.
        service: ServiceId,
        /// Instance index.
        instance: InstanceId,
    },
    /// An open-loop client sends its next request.
    OpenArrival {
        /// The client.
        client: ClientId,
    },
    /// A closed-loop user has finished thinking and sends a request.
    UserReady {
        /// The client.
        client: ClientId,
    },
    /// A call's request message reaches its instance.
    Deliver {
        /// The call.
        call: CallId,
        /// Its generation.
        gen: u32,
    },
    /// A worker finishes a call's local work.
    WorkDone {
        /// The call.
        call: CallId,
        /// Its generation.
        gen: u32,
    },
    /// A call's answer reaches its caller.
    Reply {
        /// The call.
        call: CallId,
        /// Its generation.
        gen: u32,
    },
    /// A call stops waiting for child `slot` of its wait `token`.
    CallTimeout {
        /// The waiting call.
        call: CallId,
        /// Its generation.
        gen: u32,
        /// The child.
        slot: u8,
        /// The wait.
        token: u32,
    },
    /// A client stops waiting for a request.
    RequestTimeout {
        /// The request.
        request: RequestIndex,
        /// Its generation.
        gen: u32,
    },
    /// Fault number `fault` (in the scenario's order) starts.
    FaultStart {
        /// Fault index.
        fault: FaultId,
    },
    /// Fault number `fault` ends (for a crash: the instance restarts).
    FaultEnd {
        /// Fault index.
        fault: FaultId,
    },
    /// The earliest timer of timer queue `queue` is due.
    Timers {
        /// The queue.
        queue: u32,
    },
    /// A flapping link of fault `fault` fails or is repaired.
    Flap {
        /// Fault index.
        fault: FaultId,
    },
    /// A call through a policy stack makes its next attempt after a backoff.
    Retry {
        /// The invocation.
        inv: InvocationId,
        /// Its generation.
        gen: u32,
    },
    /// A call held by a policy layer goes on (or is refused, if a refusal is pending).
    Resume {
        /// The invocation.
        inv: InvocationId,
        /// Its generation.
        gen: u32,
    },
    /// Attempt `attempt` of a call through a policy stack times out.
    AttemptTimeout {
        /// The invocation.
        inv: InvocationId,
        /// Its generation.
        gen: u32,
        /// The attempt.
        attempt: u32,
    },
    /// A call waiting in a policy layer's queue (for attempt `attempt`) has waited its most.
    QueueTimeout {
        /// The invocation.
        inv: InvocationId,
        /// Its generation.
        gen: u32,
        /// The attempt.
        attempt: u32,
    },
    /// The deadline of a whole call through a policy stack.
    CallDeadline {
        /// The invocation.
        inv: InvocationId,
        /// Its generation.
        gen: u32,
    },
    /// An instance's shared processor (processor sharing) finishes its next request, if
    /// `epoch` is still its latest.
    Shared {
        /// The service.
        service: ServiceId,
        /// Instance index.
        instance: InstanceId,
        /// Which schedule of it.
        epoch: u32,
    },
    /// A saga's call `token` has waited its step's timeout.
    SagaTimeout {
        /// The saga.
        saga: SagaId,
        /// Which of its calls.
        token: u32,
    },
    /// A saga's backoff `token` is over: it resends its call.
    SagaRetry {
        /// The saga.
        saga: SagaId,
        /// Which wait.
        token: u32,
    },
    /// A linked store runs its events up to now (see `world/store_call.rs`).
    StoreWake {
        /// Which linked store.
        store: u32,
        /// Which wake (older ones are stale).
        gen: u32,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_event_fits_in_16_bytes() {
        // The future-event set holds one per pending event and moves them as it sifts: typed
        // keys and new variants must not grow it.
        assert_eq!(std::mem::size_of::<super::Event>(), 16);
    }
}
