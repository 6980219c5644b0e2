//! Seeded mutation testing: every bundled scenario, mangled thousands of ways (byte flips,
//! deleted and duplicated lines, extreme numbers, swapped field names, truncation, deep
//! nesting, odd whitespace), is loaded, checked and — when it passes — run, in a child process
//! under a cap on its address space. Any panic, abort or hang fails the test and names the
//! input; every input that ever failed is kept in `tests/fuzz-corpus/` and replayed first.
//!
//! `FAULTLINE_FUZZ_CASES` (default 30,000) and `FAULTLINE_FUZZ_SEED` (default 1) choose the
//! inputs; failing ones are written to `target/fuzz-failures/`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The address space the child may use: far above what the memory limit it runs under
/// (`CHILD_MAX_MEMORY`) lets a run estimate, so only a wrong estimate or an unbounded
/// allocation reaches it — and then aborts, which the parent reports.
const CHILD_ADDRESS_SPACE: u64 = 3 << 30;
const CHILD_MAX_MEMORY: &str = "256MiB";
/// Events a fuzzed run may process: enough to build everything and exercise the paths.
const CHILD_MAX_EVENTS: u64 = 5_000;
/// An input with no answer for this long is a hang.
const HANG_AFTER: Duration = Duration::from_secs(30);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every bundled scenario file (sweep files excluded), sorted, with its text.
fn bundled() -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![root().join("scenarios")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("scenarios") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "ron") {
                let text = std::fs::read_to_string(&path).expect("read");
                if !text.contains("Sweep(") {
                    files.push((path.display().to_string(), text));
                }
            }
        }
    }
    files.sort();
    files
}

/// The regression corpus: every input that ever failed.
fn corpus() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(root().join("tests/fuzz-corpus"))
        .expect("tests/fuzz-corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        })
        .collect();
    files.sort();
    files
}

const EXTREME_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "2.5",
    "1e300",
    "-1e300",
    "1e-300",
    "NaN",
    "inf",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "100000000",
    "\"1e300s\"",
    "\"999999999h\"",
    "\"NaNs\"",
    "\"-5ms\"",
    "\"1000000000/s\"",
];

const FIELD_NAMES: &[&str] = &[
    "instances",
    "workers",
    "duration",
    "warmup",
    "rate",
    "capacity",
    "max_in_flight",
    "bucket",
    "window",
    "max_attempts",
    "timeout",
    "users",
    "probability",
    "max_memory",
    "max_events",
];

/// Input `index` of the generated series: a bundled scenario with one to three mutations, and
/// what was done to it.
fn generate(seed: u64, index: u64, sources: &[(String, String)]) -> (String, String) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ index);
    let (name, text) = &sources[rng.random_range(0..sources.len())];
    let mut text = text.clone().into_bytes();
    let mut done = vec![name.clone()];
    for _ in 0..rng.random_range(1..=3) {
        let what = mutate(&mut rng, &mut text);
        done.push(what);
    }
    (
        done.join(" + "),
        String::from_utf8_lossy(&text).into_owned(),
    )
}

/// One mutation of `text`, described.
fn mutate(rng: &mut ChaCha8Rng, text: &mut Vec<u8>) -> String {
    let lines = |t: &[u8]| -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, &b) in t.iter().enumerate() {
            if b == b'\n' {
                out.push((start, i + 1));
                start = i + 1;
            }
        }
        if start < t.len() {
            out.push((start, t.len()));
        }
        out
    };
    if text.is_empty() {
        text.extend_from_slice(b"(");
        return "empty: an opening bracket".into();
    }
    match rng.random_range(0..9) {
        0 => {
            let at = rng.random_range(0..text.len());
            let bit = 1u8 << rng.random_range(0..8);
            text[at] ^= bit;
            format!("flip bit {bit:#x} at byte {at}")
        }
        1 => {
            let ls = lines(text);
            let (a, b) = ls[rng.random_range(0..ls.len())];
            text.drain(a..b);
            format!("delete bytes {a}..{b}")
        }
        2 => {
            let ls = lines(text);
            let (a, b) = ls[rng.random_range(0..ls.len())];
            let copy = text[a..b].to_vec();
            let reps = rng.random_range(1..=3);
            for _ in 0..reps {
                text.splice(b..b, copy.iter().copied());
            }
            format!("duplicate bytes {a}..{b} ×{reps}")
        }
        3 | 4 => {
            // Replace a number (or a quoted duration/rate) with an extreme one.
            let numbers: Vec<(usize, usize)> = tokens(text, |b| b.is_ascii_digit() || b == b'.');
            if numbers.is_empty() {
                return "no number to replace".into();
            }
            let (a, b) = numbers[rng.random_range(0..numbers.len())];
            let (a, b) = widen_to_quotes(text, a, b);
            let new = EXTREME_NUMBERS[rng.random_range(0..EXTREME_NUMBERS.len())];
            text.splice(a..b, new.bytes());
            format!("number at {a} -> {new}")
        }
        5 => {
            let words: Vec<(usize, usize)> =
                tokens(text, |b| b.is_ascii_alphanumeric() || b == b'_')
                    .into_iter()
                    .filter(|&(_, b)| text.get(b) == Some(&b':'))
                    .collect();
            if words.is_empty() {
                return "no field to rename".into();
            }
            let (a, b) = words[rng.random_range(0..words.len())];
            let new = FIELD_NAMES[rng.random_range(0..FIELD_NAMES.len())];
            text.splice(a..b, new.bytes());
            format!("field at {a} -> {new}")
        }
        6 => {
            let at = rng.random_range(0..=text.len());
            text.truncate(at);
            format!("truncate at {at}")
        }
        7 => {
            let at = rng.random_range(0..=text.len());
            let depth = rng.random_range(1..=400);
            let open = ["(", "[", "{"][rng.random_range(0..3)];
            text.splice(at..at, open.repeat(depth).bytes());
            format!("{depth} × {open} at {at}")
        }
        _ => {
            let at = rng.random_range(0..=text.len());
            let odd = [
                "\u{b}", "\u{c}", "\r", "\u{a0}", "\u{2028}", "\u{feff}", "\0", "\t",
            ][rng.random_range(0..8)];
            text.splice(at..at, odd.bytes());
            format!("{odd:?} at {at}")
        }
    }
}

