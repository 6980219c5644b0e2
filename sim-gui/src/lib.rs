//! # sim-gui: Faultline's teaching GUI
//!
//! Every bundled scenario is a lesson: its header comment beside a live view of the system —
//! clients and services in columns by call depth, each instance's workers and queue — with
//! playback (play, pause, step, speed, seed), fault buttons that add a fault at the current
//! simulated time (and to the scenario), and live charts.
//!
//! The GUI is a client of the library: it runs the same `Simulation<World>` as `faultline run`,
//! watched by an observer ([`animator::Animator`]), so watching changes no result.
//!
//! Files: [`lesson`] (lessons from scenario files), [`session`] (a run and its playback, no
//! drawing), [`timeline`] (checkpoints to drag back to), [`animator`] (the observer), [`app`] (the window), [`compare`] (A/B: a variant in lockstep), [`topology`], [`charts`],
//! [`knobs`] (sliders from the scenario's numbers), [`policies`] (one-click breakers and budgets), [`faults`] (how faults are described), [`text`] (scenario text in the GUI's fonts).
#![warn(missing_docs)]

pub mod animator;
pub mod app;
pub mod charts;
pub mod compare;
pub mod faults;
pub mod knobs;
pub mod lesson;
pub mod policies;
pub mod session;
pub mod text;
pub mod timeline;
pub mod topology;

pub use app::FaultlineApp;
