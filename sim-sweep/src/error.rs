//! What can go wrong in a sweep, as data: one enum per step (the arguments, the plan, the memory
//! estimate, the run, the files, a merge), each variant carrying what it names (the path, the
//! value, the limit), and [`SweepError`] over them all. The messages are the ones the command
//! line prints, one line per problem.

use sim_core::ByteSize;
use sim_models::{LoadError, MemoryEstimate, Problems};
use std::path::PathBuf;

/// Why a sweep could not be done: the error of the step that failed. Its message may have
/// several lines, one per problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The arguments or the sweep file.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The grid is too large.
    #[error(transparent)]
    Grid(#[from] GridError),
    /// The sweep does not fit its scenario (a path, a value, a point, the baseline).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The sweep would need more memory than it may have.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// Running the points.
    #[error(transparent)]
    Run(#[from] RunError),
    /// Combining shards.
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// The files of a sweep directory.
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl SweepError {
    /// Whether the machine is at fault (a file that cannot be written or read back, worker
    /// threads that cannot start) rather than the input. The CLI exits with code 1 for these,
    /// with code 2 for the others.
    pub fn is_machine_fault(&self) -> bool {
        matches!(
            self,
            SweepError::Output(OutputError::Write { .. } | OutputError::Copy { .. })
                | SweepError::Run(RunError::Threads { .. })
        )
    }
}

/// Why a `--vary` argument (`PATH=v1,v2,…` or `PATH=lo..hi:step`) could not be read. The
/// message says what is wrong; the caller says where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VaryError {
    /// No `=`.
    #[error("expected PATH=VALUES, e.g. services.db.workers=1,2,4 or warmup=100ms..1s:100ms")]
    NoEquals,
    /// Nothing before the `=`.
    #[error("the field path before `=` is empty")]
    EmptyPath,
    /// Nothing after the `=`.
    #[error("no values after `{path}=`")]
    NoValues {
        /// The field path.
        path: String,
    },
    /// A value of a list is empty.
    #[error("value {position} of the list `{list}` is empty (a stray comma?)")]
    EmptyValue {
        /// The list as written.
        list: String,
        /// The empty value's position, from 1.
        position: usize,
    },
    /// A value appears twice.
    #[error("the value `{value}` appears twice")]
    Repeated {
        /// The value.
        value: String,
    },
    /// A range without `:step`.
    #[error("the range `{range}` has no step: write lo..hi:step, e.g. 1..8:1 or 100ms..1s:100ms")]
    NoStep {
        /// The range as written.
        range: String,
    },
    /// A range with an empty `lo`, `hi` or `step`.
    #[error("the range `{range}` has no {part}: write lo..hi:step")]
    MissingPart {
        /// The range as written.
        range: String,
        /// `lo`, `hi` or `step`.
        part: &'static str,
    },
    /// A part of a range is not a number.
    #[error("the {part} of `{range}` is not a number like 0.25, 10 or 100ms")]
    NotANumber {
        /// The range as written.
        range: String,
        /// `lo`, `hi` or `step`.
        part: &'static str,
    },
    /// The parts of a number range have different suffixes.
    #[error("the range `{range}` mixes units: lo, hi and step must all have the same one")]
    MixedUnits {
        /// The range as written.
        range: String,
    },
    /// A part of a duration range has a unit that is not one.
    #[error("the {part} of `{range}` has the unknown unit `{unit}` (durations: ns, us, ms, s, min, h; rates: /s, /min, …)")]
    UnknownUnit {
        /// The range as written.
        range: String,
        /// `lo`, `hi` or `step`.
        part: &'static str,
        /// The unit as written.
        unit: String,
    },
    /// A part of a duration range is not a whole number of nanoseconds.
    #[error("the {part} of `{range}` is not a whole number of nanoseconds")]
    NotWholeNanoseconds {
        /// The range as written.
        range: String,
        /// `lo`, `hi` or `step`.
        part: &'static str,
    },
    /// A part of a duration range is negative.
    #[error("the {part} of `{range}` is negative: durations cannot be")]
    NegativeDuration {
        /// The range as written.
        range: String,
        /// `lo`, `hi` or `step`.
        part: &'static str,
    },
    /// The step is zero or negative.
    #[error("the step of `{range}` must be positive")]
    StepNotPositive {
        /// The range as written.
        range: String,
    },
    /// `lo` is above `hi`.
    #[error("the range `{range}` is empty: lo is above hi")]
    EmptyRange {
        /// The range as written.
        range: String,
    },
    /// The range has more values than a `--vary` may.
    #[error("the range `{range}` has {count} values; at most {limit} per --vary")]
    TooManyValues {
        /// The range as written.
        range: String,
        /// The values it has.
        count: i128,
        /// The most a `--vary` may have ([`crate::spec::MAX_VALUES`]).
        limit: usize,
    },
}

/// Why a baseline (`INDEX` or `PATH=VALUE,…`) could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// An index too large to be one.
    #[error("`{text}` is too large for a point index")]
    IndexTooLarge {
        /// The index as written.
        text: String,
    },
    /// A part that is neither an index nor `PATH=VALUE`.
    #[error("expected a point index or PATH=VALUE,…, got `{text}`")]
    NotAnAssignment {
        /// The part as written.
        text: String,
    },
}

