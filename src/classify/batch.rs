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
            chunk: 4096,
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
}

/// Classify every item, calling `sink` for each outcome in input order.
/// `sink` may stop the run by returning an error (e.g. `--strict`).
///
/// A reader thread parses the next chunk while the rayon workers classify
/// the current one and the calling thread writes the previous results; at
/// most three chunks are alive at once, so memory stays bounded.
pub fn classify_stream(
    model: &Model,
    items: impl Iterator<Item = Item> + Send,
    options: &BatchOptions,
    sink: &mut dyn FnMut(Outcome) -> Result<()>,
    progress: &dyn Fn(u64),
) -> Result<BatchSummary> {
    let chunk_size = options.chunk.max(1);
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Item>>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut items = items;
            loop {
                let chunk: Vec<Item> = items.by_ref().take(chunk_size).collect();
                // A closed channel means the consumer stopped early.
                if chunk.is_empty() || sender.send(chunk).is_err() {
                    break;
                }
            }
        });
        let result = consume(model, receiver.iter(), options, sink, progress);
        // Dropping the receiver ends the reader if we stopped early.
        drop(receiver);
        result
    })
}

fn consume(
    model: &Model,
    chunks: impl Iterator<Item = Vec<Item>>,
    options: &BatchOptions,
    sink: &mut dyn FnMut(Outcome) -> Result<()>,
    progress: &dyn Fn(u64),
) -> Result<BatchSummary> {
    let mut summary = BatchSummary::default();
    for chunk in chunks {
        let outcomes: Vec<Outcome> = chunk
            .into_par_iter()
            .map_init(Analyzer::default, |analyzer, item| match item {
                Err(e) => Outcome::Rejected(e),
                Ok(located) => match model.classify(
                    analyzer,
                    &located.record,
                    options.min_confidence,
                    options.evidence,
                ) {
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
            .collect();
        for outcome in outcomes {
            summary.read += 1;
            match &outcome {
                Outcome::Classified { predictions, .. } => {
                    summary.classified += 1;
                    for (axis, p) in predictions {
                        *summary
                            .distribution
                            .entry(axis.name().to_string())
                            .or_default()
                            .entry(p.label.clone())
                            .or_default() += 1;
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
