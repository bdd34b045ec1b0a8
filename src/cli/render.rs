//! How records, labels and predictions look on a terminal: shared by
//! `search`, `show`, `similar` and `classify`, so a label reads the same
//! wherever it is printed.

use partnerkb::classify::AxisPrediction;
use partnerkb::label::AssignedLabel;
use partnerkb::typology::Axis;
use std::io::{IsTerminal, Write};

/// `--color`: when to mark matches and headings with ANSI colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set or TERM is `dumb`
    #[default]
    Auto,
    /// Always, even into a pipe (e.g. `| less -R`)
    Always,
    /// Never: matches are marked **like this**
    Never,
}

impl ColorChoice {
    /// Whether to colour what goes to stdout (ripgrep's and the NO_COLOR
    /// convention's rules: an explicit choice wins, then the environment,
    /// then whether stdout is a terminal).
    pub fn stdout_colored(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

/// Start and end markers of a match.
fn marks(color: bool) -> (&'static str, &'static str) {
    if color {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("**", "**")
    }
}

/// `text` with the byte ranges `ranges` marked (colour, or `**…**`).
/// Ranges out of order or out of bounds are skipped, never a panic.
pub fn highlight(text: &str, ranges: &[(usize, usize)], color: bool) -> String {
    let (on, off) = marks(color);
    let mut out = String::with_capacity(text.len() + ranges.len() * 8);
    let mut pos = 0;
    for &(start, end) in ranges {
        if start < pos
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            continue;
        }
        out.push_str(&text[pos..start]);
        out.push_str(on);
        out.push_str(&text[start..end]);
        out.push_str(off);
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

/// A heading: bold on a colour terminal, plain otherwise.
pub fn heading(text: &str, color: bool) -> String {
    if color {
        format!("\x1b[1m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// `mode: implementation (predicted 87%)`, `(gold)` or `(corrected by …)`.
pub fn label(l: &AssignedLabel) -> String {
    let how = match (&l.correction, l.probability) {
        (Some(note), _) => {
            let day = note.at.get(..10).unwrap_or(&note.at);
            let changed = if note.text_changed {
                ", text changed since"
            } else {
                ""
            };
            format!("corrected by {} {day}{changed}", note.by)
        }
        (None, Some(p)) => format!("predicted {:.0}%", p * 100.0),
        (None, None) => "gold".into(),
    };
    format!("{}: {} ({how})", l.axis, l.label)
}

/// One axis of a classification: the label with its probability (and the
/// best guess when it is uncertain, and whether it is flagged for
/// review), the evidence terms and the sentence that carries them.
pub fn prediction(
    out: &mut impl Write,
    axis: Axis,
    p: &AxisPrediction,
    indent: &str,
) -> std::io::Result<()> {
    let guess = match p.label.class() {
        Some(_) => String::new(),
        None => format!(", best guess {}", p.best),
    };
    let why = match (p.reason, p.review) {
        (Some(reason), _) => format!(" — {reason}, to review"),
        (None, true) => " — to review".to_string(),
        (None, false) => String::new(),
    };
    writeln!(
        out,
        "{indent}{:<9} {} ({:.0}%{guess}){why}",
        axis.name(),
        p.label,
        p.probability * 100.0
    )?;
    let terms: Vec<String> = p
        .evidence
        .iter()
        .map(|e| format!("{} ({:+.3})", e.term, e.weight))
        .collect();
    if !terms.is_empty() {
        writeln!(out, "{indent}          evidence: {}", terms.join(", "))?;
    }
    if let Some(s) = &p.sentence {
        writeln!(out, "{indent}          sentence: {s}")?;
    }
    Ok(())
}
