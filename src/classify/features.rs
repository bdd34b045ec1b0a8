//! Features: TF-IDF over the shared analyzer's unigrams and bigrams, plus
//! partner-sector tokens and the codebook's decision cues.
//!
//! Vocabulary and IDF are learned once, at training time, and stored in the
//! model, so a document gets the same vector alone or in a batch (linfa's
//! own TF-IDF recomputes IDF per batch, which is why it is not used).

use crate::analyze::{Analyzer, ShortStr, Token, TokenMemo};
use crate::record::Record;
use crate::typology::CUES;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
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
    sectors_of(record).into_iter().map(String::from).collect()
}

/// [`record_sectors`], borrowed.
pub fn sectors_of(record: &Record) -> Vec<&str> {
    match record {
        Record::Partnership(p) => {
            let mut s: Vec<&str> = p.partners.iter().map(|x| x.sector.name()).collect();
            s.sort_unstable();
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

/// One occurrence of an in-vocabulary feature in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// Vocabulary index.
    pub feature: u32,
    /// Byte span in the analyzed text (text features only).
    pub span: Option<(usize, usize)>,
}

/// The occurrences of in-vocabulary features of a text and its partner
/// sectors, in the order of [`extract`] (out-of-vocabulary ones left out):
/// the same as looking every [`extract`]ed feature up with
/// [`Vocabulary::get`], without building a string per feature.
pub fn encode(
    analyzer: &mut Analyzer,
    text: &str,
    sectors: &[impl AsRef<str>],
    vocabulary: &Vocabulary,
) -> Vec<Occurrence> {
    let fast = &vocabulary.fast;
    // Analyzed, non-noise tokens as word ids (NO_WORD: in no feature).
    // About one token per 7 bytes of English text.
    let mut tokens: Vec<(u32, usize, usize)> = Vec::with_capacity(text.len() / 6);
    let mut out = Vec::with_capacity(text.len() / 3);
    TOKEN_TAGS.with_borrow_mut(|tags| {
        let tags = tags.of(vocabulary);
        analyzer.for_each_token(text, |words, token, start, end| {
            let tag = tags.get_or_insert(token, || match words.analyze(token) {
                Some(term) if !is_noise(term) => {
                    let (word, unigram) = fast.words.get(term).unwrap_or((NO_WORD, NO_WORD));
                    Tag { word, unigram }
                }
                _ => Tag::SKIP,
            });
            if tag.word == SKIP_WORD {
                return;
            }
            if tag.unigram != NO_WORD {
                out.push(Occurrence {
                    feature: tag.unigram,
                    span: Some((start, end)),
                });
            }
            tokens.push((tag.word, start, end));
        });
    });
    if !fast.bigrams.is_empty() {
        for pair in tokens.windows(2) {
            let (a, b) = (pair[0].0, pair[1].0);
            if a == NO_WORD || b == NO_WORD {
                continue;
            }
            if let Some(&feature) = fast.bigrams.get(&pair_key(a, b)) {
                out.push(Occurrence {
                    feature,
                    span: Some((pair[0].1, pair[1].2)),
                });
            }
        }
    }
    if !fast.cues.is_empty() {
        for (at, &(word, _, _)) in tokens.iter().enumerate() {
            let Some(phrases) = fast.cues.get(&word) else {
                continue;
            };
            for (feature, phrase) in phrases {
                let n = phrase.len();
                let Some(w) = tokens.get(at..at + n) else {
                    continue;
                };
                if w.iter().zip(phrase.iter()).all(|(t, p)| t.0 == *p) {
                    out.push(Occurrence {
                        feature: *feature,
                        span: Some((w[0].1, w[n - 1].2)),
                    });
                }
            }
        }
    }
    let mut buf = String::new();
    for s in sectors {
        buf.clear();
        buf.push_str("sector:");
        buf.push_str(s.as_ref());
        if let Some(feature) = vocabulary.get(&buf) {
            out.push(Occurrence {
                feature,
                span: None,
            });
        }
    }
    out
}

/// Word id of a token that is in no feature.
const NO_WORD: u32 = u32::MAX;

/// Word id marking a token the analyzer drops or that is noise.
const SKIP_WORD: u32 = u32::MAX - 1;

/// What a token (as the tokenizer split it) contributes to the features of
/// one vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Tag {
    /// Word id of its term, `NO_WORD` or `SKIP_WORD`.
    word: u32,
    /// Unigram feature of its term, or `NO_WORD`.
    unigram: u32,
}

impl Tag {
    const SKIP: Tag = Tag {
        word: SKIP_WORD,
        unigram: NO_WORD,
    };
}

/// A thread's memory of the tags of the tokens it has seen, one per
/// vocabulary in use (the few last used), keyed by [`Vocabulary::id`].
///
/// Looking each token up in the analyzer's memo and then its term in the
/// vocabulary cost two probes of tables too big for the core's cache;
/// remembering the tag costs one (see [`TokenMemo`]).
#[derive(Default)]
struct ThreadTags(Vec<(u64, TokenMemo<Tag>)>);

impl ThreadTags {
    fn of(&mut self, vocabulary: &Vocabulary) -> &mut TokenMemo<Tag> {
        let at = match self.0.iter().position(|(id, _)| *id == vocabulary.id) {
            Some(at) => at,
            None => {
                if self.0.len() == 4 {
                    self.0.remove(0);
                }
                self.0.push((vocabulary.id, TokenMemo::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[at].1
    }
}

thread_local! {
    static TOKEN_TAGS: RefCell<ThreadTags> = RefCell::new(ThreadTags::default());
}

fn pair_key(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// Lookup tables built from the vocabulary's strings when it is loaded, so
/// that a token costs one hash lookup of its text and bigrams and cue
/// phrases are matched on word ids. The model file keeps the strings.
#[derive(Debug, Clone, Default)]
struct FastLookup {
    /// Every analyzed word that is a unigram feature, part of a bigram
    /// feature or of a cue phrase: its word id and its unigram feature
    /// (`NO_WORD` if none).
    words: Words,
    /// `(word id, word id)` → bigram feature.
    bigrams: HashMap<u64, u32>,
    /// Cue phrases whose feature is in the vocabulary, as word ids, keyed
    /// by their first word; in [`cue_phrases`] order.
    cues: HashMap<u32, Vec<CuePhrase>>,
}

/// A cue phrase: its feature and its words' ids.
type CuePhrase = (u32, Box<[u32]>);

/// Words → `(word id, unigram feature)`, most held inline (see
/// [`ShortStr`]).
#[derive(Debug, Clone, Default)]
struct Words {
    short: HashMap<ShortStr, (u32, u32)>,
    long: HashMap<Box<str>, (u32, u32)>,
}

impl Words {
    fn get(&self, word: &str) -> Option<(u32, u32)> {
        match ShortStr::new(word) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(word).copied(),
        }
    }

    fn entry(&mut self, word: &str) -> &mut (u32, u32) {
        let next = (self.short.len() + self.long.len()) as u32;
        match ShortStr::new(word) {
            Some(key) => self.short.entry(key).or_insert((next, NO_WORD)),
            None => self.long.entry(word.into()).or_insert((next, NO_WORD)),
        }
    }

    /// The id of `word`, given one if new.
    fn id(&mut self, word: &str) -> u32 {
        self.entry(word).0
    }
}

impl FastLookup {
    fn new(terms: &[String]) -> FastLookup {
        let mut fast = FastLookup::default();
        for (i, term) in terms.iter().enumerate() {
            // Analyzed tokens never contain a space (the tokenizer splits
            // on non-alphanumerics), so a term with exactly one space can
            // only be a bigram and one without can only be a unigram. A
            // term with more spaces can match no feature [`visit`] emits.
            match term.split_once(' ') {
                None => fast.words.entry(term).1 = i as u32,
                Some((a, b)) if !b.contains(' ') => {
                    let a = fast.words.id(a);
                    let b = fast.words.id(b);
                    fast.bigrams.insert(pair_key(a, b), i as u32);
                }
                Some(_) => {}
            }
        }
        let index: HashMap<&str, u32> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i as u32))
            .collect();
        // Phrases sharing a first word stay in their order; that order is
        // the order [`visit`] emits cues in.
        for (first, phrases) in cue_phrases() {
            for (cue, phrase) in phrases {
                let Some(&feature) = index.get(format!("cue:{cue}").as_str()) else {
                    continue;
                };
                let ids: Box<[u32]> = phrase.iter().map(|w| fast.words.id(w)).collect();
                let first = fast.words.id(first);
                debug_assert_eq!(Some(&first), ids.first());
                fast.cues.entry(first).or_default().push((feature, ids));
            }
        }
        fast
    }
}

/// Learned vocabulary and inverse document frequencies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vocabulary {
    /// Feature strings; a feature's index is its position.
    pub terms: Vec<String>,
    /// Smoothed IDF per feature: `ln((1 + n) / (1 + df)) + 1`.
    pub idf: Vec<f32>,
    #[serde(skip)]
    index: HashMap<String, u32>,
    #[serde(skip)]
    fast: FastLookup,
    /// Distinguishes vocabularies (each build of the lookup tables gets a
    /// new one), so per-thread memories of token tags are never mixed up.
    #[serde(skip)]
    id: u64,
}

/// The lookup tables are derived from `terms`, so they take no part.
impl PartialEq for Vocabulary {
    fn eq(&self, other: &Self) -> bool {
        self.terms == other.terms && self.idf == other.idf
    }
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
            fast: FastLookup::default(),
            id: 0,
        };
        v.build_index();
        v
    }

    /// Rebuild the lookup tables (after deserialising).
    pub fn build_index(&mut self) {
        self.index = self
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        self.fast = FastLookup::new(&self.terms);
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        self.id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
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
        let mut features: Vec<u32> = terms.iter().filter_map(|t| self.get(&t.feature)).collect();
        self.transform_features(&mut features)
    }

    /// [`Vocabulary::transform`] from the vocabulary indices of the feature
    /// occurrences (any order; sorted in place).
    pub fn transform_features(&self, features: &mut [u32]) -> SparseVec {
        // Counting runs of the sorted indices gives the counts in index
        // order directly, without a hash map.
        features.sort_unstable();
        let counts: Vec<(u32, u32)> = features
            .chunk_by(|a, b| a == b)
            .map(|run| (run[0], run.len() as u32))
            .collect();
        self.weigh(&counts)
    }

    /// The vector of `(feature, term frequency)` pairs sorted by feature.
    pub fn weigh(&self, counts: &[(u32, u32)]) -> SparseVec {
        let mut v: SparseVec = counts
            .iter()
            .map(|&(i, c)| (i, (1.0 + (c as f32).ln()) * self.idf[i as usize]))
            .collect();
        let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, x) in v.iter_mut() {
                *x /= norm;
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Model;
    use crate::read::{self, Format};
    use crate::Kind;

    /// The word-id path must give exactly what looking up every
    /// extracted feature string gives, on realistic records.
    #[test]
    fn encode_matches_extract_and_lookup() {
        let model = Model::bundled().expect("bundled model");
        let mut csv = Vec::new();
        crate::generate::write_registry(300, 11, &mut csv).unwrap();
        let records: Vec<Record> = read::open_reader(
            "t.csv".into(),
            Box::new(std::io::Cursor::new(csv)),
            Format::Csv,
            Some(Kind::Partnership),
            &Default::default(),
        )
        .unwrap()
        .map(|item| item.unwrap().record)
        .collect();
        // What the vector was before it was computed by sorting.
        let reference = |vocabulary: &Vocabulary, terms: &[Term]| {
            let mut tf: HashMap<u32, f32> = HashMap::default();
            for t in terms {
                if let Some(i) = vocabulary.get(&t.feature) {
                    *tf.entry(i).or_default() += 1.0;
                }
            }
            let mut v: SparseVec = tf
                .into_iter()
                .map(|(i, c)| (i, (1.0 + c.ln()) * vocabulary.idf[i as usize]))
                .collect();
            v.sort_unstable_by_key(|(i, _)| *i);
            let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                for (_, x) in v.iter_mut() {
                    *x /= norm;
                }
            }
            v
        };
        let mut analyzer = Analyzer::default();
        let (mut matched, mut bigrams, mut cues) = (0, 0, 0);
        for f in &model.featurizers {
            let vocabulary = &f.vocabulary;
            for r in &records {
                let text = record_text(r);
                let sectors = record_sectors(r);
                let terms = extract(&mut analyzer, &text, &sectors);
                let expected: Vec<Occurrence> = terms
                    .iter()
                    .filter_map(|t| {
                        vocabulary.get(&t.feature).map(|feature| Occurrence {
                            feature,
                            span: t.span,
                        })
                    })
                    .collect();
                let got = encode(&mut analyzer, &text, &sectors, vocabulary);
                assert_eq!(got, expected);
                matched += got.len();
                for o in &got {
                    let term = &vocabulary.terms[o.feature as usize];
                    bigrams += usize::from(term.contains(' '));
                    cues += usize::from(term.starts_with("cue:"));
                }
                let mut features: Vec<u32> = got.iter().map(|o| o.feature).collect();
                let x = vocabulary.transform_features(&mut features);
                let bits = |v: &SparseVec| -> Vec<(u32, u32)> {
                    v.iter().map(|(i, x)| (*i, x.to_bits())).collect()
                };
                assert_eq!(bits(&x), bits(&reference(vocabulary, &terms)));
                assert_eq!(bits(&x), bits(&vocabulary.transform(&terms)));
            }
        }
        assert!(
            matched > 10_000 && bigrams > 1_000 && cues > 10,
            "too little compared: {matched} occurrences, {bigrams} bigrams, {cues} cues"
        );
    }
}
