//! Lessons: every bundled scenario is one. Its header comment is the lesson's text, and the
//! points after "What to look for" are shown as a list beside the view.

use std::path::{Path, PathBuf};

/// One lesson: a scenario file and what its header says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lesson {
    /// The file's stem, or its path under `scenarios/` without `.ron` (`faults/instance-crash`).
    pub name: String,
    /// The scenario file.
    pub path: PathBuf,
    /// The header comment before the "What to look for" points, as paragraphs.
    pub text: String,
    /// The "What to look for" points, one per entry.
    pub look_for: Vec<String>,
    /// The scenario's text.
    pub source: String,
}

/// The most bytes a lesson file may have: the scenario loader's own limit applies later.
const MAX_BYTES: u64 = 4 << 20;

impl Lesson {
    /// The lesson in `path`, named `name`.
    pub fn read(path: &Path, name: &str) -> Result<Lesson, String> {
        let size = std::fs::metadata(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        if size > MAX_BYTES {
            return Err(format!("{}: larger than {MAX_BYTES} bytes", path.display()));
        }
        let source =
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (text, look_for) = header(&source);
        Ok(Lesson {
            name: name.to_string(),
            path: path.to_path_buf(),
            text,
            look_for,
            source,
        })
    }
}

/// Every runnable scenario under `root` (sweep files left out), sorted by name.
pub fn bundled(root: &Path) -> Vec<Lesson> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "ron") {
                let rel = path.strip_prefix(root).unwrap_or(&path).with_extension("");
                let name = rel.to_string_lossy().replace('\\', "/");
                if let Ok(lesson) = Lesson::read(&path, &name) {
                    if !is_sweep(&lesson.source) && !stores_only(&lesson) {
                        found.push(lesson);
                    }
                }
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Whether the lesson's scenario has stores and no services: the GUI draws services, so it
/// would have nothing to show (stores are run from the command line).
fn stores_only(lesson: &Lesson) -> bool {
    sim_models::load_scenario_str(&lesson.name, &lesson.source, &[])
        .is_ok_and(|l| l.scenario.services.is_empty() && !l.scenario.stores.is_empty())
}

/// Whether `source` is a sweep file (`Sweep(…)` after the comments), not a scenario.
fn is_sweep(source: &str) -> bool {
    source
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//"))
        .is_some_and(|l| l.starts_with("Sweep("))
}

/// The header comment of `source`: its text, and the points after "What to look for".
fn header(source: &str) -> (String, Vec<String>) {
    let comment: Vec<&str> = source
        .lines()
        .map(str::trim_start)
        .take_while(|l| l.starts_with("//"))
        .map(|l| {
            l.trim_start_matches('/')
                .strip_prefix(' ')
                .unwrap_or(l.trim_start_matches('/'))
        })
        .collect();
    let mut text = String::new();
    let mut look_for: Vec<String> = Vec::new();
    let mut in_points = false;
    for line in comment {
        if line.starts_with("What to look for") {
            in_points = true;
            continue;
        }
        if in_points {
            if let Some(point) = line.strip_prefix("- ") {
                look_for.push(point.trim().to_string());
                continue;
            }
            if line.starts_with("  ") {
                if let Some(last) = look_for.last_mut() {
                    last.push(' ');
                    last.push_str(line.trim());
                    continue;
                }
            }
            in_points = false;
        }
        if !text.is_empty() {
            text.push(if line.trim().is_empty() { '\n' } else { ' ' });
        }
        text.push_str(line.trim());
    }
    (text.trim().to_string(), look_for)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_splits_into_text_and_points_to_look_for() {
        let source = "// A cascade. The db slows down\n// and the front end fails.\n// What to look for (faultline run x.ron):\n// - the db saturates\n//   at 60 s;\n// - users time out.\n// Try a breaker.\nScenario()\n";
        let (text, points) = header(source);
        assert_eq!(
            text,
            "A cascade. The db slows down and the front end fails. Try a breaker."
        );
        assert_eq!(points, ["the db saturates at 60 s;", "users time out."]);
    }

    #[test]
    fn every_bundled_scenario_is_a_lesson_and_sweep_files_are_not() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let lessons = bundled(&root);
        let names: Vec<&str> = lessons.iter().map(|l| l.name.as_str()).collect();
        assert!(names.contains(&"cascade"), "{names:?}");
        assert!(names.contains(&"faults/instance-crash"), "{names:?}");
        assert!(!names.iter().any(|n| n.starts_with("sweeps/")), "{names:?}");
        let cascade = lessons.iter().find(|l| l.name == "cascade").unwrap();
        assert!(!cascade.look_for.is_empty(), "{cascade:?}");
        assert!(
            lessons.iter().all(|l| !l.text.is_empty()),
            "every lesson has a text"
        );
    }
}
