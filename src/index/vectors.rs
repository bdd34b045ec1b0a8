//! Semantic and hybrid retrieval over the window vectors stored with the
//! documents (see [`crate::embed::store`]).
//!
//! Vectors are read once per segment into a flat matrix (segments never
//! change; deletions are read from the searcher's alive bitset at query
//! time) and scanned by brute force: one matrix–vector product, a
//! document scoring as its best window. On the bundled corpus plus the
//! paper (a few thousand windows) that is well under a millisecond.
//!
//! Hybrid search fuses the BM25 ranking and the vector ranking by
//! reciprocal rank (RRF, k = 60, as Elasticsearch and OpenSearch do): it
//! needs no calibration between BM25 scores and cosines, and a record
//! ranked well by either list comes up. Filters select both lists the
//! same way; a lesson that applies to the requested partnership type
//! ranks above those that do not in the fused list too.

use super::search::{Hit, SearchRequest, SearchResults, TYPE_MATCH_BOOST};
use super::KnowledgeBase;
use crate::embed::store::{model_tag, tag_facet, WindowVectors};
use crate::embed::{Embedder, DIM};
use crate::error::Result;
use ndarray::{Array1, Array2};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tantivy::collector::{Count, TopDocs};
use tantivy::index::SegmentId;
use tantivy::query::TermQuery;
use tantivy::schema::Value;
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{DocAddress, DocId, Searcher, TantivyDocument};
use tantivy::{DocSet, Term, TERMINATED};

/// RRF's constant: a hit at rank r adds 1 / (K + r).
const RRF_K: f32 = 60.0;
/// BM25's share in the fusion. A plain-words query matches almost every
/// passage on some word, so BM25's lower ranks are mostly noise; at equal
/// weight they pushed the semantic hits of paraphrased questions down.
/// Two values were tried on the query sets (tests/data/queries, see
/// benches/README.md): 1.0 gave hit@3 0.927 plain / 0.258 paraphrased,
/// 0.5 gives 0.902 / 0.318 with a better MRR on both.
const LEXICAL_WEIGHT: f32 = 0.5;
/// Candidates taken from each list before fusing (at least; more when
/// the page asked for reaches further).
const POOL: usize = 100;

/// A record whose best window is less similar than this to the query is
/// not a match by meaning. The targets of the paraphrased query sets'
/// lesson questions score 0.25–0.6 with this model, and a short question
/// against a partnership's description less; without a floor every query,
/// even `zzzqqqxxy`, would find the hundred nearest.
const MIN_COSINE: f32 = 0.15;

/// How a search finds its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Retrieval {
    /// BM25 over the words alone.
    Lexical,
    /// Sentence-embedding similarity alone.
    Semantic,
    /// Both, fused by reciprocal rank.
    #[default]
    Hybrid,
}

impl Retrieval {
    /// Parses `lexical`, `semantic` or `hybrid`.
    pub fn parse(s: &str) -> Option<Retrieval> {
        match s {
            "lexical" => Some(Retrieval::Lexical),
            "semantic" => Some(Retrieval::Semantic),
            "hybrid" => Some(Retrieval::Hybrid),
            _ => None,
        }
    }

    /// The name, as [`Retrieval::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Retrieval::Lexical => "lexical",
            Retrieval::Semantic => "semantic",
            Retrieval::Hybrid => "hybrid",
        }
    }
}

/// How a search was answered, when that differs from what was asked or
/// deserves a word.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RetrievalNote {
    /// What was asked for.
    pub asked: Retrieval,
    /// What answered.
    pub used: Retrieval,
    /// Why they differ, or what else to know (a query cut at the model's
    /// limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Of the total, the records found by meaning alone (the nearest
    /// hundred by their vectors that share no word with the query), as a
    /// k-nearest-neighbour search counts them.
    #[serde(skip_serializing_if = "is_zero")]
    pub by_meaning: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One segment's vectors: a row per window.
