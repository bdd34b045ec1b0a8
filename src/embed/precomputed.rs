//! Window vectors computed ahead of time, keyed by record id.
//!
//! Embedding the bundled corpus takes the transformer about half a minute
//! on two cores, which a new user's first search should not wait for. The
//! corpus therefore ships its vectors (`corpus/vectors.bin`, made by the
//! `bundled_vectors` test with `PARTNERKB_BLESS_VECTORS=1`), and ingest
//! takes a record's vectors from here when they were made by the same
//! model from the same windows; any other record is embedded as usual. So
//! a stale file costs time, never correctness.
//!
//! Layout (little-endian): `PKP1`, the entry count (u32), then per entry
//! the id's length (u16) and bytes, the SHA-256 of the record's windows
//! ([`windows_digest`]), and the stored blob's length (u32) and bytes
//! ([`super::store::WindowVectors`], which carries the model tag).

use super::store;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const MAGIC: &[u8; 4] = b"PKP1";

/// Vectors made ahead of time, by record id.
pub struct Precomputed {
    entries: HashMap<String, ([u8; 32], Vec<u8>)>,
}

impl std::fmt::Debug for Precomputed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Precomputed")
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// What a record's vectors depend on besides the model: the texts of its
/// windows and their ranges in the record's text.
pub fn windows_digest(windows: &[(String, (u32, u32))]) -> [u8; 32] {
    let mut h = Sha256::new();
    for (text, (start, end)) in windows {
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
        h.update(start.to_le_bytes());
        h.update(end.to_le_bytes());
    }
    h.finalize().into()
}

impl Precomputed {
    /// Reads the file's bytes; `None` when they are not such a file (an
    /// empty placeholder, or damage), which means "embed everything".
    pub fn parse(bytes: &[u8]) -> Option<Precomputed> {
        let mut rest = bytes.strip_prefix(MAGIC)?;
        let mut take = |n: usize| -> Option<&[u8]> {
            let (head, tail) = (rest.get(..n)?, rest.get(n..)?);
            rest = tail;
            Some(head)
        };
        let count = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
        let mut entries = HashMap::with_capacity(count.min(1 << 20));
        for _ in 0..count {
            let id_len = u16::from_le_bytes(take(2)?.try_into().ok()?) as usize;
            let id = std::str::from_utf8(take(id_len)?).ok()?.to_string();
            let digest: [u8; 32] = take(32)?.try_into().ok()?;
            let blob_len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
            let blob = take(blob_len)?.to_vec();
            entries.insert(id, (digest, blob));
        }
        take(1).is_none().then_some(Precomputed { entries })
    }

    /// The stored form of `(id, windows digest, blob)` entries.
    pub fn encode<'a>(entries: impl IntoIterator<Item = (&'a str, [u8; 32], &'a [u8])>) -> Vec<u8> {
        let mut body = Vec::new();
        let mut count = 0u32;
        for (id, digest, blob) in entries {
            body.extend_from_slice(&(id.len() as u16).to_le_bytes());
            body.extend_from_slice(id.as_bytes());
            body.extend_from_slice(&digest);
            body.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            body.extend_from_slice(blob);
            count += 1;
        }
        let mut out = Vec::with_capacity(8 + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Number of records with vectors.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no record has vectors.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The stored vectors of record `id` cut into `windows`, when they were
    /// made from these windows by the model tagged `tag`.
    pub fn get(&self, id: &str, windows: &[(String, (u32, u32))], tag: u64) -> Option<&[u8]> {
        let (digest, blob) = self.entries.get(id)?;
        (*digest == windows_digest(windows) && store::blob_tag(blob) == Some(tag))
            .then_some(blob.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_staleness() {
        let windows = vec![("Pooled funds.".to_string(), (0u32, 13u32))];
        let blob = store::WindowVectors {
            tag: 0xabc,
            ranges: vec![(0, 13)],
            vectors: vec![0.5; super::super::DIM],
        }
        .encode();
        let bytes = Precomputed::encode([("a", windows_digest(&windows), blob.as_slice())]);
        let pre = Precomputed::parse(&bytes).expect("parses");
        assert_eq!(pre.len(), 1);
        assert_eq!(pre.get("a", &windows, 0xabc), Some(blob.as_slice()));
        // Another model, another text or another id: not these vectors.
        assert_eq!(pre.get("a", &windows, 0xabd), None);
        let edited = vec![("Pooled fund.".to_string(), (0u32, 12u32))];
        assert_eq!(pre.get("a", &edited, 0xabc), None);
        assert_eq!(pre.get("b", &windows, 0xabc), None);
        // Cut short, or with bytes after the last entry: not a file.
        assert!(Precomputed::parse(&bytes[..bytes.len() - 1]).is_none());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Precomputed::parse(&longer).is_none());
        assert!(Precomputed::parse(b"").is_none());
    }
}
