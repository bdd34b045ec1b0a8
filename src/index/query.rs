//! Reading what a user typed into a search box.
//!
//! Plain words are never an error. A query is first read with tantivy's
//! syntax (phrases, `+must`, `-not`, `title:`), which those who know it use
//! on purpose; when that fails (`women's rights`, `SDG 6: clean water`, a
//! pasted URL, `water AND`, an unbalanced quote) it is read again as the
//! plain words it contains, and the reading says so. tantivy's own lenient
//! parser was not used: it has been reported to hang on odd inputs, and a
//! words-only reading is predictable and bounded by the query's length.
//!
//! A word that matches nothing in the index is then retried as the closest
//! indexed word within a small edit distance (one edit from five letters,
//! two from nine, as Meilisearch does), weighted far below exact words so
//! that exact matches rank first, and the reading names the correction.

use super::KnowledgeBase;
use crate::error::{Result, UserError};
use serde::Serialize;
use tantivy::query::{
    BooleanQuery, BoostQuery, EnableScoring, Occur, Query, QueryParser, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{Searcher, Term};

/// Title matches weigh this much more than body matches.
pub(super) const TITLE_BOOST: f32 = 2.0;
/// A corrected word's weight relative to an exact one: low enough that a
/// record matching a typed word ranks above one matching only corrections.
/// A BM25 term score is at most about 2.2 × ln(documents), ~30 for a
/// million records, so corrections add at most ~0.003; an exact word
/// scores less than that only if nearly every record has it (and then it
/// hardly narrows anything). Records matching only corrections keep their
/// order among themselves.
const CORRECTION_WEIGHT: f32 = 1e-4;
/// Corrections are looked for among at most this many indexed words that
/// share the first letter (a bound for registry-sized vocabularies).
const MAX_CANDIDATES: usize = 200_000;

/// How a query was read: the tantivy query and what the user should know
/// about the reading.
pub(super) struct Reading {
    /// `None` for an empty query (list the filtered set).
    pub query: Option<Box<dyn Query>>,
    /// What the user is told.
    pub notes: QueryNotes,
}

/// What a search tells the user about how it read the query.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct QueryNotes {
    /// The query was not valid search syntax and was searched as these
    /// plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_as_words: Option<String>,
    /// Words that matched nothing, and the indexed words searched instead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
    /// The query was longer than this many characters; the rest was not
    /// searched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_at: Option<usize>,
}

impl QueryNotes {
    /// One line per note, for people.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(words) = &self.read_as_words {
            lines.push(if words.is_empty() {
                "the query holds no words to search for: showing every record".to_string()
            } else {
                format!("searched as plain words: {words}")
            });
        }
        if let Some(max) = self.cut_at {
            lines.push(format!("the query was cut to its first {max} characters"));
        }
        for c in &self.corrections {
            lines.push(format!(
                "no match for `{}`: showing results for {}",
                c.typed, c.shown
            ));
        }
        lines
    }

    /// True when there is nothing to tell.
    pub fn is_empty(&self) -> bool {
        self.read_as_words.is_none() && self.corrections.is_empty() && self.cut_at.is_none()
    }
}

/// A typed word with no match, and the indexed word searched instead.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Correction {
    /// The word as typed.
    pub typed: String,
    /// The indexed term searched instead (stemmed).
    pub term: String,
    /// The term as it reads in a matching record (filled in from the
    /// first hit; the stem otherwise).
    pub shown: String,
}

