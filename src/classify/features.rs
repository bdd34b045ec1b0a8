//! Features: TF-IDF over the shared analyzer's unigrams and bigrams, plus
//! partner-sector tokens and the codebook's decision cues.
//!
//! Vocabulary and IDF are learned once, at training time, and stored in the
//! model, so a document gets the same vector alone or in a batch (linfa's
//! own TF-IDF recomputes IDF per batch, which is why it is not used).
//!
//! One extractor, [`extract`], finds the features of a text for training
//! and prediction alike, so the two cannot drift apart. They differ only in
//! the [`Lexicon`] that gives words their ids: in training every word gets
//! one ([`Interner`]); in prediction only the words of a vocabulary's
//! features have one, so that a token costs one probe of a memo, bigrams
//! and cue phrases are matched on ids, and no string is built per feature.

use crate::analyze::{self, Analyzer, ShortStr, TokenMemo};
use crate::record::Record;
use crate::typology::{Sector, CUES};
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// A sparse, L2-normalised feature vector: `(feature index, value)`,
/// sorted by index.
pub type SparseVec = Vec<(u32, f32)>;

/// Where a feature occurs: a byte span of the analyzed text, or `None` for
/// a feature that is not in the text (a partner sector).
pub type Span = Option<(usize, usize)>;

/// A word's id in a [`Lexicon`].
pub type WordId = u32;

/// Word id of a word that is in no feature the lexicon can name.
pub const UNKNOWN_WORD: WordId = u32::MAX;

/// Word id of a token the analyzer drops, or whose word is noise.
pub const SKIPPED: WordId = u32::MAX - 1;

/// A feature of a record. `W` is how its words are held: as text (the
/// default) in the model file and in training, as [`WordId`]s where
/// [`extract`] finds them.
///
/// In the model file each feature is a string ([`fmt::Display`],
/// [`Feature::parse`]): `stem`, `stem stem`, `cue:<name>`,
/// `sector:<name>`. Analyzed words are runs of letters and digits, so the
/// forms cannot be confused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature<W = String> {
    /// An analyzed (stemmed) word of the text.
    Word(W),
    /// Two analyzed words side by side.
    Bigram(W, W),
    /// A codebook decision cue: one of its phrases is in the text.
    Cue(Cue),
    /// A partner of this sector.
    Sector(Sector),
}

impl<W> Feature<W> {
    /// The same feature with its words held another way.
    pub fn map<V>(self, mut word: impl FnMut(W) -> V) -> Feature<V> {
        match self {
            Feature::Word(w) => Feature::Word(word(w)),
            Feature::Bigram(a, b) => Feature::Bigram(word(a), word(b)),
            Feature::Cue(c) => Feature::Cue(c),
            Feature::Sector(s) => Feature::Sector(s),
        }
    }
}

/// A vocabulary term that names no feature partnerkb extracts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a feature partnerkb extracts (a stem, two stems, `cue:<name>` or `sector:<name>`)")]
pub struct UnknownFeature(pub String);

impl Feature {
    /// The feature a model file's term names. Exact: only the form
    /// [`fmt::Display`] writes is accepted, so a parsed term prints back
    /// as the same string.
    pub fn parse(term: &str) -> Result<Feature, UnknownFeature> {
        let unknown = || UnknownFeature(term.to_string());
        if let Some(name) = term.strip_prefix("cue:") {
            return Cue::parse(name).map(Feature::Cue).ok_or_else(unknown);
        }
        if let Some(name) = term.strip_prefix("sector:") {
            return Sector::ALL
                .iter()
                .find(|s| s.name() == name)
                .map(|s| Feature::Sector(*s))
                .ok_or_else(unknown);
        }
        let is_word = |w: &str| !w.is_empty() && !w.contains([' ', ':']);
        match term.split_once(' ') {
            None if is_word(term) => Ok(Feature::Word(term.to_string())),
            Some((a, b)) if is_word(a) && is_word(b) => {
                Ok(Feature::Bigram(a.to_string(), b.to_string()))
            }
            _ => Err(unknown()),
        }
    }
}

impl<W: fmt::Display> fmt::Display for Feature<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Feature::Word(w) => write!(f, "{w}"),
            Feature::Bigram(a, b) => write!(f, "{a} {b}"),
            Feature::Cue(c) => write!(f, "cue:{}", c.name()),
            Feature::Sector(s) => write!(f, "sector:{}", s.name()),
        }
    }
}

