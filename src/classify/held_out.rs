//! Evaluation on held-out text: a fitted model applied to records it never
//! saw, written in other styles (the dev set of real-source texts).
//!
//! Cross-validation on the training corpus says how well the model types
//! text like its training text; this says how it types what it will meet.
//! Besides the usual scores it measures what a reviewer relies on: of the
//! wrong labels, how many a review threshold flags, and how many labels it
//! flags in all; and it keeps the calibration curve for a reliability
//! diagram.

use super::metrics::{self, Metrics};
use super::model::Model;
use crate::analyze::Analyzer;
use crate::error::Result;
use crate::record::Record;
use crate::typology::Axis;
use serde::Serialize;
use std::fmt::Write as _;

/// One bin of a reliability diagram: predictions whose confidence falls in
/// `[low, low + 0.1)`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReliabilityBin {
    /// Lower edge of the bin.
    pub low: f64,
    /// Predictions in it.
    pub count: usize,
    /// Their mean confidence.
    pub confidence: f64,
    /// The share of them that is right.
    pub accuracy: f64,
}

/// What a review threshold catches: labels below it are flagged for a
/// human look.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReviewFigures {
    /// Probability below which a label is flagged.
    pub threshold: f64,
    /// Labels evaluated.
    pub labels: usize,
    /// Labels flagged.
    pub flagged: usize,
    /// Wrong labels.
    pub wrong: usize,
    /// Wrong labels that are flagged.
    pub wrong_flagged: usize,
}

impl ReviewFigures {
    /// Share of the wrong labels that the flag catches.
    pub fn recall_of_errors(&self) -> f64 {
        self.wrong_flagged as f64 / self.wrong.max(1) as f64
    }

    /// Share of all labels flagged (the reviewer's workload).
    pub fn flagged_share(&self) -> f64 {
        self.flagged as f64 / self.labels.max(1) as f64
    }
}

/// The held-out evaluation of one axis.
#[derive(Debug, Clone, Serialize)]
pub struct HeldOutAxis {
    /// The axis.
    pub axis: Axis,
    /// Scores, confusion and calibration.
    pub metrics: Metrics,
    /// What the review threshold catches.
    pub review: ReviewFigures,
    /// Calibration curve (10 bins).
    pub reliability: Vec<ReliabilityBin>,
}

/// A model's evaluation on held-out records.
#[derive(Debug, Clone, Serialize)]
pub struct HeldOut {
    /// Records evaluated.
    pub records: usize,
    /// One per axis the records have gold labels on.
    pub axes: Vec<HeldOutAxis>,
}

/// Apply `model` to `records` and score it against their gold labels.
/// `threshold` is the review threshold whose catch is measured; `None`
/// measures each axis's own (the model card's).
pub fn evaluate(model: &Model, records: &[Record], threshold: Option<f64>) -> Result<HeldOut> {
    let mut analyzer = Analyzer::default();
    let mut per_axis: Vec<(Axis, Vec<usize>, Vec<Vec<f64>>)> = Vec::new();
    for record in records {
        let predictions = model.classify(&mut analyzer, record, 0.0, 0)?;
        for (axis, p) in &predictions {
            let Some(gold) = record.gold(*axis) else {
                continue;
            };
            let slot = match per_axis.iter().position(|(a, _, _)| a == axis) {
                Some(i) => i,
                None => {
                    per_axis.push((*axis, Vec::new(), Vec::new()));
                    per_axis.len() - 1
                }
            };
            per_axis[slot].1.push(gold.index());
            per_axis[slot]
                .2
                .push(p.probabilities.values().copied().collect());
        }
    }
    per_axis.sort_by_key(|(a, _, _)| *a);
    let axes = per_axis
        .into_iter()
        .map(|(axis, truth, probs)| {
            let threshold =
                threshold.unwrap_or_else(|| model.head(axis).map_or(0.0, |h| h.review_threshold));
            HeldOutAxis {
                axis,
                metrics: metrics::compute(axis.classes(), &truth, &probs),
                review: review(&truth, &probs, threshold),
                reliability: reliability(&truth, &probs),
            }
        })
        .collect();
    Ok(HeldOut {
        records: records.len(),
        axes,
    })
}

