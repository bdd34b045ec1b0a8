//! CSV reader with column recognition.
//!
//! Registry exports name their columns however their web form did
//! ("Title", "Objectives", "Lead entity"). Columns are matched to record
//! fields through a table of usual names, overridable with an explicit
//! [`ColumnMap`]; columns that match nothing are reported once by
//! [`CsvRecords::unmapped`] and otherwise left alone.

use super::{finish, slugify, Item};
use crate::error::{Error, RecordError, Result, UserError};
use crate::record::{AppliesTo, Kind, Lesson, Partner, Partnership, PartnershipLabels, Record};
use crate::typology::{Axis, Class, Sector};
use std::collections::BTreeMap;
use std::io::Read;

/// Explicit `field = column` assignments (`--field description=Objectives`).
#[derive(Debug, Clone, Default)]
pub struct ColumnMap {
    /// Record field → CSV column header.
    pub explicit: BTreeMap<String, String>,
}

impl ColumnMap {
    /// Parse `field=Column` pairs.
    pub fn parse(pairs: &[String]) -> Result<ColumnMap> {
        let mut explicit = BTreeMap::new();
        for pair in pairs {
            let (field, column) = pair
                .split_once('=')
                .ok_or_else(|| UserError::ColumnMapping {
                    mapping: pair.clone(),
                    reason: "expected FIELD=COLUMN".into(),
                })?;
            let field = field.trim();
            if !ALIASES.iter().any(|(f, _)| *f == field) {
                return Err(UserError::ColumnMapping {
                    mapping: pair.clone(),
                    reason: format!(
                        "unknown field `{field}`, expected one of: {}",
                        ALIASES
                            .iter()
                            .map(|(f, _)| *f)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
                .into());
            }
            explicit.insert(field.to_string(), column.trim().to_string());
        }
        Ok(ColumnMap { explicit })
    }
}

/// Record fields and the column names registries commonly use for them
/// (compared lowercased, with spaces, dashes and underscores ignored).
const ALIASES: &[(&str, &[&str])] = &[
    (
        "id",
        &["id", "identifier", "partnershipid", "ref", "reference"],
    ),
    (
        "name",
        &[
            "name",
            "title",
            "partnershipname",
            "partnershiptitle",
            "initiative",
            "initiativename",
        ],
    ),
    (
        "description",
        &[
            "description",
            "summary",
            "objectives",
            "objective",
            "aims",
            "goals",
            "abstract",
            "purpose",
            "partnershipdescription",
        ],
    ),
    (
        "lead",
        &[
            "lead",
            "leadentity",
            "leadorganisation",
            "leadorganization",
            "leadpartner",
            "leadpartners",
            "coordinator",
        ],
    ),
    (
        "partners",
        &[
            "partners",
            "partner",
            "members",
            "partnerorganisations",
            "partnerorganizations",
            "otherpartners",
        ],
    ),
    (
        "themes",
        &[
            "themes",
            "theme",
            "sdgs",
            "sdg",
            "agenda21chapters",
            "agenda21chapter",
            "topics",
            "sector",
            "sectors",
            "thematicarea",
            "thematicareas",
        ],
    ),
    (
        "scope",
        &[
            "scope",
            "geographicalcoverage",
            "geographicalscope",
            "geographiccoverage",
            "geographicscope",
            "coverage",
        ],
    ),
    (
        "start_year",
        &[
            "startyear",
            "start",
            "startdate",
            "year",
            "launched",
            "since",
        ],
    ),
    ("end_year", &["endyear", "end", "enddate"]),
    ("url", &["url", "website", "web", "link"]),
    ("function", &["function"]),
    ("mode", &["mode"]),
    ("confidence", &["confidence"]),
    ("title", &["title", "heading"]),
    ("text", &["text", "lesson", "body", "content"]),
    ("challenge", &["challenge"]),
    (
        "applies_function",
        &["appliesfunction", "appliestofunction"],
    ),
    ("applies_mode", &["appliesmode", "appliestomode"]),
    ("source", &["source", "citation"]),
    ("examples", &["examples", "example"]),
];

fn normalize_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Streams records from CSV with a header row.
pub struct CsvRecords {
    name: String,
    reader: csv::Reader<Box<dyn Read + Send>>,
    kind: Kind,
    /// field → column index
    fields: BTreeMap<&'static str, usize>,
    headers: Vec<String>,
    unmapped: Vec<String>,
    record: csv::ByteRecord,
    done: bool,
}

/// The record fields a CSV column can fill, per kind of record.
fn wanted_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Partnership => &[
            "id",
            "name",
            "description",
            "lead",
            "partners",
            "themes",
            "scope",
            "start_year",
            "end_year",
            "url",
            "function",
            "mode",
            "confidence",
        ],
        Kind::Lesson => &[
            "id",
            "title",
            "text",
            "challenge",
            "applies_function",
            "applies_mode",
            "source",
            "examples",
        ],
    }
}