/// Why the command line or a sweep file does not describe a sweep.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The sweep file or its scenario could not be read (or is too large, or too deeply
    /// nested).
    #[error("{}", read_message(.path, .what, .source))]
    Read {
        /// The file.
        path: PathBuf,
        /// What it is: `file`, or `scenario named in FILE`.
        what: String,
        /// Why it could not be read.
        source: LoadError,
    },
    /// The sweep file is not a `Sweep(…)` as the format says.
    #[error("{file}:{line}:{column}: {message} (a sweep file is Sweep(scenario: \"…\", vary: [\"PATH=VALUES\", …], seeds: N, sets: [..], baseline: \"…\"))")]
    SweepFile {
        /// The file.
        file: String,
        /// Where the parser stopped.
        line: usize,
        /// See `line`.
        column: usize,
        /// What the parser found wrong.
        message: String,
    },
    /// `--vary` given with a sweep file, which has its own vary list.
    #[error("--vary {arg}: {file} is a sweep file, which gives the vary list itself; edit it, or sweep its scenario ({scenario}) directly")]
    VaryWithSweepFile {
        /// The first `--vary` argument.
        arg: String,
        /// The sweep file.
        file: String,
        /// The scenario it names.
        scenario: String,
    },
    /// An entry of a sweep file's vary list cannot be read.
    #[error("{at}: vary.{index} (`{text}`): {source}")]
    SweepFileVary {
        /// `file:line:column` of the entry.
        at: String,
        /// Its index in the list.
        index: usize,
        /// The entry as written.
        text: String,
        /// What is wrong with it (boxed: it would double the size of every sweep `Result`).
        source: Box<VaryError>,
    },
    /// A `--vary` argument cannot be read.
    #[error("--vary {arg}: {source}")]
    Vary {
        /// The argument.
        arg: String,
        /// What is wrong with it (boxed: it would double the size of every sweep `Result`).
        source: Box<VaryError>,
    },
    /// A baseline cannot be read.
    #[error("{place}: {source}")]
    Baseline {
        /// Where it is written: `--baseline B`, or `file:line:column: baseline (`B`)`.
        place: String,
        /// What is wrong with it.
        source: BaselineError,
    },
    /// A scenario file without `--vary`.
    #[error("{file}: nothing to sweep: give at least one --vary PATH=VALUES (or a sweep file)")]
    NothingToSweep {
        /// The scenario file.
        file: String,
    },
    /// A scenario file without `--seeds`.
    #[error("--seeds N is required: the replications per point (e.g. --seeds 5)")]
    NoSeeds,
    /// `--seeds 0`.
    #[error(
        "--seeds 0: a sweep needs at least one replication per point (2 or more for intervals)"
    )]
    ZeroSeeds,
    /// More replications than a sweep may have.
    #[error("--seeds {seeds}: at most {limit} replications per point (an interval narrows as 1/√n: 1,000 already gives one 14 times tighter than 5)")]
    TooManySeeds {
        /// The replications asked for.
        seeds: u64,
        /// The most a sweep may have ([`crate::spec::MAX_SEEDS`]).
        limit: u64,
    },
    /// An empty vary list.
    #[error("nothing to sweep: the vary list is empty")]
    EmptyVary,
    /// A path varied by two `--vary` arguments.
    #[error("--vary {path}: the path is varied twice; give all its values in one --vary")]
    VariedTwice {
        /// The path.
        path: String,
    },
}

