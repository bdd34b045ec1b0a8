//! `partnerkb suggest`

use super::table::{Align, Table};
use super::Globals;
use anyhow::Result;
use clap::Args;
use partnerkb::classify::batch::{classify_stream, BatchOptions, Outcome};
use partnerkb::read::{self, ColumnMap};
use partnerkb::record::Record;
use std::path::PathBuf;
use std::process::ExitCode;

/// Active learning: list the unlabelled records the model is least sure
/// about (smallest margin between its two most likely classes on any
/// axis), the ones whose labels would teach it most.
#[derive(Debug, Args)]
pub struct SuggestArgs {
    #[command(flatten)]
    pub model: super::ModelOpt,
    /// Records to choose from (.jsonl or .csv)
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// How many to propose
    #[arg(short = 'n', long, default_value_t = 10)]
    pub count: usize,
    /// Print JSON lines
    #[arg(long)]
    pub json: bool,
}

#[derive(serde::Serialize)]
struct Suggestion {
    id: String,
    name: String,
    axis: String,
    margin: f64,
    probabilities: std::collections::BTreeMap<partnerkb::Class, f64>,
}

pub fn run(g: &Globals, args: SuggestArgs) -> Result<ExitCode> {
    let model = g.model()?;
    let items = read::read_path(&args.input, None, &ColumnMap::default())?;
    let mut candidates: Vec<Suggestion> = Vec::new();
    let mut sink = |outcome: Outcome| -> partnerkb::Result<()> {
        if let Outcome::Classified {
            record,
            predictions,
            ..
        } = outcome
        {
            let gold = |axis| match record.as_ref() {
                Record::Partnership(p) => p.gold(axis).is_some(),
                Record::Lesson(l) => l.challenge.is_some(),
            };
            let least = predictions
                .iter()
                .filter(|(axis, _)| !gold(**axis))
                .map(|(axis, p)| {
                    let mut ps: Vec<f64> = p.probabilities.values().copied().collect();
                    ps.sort_by(|a, b| b.total_cmp(a));
                    (axis, p, ps[0] - ps.get(1).copied().unwrap_or(0.0))
                })
                .min_by(|a, b| a.2.total_cmp(&b.2));
            if let Some((axis, p, margin)) = least {
                candidates.push(Suggestion {
                    id: record.id().to_string(),
                    name: record.title().to_string(),
                    axis: axis.name().to_string(),
                    margin,
                    probabilities: p.probabilities.clone(),
                });
            }
        }
        Ok(())
    };
    let options = BatchOptions {
        evidence: 0,
        ..BatchOptions::default()
    };
    classify_stream(&model, items, &options, &mut sink, &|_| {})?;
    candidates.sort_by(|a, b| a.margin.total_cmp(&b.margin).then(a.id.cmp(&b.id)));
    candidates.truncate(args.count);
    if args.json {
        for s in &candidates {
            outln!("{}", serde_json::to_string(s)?)?;
        }
    } else if !candidates.is_empty() {
        let mut table = Table::new(&[
            ("id", Align::Left),
            ("axis", Align::Left),
            ("margin", Align::Right),
            ("probabilities", Align::Left),
        ]);
        for s in &candidates {
            let probs: Vec<String> = s
                .probabilities
                .iter()
                .map(|(k, v)| format!("{k} {:.0}%", v * 100.0))
                .collect();
            table.row(vec![
                s.id.clone(),
                s.axis.clone(),
                format!("{:.2}", s.margin),
                probs.join(", "),
            ]);
        }
        table.write(&mut std::io::stdout().lock())?;
    }
    Ok(if candidates.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
