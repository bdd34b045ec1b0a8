//! Searching: BM25 over title and text, type filters, facet counts,
//! snippets.

use super::query::QueryNotes;
use super::top_hits;
use super::KnowledgeBase;
use crate::error::{InternalError, Result, UserError};
use crate::label::AssignedLabel;
use crate::record::Kind;
use crate::typology::{Axis, Class, Sector};
use serde::Serialize;
use std::collections::BTreeMap;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery, TermSetQuery,
};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

/// Added to lessons that apply to the requested partnership type, so they
/// rank above every lesson that does not (BM25 scores stay far below it).
pub(super) const TYPE_MATCH_BOOST: f32 = 1000.0;
/// Longest query searched; the rest of a longer one (a pasted page) is cut
/// off, with a note.
const MAX_QUERY_CHARS: usize = 2000;

/// A search. Its values are typed, parsed once from the command line or
/// the API's parameters, so the search itself never re-checks them.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// Query text (tantivy syntax: words, "phrases", +must, -not, field:x).
    /// Empty lists the filtered set.
    pub query: String,
    /// Restrict to one kind of record.
    pub kind: Option<Kind>,
    /// Partnership functions, any of them (for lessons: rank those that
    /// apply to one first). Within an axis values combine with OR, across
    /// axes with AND; empty is no filter.
    pub function: Vec<Class>,
    /// Partnership modes, any of them (for lessons: rank those that apply
    /// to one first).
    pub mode: Vec<Class>,
    /// Lesson challenges, any of them.
    pub challenge: Vec<Class>,
    /// Partner sectors, at least one of which must take part.
    pub sector: Vec<Sector>,
    /// Only count gold labels for the label filters, and given partner
    /// sectors (not those inferred from names) for the sector filter.
    pub gold_only: bool,
    /// How many hits.
    pub limit: usize,
    /// Skip this many hits (paging).
    pub offset: usize,
    /// Count labels, sectors, themes and scopes over the whole matching
    /// set. Counting visits every match, which on a registry of a million
    /// records costs more than ranking the top hits; callers that show no
    /// counts turn it off.
    pub facets: bool,
    /// The order of the hits.
    pub sort: Sort,
}

/// Which way a sort runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Smallest first (A to Z, oldest, least confident).
    Asc,
    /// Largest first.
    Desc,
}

/// The order of a search's hits. Records without the key (a lesson has no
/// start year, a record labelled only by people no confidence) come last
/// either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sort {
    /// Best match first (lessons that apply to a requested type first).
    #[default]
    Relevance,
    /// By name.
    Name(Direction),
    /// By a partnership's start year.
    StartYear(Direction),
    /// By the lowest probability among a record's predicted labels: with
    /// `asc`, the labels most worth a person's check first.
    Confidence(Direction),
}

impl Sort {
    /// The accepted spellings, for messages.
    pub const NAMES: &'static str =
        "relevance, name, start_year or confidence, each optionally with :asc or :desc";

    /// Parse `relevance`, `name`, `start_year` or `confidence`, optionally
    /// followed by `:asc` or `:desc`. Without a direction a name sorts
    /// A to Z, a start year newest first, a confidence least sure first.
    pub fn parse(text: &str) -> Option<Sort> {
        let (key, direction) = match text.trim().split_once(':') {
            Some((k, d)) => (k, Some(d)),
            None => (text.trim(), None),
        };
        let direction = match direction.map(str::trim) {
            None => None,
            Some("asc") => Some(Direction::Asc),
            Some("desc") => Some(Direction::Desc),
            Some(_) => return None,
        };
        Some(match key {
            "relevance" if direction.is_none() => Sort::Relevance,
            "name" => Sort::Name(direction.unwrap_or(Direction::Asc)),
            "start_year" => Sort::StartYear(direction.unwrap_or(Direction::Desc)),
            "confidence" => Sort::Confidence(direction.unwrap_or(Direction::Asc)),
            _ => return None,
        })
    }

    /// The sort as [`Sort::parse`] reads it back (`name:asc`).
    pub fn name(self) -> String {
        let (key, d) = match self {
            Sort::Relevance => return "relevance".to_string(),
            Sort::Name(d) => ("name", d),
            Sort::StartYear(d) => ("start_year", d),
            Sort::Confidence(d) => ("confidence", d),
        };
        let d = match d {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
        };
        format!("{key}:{d}")
    }
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: String::new(),
            kind: None,
            function: Vec::new(),
            mode: Vec::new(),
            challenge: Vec::new(),
            sector: Vec::new(),
            gold_only: false,
            limit: 10,
            offset: 0,
            facets: true,
            sort: Sort::Relevance,
        }
    }
}

