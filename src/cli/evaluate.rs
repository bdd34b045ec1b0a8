//! `partnerkb evaluate`

use super::train::load_corpus;
use super::Globals;
use anyhow::{Context, Result};
use clap::Args;
use partnerkb::classify::metrics::{self, Metrics};
use partnerkb::classify::train::{self, Selection, TrainConfig};
use partnerkb::record::{Kind, Record};
use partnerkb::typology::Axis;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

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

/// Cross-validate the classifier per axis (stratified K folds): per-class
/// precision/recall/F1, macro-F1, accuracy, confusion matrix, Brier score
/// and expected calibration error, for every configuration compared.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Labelled corpus files
    #[arg(long, num_args = 1.., value_name = "FILE",
          default_values = ["corpus/partnerships.jsonl", "corpus/lessons.jsonl"])]
    pub corpus: Vec<PathBuf>,
    /// Number of folds
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Seed for the fold assignment
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Write confusion matrices and calibration as an HTML/SVG report here
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Write the fold assignment (axis,id,fold,label CSV) for peer tools
    #[arg(long, value_name = "FILE")]
    pub export_folds: Option<PathBuf>,
    /// Also classify the paper's Annex I partnerships leave-one-out
    #[arg(long)]
    pub annex: bool,
    /// Also run nested cross-validation (configuration chosen inside each
    /// training split: unbiased, about K times slower)
    #[arg(long)]
    pub nested: bool,
}

#[derive(serde::Serialize)]
struct AxisReport {
    axis: String,
    chosen: String,
    regularization: f64,
    temperature: f32,
    metrics: Metrics,
    comparison: Vec<partnerkb::classify::model::Candidate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nested: Option<train::NestedReport>,
}

#[derive(serde::Serialize)]
struct AnnexRow {
    id: String,
    function: String,
    function_predicted: String,
    function_probability: f64,
    mode: String,
    mode_predicted: String,
    mode_probability: f64,
    both_match: bool,
}

pub fn run(_g: &Globals, args: EvaluateArgs) -> Result<ExitCode> {
    let config = TrainConfig {
        seed: args.seed,
        folds: args.folds,
        date: "2000-01-01".into(),
        ..TrainConfig::default()
    };
    config.check()?;
    let (records, _, _) = load_corpus(&args.corpus)?;
    let mut selections: Vec<Selection> = Vec::new();
    let mut examples_by_kind = Vec::new();
    for kind in [Kind::Partnership, Kind::Lesson] {
        let of_kind: Vec<Record> = records
            .iter()
            .filter(|r| r.kind() == kind)
            .cloned()
            .collect();
        let examples = train::examples(&of_kind);
        let axes: &[Axis] = match kind {
            Kind::Partnership => &Axis::PARTNERSHIP,
            Kind::Lesson => &[Axis::Challenge],
        };
        for axis in axes {
            if examples.iter().any(|e| e.labels.contains_key(axis)) {
                selections.push(train::select(&examples, *axis, &config)?);
            }
        }
        examples_by_kind.push((kind, examples));
    }
    let mut nested = Vec::new();
    for s in &selections {
        nested.push(if args.nested {
            let examples = &examples_by_kind
                .iter()
                .find(|(k, _)| *k == s.axis.kind())
                .context("no examples for axis")?
                .1;
            Some(train::nested(examples, s.axis, &config)?)
        } else {
            None
        });
    }
    let reports: Vec<AxisReport> = selections
        .iter()
        .zip(nested)
        .map(|(s, nested)| AxisReport {
            nested,
            axis: s.axis.name().into(),
            chosen: s.chosen.algorithm().name().into(),
            regularization: s.chosen.regularization(),
            temperature: s.temperature,
            metrics: s.metrics.clone(),
            comparison: s.candidates.clone(),
        })
        .collect();
    let annex = if args.annex {
        Some(annex_table(&examples_by_kind, &selections, &config)?)
    } else {
        None
    };
    if let Some(path) = &args.export_folds {
        let mut w =
            csv::Writer::from_path(path).with_context(|| format!("writing {}", path.display()))?;
        w.write_record(["axis", "id", "fold", "label"])?;
        for s in &selections {
            for ((id, fold), truth) in s.folds.iter().zip(&s.truth) {
                w.write_record([
                    s.axis.name(),
                    id,
                    &fold.to_string(),
                    s.axis.classes()[*truth],
                ])?;
            }
        }
        w.flush()?;
    }
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("evaluation.html");
        std::fs::write(&path, html_report(&selections))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("partnerkb: report written to {}", path.display());
    }
    if args.json {
        let v = serde_json::json!({ "folds": args.folds, "seed": args.seed, "axes": reports, "annex": annex });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", human(&reports));
        if let Some(rows) = &annex {
            print!("{}", annex_markdown(rows));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn annex_table(
    examples_by_kind: &[(Kind, Vec<train::Example>)],
    selections: &[Selection],
    config: &TrainConfig,
) -> Result<Vec<AnnexRow>> {
    let examples = &examples_by_kind
        .iter()
        .find(|(k, _)| *k == Kind::Partnership)
        .context("no partnerships in the corpus")?
        .1;
    let ids: Vec<&str> = ANNEX_I.iter().map(|(id, _, _)| *id).collect();
    let mut predictions = std::collections::BTreeMap::new();
    for axis in Axis::PARTNERSHIP {
        let s = selections
            .iter()
            .find(|s| s.axis == axis)
            .context("axis not evaluated")?;
        for (id, p) in train::leave_one_out(examples, axis, &ids, s.chosen, s.temperature, config)?
        {
            let best = metrics::argmax(&p);
            predictions.insert((id, axis), (axis.classes()[best].to_string(), p[best]));
        }
    }
    Ok(ANNEX_I
        .iter()
        .filter_map(|(id, f, m)| {
            let pf = predictions.get(&(id.to_string(), Axis::Function))?;
            let pm = predictions.get(&(id.to_string(), Axis::Mode))?;
            Some(AnnexRow {
                id: id.to_string(),
                function: f.to_string(),
                function_predicted: pf.0.clone(),
                function_probability: pf.1,
                mode: m.to_string(),
                mode_predicted: pm.0.clone(),
                mode_probability: pm.1,
                both_match: pf.0 == *f && pm.0 == *m,
            })
        })
        .collect())
}

fn annex_markdown(rows: &[AnnexRow]) -> String {
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

fn human(reports: &[AxisReport]) -> String {
    let mut s = String::new();
    for r in reports {
        let m = &r.metrics;
        let _ = writeln!(
            s,
            "== {} ({} examples): {} (regularisation {}), temperature {:.2}",
            r.axis, m.n, r.chosen, r.regularization, r.temperature
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
        for c in &r.comparison {
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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A self-contained HTML page with one SVG confusion matrix and one
/// reliability diagram per axis (no scripts, no external assets).
fn html_report(selections: &[Selection]) -> String {
    let mut s = String::from("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>partnerkb evaluation</title><style>body{font-family:sans-serif;margin:2em}svg{margin:1em 2em 1em 0}</style><h1>partnerkb cross-validated evaluation</h1>");
    for sel in selections {
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
