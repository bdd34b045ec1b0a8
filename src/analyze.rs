//! The one text analyzer, shared by the search index and the classifier.
//!
//! Both must see the same tokens: if the index stemmed "partnerships" to
//! "partnership" but the classifier did not, a query and a model feature
//! for the same word would disagree. So the analyzer is defined once here,
//! registered with tantivy under [`NAME`], and used directly by
//! [`crate::classify`] through [`Analyzer::tokens`].

use tantivy::tokenizer::{
    Language, LowerCaser, RawTokenizer, RemoveLongFilter, Stemmer, StopWordFilter, TextAnalyzer,
    TokenFilter, TokenStream, Tokenizer,
};

/// Name under which the analyzer is registered in the index.
pub const NAME: &str = "partnerkb_en";

/// Description of the analyzer's pipeline, stored in model files so a model
/// built with another pipeline is refused.
pub const SETTINGS: &str = "simple|remove_long:40|lowercase|stopwords:en|spelling:en-us|stem:en";

/// Build the tantivy analyzer: simple tokenizer, then per word: drop it
/// if over 40 bytes, lowercase, drop English stop words, English (Porter)
/// stemming — the per-word steps memoised (see [`Memoized`]).
pub fn text_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(tokenizer()).filter(Memoized).build()
}

/// The first stage: split on everything that is not a letter or digit.
fn tokenizer() -> Simple {
    Simple::default()
}

/// The next token of `text` at or after byte `from`: a maximal run of
/// chars that are letters or digits (`char::is_alphanumeric`), as byte
/// offsets.
///
/// This is the rule of tantivy's `SimpleTokenizer`, which decodes every
/// char and copies every token; most text is ASCII, where a byte is a
/// char and the test is a table lookup. Tokenizing had become a tenth of
/// classification time once the word stage was memoised.
fn next_token(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    // Whether the char starting at byte `i` is alphanumeric, and its length.
    let at = |i: usize| -> (bool, usize) {
        let b = bytes[i];
        if b.is_ascii() {
            (b.is_ascii_alphanumeric(), 1)
        } else {
            text[i..]
                .chars()
                .next()
                .map_or((false, 1), |c| (c.is_alphanumeric(), c.len_utf8()))
        }
    };
    let mut i = from;
    let start = loop {
        if i >= bytes.len() {
            return None;
        }
        let (alnum, len) = at(i);
        if alnum {
            break i;
        }
        i += len;
    };
    while i < bytes.len() {
        let (alnum, len) = at(i);
        if !alnum {
            break;
        }
        i += len;
    }
    Some((start, i))
}

/// The first stage as a tantivy tokenizer (see [`next_token`]).
#[derive(Clone, Default)]
pub struct Simple {
    token: tantivy::tokenizer::Token,
}

/// The token stream of [`Simple`].
pub struct SimpleStream<'a> {
    text: &'a str,
    at: usize,
    token: &'a mut tantivy::tokenizer::Token,
}