impl SearchRequest {
    /// Add `class` to the filter of its own axis.
    pub fn set_label(&mut self, class: Class) {
        let slot = self.label_slot(class.axis());
        if !slot.contains(&class) {
            slot.push(class);
        }
    }

    /// Add `class` to its axis's filter, or take it out if it is there: what
    /// clicking a facet value does.
    pub fn toggle_label(&mut self, class: Class) {
        let slot = self.label_slot(class.axis());
        match slot.iter().position(|c| *c == class) {
            Some(i) => {
                slot.remove(i);
            }
            None => slot.push(class),
        }
    }

    /// Add `sector` to the sector filter, or take it out if it is there.
    pub fn toggle_sector(&mut self, sector: Sector) {
        match self.sector.iter().position(|s| *s == sector) {
            Some(i) => {
                self.sector.remove(i);
            }
            None => self.sector.push(sector),
        }
    }

    /// The filter on `axis` (empty: none).
    pub fn label(&self, axis: Axis) -> &[Class] {
        match axis {
            Axis::Function => &self.function,
            Axis::Mode => &self.mode,
            Axis::Challenge => &self.challenge,
        }
    }

    /// Whether any kind, label or sector filter is set.
    pub fn is_filtered(&self) -> bool {
        self.kind.is_some()
            || Axis::ALL.iter().any(|a| !self.label(*a).is_empty())
            || !self.sector.is_empty()
    }

    fn label_slot(&mut self, axis: Axis) -> &mut Vec<Class> {
        match axis {
            Axis::Function => &mut self.function,
            Axis::Mode => &mut self.mode,
            Axis::Challenge => &mut self.challenge,
        }
    }

    /// What the types cannot promise: each label filter holds a class of
    /// its own axis (a caller could put a mode in `function`), and the
    /// query is of a reasonable length.
    pub(super) fn check(&self) -> Result<()> {
        for axis in Axis::ALL {
            if let Some(class) = self.label(axis).iter().find(|c| c.axis() != axis) {
                return Err(UserError::WrongAxis {
                    class: *class,
                    axis,
                }
                .into());
            }
        }
        Ok(())
    }

    /// The identity of the request's filter when it is a pure filter (the
    /// same documents whatever else is in the index): kind, labels,
    /// sector. A type filter without `kind=partnership` also brings in
    /// lessons by what they cite, which depends on other segments: none.
    pub(crate) fn filter_key(&self) -> Option<FilterKey> {
        let typed = !self.function.is_empty() || !self.mode.is_empty();
        if typed && self.kind != Some(Kind::Partnership) {
            return None;
        }
        // The same set whatever order the values were chosen in.
        fn sorted<T: Ord + Copy>(values: &[T]) -> Vec<T> {
            let mut v = values.to_vec();
            v.sort();
            v.dedup();
            v
        }
        Some(FilterKey {
            kind: self.kind,
            function: sorted(&self.function),
            mode: sorted(&self.mode),
            challenge: sorted(&self.challenge),
            sector: sorted(&self.sector),
            gold_only: self.gold_only,
        })
    }
}

/// What a pure filter selects, as a cache key (see
/// [`SearchRequest::filter_key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FilterKey {
    kind: Option<Kind>,
    function: Vec<Class>,
    mode: Vec<Class>,
    challenge: Vec<Class>,
    sector: Vec<Sector>,
    gold_only: bool,
}

/// A search's facet counts from its two collectors' fruit (the gold one
/// only with `gold_only`, whose label counts replace the others).
fn merge_counts(
    facets: Option<tantivy::collector::FacetCounts>,
    gold: Option<tantivy::collector::FacetCounts>,
) -> FacetCounts {
    let mut counts = facets
        .map(|c| collect_counts(&c, &FACET_ROOTS))
        .unwrap_or_default();
    if let Some(gold) = gold {
        counts.extend(collect_counts(&gold, &GOLD_ROOTS));
    }
    counts
}

/// The page `top` of `query`'s matches in the order of `key`, ties by
/// score (best first), with their scores.
fn top_by<K>(
    searcher: &Searcher,
    query: &dyn Query,
    top: TopDocs,
    key: K,
) -> Result<Vec<(f32, DocAddress)>>
where
    K: tantivy::collector::sort_key::SortKeyComputer + Send + Sync + 'static,
    K::SortKey: 'static + Clone + Send + Sync + std::fmt::Debug,
{
    use tantivy::collector::sort_key::SortBySimilarityScore;
    let by_score = (SortBySimilarityScore, tantivy::Order::Desc);
    let ranked = searcher.search(query, &top.order_by((key, by_score)))?;
    Ok(ranked
        .into_iter()
        .map(|((_, score), a)| (score, a))
        .collect())
}

