//! The passage shown under a hit. tantivy picks the densest window of
//! matches but cuts it at token boundaries, so a snippet could read
//! `**audit** after the fact` or start in the middle of a clause. The
//! window is widened here to the sentence it starts in and the sentence
//! end that follows (within bounds), and an ellipsis marks text left out,
//! so a reader sees where the words came from.

/// How far back the start may move to reach the sentence's first word.
const MAX_BACK: usize = 160;
/// When the sentence starts further back, this much context is kept
/// before the fragment instead (from a word's start).
const CONTEXT_BACK: usize = 60;
/// How far forward the end may move to reach the sentence's last word.
const MAX_FORWARD: usize = 100;
const ELLIPSIS: &str = "…";

/// A passage of a record's text with the byte ranges of its matches.
pub(super) struct Passage {
    pub text: String,
    pub highlights: Vec<(usize, usize)>,
    pub html: String,
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Where the sentence holding byte `at` begins, if within [`MAX_BACK`].
fn sentence_start(body: &str, at: usize) -> Option<usize> {
    let lo = floor_boundary(body, at.saturating_sub(MAX_BACK));
    let window = &body[lo..at];
    let cut = window
        .rmatch_indices(['.', '?', '!', ';', '\n'])
        .find(|(i, m)| {
            // A full stop ends a sentence when a space and a capital or a
            // digit follow it (not `U.S. agency` or `2.5`).
            let after = &body[lo + i + m.len()..];
            matches!(*m, ";" | "\n")
                || (after.starts_with(char::is_whitespace)
                    && after
                        .trim_start()
                        .starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit()))
        })
        .map(|(i, m)| lo + i + m.len());
    match cut {
        Some(i) => Some(i + (body[i..at].len() - body[i..at].trim_start().len())),
        None if lo == 0 => Some(0),
        None => None,
    }
}

/// Where the sentence holding byte `at` ends (after its full stop), if
/// within [`MAX_FORWARD`].
fn sentence_end(body: &str, at: usize) -> Option<usize> {
    let hi = ceil_boundary(body, (at + MAX_FORWARD).min(body.len()));
    let window = &body[at..hi];
    let stop = window.match_indices(['.', '?', '!', '\n']).find(|(i, m)| {
        *m == "\n" || window[i + 1..].is_empty() || window[i + 1..].starts_with(char::is_whitespace)
    });
    match stop {
        Some((i, "\n")) => Some(at + i),
        Some((i, m)) => Some(at + i + m.len()),
        None if hi == body.len() => Some(body.len()),
        None => None,
    }
}

/// `fragment` (a slice of `body` with `highlights` relative to it), widened
/// to whole sentences where that stays short.
pub(super) fn passage(body: &str, fragment: &str, highlights: &[(usize, usize)]) -> Passage {
    let Some(offset) = body.find(fragment) else {
        return Passage {
            text: fragment.to_string(),
            highlights: highlights.to_vec(),
            html: html(fragment, highlights),
        };
    };
    let end = offset + fragment.len();
    // The matches, in `body`'s offsets: the passage keeps them and stops at
    // a paragraph break on either side of them.
    let first = highlights.first().map_or(offset, |h| offset + h.0);
    let last = highlights
        .last()
        .map_or(end, |h| offset + h.1)
        .min(body.len());
    let mut start = sentence_start(body, offset).unwrap_or_else(|| {
        let lo = floor_boundary(body, offset.saturating_sub(CONTEXT_BACK));
        body[lo..offset].find(' ').map_or(offset, |i| lo + i + 1)
    });
    if let Some(i) = body[start..first.max(start)].rfind('\n') {
        start += i + 1;
    }
    let mut stop = sentence_end(body, end).unwrap_or(end);
    if let Some(i) = body[last.min(stop)..stop].find('\n') {
        stop = last.min(stop) + i;
    }

    let mut text = String::new();
    if start > 0 {
        text.push_str(ELLIPSIS);
        text.push(' ');
    }
    let prefix = text.len();
    let kept = body[start..stop].trim_end();
    text.push_str(kept);
    if stop < body.len() {
        text.push_str(" …");
    }
    let highlights: Vec<(usize, usize)> = highlights
        .iter()
        .map(|&(a, b)| (offset + a, offset + b))
        .filter(|&(a, b)| a >= start && b <= start + kept.len())
        .map(|(a, b)| (a - start + prefix, b - start + prefix))
        .collect();
    Passage {
        html: html(&text, &highlights),
        text,
        highlights,
    }
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `text` as HTML with `<b>` around the highlighted ranges.
fn html(text: &str, highlights: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len() + highlights.len() * 7);
    let mut pos = 0;
    for &(a, b) in highlights {
        if a < pos || b > text.len() || !text.is_char_boundary(a) || !text.is_char_boundary(b) {
            continue;
        }
        escape(&text[pos..a], &mut out);
        out.push_str("<b>");
        escape(&text[a..b], &mut out);
        out.push_str("</b>");
        pos = b;
    }
    escape(&text[pos..], &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(p: &Passage) -> String {
        let mut out = String::new();
        let mut pos = 0;
        for &(a, b) in &p.highlights {
            out.push_str(&p.text[pos..a]);
            out.push('[');
            out.push_str(&p.text[a..b]);
            out.push(']');
            pos = b;
        }
        out.push_str(&p.text[pos..]);
        out
    }

    #[test]
    fn a_fragment_grows_to_its_sentence() {
        let body = "Members meet twice a year. Each report is checked by an audit after the fact, and results go to the board. Then more.";
        let at = body.find("audit after").unwrap();
        let fragment = &body[at..at + "audit after the fact".len()];
        let p = passage(body, fragment, &[(0, 5)]);
        assert_eq!(
            marked(&p),
            "… Each report is checked by an [audit] after the fact, and results go to the board. …"
        );
        assert_eq!(
            p.html,
            "… Each report is checked by an <b>audit</b> after the fact, and results go to the board. …"
        );
    }

    #[test]
    fn the_start_of_the_text_needs_no_ellipsis_and_abbreviations_do_not_end_sentences() {
        let body = "The U.S. agency funds 2.5 million audits";
        let at = body.find("audits").unwrap();
        let p = passage(body, &body[at..], &[(0, 6)]);
        assert_eq!(marked(&p), "The U.S. agency funds 2.5 million [audits]");
    }

    #[test]
    fn a_long_sentence_keeps_the_fragment_with_ellipses() {
        let body = format!("{} audit {}", "word ".repeat(80), "more ".repeat(80));
        let at = body.find("audit").unwrap();
        let p = passage(&body, &body[at..at + 5], &[(0, 5)]);
        // No sentence start in reach: a few words of context, marked cut.
        assert!(p.text.starts_with("… word word"), "{}", p.text);
        assert!(marked(&p).ends_with(" [audit] …"), "{}", marked(&p));
        assert!(p.text.ends_with(" …"));
    }
}
