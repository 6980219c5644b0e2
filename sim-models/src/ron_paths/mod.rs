//! Where each field of a RON document is, by its dotted path.
//!
//! serde and `ron` tell us *that* a value is wrong and, for syntax errors, *where*; but checks made
//! after deserialising (an unknown service, zero workers) know only the field path, e.g.
//! `services.db.workers`. This small reader walks the (already valid) RON text and records the byte
//! span of every value by path, so such errors can be reported at `file:line:column`. The same index
//! lets `--set PATH=VALUE` splice a new value into the text, so that overrides go through exactly the
//! same parser and checks as the file itself.
//!
//! Paths: struct fields and map keys by name, list and tuple items by index (`schedule.0.rate`).
//! Enum variants add no segment: the fields of `Exponential(mean: "1s")` at `service_time` are
//! `service_time.mean`. `Some(x)` is transparent.
//!
//! `reader.rs` walks the text (`Node`s, each a [`Kind`]); `index.rs` holds them by path
//! ([`RonIndex`]); `splice.rs` sets a value at a path and maps offsets in the result back to the
//! file; `position.rs` converts offsets to lines and columns, and `hints.rs` finds what an error
//! message can add (an unclosed bracket, nesting too deep, an unquoted unit, a name that was
//! probably meant).

mod hints;
mod index;
mod position;
mod reader;
mod splice;

pub(crate) use hints::{closest, too_deep, unclosed_bracket, unquoted_unit_near};
pub(crate) use index::RonIndex;
pub(crate) use position::{line_col, offset_of};
pub(crate) use reader::{whitespace_len, Kind, NESTING_CEILING};
pub(crate) use splice::{origin, splice, Origin, Splice};

/// A small scenario for the tests: comments (nested ones too), a variant, `Some`, a list.
#[cfg(test)]
const DOC: &str = r#"// a comment
Scenario(
    name: "x", /* block /* nested */ */
    clients: {
        "users": Open(rate: 0.9, target: "db", schedule: [Step(at: "10s", rate: 2.0)]),
    },
    services: {
        "db": (workers: 2, service_time: Exponential(mean: "1s"), capacity: Some(10)),
    },
)
"#;
