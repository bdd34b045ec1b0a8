//! Changing the labels of records already in the index: a person's
//! correction (journaled, see [`crate::corrections`]) and reclassification
//! by a newer model.
//!
//! Both rewrite a stored record's document with new labels and leave its
//! text alone. Both hold the index's writer lock for the whole change, so
//! two processes never interleave a journal line and a commit.

use super::{Hit, KbWriter, KnowledgeBase, WriterOptions};
use crate::corrections::{self, Action, Contents, Correction, Journal, Latest, Previous};
use crate::error::{InternalError, Result, UserError};
use crate::label::{AssignedLabel, Labeller, Origin};
use crate::record::{Kind, Lesson, Partnership, Record};
use crate::typology::{Axis, Class};
use rayon::prelude::*;
use std::collections::BTreeMap;
use tantivy::schema::Value;
use tantivy::TantivyDocument;

/// One change asked for on one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Give the axis this class.
    Set(Class),
    /// Confirm the label the axis has now.
    Confirm(Axis),
}

impl Change {
    /// The axis changed.
    pub fn axis(self) -> Axis {
        match self {
            Change::Set(c) => c.axis(),
            Change::Confirm(a) => a,
        }
    }
}

/// A person's correction of one record's labels.
#[derive(Debug, Clone)]
pub struct LabelRequest {
    /// The record's id.
    pub id: String,
    /// The kind the caller expects (the API's route), if any: a record of
    /// another kind is "not found".
    pub kind: Option<Kind>,
    /// One change per axis.
    pub changes: Vec<Change>,
    /// Who.
    pub by: String,
    /// Why (required to change a label, optional to confirm one).
    pub reason: Option<String>,
}

impl LabelRequest {
    /// Refuse what cannot be journaled before anything is locked.
    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(UserError::Correction(m).into());
        if self.by.trim().is_empty() {
            return bad("say who is correcting (a name, `by`)".into());
        }
        if self.changes.is_empty() {
            return bad("nothing to change: give AXIS=VALUE or confirm an axis".into());
        }
        let reason = self.reason.as_deref().map(str::trim).unwrap_or_default();
        if reason.is_empty() && self.changes.iter().any(|c| matches!(c, Change::Set(_))) {
            return bad("a changed label needs a reason (`reason`)".into());
        }
        for (i, c) in self.changes.iter().enumerate() {
            if self.changes[..i].iter().any(|d| d.axis() == c.axis()) {
                return bad(format!("axis `{}` is given twice", c.axis()));
            }
        }
        Ok(())
    }
}

/// What a reclassification changed.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReclassifyReport {
    /// Records read.
    pub records: u64,
    /// Predicted labels looked at (gold and corrected ones are kept).
    pub predicted: u64,
    /// Records written again (a label changed, or the model's id).
    pub rewritten: u64,
    /// Per axis, `from → to` counts of labels that changed class.
    pub changed: BTreeMap<Axis, BTreeMap<String, u64>>,
}

impl ReclassifyReport {
    /// Labels that changed class, all axes together.
    pub fn changed_labels(&self) -> u64 {
        self.changed.values().flat_map(|m| m.values()).sum()
    }
}

impl Hit {
    /// The stored record, parsed back.
    pub fn to_record(&self) -> Result<Record> {
        stored_record(self.kind, self.record.clone()).map_err(|e| {
            InternalError::Damaged {
                what: format!("record `{}` in the index", self.id),
                reason: e.to_string(),
            }
            .into()
        })
    }
}

impl KnowledgeBase {
    /// The index's corrections journal; `None` for an index in memory.
    pub fn journal(&self) -> Option<Journal> {
        self.on_disk().then(|| Journal::of_index(self.path()))
    }

    /// Everything the journal holds (nothing for an index in memory).
    pub fn corrections(&self) -> Result<Contents> {
        match self.journal() {
            Some(j) => j.read(),
            None => Ok(Contents::default()),
        }
    }

    /// The trail of corrections of record `id`, oldest first. A record
    /// that is no longer in the index keeps its trail.
    pub fn history(&self, id: &str) -> Result<Vec<Correction>> {
        Ok(self
            .corrections()?
            .history(id)
            .into_iter()
            .cloned()
            .collect())
    }