/// Per axis, the review threshold that catches the most wrong labels of
/// `records` while flagging at most `max_share` of all labels: the largest
/// threshold that keeps the flagged share within bounds (catching more
/// errors only ever costs more flags). Thresholds are probabilities of the
/// held-out predictions, so the choice depends on nothing else.
pub fn review_thresholds(
    model: &Model,
    records: &[Record],
    max_share: f64,
) -> Result<Vec<(Axis, f64)>> {
    let mut analyzer = Analyzer::default();
    let mut confidences: Vec<(Axis, Vec<f64>)> = Vec::new();
    for record in records {
        for (axis, p) in model.classify(&mut analyzer, record, 0.0, 0)? {
            if record.gold(axis).is_none() {
                continue;
            }
            match confidences.iter_mut().find(|(a, _)| *a == axis) {
                Some((_, v)) => v.push(p.probability),
                None => confidences.push((axis, vec![p.probability])),
            }
        }
    }
    confidences.sort_by_key(|(a, _)| *a);
    Ok(confidences
        .into_iter()
        .map(|(axis, mut conf)| {
            conf.sort_by(f64::total_cmp);
            // Flagged = strictly below the threshold: flagging the k least
            // confident labels means a threshold of the (k+1)-th smallest.
            let allowed = (max_share * conf.len() as f64).floor() as usize;
            let threshold = conf.get(allowed).copied().unwrap_or(1.0);
            (axis, threshold)
        })
        .collect())
}

fn review(truth: &[usize], probs: &[Vec<f64>], threshold: f64) -> ReviewFigures {
    let mut figures = ReviewFigures {
        threshold,
        labels: truth.len(),
        flagged: 0,
        wrong: 0,
        wrong_flagged: 0,
    };
    for (t, p) in truth.iter().zip(probs) {
        let best = metrics::argmax(p);
        let flagged = p[best] < threshold;
        figures.flagged += usize::from(flagged);
        if best != *t {
            figures.wrong += 1;
            figures.wrong_flagged += usize::from(flagged);
        }
    }
    figures
}

