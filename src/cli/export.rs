//! `partnerkb export`

use super::Globals;
use anyhow::{bail, Result};
use clap::Args;
use std::process::ExitCode;

/// Write records out of the index. With --corrections: every corrected
/// record in the corpus format (JSONL), its corrected labels as gold
/// labels and its trail under `corrections`, so an office can send its
/// corrections to the maintainers of the shared corpus. The file can be
/// ingested or trained on as it is. Exit status 1 when there is nothing
/// to export.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// Export the corrected records with their trail
    #[arg(long)]
    pub corrections: bool,
}

pub fn run(g: &Globals, args: ExportArgs) -> Result<ExitCode> {
    if !args.corrections {
        bail!("say what to export: --corrections");
    }
    let kb = g.knowledge_base(false)?;
    let contents = kb.corrections()?;
    let latest = contents.latest();
    let mut written = 0;
    for id in latest.ids() {
        let hit = match kb.get(id) {
            Ok(hit) => hit,
            Err(partnerkb::Error::User(partnerkb::UserError::NotFound(_))) => {
                eprintln!(
                    "partnerkb: `{id}` has corrections but is no longer in the index; skipped"
                );
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let mut record = hit.to_record()?;
        let kind = record.kind();
        for c in latest.of(id).filter(|c| c.kind == kind) {
            record.set_gold(c.label);
        }
        let mut value = serde_json::to_value(&record)?;
        value["corrections"] = serde_json::to_value(contents.history(id))?;
        outln!("{}", serde_json::to_string(&value)?)?;
        written += 1;
    }
    eprintln!("partnerkb: {written} corrected record(s) exported");
    Ok(if written == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