fn read_message(path: &std::path::Path, what: &str, error: &LoadError) -> String {
    match error {
        LoadError::Io { message, .. } => {
            format!("{}: cannot read the {what}: {message}", path.display())
        }
        LoadError::Invalid(errors) => errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// Why the points of a grid cannot be counted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GridError {
    /// More points than a sweep may have.
    #[error("the grid has {} points, more than the {limit} a sweep may have", join(.sizes, " × "))]
    TooManyPoints {
        /// The number of values of each varied field.
        sizes: Vec<usize>,
        /// The most a sweep may have ([`crate::grid::MAX_POINTS`]).
        limit: usize,
    },
}

/// What `--shard` expects.
const SHARD_USAGE: &str = "expected K/N with 1 ≤ K ≤ N, e.g. 1/4 (shards are numbered from 1)";

/// Why a `--shard K/N` argument could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// No `/`.
    #[error("`{arg}`: {usage}", usage = SHARD_USAGE)]
    NoSlash {
        /// The argument.
        arg: String,
    },
    /// `K` or `N` is not a whole number.
    #[error("`{arg}`: the {what} `{text}` is not a whole number; {usage}", usage = SHARD_USAGE)]
    NotANumber {
        /// The argument.
        arg: String,
        /// `shard` or `shard count`.
        what: &'static str,
        /// The part as written.
        text: String,
    },
    /// `N` is 0.
    #[error("`{arg}`: the shard count must be at least 1; {usage}", usage = SHARD_USAGE)]
    NoShards {
        /// The argument.
        arg: String,
    },
    /// `K` is 0 or above `N`.
    #[error("`{arg}`: shard {index} does not exist: shards of {count} are numbered 1 to {count}")]
    NoSuchShard {
        /// The argument.
        arg: String,
        /// `K`.
        index: usize,
        /// `N`.
        count: usize,
    },
}

/// Why a sweep does not fit its scenario. Loader errors are in the user's words: an override
/// from `--vary` is called so.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The scenario with its `--set` overrides does not load.
    #[error("{}", .problems.join("\n"))]
    Scenario {
        /// One line per problem.
        problems: Vec<String>,
    },
    /// The scenario with one varied value does not load.
    #[error("{}", value_message(.arg, .problems))]
    Value {
        /// `PATH=VALUE`.
        arg: String,
        /// One line per problem.
        problems: Vec<String>,
    },
    /// A point (a combination of values) does not load.
    #[error("{}", point_message(*.index, .values, .problems))]
    Point {
        /// The point's index.
        index: usize,
        /// Its values, `path=value, …`.
        values: String,
        /// One line per problem.
        problems: Vec<String>,
    },
    /// `--vary seed`.
    #[error("--vary seed: replications take their seeds from --seeds (seed + 0, 1, …); varying the scenario's seed would change nothing")]
    VariedSeed,
    /// A varied path names no field of the scenario.
    #[error("--vary {path}: the scenario {file} has no field `{path}`{}", did_you_mean(.suggestions))]
    UnknownField {
        /// The path.
        path: String,
        /// The scenario file.
        file: String,
        /// The closest paths, best first (maybe none).
        suggestions: Vec<String>,
    },
    /// A baseline index past the last point.
    #[error("--baseline: point {index} does not exist: the sweep has points 0 to {}", .points - 1)]
    NoSuchBaseline {
        /// The index.
        index: usize,
        /// The points of the sweep.
        points: usize,
    },
    /// A baseline naming a path that is not varied.
    #[error("--baseline: `{path}` is not varied (varied: {})", .varied.join(", "))]
    BaselineNotVaried {
        /// The path.
        path: String,
        /// The varied paths.
        varied: Vec<String>,
    },
    /// A baseline giving a path a value it never takes.
    #[error("--baseline: `{path}` never takes the value `{value}` (its values: {})", .values.join(", "))]
    BaselineValue {
        /// The path.
        path: String,
        /// The value given.
        value: String,
        /// The path's values.
        values: Vec<String>,
    },
    /// A baseline giving a path two values.
    #[error("--baseline: `{path}` is given two different values")]
    BaselineTwoValues {
        /// The path.
        path: String,
    },
    /// A baseline that matches more than one point.
    #[error("--baseline: matches {matching} points; give a value for {} too", .missing.join(", "))]
    BaselineAmbiguous {
        /// The points it matches.
        matching: usize,
        /// The varied paths it gives no value.
        missing: Vec<String>,
    },
}

fn value_message(arg: &str, problems: &[String]) -> String {
    let m = problems.join("\n");
    if m.contains(&format!("--vary {arg}")) {
        m
    } else {
        format!("with --vary {arg}: {m}")
    }
}