/// Apostrophes inside words (`women's`, `agency’s`) open a quoted phrase in
/// tantivy's grammar; the analyzer splits the word there anyway, so a space
/// loses nothing and keeps the query's other syntax.
fn without_inner_apostrophes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let inner = i > 0
            && i + 1 < chars.len()
            && chars[i - 1].is_alphanumeric()
            && chars[i + 1].is_alphanumeric();
        if inner && matches!(c, '\'' | '\u{2019}') {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Field names a user may type for the indexed fields, beside the
/// schema's own (`title`, `body`, `id`): the record's field names.
const FIELD_ALIASES: &[(&str, &str)] =
    &[("name", "title"), ("description", "body"), ("text", "body")];

/// `name:vaccine` is `title:vaccine`, `description:` and `text:` are
/// `body:`; a field prefix is one that starts the query or follows a space,
/// `(`, `+` or `-`, in any case. Anything else is left as typed.
fn with_field_aliases(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut boundary = true;
    'outer: while let Some(c) = rest.chars().next() {
        if boundary {
            for (alias, field) in FIELD_ALIASES {
                let n = alias.len();
                if rest.len() > n
                    && rest.is_char_boundary(n)
                    && rest[..n].eq_ignore_ascii_case(alias)
                    && rest[n..].starts_with(':')
                {
                    out.push_str(field);
                    rest = &rest[n..];
                    boundary = false;
                    continue 'outer;
                }
            }
        }
        out.push(c);
        boundary = c.is_whitespace() || matches!(c, '(' | '+' | '-');
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The words of a query, without any syntax: letters and digits kept,
/// everything else a space; `AND`/`OR`/`NOT` lowercased so they are words.
fn plain_words(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    spaced
        .split_whitespace()
        .map(|w| match w {
            "AND" | "OR" | "NOT" | "IN" | "TO" => w.to_lowercase(),
            _ => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Allowed edits for a word of `len` characters.
fn allowed_edits(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

impl KnowledgeBase {
    fn parser(&self) -> QueryParser {
        let f = self.fields();
        let mut parser = QueryParser::for_index(self.index(), vec![f.title, f.body]);
        parser.set_field_boost(f.title, TITLE_BOOST);
        parser
    }

    /// Parse with tantivy's syntax, and make sure the query can run against
    /// this schema: some queries parse but fail only when searching, as an
    /// index failure (`nofield:*`, `title:*` on a field that is not fast).
    fn parse_strict(&self, text: &str) -> std::result::Result<Box<dyn Query>, String> {
        let query = self.parser().parse_query(text).map_err(|e| e.to_string())?;
        query
            .weight(EnableScoring::disabled_from_schema(&self.index().schema()))
            .map_err(|e| e.to_string())?;
        Ok(query)
    }

    /// Read the user's query: syntax when it is valid, plain words when it
    /// is not, and corrections for words that match nothing.
    pub(super) fn read_query(&self, searcher: &Searcher, text: &str) -> Result<Reading> {
        let mut notes = QueryNotes::default();
        if text.trim().is_empty() {
            return Ok(Reading { query: None, notes });
        }
        let query = match self.parse_strict(&with_field_aliases(&without_inner_apostrophes(text))) {
            Ok(query) => query,
            Err(_) => {
                let words = plain_words(text);
                notes.read_as_words = Some(words.clone());
                if words.is_empty() {
                    return Ok(Reading { query: None, notes });
                }
                // Words only: this cannot fail to parse; if it does, it is
                // the query's fault all the same.
                self.parse_strict(&words)
                    .map_err(|e| UserError::QuerySyntax(format!("{e} in `{text}`")))?
            }
        };
        let query = super::search::flatten_disjunction(query);
        // The words as typed, by their analyzed form: edits are allowed by
        // the typed word's length, and the note names the typed word.
        let mut analyzer = crate::analyze::Analyzer::default();
        let typed: std::collections::HashMap<String, String> = analyzer
            .tokens_with_offsets(text)
            .into_iter()
            .map(|t| (t.term, text[t.start..t.end].to_string()))
            .collect();
        let query = self.correct_unmatched(searcher, query, &typed, &mut notes.corrections)?;
        Ok(Reading {
            query: Some(query),
            notes,
        })
    }

    /// In a query that is a union of words (what plain words become), each
    /// word that matches no document is replaced by its closest indexed
    /// word, weighted at [`CORRECTION_WEIGHT`]. Other queries (phrases,
    /// required words) are the user's precise intent and left alone.
    fn correct_unmatched(
        &self,
        searcher: &Searcher,
        query: Box<dyn Query>,
        typed_words: &std::collections::HashMap<String, String>,
        corrections: &mut Vec<Correction>,
    ) -> Result<Box<dyn Query>> {
        let leaves: Vec<Box<dyn Query>> = match query.downcast_ref::<BooleanQuery>() {
            Some(b)
                if b.clauses().iter().all(|(occur, q)| {
                    *occur == Occur::Should && (q.is::<TermQuery>() || q.is::<BoostQuery>())
                }) =>
            {
                b.clauses().iter().map(|(_, q)| q.box_clone()).collect()
            }
            None if query.is::<TermQuery>() || query.is::<BoostQuery>() => vec![query.box_clone()],
            _ => return Ok(query),
        };
        let mut changed = false;
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            let mut terms = Vec::new();
            leaf.query_terms(&mut |term, _| terms.push(term.clone()));
            let [term] = terms.as_slice() else {
                out.push((Occur::Should, leaf));
                continue;
            };
            if searcher.doc_freq(term)? > 0 {
                out.push((Occur::Should, leaf));
                continue;
            }
            let Some(stem) = term.value().as_str().map(str::to_string) else {
                out.push((Occur::Should, leaf));
                continue;
            };
            let typed = typed_words
                .get(&stem)
                .cloned()
                .unwrap_or_else(|| stem.clone());
            let edits = allowed_edits(typed.chars().count());
            match self.closest_term(searcher, term.field(), &stem, edits)? {
                Some(found) => {
                    changed = true;
                    if !corrections.iter().any(|c| c.typed == typed) {
                        corrections.push(Correction {
                            typed: typed.clone(),
                            term: found.clone(),
                            shown: found.clone(),
                        });
                    }
                    let weight = if term.field() == self.fields().title {
                        TITLE_BOOST * CORRECTION_WEIGHT
                    } else {
                        CORRECTION_WEIGHT
                    };
                    let corrected = TermQuery::new(
                        Term::from_field_text(term.field(), &found),
                        IndexRecordOption::WithFreqs,
                    );
                    out.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(corrected), weight)),
                    ));
                }
                None => out.push((Occur::Should, leaf)),
            }
        }
        if !changed {
            return Ok(query);
        }
        Ok(Box::new(BooleanQuery::new(out)))
    }

    /// The indexed word of `field` closest to the analyzed word `typed`
    /// within `max_edits`, sharing its first letter; ties go to the more
    /// frequent word.
    fn closest_term(
        &self,
        searcher: &Searcher,
        field: tantivy::schema::Field,
        typed: &str,
        max_edits: usize,
    ) -> Result<Option<String>> {
        let Some(first) = typed.chars().next() else {
            return Ok(None);
        };
        if max_edits == 0 {
            return Ok(None);
        }
        let mut prefix = [0u8; 4];
        let prefix = first.encode_utf8(&mut prefix).as_bytes().to_vec();
        let mut upper = prefix.clone();
        // The first byte string after every word starting with `first`.
        if let Some(last) = upper.last_mut() {
            *last = last.saturating_add(1);
        }
        let mut best: Option<(usize, u64, String)> = None;
        for segment in searcher.segment_readers() {
            let index = segment.inverted_index(field)?;
            let mut stream = index
                .terms()
                .range()
                .ge(&prefix)
                .lt(&upper)
                .into_stream()
                .map_err(|e| crate::error::InternalError::Index(e.into()))?;
            let mut seen = 0usize;
            while stream.advance() && seen < MAX_CANDIDATES {
                seen += 1;
                let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                let len_gap = candidate.chars().count().abs_diff(typed.chars().count());
                if len_gap > max_edits {
                    continue;
                }
                let edits = strsim::levenshtein(typed, candidate);
                if edits == 0 || edits > max_edits {
                    continue;
                }
                let freq = u64::from(stream.value().doc_freq);
                let better = best
                    .as_ref()
                    .is_none_or(|(e, f, _)| edits < *e || (edits == *e && freq > *f));
                if better {
                    best = Some((edits, freq, candidate.to_string()));
                }
            }
        }
        Ok(best.map(|(_, _, term)| term))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_apostrophes_become_spaces_and_quotes_stay() {
        assert_eq!(
            without_inner_apostrophes("women's rights"),
            "women s rights"
        );
        assert_eq!(without_inner_apostrophes("the agency’s"), "the agency s");
        assert_eq!(without_inner_apostrophes("'quoted'"), "'quoted'");
        assert_eq!(without_inner_apostrophes("\"a phrase\""), "\"a phrase\"");
    }

    #[test]
    fn plain_words_drop_all_syntax() {
        assert_eq!(plain_words("SDG 6: clean water"), "SDG 6 clean water");
        assert_eq!(plain_words("https://www.gavi.org"), "https www gavi org");
        assert_eq!(plain_words("water AND"), "water and");
        assert_eq!(plain_words("- + \" ( )"), "");
        assert_eq!(plain_words("title:(vaccine"), "title vaccine");
        assert_eq!(with_field_aliases("name:vaccine"), "title:vaccine");
        assert_eq!(
            with_field_aliases("+Name:gavi -description:polio text:(a b)"),
            "+title:gavi -body:polio body:(a b)"
        );
        // Only a field prefix is rewritten.
        assert_eq!(
            with_field_aliases("surname:x rename: y"),
            "surname:x rename: y"
        );
        assert_eq!(with_field_aliases("name"), "name");
    }

    #[test]
    fn longer_words_allow_more_edits() {
        assert_eq!(allowed_edits(4), 0);
        assert_eq!(allowed_edits(5), 1);
        assert_eq!(allowed_edits(8), 1);
        assert_eq!(allowed_edits(9), 2);
    }
}
