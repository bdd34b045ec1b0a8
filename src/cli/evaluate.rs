//! `partnerkb evaluate`: arguments → [`partnerkb::classify::evaluate`] →
//! output.

use super::train::load_corpus;
use super::Globals;
use anyhow::{Context, Result};
use clap::Args;
use partnerkb::classify::evaluate::{self, AnnexRow, Report};
use partnerkb::classify::held_out::{self, HeldOut};
use partnerkb::classify::TrainConfig;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Cross-validate the classifier per axis (stratified K folds): per-class
/// precision/recall/F1, macro-F1, accuracy, confusion matrix, Brier score
/// and expected calibration error, for every configuration compared.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub model: super::ModelOpt,
    /// Labelled corpus files [default: the corpus bundled in the binary]
    #[arg(long, num_args = 1.., value_name = "FILE")]
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
    /// Also apply the model (--model, or the bundled one, which is trained
    /// on the bundled corpus) to the held-out dev set of real-source texts
    /// and score it there
    #[arg(long)]
    pub dev: bool,
    /// The held-out set for --dev [default: the bundled corpus/dev set]
    #[arg(long, value_name = "FILE", requires = "dev")]
    pub dev_set: Option<PathBuf>,
    /// The review threshold whose catch --dev measures [default: each
    /// axis's threshold from the model card]
    #[arg(long, value_name = "P", requires = "dev")]
    pub review_threshold: Option<f64>,
    /// Also score this (older) model on the same held-out records and show
    /// the two side by side: did retraining, with corrections say, help?
    #[arg(long, value_name = "PATH", requires = "dev")]
    pub baseline: Option<PathBuf>,
}

pub fn run(g: &Globals, args: EvaluateArgs) -> Result<ExitCode> {
    let config = TrainConfig {
        seed: args.seed,
        folds: args.folds,
        // Nothing is written, but a config is checked whole.
        date: "2000-01-01".into(),
        ..TrainConfig::default()
    };
    config.check()?;
    let corpus = load_corpus(&args.corpus)?;
    let mut report = evaluate::cross_validate(&corpus.records, &config)?;
    if args.nested {
        report = report.with_nested()?;
    }
    let annex = if args.annex {
        Some(report.annex()?)
    } else {
        None
    };
    let dev = if args.dev {
        let records = match &args.dev_set {
            Some(path) => load_corpus(std::slice::from_ref(path))?.records,
            None => partnerkb::corpus::load_bundled_dev()?,
        };
        let baseline = match &args.baseline {
            Some(path) => {
                let model = partnerkb::classify::Model::load(path)
                    .with_context(|| format!("loading the baseline model {}", path.display()))?;
                Some(held_out::evaluate(&model, &records, args.review_threshold)?)
            }
            None => None,
        };
        Some((
            held_out::evaluate(&g.model()?, &records, args.review_threshold)?,
            baseline,
        ))
    } else {
        None
    };
    let (dev, baseline) = match dev {
        Some((dev, baseline)) => (Some(dev), baseline),
        None => (None, None),
    };
    if let Some(path) = &args.export_folds {
        export_folds(&report, path)?;
    }
    if let Some(dir) = &args.report {
        write_html(&report, dir)?;
        if let Some(dev) = &dev {
            write_reliability(dev, dir)?;
        }
    }
    print_report(&report, annex.as_deref(), dev.as_ref(), args.json)?;
    if let (Some(dev), Some(baseline)) = (&dev, &baseline) {
        print_comparison(dev, baseline, args.json)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn export_folds(report: &Report, path: &Path) -> Result<()> {
    let writing = || format!("writing {}", path.display());
    let file = std::fs::File::create(path).with_context(writing)?;
    report.write_folds(file).with_context(writing)
}

fn write_html(report: &Report, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("evaluation.html");
    std::fs::write(&path, report.to_html())
        .with_context(|| format!("writing {}", path.display()))?;
    eprintln!("partnerkb: report written to {}", path.display());
    Ok(())
}

/// One reliability diagram per axis of the held-out evaluation.
fn write_reliability(dev: &HeldOut, dir: &Path) -> Result<()> {
    for axis in dev.axes.iter().map(|a| a.axis) {
        if let Some(svg) = dev.reliability_svg(axis) {
            let path = dir.join(format!("reliability-dev-{axis}.svg"));
            std::fs::write(&path, svg).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(())
}

fn print_report(
    report: &Report,
    annex: Option<&[AnnexRow]>,
    dev: Option<&HeldOut>,
    json: bool,
) -> Result<()> {
    if json {
        let mut v = serde_json::json!({
            "folds": report.config.folds,
            "seed": report.config.seed,
            "axes": report.axes,
            "annex": annex,
        });
        if let Some(dev) = dev {
            v["dev"] = serde_json::to_value(dev)?;
        }
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        out!("{}", report.to_text())?;
        if let Some(rows) = annex {
            out!("{}", evaluate::annex_markdown(rows))?;
        }
        if let Some(dev) = dev {
            outln!("\nHeld out (trained on the corpus, tested on the dev set):\n")?;
            out!("{}", dev.to_markdown())?;
        }
    }
    Ok(())
}

/// The model and the baseline on the same held-out records.
fn print_comparison(model: &HeldOut, baseline: &HeldOut, json: bool) -> Result<()> {
    let pairs: Vec<_> = model
        .axes
        .iter()
        .filter_map(|m| {
            let b = baseline.axes.iter().find(|b| b.axis == m.axis)?;
            Some((m.axis, &b.metrics, &m.metrics))
        })
        .collect();
    if json {
        let rows: Vec<_> = pairs
            .iter()
            .map(|(axis, b, m)| {
                serde_json::json!({
                    "axis": axis,
                    "baseline": {"macro_f1": b.macro_f1, "accuracy": b.accuracy, "ece": b.ece},
                    "model": {"macro_f1": m.macro_f1, "accuracy": m.accuracy, "ece": m.ece},
                })
            })
            .collect();
        outln!("{}", serde_json::json!({ "comparison": rows }))?;
        return Ok(());
    }
    outln!(
        "\nBaseline and model on the same {} held-out records:\n",
        model.records
    )?;
    outln!("| axis | macro-F1 baseline | macro-F1 model | accuracy baseline | accuracy model | ECE baseline | ECE model |")?;
    outln!("|---|---:|---:|---:|---:|---:|---:|")?;
    for (axis, b, m) in pairs {
        outln!(
            "| {axis} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            b.macro_f1,
            m.macro_f1,
            b.accuracy,
            m.accuracy,
            b.ece,
            m.ece
        )?;
    }
    Ok(())
}