fn reliability(truth: &[usize], probs: &[Vec<f64>]) -> Vec<ReliabilityBin> {
    let mut bins = vec![(0usize, 0.0f64, 0usize); 10];
    for (t, p) in truth.iter().zip(probs) {
        let best = metrics::argmax(p);
        let b = ((p[best] * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += p[best];
        bins[b].2 += usize::from(best == *t);
    }
    bins.into_iter()
        .enumerate()
        .map(|(i, (count, conf, right))| ReliabilityBin {
            low: i as f64 / 10.0,
            count,
            confidence: if count == 0 { 0.0 } else { conf / count as f64 },
            accuracy: if count == 0 {
                0.0
            } else {
                right as f64 / count as f64
            },
        })
        .collect()
}

impl HeldOut {
    /// The figures as Markdown tables (for people and the model card).
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Held-out records: {}\n", self.records);
        let _ = writeln!(
            s,
            "| axis | macro-F1 | accuracy | Brier | ECE | wrong | review threshold | flagged | wrong flagged |"
        );
        let _ = writeln!(
            s,
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for a in &self.axes {
            let m = &a.metrics;
            let r = &a.review;
            let _ = writeln!(
                s,
                "| {} | {:.3} | {:.3} | {:.3} | {:.3} | {} of {} | {:.3} | {} ({:.0}%) | {} ({:.0}%) |",
                a.axis,
                m.macro_f1,
                m.accuracy,
                m.brier,
                m.ece,
                r.wrong,
                r.labels,
                r.threshold,
                r.flagged,
                100.0 * r.flagged_share(),
                r.wrong_flagged,
                100.0 * r.recall_of_errors()
            );
        }
        for a in &self.axes {
            let _ = writeln!(
                s,
                "\n| {} class | precision | recall | F1 | support |\n| --- | ---: | ---: | ---: | ---: |",
                a.axis
            );
            for c in &a.metrics.classes {
                let _ = writeln!(
                    s,
                    "| {} | {:.3} | {:.3} | {:.3} | {} |",
                    c.class, c.precision, c.recall, c.f1, c.support
                );
            }
            let classes = a.axis.classes();
            let _ = writeln!(
                s,
                "\n| {} true \\ predicted | {} |\n| --- |{}",
                a.axis,
                classes.join(" | "),
                " ---: |".repeat(classes.len())
            );
            for (t, row) in a.metrics.confusion.iter().enumerate() {
                let cells: Vec<String> = row.iter().map(|n| n.to_string()).collect();
                let _ = writeln!(s, "| {} | {} |", classes[t], cells.join(" | "));
            }
        }
        s
    }

    /// A reliability diagram per axis, as standalone SVG: mean confidence
    /// against accuracy per bin, the diagonal being perfect calibration.
    pub fn reliability_svg(&self, axis: Axis) -> Option<String> {
        let a = self.axes.iter().find(|a| a.axis == axis)?;
        let (w, h, pad) = (320.0, 320.0, 36.0);
        let x = |v: f64| pad + v * (w - 2.0 * pad);
        let y = |v: f64| h - pad - v * (h - 2.0 * pad);
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\">\n"
        );
        let _ = writeln!(
            svg,
            "<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
            x(0.0),
            y(0.0),
            x(1.0),
            y(1.0)
        );
        let _ = writeln!(
            svg,
            "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#333\"/><line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{3}\" stroke=\"#333\"/>",
            x(0.0),
            y(0.0),
            x(1.0),
            y(1.0)
        );
        let total = a.reliability.iter().map(|b| b.count).sum::<usize>().max(1) as f64;
        for b in a.reliability.iter().filter(|b| b.count > 0) {
            let r = 2.5 + 9.0 * (b.count as f64 / total).sqrt();
            let _ = writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.1}\" fill=\"#1f4f8f\" fill-opacity=\"0.7\"><title>confidence {:.2}, accuracy {:.2}, {} labels</title></circle>",
                x(b.confidence),
                y(b.accuracy),
                b.confidence,
                b.accuracy,
                b.count
            );
        }
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">confidence</text><text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">accuracy</text><text x=\"{}\" y=\"18\" text-anchor=\"middle\">{} on held-out text (ECE {:.3})</text>",
            w / 2.0,
            h - 8.0,
            h / 2.0,
            h / 2.0,
            w / 2.0,
            axis,
            a.metrics.ece
        );
        svg.push_str("</svg>\n");
        Some(svg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_review_flag_counts_what_it_catches() {
        // Two right and confident, one wrong and unsure, one wrong and sure.
        let truth = [0, 1, 0, 1];
        let probs = vec![
            vec![0.9, 0.1],
            vec![0.2, 0.8],
            vec![0.4, 0.6],
            vec![0.95, 0.05],
        ];
        let r = review(&truth, &probs, 0.7);
        assert_eq!(
            (r.labels, r.flagged, r.wrong, r.wrong_flagged),
            (4, 1, 2, 1)
        );
        assert!((r.recall_of_errors() - 0.5).abs() < 1e-12);
        assert!((r.flagged_share() - 0.25).abs() < 1e-12);
        let bins = reliability(&truth, &probs);
        assert_eq!(bins.iter().map(|b| b.count).sum::<usize>(), 4);
        assert_eq!(bins[9].count, 2, "0.9 and 0.95 land in the top bin");
    }
}