impl Tokenizer for Simple {
    type TokenStream<'a> = SimpleStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SimpleStream<'a> {
        self.token.reset();
        SimpleStream {
            text,
            at: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for SimpleStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        let Some((start, end)) = next_token(self.text, self.at) else {
            self.at = self.text.len();
            return false;
        };
        self.at = end;
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.text.push_str(&self.text[start..end]);
        true
    }

    fn token(&self) -> &tantivy::tokenizer::Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut tantivy::tokenizer::Token {
        self.token
    }
}

/// The second stage, applied to each token on its own (one token in, at
/// most one out): drop it if over 40 bytes, lowercase, drop English stop
/// words, English (Porter) stemming.
fn word_filters() -> (TextAnalyzer, TextAnalyzer) {
    let before = TextAnalyzer::builder(RawTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::new(Language::English).expect("tantivy ships English stop words"))
        .build();
    let stem = TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build();
    (before, stem)
}

/// British spellings as American ones, before stemming, so that UN text
/// that mixes them (programme/program, organisation/organization,
/// labour/labor, centre/center) meets itself: the stemmer makes
/// `organisation` `organis` but `organization` `organ`. Words are changed
/// by explicit lists and by the `-isation`/`-ise` and `-yse` endings, with
/// the `-ise` words that have no `-ize` form kept as they are.
pub fn american_spelling(word: &str) -> Option<String> {
    const WHOLE: &[(&str, &str)] = &[
        ("programme", "program"),
        ("programmes", "programs"),
        ("programmed", "programed"),
        ("programming", "programing"),
        ("catalogue", "catalog"),
        ("catalogues", "catalogs"),
        ("defence", "defense"),
        ("licence", "license"),
        ("licences", "licenses"),
        ("offence", "offense"),
        ("offences", "offenses"),
        ("pretence", "pretense"),
        ("enrolment", "enrollment"),
        ("enrolments", "enrollments"),
        ("fulfil", "fulfill"),
        ("fulfilment", "fulfillment"),
        ("judgement", "judgment"),
        ("judgements", "judgments"),
        ("ageing", "aging"),
        ("practise", "practice"),
        ("practised", "practiced"),
        ("practising", "practicing"),
        ("practises", "practices"),
        ("grey", "gray"),
        ("aluminium", "aluminum"),
        ("sulphur", "sulfur"),
        ("mould", "mold"),
        ("plough", "plow"),
        ("tonne", "ton"),
        ("tonnes", "tons"),
        ("kerb", "curb"),
        ("cheque", "check"),
        ("cheques", "checks"),
        ("paediatric", "pediatric"),
        ("anaemia", "anemia"),
        ("diarrhoea", "diarrhea"),
        ("oestrogen", "estrogen"),
        ("haemorrhage", "hemorrhage"),
        ("foetal", "fetal"),
        ("manoeuvre", "maneuver"),
    ];
    // `-our` roots: colour, labour, behaviour... with every ending.
    const OUR: &[&str] = &[
        "arbour",
        "ardour",
        "armour",
        "behaviour",
        "candour",
        "clamour",
        "colour",
        "demeanour",
        "endeavour",
        "favour",
        "flavour",
        "fervour",
        "harbour",
        "honour",
        "humour",
        "labour",
        "neighbour",
        "odour",
        "parlour",
        "rancour",
        "rigour",
        "rumour",
        "saviour",
        "savour",
        "splendour",
        "tumour",
        "valour",
        "vapour",
        "vigour",
    ];
    // `-tre` words: centre, metre, fibre...
    const TRE: &[&str] = &[
        "centre", "centres", "centred", "metre", "metres", "litre", "litres", "fibre", "fibres",
        "theatre", "theatres", "calibre", "sombre", "spectre", "meagre", "lustre", "sabre",
    ];
    // Doubled `l` before an ending.
    const LL: &[&str] = &[
        "travell", "counsell", "modell", "labell", "cancell", "fuell", "signall", "channell",
        "levell", "totall", "marshall", "initiall", "equall", "tunnell", "jewell",
    ];
    // `-ise` words with no `-ize` spelling.
    const ISE_KEPT: &[&str] = &[
        "advertis",
        "advis",
        "apprais",
        "appris",
        "aris",
        "chastis",
        "circumcis",
        "compris",
        "compromis",
        "concis",
        "cruis",
        "demis",
        "despis",
        "devis",
        "disguis",
        "enterpris",
        "excis",
        "exercis",
        "expertis",
        "franchis",
        "improvis",
        "incis",
        "merchandis",
        "nois",
        "otherwis",
        "paradis",
        "pois",
        "prais",
        "precis",
        "premis",
        "promis",
        "rais",
        "revis",
        "ris",
        "supervis",
        "surmis",
        "surpris",
        "televis",
        "treatis",
        "wis",
        "likewis",
        "clockwis",
        "bruis",
        "guis",
        "repris",
        "tortois",
        "porpois",
        "turquois",
        "malais",
    ];
    if let Some((_, us)) = WHOLE.iter().find(|(uk, _)| *uk == word) {
        return Some((*us).to_string());
    }
    if let Some(root) = OUR.iter().find(|r| word.starts_with(**r)) {
        let us = &root[..root.len() - 2];
        return Some(format!("{us}r{}", &word[root.len()..]));
    }
    if TRE.contains(&word) {
        let at = word.find("tre").expect("listed with -tre");
        return Some(format!("{}ter{}", &word[..at], &word[at + 3..]));
    }
    if let Some(root) = LL
        .iter()
        .find(|r| word.starts_with(**r) && word.len() > r.len())
    {
        return Some(format!(
            "{}{}",
            &root[..root.len() - 1],
            &word[root.len()..]
        ));
    }
    // -isation(s) → -ization(s); -yse/-ysed/-ysing/-yses → -yze...
    for (uk, us) in [
        ("isation", "ization"),
        ("isations", "izations"),
        ("yse", "yze"),
        ("ysed", "yzed"),
        ("yses", "yzes"),
        ("ysing", "yzing"),
    ] {
        if let Some(stem) = word.strip_suffix(uk) {
            // analyse, paralyse, catalyse: the -yse verbs all end in -lyse.
            let fits = if uk.starts_with('y') {
                stem.ends_with('l') && stem.len() >= 3
            } else {
                stem.len() >= 3
            };
            if fits {
                return Some(format!("{stem}{us}"));
            }
        }
    }
    for (uk, us) in [
        ("ise", "ize"),
        ("ised", "ized"),
        ("ises", "izes"),
        ("ising", "izing"),
    ] {
        if let Some(stem) = word.strip_suffix(uk) {
            let base = format!("{stem}is");
            let kept = ISE_KEPT
                .iter()
                .any(|k| base == *k || base.ends_with(*k) && k.len() > 4);
            if stem.len() >= 4 && !kept {
                return Some(format!("{stem}{us}"));
            }
        }
    }
    None
}

/// The analyzer's second stage on its own: what it makes of one token.
#[derive(Clone)]
pub struct Words {
    /// Length cap, lowercase, stop words.
    filters: TextAnalyzer,
    /// The stemmer, after [`american_spelling`].
    stem: TextAnalyzer,
    /// The last answer, copied out of the filters' stream.
    word: String,
}

impl Default for Words {
    fn default() -> Self {
        let (filters, stem) = word_filters();
        Words {
            filters,
            stem,
            word: String::new(),
        }
    }
}

impl Words {
    /// The term `token` (as the tokenizer split it) becomes, or `None`
    /// when the token is dropped.
    pub fn analyze(&mut self, token: &str) -> Option<&str> {
        let mut stream = self.filters.token_stream(token);
        let kept = stream.advance();
        self.word.clear();
        if kept {
            self.word.push_str(&stream.token().text);
        }
        drop(stream);
        if !kept {
            return None;
        }
        let spelled = american_spelling(&self.word);
        let word = spelled.as_deref().unwrap_or(&self.word);
        let mut stream = self.stem.token_stream(word);
        let stemmed = stream.advance().then(|| stream.token().text.clone());
        drop(stream);
        self.word.clear();
        self.word.push_str(stemmed.as_deref().unwrap_or_default());
        Some(self.word.as_str())
    }
}

/// A string of at most [`ShortStr::MAX`] bytes held inline, as two
/// little-endian words: zero-padded, length in the top byte.
///
/// Hash tables keyed by words are probed for every token; with the key
/// inline a probe reads one slot instead of following a pointer to the
/// key's bytes elsewhere on the heap. The key is assembled in registers
/// rather than copied into a byte buffer and read back as words, which
/// stalls on store forwarding (together these showed up as a tenth of
/// classification time). Nearly every word fits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShortStr {
    lo: u64,
    hi: u64,
}

