//! Features: TF-IDF over the shared analyzer's unigrams and bigrams, plus
//! partner-sector tokens and the codebook's decision cues.
//!
//! Vocabulary and IDF are learned once, at training time, and stored in the
//! model, so a document gets the same vector alone or in a batch (linfa's
//! own TF-IDF recomputes IDF per batch, which is why it is not used).

use crate::analyze::{Analyzer, Token};
use crate::record::Record;
use crate::typology::CUES;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A sparse, L2-normalised feature vector: `(feature index, value)`,
/// sorted by index.
pub type SparseVec = Vec<(u32, f32)>;

/// A feature occurrence and, for text features, where it sits in the text.
#[derive(Debug, Clone)]
pub struct Term {
    /// Feature string (`stem`, `stem stem`, `sector:x`, `cue:x`).
    pub feature: String,
    /// Byte span in the analyzed text (text features only).
    pub span: Option<(usize, usize)>,
}

/// The text a record contributes, as one string (title, blank line, body)
/// so that offsets refer to a single text.
pub fn record_text(record: &Record) -> String {
    format!("{}\n\n{}", record.title(), record.text())
}

/// Partner sectors of a record (partnerships only).
pub fn record_sectors(record: &Record) -> Vec<String> {
    match record {
        Record::Partnership(p) => {
            let mut s: Vec<String> = p.partners.iter().map(|x| x.sector.clone()).collect();
            s.sort();
            s.dedup();
            s
        }
        Record::Lesson(_) => Vec::new(),
    }
}

/// Analyzed cue phrases, keyed by their first token so that matching costs
/// one lookup per token of the text.
type CueIndex = HashMap<String, Vec<(&'static str, Vec<String>)>>;

fn cue_phrases() -> &'static CueIndex {
    static CELL: OnceLock<CueIndex> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut a = Analyzer::default();
        let mut out = CueIndex::default();
        for (name, phrases) in CUES {
            for phrase in *phrases {
                let toks = a.tokens(phrase);
                if let Some(first) = toks.first() {
                    out.entry(first.clone()).or_default().push((*name, toks));
                }
            }
        }
        out
    })
}

/// Numbers, years and single characters carry no type evidence, and
/// registry boilerplate is full of them.
fn is_noise(term: &str) -> bool {
    term.len() < 2 || term.chars().all(|c| c.is_ascii_digit())
}

/// Call `emit` with every feature occurrence of a text and its partner
/// sectors, in a fixed order: unigrams, bigrams, cues, sectors. The feature
/// string is only borrowed, so prediction can look it up without
/// allocating.
fn visit(
    analyzer: &mut Analyzer,
    text: &str,
    sectors: &[String],
    mut emit: impl FnMut(&str, Option<(usize, usize)>),
) {
    let tokens: Vec<Token> = analyzer
        .tokens_with_offsets(text)
        .into_iter()
        .filter(|t| !is_noise(&t.term))
        .collect();
    for t in &tokens {
        emit(&t.term, Some((t.start, t.end)));
    }
    let mut buf = String::new();
    for pair in tokens.windows(2) {
        buf.clear();
        buf.push_str(&pair[0].term);
        buf.push(' ');
        buf.push_str(&pair[1].term);
        emit(&buf, Some((pair[0].start, pair[1].end)));
    }
    let cues = cue_phrases();
    for (at, token) in tokens.iter().enumerate() {
        for (cue, phrase) in cues.get(&token.term).into_iter().flatten() {
            let n = phrase.len();
            let Some(w) = tokens.get(at..at + n) else {
                continue;
            };
            if w.iter().zip(phrase).all(|(t, p)| &t.term == p) {
                buf.clear();
                buf.push_str("cue:");
                buf.push_str(cue);
                emit(&buf, Some((w[0].start, w[n - 1].end)));
            }
        }
    }
    for s in sectors {
        buf.clear();
        buf.push_str("sector:");
        buf.push_str(s);
        emit(&buf, None);
    }
}

