//! The library's errors, split by whose fault they are (as milli does).
//!
//! A [`UserError`] is something the person running partnerkb can fix: a
//! malformed record, an unreadable input file, a query that does not
//! parse, a label the typology does not have, an unknown id, a bad
//! setting. An [`InternalError`] is a failure of the system: the index
//! could not be read or written, a stored document is damaged, output
//! could not be written. [`Error`] is one or the other, so the CLI's exit
//! status and the server's HTTP status follow from the type in one place
//! each. Every user error has a stable [`UserError::code`] for programs.

use crate::typology::UnknownValue;
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

/// Why training could not start or finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// A training setting is out of its range.
    #[error("setting `{name}`: {reason}")]
    Setting {
        /// The setting, as [`crate::classify::TrainConfig`] names it.
        name: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// An axis has too few labelled examples for cross-validation.
    #[error("axis {axis}: {examples} labelled examples (smallest class {smallest}) are too few for {folds}-fold cross-validation")]
    TooFewExamples {
        /// The axis.
        axis: crate::typology::Axis,
        /// Labelled examples on it.
        examples: usize,
        /// Examples of its rarest class.
        smallest: usize,
        /// Folds asked for.
        folds: usize,
    },
    /// An axis that needs evaluating has no labelled example.
    #[error("axis {axis}: the corpus has no labelled examples")]
    NoExamples {
        /// The axis.
        axis: crate::typology::Axis,
    },
    /// The corpus holds no labelled record at all.
    #[error("the corpus has no labelled records")]
    NoLabels,
    /// A learner failed to fit (linfa's message).
    #[error("{learner}: {reason}")]
    Fit {
        /// Which learner.
        learner: &'static str,
        /// linfa's message.
        reason: String,
    },
}