/// Spans of bytes for which `keep` holds, at least one byte long.
fn tokens(text: &[u8], keep: impl Fn(u8) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if keep(text[i]) {
            let start = i;
            while i < text.len() && keep(text[i]) {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

/// A number inside a quoted string (`"250ms"`) is replaced with the whole string.
fn widen_to_quotes(text: &[u8], a: usize, b: usize) -> (usize, usize) {
    if a > 0 && text[a - 1] == b'"' {
        if let Some(end) = text[b..].iter().position(|&c| c == b'"' || c == b'\n') {
            if text[b + end] == b'"' {
                return (a - 1, b + end + 1);
            }
        }
    }
    (a, b)
}

/// What the child does with one input: load and check it, and run it if it passes, within
/// bounds set here (the memory limit, a few thousand events, two seconds).
fn exercise(name: &str, text: &str) -> &'static str {
    let Ok(loaded) = sim_models::load_scenario_str(name, text, &[]) else {
        return "refused";
    };
    let mut scenario = loaded.scenario;
    scenario.limits.max_events = Some(CHILD_MAX_EVENTS);
    scenario.limits.wall_clock = Some("2s".parse().expect("a duration"));
    scenario.limits.max_memory = Some(CHILD_MAX_MEMORY.parse().expect("an amount"));
    match sim_models::run(&scenario, 1) {
        Ok(result) => {
            // The outputs are part of the run: write them as the CLI would.
            let _ = result.timeseries_csv();
            let _ = result.policies_csv();
            "ran"
        }
        Err(_) => "refused at run",
    }
}

/// The inputs of this run: the corpus, then the generated ones.
fn input(
    index: u64,
    corpus: &[(String, String)],
    sources: &[(String, String)],
    seed: u64,
) -> (String, String) {
    match corpus.get(index as usize) {
        Some(c) => c.clone(),
        None => generate(seed, index - corpus.len() as u64, sources),
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The child's side: runs inputs `from..to`, saying `begin i` before each and `end i OUTCOME`
/// after, so the parent knows which input a crash or hang belongs to. Panics are caught and
/// reported as `panic i MESSAGE`. Does nothing unless started by the parent.
#[test]
fn fuzz_child() {
    let Ok(range) = std::env::var("FAULTLINE_FUZZ_CHILD") else {
        return;
    };
    let (from, to) = range.split_once("..").expect("from..to");
    let (from, to): (u64, u64) = (from.parse().expect("from"), to.parse().expect("to"));
    let seed = env_u64("FAULTLINE_FUZZ_SEED", 1);
    let (corpus, sources) = (corpus(), bundled());
    std::panic::set_hook(Box::new(|_| {})); // reported below, once, with the input
    let mut out = std::io::stdout().lock();
    for i in from..to {
        let (name, text) = input(i, &corpus, &sources, seed);
        writeln!(out, "begin {i}")
            .and_then(|_| out.flush())
            .expect("stdout");
        let outcome = std::panic::catch_unwind(|| exercise(&name, &text));
        match outcome {
            Ok(what) => writeln!(out, "end {i} {what}"),
            Err(p) => {
                let message = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                writeln!(out, "panic {i} {}", message.replace('\n', " "))
            }
        }
        .and_then(|_| out.flush())
        .expect("stdout");
    }
}

/// A failed input: which, how, and the text.
struct Failure {
    index: u64,
    how: String,
}

/// Runs inputs `from..to` in children under the address-space cap, restarting after a crash
/// or hang, and returns the failures and how many inputs ran.
fn run_children(from: u64, to: u64) -> (Vec<Failure>, u64) {
    use std::os::unix::process::CommandExt;
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut next = from;
    while next < to {
        let mut command = Command::new(std::env::current_exe().expect("test binary"));
        command
            .args([
                "--exact",
                "fuzz_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("FAULTLINE_FUZZ_CHILD", format!("{next}..{to}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // SAFETY: setrlimit is async-signal-safe and touches only the child.
        unsafe {
            command.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: CHILD_ADDRESS_SPACE,
                    rlim_max: CHILD_ADDRESS_SPACE,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = command.spawn().expect("spawn the child");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        let mut current: Option<u64> = None;
        loop {
            match rx.recv_timeout(HANG_AFTER) {
                Ok(line) => {
                    let mut words = line.splitn(3, ' ');
                    let (kind, i) = (words.next(), words.next().and_then(|w| w.parse().ok()));
                    match (kind, i) {
                        (Some("begin"), Some(i)) => current = Some(i),
                        (Some("end"), Some(i)) => {
                            ran += u64::from(words.next() == Some("ran"));
                            current = None;
                            next = i + 1;
                        }
                        (Some("panic"), Some(i)) => {
                            failures.push(Failure {
                                index: i,
                                how: format!("panic: {}", words.next().unwrap_or("")),
                            });
                            current = None;
                            next = i + 1;
                        }
                        _ => {}
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let i = current.unwrap_or(next);
                    failures.push(Failure {
                        index: i,
                        how: format!("hang: no answer within {HANG_AFTER:?}"),
                    });
                    next = i + 1;
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().expect("wait");
                    if let Some(i) = current {
                        failures.push(Failure {
                            index: i,
                            how: format!("crash: the process ended with {status}"),
                        });
                        next = i + 1;
                    } else if next < to {
                        // It died making input `next` (before saying `begin`): blame that one.
                        failures.push(Failure {
                            index: next,
                            how: format!(
                                "crash before running it: the process ended with {status}"
                            ),
                        });
                        next += 1;
                    }
                    break;
                }
            }
        }
    }
    (failures, ran)
}

#[test]
fn mutated_scenarios_never_panic_abort_or_hang() {
    if std::env::var("FAULTLINE_FUZZ_CHILD").is_ok() {
        return;
    }
    let cases = env_u64("FAULTLINE_FUZZ_CASES", 30_000);
    let seed = env_u64("FAULTLINE_FUZZ_SEED", 1);
    let (corpus, sources) = (corpus(), bundled());
    assert!(sources.len() >= 10, "bundled scenarios: {}", sources.len());
    assert!(!corpus.is_empty(), "the regression corpus is empty");
    let total = corpus.len() as u64 + cases;
    let (failures, ran) = run_children(0, total);
    println!("{total} inputs (seed {seed}): {ran} passed their check and ran");
    // Mutations that leave nothing runnable would test only the parser.
    assert!(
        ran * 10 >= total,
        "only {ran} of {total} inputs passed their check and ran"
    );
    if failures.is_empty() {
        return;
    }
    let dir = root().join("target/fuzz-failures");
    std::fs::create_dir_all(&dir).expect("target/fuzz-failures");
    let mut report = String::new();
    for f in &failures {
        let (name, text) = input(f.index, &corpus, &sources, seed);
        let file = dir.join(format!("seed{seed}-input{}.ron", f.index));
        std::fs::write(&file, &text).expect("write the failing input");
        report += &format!(
            "\ninput {} ({name}): {}\n  saved as {}",
            f.index,
            f.how,
            file.display()
        );
    }
    panic!(
        "{} of {total} inputs failed (seed {seed}); add each to tests/fuzz-corpus/ once fixed:{report}",
        failures.len()
    );
}

/// `FAULTLINE_FUZZ_DUMP=I` writes input I of the series (after the corpus) to
/// `target/fuzz-failures/` without running anything: to look at one input.
#[test]
fn dump_one_input() {
    let Some(index) = std::env::var("FAULTLINE_FUZZ_DUMP")
        .ok()
        .and_then(|v| v.parse().ok())
    else {
        return;
    };
    let seed = env_u64("FAULTLINE_FUZZ_SEED", 1);
    let (name, text) = input(index, &corpus(), &bundled(), seed);
    let dir = root().join("target/fuzz-failures");
    std::fs::create_dir_all(&dir).expect("target/fuzz-failures");
    let file = dir.join(format!("seed{seed}-input{index}.ron"));
    std::fs::write(&file, text).expect("write");
    println!("{name}: {}", file.display());
}

#[test]
fn mutations_are_reproducible_from_the_seed() {
    let sources = bundled();
    for i in [0, 1, 999] {
        assert_eq!(generate(7, i, &sources), generate(7, i, &sources));
    }
    assert_ne!(generate(7, 0, &sources), generate(8, 0, &sources));
}