fn point_message(index: usize, values: &str, problems: &[String]) -> String {
    problems
        .iter()
        .map(|l| format!("point {index} ({values}): {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = suggestions.iter().map(|h| format!("`{h}`")).collect();
    format!("; did you mean {}?", quoted.join(" or "))
}

/// Why a sweep's memory is refused before it starts.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryError {
    /// The scenario cannot run at all (probed before the sweep is sized).
    #[error("the scenario cannot run: {source}")]
    CannotRun {
        /// Its problems.
        source: Problems,
    },
    /// The estimate exceeds the limit.
    #[error("the sweep would need up to {} of memory, more than {limit} (limits.max_memory, by default half the memory this process may have): {}; lower --jobs, --seeds or the number of --vary values, or raise limits.max_memory (--set limits.max_memory=…) if the machine has the memory", ByteSize(.estimate.total), .estimate.describe(3))]
    Exceeded {
        /// The estimate, by part.
        estimate: MemoryEstimate,
        /// The limit.
        limit: ByteSize,
    },
}

/// The first field in which two manifests describe different sweeps, with both values as
/// compact JSON.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} differs: {this} vs {other}")]
pub struct ManifestDifference {
    /// The field (`seeds`, `vary`, …).
    pub field: &'static str,
    /// Its value in the manifest compared.
    pub this: String,
    /// Its value in the manifest compared with.
    pub other: String,
}

/// Why a sweep could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// `--jobs 0`.
    #[error("--jobs 0: at least one worker is needed")]
    NoWorkers,
    /// The output directory holds a sweep and `--resume` was not given.
    #[error("--out {}: the directory already holds a sweep (sweep.json); pass --resume to continue it, or choose another --out", .dir.display())]
    AlreadyASweep {
        /// The directory.
        dir: PathBuf,
    },
    /// `--resume` of a directory that holds another sweep.
    #[error("--resume: {} describes another sweep than this command: {difference} (now vs then); use another --out, or remove the directory", .manifest.display())]
    OtherSweep {
        /// Its `sweep.json`.
        manifest: PathBuf,
        /// How this sweep's manifest differs from it.
        difference: ManifestDifference,
    },
    /// A run failed.
    #[error("point {point} ({values}), seed {seed}: {source}")]
    Failed {
        /// The point's index.
        point: usize,
        /// Its values, `path=value, …`.
        values: String,
        /// The seed.
        seed: u64,
        /// Why the run failed.
        source: Problems,
    },
    /// The worker threads could not start.
    #[error("cannot start the worker threads: {source}")]
    Threads {
        /// Why.
        source: rayon::ThreadPoolBuildError,
    },
}

/// Why shard directories could not be merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// No directory given.
    #[error("merge: give the shard directories to merge")]
    NoDirectories,
    /// A directory without `sweep.json`.
    #[error("{}: no sweep.json: not the output directory of a sweep", .dir.display())]
    NotASweep {
        /// The directory.
        dir: PathBuf,
    },
    /// Two directories hold different sweeps.
    #[error("{} and {} hold different sweeps: {difference}", .dir.display(), .first.display())]
    DifferentSweeps {
        /// The directory that differs.
        dir: PathBuf,
        /// The first directory.
        first: PathBuf,
        /// How `dir`'s manifest differs from `first`'s.
        difference: ManifestDifference,
    },
    /// A manifest's number of points is not a sweep's.
    #[error("{}: `points: {points}` is not the size of a sweep (1 to {limit})", .manifest.display())]
    BadPointCount {
        /// The manifest.
        manifest: PathBuf,
        /// Its number of points.
        points: usize,
        /// The most a sweep may have ([`crate::grid::MAX_POINTS`]).
        limit: usize,
    },
    /// A directory's point files cannot be listed.
    #[error("{}: cannot list the point files: {source}", .dir.display())]
    ListPoints {
        /// The `points` directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A point file past the sweep's last point.
    #[error("{}: point {point} is outside the sweep's {points} points", .path.display())]
    PointOutside {
        /// The file.
        path: PathBuf,
        /// Its point.
        point: usize,
        /// The sweep's points.
        points: usize,
    },
    /// A point in two directories.
    #[error("point {point} is in both {} and {}: each point must come from exactly one shard", .first.display(), .second.display())]
    PointTwice {
        /// The point.
        point: usize,
        /// The first directory holding it.
        first: PathBuf,
        /// The second.
        second: PathBuf,
    },
    /// Points in no directory.
    #[error("{} of {points} points are missing (points {}): a shard has not finished, or its directory was not given", .missing.len(), first_ten(.missing))]
    Missing {
        /// The missing points, in order.
        missing: Vec<usize>,
        /// The sweep's points.
        points: usize,
    },
    /// The output directory holds another sweep.
    #[error("--out {}: the directory holds another sweep ({difference}); choose another --out", .dir.display())]
    OtherSweep {
        /// The directory.
        dir: PathBuf,
        /// How its manifest differs from the merged one.
        difference: ManifestDifference,
    },
}

