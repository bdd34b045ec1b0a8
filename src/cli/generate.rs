//! `partnerkb generate`

use super::Globals;
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Write a synthetic registry (CSV, registry column names) of N
/// partnership records sampled from the bundled corpus, deterministic by
/// seed: input for scale benchmarks at 10k, 100k or 1M records.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of records
    #[arg(long, short = 'n', default_value_t = 10_000)]
    pub count: u64,
    /// Seed
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Output file [default: stdout]
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(_g: &Globals, args: GenerateArgs) -> Result<ExitCode> {
    match &args.output {
        // The registry is CSV: a file named otherwise would be misread later.
        Some(path)
            if !path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv")) =>
        {
            anyhow::bail!(
                "{}: generate writes CSV (registry columns); name the file .csv",
                path.display()
            );
        }
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            partnerkb::generate::write_registry(
                args.count,
                args.seed,
                std::io::BufWriter::new(file),
            )?;
        }
        None => {
            partnerkb::generate::write_registry(args.count, args.seed, std::io::stdout().lock())?
        }
    }
    Ok(ExitCode::SUCCESS)
}
