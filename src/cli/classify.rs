//! `partnerkb classify`

use super::progress::Progress;
use super::Globals;
use crate::analyze::Analyzer;
use crate::classify::batch::{classify_stream, BatchOptions, Outcome};
use crate::classify::AxisPrediction;
use crate::read::{self, ColumnMap};
use crate::record::{Kind, Lesson, Partnership, Record};
use crate::typology::Axis;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats of batch classification.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    /// One JSON object per input record.
    Jsonl,
    /// One row per input record.
    Csv,
}

/// Label a description (TEXT) or every record of a file (--input) on each
/// axis, with the probability and the evidence: the terms that pushed the
/// decision and the sentence carrying most of them. Records that cannot be
/// classified are reported and skipped; the exit status is then 1.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// A description to classify
    #[arg(required_unless_present = "input", conflicts_with = "input")]
    pub text: Option<String>,
    /// Classify every record of this file (.jsonl or .csv)
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Write results here [default: stdout]
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format [default: from --output's extension, else jsonl]
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Mark labels below this probability `uncertain`
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub min_confidence: f64,
    /// Evidence terms per axis
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub evidence: usize,
    /// Classify TEXT as a lesson (challenge) instead of a partnership
    #[arg(long, value_enum, default_value = "partnership")]
    pub kind: Kind,
    /// Map a record field to a CSV column, e.g. description=Objectives
    #[arg(long = "field", value_name = "FIELD=COLUMN")]
    pub fields: Vec<String>,
    /// JSON output for TEXT
    #[arg(long)]
    pub json: bool,
    /// No progress output
    #[arg(long, short)]
    pub quiet: bool,
}

fn axis_json(p: &AxisPrediction) -> serde_json::Value {
    serde_json::json!({
        "label": p.label,
        "probability": p.probability,
        "probabilities": p.probabilities,
        "evidence": p.evidence,
        "sentence": p.sentence,
    })
}

fn record_json(id: &str, predictions: &BTreeMap<Axis, AxisPrediction>) -> serde_json::Value {
    let mut v = serde_json::json!({ "id": id });
    for (axis, p) in predictions {
        v[axis.name()] = axis_json(p);
    }
    v
}

pub fn run(g: &Globals, args: ClassifyArgs) -> Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.min_confidence) {
        anyhow::bail!("--min-confidence must be between 0 and 1");
    }
    let model = g.model()?;
    if let Some(text) = &args.text {
        let record = match args.kind {
            Kind::Partnership => Record::Partnership(Partnership::from_text("text", "", text)),
            Kind::Lesson => Record::Lesson(Lesson::from_text("text", "", text)),
        };
        let predictions = model.classify(
            &mut Analyzer::default(),
            &record,
            args.min_confidence,
            args.evidence,
        )?;
        if args.json {
            println!("{}", record_json("text", &predictions));
        } else {
            for (axis, p) in &predictions {
                println!(
                    "{:<9} {} ({:.0}%)",
                    axis.name(),
                    p.label,
                    p.probability * 100.0
                );
                let terms: Vec<String> = p
                    .evidence
                    .iter()
                    .map(|e| format!("{} ({:+.3})", e.term, e.weight))
                    .collect();
                if !terms.is_empty() {
                    println!("          evidence: {}", terms.join(", "));
                }
                if let Some(s) = &p.sentence {
                    println!("          sentence: {s}");
                }
            }
        }
        let uncertain = predictions.values().any(|p| p.label == "uncertain");
        return Ok(if uncertain {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let input = args.input.as_ref().context("--input or TEXT is required")?;
    let columns = ColumnMap::parse(&args.fields)?;
    let items = read::read_path(input, None, &columns)?;
    let format = args.format.unwrap_or_else(|| match &args.output {
        Some(p) if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => {
            OutputFormat::Csv
        }
        _ => OutputFormat::Jsonl,
    });
    let out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let axes: Vec<Axis> = Axis::ALL.to_vec();
    let (mut csv_out, mut jsonl_out) = match format {
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let mut header = vec!["line".to_string(), "id".to_string()];
            for a in &axes {
                header.push(a.name().into());
                header.push(format!("{}_probability", a.name()));
                header.push(format!("{}_evidence", a.name()));
            }
            header.push("error".into());
            w.write_record(&header)?;
            (Some(w), None)
        }
        OutputFormat::Jsonl => (None, Some(out)),
    };
    let name = input.display().to_string();
    let progress = Progress::new("records", args.quiet);
    let mut rejected_lines = Vec::new();
    let mut sink = |outcome: Outcome| -> crate::Result<()> {
        let io = |source: std::io::Error| crate::Error::Io {
            path: "output".into(),
            source,
        };
        match outcome {
            Outcome::Classified {
                line,
                record,
                predictions,
            } => {
                if let Some(w) = csv_out.as_mut() {
                    let mut row = vec![line.to_string(), record.id().to_string()];
                    for a in &axes {
                        match predictions.get(a) {
                            Some(p) => {
                                row.push(p.label.clone());
                                row.push(format!("{:.4}", p.probability));
                                row.push(
                                    p.evidence
                                        .iter()
                                        .map(|e| e.term.as_str())
                                        .collect::<Vec<_>>()
                                        .join("; "),
                                );
                            }
                            None => row.extend([String::new(), String::new(), String::new()]),
                        }
                    }
                    row.push(String::new());
                    w.write_record(&row)
                        .map_err(|e| crate::Error::Output(e.to_string()))?;
                } else if let Some(w) = jsonl_out.as_mut() {
                    let mut v = record_json(record.id(), &predictions);
                    v["line"] = serde_json::json!(line);
                    writeln!(w, "{v}").map_err(io)?;
                }
            }
            Outcome::Rejected(mut e) => {
                if e.file.is_empty() {
                    e.file = name.clone();
                }
                eprintln!("{e}");
                if let Some(w) = csv_out.as_mut() {
                    let mut row = vec![e.line.to_string(), String::new()];
                    row.extend(std::iter::repeat_n(String::new(), axes.len() * 3));
                    row.push(format!("{}: {}", e.field, e.reason));
                    w.write_record(&row)
                        .map_err(|e| crate::Error::Output(e.to_string()))?;
                } else if let Some(w) = jsonl_out.as_mut() {
                    let v = serde_json::json!({"line": e.line, "error": e.to_string()});
                    writeln!(w, "{v}").map_err(io)?;
                }
                rejected_lines.push(e.line);
            }
        }
        Ok(())
    };
    let options = BatchOptions {
        min_confidence: args.min_confidence,
        evidence: args.evidence,
        ..BatchOptions::default()
    };
    let summary = classify_stream(&model, items, &options, &mut sink, &|n| progress.update(n))?;
    progress.finish();
    if let Some(mut w) = csv_out {
        w.flush()?;
    }
    if let Some(mut w) = jsonl_out {
        w.flush()?;
    }
    if !args.quiet {
        let secs = progress.elapsed();
        eprintln!(
            "partnerkb: {} read, {} classified, {} rejected in {:.2}s ({:.0} records/s)",
            summary.read,
            summary.classified,
            summary.rejected,
            secs,
            summary.read as f64 / secs.max(1e-9)
        );
        for (axis, counts) in &summary.distribution {
            let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
            eprintln!("  {axis}: {}", parts.join(", "));
        }
    }
    Ok(if summary.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
