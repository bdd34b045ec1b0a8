//! The one text analyzer, shared by the search index and the classifier.
//!
//! Both must see the same tokens: if the index stemmed "partnerships" to
//! "partnership" but the classifier did not, a query and a model feature
//! for the same word would disagree. So the analyzer is defined once here,
//! registered with tantivy under [`NAME`], and used directly by
//! [`crate::classify`] through [`Analyzer::tokens`].

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
    TokenStream,
};

/// Name under which the analyzer is registered in the index.
pub const NAME: &str = "partnerkb_en";

/// Description of the analyzer's pipeline, stored in model files so a model
/// built with another pipeline is refused.
pub const SETTINGS: &str = "simple|remove_long:40|lowercase|stopwords:en|stem:en";

/// Build the tantivy analyzer: simple tokenizer, drop tokens over 40 bytes,
/// lowercase, remove English stop words, English (Porter) stemming.
pub fn text_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::new(Language::English).expect("tantivy ships English stop words"))
        .filter(Stemmer::new(Language::English))
        .build()
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
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            inner: text_analyzer(),
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
    fn stems_lowercases_and_drops_stop_words() {
        let mut a = Analyzer::default();
        assert_eq!(
            a.tokens("The Partnerships are Coordinating networks"),
            vec!["partnership", "coordin", "network"]
        );
    }
}
