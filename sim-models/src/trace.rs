//! Sampled request traces: every request, call, attempt, backoff and serving of a sampled
//! request as a [`Span`] linked to its parent, written as Chrome trace-event JSON
//! ([`write_chrome_json`]) for Perfetto and `chrome://tracing`.
//!
//! The [`Tracer`] is plain data and an [`Observer`](crate::Observer): a traced run is a
//! `World<Tracer>` (or a tuple with other observers), and an untraced one compiles the hooks
//! away. It needs no allocation or hashing per event, and the 72-byte `Call` does not grow: span
//! ids of the requests, calls and invocations in flight live in side tables here, indexed by
//! their slot and checked by generation, and are filled only for sampled requests.
//!
//! Whether request number *N* is sampled is a hash of *N* and a key drawn from its own random
//! stream (`trace`), never from a stream the simulation uses: tracing changes no outcome, and
//! the same scenario, seed and rate trace the same requests.
//!
//! The spans of one request form a tree:
//!
//! ```text
//! Request (client send → answer or timeout)
//! └─ Call users→api            the caller's view: send → answer (a bare call or a policy stack)
//!    ├─ Attempt 1               one per attempt through a policy stack; hedges overlap
//!    │  └─ Serve api#0          at the instance: queue wait + work, answer
//!    │     └─ Call api→db       calls the instance makes while serving
//!    │        └─ Serve db#1
//!    ├─ Backoff                 between a failed attempt and the retry
//!    └─ Attempt 2 (retry)
//!       └─ Serve api#1
//! ```
//!
//! A span the caller stopped waiting for ends `abandoned`; the work below it still ends when it
//! ends (its spans are *late*: they end after their parent). Spans still open when the run ends
//! are closed at the end with the outcome `in_flight`.
//!
//! The vocabulary of a trace is in `trace/span.rs` ([`Span`], [`SpanKind`], [`SpanEnd`]) and
//! `trace/config.rs` ([`TraceConfig`]); the recorder, its side tables and its sampling in
//! `trace/tracer.rs`, and its side of the observer's hooks in `trace/hooks.rs`;
//! `trace/chrome.rs` writes the file.

mod chrome;
mod config;
mod hooks;
mod span;
mod tracer;

pub use chrome::write_chrome_json;
pub use config::TraceConfig;
pub use span::{Span, SpanEnd, SpanKind, NO_SPAN};
pub use tracer::Tracer;
