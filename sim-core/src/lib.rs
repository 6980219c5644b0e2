//! # sim-core: Faultline's deterministic discrete-event engine
//!
//! The engine knows nothing of services, requests or retries. It gives a model:
//!
//! - **integer time** ([`SimTime`], [`SimDuration`]): nanoseconds, parsed from `"250ms"`-style text;
//! - **an event loop** ([`Simulation`]) over a model's own event enum ([`Model`]), ordered by
//!   `(time, sequence number)`, with lazy cancellation ([`EventQueue`]);
//! - **run limits** ([`RunLimits`]) that stop a run cleanly and say why ([`StopReason`]);
//! - **seeded randomness** ([`RngFactory`]): one ChaCha8 stream per component, derived from the
//!   scenario seed and the component's name;
//! - **distributions** ([`Distribution`]) of durations;
//! - **measurement**: [`Histogram`] (≤ 0.4% quantile error), [`Gauge`] (time-weighted levels),
//!   [`CountSeries`]/[`LevelSeries`] (fixed-bucket time series), [`student_t_interval`];
//! - **a determinism self-check** ([`verify_determinism`]) that names the first diverging event.
//!
//! ```
//! use sim_core::*;
//!
//! /// An M/M/1 queue in twenty lines: the shape every Faultline model takes.
//! struct Mm1 { arrivals: Sampler, service: Sampler, rng: SimRng, queued: u64, busy: bool, served: u64 }
//! #[derive(Clone, Copy, Debug, Hash)]
//! enum Ev { Arrive, Depart }
//!
//! impl Model for Mm1 {
//!     type Event = Ev;
//!     fn init(&mut self, ctx: &mut Context<Ev>) {
//!         let dt = self.arrivals.sample(&mut self.rng);
//!         ctx.schedule_in(dt, Ev::Arrive);
//!     }
//!     fn handle(&mut self, ev: Ev, ctx: &mut Context<Ev>) {
//!         match ev {
//!             Ev::Arrive => {
//!                 let dt = self.arrivals.sample(&mut self.rng);
//!                 ctx.schedule_in(dt, Ev::Arrive);
//!                 if self.busy { self.queued += 1 } else {
//!                     self.busy = true;
//!                     ctx.schedule_in(self.service.sample(&mut self.rng), Ev::Depart);
//!                 }
//!             }
//!             Ev::Depart => {
//!                 self.served += 1;
//!                 if self.queued > 0 {
//!                     self.queued -= 1;
//!                     ctx.schedule_in(self.service.sample(&mut self.rng), Ev::Depart);
//!                 } else { self.busy = false }
//!             }
//!         }
//!     }
//! }
//!
//! let exp = |ms| Distribution::Exponential { mean: SimDuration::from_millis(ms) }.sampler().unwrap();
//! let model = Mm1 { arrivals: exp(1000), service: exp(500), rng: RngFactory::new(1).stream("mm1"),
//!                   queued: 0, busy: false, served: 0 };
//! let mut sim = Simulation::new(model, RunLimits { end_time: SimTime(3_600 * NANOS_PER_SEC), ..Default::default() });
//! assert_eq!(sim.run(), StopReason::EndTime);
//! assert!((sim.model().served as f64 - 3600.0).abs() < 300.0);
//! ```
#![warn(missing_docs, unreachable_pub)]

mod bytes;
mod confidence;
mod determinism;
mod digest;
mod distribution;
mod event_queue;
mod gauge;
mod histogram;
mod rng;
mod simulation;
mod time;
mod time_series;
mod ziggurat;

pub use bytes::{ByteSize, ParseByteSizeError};
pub use confidence::{student_t_interval, Interval};
pub use determinism::{verify_determinism, DeterminismReport, Divergence};
pub use digest::{EventDigest, RecordedEvent, StableHasher, CHECKPOINT_EVERY};
pub use distribution::{Distribution, DistributionError, Sampler};
pub use event_queue::{EventId, EventQueue, Scheduled};
pub use gauge::Gauge;
pub use histogram::Histogram;
pub use rng::{open01, stable_hash, RngFactory, SimRng};
pub use simulation::{
    Context, Model, RunLimits, Simulation, StopReason, DEFAULT_MAX_EVENTS_AT_ONE_INSTANT,
};
pub use time::{ParseDurationError, SimDuration, SimTime, NANOS_PER_SEC};
pub use time_series::{BucketSeries, CountSeries, LevelSeries, QuantileSeries, SumSeries};
pub use ziggurat::standard_exponential;