/// The partnerships lessons cite, per type and gold-only flag, as read
/// from one searcher generation (a commit or reload starts a new one, and
/// the cache with it). A search with a type filter needs them for every
/// lesson clause, and its facet choices for every toggled value: reading
/// them once per generation makes the twenty-odd counts of a search cost
/// little more than the search.
#[derive(Default)]
pub(super) struct CitedCache(
    #[allow(clippy::type_complexity)]
    std::sync::Mutex<(
        Option<u64>,
        std::collections::HashMap<(Class, bool), std::sync::Arc<Vec<String>>>,
    )>,
);

/// One search hit.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Record id.
    pub id: String,
    /// `partnership` or `lesson`.
    pub kind: Kind,
    /// Name or title.
    pub title: String,
    /// Best passage of the text, plain.
    pub snippet: String,
    /// Byte ranges of `snippet` that match the query.
    pub highlights: Vec<(usize, usize)>,
    /// The snippet as HTML with `<b>` around matches.
    pub snippet_html: String,
    /// Relevance score.
    pub score: f32,
    /// Gold and predicted labels.
    pub labels: Vec<AssignedLabel>,
    /// The whole record.
    pub record: serde_json::Value,
    /// The file (or `api`, or `bundled:…`) the record was ingested from.
    #[serde(skip)]
    pub source: String,
}

/// Counts per facet value, e.g. `mode` → `implementation` → 12.
pub type FacetCounts = BTreeMap<String, BTreeMap<String, u64>>;

/// Search results.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// Number of matching documents (not just those returned); see
    /// `total_exact`.
    pub total: u64,
    /// Whether `total` is exact. A search without facet counts counts up to
    /// 10,000 matches and then reports 10,000 and `false`: more than that.
    pub total_exact: bool,
    /// Ranked hits.
    pub hits: Vec<Hit>,
    /// Counts over the whole matching set.
    pub facets: FacetCounts,
    /// How the query was read (plain words, corrections, a cut), when
    /// there is something to say.
    #[serde(rename = "reading", skip_serializing_if = "QueryNotes::is_empty")]
    pub notes: QueryNotes,
    /// How a semantic or hybrid search was answered, when there is
    /// something to say (see [`KnowledgeBase::search_with`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrieval: Option<super::RetrievalNote>,
}

/// What is in the index.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Number of documents.
    pub total: u64,
    /// Counts per facet (kind, labels, sector, origin, theme, scope).
    pub facets: FacetCounts,
    /// Counts of gold labels per axis and class, and under `sector` of
    /// records per sector the input gave (not inferred from names).
    pub gold: FacetCounts,
}

/// The label facets: one root per axis, named as the axis.
const AXIS_ROOTS: [&str; 3] = [
    Axis::ALL[0].name_const(),
    Axis::ALL[1].name_const(),
    Axis::ALL[2].name_const(),
];
/// Facets the gold field holds: the labels, and given sectors.
const GOLD_ROOTS: [&str; 4] = [AXIS_ROOTS[0], AXIS_ROOTS[1], AXIS_ROOTS[2], "sector"];
/// Facets counted under search results: kind, the labels, sectors.
const FACET_ROOTS: [&str; 5] = [
    "kind",
    AXIS_ROOTS[0],
    AXIS_ROOTS[1],
    AXIS_ROOTS[2],
    "sector",
];
/// Facets counted by [`KnowledgeBase::stats`].
const STATS_ROOTS: [&str; 10] = [
    "kind",
    AXIS_ROOTS[0],
    AXIS_ROOTS[1],
    AXIS_ROOTS[2],
    "sector",
    "origin",
    "scope",
    "theme",
    // Records with a correction, per axis.
    "corrected",
    // Records labelled by each model (by id).
    "model",
];

pub(super) fn facet_term(field: tantivy::schema::Field, parts: &[&str]) -> Term {
    Term::from_facet(field, &Facet::from_path(parts.iter().copied()))
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}

fn any_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