/// One of the codebook's decision cues ([`CUES`]), by its place there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cue(u8);

impl Cue {
    /// Every cue, in [`CUES`] order.
    pub fn all() -> impl Iterator<Item = Cue> {
        (0..CUES.len()).map(|i| Cue(i as u8))
    }

    /// The cue's name (`pooled_fund`).
    pub fn name(self) -> &'static str {
        CUES[self.index()].0
    }

    /// The cue of this exact name.
    pub fn parse(name: &str) -> Option<Cue> {
        Cue::all().find(|c| c.name() == name)
    }

    fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// The text a record contributes, as one string (title, blank line, body)
/// so that offsets refer to a single text.
pub fn record_text(record: &Record) -> String {
    format!("{}\n\n{}", record.title(), record.text())
}

/// Partner sectors of a record (partnerships only), each once, in name
/// order.
pub fn record_sectors(record: &Record) -> Vec<Sector> {
    match record {
        Record::Partnership(p) => {
            let mut s: Vec<Sector> = p.partners.iter().map(|x| x.sector).collect();
            s.sort_unstable_by_key(|s| s.name());
            s.dedup();
            s
        }
        Record::Lesson(_) => Vec::new(),
    }
}

/// The cue phrases, analyzed, in [`CUES`] order (phrases the analyzer
/// leaves no word of are left out).
fn analyzed_cue_phrases() -> &'static [(Cue, Vec<String>)] {
    static CELL: OnceLock<Vec<(Cue, Vec<String>)>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut analyzer = Analyzer::default();
        Cue::all()
            .flat_map(|cue| CUES[cue.index()].1.iter().map(move |p| (cue, *p)))
            .map(|(cue, phrase)| (cue, analyzer.tokens(phrase)))
            .filter(|(_, words)| !words.is_empty())
            .collect()
    })
}

/// A cue phrase in word ids.
#[derive(Debug, Clone)]
pub struct CuePhrase {
    /// The cue it signals.
    cue: Cue,
    /// Its analyzed words' ids.
    words: Box<[WordId]>,
}

/// Cue phrases keyed by their first word, so that matching costs one
/// lookup per token of the text; phrases sharing a first word are in
/// [`CUES`] order, which is the order their cues are found in.
pub type CueTable = HashMap<WordId, Vec<CuePhrase>>;

/// The phrases of the cues `wanted` accepts, with word ids from `id`.
fn cue_table(mut id: impl FnMut(&str) -> WordId, wanted: impl Fn(Cue) -> bool) -> CueTable {
    let mut table = CueTable::default();
    for (cue, phrase) in analyzed_cue_phrases() {
        if wanted(*cue) {
            let words: Box<[WordId]> = phrase.iter().map(|w| id(w)).collect();
            table
                .entry(words[0])
                .or_default()
                .push(CuePhrase { cue: *cue, words });
        }
    }
    table
}

/// Numbers, years and single characters carry no type evidence, and
/// registry boilerplate is full of them.
fn is_noise(term: &str) -> bool {
    term.len() < 2 || term.chars().all(|c| c.is_ascii_digit())
}

/// What [`extract`] needs to know of words.
pub trait Lexicon {
    /// The id of the word `token` (as the tokenizer split it) becomes
    /// through `words` (the analyzer's per-word stage): [`SKIPPED`] when
    /// the analyzer drops the token or the word is noise, [`UNKNOWN_WORD`]
    /// when the word is in no feature this lexicon can name.
    fn word(&mut self, words: &mut analyze::Words, token: &str) -> WordId;

    /// Whether any bigram can be named (if not, bigrams are not looked for).
    fn names_bigrams(&self) -> bool;

    /// The cue phrases to look for.
    fn cues(&self) -> &CueTable;
}

