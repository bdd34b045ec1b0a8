//! The library's error type.
//!
//! Errors say whose fault they are: [`Error::is_user_error`] separates bad
//! input (a malformed record, a query syntax error, an unknown label) from
//! failures of the system (I/O, a damaged index), so the CLI can choose an
//! exit code and the server a status code in one place.

use std::path::PathBuf;

/// A record that could not be read, located by file, line and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
pub struct RecordError {
    /// The file the record came from (as given by the user).
    pub file: String,
    /// 1-based line number of the record's first line.
    pub line: u64,
    /// The field at fault, or `record` when the whole record is unreadable.
    pub field: String,
    /// What is wrong, in words.
    pub reason: String,
}

/// Everything that can go wrong in partnerkb.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A record in an input file is invalid.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The input format could not be recognised from the file name.
    #[error("{path}: unknown input format (expected .jsonl, .json, .csv, .txt or .md)")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// A search query could not be parsed.
    #[error("query syntax error: {0}")]
    Query(String),
    /// A label value or axis is not part of the typology.
    #[error("{0}")]
    Label(String),
    /// A model file is unusable (wrong version, typology, corrupt).
    #[error("model {path}: {reason}")]
    Model {
        /// Where the model came from.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Training could not proceed (too few examples, bad settings).
    #[error("training: {0}")]
    Train(String),
    /// The search index failed.
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory is unusable.
    #[error("index {path}: {reason}")]
    IndexDir {
        /// The directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A record id that is not in the index.
    #[error("no record with id `{0}`")]
    NotFound(String),
    /// Writing output failed.
    #[error("output: {0}")]
    Output(String),
}

impl Error {
    /// True when the input, not the system, is at fault.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::Record(_)
                | Error::UnknownFormat { .. }
                | Error::Query(_)
                | Error::Label(_)
                | Error::NotFound(_)
                | Error::Train(_)
        )
    }
}

/// Shorthand used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
