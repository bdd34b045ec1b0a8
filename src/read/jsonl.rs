//! JSON Lines reader.

use super::{finish, Item};
use crate::error::RecordError;
use crate::record::{Kind, Lesson, Partnership, Record};
use std::io::{BufRead, BufReader, Read};

/// Streams records from JSON Lines, one object per line; blank lines are
/// skipped. Lines are read as bytes so that one line of invalid UTF-8 is
/// reported and skipped instead of ending the file.
pub struct JsonlRecords {
    name: String,
    reader: BufReader<Box<dyn Read + Send>>,
    kind: Option<Kind>,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl JsonlRecords {
    /// Read from `reader`; `name` is used in error messages.
    pub fn new(name: String, reader: Box<dyn Read + Send>, kind: Option<Kind>) -> Self {
        JsonlRecords {
            name,
            reader: BufReader::with_capacity(1 << 16, reader),
            kind,
            line: 0,
            buf: Vec::new(),
            done: false,
        }
    }

    fn error(&self, field: &str, reason: impl Into<String>) -> RecordError {
        RecordError {
            file: self.name.clone(),
            line: self.line,
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

impl Iterator for JsonlRecords {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if self.done {
                return None;
            }
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    self.line += 1;
                    return Some(Err(self.error("record", format!("read failed: {e}"))));
                }
            }
            self.line += 1;
            let mut bytes: &[u8] = &self.buf;
            if self.line == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    return Some(Err(self.error(
                        "record",
                        format!("invalid UTF-8 at byte {}", e.valid_up_to()),
                    )))
                }
            };
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            return Some(parse_line(&self.name, self.line, text, self.kind));
        }
    }
}

/// Parse one JSON line into a record, naming the failing field.
pub(crate) fn parse_line(file: &str, line: u64, text: &str, kind: Option<Kind>) -> Item {
    let err = |field: &str, reason: String| RecordError {
        file: file.to_string(),
        line,
        field: field.to_string(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| err("record", format!("malformed JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| err("record", "expected a JSON object".into()))?;
    let raw = object.clone();
    // `partnerkb export --corrections` writes a record's correction trail
    // beside it: it belongs to the record's history, not to its fields.
    let mut value = value;
    if let Some(object) = value.as_object_mut() {
        if object.get("corrections").is_some_and(|v| v.is_array()) {
            object.remove("corrections");
        }
    }
    let object = value.as_object().expect("checked above");
    let kind = kind.unwrap_or_else(|| {
        if object.contains_key("text") || object.contains_key("title") {
            Kind::Lesson
        } else {
            Kind::Partnership
        }
    });
    let record = match kind {
        Kind::Partnership => serde_path_to_error::deserialize::<_, Partnership>(value)
            .map(Record::Partnership)
            .map_err(|e| located_serde_error(e, &err)),
        Kind::Lesson => serde_path_to_error::deserialize::<_, Lesson>(value)
            .map(Record::Lesson)
            .map_err(|e| located_serde_error(e, &err)),
    }?;
    finish(file, line, record).map(|mut located| {
        located.raw = Some(super::Raw::Json(raw));
        located
    })
}

/// serde reports a missing field at the parent path with the field's name
/// in backticks; pull it out so the error names the field. An unknown
/// field's path already ends with the field itself.
fn located_serde_error(
    e: serde_path_to_error::Error<serde_json::Error>,
    err: &dyn Fn(&str, String) -> RecordError,
) -> RecordError {
    let path = e.path().to_string();
    let message = e.inner().to_string();
    let missing = message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("missing field"));
    let field = match (missing, path.as_str()) {
        (Some(name), ".") => name.to_string(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, p) => p.to_string(),
    };
    // A key that is empty or blank names nothing: blame the record.
    if field.trim().is_empty() {
        return err("record", message);
    }
    err(&field, message)
}
