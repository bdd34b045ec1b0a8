//! Plain-text and Markdown documents → passage-sized lessons.
//!
//! Reports like the mandate paper are long runs of paragraphs under
//! numbered headings, with numbered recommendations and side-column
//! quotes. A passage is one paragraph or one list item; it keeps the
//! nearest headings as its title so that a search hit says where it sits
//! in the document. Fragments too short to stand alone (a quote's
//! attribution, a bare `i)`) are joined to their neighbour instead of
//! being dropped.

use super::{slugify, Item, Located};
use crate::error::RecordError;
use crate::record::{Lesson, Record};

/// A passage of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// 1-based line where the passage starts.
    pub line: u64,
    /// Heading context, outermost first.
    pub headings: Vec<String>,
    /// The passage text.
    pub text: String,
}

/// Fewer words than this and a fragment is joined to a neighbour.
const MIN_WORDS: usize = 8;

fn heading_level(line: &str) -> Option<(usize, String)> {
    let t = line.trim();
    if let Some(rest) = t.strip_prefix('#') {
        let level = 1 + rest.chars().take_while(|c| *c == '#').count();
        let text = rest.trim_start_matches('#').trim();
        return (!text.is_empty()).then(|| (level, text.to_string()));
    }
    let words = t.split_whitespace().count();
    if t.is_empty() || t.len() > 90 || words > 12 || t.ends_with(['.', ':', ';', ',', '"', '”']) {
        return None;
    }
    let first = t.split_whitespace().next().unwrap_or("");
    let roman = |s: &str| !s.is_empty() && s.chars().all(|c| "IVXL".contains(c));
    let rest_starts_upper = t
        .split_whitespace()
        .nth(1)
        .and_then(|w| w.chars().next())
        .is_some_and(|c| c.is_uppercase());
    if let Some(num) = first.strip_suffix('.') {
        if roman(num) && rest_starts_upper {
            return Some((1, t.to_string()));
        }
        if num.len() == 1 && num.chars().all(|c| c.is_ascii_uppercase()) && rest_starts_upper {
            return Some((2, t.to_string()));
        }
    }
    if t.starts_with("Annex") {
        return Some((1, t.to_string()));
    }
    let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() >= 6 && letters.iter().all(|c| c.is_uppercase()) {
        return Some((1, t.to_string()));
    }
    None
}

fn is_list_marker(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with(['·', '•', '*', '-', '–']) {
        return true;
    }
    let head: String = t.chars().take(6).collect();
    let marker = head.split([')', '.']).next().unwrap_or("");
    (head.contains(')') || head.contains('.'))
        && !marker.is_empty()
        && marker.len() <= 4
        && (marker.chars().all(|c| c.is_ascii_digit()) || marker.chars().all(|c| "ivx".contains(c)))
}

/// Split a document into passages.
pub fn split_passages(text: &str) -> Vec<Passage> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut passages: Vec<Passage> = Vec::new();
    let mut current: Option<Passage> = None;
    // A bare marker line such as "i)" waits to prefix the next paragraph.
    let mut pending_marker: Option<(u64, String)> = None;

    let flush = |current: &mut Option<Passage>, passages: &mut Vec<Passage>| {
        if let Some(p) = current.take() {
            let short = p.text.split_whitespace().count() < MIN_WORDS;
            match passages.last_mut() {
                Some(last) if short && last.headings == p.headings => {
                    last.text.push(' ');
                    last.text.push_str(&p.text);
                }
                _ => passages.push(p),
            }
        }
    };

    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = raw.trim_end_matches('\r').trim();
        if line.is_empty() {
            flush(&mut current, &mut passages);
            continue;
        }
        if let Some((level, heading)) = heading_level(line) {
            flush(&mut current, &mut passages);
            headings.retain(|(l, _)| *l < level);
            headings.push((level, heading));
            continue;
        }
        let bare_marker = is_list_marker(line) && line.split_whitespace().count() == 1;
        if bare_marker {
            flush(&mut current, &mut passages);
            pending_marker = Some((line_no, line.to_string()));
            continue;
        }
        if is_list_marker(line) {
            flush(&mut current, &mut passages);
        }
        match current.as_mut() {
            Some(p) => {
                p.text.push(' ');
                p.text.push_str(line);
            }
            None => {
                let (start, text) = match pending_marker.take() {
                    Some((l, m)) => (l, format!("{m} {line}")),
                    None => (line_no, line.to_string()),
                };
                current = Some(Passage {
                    line: start,
                    headings: headings.iter().map(|(_, h)| h.clone()).collect(),
                    text,
                });
            }
        }
    }
    flush(&mut current, &mut passages);
    // A short passage at the start of a section has no predecessor there:
    // join it to the next one instead.
    let mut merged: Vec<Passage> = Vec::with_capacity(passages.len());
    let mut carry: Option<Passage> = None;
    for mut p in passages {
        if let Some(c) = carry.take() {
            if c.headings == p.headings {
                p.text = format!("{} {}", c.text, p.text);
                p.line = c.line;
            } else {
                merged.push(c);
            }
        }
        if p.text.split_whitespace().count() < MIN_WORDS {
            carry = Some(p);
        } else {
            merged.push(p);
        }
    }
    merged.extend(carry);
    merged
}

/// The lead phrase of a recommendation, as in "i) Conduct a stakeholder
/// analysis - In recent years ...": the words before the dash.
fn lead_phrase(text: &str) -> Option<&str> {
    let body = text
        .trim_start_matches(|c: char| "ivx0123456789).·•*-– ".contains(c))
        .trim();
    let (lead, _) = body.split_once(" - ").or_else(|| body.split_once(" – "))?;
    let words = lead.split_whitespace().count();
    (2..=14).contains(&words).then_some(lead.trim())
}

/// Read a document into lessons (one per passage, challenge left empty).
pub(crate) fn read_document(name: &str, bytes: &[u8]) -> Vec<Item> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64
                + 1;
            return vec![Err(RecordError {
                file: name.to_string(),
                line,
                field: "text".into(),
                reason: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
            })];
        }
    };
    let file_name = std::path::Path::new(name)
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_else(|| name.to_string());
    let stem = std::path::Path::new(&file_name)
        .file_stem()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let stem = slugify(&stem);
    split_passages(text)
        .into_iter()
        .enumerate()
        .map(|(n, p)| {
            let context = p
                .headings
                .last()
                .cloned()
                .unwrap_or_else(|| file_name.clone());
            let title = match lead_phrase(&p.text) {
                Some(lead) => format!("{context}: {lead}"),
                None => context,
            };
            Ok(Located {
                line: p.line,
                record: Record::Lesson(Lesson {
                    id: format!("{stem}-{:04}", n + 1),
                    title,
                    text: p.text,
                    challenge: None,
                    applies_to: Default::default(),
                    source: Some(format!("{file_name}:{}", p.line)),
                    examples: Vec::new(),
                }),
                raw: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_headings_and_joins_fragments() {
        let doc = "# Inclusion\r\n\r\ni)\r\nConduct a stakeholder analysis - map who is affected before choosing partners.\r\n\r\nUN staff member\r\n\r\n## Power\r\nFacilitation helps partners with less power take part in decisions fully.\r\n";
        let passages = split_passages(doc);
        assert_eq!(passages.len(), 2, "{passages:#?}");
        assert_eq!(passages[0].headings, vec!["Inclusion"]);
        assert!(passages[0].text.starts_with("i) Conduct"));
        assert!(passages[0].text.ends_with("UN staff member"));
        assert_eq!(passages[0].line, 3);
        assert_eq!(passages[1].headings, vec!["Inclusion", "Power"]);
    }
}
