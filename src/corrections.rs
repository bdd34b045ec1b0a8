//! Label corrections: what a person set or confirmed, by whom, when and
//! why, kept in an append-only journal beside the index.
//!
//! The journal (`corrections.jsonl` in the index directory) is the source
//! of truth; the index holds its effect (the corrected labels, facets and
//! notes) so searches and counts see corrections at once. Why a journal
//! and not just the index:
//!
//! * **Accountability.** Every change is kept with its predecessor, so a
//!   record's trail can be shown and exported; the index keeps only the
//!   current label.
//! * **Durability across rebuilds.** Re-ingesting a record, rebuilding the
//!   default index for a new corpus and `reindex` all write documents anew;
//!   each applies the journal's latest correction per axis on the way in.
//! * **Crash safety.** A line is written with one `write` on a file opened
//!   for appending and synced before the command or request returns; a
//!   line cut short by a crash is reported with its number by `doctor`
//!   and skipped, never taking the lines around it with it.

use crate::error::{InternalError, Result};
use crate::label::{AssignedLabel, CorrectionNote, Origin};
use crate::record::{Kind, Record};
use crate::typology::{Axis, Class};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The journal's file name inside an index directory.
pub const JOURNAL_FILE: &str = "corrections.jsonl";

/// What a correction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The label was set to a (possibly different) class.
    Set,
    /// The current label was confirmed as right.
    Confirm,
}

/// The label a correction replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Previous {
    /// Its class.
    #[serde(with = "class_name")]
    pub label: Class,
    /// Gold, predicted or corrected.
    pub origin: Origin,
    /// The model's probability, when it was predicted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawCorrection")]
