//! `--set PATH=VALUE`: sets the value at a path in the text, inserting the field if the document
//! leaves it out, and maps offsets in the spliced text back to the file or the `--set`.

use super::hints::closest;
use super::index::RonIndex;
use super::reader::Kind;

/// One `--set` splice: what replaced what, to map error positions back to the original file.
#[derive(Clone, Debug)]
pub(crate) struct Splice {
    pub(crate) start: usize,
    pub(crate) old_len: usize,
    pub(crate) new_len: usize,
}

/// Where an offset in the spliced text came from.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Inside the text of splice `k`.
    Set(usize),
    /// At this offset of the original text.
    Original(usize),
}

/// Maps an offset in text produced by applying `splices` in order back to its origin.
pub(crate) fn origin(splices: &[Splice], mut offset: usize) -> Origin {
    for (k, s) in splices.iter().enumerate().rev() {
        // Inclusive end: ron reports some errors (a wrong type) just after the offending token.
        if offset >= s.start && offset <= s.start + s.new_len && s.new_len > 0 {
            return Origin::Set(k);
        }
        if offset >= s.start + s.new_len {
            offset = offset - s.new_len + s.old_len;
        }
    }
    Origin::Original(offset)
}

/// Sets the value at `path` in `text` to `value` (RON text), inserting the field if the document
/// leaves it out, or appending the item if `path` is one past a list's last item. Fails with a message (and suggestions) when no such place exists.
pub(crate) fn splice(text: &mut String, path: &str, value: &str) -> Result<Splice, String> {
    let index = RonIndex::new(text);
    if let Some(n) = index.get(path).filter(|_| !path.is_empty()) {
        let s = Splice {
            start: n.start,
            old_len: n.end - n.start,
            new_len: value.len(),
        };
        text.replace_range(n.start..n.end, value);
        return Ok(s);
    }
    // The nearest ancestor the document has: insert the missing fields under it, creating any
    // missing structs on the way (`limits.max_events=5` in a file without `limits`).
    let segments: Vec<&str> = path.split('.').collect();
    let nearest = (0..segments.len())
        .rev()
        .find_map(|k| Some((k, index.get(&segments[..k].join("."))?)));
    let insert = nearest.and_then(|(k, parent)| {
        let missing = &segments[k..];
        let nested = missing[1..]
            .iter()
            .rev()
            .fold(value.to_string(), |inner, field| {
                format!("({field}: {inner})")
            });
        match parent.kind {
            Kind::Struct { body } => Some((body, format!("{}: {nested}, ", missing[0]))),
            // Under a map only a whole new entry: a longer missing path there is more likely a
            // misspelt name, which the error below answers with suggestions.
            Kind::Map { body } if missing.len() == 1 => {
                Some((body, format!("{:?}: {nested}, ", missing[0])))
            }
            Kind::Map { .. } => None,
            // One past a list's last item appends an item (`faults.2=…` after two faults).
            Kind::List { append, items }
                if missing.len() == 1 && missing[0].parse() == Ok(items) =>
            {
                let sep = if items == 0 { "" } else { ", " };
                Some((append, format!("{sep}{value}")))
            }
            Kind::List { .. } | Kind::Other => None,
        }
    });
    match insert {
        Some((at, new)) => {
            text.insert_str(at, &new);
            Ok(Splice {
                start: at,
                old_len: 0,
                new_len: new.len(),
            })
        }
        None => {
            let hint = closest(path, index.paths());
            let mut msg = format!("the scenario has no field `{path}`");
            if !hint.is_empty() {
                msg += &format!(
                    "; did you mean {}?",
                    hint.iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                );
            }
            Err(msg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ron_paths::DOC;

    #[test]
    fn splice_replaces_an_existing_value() {
        let mut t = DOC.to_string();
        splice(&mut t, "services.db.workers", "8").unwrap();
        assert!(t.contains("workers: 8,"));
        splice(&mut t, "services.db.capacity", "None").unwrap();
        assert!(t.contains("capacity: None"));
    }

    #[test]
    fn splice_inserts_a_missing_field_and_maps_positions_back() {
        let mut t = DOC.to_string();
        let s = splice(&mut t, "seed", "7").unwrap();
        assert!(t.contains("Scenario(seed: 7, "));
        assert_eq!(
            origin(std::slice::from_ref(&s), s.start + 2),
            Origin::Set(0)
        );
        let after = t.find("name").unwrap();
        assert_eq!(
            origin(&[s], after),
            Origin::Original(DOC.find("name").unwrap())
        );
    }

    #[test]
    fn splice_one_past_a_lists_end_appends_an_item() {
        let mut text = DOC.to_string();
        splice(
            &mut text,
            "clients.users.schedule.1",
            r#"Step(at: "20s", rate: 3.0)"#,
        )
        .unwrap();
        assert!(
            text.contains(r#"schedule: [Step(at: "10s", rate: 2.0), Step(at: "20s", rate: 3.0)]"#)
        );
        let mut empty = "(faults: [ ])".to_string();
        splice(&mut empty, "faults.0", "X").unwrap();
        assert_eq!(empty, "(faults: [X ])");
        let mut trailing = "(faults: [A, B, ])".to_string();
        splice(&mut trailing, "faults.2", "C").unwrap();
        assert_eq!(trailing, "(faults: [A, B, C, ])");
        let err = splice(&mut DOC.to_string(), "clients.users.schedule.2", "X").unwrap_err();
        assert!(err.contains("no field `clients.users.schedule.2`"), "{err}");
    }

    #[test]
    fn splice_creates_missing_parent_structs() {
        let mut t = DOC.to_string();
        splice(&mut t, "limits.max_events", "5").unwrap();
        assert!(t.contains("Scenario(limits: (max_events: 5), "), "{t}");
    }
    #[test]
    fn splice_into_a_path_that_does_not_exist_suggests_real_ones() {
        let mut t = DOC.to_string();
        let e = splice(&mut t, "services.dbb.workers", "3").unwrap_err();
        assert!(e.contains("`services.db.workers`"), "{e}");
    }
}