/// Up to 8 bytes as a little-endian word, zero-padded.
fn word_of(b: &[u8]) -> u64 {
    let n = b.len();
    debug_assert!(n <= 8);
    if n == 8 {
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
    } else if n >= 4 {
        // Two overlapping 4-byte reads; the overlap holds the same bytes.
        let first = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let last = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]);
        u64::from(first) | u64::from(last) << (8 * (n - 4))
    } else {
        b.iter()
            .enumerate()
            .fold(0, |w, (i, &x)| w | u64::from(x) << (8 * i))
    }
}

impl ShortStr {
    /// Longest string that fits.
    pub const MAX: usize = 15;

    /// No string (an empty slot): its length byte is out of range.
    pub const NONE: ShortStr = ShortStr {
        lo: 0,
        hi: 0xff << 56,
    };

    /// A well-mixed hash (take the top bits for a table index).
    pub fn hash64(&self) -> u64 {
        (self.lo ^ self.hi.rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    /// `s` inline, if it fits.
    pub fn new(s: &str) -> Option<ShortStr> {
        let b = s.as_bytes();
        let n = b.len();
        if n > Self::MAX {
            return None;
        }
        let (lo, hi) = if n > 8 {
            (word_of(&b[..8]), word_of(&b[8..]))
        } else {
            (word_of(b), 0)
        };
        Some(ShortStr {
            lo,
            hi: hi | (n as u64) << 56,
        })
    }

    /// Append the string to `out`.
    pub fn push_to(&self, out: &mut String) {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.lo.to_le_bytes());
        bytes[8..].copy_from_slice(&self.hi.to_le_bytes());
        let n = ((self.hi >> 56) as usize).min(Self::MAX);
        // Built from a whole `&str`, so always valid.
        out.push_str(std::str::from_utf8(&bytes[..n]).unwrap_or_default());
    }
}

/// No string ([`ShortStr::NONE`]): what an empty slot holds.
impl Default for ShortStr {
    fn default() -> Self {
        ShortStr::NONE
    }
}

impl std::fmt::Debug for ShortStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        self.push_to(&mut s);
        s.fmt(f)
    }
}