pub struct Correction {
    /// Position in the journal, from 1; later corrections win.
    pub seq: u64,
    /// The record's kind.
    pub kind: Kind,
    /// The record's id.
    pub id: String,
    /// The axis corrected.
    pub axis: Axis,
    /// The class it now has.
    #[serde(serialize_with = "class_name::serialize")]
    pub label: Class,
    /// Set or confirm.
    pub action: Action,
    /// Who (a name the person gave).
    pub by: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The label before, if the record had one on this axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
    /// SHA-256 of the record's text when it was corrected, to tell later
    /// whether the text has changed since.
    pub text_sha256: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCorrection {
    seq: u64,
    kind: Kind,
    id: String,
    axis: Axis,
    label: String,
    action: Action,
    by: String,
    at: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    previous: Option<Previous>,
    text_sha256: String,
}

impl TryFrom<RawCorrection> for Correction {
    type Error = String;
    fn try_from(raw: RawCorrection) -> std::result::Result<Self, String> {
        if !raw.kind.axes().contains(&raw.axis) {
            return Err(format!(
                "axis `{}` is not an axis of {}s",
                raw.axis,
                raw.kind.name()
            ));
        }
        let label = Class::parse(raw.axis, &raw.label).map_err(|e| e.to_string())?;
        Ok(Correction {
            seq: raw.seq,
            kind: raw.kind,
            id: raw.id,
            axis: raw.axis,
            label,
            action: raw.action,
            by: raw.by,
            at: raw.at,
            reason: raw.reason,
            previous: raw.previous,
            text_sha256: raw.text_sha256,
        })
    }
}

/// A class written as its name; read back through the typology so a
/// `previous` label of another axis is caught.
mod class_name {
    use crate::typology::{Axis, Class};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(class: &Class, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(class.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Class, D::Error> {
        let name = String::deserialize(d)?;
        Axis::ALL
            .iter()
            .find_map(|&axis| Class::parse(axis, &name).ok())
            .ok_or_else(|| serde::de::Error::custom(format!("unknown label `{name}`")))
    }
}

impl Correction {
    /// The note a corrected label carries; `text` is the record's current
    /// text, compared with the text the correction was made on.
    pub fn note(&self, text: &str) -> CorrectionNote {
        CorrectionNote {
            action: self.action,
            by: self.by.clone(),
            at: self.at.clone(),
            reason: self.reason.clone(),
            seq: self.seq,
            text_changed: text_sha256(text) != self.text_sha256,
        }
    }

    /// The label this correction gives the record.
    pub fn label_for(&self, record: &Record) -> AssignedLabel {
        AssignedLabel::corrected(self.label, self.note(record.text()))
    }
}

/// SHA-256 of a record's text, in hex.
pub fn text_sha256(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The current time as RFC 3339 in UTC, to the second.
pub fn now() -> String {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0);
    let now = now.unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A journal line that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct DamagedLine {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// What a journal holds: the corrections in order and the lines that
/// could not be read.
#[derive(Debug, Clone, Default)]
pub struct Contents {
    /// Every readable correction, in journal order.
    pub entries: Vec<Correction>,
    /// Lines skipped because they are damaged.
    pub damaged: Vec<DamagedLine>,
    /// SHA-256 of the journal file's bytes (empty journal: of nothing).
    pub sha256: String,
}

impl Contents {
    /// The next sequence number.
    pub fn next_seq(&self) -> u64 {
        self.entries.iter().map(|c| c.seq).max().unwrap_or(0) + 1
    }

    /// The latest correction per record and axis: what the index should
    /// show.
    pub fn latest(&self) -> Latest {
        let mut by_id: HashMap<String, BTreeMap<Axis, Correction>> = HashMap::new();
        for c in &self.entries {
            let axes = by_id.entry(c.id.clone()).or_default();
            match axes.get(&c.axis) {
                Some(old) if old.seq > c.seq => {}
                _ => {
                    axes.insert(c.axis, c.clone());
                }
            }
        }
        Latest { by_id }
    }

    /// The trail of one record, in order.
    pub fn history(&self, id: &str) -> Vec<&Correction> {
        let mut trail: Vec<&Correction> = self.entries.iter().filter(|c| c.id == id).collect();
        trail.sort_by_key(|c| c.seq);
        trail
    }
}

/// The latest correction per record and axis.
#[derive(Debug, Clone, Default)]
pub struct Latest {
    by_id: HashMap<String, BTreeMap<Axis, Correction>>,
}

impl Latest {
    /// The corrections in force for record `id`, one per axis.
    pub fn of(&self, id: &str) -> impl Iterator<Item = &Correction> {
        self.by_id.get(id).into_iter().flat_map(|m| m.values())
    }

    /// Whether no record has a correction.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Ids of the corrected records, sorted.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.by_id.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// Number of corrected records.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Replace the labels on corrected axes of `record` with the
    /// corrections (a correction of another kind's record is ignored: the
    /// id now names something else).
    pub fn apply(&self, record: &Record, labels: &mut Vec<AssignedLabel>) {
        for c in self.of(record.id()) {
            if c.kind != record.kind() {
                continue;
            }
            labels.retain(|l| l.axis != c.axis);
            labels.push(c.label_for(record));
        }
        labels.sort_by_key(|l| l.axis);
    }
}

/// The journal file of an index.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// The journal of the index in `dir` (the file may not exist yet).
    pub fn of_index(dir: &Path) -> Journal {
        Journal {
            path: dir.join(JOURNAL_FILE),
        }
    }

    /// Where the journal lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read every line; damaged lines are listed, not fatal. A missing
    /// journal is an empty one.
    pub fn read(&self) -> Result<Contents> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(self.io_error(e)),
        };
        Ok(parse(&bytes))
    }

    /// Append `entries` and sync them to disk before returning.
    pub fn append(&self, entries: &[Correction]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let created = !self.path.exists();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&self.path)
            .map_err(|e| self.io_error(e))?;
        let mut text = String::new();
        // A crash may have cut the last line short: start on a line of our
        // own so that line stays the only damaged one.
        if !created && !ends_with_newline(&mut file).map_err(|e| self.io_error(e))? {
            text.push('\n');
        }
        for c in entries {
            text.push_str(&serde_json::to_string(c).expect("a correction serialises"));
            text.push('\n');
        }
        file.write_all(text.as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| self.io_error(e))?;
        if created {
            // The new file's name must be durable too.
            if let Some(dir) = self.path.parent() {
                if let Ok(d) = std::fs::File::open(dir) {
                    let _ = d.sync_all();
                }
            }
        }
        Ok(())
    }