/// A query made only of nested "any of" (a word in the title or the body,
/// any of the words), as one "any of" over its leaves.
///
/// Same matches and the same scores (a sum of sums is a sum), but tantivy
/// prunes with block-WAND only a flat union of terms, and the parser nests
/// one union per word.
pub(super) fn flatten_disjunction(query: Box<dyn Query>) -> Box<dyn Query> {
    fn leaves(query: &dyn Query, out: &mut Vec<Box<dyn Query>>) -> bool {
        let Some(boolean) = query.downcast_ref::<BooleanQuery>() else {
            out.push(query.box_clone());
            return true;
        };
        boolean.get_minimum_number_should_match() <= 1
            && boolean
                .clauses()
                .iter()
                .all(|(occur, sub)| *occur == Occur::Should && leaves(sub.as_ref(), out))
    }
    let mut out = Vec::new();
    if query.is::<BooleanQuery>() && leaves(query.as_ref(), &mut out) && !out.is_empty() {
        any_of(out)
    } else {
        query
    }
}

impl KnowledgeBase {
    /// Ids of the partnerships that lessons cite as examples and that are
    /// labelled `class` on `axis`. It starts from the cited ids (the
    /// `examples` term dictionary: a few per lesson) instead of from every
    /// partnership of the type, so a lesson search costs the same on a
    /// registry of a million partnerships as on the corpus.
    fn cited_partnerships_of_type(
        &self,
        searcher: &Searcher,
        class: Class,
        gold_only: bool,
    ) -> Result<std::sync::Arc<Vec<String>>> {
        let generation = searcher.generation().generation_id();
        let key = (class, gold_only);
        {
            let cache = self.cited.0.lock().unwrap_or_else(|e| e.into_inner());
            if cache.0 == Some(generation) {
                if let Some(ids) = cache.1.get(&key) {
                    return Ok(ids.clone());
                }
            }
        }
        let ids =
            std::sync::Arc::new(self.read_cited_partnerships_of_type(searcher, class, gold_only)?);
        let mut cache = self.cited.0.lock().unwrap_or_else(|e| e.into_inner());
        if cache.0 != Some(generation) {
            *cache = (Some(generation), Default::default());
        }
        cache.1.insert(key, ids.clone());
        Ok(ids)
    }