/// Call `emit` with every occurrence of a feature of a text and its
/// partner sectors whose words `lexicon` knows, in a fixed order: words,
/// bigrams, cues (each in text order), sectors.
pub fn extract(
    analyzer: &mut Analyzer,
    text: &str,
    sectors: &[Sector],
    lexicon: &mut impl Lexicon,
    mut emit: impl FnMut(Feature<WordId>, Span),
) {
    // Analyzed, non-noise tokens as word ids: about one token per 7 bytes
    // of English text.
    let mut tokens: Vec<(WordId, usize, usize)> = Vec::with_capacity(text.len() / 6);
    analyzer.for_each_token(text, |words, token, start, end| {
        let word = lexicon.word(words, token);
        if word == SKIPPED {
            return;
        }
        if word != UNKNOWN_WORD {
            emit(Feature::Word(word), Some((start, end)));
        }
        tokens.push((word, start, end));
    });
    if lexicon.names_bigrams() {
        for pair in tokens.windows(2) {
            let (a, b) = (pair[0].0, pair[1].0);
            if a != UNKNOWN_WORD && b != UNKNOWN_WORD {
                emit(Feature::Bigram(a, b), Some((pair[0].1, pair[1].2)));
            }
        }
    }
    let cues = lexicon.cues();
    if !cues.is_empty() {
        for (at, &(word, _, _)) in tokens.iter().enumerate() {
            for phrase in cues.get(&word).into_iter().flatten() {
                let n = phrase.words.len();
                let Some(window) = tokens.get(at..at + n) else {
                    continue;
                };
                if window.iter().zip(&phrase.words).all(|(t, p)| t.0 == *p) {
                    emit(
                        Feature::Cue(phrase.cue),
                        Some((window[0].1, window[n - 1].2)),
                    );
                }
            }
        }
    }
    for &sector in sectors {
        emit(Feature::Sector(sector), None);
    }
}

/// Words → ids, most held inline (see [`ShortStr`]).
#[derive(Debug, Clone, Default)]
struct Words {
    short: HashMap<ShortStr, WordId>,
    long: HashMap<Box<str>, WordId>,
}

impl Words {
    fn get(&self, word: &str) -> Option<WordId> {
        match ShortStr::new(word) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(word).copied(),
        }
    }

    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    /// The id of `word`, the next one if it is new; and whether it is.
    fn insert(&mut self, word: &str) -> (WordId, bool) {
        let next = self.len() as WordId;
        let id = match ShortStr::new(word) {
            Some(key) => *self.short.entry(key).or_insert(next),
            None => *self.long.entry(word.into()).or_insert(next),
        };
        (id, id == next)
    }
}

/// Training's lexicon: every word it meets gets an id, so every feature of
/// the corpus can be named.
pub struct Interner {
    words: Words,
    /// Per word id, the word.
    names: Vec<Box<str>>,
    /// Per token text, its word id.
    memo: TokenMemo<WordId>,
    cues: CueTable,
}

impl Default for Interner {
    fn default() -> Self {
        let mut interner = Interner {
            words: Words::default(),
            names: Vec::new(),
            memo: TokenMemo::default(),
            cues: CueTable::default(),
        };
        interner.cues = cue_table(|w| interner.intern(w), |_| true);
        interner
    }
}

impl Interner {
    fn intern(&mut self, word: &str) -> WordId {
        let (id, new) = self.words.insert(word);
        if new {
            self.names.push(word.into());
        }
        id
    }

    /// The word of an id this interner gave.
    pub fn name(&self, id: WordId) -> &str {
        &self.names[id as usize]
    }

    /// Every feature occurrence of a text and its partner sectors, in
    /// [`extract`] order, words as text.
    pub fn features(
        &mut self,
        analyzer: &mut Analyzer,
        text: &str,
        sectors: &[Sector],
    ) -> Vec<Feature> {
        let mut found = Vec::new();
        extract(analyzer, text, sectors, self, |feature, _| {
            found.push(feature)
        });
        found
            .into_iter()
            .map(|f| f.map(|w| self.name(w).to_string()))
            .collect()
    }
}

impl Lexicon for Interner {
    fn word(&mut self, words: &mut analyze::Words, token: &str) -> WordId {
        if let Some(id) = self.memo.get(token) {
            return id;
        }
        let id = match words.analyze(token) {
            Some(term) if !is_noise(term) => self.intern(term),
            _ => SKIPPED,
        };
        self.memo.insert(token, id);
        id
    }

    fn names_bigrams(&self) -> bool {
        true
    }

    fn cues(&self) -> &CueTable {
        &self.cues
    }
}

/// Feature index of no feature.
const NO_FEATURE: u32 = u32::MAX;

