//! Sentence windows: what a passage is embedded as.
//!
//! A long passage is best matched by its best window, not by one vector
//! for the whole (mean pooling over 200 tokens blurs every topic in it).
//! Each window is two consecutive sentences, overlapping by one, so every
//! sentence is seen with each neighbour; a text of one sentence is one
//! window, and a sentence of more than [`LONG_SENTENCE_WORDS`] words stands
//! alone.

/// A sentence this long (in words) is a window on its own.
pub const LONG_SENTENCE_WORDS: usize = 60;

/// Words that end with a full stop without ending a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "cf", "vs", "mr", "mrs", "ms", "dr", "prof", "no", "nos", "art", "para",
    "paras", "fig", "vol", "st", "inc", "ltd", "co", "jr", "sr", "op", "cit", "al", "approx", "ca",
    "p", "pp", "u.n", "u.s", "u.k", "e.u",
];

/// Byte ranges of the sentences of `text`, whitespace trimmed; empty for a
/// blank text.
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        let end_of_sentence = match c {
            '.' | '!' | '?' => {
                let next = chars.get(i + 1).map(|&(_, n)| n);
                let after = chars.get(i + 2).map(|&(_, n)| n);
                // "word. Next", "word.\n", "word." at the end; not "3.5",
                // "e.g. the", "U.N. agencies".
                let spaced = next.is_none_or(char::is_whitespace);
                let starts_new = after.is_none_or(|a| !a.is_lowercase());
                spaced && starts_new && !(c == '.' && is_abbreviation(&text[start..at]))
            }
            '\n' => chars.get(i + 1).is_some_and(|&(_, n)| n == '\n'),
            _ => false,
        };
        if end_of_sentence {
            push_trimmed(text, start, at + c.len_utf8(), &mut out);
            start = at + c.len_utf8();
        }
    }
    push_trimmed(text, start, text.len(), &mut out);
    out
}

fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let lower = word.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
        || (word.chars().count() == 1 && word.chars().all(char::is_uppercase))
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if lead + trail < piece.len() {
        out.push((start + lead, end - trail));
    }
}

/// Byte ranges of the windows of `text` (see the module documentation).
pub fn windows(text: &str) -> Vec<(usize, usize)> {
    let s = sentences(text);
    if s.len() <= 1 {
        return s;
    }
    let long =
        |&(a, b): &(usize, usize)| text[a..b].split_whitespace().count() > LONG_SENTENCE_WORDS;
    let mut out = Vec::new();
    for (i, sentence) in s.iter().enumerate() {
        if long(sentence) {
            out.push(*sentence);
            continue;
        }
        match s.get(i + 1) {
            Some(next) if !long(next) => out.push((sentence.0, next.1)),
            // The last sentence, or one before a long one: already in the
            // previous pair unless that one was long too.
            _ if i > 0 && !long(&s[i - 1]) => {}
            _ => out.push(*sentence),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, ranges: &[(usize, usize)]) -> Vec<String> {
        ranges
            .iter()
            .map(|&(a, b)| text[a..b].to_string())
            .collect()
    }

    #[test]
    fn sentences_split_on_stops_but_not_abbreviations_or_numbers() {
        let t = "UN agencies, e.g. UNICEF, buy 3.5 million doses. Countries pay a share!  Does it work? Yes.";
        assert_eq!(
            texts(t, &sentences(t)),
            [
                "UN agencies, e.g. UNICEF, buy 3.5 million doses.",
                "Countries pay a share!",
                "Does it work?",
                "Yes."
            ]
        );
        assert!(sentences("").is_empty());
        assert!(sentences("   \n ").is_empty());
        assert_eq!(
            texts("no stop at the end", &sentences("no stop at the end")),
            ["no stop at the end"]
        );
        let u = "The U.N. Global Compact grew. It has rules.";
        assert_eq!(sentences(u).len(), 2);
    }

    #[test]
    fn windows_pair_neighbouring_sentences() {
        let t = "One. Two. Three.";
        assert_eq!(texts(t, &windows(t)), ["One. Two.", "Two. Three."]);
        assert_eq!(texts("Alone.", &windows("Alone.")), ["Alone."]);
        assert!(windows("").is_empty());
        let long = format!("Short. Long {}. End.", vec!["word"; 70].join(" "));
        let w = texts(&long, &windows(&long));
        assert_eq!(w.len(), 3, "{w:?}");
        assert_eq!(w[0], "Short.");
        assert_eq!(w[2], "End.");
    }

    #[test]
    fn ranges_are_char_boundaries_on_any_text() {
        for t in ["É. Ü! ß? 水。 😀. x", "a.\n\nb", ". . .", "?!", "Ä. ä. Ö."] {
            for (a, b) in windows(t) {
                assert!(t.is_char_boundary(a) && t.is_char_boundary(b) && a < b);
            }
        }
    }
}