    fn read_cited_partnerships_of_type(
        &self,
        searcher: &Searcher,
        class: Class,
        gold_only: bool,
    ) -> Result<Vec<String>> {
        let f = self.fields();
        let mut cited: Vec<Term> = Vec::new();
        for segment in searcher.segment_readers() {
            let examples = segment.inverted_index(f.examples)?;
            let mut terms = examples
                .terms()
                .stream()
                .map_err(|e| InternalError::Index(e.into()))?;
            while terms.advance() {
                if let Ok(id) = std::str::from_utf8(terms.key()) {
                    cited.push(Term::from_field_text(f.id, id));
                }
            }
        }
        if cited.is_empty() {
            return Ok(Vec::new());
        }
        let field = if gold_only { f.gold } else { f.facets };
        let query = BooleanQuery::new(vec![
            (
                Occur::Must,
                term_query(facet_term(f.facets, &["kind", "partnership"])),
            ),
            (
                Occur::Must,
                term_query(facet_term(field, &[class.axis().name(), class.name()])),
            ),
            (Occur::Must, Box::new(TermSetQuery::new(cited))),
        ]);
        let n = searcher.search(&query, &Count)?;
        if n == 0 {
            return Ok(Vec::new());
        }
        let top = searcher.search(&query, &TopDocs::with_limit(n).order_by_score())?;
        let mut ids = Vec::with_capacity(n);
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = doc.get_first(f.id).and_then(|v| v.as_str()) {
                ids.push(id.to_string());
            }
        }
        Ok(ids)
    }

    /// Lessons that apply to partnerships of `class` on `axis`: listed in
    /// `applies_to`, or citing an example partnership of that type.
    fn lessons_for_type(
        &self,
        searcher: &Searcher,
        class: Class,
        gold_only: bool,
    ) -> Result<Box<dyn Query>> {
        let f = self.fields();
        let mut options = vec![term_query(facet_term(
            f.facets,
            &["applies", class.axis().name(), class.name()],
        ))];
        let ids = self.cited_partnerships_of_type(searcher, class, gold_only)?;
        if !ids.is_empty() {
            let terms = ids.iter().map(|id| Term::from_field_text(f.examples, id));
            options.push(Box::new(TermSetQuery::new(terms)));
        }
        Ok(any_of(options))
    }

    /// Build the full query for a request.
    pub(super) fn build_query(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        text: Option<&dyn Query>,
    ) -> Result<Box<dyn Query>> {
        let mut clauses = vec![(
            Occur::Must,
            text.map_or_else(|| Box::new(AllQuery) as Box<dyn Query>, |q| q.box_clone()),
        )];
        // Filters select, they do not score: a hit's score is its text
        // score alone, the same as on the pruned path.
        clauses.extend(self.filter_clauses(searcher, req)?.into_iter().map(
            |(occur, q)| match occur {
                Occur::Must => (
                    occur,
                    Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>,
                ),
                _ => (occur, q),
            },
        ));
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    /// The clauses a request adds to its text query: type, challenge and
    /// sector filters, and for lessons the boost of those that apply to a
    /// partnership type.
    fn filter_clauses(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
    ) -> Result<Vec<(Occur, Box<dyn Query>)>> {
        let f = self.fields();
        let label_field = if req.gold_only { f.gold } else { f.facets };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(kind) = req.kind {
            clauses.push((
                Occur::Must,
                term_query(facet_term(f.facets, &["kind", kind.name()])),
            ));
        }
        let labelled = |root: &str, values: &[&str]| {
            any_of(
                values
                    .iter()
                    .map(|v| term_query(facet_term(label_field, &[root, v])))
                    .collect(),
            )
        };
        for axis in Axis::PARTNERSHIP {
            let classes = req.label(axis);
            if classes.is_empty() {
                continue;
            }
            let names: Vec<&str> = classes.iter().map(|c| c.name()).collect();
            let label = labelled(axis.name(), &names);
            // Lessons that apply to any of the chosen types.
            let lessons = |kb: &Self| -> Result<Box<dyn Query>> {
                let mut options = Vec::new();
                for class in classes {
                    options.push(kb.lessons_for_type(searcher, *class, req.gold_only)?);
                }
                Ok(any_of(options))
            };
            match req.kind {
                // The kind clause is already there.
                Some(Kind::Partnership) => clauses.push((Occur::Must, label)),
                // Lessons are not typed themselves: the type ranks the ones
                // that apply to it first and keeps the rest below.
                Some(Kind::Lesson) => clauses.push((
                    Occur::Should,
                    Box::new(ConstScoreQuery::new(lessons(self)?, TYPE_MATCH_BOOST)),
                )),
                None => {
                    let partnerships = Box::new(BooleanQuery::new(vec![
                        (
                            Occur::Must,
                            term_query(facet_term(f.facets, &["kind", "partnership"])),
                        ),
                        (Occur::Must, label),
                    ]));
                    clauses.push((Occur::Must, any_of(vec![partnerships, lessons(self)?])))
                }
            }
        }
        if !req.challenge.is_empty() {
            let names: Vec<&str> = req.challenge.iter().map(|c| c.name()).collect();
            clauses.push((Occur::Must, labelled("challenge", &names)));
        }
        if !req.sector.is_empty() {
            let names: Vec<&str> = req.sector.iter().map(|s| s.name()).collect();
            clauses.push((Occur::Must, labelled("sector", &names)));
        }
        Ok(clauses)
    }

    /// Hits and total without facet counts, by block-max pruning under a
    /// cached filter (see [`super::top_hits`]); `None` when the request
    /// is not a text query under a pure filter.
    fn search_pruned(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        text: Option<&dyn Query>,
        k: usize,
    ) -> Result<Option<(top_hits::Ranked, Box<dyn Query>)>> {
        let Some(key) = req.filter_key() else {
            return Ok(None);
        };
        let Some(text) = text else {
            return Ok(None);
        };
        let clauses = self.filter_clauses(searcher, req)?;
        let filter = if clauses.is_empty() {
            None
        } else {
            let query = BooleanQuery::new(clauses);
            Some(self.filters.bitsets(searcher, &key, &query)?)
        };
        let ranked = top_hits::search(searcher, text, filter, k)?;
        Ok(Some((ranked, text.box_clone())))
    }

    /// Run a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults> {
        req.check()?;
        let searcher = self.searcher();
        // tantivy reserves room for `offset + limit` hits up front and
        // overflows on huge values (`--offset 10000000000000000000`); no
        // page reaches past the documents there are, so clamp to them
        // (same hits).
        let docs = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
        let offset = req.offset.min(docs);
        let limit = req.limit.clamp(1, (docs - offset).max(1));
        let (typed, cut) = cut_query(&req.query);
        let reading = self.read_query(&searcher, typed)?;
        let mut notes = reading.notes;
        notes.cut_at = cut.then_some(MAX_QUERY_CHARS);
        let text = reading.query.as_deref();
        let pruned = if req.facets || req.sort != Sort::Relevance {
            None
        } else {
            self.search_pruned(&searcher, req, text, offset + limit)?
        };
        let ranking = match pruned {
            Some((ranked, text)) => Ranking {
                top: ranked.top.into_iter().skip(offset).collect(),
                total: ranked.total,
                total_exact: ranked.exact,
                facets: FacetCounts::new(),
                query: text,
            },
            None => self.search_counted(&searcher, req, text, offset, limit)?,
        };
        let snippets = if text.is_none() {
            None
        } else {
            let mut g = SnippetGenerator::create(&searcher, &*ranking.query, self.fields().body)?;
            g.set_max_num_chars(240);
            Some(g)
        };
        // Reading a stored record and cutting its snippet is most of a lean
        // search's time after the ranking: hits are built in parallel (in
        // order).
        let hits = {
            use rayon::prelude::*;
            ranking
                .top
                .into_par_iter()
                .map(|(score, addr)| self.hit(&searcher, addr, score, snippets.as_ref()))
                .collect::<Result<Vec<Hit>>>()?
        };
        self.name_corrections(&mut notes, &hits);
        Ok(SearchResults {
            total: ranking.total,
            total_exact: ranking.total_exact,
            hits,
            facets: ranking.facets,
            notes,
            retrieval: None,
        })
    }

    /// The full path: every match is visited, so the total is exact and
    /// facet counts (when asked) cover the whole matching set.
    fn search_counted(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        text: Option<&dyn Query>,
        offset: usize,
        limit: usize,
    ) -> Result<Ranking> {
        let query = self.build_query(searcher, req, text)?;
        if req.sort != Sort::Relevance {
            return self.search_sorted(searcher, req, query, offset, limit);
        }
        let facets = req.facets.then(|| facet_collector("facets", &FACET_ROOTS));
        // With `gold_only` the label filters match gold labels, so the
        // label counts must come from the gold field too, or a chip would
        // promise more records than selecting it returns.
        let gold = (req.facets && req.gold_only).then(|| facet_collector("gold", &GOLD_ROOTS));
        let (top, total, facet_counts, gold_counts) = searcher.search(
            &query,
            &(
                TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_score(),
                Count,
                facets,
                gold,
            ),
        )?;
        let counts = merge_counts(facet_counts, gold_counts);
        Ok(Ranking {
            top,
            total: total as u64,
            total_exact: true,
            facets: counts,
            query,
        })
    }

    /// [`KnowledgeBase::search_counted`] in the order of a fast field, ties
    /// by score: one pass ranks, another counts (and gathers the facets).
    fn search_sorted(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        query: Box<dyn Query>,
        offset: usize,
        limit: usize,
    ) -> Result<Ranking> {
        use tantivy::collector::sort_key::{SortByStaticFastValue, SortByString};
        use tantivy::Order;
        if self.fields().sort.is_none() {
            return Err(UserError::SortNeedsReindex {
                path: self.path().to_path_buf(),
                version: self.schema_version(),
            }
            .into());
        }
        let order = |d: Direction| match d {
            Direction::Asc => Order::Asc,
            Direction::Desc => Order::Desc,
        };
        let top = TopDocs::with_limit(limit).and_offset(offset);
        let top = match req.sort {
            Sort::Relevance => unreachable!("a relevance search is not sorted here"),
            Sort::Name(d) => top_by(
                searcher,
                &*query,
                top,
                (SortByString::for_field(super::schema::SORT_NAME), order(d)),
            )?,
            Sort::StartYear(d) => top_by(
                searcher,
                &*query,
                top,
                (
                    SortByStaticFastValue::<i64>::for_field(super::schema::SORT_START_YEAR),
                    order(d),
                ),
            )?,
            Sort::Confidence(d) => top_by(
                searcher,
                &*query,
                top,
                (
                    SortByStaticFastValue::<f64>::for_field(super::schema::SORT_CONFIDENCE),
                    order(d),
                ),
            )?,
        };
        let facets = req.facets.then(|| facet_collector("facets", &FACET_ROOTS));
        let gold = (req.facets && req.gold_only).then(|| facet_collector("gold", &GOLD_ROOTS));
        let (total, facet_counts, gold_counts) = searcher.search(&query, &(Count, facets, gold))?;
        let counts = merge_counts(facet_counts, gold_counts);
        Ok(Ranking {
            top,
            total: total as u64,
            total_exact: true,
            facets: counts,
            query,
        })
    }

    /// How many records `req` matches with the text query `text` (already
    /// read): exact, with nothing ranked or read.
    pub(super) fn count_matching(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        text: Option<&dyn Query>,
    ) -> Result<u64> {
        let query = self.build_query(searcher, req, text)?;
        Ok(searcher.search(&query, &Count)? as u64)
    }

    /// Facet counts (as a search's) of the records with these ids: the
    /// hits a hybrid search found by meaning alone.
    pub(super) fn facet_counts_of(
        &self,
        searcher: &Searcher,
        ids: &[&str],
        gold_only: bool,
    ) -> Result<FacetCounts> {
        let f = self.fields();
        let query = TermSetQuery::new(ids.iter().map(|id| Term::from_field_text(f.id, id)));
        let gold = gold_only.then(|| facet_collector("gold", &AXIS_ROOTS));
        let (facets, gold) =
            searcher.search(&query, &(facet_collector("facets", &FACET_ROOTS), gold))?;
        let mut counts = collect_counts(&facets, &FACET_ROOTS);
        if let Some(gold) = gold {
            counts.extend(collect_counts(&gold, &AXIS_ROOTS));
        }
        Ok(counts)
    }

    pub(super) fn hit(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
        score: f32,
        snippets: Option<&SnippetGenerator>,
    ) -> Result<Hit> {
        let f = self.fields();
        let doc: TantivyDocument = searcher.doc(addr)?;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let body = text(f.body);
        let (snippet, highlights, snippet_html) = match snippets {
            Some(g) => {
                let s = g.snippet(&body);
                if s.is_empty() {
                    lead(&body)
                } else {
                    let ranges: Vec<(usize, usize)> =
                        s.highlighted().iter().map(|r| (r.start, r.end)).collect();
                    let p = super::snippet::passage(&body, s.fragment(), &ranges);
                    (p.text, p.highlights, p.html)
                }
            }
            None => lead(&body),
        };
        let id = text(f.id);
        // What the writer stored is read back strictly: a stored document
        // that does not parse is damage to report, not an empty answer.
        let damaged = |what: &str, reason: String| InternalError::Damaged {
            what: format!("the {what} of record `{id}` in the index"),
            reason,
        };
        let labels: Vec<AssignedLabel> =
            serde_json::from_str(&text(f.labels)).map_err(|e| damaged("labels", e.to_string()))?;
        let record = serde_json::from_str(&text(f.record))
            .map_err(|e| damaged("stored record", e.to_string()))?;
        let kind = Kind::parse(&text(f.kind)).map_err(|e| damaged("kind", e.to_string()))?;
        Ok(Hit {
            id,
            kind,
            title: text(f.title),
            snippet,
            highlights,
            snippet_html,
            score,
            labels,
            record,
            source: text(f.origin),
        })
    }

    /// Fetch one record by id.
    pub fn get(&self, id: &str) -> Result<Hit> {
        let searcher = self.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields().id, id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((score, addr)) => self.hit(&searcher, *addr, *score, None),
            None => Err(UserError::NotFound(id.to_string()).into()),
        }
    }

    /// Counts of everything in the index.
    pub fn stats(&self) -> Result<Stats> {
        let searcher = self.searcher();
        let (all, gold) = searcher.search(
            &AllQuery,
            &(
                facet_collector("facets", &STATS_ROOTS),
                facet_collector("gold", &GOLD_ROOTS),
            ),
        )?;
        Ok(Stats {
            total: searcher.num_docs(),
            facets: collect_counts(&all, &STATS_ROOTS),
            gold: collect_counts(&gold, &GOLD_ROOTS),
        })
    }
}

