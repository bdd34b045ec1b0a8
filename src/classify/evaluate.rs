//! Evaluation of the classifier on a labelled corpus: cross-validated
//! metrics per axis for every configuration compared, nested
//! cross-validation, the paper's Annex I case studies classified
//! leave-one-out, and the reports (text, JSON through serde, and a
//! self-contained HTML page).
//!
//! ```no_run
//! use partnerkb::classify::{evaluate, TrainConfig};
//! let corpus = partnerkb::corpus::load_training(&["corpus/partnerships.jsonl".into()])?;
//! let config = TrainConfig { date: "2000-01-01".into(), ..TrainConfig::default() };
//! let report = evaluate::cross_validate(&corpus.records, &config)?;
//! print!("{}", report.to_text());
//! # Ok::<(), partnerkb::Error>(())
//! ```

use super::metrics;
use super::model::{Algorithm, Model};
use super::train::{self, Example, Learner, NestedReport, Selection, TrainConfig};
use crate::error::{Result, TrainError};
use crate::record::Record;
use crate::typology::{Axis, Class, Kind};
use serde::Serialize;
use std::fmt::Write as _;

/// The paper's Annex I case studies and the codebook's worked-example
/// labels (function, mode).
pub const ANNEX_I: [(&str, &str, &str); 13] = [
    (
        "onchocerciasis-control-programme",
        "operational",
        "implementation",
    ),
    (
        "global-alliance-for-vaccines-and-immunization",
        "operational",
        "implementation",
    ),
    (
        "hague-appeal-for-peace-education",
        "operational",
        "implementation",
    ),
    (
        "international-coral-reef-action-network",
        "operational",
        "implementation",
    ),
    (
        "global-road-safety-partnership",
        "operational",
        "coordination",
    ),
    ("sard-partnership-initiative", "operational", "coordination"),
    (
        "childrens-vaccine-initiative",
        "operational",
        "coordination",
    ),
    (
        "safe-motherhood-inter-agency-group",
        "advocacy",
        "coordination",
    ),
    ("unaids", "advocacy", "coordination"),
    (
        "permanent-forum-on-indigenous-issues",
        "advocacy",
        "coordination",
    ),
    ("un-global-compact", "advocacy", "coordination"),
    ("partnership-for-principle-10", "advocacy", "coordination"),
    ("world-commission-on-dams", "advocacy", "negotiation"),
];

/// The evaluation of one axis.
#[derive(Debug, Clone)]
pub struct AxisReport {
    /// Cross-validation of every configuration, and the one chosen.
    pub selection: Selection,
    /// Nested cross-validation, when asked for ([`Report::with_nested`]).
    pub nested: Option<NestedReport>,
}

/// The JSON form of an [`AxisReport`] (the shape `partnerkb evaluate
/// --json` has always printed).
#[derive(Serialize)]
struct AxisJson<'a> {
    axis: Axis,
    chosen: Algorithm,
    regularization: f64,
    temperature: f32,
    metrics: &'a metrics::Metrics,
    comparison: &'a [super::model::Candidate],
    #[serde(skip_serializing_if = "Option::is_none")]
    nested: Option<&'a NestedReport>,
}

impl Serialize for AxisReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let s = &self.selection;
        AxisJson {
            axis: s.axis,
            chosen: s.chosen.algorithm(),
            regularization: s.chosen.regularization(),
            temperature: s.temperature,
            metrics: &s.metrics,
            comparison: &s.candidates,
            nested: self.nested.as_ref(),
        }
        .serialize(serializer)
    }
}

/// The cross-validated evaluation of every axis the corpus has labels
/// for, with what further evaluations need.
#[derive(Debug, Clone)]
pub struct Report {
    /// The settings evaluated with.
    pub config: TrainConfig,
    /// One per axis with labelled examples, partnership axes first.
    pub axes: Vec<AxisReport>,
    /// The examples of each kind.
    examples: Vec<(Kind, Vec<Example>)>,
}