/// Slots of a memo's table of tokens with digits.
const NUMBER_SLOTS_BITS: u32 = 10;

/// Slots of a memo's table of other tokens when it starts.
const TOKEN_SLOTS_MIN_BITS: u32 = 12;

/// Most slots of a memo's table of other tokens; at three quarters full
/// it starts over. Its few thousand words (in their few spellings) cover
/// almost all of a registry, so this bounds memory (2^16 slots of 24 to 32
/// bytes) without costing hits.
const TOKEN_SLOTS_MAX_BITS: u32 = 16;

/// A memory of what a function of the token text alone gave for each
/// distinct token: the one memo mechanism of partnerkb, kept per thread by
/// each user (the analyzer's per-word stage, below; a vocabulary's word
/// ids, in [`crate::classify::features`]).
///
/// A text's tokens are the same few thousand words over and over, and the
/// per-word work (lowercasing, stop words, Snowball stemming, then a
/// vocabulary lookup) was most of batch classification's time. What
/// remains is the lookup itself, and the cache misses of probing tables
/// too big for the core's cache were its largest cost; so a token costs
/// one probe of a compact table: open addressing, the key inline
/// ([`ShortStr`]), the value beside it. A thread's own table needs no
/// lock.
///
/// Tokens with digits go to a small table of their own, one slot each, a
/// newcomer evicting the occupant: years and small numbers recur, but
/// most numbers in a registry are one-off record numbers, which would
/// crowd the words out, and a table grown past the cache is slower for
/// every word. Tokens too long to hold inline (rare) are not remembered.
pub struct TokenMemo<V> {
    /// Tokens without digits, by linear probing; free slots hold
    /// [`ShortStr::NONE`].
    words: Vec<(ShortStr, V)>,
    used: usize,
    /// Tokens with digits, one slot each.
    numbers: Vec<(ShortStr, V)>,
}

impl<V: Copy + Default> Default for TokenMemo<V> {
    fn default() -> Self {
        TokenMemo {
            words: vec![(ShortStr::NONE, V::default()); 1 << TOKEN_SLOTS_MIN_BITS],
            used: 0,
            numbers: vec![(ShortStr::NONE, V::default()); 1 << NUMBER_SLOTS_BITS],
        }
    }
}

/// The key of a token and whether it has digits, or `None` when it is too
/// long to remember.
fn memo_key(token: &str) -> Option<(ShortStr, bool)> {
    let key = ShortStr::new(token)?;
    Some((key, token.bytes().any(|b| b.is_ascii_digit())))
}

/// Slot of `key` in a table of `2^bits` slots.
fn slot(key: &ShortStr, bits: u32) -> usize {
    (key.hash64() >> (64 - bits)) as usize
}

impl<V: Copy + Default> TokenMemo<V> {
    /// What was remembered for `token`.
    pub fn get(&self, token: &str) -> Option<V> {
        let (key, number) = memo_key(token)?;
        if number {
            let (k, value) = self.numbers[slot(&key, NUMBER_SLOTS_BITS)];
            return (k == key).then_some(value);
        }
        let mask = self.words.len() - 1;
        let mut at = slot(&key, self.words.len().trailing_zeros());
        loop {
            let (k, value) = self.words[at];
            if k == key {
                return Some(value);
            }
            if k == ShortStr::NONE {
                return None;
            }
            at = (at + 1) & mask;
        }
    }

