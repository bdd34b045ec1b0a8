//! The knowledge base: a tantivy index of partnerships and lessons.
//!
//! Labels are indexed twice, once as facets that include predictions
//! (`facets`) and once as gold-only facets (`gold`), so a filter can be
//! restricted to human labels without a second index. Records are stored
//! whole as JSON so that what comes out is exactly what went in.

mod choices;
mod delete;
mod file_check;
mod query;
mod reindex;
mod relabel;
mod relax;
mod schema;
mod search;
mod snippet;
mod top_hits;
mod vectors;
mod writer;

pub use choices::{Choices, ALL_KINDS};
pub use delete::DeleteReport;
pub use file_check::VERIFIED_FILE;
pub use query::{Correction, QueryNotes};
pub use reindex::{schema_version_of, ReindexReport, VERSION_FILE};
pub use relabel::{Change, LabelRequest, ReclassifyReport};
pub use relax::Relaxation;
pub use schema::{Fields, DOCUMENT_VERSION, SCHEMA_VERSION};
pub use search::{Direction, FacetCounts, Hit, SearchRequest, SearchResults, Sort, Stats};
pub use vectors::{Retrieval, RetrievalNote};
pub use writer::{KbWriter, WriterOptions};

use crate::analyze;
use crate::error::{InternalError, Result, UserError};
use std::path::{Path, PathBuf};
use tantivy::{Index, IndexReader, ReloadPolicy};

/// The path an index in memory reports.
const IN_MEMORY: &str = ":memory:";

/// An opened knowledge base.
#[derive(Clone)]
pub struct KnowledgeBase {
    index: Index,
    fields: Fields,
    reader: IndexReader,
    path: PathBuf,
    /// Filter bitsets per segment, shared by the clones of this handle.
    filters: std::sync::Arc<top_hits::FilterCache>,
    /// The schema version the index was written with.
    schema_version: u32,
    /// Window vectors per segment, shared likewise.
    vectors: std::sync::Arc<vectors::VectorCache>,
    /// Cited partnerships per type, for the searcher they were read from
    /// (see [`search::CitedCache`]).
    cited: std::sync::Arc<search::CitedCache>,
}

impl KnowledgeBase {
    /// Open the index at `path`, creating it (and the directory) if absent.
    pub fn open_or_create(path: &Path) -> Result<KnowledgeBase> {
        let dir_error = |reason: String| InternalError::IndexDir {
            path: path.to_path_buf(),
            reason,
        };
        if path.exists() && !path.is_dir() {
            return Err(dir_error("exists and is not a directory".into()).into());
        }
        std::fs::create_dir_all(path).map_err(|e| dir_error(e.to_string()))?;
        let has_meta = path.join("meta.json").exists();
        let index = if has_meta {
            Index::open_in_dir(path)?
        } else {
            let (schema, _) = schema::build();
            let index = Index::create_in_dir(path, schema)?;
            reindex::write_schema_version(path)?;
            index
        };
        Self::from_index(index, path)
    }

    /// Open an existing index; an absent one is an error.
    pub fn open(path: &Path) -> Result<KnowledgeBase> {
        if !path.join("meta.json").exists() {
            return Err(UserError::NotAnIndex {
                path: path.to_path_buf(),
                reason: "no index here (ingest records into it first)".into(),
            }
            .into());
        }
        Self::from_index(Index::open_in_dir(path)?, path)
    }

    /// An index held in memory (tests, one-off classification).
    pub fn in_memory() -> Result<KnowledgeBase> {
        let (schema, _) = schema::build();
        Self::from_index(Index::create_in_ram(schema), Path::new(IN_MEMORY))
    }

    fn from_index(index: Index, path: &Path) -> Result<KnowledgeBase> {
        let schema_version = if path == Path::new(IN_MEMORY) {
            SCHEMA_VERSION
        } else {
            reindex::schema_version_of(path)?
        };
        reindex::check_not_newer(path, schema_version)?;
        index
            .tokenizers()
            .register(analyze::NAME, analyze::text_analyzer());
        let fields = schema::fields_of(&index.schema()).map_err(|e| UserError::NotAnIndex {
            path: path.to_path_buf(),
            reason: format!("not a partnerkb index ({e})"),
        })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(KnowledgeBase {
            index,
            fields,
            reader,
            path: path.to_path_buf(),
            filters: Default::default(),
            schema_version,
            vectors: Default::default(),
            cited: Default::default(),
        })
    }

    /// The directory the index lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The index's fields.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The underlying tantivy index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// See the latest commit (after an ingest by this or another process).
    pub fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        Ok(())
    }

    /// Number of documents in the last commit seen.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Merge the segments into at most `target` (see [`KbWriter::compact`]);
    /// returns the segment counts before and after.
    pub fn compact(&self, target: usize, options: &WriterOptions) -> Result<(usize, usize)> {
        let counts = self.writer(options)?.compact(self, target)?;
        self.reload()?;
        Ok(counts)
    }

    /// Start writing. Only one writer may be open per index directory.
    pub fn writer(&self, options: &WriterOptions) -> Result<KbWriter> {
        KbWriter::new(self, options)
    }

    /// Verify the index files against their checksums and read every
    /// stored document once; returns the damaged files and documents read.
    pub fn verify(&self) -> Result<(Vec<PathBuf>, u64)> {
        let mut damaged: Vec<PathBuf> = self
            .index
            .validate_checksum()?
            .into_iter()
            .map(|file| self.path.join(file))
            .collect();
        damaged.sort();
        // Files that fail their checksum are the answer; reading their
        // documents would only fail again, without naming them.
        if !damaged.is_empty() {
            return Ok((damaged, 0));
        }
        let searcher = self.searcher();
        let mut read = 0;
        for segment in searcher.segment_readers() {
            let store_file = || {
                self.path
                    .join(format!("{}.store", segment.segment_id().uuid_string()))
            };
            let unreadable = |e: String| InternalError::Damaged {
                what: store_file().display().to_string(),
                reason: e,
            };
            let store = segment
                .get_store_reader(0)
                .map_err(|e| unreadable(e.to_string()))?;
            for doc in store.iter::<tantivy::TantivyDocument>(segment.alive_bitset()) {
                doc.map_err(|e| unreadable(e.to_string()))?;
                read += 1;
            }
        }
        Ok((damaged, read))
    }

    pub(crate) fn searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }
}
