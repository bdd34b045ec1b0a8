//! The ingest pipeline: read → validate → label → index, in batches.
//!
//! Bad records are collected, never fatal (unless `strict`); predicted
//! labels are computed in parallel per chunk; the index is committed every
//! `batch_size` records so that an interrupted bulk ingest leaves the last
//! committed batch readable, and re-running it upserts the same documents.

use crate::embed::precomputed::Precomputed;
use crate::error::RecordError;
use crate::error::Result;
use crate::index::{KnowledgeBase, WriterOptions};
pub use crate::label::{gold_labels, Labeller};
use crate::label::{AssignedLabel, Origin};
use crate::read::{Item, Located};
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// How to ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Reject the whole input (commit nothing) when any record is bad.
    pub strict: bool,
    /// Indexing memory budget in bytes, split across writer threads.
    pub memory_budget: usize,
    /// Writer threads; `None` lets tantivy choose (at most the cores).
    pub threads: Option<usize>,
    /// Commit after this many records so an interrupted bulk ingest keeps
    /// what was done.
    pub batch_size: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        let writer = WriterOptions::default();
        IngestOptions {
            strict: false,
            memory_budget: writer.memory_budget,
            threads: writer.threads,
            batch_size: 50_000,
        }
    }
}

impl IngestOptions {
    /// What the index writer needs of these options.
    pub fn writer(&self) -> WriterOptions {
        WriterOptions {
            memory_budget: self.memory_budget,
            threads: self.threads,
        }
    }
}

/// What an ingest did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct IngestReport {
    /// Records read (valid or not).
    pub read: u64,
    /// Records written to the index.
    pub indexed: u64,
    /// Records that were rejected, with the reason.
    #[serde(skip)]
    pub rejected: Vec<RecordError>,
    /// Non-fatal remarks (duplicate ids, unmapped columns).
    pub warnings: Vec<String>,
    /// Predicted labels assigned by the model.
    pub predicted: u64,
    /// Documents in the index after the last commit.
    pub total_docs: u64,
    /// Partner sectors of the indexed partnerships, by origin.
    pub sectors: SectorCounts,
    /// Scopes of the indexed partnerships, by how they were found.
    pub scopes: ScopeCounts,
}

/// Partners by where their sector comes from (see
/// [`SectorOrigin`](crate::record::SectorOrigin)).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SectorCounts {
    /// The input gave the sector.
    pub given: u64,
    /// Inferred from the partner's name.
    pub inferred: u64,
    /// Not given and not recognised: `other`.
    pub unknown: u64,
}

/// Partnerships by how their scope was found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ScopeCounts {
    /// A scope value (`global`, ...) was given without a coverage text.
    pub given: u64,
    /// Mapped from the coverage text, which is kept in `scope_text`.
    pub mapped: u64,
    /// A coverage text that names no place or scope partnerkb knows: no
    /// scope, the text kept.
    pub unknown: u64,
}

impl IngestReport {
    /// Count what the readers gave and inferred in `record`.
    fn count(&mut self, record: &crate::Record) {
        use crate::record::SectorOrigin;
        let crate::Record::Partnership(p) = record else {
            return;
        };
        for partner in &p.partners {
            match partner.sector_origin {
                SectorOrigin::Given => self.sectors.given += 1,
                SectorOrigin::Inferred => self.sectors.inferred += 1,
                SectorOrigin::Unknown => self.sectors.unknown += 1,
            }
        }
        match (p.scope, &p.scope_text) {
            (Some(_), None) => self.scopes.given += 1,
            (Some(_), Some(_)) => self.scopes.mapped += 1,
            (None, Some(_)) => self.scopes.unknown += 1,
            (None, None) => {}
        }
    }
}

/// One input to ingest: a stream of records and the name they came from.
pub struct Input {
    /// File name (used as the `origin` facet and in messages).
    pub origin: String,
    /// The records.
    pub items: Box<dyn Iterator<Item = Item> + Send>,
    /// Remove every document previously ingested from this origin, in the
    /// same commit (a re-bundled corpus replaces the old one atomically).
    pub replace: bool,
}

/// Records labelled in parallel per chunk of this size.
const CHUNK: usize = 2048;

/// Chunk size while records are being embedded (about a second of work).
const EMBED_CHUNK: usize = 32;

/// Which records get window vectors (for semantic search) at ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VectorPolicy {
    /// None: the records are searched lexically only.
    #[default]
    Off,
    /// Lessons and document passages always; partnerships when their
    /// input holds at most [`AUTO_PARTNERSHIP_LIMIT`] records. Embedding
    /// runs at about 50 texts a second on two cores: minutes for a
    /// registry of thousands, hours for a million.
    Auto,
    /// Every record.
    All,
}

impl VectorPolicy {
    /// `auto`, `all` or `off`, as the command line spells them.
    pub fn parse(s: &str) -> Option<VectorPolicy> {
        match s {
            "auto" => Some(VectorPolicy::Auto),
            "all" => Some(VectorPolicy::All),
            "off" => Some(VectorPolicy::Off),
            _ => None,
        }
    }
}

/// Which records get vectors, and vectors made ahead of time to use
/// instead of embedding (the bundled corpus ships its own).
#[derive(Debug, Clone, Copy, Default)]
pub struct Vectors<'a> {
    /// Which records get vectors.
    pub policy: VectorPolicy,
    /// Vectors to take where they match a record's windows and the model.
    pub precomputed: Option<&'a Precomputed>,
}

impl From<VectorPolicy> for Vectors<'_> {
    fn from(policy: VectorPolicy) -> Self {
        Vectors {
            policy,
            precomputed: None,
        }
    }
}