    /// Record a person's correction: journal it (synced), then show it in
    /// the index (committed) before returning.
    pub fn correct(&self, req: &LabelRequest, options: &WriterOptions) -> Result<Vec<Correction>> {
        req.check()?;
        let journal = self.journal().ok_or_else(|| {
            UserError::Correction("an index in memory keeps no corrections".into())
        })?;
        // The writer's lock serialises journal appends between processes.
        let mut writer = self.writer(options)?;
        self.reload()?;
        let hit = self.get(&req.id)?;
        if req.kind.is_some_and(|k| k != hit.kind) {
            return Err(UserError::NotFound(req.id.clone()).into());
        }
        let record = hit.to_record()?;
        let kind = record.kind();
        let contents = journal.read()?;
        let at = corrections::now();
        let text_sha256 = corrections::text_sha256(record.text());
        let mut made = Vec::with_capacity(req.changes.len());
        for (seq, change) in (contents.next_seq()..).zip(&req.changes) {
            let axis = change.axis();
            if !kind.axes().contains(&axis) {
                let names: Vec<&str> = kind.axes().iter().map(|a| a.name()).collect();
                return Err(UserError::Correction(format!(
                    "`{axis}` is not an axis of {}s (they have {})",
                    kind.name(),
                    names.join(", ")
                ))
                .into());
            }
            let current = hit.labels.iter().find(|l| l.axis == axis);
            let (label, action) = match change {
                Change::Set(class) => (*class, Action::Set),
                Change::Confirm(_) => match current {
                    Some(l) => (l.label, Action::Confirm),
                    None => {
                        return Err(UserError::Correction(format!(
                            "record `{}` has no {axis} label to confirm",
                            req.id
                        ))
                        .into())
                    }
                },
            };
            made.push(Correction {
                seq,
                kind,
                id: record.id().to_string(),
                axis,
                label,
                action,
                by: req.by.trim().to_string(),
                at: at.clone(),
                reason: req
                    .reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(String::from),
                previous: current.map(|l| Previous {
                    label: l.label,
                    origin: l.origin,
                    probability: l.probability,
                }),
                text_sha256: text_sha256.clone(),
            });
        }
        let latest = contents.latest();
        self.apply_pending(&mut writer, &latest)?;
        journal.append(&made)?;
        let mut all = contents;
        all.entries.extend(made.iter().cloned());
        let mut labels = hit.labels.clone();
        all.latest().apply(&record, &mut labels);
        let vectors = self.stored_vectors(&req.id)?;
        writer.upsert_with_vectors(&record, &labels, &hit.source, vectors.as_deref())?;
        writer.commit()?;
        self.reload()?;
        Ok(made)
    }

    /// Corrected records whose document does not show their latest
    /// corrections: a crash came between the journal's sync and the
    /// index's commit. Records not in the index are not pending.
    pub fn pending_corrections(&self, latest: &Latest) -> Result<Vec<String>> {
        let mut pending = Vec::new();
        for id in latest.ids() {
            let hit = match self.get(id) {
                Ok(hit) => hit,
                Err(crate::Error::User(UserError::NotFound(_))) => continue,
                Err(e) => return Err(e),
            };
            let shown = latest.of(id).filter(|c| c.kind == hit.kind).all(|c| {
                hit.labels.iter().any(|l| {
                    l.axis == c.axis
                        && l.label == c.label
                        && l.correction.as_ref().is_some_and(|n| n.seq == c.seq)
                })
            });
            if !shown {
                pending.push(id.to_string());
            }
        }
        Ok(pending)
    }

    /// Bring the documents of [`Self::pending_corrections`] up to date
    /// (uncommitted); returns how many were rewritten.
    pub(crate) fn apply_pending(&self, writer: &mut KbWriter, latest: &Latest) -> Result<usize> {
        let pending = self.pending_corrections(latest)?;
        for id in &pending {
            let hit = self.get(id)?;
            let record = hit.to_record()?;
            let mut labels = hit.labels.clone();
            latest.apply(&record, &mut labels);
            let vectors = self.stored_vectors(id)?;
            writer.upsert_with_vectors(&record, &labels, &hit.source, vectors.as_deref())?;
        }
        Ok(pending.len())
    }

    /// Apply journaled corrections the index does not show yet and commit;
    /// returns how many records were brought up to date. A server that
    /// accepts writes calls this when it starts.
    pub fn sync_corrections(&self, options: &WriterOptions) -> Result<usize> {
        let latest = self.corrections()?.latest();
        if latest.is_empty() || self.pending_corrections(&latest)?.is_empty() {
            return Ok(0);
        }
        let mut writer = self.writer(options)?;
        self.reload()?;
        let n = self.apply_pending(&mut writer, &latest)?;
        writer.commit()?;
        self.reload()?;
        Ok(n)
    }