fn first_ten(points: &[usize]) -> String {
    let shown: Vec<String> = points.iter().take(10).map(|i| i.to_string()).collect();
    let more = if points.len() > 10 { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// Why a point file is not the point a sweep expects there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PointMismatch {
    /// It holds another point.
    #[error("it holds point {found} instead")]
    OtherPoint {
        /// The point it holds.
        found: usize,
    },
    /// Its varied values are another point's.
    #[error("its varied values are not this point's")]
    OtherValues,
    /// Its seeds are not the sweep's.
    #[error("its seeds {found:?} are not the sweep's {expected:?}")]
    OtherSeeds {
        /// Its seeds.
        found: Vec<u64>,
        /// The sweep's.
        expected: Vec<u64>,
    },
}

/// Why a sweep directory's files could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// A file could not be written (the machine's fault).
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A point file could not be read back to be copied (the machine's fault).
    #[error("cannot read {}: {source}", .path.display())]
    Copy {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file of the directory could not be read.
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file of the directory is not what this version writes.
    #[error("{}:{}:{}: not a sweep file of this version: {source}", .path.display(), .source.line(), .source.column())]
    Format {
        /// The file.
        path: PathBuf,
        /// What the JSON parser found wrong, and where.
        source: serde_json::Error,
    },
    /// A point file holds another point than its name says.
    #[error("{}: not this sweep's point {point}: {mismatch}", .path.display())]
    NotThePoint {
        /// The file.
        path: PathBuf,
        /// The point it should hold.
        point: usize,
        /// What differs.
        mismatch: PointMismatch,
    },
    /// The output directory cannot be created.
    #[error("--out {}: cannot create the directory: {source}", .dir.display())]
    CreateDirectory {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The manifest's baseline is not among the points.
    #[error("the baseline point {baseline} is not among the sweep's {points} points")]
    NoBaseline {
        /// The baseline's index.
        baseline: usize,
        /// The points read.
        points: usize,
    },
}

fn join(items: &[usize], separator: &str) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_messages_read_as_before() {
        let unknown = |suggestions: &[&str]| PlanError::UnknownField {
            path: "services.db.wokers".into(),
            file: "a.ron".into(),
            suggestions: suggestions.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            unknown(&[]).to_string(),
            "--vary services.db.wokers: the scenario a.ron has no field `services.db.wokers`"
        );
        assert_eq!(
            unknown(&["services.db.workers", "services.db.instances"]).to_string(),
            "--vary services.db.wokers: the scenario a.ron has no field `services.db.wokers`; \
             did you mean `services.db.workers` or `services.db.instances`?"
        );
        let point = PlanError::Point {
            index: 3,
            values: "a=1, b=2".into(),
            problems: vec!["first".into(), "second".into()],
        };
        assert_eq!(
            point.to_string(),
            "point 3 (a=1, b=2): first\npoint 3 (a=1, b=2): second"
        );
        let value = |problem: &str| PlanError::Value {
            arg: "warmup=9s".into(),
            problems: vec![problem.into()],
        };
        assert_eq!(
            value("a.ron: warmup is longer than the run").to_string(),
            "with --vary warmup=9s: a.ron: warmup is longer than the run"
        );
        assert_eq!(
            value("--vary warmup=9s: not a duration").to_string(),
            "--vary warmup=9s: not a duration"
        );
        let missing = |n: usize| MergeError::Missing {
            missing: (0..n).collect(),
            points: 20,
        };
        assert!(missing(3)
            .to_string()
            .starts_with("3 of 20 points are missing (points 0, 1, 2):"));
        assert!(missing(11)
            .to_string()
            .starts_with("11 of 20 points are missing (points 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, …):"));
        let grid = GridError::TooManyPoints {
            sizes: vec![1000, 1000, 2],
            limit: 1_000_000,
        };
        assert_eq!(
            grid.to_string(),
            "the grid has 1000 × 1000 × 2 points, more than the 1000000 a sweep may have"
        );
    }

    #[test]
    fn only_files_and_threads_are_the_machines_fault() {
        let io = || std::io::Error::other("disk full");
        let write = SweepError::from(OutputError::Write {
            path: "x".into(),
            source: io(),
        });
        assert!(write.is_machine_fault());
        assert_eq!(write.to_string(), "cannot write x: disk full");
        let read = SweepError::from(OutputError::Read {
            path: "x".into(),
            source: io(),
        });
        assert!(!read.is_machine_fault());
        assert!(!SweepError::from(RunError::NoWorkers).is_machine_fault());
        assert!(!SweepError::from(SpecError::ZeroSeeds).is_machine_fault());
    }
}