pub(crate) struct SegmentVectors {
    matrix: Array2<f32>,
    /// Document and byte range in its text, per row.
    rows: Vec<(DocId, (u32, u32))>,
}

/// Segment vectors, loaded on first use and kept while the segment lives
/// (keyed by segment id and model tag).
#[derive(Default)]
pub(crate) struct VectorCache {
    segments: Mutex<HashMap<(SegmentId, u64), Arc<SegmentVectors>>>,
}

/// A record found by its vectors.
struct SemanticHit {
    address: DocAddress,
    cosine: f32,
    window: (u32, u32),
}

impl KnowledgeBase {
    fn segment_vectors(
        &self,
        searcher: &Searcher,
        ord: usize,
        tag: u64,
    ) -> Result<Arc<SegmentVectors>> {
        let segment = searcher.segment_reader(ord as u32);
        let key = (segment.segment_id(), tag);
        if let Some(v) = self
            .vectors
            .segments
            .lock()
            .expect("vector cache lock")
            .get(&key)
        {
            return Ok(v.clone());
        }
        let mut data = Vec::new();
        let mut rows = Vec::new();
        if let Some(field) = self.fields().vectors {
            let store = segment
                .get_store_reader(64)
                .map_err(tantivy::TantivyError::from)?;
            // Only the documents marked as holding this model's vectors
            // (deleted ones too: deletions are applied at query time).
            let [root, hex] = tag_facet(tag);
            let term = Term::from_facet(self.fields().facets, &Facet::from_path([root, hex]));
            let postings = segment
                .inverted_index(self.fields().facets)?
                .read_postings(&term, IndexRecordOption::Basic)
                .map_err(tantivy::TantivyError::from)?;
            let mut docs = Vec::new();
            if let Some(mut postings) = postings {
                while postings.doc() != TERMINATED {
                    docs.push(postings.doc());
                    postings.advance();
                }
            }
            for doc_id in docs {
                let doc: TantivyDocument = store.get(doc_id)?;
                let Some(bytes) = doc.get_first(field).and_then(|v| v.as_bytes()) else {
                    continue;
                };
                let Some(w) = WindowVectors::decode(bytes).filter(|w| w.tag == tag) else {
                    continue;
                };
                for range in w.ranges {
                    rows.push((doc_id, range));
                }
                data.extend_from_slice(&w.vectors);
            }
        }
        let matrix =
            Array2::from_shape_vec((rows.len(), DIM), data).expect("rows × DIM components");
        let loaded = Arc::new(SegmentVectors { matrix, rows });
        let mut cache = self.vectors.segments.lock().expect("vector cache lock");
        // Forget segments merged away.
        let live: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        cache.retain(|(id, _), _| live.contains(id));
        cache.insert(key, loaded.clone());
        Ok(loaded)
    }

    /// Number of documents that have vectors of the model `model_id`.
    pub fn documents_with_vectors(&self, model_id: &str) -> Result<u64> {
        let [root, hex] = tag_facet(model_tag(model_id));
        let term = Term::from_facet(self.fields().facets, &Facet::from_path([root, hex]));
        let n = self
            .searcher()
            .search(&TermQuery::new(term, IndexRecordOption::Basic), &Count)?;
        Ok(n as u64)
    }

