//! `partnerkb label`

use super::Globals;
use anyhow::{bail, Result};
use clap::Args;
use partnerkb::corrections::{Action, Correction};
use partnerkb::index::{Change, LabelRequest, WriterOptions};
use partnerkb::typology::{Axis, Class};
use std::process::ExitCode;

/// Correct or confirm a record's labels, with who and why, or show its
/// trail. A correction is kept in the index's journal and shown at once
/// (`"origin": "corrected"`); it survives re-ingesting the record and
/// rebuilding the index, and the next `partnerkb train --corrections`
/// learns from it.
///
/// Examples:
///   partnerkb label gavi mode=implementation --reason "runs vaccination programmes" --by amina
///   partnerkb label gavi --confirm function --by amina
///   partnerkb label --history gavi
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct LabelArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// The record's id
    pub id: String,
    /// New labels, as AXIS=VALUE (function=operational, mode=coordination,
    /// challenge=accountability)
    #[arg(value_name = "AXIS=VALUE")]
    pub changes: Vec<String>,
    /// Confirm the record's current label on this axis (repeatable)
    #[arg(long, value_name = "AXIS")]
    pub confirm: Vec<String>,
    /// Why (required to change a label)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Who is correcting [default: $PARTNERKB_USER, else $USER]
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Print the record's corrections, oldest first, instead of changing
    /// anything
    #[arg(long, conflicts_with_all = ["changes", "confirm", "reason", "by"])]
    pub history: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

impl LabelArgs {
    /// Turn the arguments into a request, parsing every value first.
    fn request(&self) -> Result<LabelRequest> {
        let mut changes = Vec::new();
        for change in &self.changes {
            let Some((axis, value)) = change.split_once('=') else {
                bail!("`{change}`: expected AXIS=VALUE, e.g. mode=implementation");
            };
            let axis = Axis::parse(axis.trim())?;
            changes.push(Change::Set(Class::parse(axis, value.trim())?));
        }
        for axis in &self.confirm {
            changes.push(Change::Confirm(Axis::parse(axis.trim())?));
        }
        let by = self
            .by
            .clone()
            .or_else(|| std::env::var("PARTNERKB_USER").ok())
            .or_else(|| std::env::var("USER").ok())
            .filter(|b| !b.trim().is_empty());
        let Some(by) = by else {
            bail!("say who is correcting with --by NAME");
        };
        Ok(LabelRequest {
            id: self.id.clone(),
            kind: None,
            changes,
            by,
            reason: self.reason.clone(),
        })
    }
}

pub fn run(g: &Globals, args: LabelArgs) -> Result<ExitCode> {
    if args.history {
        return history(g, &args);
    }
    let req = args.request()?;
    let kb = g.knowledge_base(false)?;
    let made = kb.correct(&req, &WriterOptions::default())?;
    if args.json {
        outln!("{}", serde_json::to_string(&made)?)?;
    } else {
        for c in &made {
            outln!("{}", describe(c))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn history(g: &Globals, args: &LabelArgs) -> Result<ExitCode> {
    let kb = g.knowledge_base(false)?;
    let trail = kb.history(&args.id)?;
    if trail.is_empty() {
        // An unknown id is the user's mistake; a known one without
        // corrections is simply nothing found.
        kb.get(&args.id)?;
    }
    if args.json {
        outln!(
            "{}",
            serde_json::to_string(&serde_json::json!({"id": args.id, "history": trail}))?
        )?;
    } else if trail.is_empty() {
        eprintln!("partnerkb: `{}` has no corrections", args.id);
    } else {
        for c in &trail {
            outln!("{}", describe(c))?;
        }
    }
    Ok(if trail.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One line per correction: `#3 2026-12-02T10:00:00Z amina: gavi mode
/// coordination (predicted 91%) → implementation: "runs programmes"`.
fn describe(c: &Correction) -> String {
    let before = match &c.previous {
        Some(p) => match p.probability {
            Some(prob) => format!("{} ({} {:.0}%)", p.label, p.origin.name(), prob * 100.0),
            None => format!("{} ({})", p.label, p.origin.name()),
        },
        None => "no label".into(),
    };
    let what = match c.action {
        Action::Set => format!("{before} → {}", c.label),
        Action::Confirm => format!("{before} confirmed"),
    };
    let reason = c
        .reason
        .as_deref()
        .map(|r| format!(": \"{r}\""))
        .unwrap_or_default();
    format!(
        "#{} {} {}: {} {} {what}{reason}",
        c.seq, c.at, c.by, c.id, c.axis
    )
}
