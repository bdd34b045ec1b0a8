//! `partnerkb ingest`

use super::progress::Progress;
use super::Globals;
use anyhow::Result;
use clap::Args;
use partnerkb::ingest::IngestOptions;
use partnerkb::ingest::{ingest_with_vectors, Input, Labeller, VectorPolicy, Vectors};
use partnerkb::read::{self, ColumnMap};
use partnerkb::record::Kind;
use std::path::PathBuf;
use std::process::ExitCode;

/// Add records to the index. Records are upserted by id: ingesting a file
/// twice leaves the same documents. Bad records are reported as
/// FILE:LINE: field: reason and skipped; the exit status is then 1.
#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// Input files: .jsonl, .csv, .txt or .md
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Treat every record as this kind instead of recognising it
    #[arg(long, value_parser = super::kind_parser())]
    pub kind: Option<Kind>,
    /// Reject the whole input, committing nothing, if any record is bad
    #[arg(long)]
    pub strict: bool,
    /// Map a record field to a CSV column, e.g. description=Objectives
    #[arg(long = "field", value_name = "FIELD=COLUMN")]
    pub fields: Vec<String>,
    /// Indexing memory budget in MB
    #[arg(long, default_value_t = 128, value_name = "MB")]
    pub memory_mb: usize,
    /// Commit every N records
    #[arg(long, default_value_t = 50_000, value_name = "N")]
    pub batch_size: usize,
    /// Do not predict labels for records without gold labels
    #[arg(long)]
    pub no_classify: bool,
    /// Store sentence-embedding vectors for semantic and hybrid search:
    /// auto (lessons and document passages always; partnerships when a
    /// file holds at most 10,000 records), all, or off. Embedding runs at
    /// about 50 texts a second on two cores: a registry of a million
    /// records is indexed lexically unless `all` asks for hours of work
    #[arg(long, default_value = "auto", value_parser = ["auto", "all", "off"])]
    pub vectors: String,
    /// No progress output
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Globals, args: IngestArgs) -> Result<ExitCode> {
    let columns = ColumnMap::parse(&args.fields)?;
    // Open every input before touching the index: a missing file is an
    // error before anything is written.
    let mut inputs = Vec::new();
    let mut counters = Vec::new();
    let mut total_bytes = 0;
    for path in &args.files {
        let opened = read::open_path(path, args.kind, &columns)?;
        if !opened.unmapped.is_empty() && !args.quiet {
            eprintln!(
                "partnerkb: {}: columns not read: {}",
                path.display(),
                opened.unmapped.join(", ")
            );
        }
        counters.push(opened.bytes_read.clone());
        total_bytes += opened.total_bytes.unwrap_or(0);
        let items = opened.items;
        inputs.push(Input {
            origin: path
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_else(|| path.display().to_string()),
            items,
            replace: false,
        });
    }
    let model = if args.no_classify {
        None
    } else {
        Some(g.model()?)
    };
    // Only an index named with --index is removed again under --strict
    // (never the default one, which is built from the bundle).
    let created = g.index.as_ref().is_some_and(|dir| !dir.exists());
    let kb = g.knowledge_base(true)?;
    let options = IngestOptions {
        strict: args.strict,
        memory_budget: args.memory_mb.max(1) << 20,
        threads: None,
        batch_size: args.batch_size.max(1),
    };
    let progress = Progress::with_input("records", args.quiet, Some((counters, total_bytes)));
    // clap admits only the three names.
    let policy = VectorPolicy::parse(&args.vectors).unwrap_or_default();
    // The bundled records' vectors serve any record with the same text
    // (re-ingesting corpus files, an export of the default index).
    let vectors = Vectors {
        policy,
        precomputed: partnerkb::bundle::precomputed(),
    };
    let report = ingest_with_vectors(
        &kb,
        inputs,
        model.as_ref().map(|m| m as &dyn Labeller),
        &options,
        vectors,
        &|n| progress.update(n),
    );
    progress.finish();
    let report = match report {
        Ok(r) => r,
        Err(partnerkb::Error::User(partnerkb::UserError::Rejected { errors })) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "partnerkb: --strict: {} invalid record(s), input rejected, nothing was committed",
                errors.len()
            );
            if created {
                // The index this command made holds nothing: leave no
                // empty index behind.
                let _ = std::fs::remove_dir_all(kb.path());
            }
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    // A registry with thousands of problems should not bury the summary:
    // show the first ones and count the rest (`--json` has them all).
    const SHOWN: usize = 50;
    for warning in report.warnings.iter().take(SHOWN) {
        eprintln!("warning: {warning}");
    }
    if report.warnings.len() > SHOWN {
        eprintln!(
            "warning: … and {} more warnings",
            report.warnings.len() - SHOWN
        );
    }
    for rejected in report.rejected.iter().take(SHOWN) {
        eprintln!("{rejected}");
    }
    if report.rejected.len() > SHOWN {
        eprintln!(
            "… and {} more rejected records",
            report.rejected.len() - SHOWN
        );
    }
    if args.json {
        let mut v = serde_json::to_value(&report)?;
        v["rejected"] = serde_json::json!(report
            .rejected
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>());
        v["seconds"] = serde_json::json!(progress.elapsed());
        outln!("{v}")?;
    } else {
        eprintln!(
            "partnerkb: {} read, {} indexed, {} rejected, {} labels predicted; index {} now holds {} documents ({:.2}s)",
            report.read,
            report.indexed,
            report.rejected.len(),
            report.predicted,
            kb.path().display(),
            report.total_docs,
            progress.elapsed()
        );
        // Registry inputs name partners and places in words: say how much
        // of what is indexed was read from those words, and what was not.
        let (sectors, scopes) = (report.sectors, report.scopes);
        if sectors.inferred + sectors.unknown + scopes.mapped + scopes.unknown > 0 {
            eprintln!(
                "partnerkb: partner sectors: {} given, {} inferred from names, {} unknown (other); scopes: {} given, {} mapped from coverage text, {} unknown",
                sectors.given,
                sectors.inferred,
                sectors.unknown,
                scopes.given,
                scopes.mapped,
                scopes.unknown
            );
        }
    }
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