/// Field → column index: explicit `--field` mappings first, then the
/// first unclaimed column whose normalised name is one of the field's
/// aliases.
fn map_columns(
    kind: Kind,
    headers: &[String],
    normalized: &[String],
    columns: &ColumnMap,
) -> std::result::Result<BTreeMap<&'static str, usize>, String> {
    let mut fields = BTreeMap::new();
    for (field, column) in &columns.explicit {
        let idx = headers
            .iter()
            .position(|h| h == column)
            .or_else(|| {
                normalized
                    .iter()
                    .position(|h| *h == normalize_header(column))
            })
            .ok_or_else(|| format!("--field {field}={column}: no such column"))?;
        let field = ALIASES.iter().find(|(f, _)| f == field).map(|(f, _)| *f);
        if let Some(field) = field {
            fields.insert(field, idx);
        }
    }
    for &field in wanted_fields(kind) {
        if fields.contains_key(field) {
            continue;
        }
        let aliases = ALIASES.iter().find(|(f, _)| *f == field).map(|(_, a)| *a);
        for alias in aliases.unwrap_or(&[]) {
            if let Some(idx) = normalized.iter().position(|h| h == alias) {
                if !fields.values().any(|&v| v == idx) {
                    fields.insert(field, idx);
                    break;
                }
            }
        }
    }
    Ok(fields)
}

impl CsvRecords {
    /// Read the header and map columns to fields.
    pub fn new(
        name: String,
        reader: Box<dyn Read + Send>,
        kind: Option<Kind>,
        columns: ColumnMap,
    ) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(Box::new(CrlfToLf::new(reader)) as Box<dyn Read + Send>);
        let header_error = |reason: String| -> Error {
            RecordError {
                file: name.clone(),
                line: 1,
                field: "header".into(),
                reason,
            }
            .into()
        };
        let headers: Vec<String> = reader
            .byte_headers()
            .map_err(|e| header_error(format!("unreadable header: {e}")))?
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .to_string()
            })
            .collect();
        if headers.iter().all(|h| h.is_empty()) {
            return Err(header_error("empty file or empty header row".into()));
        }
        let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
        let kind = kind.unwrap_or_else(|| {
            if normalized.iter().any(|h| h == "text" || h == "lesson") {
                Kind::Lesson
            } else {
                Kind::Partnership
            }
        });
        let fields = map_columns(kind, &headers, &normalized, &columns).map_err(header_error)?;
        let unmapped = headers
            .iter()
            .enumerate()
            .filter(|(i, _)| !fields.values().any(|v| v == i))
            .map(|(_, h)| h.clone())
            .collect();
        Ok(CsvRecords {
            name,
            reader,
            kind,
            fields,
            headers,
            unmapped,
            record: csv::ByteRecord::new(),
            done: false,
        })
    }

    /// Columns that no record field took.
    pub fn unmapped(&self) -> &[String] {
        &self.unmapped
    }

    /// The header row as read.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The record kind being read.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    fn parse(&self, line: u64) -> Item {
        let row = Row { csv: self, line };
        if self.record.len() != self.headers.len() {
            return Err(row.error(
                "record",
                format!(
                    "expected {} columns as in the header, found {}",
                    self.headers.len(),
                    self.record.len()
                ),
            ));
        }
        let record = match self.kind {
            Kind::Partnership => row.partnership()?,
            Kind::Lesson => row.lesson()?,
        };
        finish(&self.name, line, record).map(|mut located| {
            located.raw = Some(super::Raw::Csv(
                self.record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            ));
            located
        })
    }
}

/// The current CSV row, read field by field; every failure is located at
/// the row's line and named by field.
struct Row<'a> {
    csv: &'a CsvRecords,
    line: u64,
}

type Field<T> = std::result::Result<T, RecordError>;

