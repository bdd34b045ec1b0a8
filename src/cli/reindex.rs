//! `partnerkb reindex`

use super::progress::Progress;
use super::Globals;
use anyhow::{Context, Result};
use clap::Args;
use partnerkb::index::{KnowledgeBase, WriterOptions};
use std::process::ExitCode;

/// Rebuild an index from its own stored records, labels and corrections
/// into a new index of this build's schema (after an upgrade of
/// partnerkb). The new index is built beside the old one and swapped in
/// only when complete; until then searches use the old one, and an
/// interrupted reindex leaves it as it was. Predicted labels are kept as
/// they are: `partnerkb reclassify` applies a new model.
#[derive(Debug, Args)]
pub struct ReindexArgs {
    /// Indexing memory budget in MB
    #[arg(long, default_value_t = 128, value_name = "MB")]
    pub memory_mb: usize,
    /// No progress on stderr
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(g: &Globals, args: ReindexArgs) -> Result<ExitCode> {
    let dir = g.index_dir();
    let options = WriterOptions {
        memory_budget: args.memory_mb << 20,
        ..Default::default()
    };
    let progress = Progress::with_input("records", args.quiet, None);
    let (report, kb) = KnowledgeBase::reindex(&dir, &options, &|n| progress.update(n))
        .with_context(|| format!("reindexing {}", dir.display()))?;
    progress.finish();
    eprintln!(
        "partnerkb: index {}: {} records and {} corrections carried from schema {} to {} ({} documents)",
        dir.display(),
        report.records,
        report.corrections,
        report.from_version,
        report.to_version,
        kb.num_docs()
    );
    Ok(ExitCode::SUCCESS)
}
