//! The best hits of a text query under a filter, with block-max pruning.
//!
//! tantivy skips blocks of postings that cannot reach the top k
//! (block-WAND) only when the whole query is a plain union or intersection
//! of terms. A type filter makes the query an intersection of a union with
//! facet terms, so every match got scored: on a million records a
//! two-word query with a mode filter scored some 85,000 documents for ten
//! hits (12 ms). Here the text query alone drives the pruning and the
//! filter is a per-segment bitset tested for each candidate. The pruning
//! threshold is the k-th best score among documents that pass the filter,
//! so a skipped block cannot hold a hit: the hits are exactly those of the
//! unpruned search, in the same order.
//!
//! Filter bitsets are cached per segment, as search engines cache their
//! filters: a segment's documents never change (deletions are applied
//! from its alive bitset, separately), and the filters are few (a kind,
//! a label, a sector).

use super::search::FilterKey;
use crate::error::Result;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Query, Weight};
use tantivy::{BitSet, DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

/// Bitsets kept before the cache starts over (segments come and go as the
/// index is merged; each entry is one bit per document of its segment).
const CACHE_ENTRIES: usize = 512;

/// Per-segment bitsets of the documents matching a filter, by filter key.
#[derive(Default)]
pub(crate) struct FilterCache {
    entries: Mutex<HashMap<(SegmentId, FilterKey), Arc<BitSet>>>,
}

impl FilterCache {
    /// For each segment of `searcher` (by ordinal), the documents matching
    /// `filter`, whose identity is `key`.
    pub(crate) fn bitsets(
        &self,
        searcher: &Searcher,
        key: &FilterKey,
        filter: &dyn Query,
    ) -> Result<Vec<Arc<BitSet>>> {
        let mut weight: Option<Box<dyn Weight>> = None;
        let mut out = Vec::with_capacity(searcher.segment_readers().len());
        for reader in searcher.segment_readers() {
            let id = (reader.segment_id(), key.clone());
            if let Some(bits) = self.lock().get(&id) {
                out.push(Arc::clone(bits));
                continue;
            }
            let weight = match &mut weight {
                Some(w) => w,
                None => {
                    weight.insert(filter.weight(EnableScoring::disabled_from_searcher(searcher))?)
                }
            };
            let bits = Arc::new(matching(weight.as_ref(), reader)?);
            let mut entries = self.lock();
            if entries.len() >= CACHE_ENTRIES {
                entries.clear();
            }
            entries.insert(id, Arc::clone(&bits));
            out.push(bits);
        }
        Ok(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(SegmentId, FilterKey), Arc<BitSet>>> {
        // A panic while holding the lock leaves a map that is still valid.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The documents of a segment that `weight` matches.
fn matching(weight: &dyn Weight, reader: &SegmentReader) -> Result<BitSet> {
    let mut bits = BitSet::with_max_value(reader.max_doc());
    let mut scorer = weight.scorer(reader, 1.0)?;
    let mut doc = scorer.doc();
    while doc != TERMINATED {
        bits.insert(doc);
        doc = scorer.advance();
    }
    Ok(bits)
}

/// Totals up to this are counted exactly; past it a search that skips the
/// facet counts reports "more than" (as Elasticsearch's default
/// `track_total_hits`). Counting every match of a common word in a million
/// records costs more than finding the best ten.
pub(crate) const COUNT_CAP: u64 = 10_000;

/// The `k` best hits of `query` among the documents the filter passes,
/// and how many documents match: exact below [`COUNT_CAP`], otherwise
/// `COUNT_CAP` with `false`. Segments are searched in parallel.
pub(crate) fn search(
    searcher: &Searcher,
    query: &dyn Query,
    filter: Option<Vec<Arc<BitSet>>>,
    k: usize,
) -> Result<Ranked> {
    use rayon::prelude::*;
    let scoring = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    // Counting needs no term frequencies: a weight that skips them.
    let counting = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let collector = PrunedTopDocs {
        k,
        filter,
        floor: AtomicU32::new(0),
    };
    let counted = AtomicU64::new(0);
    // Largest segments first: they raise the shared floor soonest.
    let mut order: Vec<usize> = (0..searcher.segment_readers().len()).collect();
    order.sort_by_key(|&ord| std::cmp::Reverse(searcher.segment_reader(ord as u32).max_doc()));
    let per_segment: Vec<tantivy::Result<Vec<(Score, DocAddress)>>> = order
        .into_par_iter()
        .map(|ord| {
            let reader = searcher.segment_reader(ord as u32);
            let filter = collector.filter.as_ref().map(|f| f[ord].as_ref());
            count_segment(counting.as_ref(), reader, filter, &counted)?;
            collector.collect_segment(scoring.as_ref(), ord as u32, reader)
        })
        .collect();
    let fruits = per_segment
        .into_iter()
        .collect::<tantivy::Result<Vec<_>>>()?;
    let top = collector.merge_fruits(fruits)?;
    let total = counted.load(AtomicOrdering::Relaxed);
    Ok(Ranked {
        top,
        total: total.min(COUNT_CAP),
        exact: total < COUNT_CAP,
    })
}

/// What [`search`] finds.
pub(crate) struct Ranked {
    /// The best hits, best first.
    pub top: Vec<(Score, DocAddress)>,
    /// Matching documents, at most [`COUNT_CAP`].
    pub total: u64,
    /// Whether `total` is exact (below the cap).
    pub exact: bool,
}

/// Add to `counted` the live documents of a segment that `weight` matches
/// and the filter passes, stopping once `counted` reaches [`COUNT_CAP`].
fn count_segment(
    weight: &dyn Weight,
    reader: &SegmentReader,
    filter: Option<&BitSet>,
    counted: &AtomicU64,
) -> tantivy::Result<()> {
    /// Documents counted between looks at the shared total.
    const STRIDE: u64 = 1024;
    let alive = reader.alive_bitset();
    let mut scorer = weight.scorer(reader, 1.0)?;
    let mut local = 0u64;
    let mut doc = scorer.doc();
    while doc != TERMINATED {
        let passes =
            filter.is_none_or(|f| f.contains(doc)) && alive.is_none_or(|a| a.is_alive(doc));
        if passes {
            local += 1;
            if local == STRIDE {
                let before = counted.fetch_add(local, AtomicOrdering::Relaxed);
                local = 0;
                if before + STRIDE >= COUNT_CAP {
                    return Ok(());
                }
            }
        }
        doc = scorer.advance();
    }
    counted.fetch_add(local, AtomicOrdering::Relaxed);
    Ok(())
}

/// Collects the `k` best-scoring documents that pass an optional
/// per-segment filter, letting the query prune. Ties go to the lower
/// document address, as with tantivy's `TopDocs`.
pub(crate) struct PrunedTopDocs {
    k: usize,
    /// Per segment ordinal; `None`: no filter.
    filter: Option<Vec<Arc<BitSet>>>,
    /// The bits of a score that `k` documents seen so far, in any segment,
    /// reach or beat: nothing below it can make the top `k`, so every
    /// segment prunes from it instead of from zero. Scores are never
    /// negative, so their bits order as the scores do.
    floor: AtomicU32,
}

/// A candidate: better is a higher score, then a lower document.
#[derive(Clone, Copy)]
struct Entry {
    score: Score,
    doc: DocId,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Greater is worse, so the max-heap's top is the worst kept entry.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.doc.cmp(&other.doc))
    }
}

/// The best `k` entries seen, worst on top.
struct Best {
    k: usize,
    heap: BinaryHeap<Entry>,
}

impl Best {
    fn new(k: usize) -> Best {
        Best {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    fn push(&mut self, doc: DocId, score: Score) {
        let entry = Entry { score, doc };
        if self.heap.len() < self.k {
            self.heap.push(entry);
        } else if self.heap.peek().is_some_and(|worst| entry < *worst) {
            self.heap.pop();
            self.heap.push(entry);
        }
    }

    /// The score a document must beat to get in. Block-WAND skips what
    /// cannot score above it; a document scoring exactly the k-th score
    /// would lose the tie only if its address were higher, and documents
    /// arrive in address order, so nothing equal is lost.
    fn threshold(&self) -> Score {
        if self.heap.len() < self.k {
            Score::MIN
        } else {
            self.heap.peek().map_or(Score::MIN, |worst| worst.score)
        }
    }

    fn into_sorted(self, segment: u32) -> Vec<(Score, DocAddress)> {
        let mut entries = self.heap.into_vec();
        entries.sort();
        entries
            .into_iter()
            .map(|e| (e.score, DocAddress::new(segment, e.doc)))
            .collect()
    }
}

/// Used only if tantivy collects a segment without
/// [`Collector::collect_segment`] (it always calls it for a top-level
/// collector): the same result, without pruning.
pub(crate) struct SegmentTop {
    best: Best,
    segment: u32,
    filter: Option<Arc<BitSet>>,
    alive: Option<tantivy::fastfield::AliveBitSet>,
}

impl SegmentCollector for SegmentTop {
    type Fruit = Vec<(Score, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let passes = self.filter.as_ref().is_none_or(|f| f.contains(doc))
            && self.alive.as_ref().is_none_or(|a| a.is_alive(doc));
        if passes {
            self.best.push(doc, score);
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.best.into_sorted(self.segment)
    }
}

impl Collector for PrunedTopDocs {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = SegmentTop;

    fn for_segment(&self, segment: u32, reader: &SegmentReader) -> tantivy::Result<SegmentTop> {
        Ok(SegmentTop {
            best: Best::new(self.k),
            segment,
            filter: self
                .filter
                .as_ref()
                .map(|f| Arc::clone(&f[segment as usize])),
            alive: reader.alive_bitset().cloned(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(Score, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        all.truncate(self.k);
        Ok(all)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Fruit> {
        let mut best = Best::new(self.k);
        let filter = self.filter.as_ref().map(|f| &f[segment as usize]);
        let alive = reader.alive_bitset();
        let floor = || Score::from_bits(self.floor.load(AtomicOrdering::Relaxed));
        // Just below the floor: a document scoring exactly the floor may
        // still win a tie on its address against another segment's.
        let start = floor().next_down();
        weight.for_each_pruning(start, reader, &mut |doc, score| {
            let passes =
                filter.is_none_or(|f| f.contains(doc)) && alive.is_none_or(|a| a.is_alive(doc));
            if passes {
                best.push(doc, score);
                let own = best.threshold();
                if own > 0.0 {
                    self.floor.fetch_max(own.to_bits(), AtomicOrdering::Relaxed);
                }
            }
            best.threshold().max(floor().next_down())
        })?;
        Ok(best.into_sorted(segment))
    }
}
