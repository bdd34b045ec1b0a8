//! Writing records into the index.

use super::{Fields, KnowledgeBase};
use crate::error::{InternalError, Result};
use crate::label::{AssignedLabel, Origin};
use crate::record::{Partnership, Record};
use crate::typology::Axis;
use tantivy::schema::Facet;
use tantivy::{IndexWriter, TantivyDocument, Term};

/// How the index writer uses the machine.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Indexing memory budget in bytes, split across writer threads.
    pub memory_budget: usize,
    /// Writer threads; `None` lets tantivy choose (at most the cores).
    pub threads: Option<usize>,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            memory_budget: 64 << 20,
            threads: None,
        }
    }
}

/// An open index writer. Dropping it without [`KbWriter::commit`]
/// discards everything added since the last commit.
pub struct KbWriter {
    writer: IndexWriter,
    fields: Fields,
}

impl KbWriter {
    pub(super) fn new(kb: &KnowledgeBase, options: &WriterOptions) -> Result<KbWriter> {
        let threads = options
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, 8);
        // tantivy needs at least 15 MB per thread; fewer threads rather than
        // an error when the budget is small.
        let per_thread_min = 15 << 20;
        let threads = threads.min((options.memory_budget / per_thread_min).max(1));
        let budget = options.memory_budget.max(per_thread_min * threads);
        let writer = kb
            .index()
            .writer_with_num_threads(threads, budget)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => InternalError::WriterBusy {
                    path: kb.path().to_path_buf(),
                },
                other => InternalError::Index(other),
            })?;
        Ok(KbWriter {
            writer,
            fields: kb.fields().clone(),
        })
    }

    /// Add `record`, replacing any document with the same id.
    pub fn upsert(
        &mut self,
        record: &Record,
        labels: &[AssignedLabel],
        origin: &str,
    ) -> Result<()> {
        self.upsert_with_vectors(record, labels, origin, None)
    }

    /// [`KbWriter::upsert`] with the record's window vectors (the stored
    /// form of [`crate::embed::store::WindowVectors`]), kept in the same
    /// document so that they are committed, replaced and deleted with it.
    /// An index without a vectors field (schema 1) ignores them.
    pub fn upsert_with_vectors(
        &mut self,
        record: &Record,
        labels: &[AssignedLabel],
        origin: &str,
        vectors: Option<&[u8]>,
    ) -> Result<()> {
        let f = &self.fields;
        self.writer
            .delete_term(Term::from_field_text(f.id, record.id()));
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, record.id());
        doc.add_text(f.kind, record.kind().name());
        doc.add_text(f.title, record.title());
        doc.add_text(f.body, record.text());
        doc.add_text(f.origin, origin);
        let facet = |parts: &[&str]| Facet::from_path(parts.iter().copied());
        doc.add_facet(f.facets, facet(&["kind", record.kind().name()]));
        doc.add_facet(f.facets, facet(&["origin", origin]));
        for label in labels {
            let path = facet(&[label.axis.name(), label.label.name()]);
            doc.add_facet(f.facets, path.clone());
            // A person's correction is a human label: `--gold-only`
            // filters and counts include it.
            if label.origin.is_human() {
                doc.add_facet(f.gold, path);
            }
            if label.origin == Origin::Corrected {
                doc.add_facet(f.facets, facet(&["corrected", label.axis.name()]));
            }
        }
        // Which model labelled the record, for `/api/stats` and
        // `reclassify`; one facet per record, not per label.
        let mut models: Vec<&str> = labels.iter().filter_map(|l| l.model.as_deref()).collect();
        models.sort_unstable();
        models.dedup();
        for model in models {
            doc.add_facet(f.facets, facet(&["model", model]));
        }
        match record {
            Record::Partnership(p) => {
                for partner in &p.partners {
                    let path = facet(&["sector", partner.sector.name()]);
                    doc.add_facet(f.facets, path.clone());
                    // A sector the input gave is a human fact, as a gold
                    // label is: `--gold-only` filters and counts sectors
                    // on these alone, leaving out those inferred from
                    // names.
                    if partner.sector_origin.is_given() {
                        doc.add_facet(f.gold, path);
                    }
                }
                for theme in &p.themes {
                    doc.add_facet(f.facets, facet(&["theme", theme]));
                }
                if let Some(scope) = p.scope {
                    doc.add_facet(f.facets, facet(&["scope", scope.name()]));
                }
            }
            Record::Lesson(l) => {
                for axis in Axis::PARTNERSHIP {
                    for class in l.applies_to.get(axis) {
                        doc.add_facet(f.facets, facet(&["applies", axis.name(), class.name()]));
                    }
                }
                for example in &l.examples {
                    doc.add_text(f.examples, example);
                }
            }
        }
        // Records and labels are plain data: serialising them cannot fail.
        let json = serde_json::to_string(record).expect("a record serialises");
        doc.add_text(f.record, json);
        let labels_json = serde_json::to_string(labels).expect("labels serialise");
        doc.add_text(f.labels, labels_json);
        if let Some(sort) = &f.sort {
            doc.add_text(sort.name, sort_name(record.title()));
            if let Record::Partnership(Partnership {
                start_year: Some(year),
                ..
            }) = record
            {
                doc.add_i64(sort.start_year, i64::from(*year));
            }
            if let Some(lowest) = labels
                .iter()
                .filter_map(|l| l.probability)
                .min_by(f64::total_cmp)
            {
                doc.add_f64(sort.confidence, lowest);
            }
        }
        if let (Some(field), Some(bytes)) = (f.vectors, vectors) {
            doc.add_bytes(field, bytes);
            if let Some(tag) = crate::embed::store::blob_tag(bytes) {
                let [root, tag] = crate::embed::store::tag_facet(tag);
                doc.add_facet(f.facets, facet(&[&root, &tag]));
            }
        }
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Remove the record `id` (nothing when there is none).
    pub fn delete_id(&mut self, id: &str) {
        self.writer
            .delete_term(Term::from_field_text(self.fields.id, id));
    }

    /// Remove every document ingested from `origin`.
    pub fn delete_origin(&mut self, origin: &str) {
        self.writer
            .delete_term(Term::from_field_text(self.fields.origin, origin));
    }

    /// Make everything added so far durable and visible, atomically.
    pub fn commit(&mut self) -> Result<()> {
        self.writer.commit()?;
        Ok(())
    }

    /// Wait for merges to finish (call once at the end of an ingest).
    pub fn finish(self) -> Result<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }

    /// Merge the index's segments into at most `target` (at least one),
    /// dropping deleted documents; returns the segment counts before and
    /// after.
    ///
    /// A bulk ingest leaves a dozen segments for a million records, and a
    /// search pays a setup and a ranking warm-up in each: an index that is
    /// loaded once and then searched (a registry) answers faster merged,
    /// as search engines' "force merge" does. Segments are grouped by size
    /// into `target` merges of about equal documents, which run in
    /// parallel.
    pub(super) fn compact(mut self, kb: &KnowledgeBase, target: usize) -> Result<(usize, usize)> {
        self.writer
            .set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let mut segments = self.writer.index().searchable_segment_metas()?;
        let before = segments.len();
        let target = target.max(1);
        // Largest first, each into the group with the fewest documents so far.
        segments.sort_by_key(|m| std::cmp::Reverse(m.num_docs()));
        let mut groups: Vec<(u64, Vec<tantivy::index::SegmentId>)> = vec![(0, Vec::new()); target];
        for meta in &segments {
            if let Some(group) = groups.iter_mut().min_by_key(|(docs, _)| *docs) {
                group.0 += u64::from(meta.num_docs());
                group.1.push(meta.id());
            }
        }
        let merges: Vec<_> = groups
            .into_iter()
            .filter(|(_, ids)| {
                // A lone segment needs merging only to drop deleted documents.
                ids.len() > 1
                    || ids
                        .first()
                        .is_some_and(|id| segments.iter().any(|m| m.id() == *id && m.has_deletes()))
            })
            .map(|(_, ids)| self.writer.merge(&ids))
            .collect();
        for merge in merges {
            merge.wait()?;
        }
        // tantivy keeps the files of every segment whose metadata is still
        // held in the process: let go of ours and of the old searchers',
        // then remove the merged segments' files.
        drop(segments);
        kb.reload()?;
        self.writer.garbage_collect_files().wait()?;
        let index = self.writer.index().clone();
        self.writer.wait_merging_threads()?;
        let after = index.searchable_segment_metas()?.len();
        Ok((before, after))
    }
}

/// The key a name sorts by: lower-cased, without the quotes, brackets
/// and dashes some registry titles start with, so `"Clean Cooking"` sorts
/// under c.
fn sort_name(title: &str) -> String {
    title
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}
