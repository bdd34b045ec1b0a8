//! `partnerkb doctor`

use super::Globals;
use anyhow::Result;
use clap::Args;
use std::process::ExitCode;

/// Check the model file (format, typology, checksum), the embedding model
/// (its files load, a test sentence embeds) and the index (file
/// checksums, every stored document readable). Exit status 0 when all are
/// sound, 2 otherwise.
#[derive(Debug, Args)]
pub struct DoctorArgs {}

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
    match g
        .knowledge_base(false)
        .and_then(|kb| Ok((kb.path().to_path_buf(), kb.verify()?)))
    {
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
