//! Window vectors as stored with a document.
//!
//! Each document of the index carries its windows' vectors in one bytes
//! field of its own, so the vectors are committed atomically with the
//! document and follow its upserts and deletes (and an interrupted ingest)
//! with nothing to keep in step. The blob names the model that made it,
//! so vectors of another model are never compared with this one's.
//!
//! Layout (little-endian): `PKV1`, the model tag (8 bytes, the start of
//! the weights' SHA-256), the window count `n` (u32), `n` byte ranges
//! `(start, end)` (u32 each) into the text that was cut into windows,
//! then `n × 384` float16 components. Float16 keeps a cosine within 1e-3
//! of the float32 one at half the size.

use super::DIM;

const MAGIC: &[u8; 4] = b"PKV1";
const HEADER: usize = 4 + 8 + 4;

/// A document's windows and their vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowVectors {
    /// The model tag (see [`model_tag`]).
    pub tag: u64,
    /// Byte ranges of the windows in the document's text.
    pub ranges: Vec<(u32, u32)>,
    /// `ranges.len() × DIM` components, row by row.
    pub vectors: Vec<f32>,
}

/// The 8-byte tag of a model id (`all-MiniLM-L6-v2@3983e5ac0b15cab5`).
pub fn model_tag(model_id: &str) -> u64 {
    let hex = model_id.rsplit('@').next().unwrap_or_default();
    u64::from_str_radix(hex.get(..16).unwrap_or(hex), 16).unwrap_or(0)
}

/// The model tag of a stored blob, if it is one.
pub fn blob_tag(bytes: &[u8]) -> Option<u64> {
    (bytes.len() >= HEADER && &bytes[..4] == MAGIC)
        .then(|| u64::from_le_bytes(bytes[4..12].try_into().expect("8 bytes")))
}

/// The facet that marks a document holding vectors of the model tagged
/// `tag` (`/vectors/3983e5ac0b15cab5`): counting and finding them is then
/// a term lookup, not a scan of the stored documents.
pub fn tag_facet(tag: u64) -> [String; 2] {
    ["vectors".to_string(), format!("{tag:016x}")]
}

impl WindowVectors {
    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        let n = self.ranges.len();
        let mut out = Vec::with_capacity(HEADER + n * (8 + 2 * DIM));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.tag.to_le_bytes());
        out.extend_from_slice(&(n as u32).to_le_bytes());
        for &(a, b) in &self.ranges {
            out.extend_from_slice(&a.to_le_bytes());
            out.extend_from_slice(&b.to_le_bytes());
        }
        for &v in &self.vectors {
            out.extend_from_slice(&half::f16::from_f32(v).to_le_bytes());
        }
        out
    }

    /// Reads a stored blob; `None` when it is not one (damaged, or of a
    /// future layout), which the caller treats as "no vectors".
    pub fn decode(bytes: &[u8]) -> Option<WindowVectors> {
        if bytes.len() < HEADER || &bytes[..4] != MAGIC {
            return None;
        }
        let tag = u64::from_le_bytes(bytes[4..12].try_into().ok()?);
        let n = u32::from_le_bytes(bytes[12..16].try_into().ok()?) as usize;
        if bytes.len() != HEADER + n.checked_mul(8 + 2 * DIM)? {
            return None;
        }
        let ranges_end = HEADER + 8 * n;
        let ranges = bytes[HEADER..ranges_end]
            .chunks_exact(8)
            .map(|c| {
                (
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                    u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                )
            })
            .collect();
        let vectors = bytes[ranges_end..]
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect();
        Some(WindowVectors {
            tag,
            ranges,
            vectors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let w = WindowVectors {
            tag: model_tag("all-MiniLM-L6-v2@3983e5ac0b15cab5"),
            ranges: vec![(0, 10), (5, 20)],
            vectors: (0..2 * DIM).map(|i| (i as f32 / 1000.0).sin()).collect(),
        };
        assert_eq!(w.tag, 0x3983e5ac0b15cab5);
        let bytes = w.encode();
        let back = WindowVectors::decode(&bytes).expect("decodes");
        assert_eq!(back.ranges, w.ranges);
        for (a, b) in back.vectors.iter().zip(&w.vectors) {
            assert!((a - b).abs() < 1e-3);
        }
        assert!(WindowVectors::decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(WindowVectors::decode(b"PKV1").is_none());
        assert!(WindowVectors::decode(b"").is_none());
        let mut huge = bytes.clone();
        huge[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(WindowVectors::decode(&huge).is_none());
    }
}