/// Cross-validate the classifier on every axis that `records` have labels
/// for (stratified folds, every configuration of `config`), as training
/// does for model selection.
pub fn cross_validate(records: &[Record], config: &TrainConfig) -> Result<Report> {
    config.check()?;
    let mut axes = Vec::new();
    let mut examples = Vec::new();
    for kind in Kind::ALL {
        let of_kind = train::examples_of(records, kind);
        for &axis in kind.axes() {
            if of_kind.iter().any(|e| e.labels.contains_key(&axis)) {
                axes.push(AxisReport {
                    selection: train::select(&of_kind, axis, config)?,
                    nested: None,
                });
            }
        }
        examples.push((kind, of_kind));
    }
    Ok(Report {
        config: config.clone(),
        axes,
        examples,
    })
}

/// One Annex I case study: the codebook's labels and the predictions.
#[derive(Debug, Clone, Serialize)]
pub struct AnnexRow {
    /// Partnership id.
    pub id: String,
    /// The codebook's function.
    pub function: Class,
    /// The predicted function.
    pub function_predicted: Class,
    /// Its probability.
    pub function_probability: f64,
    /// The codebook's mode.
    pub mode: Class,
    /// The predicted mode.
    pub mode_predicted: Class,
    /// Its probability.
    pub mode_probability: f64,
    /// Both predictions are the codebook's.
    pub both_match: bool,
}

impl Report {
    /// The examples of `kind` (empty when the corpus has none).
    fn examples_of(&self, kind: Kind) -> &[Example] {
        self.examples
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(&[], |(_, e)| e.as_slice())
    }

    /// Add nested cross-validation to every axis: in each outer fold the
    /// configuration is chosen on the training part only, so the scores are
    /// not flattered by the choice (about K times slower).
    pub fn with_nested(mut self) -> Result<Report> {
        for i in 0..self.axes.len() {
            let axis = self.axes[i].selection.axis;
            let nested = train::nested(self.examples_of(axis.kind()), axis, &self.config)?;
            self.axes[i].nested = Some(nested);
        }
        Ok(self)
    }

    /// Classify the paper's Annex I partnerships leave-one-out (each by a
    /// model trained on every other labelled record, with the learner and
    /// temperature cross-validation chose), against the codebook's labels.
    /// Case studies missing from the corpus are left out.
    pub fn annex(&self) -> Result<Vec<AnnexRow>> {
        let mut chosen = Vec::new();
        for axis in Axis::PARTNERSHIP {
            let s = self
                .axes
                .iter()
                .map(|a| &a.selection)
                .find(|s| s.axis == axis)
                .ok_or(TrainError::NoExamples { axis })?;
            chosen.push((axis, s.chosen, s.temperature));
        }
        annex_rows(self.examples_of(Kind::Partnership), &chosen, &self.config)
    }