    /// Remember `value` for `token` (replacing what was remembered).
    pub fn insert(&mut self, token: &str, value: V) {
        let Some((key, number)) = memo_key(token) else {
            return;
        };
        if number {
            self.numbers[slot(&key, NUMBER_SLOTS_BITS)] = (key, value);
            return;
        }
        if (self.used + 1) * 4 > self.words.len() * 3 {
            // Grow, or start over if already at the largest size.
            let bits = (self.words.len().trailing_zeros() + 1).min(TOKEN_SLOTS_MAX_BITS);
            let old = std::mem::replace(
                &mut self.words,
                vec![(ShortStr::NONE, V::default()); 1 << bits],
            );
            self.used = 0;
            if old.len() < self.words.len() {
                for (k, v) in old.into_iter().filter(|(k, _)| *k != ShortStr::NONE) {
                    self.put(k, v);
                }
            }
        }
        self.put(key, value);
    }

    /// What was remembered for `token`, or `derive`'s answer, remembered.
    pub fn get_or_insert(&mut self, token: &str, derive: impl FnOnce() -> V) -> V {
        if let Some(value) = self.get(token) {
            return value;
        }
        let value = derive();
        self.insert(token, value);
        value
    }

    /// Put a word's entry in its slot, or in the first free one after it.
    fn put(&mut self, key: ShortStr, value: V) {
        let mask = self.words.len() - 1;
        let mut at = slot(&key, self.words.len().trailing_zeros());
        loop {
            let k = self.words[at].0;
            if k == key {
                self.words[at].1 = value;
                return;
            }
            if k == ShortStr::NONE {
                break;
            }
            at = (at + 1) & mask;
        }
        self.words[at] = (key, value);
        self.used += 1;
    }
}

thread_local! {
    /// What the per-word stage made of each token text ([`ShortStr::NONE`]:
    /// the token is dropped), per thread, shared by every analyzer on the
    /// thread. The stage is always the same ([`word_filters`]), so an
    /// answer holds for all of them. Per analyzer instead, every copy
    /// started cold: tantivy copies the analyzer for each snippet it cuts,
    /// and stemming a record's words afresh was most of a snippet's time.
    static MEMO: std::cell::RefCell<TokenMemo<ShortStr>> = std::cell::RefCell::new(TokenMemo::default());
}

/// A token filter that runs the per-word stage ([`word_filters`]) on each
/// token and remembers the answer for each distinct token text.
///
/// Lowercasing, stop-word lookup and above all Snowball stemming were most
/// of batch classification's time, spent on the same few thousand words
/// over and over. Every filter of the per-word stage is a function of the
/// token text alone that keeps or drops the token (as tantivy's length,
/// lowercase, stop-word and stemming filters are: none looks at
/// neighbours, offsets or positions), so replaying the remembered answer
/// yields exactly the tokens, offsets and positions the filters would:
/// [`SETTINGS`], the index and every model are unchanged.
#[derive(Clone, Default)]
pub struct Memoized;

impl TokenFilter for Memoized {
    type Tokenizer<T: Tokenizer> = MemoizedFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MemoizedFilter<T> {
        MemoizedFilter {
            inner: tokenizer,
            words: Words::default(),
        }
    }
}

/// The tokenizer [`Memoized`] builds.
#[derive(Clone)]
pub struct MemoizedFilter<T> {
    inner: T,
    words: Words,
}

impl<T: Tokenizer> Tokenizer for MemoizedFilter<T> {
    type TokenStream<'a> = MemoizedStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MemoizedStream {
            tail: self.inner.token_stream(text),
            words: &mut self.words,
        }
    }
}

/// The token stream of [`MemoizedFilter`].
pub struct MemoizedStream<'a, T> {
    tail: T,
    words: &'a mut Words,
}

impl<T: TokenStream> TokenStream for MemoizedStream<'_, T> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            let text = &mut self.tail.token_mut().text;
            if let Some(answer) = MEMO.with_borrow(|memo| memo.get(text)) {
                if answer == ShortStr::NONE {
                    continue;
                }
                text.clear();
                answer.push_to(text);
                return true;
            }
            let word = self.words.analyze(text);
            // A word too long to hold inline (rare) is not remembered.
            let answer = match word {
                Some(word) => ShortStr::new(word),
                None => Some(ShortStr::NONE),
            };
            if let Some(answer) = answer {
                MEMO.with_borrow_mut(|memo| memo.insert(text, answer));
            }
            if let Some(word) = word {
                text.clear();
                text.push_str(word);
                return true;
            }
        }
        false
    }

    fn token(&self) -> &tantivy::tokenizer::Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut tantivy::tokenizer::Token {
        self.tail.token_mut()
    }
}