    /// The `k` records nearest `query` (best window each) among those
    /// `allowed` admits.
    fn nearest(
        &self,
        searcher: &Searcher,
        query: &Array1<f32>,
        tag: u64,
        allowed: &dyn Fn(DocAddress) -> bool,
        k: usize,
    ) -> Result<Vec<SemanticHit>> {
        let mut best: Vec<SemanticHit> = Vec::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let v = self.segment_vectors(searcher, ord, tag)?;
            if v.rows.is_empty() {
                continue;
            }
            let scores = v.matrix.dot(query);
            let mut per_doc: HashMap<DocId, (f32, (u32, u32))> = HashMap::new();
            for (&(doc, range), &score) in v.rows.iter().zip(scores.iter()) {
                let slot = per_doc.entry(doc).or_insert((f32::NEG_INFINITY, range));
                if score > slot.0 {
                    *slot = (score, range);
                }
            }
            for (doc, (cosine, window)) in per_doc {
                let address = DocAddress::new(ord as u32, doc);
                if cosine < MIN_COSINE
                    || segment.alive_bitset().is_some_and(|a| !a.is_alive(doc))
                    || !allowed(address)
                {
                    continue;
                }
                best.push(SemanticHit {
                    address,
                    cosine,
                    window,
                });
            }
        }
        // Ties (equal cosines) in address order, so results are stable.
        best.sort_by(|a, b| {
            b.cosine
                .total_cmp(&a.cosine)
                .then(a.address.cmp(&b.address))
        });
        best.truncate(k);
        Ok(best)
    }

    /// [`KnowledgeBase::search_with`] for a retrieval the user may not have
    /// named: the default falls back to lexical quietly, while a retrieval
    /// asked for by name keeps the note that says why it was not used.
    pub fn search_as_asked(
        &self,
        req: &SearchRequest,
        asked: Option<Retrieval>,
    ) -> Result<SearchResults> {
        let mut results = self.search_with(req, asked.unwrap_or_default())?;
        if asked.is_none() {
            if let Some(r) = results
                .retrieval
                .as_mut()
                .filter(|r| r.used == Retrieval::Lexical)
            {
                r.note = None;
            }
        }
        Ok(results)
    }

    /// Run a search with the given retrieval. `Lexical` is
    /// [`KnowledgeBase::search`]; `Semantic` and `Hybrid` need vectors of
    /// the shared [`Embedder`]'s model in the index and a query: without
    /// them the search is lexical, and `retrieval` in the results says so.
    pub fn search_with(&self, req: &SearchRequest, retrieval: Retrieval) -> Result<SearchResults> {
        let lexical_note = |note: Option<String>| RetrievalNote {
            asked: retrieval,
            used: Retrieval::Lexical,
            note,
            by_meaning: 0,
        };
        if retrieval == Retrieval::Lexical {
            return self.search(req);
        }
        if req.sort != super::Sort::Relevance {
            // A sort orders the records that contain the words; records
            // near in meaning have no place in an order by name or year.
            let mut results = self.search(req)?;
            results.retrieval = Some(lexical_note(Some(format!(
                "sorted by {}: searched lexically",
                req.sort.name()
            ))));
            return Ok(results);
        }
        if !req.query.chars().any(char::is_alphanumeric) {
            // An empty query (or one of bare signs, `-`, `"`) lists the
            // filtered set: there is no meaning to compare.
            let mut results = self.search(req)?;
            results.retrieval = Some(lexical_note(None));
            return Ok(results);
        }
        let model_id = Embedder::shared_model_id()?;
        if self.fields().vectors.is_none() || self.documents_with_vectors(&model_id)? == 0 {
            let mut results = self.search(req)?;
            results.retrieval = Some(lexical_note(Some(format!(
                "this index has no vectors of {model_id} (ingest its files again with `--vectors auto`); searched lexically"
            ))));
            return Ok(results);
        }
        let embedder = Embedder::shared()?;
        let tag = model_tag(embedder.model_id());
        let tokens = embedder.tokens(&req.query)?;
        let query = embedder.embed_query(&req.query)?;
        let cut_note = tokens.truncated.then(|| {
            format!(
                "the query was cut to the embedding model's {} tokens",
                crate::embed::MAX_TOKENS
            )
        });
        let searcher = self.searcher();
        let pool = POOL.max(req.offset.saturating_add(req.limit));

        // The filter as a set (and, for lessons under a type filter, which
        // ones apply to that type); no filter admits everything.
        let filter = self.filter_scores(&searcher, req)?;
        let allowed = |a: DocAddress| filter.as_ref().is_none_or(|f| f.contains_key(&a));
        let semantic = self.nearest(&searcher, &query, tag, &allowed, pool)?;
        let boosted = |a: DocAddress| {
            filter
                .as_ref()
                .and_then(|f| f.get(&a))
                .is_some_and(|s| *s >= TYPE_MATCH_BOOST)
        };

        let lexical = if retrieval == Retrieval::Hybrid {
            Some(self.search(&SearchRequest {
                offset: 0,
                limit: pool,
                ..req.clone()
            })?)
        } else {
            None
        };

        // Fuse by record id: (type boost, RRF score, hit).
        let mut fused: Vec<(bool, f32, Hit)> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        if let Some(lexical) = &lexical {
            for (rank, hit) in lexical.hits.iter().enumerate() {
                at.insert(hit.id.clone(), fused.len());
                fused.push((
                    hit.score >= TYPE_MATCH_BOOST,
                    LEXICAL_WEIGHT / (RRF_K + rank as f32 + 1.0),
                    hit.clone(),
                ));
            }
        }
        for (rank, s) in semantic.iter().enumerate() {
            let rrf = 1.0 / (RRF_K + rank as f32 + 1.0);
            let mut hit = self.hit(&searcher, s.address, s.cosine, None)?;
            match at.get(&hit.id) {
                Some(&i) => {
                    fused[i].1 += rrf;
                    // A lexical snippet without a highlighted word is its
                    // lead: the matched window says more.
                    if fused[i].2.highlights.is_empty() {
                        set_window_snippet(&mut fused[i].2, s.window);
                    }
                }
                None => {
                    set_window_snippet(&mut hit, s.window);
                    at.insert(hit.id.clone(), fused.len());
                    fused.push((boosted(s.address), rrf, hit));
                }
            }
        }
        fused.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)));

        let lexical_ids: Option<std::collections::HashSet<&str>> = lexical
            .as_ref()
            .map(|l| l.hits.iter().map(|h| h.id.as_str()).collect());
        // Records found by meaning alone are matches too: they count in the
        // total and in the facets, so that a count shown is what choosing
        // it gives.
        let semantic_only: Vec<&str> = fused
            .iter()
            .map(|(_, _, h)| h.id.as_str())
            .filter(|id| lexical_ids.as_ref().is_some_and(|l| !l.contains(id)))
            .collect();
        let extra_facets = match (&lexical, req.facets) {
            (Some(_), true) if !semantic_only.is_empty() => {
                Some(self.facet_counts_of(&searcher, &semantic_only, req.gold_only)?)
            }
            _ => None,
        };
        let semantic_only = semantic_only.len();
        let mut results = match lexical {
            Some(l) => l,
            None => self.search(&SearchRequest {
                limit: 1,
                offset: 0,
                ..req.clone()
            })?,
        };
        let (total, exact) = match retrieval {
            Retrieval::Hybrid => (
                results.total + semantic_only as u64,
                results.total_exact && results.total <= pool as u64,
            ),
            _ => (fused.len() as u64, fused.len() < pool),
        };
        results.total = total;
        results.total_exact = exact;
        if let Some(extra) = extra_facets {
            for (root, values) in extra {
                let counts = results.facets.entry(root).or_default();
                for (value, n) in values {
                    *counts.entry(value).or_default() += n;
                }
            }
        }
        results.hits = fused
            .into_iter()
            .skip(req.offset)
            .take(req.limit.max(1))
            .map(|(_, score, mut hit)| {
                if retrieval == Retrieval::Hybrid {
                    hit.score = score;
                }
                hit
            })
            .collect();
        results.retrieval = Some(RetrievalNote {
            asked: retrieval,
            used: retrieval,
            note: cut_note,
            by_meaning: if retrieval == Retrieval::Hybrid {
                semantic_only as u64
            } else {
                total
            },
        });
        Ok(results)
    }

    /// The records most like record `id`, by their vectors: the record's
    /// windows averaged (a partnership has one) against every other
    /// record's best window, under `filter`'s kind and label filters (its
    /// query, limit and offset apply; lessons that apply to a requested
    /// type rank first). A record without vectors has no similar records;
    /// an unknown id is [`crate::UserError::NotFound`].
    pub fn similar(&self, id: &str, filter: &SearchRequest) -> Result<Vec<Hit>> {
        let searcher = self.searcher();
        let model_id = Embedder::shared_model_id()?;
        let tag = model_tag(&model_id);
        let own = self.get_address(&searcher, id)?;
        let doc: TantivyDocument = searcher.doc(own)?;
        let vectors = self
            .fields()
            .vectors
            .and_then(|f| {
                doc.get_first(f)
                    .and_then(|v| v.as_bytes())
                    .and_then(WindowVectors::decode)
            })
            .filter(|w| w.tag == tag && !w.ranges.is_empty());
        let Some(w) = vectors else {
            return Ok(Vec::new());
        };
        let rows = Array2::from_shape_vec((w.ranges.len(), DIM), w.vectors).expect("rows × DIM");
        let mean = rows.mean_axis(ndarray::Axis(0)).expect("one row or more");
        let query = &mean / mean.dot(&mean).sqrt().max(1e-12);
        let scores = self.filter_scores(&searcher, filter)?;
        let allowed =
            |a: DocAddress| a != own && scores.as_ref().is_none_or(|f| f.contains_key(&a));
        let k = filter.offset.saturating_add(filter.limit.max(1));
        let nearest = self.nearest(&searcher, &query, tag, &allowed, k.max(POOL))?;
        let boosted = |a: DocAddress| {
            scores
                .as_ref()
                .and_then(|f| f.get(&a))
                .is_some_and(|s| *s >= TYPE_MATCH_BOOST)
        };
        let mut ranked: Vec<(bool, &SemanticHit)> =
            nearest.iter().map(|h| (boosted(h.address), h)).collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cosine.total_cmp(&a.1.cosine)));
        ranked
            .into_iter()
            .skip(filter.offset)
            .take(filter.limit.max(1))
            .map(|(_, h)| {
                let mut hit = self.hit(&searcher, h.address, h.cosine, None)?;
                set_window_snippet(&mut hit, h.window);
                Ok(hit)
            })
            .collect()
    }

    fn get_address(&self, searcher: &Searcher, id: &str) -> Result<DocAddress> {
        let query = TermQuery::new(
            Term::from_field_text(self.fields().id, id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        top.first()
            .map(|(_, a)| *a)
            .ok_or_else(|| crate::UserError::NotFound(id.to_string()).into())
    }

    /// The documents a request's filters admit, with their filter score
    /// (the type boost for lessons); `None` when there is no filter.
    fn filter_scores(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
    ) -> Result<Option<HashMap<DocAddress, f32>>> {
        if !req.is_filtered() {
            return Ok(None);
        }
        let query = self.build_query(searcher, req, None)?;
        let n = usize::try_from(searcher.num_docs())
            .unwrap_or(usize::MAX)
            .max(1);
        let top = searcher.search(&*query, &TopDocs::with_limit(n).order_by_score())?;
        Ok(Some(top.into_iter().map(|(score, a)| (a, score)).collect()))
    }
}

/// Shows the matched window of the record's text as its snippet.
fn set_window_snippet(hit: &mut Hit, (start, end): (u32, u32)) {
    let body = ["description", "text"]
        .iter()
        .find_map(|k| hit.record.get(*k).and_then(|v| v.as_str()))
        .unwrap_or_default();
    let (start, end) = (start as usize, end as usize);
    let Some(window) = body.get(start..end.min(body.len())) else {
        return;
    };
    let mut snippet: String = window.chars().take(240).collect();
    if snippet.len() < window.len() {
        snippet.push('…');
    }
    hit.snippet_html = snippet
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    hit.snippet = snippet;
    hit.highlights = Vec::new();
}
