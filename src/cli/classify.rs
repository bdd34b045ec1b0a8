//! `partnerkb classify`

use super::progress::Progress;
use super::Globals;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use partnerkb::analyze::Analyzer;
use partnerkb::classify::batch::{classify_stream, BatchOptions, BatchSummary, Outcome};
use partnerkb::classify::AxisPrediction;
use partnerkb::read::{self, ColumnMap, Raw};
use partnerkb::record::{Kind, Lesson, Partnership, Record};
use partnerkb::typology::Axis;
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
#[command(
    override_usage = "partnerkb classify <TEXT> [OPTIONS]\n       partnerkb classify --input <FILE> [OPTIONS]"
)]
pub struct ClassifyArgs {
    #[command(flatten)]
    pub model: super::ModelOpt,
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
    #[arg(long, value_parser = super::kind_parser(), default_value = "partnership")]
    pub kind: Kind,
    /// Map a record field to a CSV column, e.g. description=Objectives
    #[arg(long = "field", value_name = "FIELD=COLUMN")]
    pub fields: Vec<String>,
    /// JSON output for TEXT
    #[arg(long)]
    pub json: bool,
    /// Write rejected rows (line, field, reason) here [default: beside
    /// --output as OUTPUT.rejects.csv]
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Stop at the first rejected record (exit status 2)
    #[arg(long)]
    pub strict: bool,
    /// No progress output
    #[arg(long, short)]
    pub quiet: bool,
}

/// CSV columns per axis: label, best guess, probability, review flag,
/// evidence.
const LABEL_COLUMNS: usize = 5;

