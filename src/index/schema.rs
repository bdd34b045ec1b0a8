//! The index schema: which fields exist and how each is indexed.

use crate::analyze;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

/// Version of the schema below; an index written with another version is
/// rebuilt (bundled) or refused (user index) rather than misread. 2: window
/// vectors; 3: the sort keys (name, start year, confidence) as fast fields.
pub const SCHEMA_VERSION: u32 = 3;

/// Version of what a record's document holds under the same schema (which
/// facet values it carries). The fields do not change, so an index of an
/// older document version is still read; the bundled index is rebuilt
/// when this changes, and `partnerkb reindex` brings a user's index up to
/// date. 2: the sectors the input gave are also in the gold field
/// (`--gold-only --sector`).
pub const DOCUMENT_VERSION: u32 = 2;

/// Handles to the index's fields.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Record id (exact).
    pub id: Field,
    /// `partnership` or `lesson` (exact).
    pub kind: Field,
    /// Name or title (analyzed, boosted in queries).
    pub title: Field,
    /// Description or lesson text (analyzed).
    pub body: Field,
    /// Facets: `/kind`, `/function`, `/mode`, `/challenge`, `/sector`,
    /// `/theme`, `/origin`, `/applies/...`: gold and predicted labels.
    pub facets: Field,
    /// The same label facets for gold labels only, and `/sector` for the
    /// sectors the input gave (`--gold-only`).
    pub gold: Field,
    /// Partnership ids a lesson cites (exact).
    pub examples: Field,
    /// The record as JSON, to give it back whole.
    pub record: Field,
    /// The labels with their origin and probability, as JSON.
    pub labels: Field,
    /// The file the record was ingested from.
    pub origin: Field,
    /// The record's window vectors ([`crate::embed::store`]); `None` in an
    /// index made before vectors existed (schema 1), which is searched
    /// lexically.
    pub vectors: Option<Field>,
    /// The sort keys; `None` in an index made before sorting existed
    /// (schema 1 and 2), which sorts by relevance only until reindexed.
    pub sort: Option<SortFields>,
}

/// Fast fields a search can be ordered by.
#[derive(Debug, Clone, Copy)]
pub struct SortFields {
    /// The name, lower-cased, without leading quotes or punctuation.
    pub name: Field,
    /// The partnership's start year (none for lessons and unknown years).
    pub start_year: Field,
    /// The lowest probability among the record's predicted labels (none
    /// when every label is a person's).
    pub confidence: Field,
}

/// Names of the sort fields in the schema.
pub(super) const SORT_NAME: &str = "sort_name";
pub(super) const SORT_START_YEAR: &str = "start_year";
pub(super) const SORT_CONFIDENCE: &str = "confidence";

/// Build the schema.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyze::NAME)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        title: b.add_text_field("title", text.clone()),
        body: b.add_text_field("body", text),
        facets: b.add_facet_field("facets", INDEXED | STORED),
        gold: b.add_facet_field("gold", INDEXED),
        examples: b.add_text_field("examples", STRING),
        record: b.add_text_field("record", STORED),
        labels: b.add_text_field("labels", STORED),
        origin: b.add_text_field("origin", STRING | STORED),
        vectors: Some(b.add_bytes_field("vectors", STORED)),
        sort: Some(SortFields {
            name: b.add_text_field(SORT_NAME, STRING | FAST),
            start_year: b.add_i64_field(SORT_START_YEAR, FAST),
            confidence: b.add_f64_field(SORT_CONFIDENCE, FAST),
        }),
    };
    (b.build(), fields)
}

/// Look up the fields of an existing index's schema.
pub fn fields_of(schema: &Schema) -> tantivy::Result<Fields> {
    let f = |name: &str| schema.get_field(name);
    Ok(Fields {
        id: f("id")?,
        kind: f("kind")?,
        title: f("title")?,
        body: f("body")?,
        facets: f("facets")?,
        gold: f("gold")?,
        examples: f("examples")?,
        record: f("record")?,
        labels: f("labels")?,
        origin: f("origin")?,
        vectors: schema.get_field("vectors").ok(),
        sort: match (
            schema.get_field(SORT_NAME),
            schema.get_field(SORT_START_YEAR),
            schema.get_field(SORT_CONFIDENCE),
        ) {
            (Ok(name), Ok(start_year), Ok(confidence)) => Some(SortFields {
                name,
                start_year,
                confidence,
            }),
            _ => None,
        },
    })
}