/// A token and where it came from in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The analyzed term.
    pub term: String,
    /// Byte offset of the token's start in the input.
    pub start: usize,
    /// Byte offset of the token's end in the input.
    pub end: usize,
}

/// The shared analyzer; cheap to clone (one per thread).
#[derive(Clone)]
pub struct Analyzer {
    inner: TextAnalyzer,
    /// The second stage of `inner`, apart.
    words: Words,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            inner: text_analyzer(),
            words: Words::default(),
        }
    }
}

impl Analyzer {
    /// Analyzed terms of `text`, in order.
    pub fn tokens(&mut self, text: &str) -> Vec<String> {
        let mut stream = self.inner.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    /// Call `f` with each analyzed term and its byte span, in order, without
    /// copying the term.
    pub fn for_each(&mut self, text: &str, mut f: impl FnMut(&str, usize, usize)) {
        let mut stream = self.inner.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            f(&t.text, t.offset_from, t.offset_to);
        }
    }

    /// The analyzer in its two stages: call `f` with the second stage and
    /// each token as the first split it, with its byte span, in order.
    /// `words.analyze(token)` is then the term [`Analyzer::for_each`] gives
    /// for that token, or `None` where it gives none. For callers that
    /// remember what they derive from each distinct token, and so mostly
    /// skip the second stage.
    pub fn for_each_token(
        &mut self,
        text: &str,
        mut f: impl FnMut(&mut Words, &str, usize, usize),
    ) {
        let mut at = 0;
        while let Some((start, end)) = next_token(text, at) {
            f(&mut self.words, &text[start..end], start, end);
            at = end;
        }
    }

