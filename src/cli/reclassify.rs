//! `partnerkb reclassify`

use super::progress::Progress;
use super::Globals;
use anyhow::{Context, Result};
use clap::Args;
use partnerkb::index::WriterOptions;
use std::process::ExitCode;

/// Apply the current model (--model, or the bundled one) to every
/// predicted label in the index, after training a new one. Gold and
/// corrected labels are never touched. Commits after every batch, so an
/// interrupted run keeps what it did and can simply be run again.
#[derive(Debug, Args)]
pub struct ReclassifyArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// Records per commit
    #[arg(long, default_value_t = 50_000, value_name = "N")]
    pub batch_size: usize,
    /// Indexing memory budget in MB
    #[arg(long, default_value_t = 128, value_name = "MB")]
    pub memory_mb: usize,
    /// No progress on stderr
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Globals, args: ReclassifyArgs) -> Result<ExitCode> {
    let model = g.model()?;
    let kb = g.knowledge_base(false)?;
    let options = WriterOptions {
        memory_budget: args.memory_mb << 20,
        ..Default::default()
    };
    let progress = Progress::with_input("records", args.quiet, None);
    let report = kb
        .reclassify(&model, &options, args.batch_size, &|n| progress.update(n))
        .with_context(|| format!("reclassifying {}", kb.path().display()))?;
    progress.finish();
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["model"] = model.id().into();
        outln!("{value}")?;
    } else {
        outln!(
            "{} records, {} predicted labels, {} changed class, {} records rewritten (model {})",
            report.records,
            report.predicted,
            report.changed_labels(),
            report.rewritten,
            model.id()
        )?;
        for (axis, changes) in &report.changed {
            for (change, n) in changes {
                outln!("  {axis:<9} {change}: {n}")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
