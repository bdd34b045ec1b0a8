//! `partnerkb stats`

use super::table::{Align, Table};
use super::Globals;
use anyhow::{Context, Result};
use clap::Args;
use partnerkb::corpus;
use std::path::PathBuf;
use std::process::ExitCode;

/// The generated block of a dataset card starts with a line beginning with
/// this (the rest of the line says which command made it) and ends with
/// [`CARD_END`].
const CARD_BEGIN: &str = "<!-- stats:begin";
const CARD_END: &str = "<!-- stats:end -->";

/// Count what is in the index (kinds, labels, sectors, sources), or with
/// --corpus describe a labelled corpus directory: class counts and the
/// agreement (Cohen's kappa) between its two labelling passes.
#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// Describe the corpus in DIR (partnerships.jsonl, lessons.jsonl,
    /// labels_a.jsonl, labels_b.jsonl) instead of the index
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Rewrite the generated block of this dataset card with the tables
    #[arg(long, value_name = "FILE", requires = "corpus")]
    pub update_card: Option<PathBuf>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Globals, args: StatsArgs) -> Result<ExitCode> {
    if let Some(dir) = &args.corpus {
        let partnerships = corpus::load_partnerships(&dir.join("partnerships.jsonl"))?;
        // A held-out evaluation set has partnerships only.
        let lessons_file = dir.join("lessons.jsonl");
        let lessons = if lessons_file.exists() {
            corpus::load_lessons(&lessons_file)?
        } else {
            Vec::new()
        };
        let a = dir.join("labels_a.jsonl");
        let b = dir.join("labels_b.jsonl");
        let passes = if a.exists() && b.exists() {
            Some((corpus::load_pass(&a)?, corpus::load_pass(&b)?))
        } else {
            None
        };
        let mut report = corpus::report(
            &partnerships,
            &lessons,
            passes.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice())),
        );
        let sources = dir.join("sources.jsonl");
        if sources.exists() {
            report = report.with_sources(&corpus::load_sources(&sources)?);
        }
        if let Some(card) = &args.update_card {
            let text = std::fs::read_to_string(card)
                .with_context(|| format!("reading {}", card.display()))?;
            let line_end = text
                .find(CARD_BEGIN)
                .and_then(|start| Some(start + text[start..].find('\n')?));
            let (Some(line_end), Some(end)) = (line_end, text.find(CARD_END)) else {
                anyhow::bail!(
                    "{}: no generated block; add the lines\n{CARD_BEGIN} -->\n{CARD_END}",
                    card.display()
                );
            };
            let updated = format!(
                "{}\n{}{}",
                &text[..line_end],
                report.to_markdown(),
                &text[end..]
            );
            std::fs::write(card, updated).with_context(|| format!("writing {}", card.display()))?;
        }
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&report)?)?;
        } else if args.update_card.is_none() {
            out!("{}", report.to_markdown())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let kb = g.knowledge_base(false)?;
    let stats = kb.stats()?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&stats)?)?;
    } else {
        outln!("{} documents in {}", stats.total, kb.path().display())?;
        for (facet, counts) in &stats.facets {
            if counts.is_empty() {
                continue;
            }
            // A sector is not a label: the input gave it, or it was
            // inferred from the partner's name.
            let human = if facet == "sector" { "given" } else { "gold" };
            let golds = stats.gold.get(facet);
            let mut columns = vec![(facet.as_str(), Align::Left), ("records", Align::Right)];
            if golds.is_some() {
                columns.push((human, Align::Right));
            }
            let mut table = Table::new(&columns).indent("  ");
            for (k, v) in counts {
                let mut row = vec![k.clone(), v.to_string()];
                if let Some(g) = golds {
                    row.push(g.get(k).copied().unwrap_or(0).to_string());
                }
                table.row(row);
            }
            outln!()?;
            table.write(&mut std::io::stdout().lock())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