/// Lookup tables built from the vocabulary's features when it is loaded,
/// so that prediction finds a feature's index from word ids alone. The
/// model file keeps the strings.
#[derive(Debug, Clone, Default)]
struct FastLookup {
    /// Every analyzed word that is a unigram feature, part of a bigram
    /// feature or of a cue phrase whose cue is a feature.
    words: Words,
    /// Per word id, its unigram feature (or [`NO_FEATURE`]).
    unigram: Vec<u32>,
    /// `(word id, word id)` → bigram feature.
    bigrams: HashMap<u64, u32>,
    /// The phrases of the cues that are features.
    cues: CueTable,
    /// Per cue, its feature (or [`NO_FEATURE`]).
    cue_feature: Vec<u32>,
    /// Per sector, its feature (or [`NO_FEATURE`]).
    sector_feature: Vec<u32>,
}

fn pair_key(a: WordId, b: WordId) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

impl FastLookup {
    fn new(features: &[Feature]) -> FastLookup {
        let mut fast = FastLookup {
            cue_feature: vec![NO_FEATURE; CUES.len()],
            sector_feature: vec![NO_FEATURE; Sector::ALL.len()],
            ..FastLookup::default()
        };
        for (i, feature) in features.iter().enumerate() {
            let i = i as u32;
            match feature {
                Feature::Word(w) => {
                    let w = fast.word_id(w);
                    fast.unigram[w as usize] = i;
                }
                Feature::Bigram(a, b) => {
                    let key = pair_key(fast.word_id(a), fast.word_id(b));
                    fast.bigrams.insert(key, i);
                }
                Feature::Cue(c) => fast.cue_feature[c.index()] = i,
                Feature::Sector(s) => fast.sector_feature[*s as usize] = i,
            }
        }
        let cue_feature = fast.cue_feature.clone();
        fast.cues = cue_table(
            |w| fast.word_id(w),
            |c| cue_feature[c.index()] != NO_FEATURE,
        );
        fast
    }

    /// The id of `word`, given one if new.
    fn word_id(&mut self, word: &str) -> WordId {
        let (id, new) = self.words.insert(word);
        if new {
            self.unigram.push(NO_FEATURE);
        }
        id
    }

    /// The vocabulary index of a feature, if it is in the vocabulary.
    fn index(&self, feature: Feature<WordId>) -> Option<u32> {
        let i = match feature {
            Feature::Word(w) => self.unigram[w as usize],
            Feature::Bigram(a, b) => *self.bigrams.get(&pair_key(a, b))?,
            Feature::Cue(c) => self.cue_feature[c.index()],
            Feature::Sector(s) => self.sector_feature[s as usize],
        };
        (i != NO_FEATURE).then_some(i)
    }
}

/// Prediction's lexicon: the words of one vocabulary's features, and a
/// thread's memo of the word ids of the tokens it has seen.
struct VocabularyWords<'a> {
    fast: &'a FastLookup,
    memo: &'a mut TokenMemo<WordId>,
}

impl Lexicon for VocabularyWords<'_> {
    fn word(&mut self, words: &mut analyze::Words, token: &str) -> WordId {
        let fast = self.fast;
        self.memo
            .get_or_insert(token, || match words.analyze(token) {
                Some(term) if !is_noise(term) => fast.words.get(term).unwrap_or(UNKNOWN_WORD),
                _ => SKIPPED,
            })
    }

    fn names_bigrams(&self) -> bool {
        !self.fast.bigrams.is_empty()
    }

    fn cues(&self) -> &CueTable {
        &self.fast.cues
    }
}

/// A thread's memos of the word ids of tokens, one per vocabulary in use
/// (the few last used), keyed by [`Vocabulary::id`]: word ids are a
/// vocabulary's own.
///
/// Looking each token up in the analyzer's memo and then its word in the
/// vocabulary cost two probes of tables too big for the core's cache;
/// remembering the word id costs one (see [`TokenMemo`]).
#[derive(Default)]
struct ThreadMemos(Vec<(u64, TokenMemo<WordId>)>);

impl ThreadMemos {
    fn of(&mut self, vocabulary: &Vocabulary) -> &mut TokenMemo<WordId> {
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
    static WORD_MEMOS: RefCell<ThreadMemos> = RefCell::new(ThreadMemos::default());
}

/// One occurrence of an in-vocabulary feature in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// Vocabulary index.
    pub feature: u32,
    /// Where it is.
    pub span: Span,
}