fn axis_json(p: &AxisPrediction) -> serde_json::Value {
    let mut v = serde_json::json!({
        "label": p.label,
        "best": p.best,
        "probability": p.probability,
        "review": p.review,
        "probabilities": p.probabilities,
        "evidence": p.evidence,
        "sentence": p.sentence,
    });
    if let Some(reason) = p.reason {
        v["reason"] = serde_json::json!(reason);
    }
    v
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
            outln!("{}", record_json("text", &predictions))?;
        } else {
            let mut out = std::io::stdout().lock();
            for (axis, p) in &predictions {
                // An uncertain label still says what the model would have
                // chosen; a flagged one says so.
                super::render::prediction(&mut out, *axis, p, "")?;
            }
        }
        let uncertain = predictions
            .values()
            .any(|p| p.label == partnerkb::label::Verdict::Uncertain);
        return Ok(if uncertain {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let input = args.input.as_ref().context("--input or TEXT is required")?;
    classify_file(&model, input, &args)
}

/// Where batch results go: CSV keeps the input's columns and appends the
/// label columns; JSONL keeps the input object and adds the axis objects.
enum Sink {
    Csv {
        writer: Box<csv::Writer<Box<dyn Write>>>,
        input_columns: usize,
    },
    Jsonl(Box<dyn Write>),
}

impl Sink {
    fn classified(
        &mut self,
        line: u64,
        record: &Record,
        raw: Option<Raw>,
        predictions: &BTreeMap<Axis, AxisPrediction>,
        axes: &[Axis],
    ) -> Result<()> {
        match self {
            Sink::Csv {
                writer,
                input_columns,
            } => {
                let mut row = match raw {
                    Some(Raw::Csv(fields)) => fields,
                    _ => vec![String::new(); *input_columns],
                };
                row.resize(*input_columns, String::new());
                for a in axes {
                    match predictions.get(a) {
                        Some(p) => {
                            row.push(p.label.to_string());
                            row.push(p.best.to_string());
                            row.push(format!("{:.4}", p.probability));
                            row.push(p.review.to_string());
                            row.push(
                                p.evidence
                                    .iter()
                                    .map(|e| e.term.as_str())
                                    .collect::<Vec<_>>()
                                    .join("; "),
                            );
                        }
                        None => row.extend(std::iter::repeat_n(String::new(), LABEL_COLUMNS)),
                    }
                }
                row.push(String::new());
                writer.write_record(&row)?;
            }
            Sink::Jsonl(w) => {
                let mut v = match raw {
                    Some(Raw::Json(object)) => serde_json::Value::Object(object),
                    _ => serde_json::json!({}),
                };
                v["id"] = serde_json::json!(record.id());
                v["line"] = serde_json::json!(line);
                for (axis, p) in predictions {
                    v[axis.name()] = axis_json(p);
                }
                writeln!(w, "{v}")?;
            }
        }
        Ok(())
    }

    fn rejected(&mut self, e: &partnerkb::RecordError, axes: &[Axis]) -> Result<()> {
        match self {
            Sink::Csv {
                writer,
                input_columns,
            } => {
                let mut row = vec![String::new(); *input_columns + axes.len() * LABEL_COLUMNS];
                row.push(format!("line {}: {}: {}", e.line, e.field, e.reason));
                writer.write_record(&row)?;
            }
            Sink::Jsonl(w) => {
                writeln!(
                    w,
                    "{}",
                    serde_json::json!({"line": e.line, "error": e.to_string()})
                )?;
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Csv { mut writer, .. } => writer.flush()?,
            Sink::Jsonl(mut w) => w.flush()?,
        }
        Ok(())
    }
}

/// Classify every record of `input`, writing one output line per record
/// and a rejects file for those that cannot be classified.
fn classify_file(
    model: &partnerkb::classify::Model,
    input: &std::path::Path,
    args: &ClassifyArgs,
) -> Result<ExitCode> {
    let columns = ColumnMap::parse(&args.fields)?;
    let opened = read::open_path(input, None, &columns)?;
    if !opened.unmapped.is_empty() && !args.quiet {
        eprintln!(
            "partnerkb: columns carried through without being read: {}",
            opened.unmapped.join(", ")
        );
    }
    let axes: Vec<Axis> = match opened.kind {
        Some(kind) => model.axes_for(kind),
        None => Axis::ALL.to_vec(),
    };
    let mut sink = open_sink(args, opened.headers.as_deref(), &axes)?;
    let mut rejects = Rejects::new(args);
    let name = input.display().to_string();
    let progress = Progress::with_input(
        "records",
        args.quiet,
        opened
            .total_bytes
            .map(|t| (vec![opened.bytes_read.clone()], t)),
    );
    // The pipeline stops at the first sink error; the error itself (a
    // broken pipe, a full disk, --strict) is kept here to report as is.
    let mut failure: Option<anyhow::Error> = None;
    let mut on_outcome = |outcome: Outcome| -> partnerkb::Result<()> {
        let result = match outcome {
            Outcome::Classified {
                line,
                record,
                raw,
                predictions,
            } => sink.classified(line, &record, raw, &predictions, &axes),
            Outcome::Rejected(mut e) => {
                if e.file.is_empty() {
                    e.file = name.clone();
                }
                eprintln!("{e}");
                sink.rejected(&e, &axes)
                    .and_then(|()| rejects.record(&e))
                    .and_then(|()| {
                        if args.strict {
                            anyhow::bail!("--strict: stopped at the first rejected record ({e})");
                        }
                        Ok(())
                    })
            }
        };
        result.map_err(|e| {
            let message = e.to_string();
            failure = Some(e);
            partnerkb::Error::from(partnerkb::InternalError::Output(std::io::Error::other(
                message,
            )))
        })
    };
    let options = BatchOptions {
        min_confidence: args.min_confidence,
        evidence: args.evidence,
        ..BatchOptions::default()
    };
    let summary = classify_stream(model, opened.items, &options, &mut on_outcome, &|n| {
        progress.update(n)
    });
    progress.finish();
    if let Some(e) = failure {
        if args.strict {
            // --strict promises all or nothing: no partial output file
            // and no rejects file are left behind.
            drop(sink);
            drop(rejects.writer.take());
            for path in args.output.iter().chain(rejects.path.iter()) {
                let _ = std::fs::remove_file(path);
            }
        }
        return Err(e);
    }
    let summary = summary?;
    sink.finish()?;
    rejects.finish()?;
    if !args.quiet {
        print_summary(&summary, progress.elapsed(), rejects.path.as_deref());
    }
    Ok(if summary.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The output: `--output` or stdout, as CSV (input columns, then the
/// label columns of each axis, then `error`) or JSONL.
fn open_sink(args: &ClassifyArgs, headers: Option<&[String]>, axes: &[Axis]) -> Result<Sink> {
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
    Ok(match format {
        OutputFormat::Csv => {
            let input_headers = headers.map_or_else(|| vec!["id".to_string()], <[String]>::to_vec);
            let mut header = input_headers.clone();
            for a in axes {
                header.push(a.name().into());
                header.push(format!("{}_best", a.name()));
                header.push(format!("{}_probability", a.name()));
                header.push(format!("{}_review", a.name()));
                header.push(format!("{}_evidence", a.name()));
            }
            header.push("error".into());
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(&header)?;
            Sink::Csv {
                writer: Box::new(writer),
                input_columns: input_headers.len(),
            }
        }
        OutputFormat::Jsonl => Sink::Jsonl(out),
    })
}

/// The rejects file (`OUTPUT.rejects.csv` or `--rejects`), created when the
/// first record is rejected, so a clean run leaves none behind.
struct Rejects {
    path: Option<std::path::PathBuf>,
    writer: Option<csv::Writer<std::fs::File>>,
}

impl Rejects {
    fn new(args: &ClassifyArgs) -> Rejects {
        let path = args.rejects.clone().or_else(|| {
            args.output.as_ref().map(|p| {
                let mut name = p.file_name().unwrap_or_default().to_os_string();
                name.push(".rejects.csv");
                p.with_file_name(name)
            })
        });
        Rejects { path, writer: None }
    }

    fn record(&mut self, e: &partnerkb::RecordError) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if self.writer.is_none() {
            let mut w = csv::Writer::from_path(path)
                .with_context(|| format!("creating {}", path.display()))?;
            w.write_record(["file", "line", "field", "reason"])?;
            self.writer = Some(w);
        }
        if let Some(w) = self.writer.as_mut() {
            w.write_record([e.file.as_str(), &e.line.to_string(), &e.field, &e.reason])?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if let Some(w) = self.writer.as_mut() {
            w.flush()?;
        }
        Ok(())
    }
}

fn print_summary(summary: &BatchSummary, secs: f64, rejects: Option<&std::path::Path>) {
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
        let review = summary.review.get(axis).copied().unwrap_or(0);
        eprintln!("  {axis}: {}; {review} to review", parts.join(", "));
    }
    if summary.rejected > 0 {
        if let Some(path) = rejects {
            eprintln!("  rejected rows listed in {}", path.display());
        }
    }
}
