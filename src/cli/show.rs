//! `partnerkb show`

use super::{render, Globals};
use anyhow::Result;
use clap::Args;
use partnerkb::view::RecordView;
use partnerkb::Kind;
use serde_json::Value;
use std::io::Write;
use std::process::ExitCode;

/// One record as the page's record view shows it: its text and facts, its
/// labels (gold, corrected or predicted, with who and when), the model's
/// reading of the text with evidence, and the lessons for partnerships of
/// its type (for a lesson: its example partnerships and like ones). An
/// unknown id exits 2.
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// Id of the record (as `search` prints it)
    pub id: String,
    /// Print the record view as one JSON object (what the API answers)
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Globals, args: ShowArgs) -> Result<ExitCode> {
    let kb = g.knowledge_base(false)?;
    let model = g.model()?;
    let view = RecordView::load(&kb, &model, &args.id, None)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &view)?;
        writeln!(out)?;
    } else {
        print_view(&mut out, &view, g.color)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_view(out: &mut impl Write, v: &RecordView, color: bool) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        render::heading(&format!("[{}] {}", v.kind, v.title), color)
    )?;
    let mut meta = vec![format!("id {}", v.id)];
    meta.extend(v.labels.iter().map(render::label));
    if v.labels.is_empty() {
        meta.push("no labels".into());
    }
    writeln!(out, "{}", meta.join(" · "))?;
    let text_field = match v.kind {
        Kind::Partnership => "description",
        Kind::Lesson => "text",
    };
    writeln!(out)?;
    for paragraph in text(&v.record, text_field)
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
    {
        writeln!(out, "{}\n", paragraph.trim())?;
    }
    for (name, value) in facts(&v.record, v.kind) {
        writeln!(out, "{name:<10} {value}")?;
    }
    writeln!(out)?;
    writeln!(out, "{}", render::heading("Why this type", color))?;
    match &v.classification {
        Some(map) => {
            for (axis, p) in map {
                render::prediction(out, *axis, p, "  ")?;
            }
        }
        None => writeln!(out, "  the record has no text to classify")?,
    }
    writeln!(out)?;
    let related = match v.kind {
        Kind::Partnership => {
            let types: Vec<String> = [partnerkb::Axis::Function, partnerkb::Axis::Mode]
                .iter()
                .filter_map(|axis| v.labels.iter().find(|l| l.axis == *axis))
                .map(|l| l.label.to_string())
                .collect();
            if types.is_empty() {
                "Lessons".to_string()
            } else {
                format!("Lessons for {} partnerships", types.join(" · "))
            }
        }
        Kind::Lesson => "Example partnerships and like ones".to_string(),
    };
    writeln!(out, "{}", render::heading(&related, color))?;
    if v.related.is_empty() {
        writeln!(out, "  none in this index")?;
    }
    for (i, hit) in v.related.iter().enumerate() {
        let labels: Vec<String> = hit.labels.iter().map(render::label).collect();
        writeln!(out, "{:>3}. {}  (id {})", i + 1, hit.title, hit.id)?;
        if !labels.is_empty() {
            writeln!(out, "     {}", labels.join(" · "))?;
        }
    }
    Ok(())
}

fn text<'a>(record: &'a Value, field: &str) -> &'a str {
    record.get(field).and_then(Value::as_str).unwrap_or("")
}

/// The record's facts as `(name, value)` lines, in the page's order;
/// fields the record does not have are left out.
fn facts(record: &Value, kind: Kind) -> Vec<(&'static str, String)> {
    let list = |field: &str| -> Option<String> {
        let items: Vec<String> = record
            .get(field)?
            .as_array()?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        (!items.is_empty()).then(|| items.join(", "))
    };
    let plain = |field: &str| -> Option<String> {
        match record.get(field)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let mut out = Vec::new();
    let mut push = |name, value: Option<String>| {
        if let Some(value) = value {
            out.push((name, value));
        }
    };
    match kind {
        Kind::Partnership => {
            let partners: Vec<String> = record
                .get("partners")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            let name = p.get("name").and_then(Value::as_str).unwrap_or("");
                            match p.get("sector").and_then(Value::as_str) {
                                Some(sector) => format!("{name} ({sector})"),
                                None => name.to_string(),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            push(
                "Partners",
                Some(if partners.is_empty() {
                    "no partner list in the record".to_string()
                } else {
                    partners.join("; ")
                }),
            );
            push("Lead", plain("lead"));
            push("Themes", list("themes"));
            push("Scope", plain("scope"));
            push("Started", plain("start_year"));
            push("Website", plain("url"));
        }
        Kind::Lesson => {
            let applies: Vec<String> = ["function", "mode"]
                .iter()
                .filter_map(|axis| {
                    let values = record.get("applies_to")?.get(*axis)?.as_array()?;
                    let names: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
                    (!names.is_empty()).then(|| format!("{axis} {}", names.join("/")))
                })
                .collect();
            push(
                "Applies to",
                (!applies.is_empty()).then(|| applies.join(", ")),
            );
            push("Examples", list("examples"));
            push("Source", plain("source"));
        }
    }
    out
}
