//! `partnerkb delete`

use super::Globals;
use anyhow::Result;
use clap::Args;
use partnerkb::index::WriterOptions;
use std::process::ExitCode;

/// Remove records from the index by id, in one commit. Their correction
/// trails stay in the journal (ingesting a record again replays them).
/// Exit status 1 when some ids were not in the index (the others are
/// removed all the same).
#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// Ids of the records to remove
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Print what was removed as one JSON object
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Globals, args: DeleteArgs) -> Result<ExitCode> {
    let kb = g.knowledge_base(false)?;
    let report = kb.delete(&args.ids, None, &WriterOptions::default())?;
    if args.json {
        outln!("{}", serde_json::to_string(&report)?)?;
    } else {
        for id in &report.deleted {
            outln!("deleted {id}")?;
        }
    }
    if !report.missing.is_empty() {
        eprintln!(
            "partnerkb: not in the index, nothing removed for: {}",
            report.missing.join(", ")
        );
    }
    eprintln!(
        "partnerkb: {} deleted; index {} now holds {} documents",
        report.deleted.len(),
        kb.path().display(),
        kb.num_docs()
    );
    Ok(if report.missing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
