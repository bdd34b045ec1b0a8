//! Removing records by id (`partnerkb delete`, `DELETE /api/…/{id}`).
//! A removed record's corrections stay in the journal: its trail can
//! still be read, and ingesting the record again replays them, as for any
//! record (see [`crate::corrections`]).

use super::{KnowledgeBase, WriterOptions};
use crate::error::{Result, UserError};
use crate::record::Kind;
use serde::Serialize;

/// What a delete did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeleteReport {
    /// Ids removed, in the order asked.
    pub deleted: Vec<String>,
    /// Ids asked for that the index does not hold (or not of the asked
    /// kind); nothing was removed for them.
    pub missing: Vec<String>,
}

impl KnowledgeBase {
    /// Remove the records `ids` (only those of `kind`, when given) in one
    /// commit: a search sees all of them gone or none.
    pub fn delete(
        &self,
        ids: &[String],
        kind: Option<Kind>,
        options: &WriterOptions,
    ) -> Result<DeleteReport> {
        let mut writer = self.writer(options)?;
        self.reload()?;
        let mut report = DeleteReport::default();
        for id in ids {
            match self.get(id) {
                Ok(hit) if kind.is_none_or(|k| k == hit.kind) => {
                    if !report.deleted.contains(id) {
                        writer.delete_id(id);
                        report.deleted.push(id.clone());
                    }
                }
                Ok(_) | Err(crate::Error::User(UserError::NotFound(_))) => {
                    report.missing.push(id.clone())
                }
                Err(e) => return Err(e),
            }
        }
        if !report.deleted.is_empty() {
            writer.commit()?;
            self.reload()?;
        }
        Ok(report)
    }
}
