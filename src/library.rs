//! `faultline scenarios`: the bundled library at a glance — every scenario, sweep and tuning
//! file under a directory, with the first sentence of the header that says what it shows, and
//! its `-fixed` variant (listed on its line, not on one of its own) where it has one.

use crate::Failure;
use std::path::{Path, PathBuf};

/// Longest summary printed, in characters.
const SUMMARY_CHARS: usize = 110;

/// The library under `dir` as text, one line per file, grouped by folder.
pub(crate) fn list(dir: &Path) -> Result<String, Failure> {
    if !dir.is_dir() {
        return Err(Failure::Input(format!(
            "error: {}: no scenario library there (run from the repository's root, or give the library's directory: faultline scenarios PATH)",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    walk(dir, &mut files)
        .map_err(|e| Failure::Internal(format!("error: {}: {e}", dir.display())))?;
    // The top folder first, then each subfolder; a `-fixed` variant rides on its base's line.
    files.sort_by_key(|f| {
        (
            f.parent().map(Path::to_path_buf),
            f.file_name().map(|n| n.to_owned()),
        )
    });
    files.retain(|f| {
        let name = f.file_name().unwrap_or_default().to_string_lossy();
        !name
            .strip_suffix("-fixed.ron")
            .is_some_and(|base| f.with_file_name(format!("{base}.ron")).exists())
    });
    let width = files
        .iter()
        .map(|f| f.display().to_string().chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let mut folder: Option<PathBuf> = None;
    for f in &files {
        let parent = f.parent().map(Path::to_path_buf);
        if folder.as_ref() != parent.as_ref() {
            let name = parent
                .as_deref()
                .and_then(|p| p.strip_prefix(dir).ok())
                .map(|p| p.display().to_string())
                .filter(|p| !p.is_empty());
            out.push_str(&format!("\n{}\n", heading(name.as_deref())));
            folder = parent;
        }
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let mut line = format!("  {:width$}  {}", f.display().to_string(), summary(&text));
        let fixed = f.with_file_name(format!(
            "{}-fixed.ron",
            f.file_stem().unwrap_or_default().to_string_lossy()
        ));
        if fixed.exists() {
            line.push_str(&format!(
                " [fixed: {}]",
                fixed.file_name().unwrap_or_default().to_string_lossy()
            ));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    Ok(out.trim_start().to_string())
}

fn heading(folder: Option<&str>) -> String {
    match folder {
        None => "scenarios (faultline run FILE)".into(),
        Some("sweeps") => "sweeps (faultline sweep FILE)".into(),
        Some("tuning") => "tuning (faultline tune FILE)".into(),
        Some(other) => format!("{other} (faultline run FILE)"),
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // Not through symbolic links: a link to a parent would never end.
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "ron") {
            out.push(path);
        }
    }
    Ok(())
}

/// The first sentence of a file's leading comment, on one line.
fn summary(text: &str) -> String {
    let mut header = String::new();
    for line in text.lines() {
        let Some(comment) = line.trim_start().strip_prefix("//") else {
            break;
        };
        let comment = comment.trim();
        if comment.is_empty() {
            break;
        }
        if !header.is_empty() {
            header.push(' ');
        }
        header.push_str(comment);
    }
    if header.is_empty() {
        return "(no header)".into();
    }
    let end = header
        .match_indices(". ")
        .map(|(i, _)| i + 1)
        .next()
        .unwrap_or(header.len());
    let first = &header[..end];
    if first.chars().count() > SUMMARY_CHARS {
        let cut: String = first.chars().take(SUMMARY_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        first.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn the_summary_is_the_headers_first_sentence_across_lines() {
        let text =
            "// An autoscaler that reacts\n// too late. Users -> api.\n//\n// More.\nScenario()";
        assert_eq!(summary(text), "An autoscaler that reacts too late.");
        assert_eq!(summary("Scenario()"), "(no header)");
        let long = format!("// {}", "word ".repeat(40));
        assert!(summary(&long).ends_with('…'));
        assert_eq!(summary(&long).chars().count(), super::SUMMARY_CHARS);
    }
}
