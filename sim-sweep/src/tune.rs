//! The tuner: the values of a few parameters that optimise one metric while others respect
//! their limits, judged over replications.

mod expr;

pub use expr::{closest, parse_value, Comparison, Constraint, Direction, Objective, ParseError};
