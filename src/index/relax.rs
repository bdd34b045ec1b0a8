//! Help when a filtered search finds nothing: for each filter in force,
//! how many records the same search would find without it. An analyst who
//! combined `accountability` with `implementation` and got nothing sees
//! which one to drop instead of guessing (the page shows each as a
//! button, the CLI as a line).

use super::{KnowledgeBase, Retrieval, SearchRequest};
use crate::error::Result;
use serde::Serialize;

/// One filter to drop, and what dropping it would give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relaxation {
    /// The filter's name, as in the API's parameters: `kind`, `function`,
    /// `mode`, `challenge`, `sector` or `gold_only`.
    pub filter: &'static str,
    /// Its value (`true` for `gold_only`); the values of a filter on
    /// several values of an axis, comma separated (the whole axis is
    /// dropped).
    pub value: String,
    /// Matches of the same search without that filter.
    pub total: u64,
    /// Whether `total` is exact (see [`super::SearchResults::total_exact`]).
    pub total_exact: bool,
}

impl SearchRequest {
    /// The request without the filter `name` (one of [`Relaxation::filter`]'s
    /// values), when that filter is set.
    fn without(&self, name: &'static str) -> Option<(SearchRequest, String)> {
        let mut r = self.clone();
        let value = match name {
            "kind" => r.kind.take()?.name().to_string(),
            "function" => joined(std::mem::take(&mut r.function))?,
            "mode" => joined(std::mem::take(&mut r.mode))?,
            "challenge" => joined(std::mem::take(&mut r.challenge))?,
            "sector" => joined(std::mem::take(&mut r.sector))?,
            "gold_only" => {
                if !r.gold_only {
                    return None;
                }
                r.gold_only = false;
                "true".to_string()
            }
            _ => return None,
        };
        Some((r, value))
    }
}

/// The values of a filter on one axis as the API takes them (comma
/// separated); `None` when there is no filter on it.
fn joined<T: std::fmt::Display>(values: Vec<T>) -> Option<String> {
    (!values.is_empty()).then(|| {
        values
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",")
    })
}

const FILTERS: [&str; 6] = [
    "kind",
    "function",
    "mode",
    "challenge",
    "sector",
    "gold_only",
];

impl KnowledgeBase {
    /// For each filter of `req` in force, the matches without it, most
    /// first; those that would still find nothing are left out. Each is a
    /// count-only search (no facets, matches counted up to 10,000) with
    /// the same query and retrieval.
    pub fn relaxations(
        &self,
        req: &SearchRequest,
        retrieval: Option<Retrieval>,
    ) -> Result<Vec<Relaxation>> {
        let mut out = Vec::new();
        for name in FILTERS {
            let Some((mut relaxed, value)) = req.without(name) else {
                continue;
            };
            relaxed.limit = 1;
            relaxed.offset = 0;
            relaxed.facets = false;
            let found = self.search_as_asked(&relaxed, retrieval)?;
            if found.total > 0 {
                out.push(Relaxation {
                    filter: name,
                    value,
                    total: found.total,
                    total_exact: found.total_exact,
                });
            }
        }
        out.sort_by(|a, b| b.total.cmp(&a.total).then(a.filter.cmp(b.filter)));
        Ok(out)
    }
}
