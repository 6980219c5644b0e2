//! The environment variables an experiment reads when it runs, as proptest and madsim users
//! expect to steer a seeded search from outside the test.

use crate::error::ExperimentError;

/// Environment variable that sets the number of cases, over [`Experiment::seeds`](crate::Experiment::seeds).
pub const CASES_VAR: &str = "FAULTLINE_CASES";
/// Environment variable that sets the seed of the search (which cases are drawn).
pub const SEED_VAR: &str = "FAULTLINE_SEED";
/// Environment variable that caps the runs spent shrinking a failure.
pub const SHRINK_VAR: &str = "FAULTLINE_SHRINK_RUNS";

/// The whole number in environment variable `name`, if set.
pub(crate) fn env_number(name: &'static str) -> Result<Option<u64>, ExperimentError> {
    let Some(raw) = std::env::var_os(name) else {
        return Ok(None);
    };
    let value = raw.to_string_lossy().into_owned();
    value
        .trim()
        .parse()
        .map(Some)
        .map_err(|_| ExperimentError::Env { name, value })
}
