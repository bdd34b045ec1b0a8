//! `partnerkb reindex`

use super::progress::Progress;
use super::Globals;
use anyhow::{Context, Result};
use clap::Args;
use partnerkb::index::{KnowledgeBase, WriterOptions};
use partnerkb::ingest::{VectorPolicy, Vectors};
use std::process::ExitCode;

/// Rebuild an index from its own stored records, labels and corrections
/// into a new index of this build's schema (after an upgrade of
/// partnerkb). The new index is built beside the old one and swapped in
/// only when complete; until then searches use the old one, and an
/// interrupted reindex leaves it as it was. Predicted labels are kept as
/// they are: `partnerkb reclassify` applies a new model. Records without
/// sentence-embedding vectors of this build's model get them (as `ingest
/// --vectors` says), so an index built without vectors gains semantic and
/// hybrid search.
#[derive(Debug, Args)]
pub struct ReindexArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// Indexing memory budget in MB
    #[arg(long, default_value_t = 128, value_name = "MB")]
    pub memory_mb: usize,
    /// Which records without vectors get them: auto (lessons and
    /// passages; partnerships when the index holds at most 10,000), all,
    /// or off (keep the vectors as they are)
    #[arg(long, default_value = "auto", value_parser = ["auto", "all", "off"])]
    pub vectors: String,
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
    let vectors = Vectors {
        // clap admits only the three names.
        policy: VectorPolicy::parse(&args.vectors).unwrap_or_default(),
        precomputed: partnerkb::bundle::precomputed(),
    };
    let (report, kb) = KnowledgeBase::reindex(&dir, &options, vectors, &|n| progress.update(n))
        .with_context(|| format!("reindexing {}", dir.display()))?;
    progress.finish();
    eprintln!(
        "partnerkb: index {}: {} records and {} corrections carried from schema {} to {}, {} records embedded ({} documents)",
        dir.display(),
        report.records,
        report.corrections,
        report.from_version,
        report.to_version,
        report.embedded,
        kb.num_docs()
    );
    Ok(ExitCode::SUCCESS)
}