/// The occurrences of in-vocabulary features of a text and its partner
/// sectors, in [`extract`] order: what looking every feature training
/// would find up with [`Vocabulary::get`] gives.
pub fn encode(
    analyzer: &mut Analyzer,
    text: &str,
    sectors: &[Sector],
    vocabulary: &Vocabulary,
) -> Vec<Occurrence> {
    let fast = &vocabulary.fast;
    let mut out = Vec::with_capacity(text.len() / 3);
    WORD_MEMOS.with_borrow_mut(|memos| {
        let mut lexicon = VocabularyWords {
            fast,
            memo: memos.of(vocabulary),
        };
        extract(analyzer, text, sectors, &mut lexicon, |feature, span| {
            if let Some(feature) = fast.index(feature) {
                out.push(Occurrence { feature, span });
            }
        });
    });
    out
}

/// Learned vocabulary and inverse document frequencies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vocabulary {
    /// Features in their string form; a feature's index is its position.
    pub terms: Vec<String>,
    /// Smoothed IDF per feature: `ln((1 + n) / (1 + df)) + 1`.
    pub idf: Vec<f32>,
    /// `terms`, parsed.
    #[serde(skip)]
    features: Vec<Feature>,
    #[serde(skip)]
    index: HashMap<Feature, u32>,
    #[serde(skip)]
    fast: FastLookup,
    /// Distinguishes vocabularies (each build of the lookup tables gets a
    /// new one), so per-thread memos of word ids are never mixed up.
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
    /// Learn from the features of the training documents.
    pub fn fit(docs: &[&[Feature]], config: VocabularyConfig) -> Vocabulary {
        let mut df: HashMap<&Feature, usize> = HashMap::default();
        for doc in docs {
            let mut seen: Vec<&Feature> = doc.iter().collect();
            seen.sort_unstable();
            seen.dedup();
            for f in seen {
                *df.entry(f).or_default() += 1;
            }
        }
        let mut kept: Vec<(String, &Feature, usize)> = df
            .into_iter()
            .filter(|(_, d)| *d >= config.min_df)
            .map(|(f, d)| (f.to_string(), f, d))
            .collect();
        // Most frequent first, ties by name: deterministic. The file lists
        // features by name.
        kept.sort_unstable_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        kept.truncate(config.max_features);
        kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let n = docs.len() as f32;
        let idf = kept
            .iter()
            .map(|(_, _, d)| ((1.0 + n) / (1.0 + *d as f32)).ln() + 1.0)
            .collect();
        let features = kept.iter().map(|(_, f, _)| (*f).clone()).collect();
        let mut v = Vocabulary {
            terms: kept.into_iter().map(|(t, _, _)| t).collect(),
            idf,
            features,
            index: HashMap::default(),
            fast: FastLookup::default(),
            id: 0,
        };
        v.build_tables();
        v
    }

    /// Parse the terms and build the lookup tables (after deserialising).
    pub fn build_index(&mut self) -> Result<(), UnknownFeature> {
        self.features = self
            .terms
            .iter()
            .map(|t| Feature::parse(t))
            .collect::<Result<_, _>>()?;
        self.build_tables();
        Ok(())
    }

    fn build_tables(&mut self) {
        self.index = self
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i as u32))
            .collect();
        self.fast = FastLookup::new(&self.features);
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
    pub fn get(&self, feature: &Feature) -> Option<u32> {
        self.index.get(feature).copied()
    }

    /// The feature at `index`.
    pub fn feature(&self, index: u32) -> &Feature {
        &self.features[index as usize]
    }

    /// Sublinear TF (`1 + ln tf`) × IDF, L2-normalised.
    pub fn transform(&self, features: &[Feature]) -> SparseVec {
        let mut indices: Vec<u32> = features.iter().filter_map(|f| self.get(f)).collect();
        self.transform_features(&mut indices)
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

    /// Prediction's path (vocabulary word ids) must find exactly what
    /// training's finds and looks up in the vocabulary, with the same
    /// spans and the same vector, on realistic records.
    #[test]
    fn prediction_finds_what_training_finds() {
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
        let reference = |vocabulary: &Vocabulary, features: &[Feature]| {
            let mut tf: HashMap<u32, f32> = HashMap::default();
            for f in features {
                if let Some(i) = vocabulary.get(f) {
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
        let mut interner = Interner::default();
        let (mut matched, mut bigrams, mut cues, mut sectors) = (0, 0, 0, 0);
        for f in &model.featurizers {
            let vocabulary = &f.vocabulary;
            for r in &records {
                let text = record_text(r);
                let record_sectors = record_sectors(r);
                let mut found = Vec::new();
                extract(
                    &mut analyzer,
                    &text,
                    &record_sectors,
                    &mut interner,
                    |f, span| found.push((f, span)),
                );
                let found: Vec<(Feature, Span)> = found
                    .into_iter()
                    .map(|(f, span)| (f.map(|w| interner.name(w).to_string()), span))
                    .collect();
                let expected: Vec<Occurrence> = found
                    .iter()
                    .filter_map(|(f, span)| {
                        vocabulary.get(f).map(|feature| Occurrence {
                            feature,
                            span: *span,
                        })
                    })
                    .collect();
                let got = encode(&mut analyzer, &text, &record_sectors, vocabulary);
                assert_eq!(got, expected);
                matched += got.len();
                for o in &got {
                    match vocabulary.feature(o.feature) {
                        Feature::Bigram(..) => bigrams += 1,
                        Feature::Cue(_) => cues += 1,
                        Feature::Sector(_) => sectors += 1,
                        Feature::Word(_) => {}
                    }
                }
                let features: Vec<Feature> = found.into_iter().map(|(f, _)| f).collect();
                assert_eq!(
                    features,
                    interner.features(&mut analyzer, &text, &record_sectors)
                );
                let mut indices: Vec<u32> = got.iter().map(|o| o.feature).collect();
                let x = vocabulary.transform_features(&mut indices);
                let bits = |v: &SparseVec| -> Vec<(u32, u32)> {
                    v.iter().map(|(i, x)| (*i, x.to_bits())).collect()
                };
                assert_eq!(bits(&x), bits(&reference(vocabulary, &features)));
                assert_eq!(bits(&x), bits(&vocabulary.transform(&features)));
            }
        }
        assert!(
            matched > 10_000 && bigrams > 1_000 && cues > 10 && sectors > 100,
            "too little compared: {matched} occurrences, {bigrams} bigrams, {cues} cues, {sectors} sectors"
        );
    }

    /// Every kind of feature prints as the string the model file holds and
    /// parses back to itself; strings no feature prints are refused.
    #[test]
    fn features_round_trip_through_their_string_form() {
        let mut features = vec![
            (Feature::Word("partnership".to_string()), "partnership"),
            (Feature::Word("2006".to_string()), "2006"),
            (Feature::Word("généralement".to_string()), "généralement"),
            (
                Feature::Bigram("pool".to_string(), "fund".to_string()),
                "pool fund",
            ),
        ];
        let cues: Vec<(Feature, String)> = Cue::all()
            .map(|c| (Feature::Cue(c), format!("cue:{}", c.name())))
            .collect();
        let sectors: Vec<(Feature, String)> = Sector::ALL
            .iter()
            .map(|s| (Feature::Sector(*s), format!("sector:{}", s.name())))
            .collect();
        assert_eq!(cues.len(), CUES.len());
        assert!(cues.iter().any(|(_, t)| t == "cue:pooled_fund"));
        assert!(sectors.iter().any(|(_, t)| t == "sector:civil_society"));
        features.extend(cues.iter().map(|(f, t)| (f.clone(), t.as_str())));
        features.extend(sectors.iter().map(|(f, t)| (f.clone(), t.as_str())));
        for (feature, text) in &features {
            assert_eq!(feature.to_string(), *text);
            assert_eq!(Feature::parse(text).as_ref(), Ok(feature), "{text}");
        }
        for bad in [
            "",
            " ",
            "a  b",
            "a b c",
            " a",
            "a ",
            "cue:",
            "cue:nope",
            "sector:Civil Society",
            "sector:",
            "a:b",
        ] {
            assert_eq!(
                Feature::parse(bad),
                Err(UnknownFeature(bad.to_string())),
                "{bad:?}"
            );
        }
        // Every term of the committed model parses, and prints back as is.
        let model = Model::bundled().expect("bundled model");
        for f in &model.featurizers {
            for (i, term) in f.vocabulary.terms.iter().enumerate() {
                assert_eq!(&f.vocabulary.feature(i as u32).to_string(), term);
            }
        }
    }
}
