//! `partnerkb doctor`

use super::Globals;
use anyhow::Result;
use clap::Args;
use std::process::ExitCode;

/// Check the model file (format, typology, checksum), the embedding model
/// (its files load, a test sentence embeds), the corrections journal (every
/// line readable, every correction shown in the index) and the index (file
/// checksums, every stored document readable). Exit status 0 when all are
/// sound, 2 otherwise.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
}

pub fn run(g: &Globals, _args: DoctorArgs) -> Result<ExitCode> {
    let mut healthy = true;
    match g.model() {
        Ok(m) => outln!(
            "model: ok (format {}, trained {} on corpus {:.12}…, checksum verified)",
            m.format_version,
            m.training.trained_on,
            m.training.corpus_sha256
        )?,
        Err(e) => {
            healthy = false;
            outln!("model: DAMAGED: {}", super::describe(&e))?;
        }
    }
    match partnerkb::embed::Embedder::shared().and_then(partnerkb::embed::self_check) {
        Ok(id) => outln!(
            "embedding model: ok ({id}, weights and tokenizer load, a test sentence embeds)"
        )?,
        Err(e) => {
            healthy = false;
            outln!("embedding model: DAMAGED: {}", super::describe(&e.into()))?;
        }
    }
    let kb = g.knowledge_base_unchecked(false);
    if let Ok(kb) = &kb {
        healthy &= check_journal(kb)?;
    }
    match kb.and_then(|kb| Ok((kb.path().to_path_buf(), kb.verify()?))) {
        Ok((path, (damaged, read))) if damaged.is_empty() => outln!(
            "index {}: ok ({read} documents read, checksums verified)",
            path.display()
        )?,
        Ok((path, (damaged, _))) => {
            healthy = false;
            let names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
            outln!(
                "index {}: DAMAGED files: {}",
                path.display(),
                names.join(", ")
            )?;
        }
        Err(e) => {
            healthy = false;
            outln!("index: DAMAGED or unreadable: {}", super::describe(&e))?;
        }
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Report the journal's damaged lines (by number) and corrections the index
/// does not show yet; false when there is something to repair.
fn check_journal(kb: &partnerkb::index::KnowledgeBase) -> Result<bool> {
    let Some(journal) = kb.journal() else {
        return Ok(true);
    };
    let contents = match kb.corrections() {
        Ok(c) => c,
        Err(e) => {
            outln!("corrections: UNREADABLE: {e}")?;
            return Ok(false);
        }
    };
    let mut healthy = true;
    for d in &contents.damaged {
        healthy = false;
        outln!(
            "corrections {}:{}: DAMAGED line, skipped (the others are kept): {}",
            journal.path().display(),
            d.line,
            d.reason
        )?;
    }
    let latest = contents.latest();
    let pending = kb.pending_corrections(&latest)?;
    if !pending.is_empty() {
        healthy = false;
        outln!(
            "corrections: {} record(s) not yet showing their correction ({}); the next `partnerkb label`, ingest or `serve --write-token` applies them",
            pending.len(),
            pending.join(", ")
        )?;
    }
    if healthy {
        outln!(
            "corrections: ok ({} in the journal, {} records corrected)",
            contents.entries.len(),
            latest.len()
        )?;
    }
    Ok(healthy)
}
