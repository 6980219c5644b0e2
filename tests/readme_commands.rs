//! The README's first two commands are what a newcomer runs; CI must run the same test command.

use std::path::Path;

fn read(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

/// The commands of the README's first `sh` block, without their comments.
fn readme_commands() -> Vec<String> {
    let readme = read("README.md");
    let block = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a first sh block");
    block
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_readme_opens_with_a_run_and_a_test_command() {
    let commands = readme_commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(commands[0].contains(" run scenarios/"), "{commands:?}");
}

#[test]
fn ci_ends_by_running_exactly_the_readmes_test_command() {
    let test = readme_commands().pop().unwrap();
    let ci = read(".ci/run");
    let last = ci
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap();
    assert_eq!(
        last, test,
        ".ci/run must end with the README's test command"
    );
}

#[test]
fn the_test_command_runs_cargo_test_and_the_notebooks() {
    let script = read(&readme_commands().pop().unwrap());
    assert!(
        script.contains("cargo test --workspace --release"),
        "{script}"
    );
    assert!(
        script.contains("--nbmake") && script.contains("notebooks/"),
        "{script}"
    );
}