    /// The fold assignment of every axis as CSV (`axis,id,fold,label`), for
    /// peer tools to evaluate on the same folds.
    pub fn write_folds(&self, out: impl std::io::Write) -> std::io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["axis", "id", "fold", "label"])?;
        for s in self.axes.iter().map(|a| &a.selection) {
            for ((id, fold), truth) in s.folds.iter().zip(&s.truth) {
                w.write_record([
                    s.axis.name(),
                    id,
                    &fold.to_string(),
                    s.axis.classes()[*truth],
                ])?;
            }
        }
        w.flush()
    }

    /// The report for people: per axis, the chosen configuration, its
    /// metrics, per-class scores, confusion matrix, nested scores and every
    /// configuration compared.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for r in &self.axes {
            let sel = &r.selection;
            let m = &sel.metrics;
            let _ = writeln!(
                s,
                "== {} ({} examples): {} (regularisation {}), temperature {:.2}",
                sel.axis,
                m.n,
                sel.chosen.algorithm(),
                sel.chosen.regularization(),
                sel.temperature
            );
            let _ = writeln!(
                s,
                "macro-F1 {:.3}  accuracy {:.3}  Brier {:.3}  ECE {:.3}",
                m.macro_f1, m.accuracy, m.brier, m.ece
            );
            let _ = writeln!(
                s,
                "{:<22} {:>9} {:>7} {:>6} {:>8}",
                "class", "precision", "recall", "F1", "support"
            );
            for c in &m.classes {
                let _ = writeln!(
                    s,
                    "{:<22} {:>9.3} {:>7.3} {:>6.3} {:>8}",
                    c.class, c.precision, c.recall, c.f1, c.support
                );
            }
            let _ = writeln!(s, "confusion (rows: true, columns: predicted)");
            let names: Vec<&str> = m.classes.iter().map(|c| c.class.as_str()).collect();
            let _ = writeln!(
                s,
                "{:<22} {}",
                "",
                names
                    .iter()
                    .map(|n| format!("{:>8.8}", n))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            for (name, row) in names.iter().zip(&m.confusion) {
                let _ = writeln!(
                    s,
                    "{:<22} {}",
                    name,
                    row.iter()
                        .map(|v| format!("{v:>8}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            if let Some(n) = &r.nested {
                let _ = writeln!(
                    s,
                    "nested CV: macro-F1 {:.3}  accuracy {:.3}  Brier {:.3}  ECE {:.3}  (chosen per fold: {})",
                    n.metrics.macro_f1,
                    n.metrics.accuracy,
                    n.metrics.brier,
                    n.metrics.ece,
                    n.chosen_per_fold
                        .iter()
                        .map(|c| format!("{} {}", c.algorithm, c.regularization))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let _ = writeln!(s, "compared:");
            for c in &sel.candidates {
                let _ = writeln!(
                    s,
                    "  {:<11} {:<6} macro-F1 {:.3}  accuracy {:.3}",
                    c.algorithm, c.regularization, c.macro_f1, c.accuracy
                );
            }
            let _ = writeln!(s);
        }
        s
    }

    /// A self-contained HTML page with one SVG confusion matrix and one
    /// reliability diagram per axis (no scripts, no external assets).
    pub fn to_html(&self) -> String {
        let mut s = String::from("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>partnerkb evaluation</title><style>body{font-family:sans-serif;margin:2em}svg{margin:1em 2em 1em 0}</style><h1>partnerkb cross-validated evaluation</h1>");
        for sel in self.axes.iter().map(|a| &a.selection) {
            let m = &sel.metrics;
            let k = m.classes.len();
            let cell = 70;
            let left = 150;
            let top = 110;
            let w = left + cell * k + 20;
            let h = top + cell * k + 20;
            let max = m
                .confusion
                .iter()
                .flatten()
                .copied()
                .max()
                .unwrap_or(1)
                .max(1) as f64;
            let _ = write!(
                s,
                "<h2>{} — macro-F1 {:.3}, accuracy {:.3}, Brier {:.3}, ECE {:.3}</h2>",
                sel.axis, m.macro_f1, m.accuracy, m.brier, m.ece
            );
            let _ = write!(s, "<svg width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"confusion matrix for {}\">", sel.axis);
            for (j, c) in m.classes.iter().enumerate() {
                let x = left + cell * j + cell / 2;
                let _ = write!(s, "<text x=\"{x}\" y=\"{}\" font-size=\"12\" transform=\"rotate(-40 {x} {})\">{}</text>", top - 8, top - 8, escape(&c.class));
                let _ = write!(
                    s,
                    "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text>",
                    left - 6,
                    top + cell * j + cell / 2 + 4,
                    escape(&c.class)
                );
            }
            for (i, row) in m.confusion.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    let shade = 255.0 - 200.0 * (*v as f64 / max);
                    let _ = write!(
                        s,
                        "<rect x=\"{}\" y=\"{}\" width=\"{cell}\" height=\"{cell}\" fill=\"rgb({shade:.0},{shade:.0},255)\" stroke=\"#888\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\">{v}</text>",
                        left + cell * j,
                        top + cell * i,
                        left + cell * j + cell / 2,
                        top + cell * i + cell / 2 + 5
                    );
                }
            }
            s.push_str("</svg>");
            // Reliability diagram: accuracy per confidence bin.
            let size = 220.0;
            let _ = write!(s, "<svg width=\"260\" height=\"260\" role=\"img\" aria-label=\"reliability diagram for {}\"><rect x=\"30\" y=\"10\" width=\"{size}\" height=\"{size}\" fill=\"none\" stroke=\"#888\"/><line x1=\"30\" y1=\"230\" x2=\"250\" y2=\"10\" stroke=\"#ccc\"/>", sel.axis);
            let mut bins = [(0usize, 0usize); 10];
            for (p, t) in sel.probabilities.iter().zip(&sel.truth) {
                let best = metrics::argmax(p);
                let b = ((p[best] * 10.0) as usize).min(9);
                bins[b].0 += 1;
                bins[b].1 += usize::from(best == *t);
            }
            for (b, (n, correct)) in bins.iter().enumerate() {
                if *n == 0 {
                    continue;
                }
                let acc = *correct as f64 / *n as f64;
                let bh = acc * size;
                let _ = write!(s, "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"20\" height=\"{bh:.1}\" fill=\"#4a7\" opacity=\"0.8\"><title>confidence {:.1}–{:.1}: {n} predictions, accuracy {acc:.2}</title></rect>", 30.0 + b as f64 * 22.0, 230.0 - bh, b as f64 / 10.0, (b + 1) as f64 / 10.0);
            }
            s.push_str("<text x=\"140\" y=\"252\" font-size=\"11\" text-anchor=\"middle\">confidence</text></svg>");
        }
        s.push_str("</html>\n");
        s
    }
}

/// The codebook's labels of an Annex I row, typed.
fn codebook_labels(function: &str, mode: &str) -> (Class, Class) {
    // A unit test checks every row against the typology.
    let class = |axis, name| Class::parse(axis, name).expect("an Annex I label of the typology");
    (class(Axis::Function, function), class(Axis::Mode, mode))
}

/// [`Report::annex`] with the learner and temperature a trained model
/// records per axis instead of choosing them again: the same leave-one-out
/// without the cross-validation that chose them (which `train` ran when
/// the model was made), so a few minutes cheaper.
pub fn annex_of_model(
    model: &Model,
    records: &[Record],
    config: &TrainConfig,
) -> Result<Vec<AnnexRow>> {
    config.check()?;
    let mut chosen = Vec::new();
    for axis in Axis::PARTNERSHIP {
        let head = model.head(axis).ok_or(TrainError::NoExamples { axis })?;
        chosen.push((axis, Learner::of(head), head.temperature));
    }
    let examples = train::examples_of(records, Kind::Partnership);
    annex_rows(&examples, &chosen, config)
}

/// Leave-one-out predictions of the Annex I partnerships on each axis
/// with its learner and temperature, as rows against the codebook.
fn annex_rows(
    examples: &[Example],
    chosen: &[(Axis, Learner, f32)],
    config: &TrainConfig,
) -> Result<Vec<AnnexRow>> {
    let ids: Vec<&str> = ANNEX_I.iter().map(|(id, _, _)| *id).collect();
    let mut predictions = std::collections::BTreeMap::new();
    for &(axis, learner, temperature) in chosen {
        let held_out = train::leave_one_out(examples, axis, &ids, learner, temperature, config)?;
        for (id, p) in held_out {
            let best = metrics::argmax(&p);
            let class = Class::from_index(axis, best).expect("a class of the axis");
            predictions.insert((id, axis), (class, p[best]));
        }
    }
    Ok(ANNEX_I
        .iter()
        .filter_map(|(id, f, m)| {
            let (function, mode) = codebook_labels(f, m);
            let pf = predictions.get(&(id.to_string(), Axis::Function))?;
            let pm = predictions.get(&(id.to_string(), Axis::Mode))?;
            Some(AnnexRow {
                id: id.to_string(),
                function,
                function_predicted: pf.0,
                function_probability: pf.1,
                mode,
                mode_predicted: pm.0,
                mode_probability: pm.1,
                both_match: pf.0 == function && pm.0 == mode,
            })
        })
        .collect())
}

/// The Annex I rows as a Markdown table, with the count of matches.
pub fn annex_markdown(rows: &[AnnexRow]) -> String {
    let mut s = String::from(
        "\nAnnex I, leave-one-out (codebook label → predicted, probability)\n\n| partnership | function | mode | match |\n| --- | --- | --- | --- |\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} → {} ({:.2}) | {} → {} ({:.2}) | {} |",
            r.id,
            r.function,
            r.function_predicted,
            r.function_probability,
            r.mode,
            r.mode_predicted,
            r.mode_probability,
            if r.both_match { "yes" } else { "no" }
        );
    }
    let n = rows.iter().filter(|r| r.both_match).count();
    let _ = writeln!(s, "\n{n} of {} match on both axes.", rows.len());
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_i_labels_are_classes_of_their_axes() {
        for (id, function, mode) in ANNEX_I {
            assert!(Class::parse(Axis::Function, function).is_ok(), "{id}");
            assert!(Class::parse(Axis::Mode, mode).is_ok(), "{id}");
        }
    }
}
