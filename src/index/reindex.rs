//! Schema versions and `reindex`: rebuilding an index from its own stored
//! records into a fresh index of the current schema.
//!
//! Every index directory records the schema it was written with in
//! `partnerkb-index.json` (an index from before versioning has none and is
//! version 1). An index from an older build is still opened and searched
//! as far as it can be, and says so; one from a newer build is refused, as
//! this build cannot know what its fields mean.
//!
//! `reindex` needs nothing but the index: records are stored whole, with
//! their labels and source, and the corrections journal is carried over
//! and applied. The new index is built beside the old one and swapped in
//! only once complete, so an interrupted reindex leaves the old index as
//! it was.

use super::search::facet_term;
use super::{KnowledgeBase, WriterOptions, SCHEMA_VERSION};
use crate::corrections::JOURNAL_FILE;
use crate::embed::store::{blob_tag, model_tag};
use crate::embed::{record_vectors, Embedder};
use crate::error::{InternalError, Result, UserError};
use crate::ingest::{VectorPolicy, Vectors, AUTO_PARTNERSHIP_LIMIT};
use crate::label::AssignedLabel;
use crate::record::{Kind, Record};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tantivy::collector::Count;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;

/// The file that records an index's schema version.
pub const VERSION_FILE: &str = "partnerkb-index.json";

#[derive(Debug, Serialize, Deserialize)]
struct VersionFile {
    schema_version: u32,
}

