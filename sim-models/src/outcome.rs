//! How a request or a call ended: the vocabulary every part of a run shares (calls, policies,
//! statistics, reports), kept in a leaf module so none of them depends on another for it.

/// How a request or a call ended, as its caller saw it. In a scenario (`retry_on`, `record`,
/// …) outcomes are written by their variant names: `Timeout`, `Unavailable`, ….
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[repr(u8)]
pub enum Outcome {
    /// Answered successfully.
    Completed,
    /// An instance was at capacity.
    Rejected,
    /// No instance of the service was up, or the one chosen was down.
    Unavailable,
    /// Its instance crashed while holding it.
    Crashed,
    /// An injected error failed it.
    Injected,
    /// The caller stopped waiting: no answer within its timeout or deadline (a lost message, a
    /// black hole or plain slowness all look like this).
    Timeout,
    /// The server dropped it because its deadline had passed.
    Expired,
    /// The answer arrived corrupted.
    Corrupted,
    /// A call it depended on failed.
    Dependency,
    /// The caller's circuit breaker refused it.
    CircuitOpen,
    /// The caller's bulkhead was full.
    BulkheadFull,
    /// The caller's rate limiter refused it.
    RateLimited,
    /// The caller's adaptive throttling refused it.
    Throttled,
    /// The caller's concurrency limit (Netflix concurrency-limits) refused it.
    LimitExceeded,
    /// A server policy shed it (load shedding, CoDel, a concurrency limit, a tenant's rate).
    Shed,
    /// It failed, but a fallback answered instead: not an error, and not a success either.
    Fallback,
}

impl Outcome {
    /// Number of outcomes: the length of arrays indexed by `Outcome as usize`.
    pub const COUNT: usize = 16;

    /// The error kinds, in the order reports list them: every outcome after `Completed` but
    /// `Fallback`, in declaration order, so that `ERRORS[o as usize - 1] == o`.
    pub const ERRORS: [Outcome; 14] = [
        Outcome::Rejected,
        Outcome::Unavailable,
        Outcome::Crashed,
        Outcome::Injected,
        Outcome::Timeout,
        Outcome::Expired,
        Outcome::Corrupted,
        Outcome::Dependency,
        Outcome::CircuitOpen,
        Outcome::BulkheadFull,
        Outcome::RateLimited,
        Outcome::Throttled,
        Outcome::LimitExceeded,
        Outcome::Shed,
    ];

    /// Whether it is an error (anything but `Completed` and `Fallback`).
    #[inline]
    pub fn is_error(self) -> bool {
        !matches!(self, Outcome::Completed | Outcome::Fallback)
    }

    /// The refusals by a caller's own policies, in report order.
    pub const LOCAL_REJECTIONS: [Outcome; 5] = [
        Outcome::CircuitOpen,
        Outcome::BulkheadFull,
        Outcome::RateLimited,
        Outcome::Throttled,
        Outcome::LimitExceeded,
    ];

    /// Whether the caller's own policies refused it before it left.
    pub fn is_local_rejection(self) -> bool {
        matches!(
            self,
            Outcome::CircuitOpen
                | Outcome::BulkheadFull
                | Outcome::RateLimited
                | Outcome::Throttled
                | Outcome::LimitExceeded
        )
    }

    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Rejected => "rejected",
            Outcome::Unavailable => "unavailable",
            Outcome::Crashed => "crashed",
            Outcome::Injected => "injected",
            Outcome::Timeout => "timeout",
            Outcome::Expired => "expired",
            Outcome::Corrupted => "corrupted",
            Outcome::Dependency => "dependency",
            Outcome::CircuitOpen => "circuit_open",
            Outcome::BulkheadFull => "bulkhead_full",
            Outcome::RateLimited => "rate_limited",
            Outcome::Throttled => "throttled",
            Outcome::LimitExceeded => "limit_exceeded",
            Outcome::Shed => "shed",
            Outcome::Fallback => "fallback",
        }
    }
}

/// Counts indexed by [`Outcome`].
pub type OutcomeCounts = [u64; Outcome::COUNT];

/// Why a server shed a request; indexes [`ServiceStats::shed`](crate::ServiceStats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[repr(u8)]
pub enum ShedReason {
    /// Too many requests queued on arrival.
    QueueLength,
    /// Waited longer than the bound on queue wait.
    QueueWait,
    /// CoDel dropped it at dequeue.
    CoDel,
    /// Its controlled-delay timeout (adaptive LIFO) ran out in the queue.
    ControlledDelay,
    /// Its priority class was shed (on arrival, or evicted by a higher class).
    Criticality,
    /// The instance was at its concurrency limit.
    ConcurrencyLimit,
    /// Its tenant was over its rate.
    TenantRate,
    /// A user's server policy shed it.
    Custom,
}

impl ShedReason {
    /// How many reasons there are.
    pub const COUNT: usize = 8;
    /// Every reason, in index order.
    pub const ALL: [ShedReason; 8] = [
        ShedReason::QueueLength,
        ShedReason::QueueWait,
        ShedReason::CoDel,
        ShedReason::ControlledDelay,
        ShedReason::Criticality,
        ShedReason::ConcurrencyLimit,
        ShedReason::TenantRate,
        ShedReason::Custom,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            ShedReason::QueueLength => "queue_length",
            ShedReason::QueueWait => "queue_wait",
            ShedReason::CoDel => "codel",
            ShedReason::ControlledDelay => "controlled_delay",
            ShedReason::Criticality => "criticality",
            ShedReason::ConcurrencyLimit => "concurrency_limit",
            ShedReason::TenantRate => "tenant_rate",
            ShedReason::Custom => "custom",
        }
    }
}
