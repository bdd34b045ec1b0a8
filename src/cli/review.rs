//! `partnerkb review`

use super::Globals;
use anyhow::Result;
use clap::Args;
use partnerkb::review::{self, ReviewRequest};
use partnerkb::typology::Axis;
use std::process::ExitCode;

/// List the predicted labels in the index most worth a person's look:
/// those the model flags for review first, then the least sure (smallest
/// margin between its two most likely classes). Confirm or change each
/// with `partnerkb label`; it then leaves the queue. Exit status 1 when
/// nothing is left to review.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// Only labels on this axis
    #[arg(long, value_name = "AXIS")]
    pub axis: Option<String>,
    /// How many to list
    #[arg(short = 'n', long, default_value_t = 10)]
    pub count: usize,
    /// Print one JSON object (`remaining` and `items`)
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Globals, args: ReviewArgs) -> Result<ExitCode> {
    let axis = args.axis.as_deref().map(Axis::parse).transpose()?;
    let model = g.model()?;
    let kb = g.knowledge_base(false)?;
    let queue = review::queue(
        &kb,
        &model,
        &ReviewRequest {
            axis,
            limit: args.count,
            evidence: if args.json { 8 } else { 4 },
        },
    )?;
    if args.json {
        outln!("{}", serde_json::to_string(&queue)?)?;
    } else {
        outln!(
            "{} predicted label(s) to review, showing {}",
            queue.remaining,
            queue.items.len()
        )?;
        for (i, item) in queue.items.iter().enumerate() {
            let flag = match (item.review, item.reason) {
                (true, Some(reason)) => format!("  [review: {reason}]"),
                (true, None) => "  [review]".into(),
                _ => String::new(),
            };
            let probs: Vec<String> = item
                .probabilities
                .iter()
                .map(|(k, v)| format!("{k} {:.0}%", v * 100.0))
                .collect();
            let evidence: Vec<&str> = item.evidence.iter().map(|e| e.term.as_str()).collect();
            outln!()?;
            outln!("{:>2}. {}  ({})", i + 1, item.title, item.id)?;
            outln!(
                "    {} {} {:.0}%, margin {:.2}{flag}",
                item.axis,
                item.label,
                item.probability * 100.0,
                item.margin
            )?;
            outln!("    {}", probs.join(", "))?;
            if !evidence.is_empty() {
                outln!("    evidence: {}", evidence.join(", "))?;
            }
            outln!(
                "    partnerkb label {} {}=… --reason … | --confirm {}",
                item.id,
                item.axis,
                item.axis
            )?;
        }
    }
    Ok(if queue.remaining == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