/// Faults of the input or the request: the user can fix them.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// A record in an input file is invalid.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// `--strict` input with invalid records: every one of them, and
    /// nothing was written.
    #[error("{}", rejected_message(errors))]
    Rejected {
        /// Each invalid record, in input order.
        errors: Vec<RecordError>,
    },
    /// A corpus file to train or evaluate on has invalid records: a
    /// corpus must be clean. All of the file's errors are kept.
    #[error("{}: {} invalid record(s); fix them before training", path.display(), errors.len())]
    InvalidCorpus {
        /// The file.
        path: PathBuf,
        /// Each invalid record.
        errors: Vec<RecordError>,
    },
    /// An input file could not be opened or read.
    #[error("{path}: {source}")]
    Input {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The input format could not be recognised from the file name.
    #[error("{path}: unknown input format (expected .jsonl, .json, .csv, .txt or .md)")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// A search query could not be parsed.
    #[error("query syntax error: {0}")]
    QuerySyntax(String),
    /// A kind, axis, class, sector or scope that the typology lacks.
    #[error(transparent)]
    UnknownValue(#[from] UnknownValue),
    /// A class given where a class of another axis belongs.
    #[error("`{class}` is a {} class, not a {axis} class", class.axis())]
    WrongAxis {
        /// The class given.
        class: crate::typology::Class,
        /// The axis it was given for.
        axis: crate::typology::Axis,
    },
    /// A column mapping (`description=Objectives`) that cannot be used.
    #[error("column mapping `{mapping}`: {reason}")]
    ColumnMapping {
        /// The mapping as given.
        mapping: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A label correction that cannot be made as asked (an axis the
    /// record's kind does not have, a missing reason or name).
    #[error("correction: {0}")]
    Correction(String),
    /// A record id that is not in the index.
    #[error("no record with id `{0}`")]
    NotFound(String),
    /// A record with nothing to classify.
    #[error("record `{id}` has an empty {field}: nothing to classify")]
    EmptyText {
        /// The record.
        id: String,
        /// `description` or `text`.
        field: &'static str,
    },
    /// A model file the user named is unusable (wrong version, typology,
    /// analyzer, damaged).
    #[error("model {path}: {reason}")]
    Model {
        /// Where the model came from.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Training could not proceed.
    #[error("training: {0}")]
    Train(#[from] TrainError),
    /// A directory named as an index that is not one.
    #[error("index {path}: {reason}")]
    NotAnIndex {
        /// The directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A sort asked of an index written before sort keys existed.
    #[error("index {path} was written before sorting existed (schema {version}); `partnerkb reindex --index {path}` rebuilds it with the sort keys, from its own records")]
    SortNeedsReindex {
        /// The directory.
        path: PathBuf,
        /// Its schema version.
        version: u32,
    },
}

impl UserError {
    /// A stable, machine-readable name for the fault (README, "Errors").
    pub fn code(&self) -> &'static str {
        match self {
            UserError::Record(_) => "invalid_record",
            UserError::Rejected { .. } => "rejected",
            UserError::InvalidCorpus { .. } => "invalid_corpus",
            UserError::Input { .. } => "unreadable_input",
            UserError::UnknownFormat { .. } => "unknown_format",
            UserError::QuerySyntax(_) => "query_syntax",
            UserError::UnknownValue(_) => "unknown_value",
            UserError::WrongAxis { .. } => "wrong_axis",
            UserError::ColumnMapping { .. } => "column_mapping",
            UserError::NotFound(_) => "not_found",
            UserError::Correction(_) => "bad_correction",
            UserError::EmptyText { .. } => "empty_text",
            UserError::Model { .. } => "bad_model",
            UserError::Train(_) => "training",
            UserError::NotAnIndex { .. } => "not_an_index",
            UserError::SortNeedsReindex { .. } => "needs_reindex",
        }
    }
}

/// Faults of the system: nothing the user typed is wrong.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    /// The search index failed.
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory could not be created, read or written.
    #[error("index {path}: {reason}")]
    IndexDir {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A file partnerkb manages (a model it writes, a marker) failed.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Something stored is not what was written (a damaged document).
    #[error("{what} is damaged: {reason}")]
    Damaged {
        /// What (`record `x` in the index`, `the bundled corpus`).
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// Another process holds the index's writer lock.
    #[error("index {path}: another partnerkb process is writing to this index")]
    WriterBusy {
        /// The directory.
        path: PathBuf,
    },
    /// Writing output failed.
    #[error("output: {0}")]
    Output(#[source] std::io::Error),
    /// The corrections journal could not be read or written.
    #[error("corrections journal {path}: {reason}")]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl InternalError {
    /// An output error from the csv crate, keeping its I/O error (and so a
    /// broken pipe) when it has one.
    pub fn csv_output(e: csv::Error) -> InternalError {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => InternalError::Output(io),
            other => InternalError::Output(std::io::Error::other(format!("{other:?}"))),
        }
    }
}

impl InternalError {
    /// A stable name for the fault.
    pub fn code(&self) -> &'static str {
        match self {
            InternalError::Index(_) => "index",
            InternalError::IndexDir { .. } => "index_dir",
            InternalError::File { .. } => "file",
            InternalError::Damaged { .. } => "damaged",
            InternalError::WriterBusy { .. } => "busy",
            InternalError::Output(_) => "output",
            InternalError::Journal { .. } => "journal",
        }
    }
}

/// Everything that can go wrong in partnerkb: the user's fault or the
/// system's.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input or request is at fault.
    #[error(transparent)]
    User(#[from] UserError),
    /// The system is at fault.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl Error {
    /// True when the input, not the system, is at fault.
    pub fn is_user_error(&self) -> bool {
        matches!(self, Error::User(_))
    }

    /// The fault's stable code (`query_syntax`, `not_found`, `index`…).
    pub fn code(&self) -> &'static str {
        match self {
            Error::User(e) => e.code(),
            Error::Internal(e) => e.code(),
        }
    }

    /// The user error, if it is one.
    pub fn user(&self) -> Option<&UserError> {
        match self {
            Error::User(e) => Some(e),
            Error::Internal(_) => None,
        }
    }
}

macro_rules! user_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Error {
                Error::User(e.into())
            }
        }
    )*};
}
user_from!(RecordError, UnknownValue, TrainError);

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Error {
        Error::Internal(e.into())
    }
}

/// Shorthand used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `3 invalid record(s) under --strict, nothing was written: a.jsonl:2: id: …;
/// a.jsonl:5: …` (the first 20 named; a caller wanting all has them).
fn rejected_message(errors: &[RecordError]) -> String {
    const SHOWN: usize = 20;
    let mut listed: Vec<String> = errors.iter().take(SHOWN).map(|e| e.to_string()).collect();
    if errors.len() > SHOWN {
        listed.push(format!("and {} more", errors.len() - SHOWN));
    }
    format!(
        "{} invalid record(s) under --strict, nothing was written: {}",
        errors.len(),
        listed.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whose_fault_follows_from_the_type() {
        let user: Error = UserError::NotFound("x".into()).into();
        assert!(user.is_user_error());
        assert_eq!(user.code(), "not_found");
        let internal: Error = InternalError::Damaged {
            what: "record `x`".into(),
            reason: "bad JSON".into(),
        }
        .into();
        assert!(!internal.is_user_error());
        assert_eq!(internal.code(), "damaged");
    }
}
