//! Batch classification: a bounded pipeline (reader → rayon workers in
//! chunks → ordered sink), so memory does not grow with the input.

use super::model::{AxisPrediction, Model};
use crate::analyze::Analyzer;
use crate::error::{RecordError, Result};
use crate::read::Item;
use crate::record::Record;
use crate::typology::Axis;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Settings of a batch run.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Below this probability a label is reported as `uncertain`.
    pub min_confidence: f64,
    /// Evidence terms per axis.
    pub evidence: usize,
    /// Records per parallel chunk.
    pub chunk: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            min_confidence: 0.0,
            evidence: 5,
            chunk: 2048,
        }
    }
}

/// The result for one input record, in input order.
#[derive(Debug)]
pub enum Outcome {
    /// Classified.
    Classified {
        /// Input line.
        line: u64,
        /// The record.
        record: Box<Record>,
        /// The input row as read.
        raw: Option<crate::read::Raw>,
        /// Per axis.
        predictions: BTreeMap<Axis, AxisPrediction>,
    },
    /// Could not be read or classified.
    Rejected(RecordError),
}

/// Totals of a batch run.
#[derive(Debug, Default, Clone, Serialize)]
pub struct BatchSummary {
    /// Records read.
    pub read: u64,
    /// Records classified.
    pub classified: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Label counts per axis (including `uncertain`).
    pub distribution: BTreeMap<String, BTreeMap<String, u64>>,
    /// Labels flagged for review, per axis.
    pub review: BTreeMap<String, u64>,
}

/// Classify every item, calling `sink` for each outcome in input order.
/// `sink` may stop the run by returning an error (e.g. `--strict`).
///
/// Three stages overlap: a reader thread parses the next chunk, the rayon
/// workers classify the current one (driven from a thread of its own), and
/// the calling thread hands the previous one to `sink`. Writing is serial
/// work; while it waited for the classification of each chunk, and the
/// workers for the writing, a core sat idle for part of every chunk. The
/// channels between the stages hold one chunk each, so at most five chunks
/// are alive at once and memory stays bounded.
pub fn classify_stream(
    model: &Model,
    items: impl Iterator<Item = Item> + Send,
    options: &BatchOptions,
    sink: &mut dyn FnMut(Outcome) -> Result<()>,
    progress: &dyn Fn(u64),
) -> Result<BatchSummary> {
    let chunk_size = options.chunk.max(1);
    let (item_sender, items_in) = std::sync::mpsc::sync_channel::<Vec<Item>>(1);
    let (outcome_sender, outcomes_in) = std::sync::mpsc::sync_channel::<Vec<Outcome>>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut items = items;
            loop {
                let chunk: Vec<Item> = items.by_ref().take(chunk_size).collect();
                // A closed channel means the consumer stopped early.
                if chunk.is_empty() || item_sender.send(chunk).is_err() {
                    break;
                }
            }
        });
        scope.spawn(move || {
            for chunk in items_in {
                if outcome_sender
                    .send(classify_chunk(model, chunk, options))
                    .is_err()
                {
                    break;
                }
            }
        });
        let result = consume(outcomes_in.iter(), sink, progress);
        // Dropping the receiver ends the classifier, and with it the
        // reader, if we stopped early.
        drop(outcomes_in);
        result
    })
}

thread_local! {
    /// One analyzer per worker thread for the whole run, so its stem memo
    /// stays warm (rayon's `map_init` would build one per split of every
    /// chunk).
    static ANALYZER: std::cell::RefCell<Analyzer> = std::cell::RefCell::new(Analyzer::default());
}

fn classify_chunk(model: &Model, chunk: Vec<Item>, options: &BatchOptions) -> Vec<Outcome> {
    chunk
        .into_par_iter()
        .map(|item| match item {
            Err(e) => Outcome::Rejected(e),
            Ok(located) => match ANALYZER.with_borrow_mut(|analyzer| {
                model.classify(
                    analyzer,
                    &located.record,
                    options.min_confidence,
                    options.evidence,
                )
            }) {
                Ok(predictions) => Outcome::Classified {
                    line: located.line,
                    record: Box::new(located.record),
                    raw: located.raw,
                    predictions,
                },
                Err(e) => Outcome::Rejected(RecordError {
                    file: String::new(),
                    line: located.line,
                    field: match located.record.kind() {
                        crate::Kind::Partnership => "description".into(),
                        crate::Kind::Lesson => "text".into(),
                    },
                    reason: e.to_string(),
                }),
            },
        })
        .collect()
}

/// Count one label, allocating the keys only the first time they are seen.
fn count(distribution: &mut BTreeMap<String, BTreeMap<String, u64>>, axis: &str, label: &str) {
    if !distribution.contains_key(axis) {
        distribution.insert(axis.to_string(), BTreeMap::new());
    }
    let Some(labels) = distribution.get_mut(axis) else {
        return;
    };
    match labels.get_mut(label) {
        Some(n) => *n += 1,
        None => {
            labels.insert(label.to_string(), 1);
        }
    }
}

fn consume(
    chunks: impl Iterator<Item = Vec<Outcome>>,
    sink: &mut dyn FnMut(Outcome) -> Result<()>,
    progress: &dyn Fn(u64),
) -> Result<BatchSummary> {
    let mut summary = BatchSummary::default();
    for outcomes in chunks {
        for outcome in outcomes {
            summary.read += 1;
            match &outcome {
                Outcome::Classified { predictions, .. } => {
                    summary.classified += 1;
                    for (axis, p) in predictions {
                        count(&mut summary.distribution, axis.name(), p.label.name());
                        if p.review {
                            *summary.review.entry(axis.name().to_string()).or_default() += 1;
                        }
                    }
                }
                Outcome::Rejected(_) => summary.rejected += 1,
            }
            sink(outcome)?;
        }
        progress(summary.read);
    }
    Ok(summary)
}
