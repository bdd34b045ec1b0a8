//! A quick check, on every open for reading, that the index files are
//! the bytes tantivy wrote. tantivy stores a checksum in each file's
//! footer but reads without checking it, so a damaged store file would
//! let `search` answer from whatever still decodes and exit 0. Checking
//! every file on every search costs a full read of the index; segment
//! files never change once written, so a file checked once is recorded
//! here by name, length and modification time, and only new or changed
//! files are read again. The record is a cache, not a source of truth:
//! when it cannot be written (a read-only index) the files are simply
//! checked each time.

use super::KnowledgeBase;
use crate::error::{InternalError, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// The file beside the index's own that lists the files already checked.
pub const VERIFIED_FILE: &str = "partnerkb-verified.json";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Verified {
    /// File name → (length, modification time in ns since the epoch).
    files: BTreeMap<String, (u64, u128)>,
}

fn stamp(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((meta.len(), mtime))
}

impl KnowledgeBase {
    /// Fail with [`InternalError::Damaged`], naming the file, when a file
    /// of the searchable segments does not match its checksum. Files
    /// checked before and unchanged since are not read again.
    pub fn check_files(&self) -> Result<()> {
        if self.path.as_os_str() == super::IN_MEMORY {
            return Ok(());
        }
        let record = self.path.join(VERIFIED_FILE);
        let mut verified: Verified = std::fs::read(&record)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let managed = self.index.directory().list_managed_files();
        // The files of live segments are named `{segment uuid}.{ext}`
        // (`{uuid}.{opstamp}.del` for deletes).
        let segments: HashSet<String> = self
            .index
            .searchable_segment_metas()
            .map_err(InternalError::from)?
            .iter()
            .map(|meta| meta.id().uuid_string())
            .collect();
        let mut files: Vec<PathBuf> = managed
            .into_iter()
            .filter(|file| {
                file.to_str()
                    .and_then(|name| name.split('.').next())
                    .is_some_and(|stem| segments.contains(stem))
            })
            .collect();
        files.sort();
        let mut changed = false;
        let mut kept = BTreeMap::new();
        for file in files {
            let name = file.display().to_string();
            let Some(now) = stamp(&self.path.join(&file)) else {
                continue;
            };
            if verified.files.get(&name) != Some(&now) {
                let ok = self
                    .index
                    .directory()
                    .validate_checksum(&file)
                    .map_err(|e| InternalError::from(tantivy::TantivyError::from(e)))?;
                if !ok {
                    return Err(InternalError::Damaged {
                        what: format!("index file {}", self.path.join(&file).display()),
                        reason: "its bytes do not match the checksum tantivy wrote \
                                 (`partnerkb doctor` lists every damaged file; ingest \
                                 the source files again into a new index)"
                            .into(),
                    }
                    .into());
                }
                changed = true;
            }
            kept.insert(name, now);
        }
        // Forget files merged away, so the record does not grow forever.
        changed |= kept.len() != verified.files.len();
        if changed {
            verified.files = kept;
            if let Ok(bytes) = serde_json::to_vec(&verified) {
                let tmp = self.path.join(format!("{VERIFIED_FILE}.tmp"));
                if std::fs::write(&tmp, bytes).is_ok() {
                    let _ = std::fs::rename(&tmp, &record);
                }
            }
        }
        Ok(())
    }
}