    fn io_error(&self, e: std::io::Error) -> crate::Error {
        InternalError::Journal {
            path: self.path.clone(),
            reason: e.to_string(),
        }
        .into()
    }
}

fn ends_with_newline(file: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// Parse journal bytes: one correction per line, blank lines ignored.
pub fn parse(bytes: &[u8]) -> Contents {
    let mut contents = Contents {
        sha256: hex(&Sha256::digest(bytes)),
        ..Contents::default()
    };
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = i as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = std::str::from_utf8(line)
            .map_err(|e| format!("not UTF-8: {e}"))
            .and_then(|text| serde_json::from_str::<Correction>(text).map_err(|e| e.to_string()));
        match parsed {
            Ok(c) => contents.entries.push(c),
            Err(reason) => contents.damaged.push(DamagedLine {
                line: line_no,
                reason,
            }),
        }
    }
    contents
}

#[cfg(test)]
mod tests {
    use super::*;

    fn correction(seq: u64, id: &str, axis: Axis, label: &str) -> Correction {
        Correction {
            seq,
            kind: Kind::Partnership,
            id: id.into(),
            axis,
            label: Class::parse(axis, label).unwrap(),
            action: Action::Set,
            by: "amina".into(),
            at: "2026-12-02T10:00:00Z".into(),
            reason: Some("runs programmes".into()),
            previous: None,
            text_sha256: text_sha256("x"),
        }
    }

    #[test]
    fn a_damaged_line_is_reported_and_the_lines_around_it_are_kept() {
        let a =
            serde_json::to_string(&correction(1, "gavi", Axis::Mode, "implementation")).unwrap();
        let b = serde_json::to_string(&correction(2, "gavi", Axis::Mode, "coordination")).unwrap();
        let text = format!("{a}\n{{\"seq\": 3, \"kind\n{b}\n");
        let contents = parse(text.as_bytes());
        assert_eq!(contents.entries.len(), 2);
        assert_eq!(contents.damaged.len(), 1);
        assert_eq!(contents.damaged[0].line, 2);
        assert_eq!(contents.next_seq(), 3);
    }

    #[test]
    fn the_latest_correction_per_axis_wins_whatever_the_line_order() {
        let contents = Contents {
            entries: vec![
                correction(2, "gavi", Axis::Mode, "coordination"),
                correction(1, "gavi", Axis::Mode, "implementation"),
                correction(3, "gavi", Axis::Function, "advocacy"),
            ],
            ..Contents::default()
        };
        let latest = contents.latest();
        let got: Vec<(Axis, &str)> = latest
            .of("gavi")
            .map(|c| (c.axis, c.label.name()))
            .collect();
        assert_eq!(
            got,
            vec![(Axis::Function, "advocacy"), (Axis::Mode, "coordination")]
        );
        assert_eq!(
            contents
                .history("gavi")
                .iter()
                .map(|c| c.seq)
                .collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }

    #[test]
    fn a_label_of_another_axis_or_an_axis_of_another_kind_is_refused() {
        let mut v =
            serde_json::to_value(correction(1, "gavi", Axis::Mode, "implementation")).unwrap();
        v["label"] = "advocacy".into();
        assert!(serde_json::from_value::<Correction>(v.clone()).is_err());
        v["label"] = "implementation".into();
        v["kind"] = "lesson".into();
        assert!(serde_json::from_value::<Correction>(v).is_err());
    }

    #[test]
    fn an_append_after_a_cut_line_starts_on_a_new_line() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::of_index(dir.path());
        journal
            .append(&[correction(1, "a", Axis::Mode, "implementation")])
            .unwrap();
        // A crash in the middle of the next line.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(journal.path())
            .unwrap();
        f.write_all(b"{\"seq\": 2, \"ki").unwrap();
        journal
            .append(&[correction(3, "b", Axis::Mode, "negotiation")])
            .unwrap();
        let contents = journal.read().unwrap();
        assert_eq!(
            contents.entries.iter().map(|c| c.seq).collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(
            contents.damaged.iter().map(|d| d.line).collect::<Vec<_>>(),
            [2]
        );
    }
}