    /// The window vectors stored with record `id`, if any.
    pub(crate) fn stored_vectors(&self, id: &str) -> Result<Option<Vec<u8>>> {
        use tantivy::collector::TopDocs;
        use tantivy::query::TermQuery;
        let f = self.fields();
        let Some(field) = f.vectors else {
            return Ok(None);
        };
        let searcher = self.searcher();
        let query = TermQuery::new(
            tantivy::Term::from_field_text(f.id, id),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        let Some((_, addr)) = top.first() else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(*addr)?;
        Ok(doc
            .get_first(field)
            .and_then(|v| v.as_bytes())
            .map(<[u8]>::to_vec))
    }

    /// Every stored record with its labels, source and window vectors, in
    /// index order.
    pub(crate) fn for_each_stored(
        &self,
        mut each: impl FnMut(Record, Vec<AssignedLabel>, String, Option<Vec<u8>>) -> Result<()>,
    ) -> Result<()> {
        let f = self.fields().clone();
        let searcher = self.searcher();
        for segment in searcher.segment_readers() {
            let store = segment
                .get_store_reader(64)
                .map_err(tantivy::TantivyError::from)?;
            for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
                let doc = doc?;
                let text = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                let id = text(f.id);
                let damaged = |what: &str, reason: String| InternalError::Damaged {
                    what: format!("the {what} of record `{id}` in the index"),
                    reason,
                };
                let labels: Vec<AssignedLabel> = serde_json::from_str(&text(f.labels))
                    .map_err(|e| damaged("labels", e.to_string()))?;
                let kind =
                    Kind::parse(&text(f.kind)).map_err(|e| damaged("kind", e.to_string()))?;
                let record = serde_json::from_str(&text(f.record))
                    .and_then(|json| stored_record(kind, json))
                    .map_err(|e| damaged("stored record", e.to_string()))?;
                // Window vectors travel with the document they belong to.
                let vectors = f
                    .vectors
                    .and_then(|field| doc.get_first(field))
                    .and_then(|v| v.as_bytes())
                    .map(<[u8]>::to_vec);
                each(record, labels, text(f.origin), vectors)?;
            }
        }
        Ok(())
    }

    /// Apply `labeller` to every predicted label in the index, never
    /// touching gold or corrected ones; commits after every `batch`
    /// records so a large index is relabelled in bounded memory and an
    /// interruption keeps the batches done. `progress` gets the records
    /// read so far.
    pub fn reclassify(
        &self,
        labeller: &dyn Labeller,
        options: &WriterOptions,
        batch: usize,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ReclassifyReport> {
        let mut writer = self.writer(options)?;
        self.reload()?;
        let mut report = ReclassifyReport::default();
        let mut pending: Vec<Stored> = Vec::new();
        let batch = batch.max(1);
        let flush = |pending: &mut Vec<Stored>,
                     report: &mut ReclassifyReport,
                     writer: &mut KbWriter|
         -> Result<()> {
            let relabelled: Vec<Option<Vec<AssignedLabel>>> = pending
                .par_iter()
                .map(|(record, labels, _, _)| relabel(labeller, record, labels))
                .collect();
            for ((record, old, source, vectors), new) in pending.iter().zip(relabelled) {
                report.records += 1;
                report.predicted +=
                    old.iter().filter(|l| l.origin == Origin::Predicted).count() as u64;
                let Some(new) = new else { continue };
                for label in &new {
                    let before = old.iter().find(|l| l.axis == label.axis);
                    if let Some(before) = before.filter(|b| b.label != label.label) {
                        *report
                            .changed
                            .entry(label.axis)
                            .or_default()
                            .entry(format!("{} → {}", before.label, label.label))
                            .or_default() += 1;
                    }
                }
                writer.upsert_with_vectors(record, &new, source, vectors.as_deref())?;
                report.rewritten += 1;
            }
            writer.commit()?;
            progress(report.records);
            pending.clear();
            Ok(())
        };
        self.for_each_stored(|record, labels, source, vectors| {
            pending.push((record, labels, source, vectors));
            if pending.len() >= batch {
                flush(&mut pending, &mut report, &mut writer)?;
            }
            Ok(())
        })?;
        flush(&mut pending, &mut report, &mut writer)?;
        writer.finish()?;
        self.reload()?;
        Ok(report)
    }

    fn on_disk(&self) -> bool {
        self.path() != std::path::Path::new(super::IN_MEMORY)
    }
}

/// A record as the index stores it (JSON of its kind), parsed back.
fn stored_record(kind: Kind, json: serde_json::Value) -> serde_json::Result<Record> {
    match kind {
        Kind::Partnership => serde_json::from_value::<Partnership>(json).map(Record::Partnership),
        Kind::Lesson => serde_json::from_value::<Lesson>(json).map(Record::Lesson),
    }
}

/// A stored record: the record, its labels, its source, its vectors.
type Stored = (Record, Vec<AssignedLabel>, String, Option<Vec<u8>>);

/// The record's labels after `labeller` predicts again every axis that has
/// no human label; `None` when nothing would change (same classes, same
/// model).
fn relabel(
    labeller: &dyn Labeller,
    record: &Record,
    labels: &[AssignedLabel],
) -> Option<Vec<AssignedLabel>> {
    let mut new: Vec<AssignedLabel> = labels
        .iter()
        .filter(|l| l.origin.is_human())
        .cloned()
        .collect();
    for label in labeller.predict_missing(record) {
        if !new.iter().any(|l| l.axis == label.axis) {
            new.push(label);
        }
    }
    new.sort_by_key(|l| l.axis);
    let mut old = labels.to_vec();
    old.sort_by_key(|l| l.axis);
    let same = old.len() == new.len()
        && old.iter().zip(&new).all(|(a, b)| {
            a.axis == b.axis && a.label == b.label && a.origin == b.origin && a.model == b.model
        });
    (!same).then_some(new)
}