impl Row<'_> {
    fn error(&self, field: &str, reason: String) -> RecordError {
        RecordError {
            file: self.csv.name.clone(),
            line: self.line,
            field: field.to_string(),
            reason,
        }
    }

    /// The trimmed text of `field`'s column; `None` when the field has no
    /// column or the cell is blank.
    fn get(&self, field: &str) -> Field<Option<String>> {
        let Some(&idx) = self.csv.fields.get(field) else {
            return Ok(None);
        };
        let raw = self.csv.record.get(idx).unwrap_or_default();
        let text = std::str::from_utf8(raw)
            .map_err(|e| self.error(field, format!("invalid UTF-8 at byte {}", e.valid_up_to())))?;
        let text = text.trim();
        Ok((!text.is_empty()).then(|| text.to_string()))
    }

    /// A `;`- or `|`-separated list.
    fn list(&self, field: &str) -> Field<Vec<String>> {
        Ok(self
            .get(field)?
            .map(|s| {
                s.split([';', '|'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// A class of `axis`, checked here, once; the error names `field` as
    /// the JSONL reader names it.
    fn class(&self, axis: Axis, column: &str, field: &str) -> Field<Option<Class>> {
        self.get(column)?
            .map(|v| Class::parse(axis, &v).map_err(|e| self.error(field, e.to_string())))
            .transpose()
    }

    fn classes(&self, axis: Axis, column: &str) -> Field<Vec<Class>> {
        self.list(column)?
            .iter()
            .enumerate()
            .map(|(i, v)| {
                Class::parse(axis, v)
                    .map_err(|e| self.error(&format!("applies_to.{axis}[{i}]"), e.to_string()))
            })
            .collect()
    }

    /// The id column, or a slug of the name when there is none.
    fn id_or_slug(&self, name: &str) -> Field<String> {
        Ok(self.get("id")?.unwrap_or_else(|| slugify(name)))
    }

    fn partnership(&self) -> Field<Record> {
        // Fields are read in the order of the original columns' checks, so
        // the first problem reported stays the same.
        let name = self.get("name")?.unwrap_or_default();
        let id = self.id_or_slug(&name)?;
        let start_year = match self.get("start_year")? {
            None => None,
            Some(s) => Some(
                parse_year(&s)
                    .ok_or_else(|| self.error("start_year", format!("`{s}` is not a year")))?,
            ),
        };
        let partners = self
            .list("partners")?
            .iter()
            .map(|p| parse_partner(p))
            .collect();
        let function = self.class(Axis::Function, "function", "labels.function")?;
        let mode = self.class(Axis::Mode, "mode", "labels.mode")?;
        Ok(Record::Partnership(Partnership {
            id,
            name,
            description: self.get("description")?.unwrap_or_default(),
            partners,
            lead: self.get("lead")?,
            themes: self
                .list("themes")?
                .into_iter()
                .map(|t| t.to_lowercase())
                .collect(),
            // The text is kept; [`super::finish`] maps it to a scope.
            scope: None,
            scope_text: self.get("scope")?,
            start_year,
            url: self.get("url")?,
            labels: (function.is_some() || mode.is_some())
                .then_some(PartnershipLabels { function, mode }),
            confidence: self.get("confidence")?,
        }))
    }

    fn lesson(&self) -> Field<Record> {
        let title = self.get("title")?.unwrap_or_default();
        let id = self.id_or_slug(&title)?;
        Ok(Record::Lesson(Lesson {
            id,
            title,
            text: self.get("text")?.unwrap_or_default(),
            challenge: self.class(Axis::Challenge, "challenge", "challenge")?,
            applies_to: AppliesTo {
                function: self.classes(Axis::Function, "applies_function")?,
                mode: self.classes(Axis::Mode, "applies_mode")?,
            },
            source: self.get("source")?,
            examples: self.list("examples")?,
        }))
    }
}

/// Turns CRLF line ends into LF before the CSV parser sees them: the csv
/// crate counts one line too few after a CRLF header, which would make every
/// error message point at the wrong line of a Windows-exported registry.
struct CrlfToLf<R> {
    inner: R,
    /// A `\r` read at the end of the previous chunk, not yet known to be
    /// followed by `\n`.
    pending_cr: bool,
}

impl<R: Read> CrlfToLf<R> {
    fn new(inner: R) -> Self {
        CrlfToLf {
            inner,
            pending_cr: false,
        }
    }
}

impl<R: Read> Read for CrlfToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Leave room to emit a held-back `\r`.
        let limit = buf.len() - usize::from(self.pending_cr);
        let start = usize::from(self.pending_cr);
        let n = self.inner.read(&mut buf[start..start + limit])?;
        if self.pending_cr {
            buf[0] = b'\r';
            self.pending_cr = false;
        }
        let end = start + n;
        if n == 0 {
            return Ok(start);
        }
        let mut out = 0;
        let mut i = 0;
        while i < end {
            let b = buf[i];
            if b == b'\r' {
                if i + 1 < end {
                    if buf[i + 1] == b'\n' {
                        i += 1;
                        continue;
                    }
                } else {
                    // Decide with the next chunk.
                    self.pending_cr = true;
                    i += 1;
                    continue;
                }
            }
            buf[out] = b;
            out += 1;
            i += 1;
        }
        if out == 0 && self.pending_cr {
            // Only a lone pending `\r` so far: read more rather than
            // returning 0, which would mean end of file.
            return self.read(buf);
        }
        Ok(out)
    }
}

/// `Name (sector)` gives the sector; a partner without a recognised one
/// is known by name only, and [`super::finish`] infers its sector from the
/// name (or leaves it `other`).
fn parse_partner(text: &str) -> Partner {
    if let Some(open) = text.rfind('(') {
        if text.ends_with(')') {
            let sector = &text[open + 1..text.len() - 1];
            if let Ok(sector) = Sector::parse(sector) {
                return Partner::given(text[..open].trim(), sector);
            }
        }
    }
    Partner::named(text.trim())
}

/// Accept `2002`, `2002-09-01`, `01/09/2002`, `September 2002`.
fn parse_year(text: &str) -> Option<i32> {
    let digits: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| s.len() == 4)
        .collect();
    digits
        .first()
        .and_then(|d| d.parse().ok())
        .filter(|y| (1800..=2200).contains(y))
}

impl Iterator for CsvRecords {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if self.done {
            return None;
        }
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) => {
                    let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                    if self
                        .record
                        .iter()
                        .all(|f| f.iter().all(u8::is_ascii_whitespace))
                    {
                        continue;
                    }
                    return Some(self.parse(line));
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        self.done = true;
                    }
                    return Some(Err(RecordError {
                        file: self.name.clone(),
                        line,
                        field: "record".into(),
                        reason: format!("unreadable CSV row: {e}"),
                    }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_read_from_the_forms_registries_write() {
        assert_eq!(parse_year("2002"), Some(2002));
        assert_eq!(parse_year("2002-09-01"), Some(2002));
        assert_eq!(parse_year("01/09/2002"), Some(2002));
        assert_eq!(parse_year("September 2002"), Some(2002));
        assert_eq!(parse_year(" since 1998 "), Some(1998));
        // Two-digit years, phone-like numbers and out-of-range years are
        // not guessed.
        assert_eq!(parse_year("02"), None);
        assert_eq!(parse_year("12345"), None);
        assert_eq!(parse_year("0999"), None);
        assert_eq!(parse_year("n/a"), None);
    }

    #[test]
    fn a_partner_keeps_its_name_and_a_given_sector_or_is_known_by_name() {
        use crate::record::SectorOrigin;
        let p = parse_partner("World Health Organization (un)");
        assert_eq!(
            (p.name.as_str(), p.sector, p.sector_origin),
            ("World Health Organization", Sector::Un, SectorOrigin::Given)
        );
        let p = parse_partner("Rotary International (civil society)");
        assert_eq!(p.sector, Sector::CivilSociety);
        // A parenthesis that is not a sector stays part of the name, and
        // the sector is left for the gazetteer.
        let p = parse_partner("Global Water Partnership (GWP)");
        assert_eq!(
            (p.name.as_str(), p.sector, p.sector_origin),
            (
                "Global Water Partnership (GWP)",
                Sector::Other,
                SectorOrigin::Unknown
            )
        );
    }

    #[test]
    fn crlf_becomes_lf_across_chunk_boundaries() {
        let input: &[u8] = b"a,b\r\nc,\"d\re\"\r\n\r";
        // A reader that returns one byte at a time.
        struct Slow<'a>(&'a [u8]);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        for boxed in [Box::new(input) as Box<dyn Read>, Box::new(Slow(input))] {
            let mut out = Vec::new();
            CrlfToLf::new(boxed).read_to_end(&mut out).unwrap();
            assert_eq!(out, b"a,b\nc,\"d\re\"\n\r");
        }
    }
}
