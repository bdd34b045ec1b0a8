//! `partnerkb compact`

use super::Globals;
use anyhow::{Context, Result};
use clap::Args;
use partnerkb::index::WriterOptions;
use std::process::ExitCode;
use std::time::Instant;

/// Merge the index's segments (after a bulk ingest, before serving
/// searches): fewer segments answer faster. Deleted documents are dropped.
#[derive(Debug, Args)]
pub struct CompactArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// Segments to keep [default: one per CPU, so a search can rank them in
    /// parallel]
    #[arg(long, value_name = "N")]
    pub segments: Option<usize>,
    /// Indexing memory budget in MB (for the writer that runs the merges)
    #[arg(long, default_value_t = 128, value_name = "MB")]
    pub memory_mb: usize,
}

pub fn run(g: &Globals, args: CompactArgs) -> Result<ExitCode> {
    let kb = g.knowledge_base(false)?;
    let target = args
        .segments
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let options = WriterOptions {
        memory_budget: args.memory_mb << 20,
        ..Default::default()
    };
    let start = Instant::now();
    let (before, after) = kb
        .compact(target, &options)
        .with_context(|| format!("compacting {}", kb.path().display()))?;
    eprintln!(
        "partnerkb: index {}: {before} segments -> {after}, {} documents ({:.2}s)",
        kb.path().display(),
        kb.num_docs(),
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