/// The query, cut at [`MAX_QUERY_CHARS`] (on a word boundary when there
/// is one) and whether it was cut.
pub(super) fn cut_query(text: &str) -> (&str, bool) {
    let Some((end, _)) = text.char_indices().nth(MAX_QUERY_CHARS) else {
        return (text, false);
    };
    let head = &text[..end];
    let end = head.rfind(char::is_whitespace).unwrap_or(end);
    (&text[..end], true)
}

impl KnowledgeBase {
    /// A correction is found as a stem (`vaccin`); say it as a word of the
    /// first hit that has it (`vaccine`), else as the stem.
    fn name_corrections(&self, notes: &mut QueryNotes, hits: &[Hit]) {
        if notes.corrections.is_empty() {
            return;
        }
        let mut analyzer = crate::analyze::Analyzer::default();
        for correction in &mut notes.corrections {
            let word = hits.iter().find_map(|hit| {
                let body = ["description", "text"]
                    .iter()
                    .find_map(|k| hit.record.get(*k).and_then(|v| v.as_str()))
                    .unwrap_or_default();
                [hit.title.as_str(), hit.snippet.as_str(), body]
                    .into_iter()
                    .find_map(|text| {
                        analyzer
                            .tokens_with_offsets(text)
                            .into_iter()
                            .find(|t| t.term == correction.term)
                            .map(|t| text[t.start..t.end].to_lowercase())
                    })
            });
            // Not among the hits shown: the first record that has it.
            let word = word.or_else(|| {
                let f = self.fields();
                let searcher = self.searcher();
                let query = TermQuery::new(
                    Term::from_field_text(f.body, &correction.term),
                    IndexRecordOption::Basic,
                );
                let top = searcher
                    .search(&query, &TopDocs::with_limit(1).order_by_score())
                    .ok()?;
                let doc: TantivyDocument = searcher.doc(top.first()?.1).ok()?;
                let body = doc.get_first(f.body)?.as_str()?.to_string();
                analyzer
                    .tokens_with_offsets(&body)
                    .into_iter()
                    .find(|t| t.term == correction.term)
                    .map(|t| body[t.start..t.end].to_lowercase())
            });
            if let Some(word) = word {
                correction.shown = word;
            }
        }
    }
}