/// The schema version the index in `dir` was written with (1 for an index
/// from before versions were recorded).
pub fn schema_version_of(dir: &Path) -> Result<u32> {
    let path = dir.join(VERSION_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice::<VersionFile>(&bytes)
            .map(|v| v.schema_version)
            .map_err(|e| {
                InternalError::Damaged {
                    what: path.display().to_string(),
                    reason: e.to_string(),
                }
                .into()
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(1),
        Err(e) => Err(InternalError::IndexDir {
            path: dir.to_path_buf(),
            reason: format!("cannot read {VERSION_FILE}: {e}"),
        }
        .into()),
    }
}

/// Record that the index in `dir` has the current schema.
pub(super) fn write_schema_version(dir: &Path) -> Result<()> {
    let json = serde_json::to_vec(&VersionFile {
        schema_version: SCHEMA_VERSION,
    })
    .expect("a version serialises");
    let tmp = dir.join(format!("{VERSION_FILE}.tmp"));
    std::fs::write(&tmp, json)
        .and_then(|_| std::fs::rename(&tmp, dir.join(VERSION_FILE)))
        .map_err(|e| {
            InternalError::IndexDir {
                path: dir.to_path_buf(),
                reason: format!("cannot write {VERSION_FILE}: {e}"),
            }
            .into()
        })
}

/// Refuse an index written by a newer build.
pub(super) fn check_not_newer(dir: &Path, version: u32) -> Result<()> {
    if version > SCHEMA_VERSION {
        return Err(UserError::NotAnIndex {
            path: dir.to_path_buf(),
            reason: format!(
                "written by a newer partnerkb (schema {version}; this build reads up to {SCHEMA_VERSION}): upgrade partnerkb"
            ),
        }
        .into());
    }
    Ok(())
}

/// What a reindex did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReindexReport {
    /// Schema version of the old index.
    pub from_version: u32,
    /// Schema version of the new one.
    pub to_version: u32,
    /// Records carried over.
    pub records: u64,
    /// Journaled corrections carried over (lines kept as they were).
    pub corrections: usize,
    /// Records that had no vectors of the current embedding model and got
    /// them (see [`VectorPolicy`]).
    pub embedded: u64,
}

/// Records without vectors of the current model waiting to be embedded
/// together (the encoder is several times faster on a batch).
const EMBED_BATCH: usize = 32;

impl KnowledgeBase {
    /// The schema version this index was written with.
    pub fn schema_version(&self) -> u32 {
        self.schema_version
    }

    /// A note for the user when the index is older than this build, once
    /// per command: what is missing and how to upgrade.
    pub fn schema_note(&self) -> Option<String> {
        (self.schema_version < SCHEMA_VERSION).then(|| {
            format!(
                "index {} was written by an older partnerkb (schema {}, this build writes {SCHEMA_VERSION}); `partnerkb reindex --index {}` upgrades it",
                self.path().display(),
                self.schema_version,
                self.path().display()
            )
        })
    }

    /// Rebuild the index at `dir` from its own stored records (and
    /// corrections) into a new index of the current schema, swapped in
    /// atomically once complete. Returns the report and the new index.
    ///
    /// Records without vectors of the current embedding model get them as
    /// `vectors` says, as at ingest: an index built without vectors (or
    /// with another model) becomes searchable by meaning.
    pub fn reindex(
        dir: &Path,
        options: &WriterOptions,
        vectors: Vectors<'_>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(ReindexReport, KnowledgeBase)> {
        let old = KnowledgeBase::open(dir)?;
        // Hold the old index's writer lock: nobody writes to it while its
        // records are copied.
        let lock = old.writer(&WriterOptions {
            memory_budget: 15 << 20,
            threads: Some(1),
        })?;
        let dir_error = |reason: String| InternalError::IndexDir {
            path: dir.to_path_buf(),
            reason,
        };
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "index".into());
        let parent = dir.parent().unwrap_or(Path::new("."));
        let fresh: PathBuf = parent.join(format!(".{name}.reindex"));
        let retired: PathBuf = parent.join(format!(".{name}.old"));
        for leftover in [&fresh, &retired] {
            if leftover.exists() {
                std::fs::remove_dir_all(leftover)
                    .map_err(|e| dir_error(format!("cannot remove {}: {e}", leftover.display())))?;
            }
        }
        let mut report = ReindexReport {
            from_version: old.schema_version(),
            to_version: SCHEMA_VERSION,
            ..ReindexReport::default()
        };
        let contents = old.corrections()?;
        report.corrections = contents.entries.len();
        let latest = contents.latest();
        {
            let new = KnowledgeBase::open_or_create(&fresh)?;
            if let Some(journal) = old.journal() {
                if journal.path().exists() {
                    std::fs::copy(journal.path(), fresh.join(JOURNAL_FILE)).map_err(|e| {
                        dir_error(format!("cannot copy the corrections journal: {e}"))
                    })?;
                }
            }
            let mut writer = new.writer(options)?;
            let tag = match vectors.policy {
                VectorPolicy::Off => None,
                _ => Some(model_tag(&Embedder::shared_model_id()?)),
            };
            let embed_partnerships = match vectors.policy {
                VectorPolicy::All => true,
                VectorPolicy::Auto => {
                    let kind = facet_term(old.fields().facets, &["kind", "partnership"]);
                    let n = old
                        .searcher()
                        .search(&TermQuery::new(kind, IndexRecordOption::Basic), &Count)?;
                    n <= AUTO_PARTNERSHIP_LIMIT
                }
                VectorPolicy::Off => false,
            };
            let mut waiting: Vec<(Record, Vec<AssignedLabel>, String)> = Vec::new();
            let flush = |waiting: &mut Vec<(Record, Vec<AssignedLabel>, String)>,
                         writer: &mut super::KbWriter|
             -> Result<u64> {
                let records: Vec<&Record> = waiting.iter().map(|(r, _, _)| r).collect();
                let blobs = record_vectors(&records, vectors.precomputed)?;
                for ((record, labels, source), blob) in waiting.iter().zip(&blobs) {
                    writer.upsert_with_vectors(record, labels, source, Some(blob))?;
                }
                let n = waiting.len() as u64;
                waiting.clear();
                Ok(n)
            };
            old.for_each_stored(|record, mut labels, source, stored| {
                latest.apply(&record, &mut labels);
                report.records += 1;
                let wanted = tag.is_some_and(|tag| {
                    stored.as_deref().and_then(blob_tag) != Some(tag)
                        && (embed_partnerships || record.kind() == Kind::Lesson)
                });
                if wanted {
                    waiting.push((record, labels, source));
                    if waiting.len() >= EMBED_BATCH {
                        report.embedded += flush(&mut waiting, &mut writer)?;
                        progress(report.records);
                    }
                } else {
                    writer.upsert_with_vectors(&record, &labels, &source, stored.as_deref())?;
                }
                if report.records.is_multiple_of(10_000) {
                    progress(report.records);
                }
                Ok(())
            })?;
            report.embedded += flush(&mut waiting, &mut writer)?;
            writer.commit()?;
            writer.finish()?;
            progress(report.records);
        }
        drop(lock);
        // Swap: the old index steps aside, the new one takes its name, and
        // only then is the old one removed.
        std::fs::rename(dir, &retired)
            .map_err(|e| dir_error(format!("cannot move the old index aside: {e}")))?;
        if let Err(e) = std::fs::rename(&fresh, dir) {
            let _ = std::fs::rename(&retired, dir);
            return Err(dir_error(format!("cannot put the new index in place: {e}")).into());
        }
        drop(old);
        let _ = std::fs::remove_dir_all(&retired);
        Ok((report, KnowledgeBase::open(dir)?))
    }
}