    /// Analyzed terms with their byte offsets, for explanations.
    pub fn tokens_with_offsets(&mut self, text: &str) -> Vec<Token> {
        let mut stream = self.inner.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push(Token {
                term: t.text.clone(),
                start: t.offset_from,
                end: t.offset_to,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn british_and_american_spellings_meet() {
        let mut words = Words::default();
        let mut term = |w: &str| words.analyze(w).map(str::to_string);
        for (uk, us) in [
            ("programme", "program"),
            ("programmes", "programs"),
            ("organisation", "organization"),
            ("organisations", "organizations"),
            ("immunisation", "immunization"),
            ("labour", "labor"),
            ("labourers", "laborers"),
            ("behavioural", "behavioral"),
            ("centre", "center"),
            ("mobilise", "mobilize"),
            ("mobilising", "mobilizing"),
            ("prioritised", "prioritized"),
            ("analyse", "analyze"),
            ("travelling", "traveling"),
            ("defence", "defense"),
            ("favourable", "favorable"),
        ] {
            assert_eq!(term(uk), term(us), "{uk} / {us}");
        }
        // Words whose -ise has no -ize form stay themselves.
        for kept in [
            "advise",
            "exercise",
            "enterprise",
            "expertise",
            "promise",
            "otherwise",
            "rise",
        ] {
            assert_eq!(american_spelling(kept), None, "{kept}");
        }
    }

    #[test]
    fn stems_lowercases_and_drops_stop_words() {
        let mut a = Analyzer::default();
        assert_eq!(
            a.tokens("The Partnerships are Coordinating networks"),
            vec!["partnership", "coordin", "network"]
        );
    }

    /// Every token tantivy's `SimpleTokenizer` gives (text, offsets,
    /// positions), on text mixing scripts, combining marks, other kinds of
    /// digits and punctuation, and on pseudo-random strings of such chars.
    #[test]
    fn splits_as_tantivy_s_simple_tokenizer() {
        use tantivy::tokenizer::SimpleTokenizer;
        fn all(mut stream: impl TokenStream) -> Vec<tantivy::tokenizer::Token> {
            let mut out = Vec::new();
            while stream.advance() {
                out.push(stream.token().clone());
            }
            out
        }
        let pool: Vec<char> =
            "aZ09 .,;:-_'\"\t\n/()éÉe\u{301}ß²½٣一二三ऄअ\u{200b}\u{a0}ﬁ🙂Ωω\u{feff}"
                .chars()
                .collect();
        let mut texts: Vec<String> = vec![
            String::new(),
            " ".into(),
            "Hello, happy tax-payer! 2006/07 — A1b2".into(),
            "Le cafe\u{301} de l'école, l'Ω et 3² = 9; 東京 2020; ١٢٣ ok".into(),
            "trailing word".into(),
            "___x___".into(),
        ];
        let mut state: u64 = 7;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        for _ in 0..2000 {
            let n = next() % 24;
            texts.push((0..n).map(|_| pool[next() % pool.len()]).collect());
        }
        let (mut theirs, mut ours) = (SimpleTokenizer::default(), Simple::default());
        let mut analyzer = Analyzer::default();
        for t in &texts {
            let expected = all(theirs.token_stream(t));
            assert_eq!(all(ours.token_stream(t)), expected, "{t:?}");
            let mut spans = Vec::new();
            analyzer.for_each_token(t, |_, token, start, end| {
                spans.push((token.to_string(), start, end))
            });
            let expected: Vec<_> = expected
                .into_iter()
                .map(|t| (t.text, t.offset_from, t.offset_to))
                .collect();
            assert_eq!(spans, expected, "{t:?}");
        }
    }

    #[test]
    fn short_strings_round_trip() {
        let words = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
        ];
        let more = ["abcdefghijklmno", "généralement", "ünïcödé", "2006"];
        for w in words.iter().chain(&more) {
            let mut s = String::new();
            ShortStr::new(w).unwrap().push_to(&mut s);
            assert_eq!(&s, w);
        }
        assert!(ShortStr::new("abcdefghijklmnop").is_none());
        assert_ne!(ShortStr::new("ab"), ShortStr::new("ab\0"));
        assert_ne!(ShortStr::new("abcdefgh"), ShortStr::new("abcdefgh\0"));
    }

    /// The memo answers as a map would, across growth and the eviction of
    /// numbers: a value it gives is the one last put for that token, and
    /// 40,000 distinct words (fewer than the largest table holds) are never
    /// forgotten.
    #[test]
    fn the_memo_remembers_like_a_map() {
        let mut memo = TokenMemo::<u32>::default();
        let mut reference = std::collections::HashMap::new();
        let mut lost_words = 0;
        // A word without digits for each number.
        let word = |mut n: u32| {
            let mut w = String::from("w");
            while n > 0 {
                w.push(char::from(b'a' + (n % 26) as u8));
                n /= 26;
            }
            w
        };
        for round in 0..3u32 {
            for i in 0..60_000u32 {
                let token = if i % 7 == 0 {
                    format!("n{}", i % 3000)
                } else {
                    word(i % 40_000)
                };
                let value = i.wrapping_mul(round + 1);
                match memo.get(&token) {
                    Some(v) => assert_eq!(Some(&v), reference.get(&token), "{token}"),
                    None if !token.starts_with('n') && reference.contains_key(&token) => {
                        lost_words += 1
                    }
                    None => {}
                }
                memo.insert(&token, value);
                reference.insert(token.clone(), value);
                assert_eq!(memo.get(&token), Some(value));
            }
        }
        assert_eq!(lost_words, 0);
        let long = "x".repeat(ShortStr::MAX + 1);
        memo.insert(&long, 1);
        assert_eq!(memo.get(&long), None, "too long to remember");
    }

    #[test]
    fn the_memo_gives_the_filters_answers() {
        let mut plain = TextAnalyzer::builder(tantivy::tokenizer::SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(StopWordFilter::new(Language::English).unwrap())
            .filter(Stemmer::new(Language::English))
            .build();
        let long = "x".repeat(41);
        let text = format!(
            "The Partnerships, partnering PARTNERSHIPS in 2006: généralement Ünited \
             coordinated {long} and Coordinating; THE coordinators (2006) partnerships {long}"
        );
        let text = text.as_str();
        let mut expected = Vec::new();
        let mut stream = plain.token_stream(text);
        while stream.advance() {
            expected.push(stream.token().clone());
        }
        let mut cached = text_analyzer();
        // Twice: the second pass is answered from the memo.
        for _ in 0..2 {
            let mut got = Vec::new();
            let mut stream = cached.token_stream(text);
            while stream.advance() {
                got.push(stream.token().clone());
            }
            assert_eq!(got, expected);
        }
    }
}