/// What one search found before its hits are built.
struct Ranking {
    top: Vec<(f32, DocAddress)>,
    total: u64,
    total_exact: bool,
    facets: FacetCounts,
    /// The query that ranked them (for snippets).
    query: Box<dyn Query>,
}

/// A collector of the counts under each of `roots` in `field`.
fn facet_collector(field: &str, roots: &[&str]) -> FacetCollector {
    let mut collector = FacetCollector::for_field(field);
    for root in roots {
        collector.add_facet(Facet::from_path([*root]));
    }
    collector
}

/// Counts per root and value (`mode` → `implementation` → 12); every root
/// is present, empty when nothing matched.
fn collect_counts(counts: &tantivy::collector::FacetCounts, roots: &[&str]) -> FacetCounts {
    let mut out = FacetCounts::new();
    for root in roots {
        let entry = out.entry(root.to_string()).or_default();
        for (facet, count) in counts.get(Facet::from_path([*root])) {
            if let Some(name) = facet.to_path().last() {
                entry.insert(name.to_string(), count);
            }
        }
    }
    out
}

/// Without a query to match, the snippet is the opening of the text.
fn lead(body: &str) -> (String, Vec<(usize, usize)>, String) {
    let mut end = body.len().min(240);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let mut s = body[..end].to_string();
    if end < body.len() {
        if let Some(space) = s.rfind(' ') {
            s.truncate(space);
        }
        s.push('…');
    }
    let html = s
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    (s, Vec::new(), html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, TEXT};

    fn word(field: tantivy::schema::Field, w: &str) -> Box<dyn Query> {
        term_query(Term::from_field_text(field, w))
    }

    fn leaf_count(query: &dyn Query) -> Option<usize> {
        let boolean = query.downcast_ref::<BooleanQuery>()?;
        let flat = boolean
            .clauses()
            .iter()
            .all(|(occur, sub)| *occur == Occur::Should && !sub.is::<BooleanQuery>());
        flat.then_some(boolean.clauses().len())
    }

    #[test]
    fn nested_unions_of_words_become_one_union_of_their_leaves() {
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
        schema.build();
        // What the parser makes of `vaccine fund`: one union per word, of
        // the word in the title and in the body.
        let nested = any_of(vec![
            any_of(vec![word(title, "vaccin"), word(body, "vaccin")]),
            any_of(vec![word(title, "fund"), word(body, "fund")]),
        ]);
        assert_eq!(leaf_count(nested.as_ref()), None, "nested before");
        let flat = flatten_disjunction(nested);
        assert_eq!(leaf_count(flat.as_ref()), Some(4));
    }

    #[test]
    fn required_or_excluded_words_are_left_as_they_are() {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        schema.build();
        let query: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
            (Occur::Must, word(body, "vaccin")),
            (Occur::Should, word(body, "fund")),
        ]));
        let kept = flatten_disjunction(query.box_clone());
        let boolean = kept.downcast_ref::<BooleanQuery>().expect("still boolean");
        assert_eq!(boolean.clauses().len(), 2);
        assert_eq!(boolean.clauses()[0].0, Occur::Must, "a must clause is kept");
        // A single word is not a union: nothing to flatten.
        let single = flatten_disjunction(word(body, "fund"));
        assert!(single.is::<TermQuery>());
    }
}
