//! What registry text says about partners and places: a partner's sector
//! from its name, a partnership's scope from its coverage text.
//!
//! Registry exports (the UN partnership registries, donor databases) list
//! partners by name only, `United Nations Environment Programme (UNEP)`,
//! and coverage in words, `Asia and the Pacific`, `Ghana; Mali; Niger`. The
//! codebook's record format wants a sector per partner and one of four
//! scopes. This module closes the gap with data we wrote ourselves: lists
//! of names and patterns, each documented with the reason it is there, and
//! no learning, so every answer can be explained and reproduced.
//!
//! * [`sector`]: organisation name → [`Sector`](crate::Sector), or no
//!   answer;
//! * [`scope`]: coverage text → [`Scope`](crate::Scope), or no answer;
//! * [`places`]: the countries, regions and cities both of them know.
//!
//! The readers call [`complete`] on every partnership they read, so JSONL,
//! CSV and the API get the same answers. What was given is never
//! overridden: only a partner without a sector gets one inferred (marked
//! [`SectorOrigin::Inferred`](crate::record::SectorOrigin)), and the
//! coverage text is kept beside the scope mapped from it.

pub mod places;
pub mod scope;
pub mod sector;

use crate::record::{Partnership, SectorOrigin};
use std::collections::HashMap;

pub use scope::map_scope;
pub use sector::infer_sector;

/// Fill in what a partnership's input left open: the sector of each
/// partner whose sector is [`SectorOrigin::Unknown`], and the scope when
/// only its text (`scope_text`) was given. Given values stay as they are.
pub fn complete(p: &mut Partnership) {
    for partner in &mut p.partners {
        if partner.sector_origin == SectorOrigin::Unknown {
            if let Some(sector) = infer_sector(&partner.name) {
                partner.sector = sector;
                partner.sector_origin = SectorOrigin::Inferred;
            }
        }
    }
    if p.scope.is_none() {
        if let Some(text) = &p.scope_text {
            p.scope = map_scope(text);
        }
    }
}

/// The words of a name or a place list as the tables are written:
/// lowercase, Latin accents folded (`Côte` → `cote`), `&` read as `and`,
/// every other non-alphanumeric character a separator (so `S.A.` is
/// `s a`, `Guinea-Bissau` is `guinea bissau`, `d'Ivoire` is `d ivoire`).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(std::mem::take(word));
        }
    };
    for c in text.chars() {
        if c == '&' {
            flush(&mut word, &mut out);
            out.push("and".to_string());
            continue;
        }
        match fold(c) {
            Some(folded) => word.push_str(folded),
            None if c.is_alphanumeric() => word.extend(c.to_lowercase()),
            None => flush(&mut word, &mut out),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// ASCII letters lowercased, and the accented Latin letters registries
/// use folded to their base letters; `None` for anything else.
fn fold(c: char) -> Option<&'static str> {
    const LOWER: [&str; 26] = [
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
        "s", "t", "u", "v", "w", "x", "y", "z",
    ];
    const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    if c.is_ascii_alphabetic() {
        return Some(LOWER[(c.to_ascii_lowercase() as u8 - b'a') as usize]);
    }
    if c.is_ascii_digit() {
        return Some(DIGITS[(c as u8 - b'0') as usize]);
    }
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'ā' => {
            "a"
        }
        'ç' | 'Ç' | 'č' | 'Č' | 'ć' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' | 'ē' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'ī' | 'ı' => "i",
        'ñ' | 'Ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'ō' => {
            "o"
        }
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'ū' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'š' | 'Š' | 'ş' | 'Ş' | 'ș' => "s",
        'ž' | 'Ž' => "z",
        'ğ' => "g",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        _ => return None,
    })
}

/// A table of phrases (sequences of [`words`]) with a value each, looked
/// up by the longest phrase starting at a position.
pub(crate) struct PhraseTable<T> {
    phrases: HashMap<String, T>,
    longest: usize,
}

impl<T: Copy> PhraseTable<T> {
    /// Build from `(phrase, value)` pairs; phrases are normalised with
    /// [`words`], and a later duplicate keeps the first value (tables list
    /// the more specific entries first).
    pub(crate) fn new(entries: impl IntoIterator<Item = (&'static str, T)>) -> Self {
        let mut phrases = HashMap::new();
        let mut longest = 0;
        for (phrase, value) in entries {
            let w = words(phrase);
            longest = longest.max(w.len());
            phrases.entry(w.join(" ")).or_insert(value);
        }
        PhraseTable { phrases, longest }
    }

    /// The value of exactly `words`, if it is a phrase of the table.
    pub(crate) fn get(&self, words: &[String]) -> Option<T> {
        if words.is_empty() || words.len() > self.longest {
            return None;
        }
        self.phrases.get(&words.join(" ")).copied()
    }

    /// The longest phrase of the table starting at `words[0]`: its length
    /// in words and its value.
    pub(crate) fn longest_at(&self, words: &[String]) -> Option<(usize, T)> {
        let mut key = String::new();
        let mut best = None;
        for (i, w) in words.iter().take(self.longest).enumerate() {
            if i > 0 {
                key.push(' ');
            }
            key.push_str(w);
            if let Some(v) = self.phrases.get(&key) {
                best = Some((i + 1, *v));
            }
        }
        best
    }

    /// Every phrase of the table in `words`, left to right, each the
    /// longest at its position; words inside a found phrase are not looked
    /// at again (`Democratic Republic of the Congo` is one country, not
    /// also `Congo`).
    pub(crate) fn scan(&self, words: &[String]) -> Vec<(usize, usize, T)> {
        let mut found = Vec::new();
        let mut i = 0;
        while i < words.len() {
            match self.longest_at(&words[i..]) {
                Some((len, v)) => {
                    found.push((i, len, v));
                    i += len;
                }
                None => i += 1,
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_accents_split_punctuation_and_read_ampersand() {
        assert_eq!(words("Côte d'Ivoire"), ["cote", "d", "ivoire"]);
        assert_eq!(
            words("Procter & Gamble S.A."),
            ["procter", "and", "gamble", "s", "a"]
        );
        assert_eq!(words("Guinea-Bissau"), ["guinea", "bissau"]);
        assert_eq!(words("  Fundación Nestlé "), ["fundacion", "nestle"]);
        assert_eq!(words("REN21"), ["ren21"]);
        assert!(words(" ;, ").is_empty());
    }

    #[test]
    fn the_longest_phrase_wins_and_its_words_are_not_reused() {
        let table = PhraseTable::new([("congo", 1), ("democratic republic of the congo", 2)]);
        let w = words("Democratic Republic of the Congo; Congo");
        assert_eq!(table.scan(&w), [(0, 5, 2), (5, 1, 1)]);
    }
}
