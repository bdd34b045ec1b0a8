//! The review queue: the predicted labels in an index most worth a
//! person's look, so that an analyst can confirm or change them one by
//! one (`partnerkb review`, the page's Review view).
//!
//! Order: labels the model itself flags for review first (below its
//! review threshold, or no evidence), then by the margin between the two
//! most likely classes, smallest first — the `suggest` rule, applied to
//! what is already indexed. Gold and corrected labels are never in the
//! queue, so confirming or changing a label takes it out.

use crate::analyze::Analyzer;
use crate::classify::{AxisPrediction, Model};
use crate::error::Result;
use crate::index::KnowledgeBase;
use crate::label::Origin;
use crate::record::{Kind, Record};
use crate::typology::{Axis, Class};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Records classified together, in parallel, while the queue is built.
const CHUNK: usize = 4096;

/// One label to review.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    /// The record's id.
    pub id: String,
    /// Its kind.
    pub kind: Kind,
    /// Its name or title.
    pub title: String,
    /// The axis.
    pub axis: Axis,
    /// The label the index holds (predicted).
    pub label: Class,
    /// The model's probability of that label, as stored.
    pub probability: f64,
    /// Probability of the most likely class minus the runner-up's.
    pub margin: f64,
    /// The model flags it for review.
    pub review: bool,
    /// Why, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Every class's probability.
    pub probabilities: BTreeMap<Class, f64>,
    /// The terms behind the prediction, strongest first.
    pub evidence: Vec<crate::classify::Evidence>,
    /// The sentence carrying most of the evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentence: Option<String>,
}

/// The queue's head and its length.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewQueue {
    /// Predicted labels left to review (on the axes asked).
    pub remaining: u64,
    /// The first `limit` of them, in review order.
    pub items: Vec<ReviewItem>,
}

/// What to put in the queue.
#[derive(Debug, Clone, Copy)]
pub struct ReviewRequest {
    /// Only this axis (all axes when `None`).
    pub axis: Option<Axis>,
    /// How many items to return.
    pub limit: usize,
    /// Evidence terms per item.
    pub evidence: usize,
}

impl Default for ReviewRequest {
    fn default() -> Self {
        ReviewRequest {
            axis: None,
            limit: 20,
            evidence: 8,
        }
    }
}

fn margin(p: &AxisPrediction) -> f64 {
    let mut ps: Vec<f64> = p.probabilities.values().copied().collect();
    ps.sort_by(|a, b| b.total_cmp(a));
    ps[0] - ps.get(1).copied().unwrap_or(0.0)
}

/// Build the review queue of `kb` with `model`.
pub fn queue(kb: &KnowledgeBase, model: &Model, req: &ReviewRequest) -> Result<ReviewQueue> {
    // (review first, margin, id, axis): the queue's order, cheap to keep.
    type Key = (bool, f64, String, Axis);
    let mut keys: Vec<(Key, Record, f64, Class)> = Vec::new();
    let mut remaining = 0u64;
    let mut chunk: Vec<(Record, Axis, Class, f64)> = Vec::new();
    let rank = |chunk: &mut Vec<(Record, Axis, Class, f64)>,
                keys: &mut Vec<(Key, Record, f64, Class)>| {
        let ranked: Vec<Option<Key>> = chunk
            .par_iter()
            .map_init(Analyzer::default, |analyzer, (record, axis, _, _)| {
                let predictions = model.classify(analyzer, record, 0.0, 0).ok()?;
                let p = predictions.get(axis)?;
                Some((!p.review, margin(p), record.id().to_string(), *axis))
            })
            .collect();
        for ((record, _, label, probability), key) in chunk.drain(..).zip(ranked) {
            if let Some(key) = key {
                keys.push((key, record, probability, label));
            }
        }
        // Keep only what can still make the head of the queue.
        if keys.len() > req.limit * 4 + CHUNK {
            keys.sort_by(|a, b| order(&a.0, &b.0));
            keys.truncate(req.limit);
        }
    };
    kb.for_each_stored(|record, labels, _, _| {
        for label in labels.iter().filter(|l| l.origin == Origin::Predicted) {
            if req.axis.is_some_and(|a| a != label.axis) {
                continue;
            }
            remaining += 1;
            chunk.push((
                record.clone(),
                label.axis,
                label.label,
                label.probability.unwrap_or(0.0),
            ));
        }
        if chunk.len() >= CHUNK {
            rank(&mut chunk, &mut keys);
        }
        Ok(())
    })?;
    rank(&mut chunk, &mut keys);
    keys.sort_by(|a, b| order(&a.0, &b.0));
    keys.truncate(req.limit);
    let mut analyzer = Analyzer::default();
    let mut items = Vec::with_capacity(keys.len());
    for ((_, margin, id, axis), record, probability, label) in keys {
        let predictions = model.classify(&mut analyzer, &record, 0.0, req.evidence)?;
        let Some(p) = predictions.get(&axis) else {
            continue;
        };
        items.push(ReviewItem {
            id,
            kind: record.kind(),
            title: record.title().to_string(),
            axis,
            label,
            probability,
            margin,
            review: p.review,
            reason: p.reason,
            probabilities: p.probabilities.clone(),
            evidence: p.evidence.clone(),
            sentence: p.sentence.clone(),
        });
    }
    Ok(ReviewQueue { remaining, items })
}

fn order(a: &(bool, f64, String, Axis), b: &(bool, f64, String, Axis)) -> std::cmp::Ordering {
    a.0.cmp(&b.0)
        .then(a.1.total_cmp(&b.1))
        .then_with(|| a.2.cmp(&b.2))
        .then(a.3.cmp(&b.3))
}
