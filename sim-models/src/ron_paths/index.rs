//! The index: every value of a document by its dotted path, and where a path is written.

use super::reader::{nodes, Node};

/// Every value of a document, by path, in document order.
#[derive(Clone, Debug, Default)]
pub(crate) struct RonIndex {
    pub(crate) nodes: Vec<Node>,
}

impl RonIndex {
    /// Indexes `text`. A malformed document gives the part read before the fault.
    pub(crate) fn new(text: &str) -> RonIndex {
        RonIndex { nodes: nodes(text) }
    }

    /// The node at exactly `path`.
    pub(crate) fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.path == path)
    }

    /// Where `path` is written — the offsets of its field name, and the start and end of its
    /// value — or, if the document leaves it out, of its nearest existing ancestor.
    pub(crate) fn locate(&self, path: &str) -> Option<(usize, usize, usize)> {
        let mut p = path;
        loop {
            if let Some(n) = self.get(p) {
                return Some((n.key, n.start, n.end));
            }
            match p.rfind('.') {
                Some(i) => p = &p[..i],
                None => return self.get("").map(|n| (n.key, n.start, n.end)),
            }
        }
    }

    /// Every path in the document, for suggestions.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        self.nodes
            .iter()
            .map(|n| n.path.as_str())
            .filter(|p| !p.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ron_paths::{line_col, DOC};

    #[test]
    fn paths_cover_fields_keys_items_and_variants() {
        let idx = RonIndex::new(DOC);
        for p in [
            "name",
            "clients.users.rate",
            "clients.users.schedule.0.at",
            "services.db.workers",
            "services.db.service_time.mean",
            "services.db.capacity",
        ] {
            assert!(
                idx.get(p).is_some(),
                "missing {p}: {:?}",
                idx.paths().collect::<Vec<_>>()
            );
        }
        let n = idx.get("services.db.workers").unwrap();
        assert_eq!(&DOC[n.start..n.end], "2");
        assert_eq!(line_col(DOC, n.key), (8, 16));
    }

    #[test]
    fn missing_paths_locate_at_their_nearest_ancestor() {
        let idx = RonIndex::new(DOC);
        let db = idx.get("services.db").unwrap();
        assert_eq!(
            idx.locate("services.db.routes.0.to"),
            Some((db.key, db.start, db.end))
        );
    }
}