/// All feature occurrences of a text and its partner sectors.
pub fn extract(analyzer: &mut Analyzer, text: &str, sectors: &[String]) -> Vec<Term> {
    let mut terms = Vec::new();
    visit(analyzer, text, sectors, |feature, span| {
        terms.push(Term {
            feature: feature.to_string(),
            span,
        })
    });
    terms
}

/// Feature occurrences already looked up in `vocabulary`: the spans (with
/// an empty feature string, as the vocabulary holds it) and the index of
/// each. Same order and content as [`extract`] + [`Vocabulary::lookup`],
/// without an allocation per feature.
pub fn encode(
    analyzer: &mut Analyzer,
    text: &str,
    sectors: &[String],
    vocabulary: &Vocabulary,
) -> (Vec<Term>, Vec<Option<u32>>) {
    let mut terms = Vec::new();
    let mut indices = Vec::new();
    visit(analyzer, text, sectors, |feature, span| {
        terms.push(Term {
            feature: String::new(),
            span,
        });
        indices.push(vocabulary.get(feature));
    });
    (terms, indices)
}

/// Learned vocabulary and inverse document frequencies.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Vocabulary {
    /// Feature strings; a feature's index is its position.
    pub terms: Vec<String>,
    /// Smoothed IDF per feature: `ln((1 + n) / (1 + df)) + 1`.
    pub idf: Vec<f32>,
    #[serde(skip)]
    index: HashMap<String, u32>,
}

/// Vocabulary settings.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct VocabularyConfig {
    /// Drop features seen in fewer documents.
    pub min_df: usize,
    /// Keep at most this many features (most frequent first), so the dense
    /// training matrix stays small.
    pub max_features: usize,
}

impl Vocabulary {
    /// Learn from the feature lists of the training documents.
    pub fn fit(docs: &[Vec<Term>], config: VocabularyConfig) -> Vocabulary {
        let mut df: HashMap<&str, usize> = HashMap::default();
        for doc in docs {
            let mut seen: Vec<&str> = doc.iter().map(|t| t.feature.as_str()).collect();
            seen.sort_unstable();
            seen.dedup();
            for f in seen {
                *df.entry(f).or_default() += 1;
            }
        }
        let mut kept: Vec<(&str, usize)> = df
            .into_iter()
            .filter(|(_, d)| *d >= config.min_df)
            .collect();
        // Most frequent first, ties by name: deterministic.
        kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        kept.truncate(config.max_features);
        kept.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let n = docs.len() as f32;
        let terms: Vec<String> = kept.iter().map(|(t, _)| t.to_string()).collect();
        let idf = kept
            .iter()
            .map(|(_, d)| ((1.0 + n) / (1.0 + *d as f32)).ln() + 1.0)
            .collect();
        let mut v = Vocabulary {
            terms,
            idf,
            index: HashMap::default(),
        };
        v.build_index();
        v
    }

    /// Rebuild the lookup table (after deserialising).
    pub fn build_index(&mut self) {
        self.index = self
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Index of a feature.
    pub fn get(&self, feature: &str) -> Option<u32> {
        self.index.get(feature).copied()
    }

    /// Sublinear TF (`1 + ln tf`) × IDF, L2-normalised.
    pub fn transform(&self, terms: &[Term]) -> SparseVec {
        self.transform_indexed(&self.lookup(terms))
    }

    /// Feature index of each term (`None` when out of vocabulary): looked
    /// up once per record and shared by every axis and the explanation.
    pub fn lookup(&self, terms: &[Term]) -> Vec<Option<u32>> {
        terms.iter().map(|t| self.get(&t.feature)).collect()
    }

    /// [`Vocabulary::transform`] from already looked-up indices.
    pub fn transform_indexed(&self, indices: &[Option<u32>]) -> SparseVec {
        let mut tf: HashMap<u32, f32> = HashMap::default();
        for i in indices.iter().flatten() {
            *tf.entry(*i).or_default() += 1.0;
        }
        let mut v: SparseVec = tf
            .into_iter()
            .map(|(i, c)| (i, (1.0 + c.ln()) * self.idf[i as usize]))
            .collect();
        v.sort_unstable_by_key(|(i, _)| *i);
        let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, x) in v.iter_mut() {
                *x /= norm;
            }
        }
        v
    }
}
