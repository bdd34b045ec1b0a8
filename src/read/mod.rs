//! Readers: JSON Lines, CSV and plain-text/Markdown documents → records.
//!
//! Every reader yields records one at a time together with the line they
//! started on, and reports a bad record as a [`RecordError`] naming file,
//! line and field, then carries on: one broken row never costs the rest of
//! the file. Input may be UTF-8 with or without a byte-order mark, with LF or
//! CRLF line endings.

mod csv_reader;
mod document;
mod jsonl;

pub use csv_reader::{ColumnMap, CsvRecords};
pub use document::split_passages;
pub use jsonl::JsonlRecords;

use crate::error::{Error, RecordError, Result, UserError};
use crate::record::{Kind, Record};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The input formats partnerkb understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// Plain text or Markdown, split into passages.
    Document,
}

impl Format {
    /// Recognise the format from a file name.
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("jsonl" | "ndjson" | "json") => Ok(Format::Jsonl),
            Some("csv") => Ok(Format::Csv),
            Some("txt" | "md" | "markdown" | "text") => Ok(Format::Document),
            _ => Err(UserError::UnknownFormat {
                path: path.to_path_buf(),
            }
            .into()),
        }
    }
}

/// A record and the line it started on.
#[derive(Debug, Clone)]
pub struct Located {
    /// 1-based line number.
    pub line: u64,
    /// The record.
    pub record: Record,
    /// The input row as read, so batch output can carry every input column
    /// through untouched (CSV and JSONL; `None` for documents).
    pub raw: Option<Raw>,
}

/// An input row as read.
#[derive(Debug, Clone)]
pub enum Raw {
    /// CSV fields, in header order.
    Csv(Vec<String>),
    /// The JSON object.
    Json(serde_json::Map<String, serde_json::Value>),
}

/// An opened input: its records, and what a user should know about its
/// columns.
pub struct Opened {
    /// The records.
    pub items: Box<dyn Iterator<Item = Item> + Send>,
    /// The CSV header row (CSV only).
    pub headers: Option<Vec<String>>,
    /// CSV columns that no record field took (carried through untouched).
    pub unmapped: Vec<String>,
    /// The record kind, when the whole input is of one kind (CSV).
    pub kind: Option<Kind>,
    /// Bytes of the file read so far (for progress and ETA).
    pub bytes_read: Arc<AtomicU64>,
    /// Size of the file.
    pub total_bytes: Option<u64>,
}

/// Counts the bytes that pass through, so progress can be reported against
/// the file size while records stream.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What a reader yields: a record or the reason one could not be read.
pub type Item = std::result::Result<Located, RecordError>;

/// Open `path` and stream its records. `kind` forces the record kind; by
/// default it is recognised from the fields present.
pub fn read_path(
    path: &Path,
    kind: Option<Kind>,
    columns: &ColumnMap,
) -> Result<Box<dyn Iterator<Item = Item> + Send>> {
    Ok(open_path(path, kind, columns)?.items)
}

/// Like [`read_path`], also telling the CSV header and unmapped columns.
pub fn open_path(path: &Path, kind: Option<Kind>, columns: &ColumnMap) -> Result<Opened> {
    let format = Format::from_path(path)?;
    let io = |source| -> Error {
        UserError::Input {
            path: path.to_path_buf(),
            source,
        }
        .into()
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::other("is a directory, expected a file")));
    }
    let file = File::open(path).map_err(io)?;
    let name = path.display().to_string();
    let bytes_read = Arc::new(AtomicU64::new(0));
    let reader: Box<dyn Read + Send> = Box::new(BufReader::new(Counting {
        inner: file,
        count: bytes_read.clone(),
    }));
    let total_bytes = Some(meta.len());
    let opened = if format == Format::Csv {
        let csv = CsvRecords::new(name, reader, kind, columns.clone());
        csv.map(|csv| Opened {
            headers: Some(csv.headers().to_vec()),
            unmapped: csv.unmapped().to_vec(),
            kind: Some(csv.kind()),
            items: Box::new(csv),
            bytes_read,
            total_bytes,
        })
    } else {
        open_reader(name, reader, format, kind, columns).map(|items| Opened {
            items,
            headers: None,
            unmapped: Vec::new(),
            kind,
            bytes_read,
            total_bytes,
        })
    };
    opened.map_err(|e| match e {
        Error::User(UserError::Input { source, .. }) => io(source),
        other => other,
    })
}

/// Stream the records of an in-memory input (the bundled corpus, an HTTP
/// body).
pub fn read_bytes(
    name: &str,
    bytes: &'static [u8],
    format: Format,
    kind: Option<Kind>,
) -> Result<Box<dyn Iterator<Item = Item> + Send>> {
    open_reader(
        name.to_string(),
        Box::new(bytes),
        format,
        kind,
        &ColumnMap::default(),
    )
}

/// Stream records from any reader.
pub fn open_reader(
    name: String,
    reader: Box<dyn Read + Send>,
    format: Format,
    kind: Option<Kind>,
    columns: &ColumnMap,
) -> Result<Box<dyn Iterator<Item = Item> + Send>> {
    Ok(match format {
        Format::Jsonl => Box::new(JsonlRecords::new(name, reader, kind)),
        Format::Csv => Box::new(CsvRecords::new(name, reader, kind, columns.clone())?),
        Format::Document => {
            let mut reader = reader;
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .map_err(|source| UserError::Input {
                    path: name.clone().into(),
                    source,
                })?;
            Box::new(document::read_document(&name, &bytes).into_iter())
        }
    })
}

/// Validate and canonicalise a freshly parsed record, reporting the first
/// problem as a located error. Every problem is listed in the reason so a
/// user can fix a record in one go.
pub(crate) fn finish(file: &str, line: u64, mut record: Record) -> Item {
    let problems = record.validate();
    if let Some((field, reason)) = problems.first() {
        let mut reason = reason.clone();
        for (f, r) in problems.iter().skip(1) {
            reason.push_str(&format!("; also {f}: {r}"));
        }
        return Err(RecordError {
            file: file.to_string(),
            line,
            field: field.clone(),
            reason,
        });
    }
    if let Record::Partnership(p) = &mut record {
        p.normalize();
        // What the input left open (a partner's sector, the scope of a
        // coverage text) is read from its names, the same for every
        // format; what it gave stays.
        crate::gazetteer::complete(p);
    }
    Ok(Located {
        line,
        record,
        raw: None,
    })
}

/// Turn a free-text name into an id slug.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash && !slug.is_empty() {
            slug.push('-');
            dash = true;
        }
    }
    // Cut first, then trim: a cut can end on a dash.
    slug.truncate(80);
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_are_lowercase_ascii_words_joined_by_dashes() {
        assert_eq!(
            slugify("Global Alliance for Vaccines & Immunization"),
            "global-alliance-for-vaccines-immunization"
        );
        assert_eq!(slugify("  --UN-Water--  "), "un-water");
        assert_eq!(slugify("Salud Mesoamérica 2015"), "salud-mesoam-rica-2015");
        assert_eq!(slugify("!!!"), "");
        let long = "word ".repeat(40);
        assert!(slugify(&long).len() <= 80);
        assert!(!slugify(&long).ends_with('-'));
    }
}
