//! One record as a reader sees it: the stored record and its labels, the
//! model's reading of its text with evidence, and the records that go
//! with it (lessons for a partnership's type; example and like
//! partnerships for a lesson). `partnerkb show` and
//! `GET /api/{partnerships,lessons}/{id}` are both this, so the terminal
//! and the page never disagree about a record.

use crate::analyze::Analyzer;
use crate::classify::{AxisPrediction, Model};
use crate::error::{Result, UserError};
use crate::index::{Hit, KnowledgeBase, SearchRequest};
use crate::record::{Kind, Lesson, Record};
use crate::typology::{Axis, Class};
use serde::Serialize;
use std::collections::BTreeMap;

/// Related records shown with a record.
pub const RELATED: usize = 5;
/// Evidence terms per axis.
pub const EVIDENCE_TERMS: usize = 8;

/// A record with everything shown beside it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    /// Record id.
    pub id: String,
    /// `partnership` or `lesson`.
    pub kind: Kind,
    /// Name or title.
    pub title: String,
    /// The whole record, as stored.
    pub record: serde_json::Value,
    /// Gold, corrected and predicted labels.
    pub labels: Vec<crate::label::AssignedLabel>,
    /// The model's reading of the text, per axis; `None` for a stored
    /// record without text (it has labels but nothing to explain).
    pub classification: Option<BTreeMap<Axis, AxisPrediction>>,
    /// For a partnership, lessons for partnerships of its type; for a
    /// lesson, its named examples and partnerships of the type it applies
    /// to that are closest to it in wording.
    pub related: Vec<Hit>,
}

impl RecordView {
    /// The view of record `id`. With `kind`, a record of the other kind is
    /// not found (the API's routes are per kind).
    pub fn load(kb: &KnowledgeBase, model: &Model, id: &str, kind: Option<Kind>) -> Result<Self> {
        let hit = kb.get(id)?;
        if kind.is_some_and(|k| k != hit.kind) {
            return Err(UserError::NotFound(id.to_string()).into());
        }
        let record = hit.to_record()?;
        let classification =
            match model.classify(&mut Analyzer::default(), &record, 0.0, EVIDENCE_TERMS) {
                Ok(map) => Some(map),
                Err(e) if e.is_user_error() => None,
                Err(e) => return Err(e),
            };
        let related = match &record {
            Record::Partnership(_) => lessons_for_type(kb, &hit)?,
            Record::Lesson(lesson) => example_partnerships(kb, lesson)?,
        };
        Ok(RecordView {
            id: hit.id,
            kind: hit.kind,
            title: hit.title,
            record: hit.record,
            labels: hit.labels,
            classification,
            related,
        })
    }
}

/// The label a record carries on `axis`: gold or corrected if any, else
/// predicted.
pub fn label_on(hit: &Hit, axis: Axis) -> Option<Class> {
    hit.labels
        .iter()
        .filter(|l| l.axis == axis)
        .min_by_key(|l| l.probability.is_some())
        .map(|l| l.label)
}

/// Lessons for partnerships of this record's type: the search ranks those
/// whose `applies_to` or examples match the function and mode first.
fn lessons_for_type(kb: &KnowledgeBase, hit: &Hit) -> Result<Vec<Hit>> {
    let req = SearchRequest {
        kind: Some(Kind::Lesson),
        function: label_on(hit, Axis::Function).into_iter().collect(),
        mode: label_on(hit, Axis::Mode).into_iter().collect(),
        limit: RELATED,
        facets: false,
        ..SearchRequest::default()
    };
    Ok(kb.search(&req)?.hits)
}

/// The lesson's named examples, then partnerships of the type it applies
/// to that are closest to it in wording (BM25 over the lesson's leading
/// words: its title alone is too short and too generic to rank by).
fn example_partnerships(kb: &KnowledgeBase, lesson: &Lesson) -> Result<Vec<Hit>> {
    let mut out: Vec<Hit> = Vec::new();
    for id in &lesson.examples {
        match kb.get(id) {
            Ok(hit) if hit.kind == Kind::Partnership => out.push(hit),
            Ok(_) | Err(crate::Error::User(UserError::NotFound(_))) => {}
            Err(e) => return Err(e),
        }
    }
    if out.len() < RELATED {
        let req = SearchRequest {
            query: plain_words(&lead_words(
                &format!("{}. {}", lesson.title, lesson.text),
                60,
            )),
            kind: Some(Kind::Partnership),
            function: lesson.applies_to.function.clone(),
            mode: lesson.applies_to.mode.clone(),
            limit: RELATED + out.len(),
            facets: false,
            ..SearchRequest::default()
        };
        for hit in kb.search(&req)?.hits {
            if out.len() >= RELATED {
                break;
            }
            if !out.iter().any(|h| h.id == hit.id) {
                out.push(hit);
            }
        }
    }
    Ok(out)
}

/// The first `n` words of `text`.
fn lead_words(text: &str, n: usize) -> String {
    text.split_whitespace()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Keep letters, digits and spaces: a title used as a query must not be
/// read as query syntax.
fn plain_words(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect()
}
