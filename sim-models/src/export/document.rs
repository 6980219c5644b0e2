//! The exporter's vocabulary: the libraries, the documents written for them, and what could
//! not be written.

use std::fmt::Write as _;

/// A production library that policies are exported to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Library {
    /// Resilience4j 2.x through its Spring Boot properties (YAML).
    Resilience4j,
    /// gRPC service config (gRFC A6), JSON.
    Grpc,
    /// Envoy v3 cluster and route configuration (YAML).
    Envoy,
}

impl Library {
    /// The library's name.
    pub fn name(self) -> &'static str {
        match self {
            Library::Resilience4j => "Resilience4j",
            Library::Grpc => "gRPC",
            Library::Envoy => "Envoy",
        }
    }

    /// Whether its document is JSON (otherwise YAML).
    pub fn is_json(self) -> bool {
        self == Library::Grpc
    }
}

/// Something that could not be written in the target's configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Untranslated {
    /// The service called on the edge.
    pub target: String,
    /// The layer: its index in the list and kind (`"1 retry"`), or `"call"` for the edge itself.
    pub layer: String,
    /// The parameter and its value (`"retry_on: [Timeout]"`), or the whole layer in RON.
    pub what: String,
    /// Why, and what to do instead.
    pub why: String,
    /// The document it is listed in as a comment, if any.
    pub library: Option<Library>,
}

impl std::fmt::Display for Untranslated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}] {}: {}",
            self.target, self.layer, self.what, self.why
        )
    }
}

/// One configuration document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The library it configures.
    pub library: Library,
    /// The service it is for when the library configures one channel per target (gRPC);
    /// `None` when it covers every edge of the caller.
    pub target: Option<String>,
    /// The text to paste: YAML with its remarks and untranslated entries as leading comments,
    /// or pure JSON.
    pub text: String,
    /// Remarks on the document (differences the target expresses only approximately, defaults
    /// of the library that the simulation did not model), one per entry.
    pub remarks: Vec<String>,
}

/// The configuration of one caller (a client or a service): a document per library used, and
/// what could not be expressed.
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    /// The caller's name in the scenario.
    pub caller: String,
    /// One document per library its edges use (gRPC: one per target), in the order
    /// Resilience4j, gRPC, Envoy.
    pub documents: Vec<Document>,
    /// Every layer or parameter that could not be written, in edge and layer order.
    pub untranslated: Vec<Untranslated>,
}

impl Export {
    /// Every document as one text: YAML as is; JSON preceded by its remarks and untranslated
    /// entries as `#` lines, so nothing is lost when it is printed; untranslated entries that
    /// belong to no document last.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.documents {
            let what = match &d.target {
                Some(t) => format!("{} for {} → {}", d.library.name(), self.caller, t),
                None => format!("{} for {}", d.library.name(), self.caller),
            };
            let _ = writeln!(out, "# ---- {what} ----");
            if d.library.is_json() {
                for r in &d.remarks {
                    comment_lines(&mut out, r);
                }
                for u in self.untranslated.iter().filter(|u| {
                    u.library == Some(d.library) && d.target.as_deref() == Some(u.target.as_str())
                }) {
                    comment_lines(&mut out, &format!("not expressed: {u}"));
                }
            }
            out.push_str(&d.text);
            if !d.text.ends_with('\n') {
                out.push('\n');
            }
        }
        let orphans: Vec<_> = self
            .untranslated
            .iter()
            .filter(|u| u.library.is_none())
            .collect();
        if !orphans.is_empty() {
            let _ = writeln!(
                out,
                "# ---- not expressed in any library, {} ----",
                self.caller
            );
            for u in orphans {
                comment_lines(&mut out, &u.to_string());
            }
        }
        out
    }
}

/// A document before the untranslated entries are known: what each library's writer returns.
pub(super) struct Draft {
    pub(super) library: Library,
    pub(super) target: Option<String>,
    pub(super) remarks: Vec<String>,
    pub(super) body: Body,
}

/// A document's content, built as serde values with keys in a fixed order.
pub(super) enum Body {
    /// YAML, written after a comment header that starts with `title`.
    Yaml {
        title: String,
        value: serde_yaml::Value,
    },
    /// JSON, which has no comments: its remarks stay in [`Document::remarks`].
    Json(serde_json::Value),
}

impl Draft {
    /// The text to paste. YAML: a header of `#` lines (the title, the remarks, then every
    /// untranslated entry of this library) before the serialised document, since serde writes
    /// no comments; JSON: the document alone.
    pub(super) fn finish(self, untranslated: &[Untranslated]) -> Document {
        let text = match &self.body {
            Body::Json(value) => {
                serde_json::to_string_pretty(value).expect("JSON serialises") + "\n"
            }
            Body::Yaml { title, value } => {
                let mut text = String::new();
                comment_lines(&mut text, title);
                for r in &self.remarks {
                    comment_lines(&mut text, r);
                }
                let mine: Vec<&Untranslated> = untranslated
                    .iter()
                    .filter(|u| u.library == Some(self.library))
                    .collect();
                if !mine.is_empty() {
                    text.push_str("# Not expressed here (set by hand, or keep in code):\n");
                    for u in mine {
                        comment_lines(&mut text, &format!("- {u}"));
                    }
                }
                text + &serde_yaml::to_string(value).expect("YAML serialises")
            }
        };
        Document {
            library: self.library,
            target: self.target,
            text,
            remarks: self.remarks,
        }
    }
}

/// `text` as YAML comment lines, one `# ` line per line of text.
fn comment_lines(out: &mut String, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "# {line}");
    }
}
