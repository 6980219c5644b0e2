//! Any bytes as a scenario file: loading and checking must answer with an error or a scenario,
//! and a scenario that passes must run within its limits — never panic, abort or hang.
//!
//! `cargo +nightly fuzz run scenario fuzz/corpus` (see docs/fuzzing.md); seed the corpus with
//! `scenarios/` and `tests/fuzz-corpus/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim_core::{ByteSize, SimDuration};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = sim_models::load_scenario_str("fuzz.ron", text, &[]) else {
        return;
    };
    // The same bounds as the mutation test: a short run under a small memory limit.
    let mut scenario = loaded.scenario;
    scenario.limits.max_events = Some(5_000);
    scenario.limits.wall_clock = Some(SimDuration::from_secs(2));
    scenario.limits.max_memory = Some(ByteSize::mib(256));
    if let Ok(result) = sim_models::run(&scenario, 1) {
        let _ = result.timeseries_csv();
        let _ = result.policies_csv();
    }
});