/// Under [`VectorPolicy::Auto`], an input with more records than this
/// (a registry) has its partnerships indexed without vectors.
pub const AUTO_PARTNERSHIP_LIMIT: usize = 10_000;

/// Ingest `inputs` into `kb`. `progress` is called with the number of
/// records read so far. No vectors (see [`ingest_with_vectors`]).
pub fn ingest(
    kb: &KnowledgeBase,
    inputs: Vec<Input>,
    labeller: Option<&dyn Labeller>,
    options: &IngestOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<IngestReport> {
    ingest_with_vectors(kb, inputs, labeller, options, VectorPolicy::Off, progress)
}

/// [`ingest`], embedding the records that `vectors` selects: each
/// record's window vectors are stored in its own document, so they are
/// committed with it.
pub fn ingest_with_vectors<'p>(
    kb: &KnowledgeBase,
    inputs: Vec<Input>,
    labeller: Option<&dyn Labeller>,
    options: &IngestOptions,
    vectors: impl Into<Vectors<'p>>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<IngestReport> {
    let Vectors {
        policy: vectors,
        precomputed,
    } = vectors.into();
    if vectors != VectorPolicy::Off && precomputed.is_none() {
        // A missing or damaged model is an error before anything is read.
        crate::embed::Embedder::shared()?;
    }
    let mut writer = kb.writer(&options.writer())?;
    // People's corrections outlive re-ingesting their records: each record
    // comes in with the journal's latest correction per axis.
    let corrections = kb.corrections()?.latest();
    kb.reload()?;
    kb.apply_pending(&mut writer, &corrections)?;
    let mut report = IngestReport::default();
    let mut since_commit = 0usize;
    for input in inputs {
        if input.replace {
            writer.delete_origin(&input.origin);
        }
        let mut seen: HashMap<u64, u64> = HashMap::new();
        let (items, embed_partnerships) = match vectors {
            VectorPolicy::Off => (input.items, false),
            VectorPolicy::All => (input.items, true),
            VectorPolicy::Auto => {
                // Look ahead to tell a registry from a corpus; the records
                // read ahead are then ingested first, in order.
                let mut items = input.items;
                let ahead: Vec<Item> = items.by_ref().take(AUTO_PARTNERSHIP_LIMIT + 1).collect();
                let small = ahead.len() <= AUTO_PARTNERSHIP_LIMIT;
                let items: Box<dyn Iterator<Item = Item> + Send> =
                    Box::new(ahead.into_iter().chain(items));
                (items, small)
            }
        };
        let mut items = items.peekable();
        // Embedding runs at tens of texts a second: an input whose records
        // all get vectors goes in small chunks, so that the progress shown
        // moves in steps of a second, not minutes (a registry's chunks, and
        // so its commit points, stay as they are).
        let chunk_size = if embed_partnerships {
            EMBED_CHUNK
        } else {
            CHUNK
        };
        while items.peek().is_some() {
            let chunk: Vec<Item> = items.by_ref().take(chunk_size).collect();
            let mut valid: Vec<Located> = Vec::with_capacity(chunk.len());
            for item in chunk {
                report.read += 1;
                match item {
                    Ok(located) => valid.push(located),
                    Err(e) => report.rejected.push(e),
                }
            }
            // Under `strict` one bad record fails the whole input, but the
            // reading goes on so that every bad line is reported at once;
            // nothing more is indexed (and nothing was committed).
            if options.strict && !report.rejected.is_empty() {
                continue;
            }
            for located in &valid {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                located.record.id().hash(&mut h);
                if let Some(first) = seen.insert(h.finish(), located.line) {
                    report.warnings.push(format!(
                        "{}:{}: id: duplicate id `{}` (also on line {first}); the later record wins",
                        input.origin,
                        located.line,
                        located.record.id()
                    ));
                }
            }
            let labelled: Vec<Vec<AssignedLabel>> = valid
                .par_iter()
                .map(|l| {
                    let mut labels = gold_labels(&l.record);
                    if let Some(m) = labeller {
                        labels.extend(m.predict_missing(&l.record));
                    }
                    corrections.apply(&l.record, &mut labels);
                    labels
                })
                .collect();
            let mut blobs: Vec<Option<Vec<u8>>> = vec![None; valid.len()];
            if vectors != VectorPolicy::Off {
                let chosen: Vec<usize> = (0..valid.len())
                    .filter(|&i| {
                        embed_partnerships || valid[i].record.kind() == crate::record::Kind::Lesson
                    })
                    .collect();
                let records: Vec<&crate::Record> =
                    chosen.iter().map(|&i| &valid[i].record).collect();
                let made = crate::embed::record_vectors(&records, precomputed)?;
                for (i, blob) in chosen.into_iter().zip(made) {
                    blobs[i] = Some(blob);
                }
            }
            for ((located, labels), blob) in valid.iter().zip(&labelled).zip(&blobs) {
                report.predicted += labels
                    .iter()
                    .filter(|l| l.origin == Origin::Predicted)
                    .count() as u64;
                writer.upsert_with_vectors(
                    &located.record,
                    labels,
                    &input.origin,
                    blob.as_deref(),
                )?;
                report.indexed += 1;
                report.count(&located.record);
                since_commit += 1;
            }
            progress(report.read);
            if !options.strict && since_commit >= options.batch_size {
                writer.commit()?;
                since_commit = 0;
            }
        }
    }
    if options.strict && !report.rejected.is_empty() {
        // Dropping the writer without a commit discards what it holds.
        return Err(crate::error::UserError::Rejected {
            errors: std::mem::take(&mut report.rejected),
        }
        .into());
    }
    writer.commit()?;
    writer.finish()?;
    kb.reload()?;
    report.total_docs = kb.num_docs();
    Ok(report)
}
