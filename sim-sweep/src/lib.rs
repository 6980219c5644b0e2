//! # sim-sweep: searching a scenario's parameters
//!
//! [`tune`] finds the values of a scenario's parameters that optimise one metric while others
//! stay within limits, judged over replications with common random numbers. It works on plain
//! data (candidate values as strings, metrics as maps), so the command line decides what a
//! parameter and a replication mean.
#![warn(missing_docs, unreachable_pub)]

pub mod tune;
