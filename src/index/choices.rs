//! Disjunctive facet counts, as Meilisearch and Elasticsearch give them:
//! for every value a filter control offers, how many results the same
//! search would have if that value were clicked. Within an axis values
//! combine with OR, so clicking an unchosen value widens the axis and
//! clicking a chosen one takes it out; the kind control replaces its value.
//!
//! Counting over the current result set (as [`super::SearchResults::facets`]
//! does) cannot give these numbers: the other values of a filtered axis
//! are not in the result at all, and lessons under a type filter are
//! ranked, not filtered, so a plain count promises what a click does not
//! give. Each number here is the total of the toggled search itself, so a
//! count shown is, by construction, the number of results after clicking.

use super::{KnowledgeBase, Retrieval, SearchRequest};
use crate::error::Result;
use crate::record::Kind;
use crate::typology::{Axis, Class, Sector};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// The value of the kind control that sets no kind.
pub const ALL_KINDS: &str = "all";

/// For each filter (`kind`, `function`, `mode`, `challenge`, `sector`), each
/// value's total after clicking it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Choices {
    /// Filter → value → total after toggling it. `kind` has `all`,
    /// `partnership` and `lesson`.
    pub counts: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// Whether every count is exact: a hybrid search counts the records
    /// found by meaning among a pool of nearest ones, so a count past the
    /// pool is a lower bound.
    pub exact: bool,
}

impl Choices {
    /// The total after clicking `value` of `filter`, if counted.
    pub fn get(&self, filter: &str, value: &str) -> Option<u64> {
        self.counts.get(filter)?.get(value).copied()
    }
}

/// One click a control offers: which filter and value, and the request it
/// leads to.
struct Toggle {
    filter: &'static str,
    value: String,
    request: SearchRequest,
}

/// Every click the controls offer on `req`.
fn toggles(req: &SearchRequest) -> Vec<Toggle> {
    let mut out = Vec::new();
    for kind in [None, Some(Kind::Partnership), Some(Kind::Lesson)] {
        let mut r = req.clone();
        r.kind = kind;
        out.push(Toggle {
            filter: "kind",
            value: kind.map_or(ALL_KINDS, |k| k.name()).to_string(),
            request: r,
        });
    }
    for axis in Axis::ALL {
        for name in axis.classes() {
            let class = Class::parse(axis, name).expect("a class of its own axis");
            let mut r = req.clone();
            r.toggle_label(class);
            out.push(Toggle {
                filter: axis.name(),
                value: name.to_string(),
                request: r,
            });
        }
    }
    for sector in Sector::ALL {
        let mut r = req.clone();
        r.toggle_sector(*sector);
        out.push(Toggle {
            filter: "sector",
            value: sector.name().to_string(),
            request: r,
        });
    }
    out
}

impl KnowledgeBase {
    /// The disjunctive counts of `req`'s filter controls, searched with the
    /// retrieval the search itself used (`used`, from
    /// [`super::RetrievalNote::used`]; lexical when there was none).
    ///
    /// A lexical count is one count-only query per value (about twenty,
    /// run in parallel, no ranking, no stored fields read); a semantic or
    /// hybrid one is the whole search per value, its query embedded once.
    pub fn choices(&self, req: &SearchRequest, used: Retrieval) -> Result<Choices> {
        req.check()?;
        let searcher = self.searcher();
        let (typed, _) = super::search::cut_query(&req.query);
        let text = match used {
            Retrieval::Lexical => Some(self.read_query(&searcher, typed)?.query),
            _ => None,
        };
        let counted: Vec<Result<(&'static str, String, u64, bool)>> = toggles(req)
            .into_par_iter()
            .map(|t| {
                let (total, exact) = match &text {
                    Some(text) => (
                        self.count_matching(&searcher, &t.request, text.as_deref())?,
                        true,
                    ),
                    None => {
                        let found = self.search_with(
                            &SearchRequest {
                                limit: 1,
                                offset: 0,
                                facets: true,
                                ..t.request
                            },
                            used,
                        )?;
                        (found.total, found.total_exact)
                    }
                };
                Ok((t.filter, t.value, total, exact))
            })
            .collect();
        let mut choices = Choices {
            counts: BTreeMap::new(),
            exact: true,
        };
        for c in counted {
            let (filter, value, total, exact) = c?;
            choices
                .counts
                .entry(filter)
                .or_default()
                .insert(value, total);
            choices.exact &= exact;
        }
        Ok(choices)
    }
}
