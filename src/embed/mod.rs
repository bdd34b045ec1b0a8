//! Sentence embeddings: all-MiniLM-L6-v2 in pure Rust.
//!
//! An [`Embedder`] turns texts into 384-dimensional, L2-normalised vectors
//! (mean pooling over the tokens, as sentence-transformers does), so that a
//! dot product is a cosine. The model ships with the project
//! (`models/minilm/`, float16 weights upcast to float32 on load, see its
//! `PROVENANCE.md`) and is compiled into the library, so nothing is
//! downloaded at build or run time; `PARTNERKB_EMBED_MODEL=DIR` points
//! [`Embedder::shared`] at another copy of the same files.
//!
//! ```no_run
//! let embedder = partnerkb::embed::Embedder::shared()?;
//! let v = embedder.embed(&["who should sit at the table", "seats for civil society"])?;
//! let cosine = v.row(0).dot(&v.row(1));
//! # Ok::<(), partnerkb::Error>(())
//! ```

mod bert;
pub mod precomputed;
pub mod store;
pub mod windows;

pub use bert::HIDDEN as DIM;

use crate::error::{InternalError, Result, UserError};
use ndarray::{Array1, Array2};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tokenizers::{Tokenizer, TruncationParams};

/// Tokens per text, [CLS] and [SEP] included. The model was trained on
/// 128-token inputs and its position table stops at 512; 256 keeps a long
/// passage's second half without the quadratic cost of 512.
pub const MAX_TOKENS: usize = 256;

/// Characters of a text handed to the tokenizer: far more than
/// [`MAX_TOKENS`] tokens need, so that a megabyte of text costs no more to
/// embed than a page.
const MAX_CHARS: usize = 16 * 1024;

/// Texts encoded together: enough rows for large GEMMs, few enough to
/// keep the intermediate activations (tokens × 1536 floats) small.
const BATCH: usize = 32;

/// The model's name, the first part of [`Embedder::model_id`].
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";

/// The bundled weights (`models/minilm/model.safetensors`, float16).
pub const BUNDLED_WEIGHTS: &[u8] = include_bytes!("../../models/minilm/model.safetensors");
/// The bundled tokenizer (`models/minilm/tokenizer.json`).
pub const BUNDLED_TOKENIZER: &[u8] = include_bytes!("../../models/minilm/tokenizer.json");
/// SHA-256 of [`BUNDLED_WEIGHTS`] (checked by a test), so that the bundled
/// model's id costs nothing to compute.
const BUNDLED_WEIGHTS_SHA256: &str =
    "3983e5ac0b15cab5ddd4cf5ed89fd90bf7dc7f0f1154a6256851544829dfac16";

/// Weights file name in a model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Tokenizer file name in a model directory.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Environment variable naming a model directory to use instead of the
/// bundled model.
pub const MODEL_ENV: &str = "PARTNERKB_EMBED_MODEL";

/// A text's token ids, as the model sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// Token ids, [CLS] first and [SEP] last, at most [`MAX_TOKENS`].
    pub ids: Vec<u32>,
    /// True when the text was longer than the model's limit and cut.
    pub truncated: bool,
}

/// The sentence encoder: tokenizer and BERT weights.
pub struct Embedder {
    tokenizer: Tokenizer,
    bert: bert::Bert,
    model_id: String,
    /// The last few queries embedded, newest last: a search's facet
    /// counts run the same query once per value, and a user pages and
    /// refines the same words (an embedding costs ~20 ms, a lookup ns).
    recent: std::sync::Mutex<std::collections::VecDeque<(String, Array1<f32>)>>,
}

/// Queries [`Embedder::embed_query`] remembers.
const RECENT_QUERIES: usize = 32;

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model_id", &self.model_id)
            .finish_non_exhaustive()
    }
}

fn model_error(path: &Path, reason: impl std::fmt::Display) -> crate::Error {
    UserError::Model {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
    .into()
}

fn model_id(weights_sha256: &str) -> String {
    format!("{MODEL_NAME}@{}", &weights_sha256[..16])
}

impl Embedder {
    /// Loads `model.safetensors` and `tokenizer.json` from `dir`. A missing
    /// or damaged file is a [`UserError::Model`] naming the file.
    pub fn load(dir: &Path) -> Result<Embedder> {
        let read = |name: &str| -> Result<(PathBuf, Vec<u8>)> {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).map_err(|e| model_error(&path, e))?;
            Ok((path, bytes))
        };
        let (weights_path, weights) = read(WEIGHTS_FILE)?;
        let (tokenizer_path, tokenizer) = read(TOKENIZER_FILE)?;
        let digest: String = Sha256::digest(&weights)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let bert =
            bert::Bert::from_safetensors(&weights).map_err(|e| model_error(&weights_path, e.0))?;
        let tokenizer = load_tokenizer(&tokenizer).map_err(|e| model_error(&tokenizer_path, e))?;
        Ok(Embedder {
            tokenizer,
            bert,
            recent: Default::default(),
            model_id: model_id(&digest),
        })
    }

    /// The model compiled into the library.
    pub fn bundled() -> Result<Embedder> {
        let damaged = |file: &str, reason: String| -> crate::Error {
            InternalError::Damaged {
                what: format!("the bundled embedding model (models/minilm/{file})"),
                reason,
            }
            .into()
        };
        let bert = bert::Bert::from_safetensors(BUNDLED_WEIGHTS)
            .map_err(|e| damaged(WEIGHTS_FILE, e.0))?;
        let tokenizer =
            load_tokenizer(BUNDLED_TOKENIZER).map_err(|e| damaged(TOKENIZER_FILE, e))?;
        Ok(Embedder {
            tokenizer,
            bert,
            recent: Default::default(),
            model_id: model_id(BUNDLED_WEIGHTS_SHA256),
        })
    }

    /// The process-wide embedder: the directory named by
    /// `PARTNERKB_EMBED_MODEL` when set, else the bundled model. Loaded
    /// once (about 0.1 s); a failure is returned again on every call.
    pub fn shared() -> Result<&'static Embedder> {
        static SHARED: OnceLock<std::result::Result<Embedder, String>> = OnceLock::new();
        let loaded = SHARED.get_or_init(|| {
            let e = match std::env::var_os(MODEL_ENV) {
                Some(dir) if !dir.is_empty() => Embedder::load(Path::new(&dir)),
                _ => Embedder::bundled(),
            };
            e.map_err(|e| e.to_string())
        });
        loaded.as_ref().map_err(|reason| {
            crate::Error::from(UserError::Model {
                path: std::env::var(MODEL_ENV).unwrap_or_else(|_| "bundled embedding model".into()),
                reason: reason.clone(),
            })
        })
    }

    /// [`Embedder::shared`]'s model id, without loading the bundled model
    /// when that is the one used (a search checks the index for vectors
    /// before it pays for the model).
    pub fn shared_model_id() -> Result<String> {
        match std::env::var_os(MODEL_ENV) {
            Some(dir) if !dir.is_empty() => Ok(Embedder::shared()?.model_id().to_string()),
            _ => Ok(model_id(BUNDLED_WEIGHTS_SHA256)),
        }
    }

    /// Identity of the weights: the model's name and the first 16 hex
    /// digits of the weights file's SHA-256. Vectors made with another id
    /// are not comparable with this model's.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// Token ids of `text`, cut to [`MAX_TOKENS`].
    pub fn tokens(&self, text: &str) -> Result<Tokens> {
        let (head, cut) = match text.char_indices().nth(MAX_CHARS) {
            Some((at, _)) => (&text[..at], true),
            None => (text, false),
        };
        let encoding =
            self.tokenizer
                .encode_fast(head, true)
                .map_err(|e| InternalError::Damaged {
                    what: "the embedding tokenizer".into(),
                    reason: e.to_string(),
                })?;
        Ok(Tokens {
            truncated: cut || !encoding.get_overflowing().is_empty(),
            ids: encoding.get_ids().to_vec(),
        })
    }

    /// Embeddings of `texts`, one L2-normalised row of [`DIM`] floats each.
    /// Any text works: an empty one gets the embedding of `[CLS] [SEP]`, a
    /// long one is cut to [`MAX_TOKENS`].
    pub fn embed(&self, texts: &[&str]) -> Result<Array2<f32>> {
        let mut out = Array2::zeros((texts.len(), DIM));
        for (chunk_index, chunk) in texts.chunks(BATCH).enumerate() {
            let ids = chunk
                .iter()
                .map(|t| self.tokens(t).map(|t| t.ids))
                .collect::<Result<Vec<_>>>()?;
            let rows = self.bert.embed(&ids);
            let start = chunk_index * BATCH;
            out.slice_mut(ndarray::s![start..start + chunk.len(), ..])
                .assign(&rows);
        }
        Ok(out)
    }

    /// The embedding of one text.
    pub fn embed_one(&self, text: &str) -> Result<Array1<f32>> {
        Ok(self.embed(&[text])?.row(0).to_owned())
    }

    /// [`Embedder::embed_one`] for a search query, remembering the last
    /// [`RECENT_QUERIES`] queries.
    pub fn embed_query(&self, text: &str) -> Result<Array1<f32>> {
        // A poisoned lock only means a panic elsewhere mid-update of a
        // cache whose entries are whole: keep using it.
        let lock = || self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let found = lock()
            .iter()
            .find(|(q, _)| q == text)
            .map(|(_, v)| v.clone());
        if let Some(v) = found {
            return Ok(v);
        }
        let v = self.embed_one(text)?;
        let mut recent = lock();
        if recent.len() == RECENT_QUERIES {
            recent.pop_front();
        }
        recent.push_back((text.to_string(), v.clone()));
        drop(recent);
        Ok(v)
    }
}

/// The texts a record is embedded as, each with its byte range in the
/// record's text (its description or lesson text, where a snippet is cut
/// from): a partnership is one text, its name and description; a lesson
/// or document passage is its sentence windows ([`windows::windows`]).
pub fn record_windows(record: &crate::Record) -> Vec<(String, (u32, u32))> {
    let text = record.text();
    let range = |a: usize, b: usize| (a as u32, b as u32);
    match record {
        crate::Record::Partnership(p) => {
            let joined = if p.description.trim().is_empty() {
                p.name.clone()
            } else {
                format!("{}. {}", p.name.trim_end_matches('.'), p.description)
            };
            vec![(joined, range(0, text.len()))]
        }
        crate::Record::Lesson(_) => windows::windows(text)
            .into_iter()
            .map(|(a, b)| (text[a..b].to_string(), range(a, b)))
            .collect(),
    }
}

impl Embedder {
    /// The stored vectors ([`store::WindowVectors`], encoded) of each
    /// record, embedding all their windows together.
    pub fn embed_records(&self, records: &[&crate::Record]) -> Result<Vec<Vec<u8>>> {
        let windows: Vec<Vec<(String, (u32, u32))>> =
            records.iter().map(|r| record_windows(r)).collect();
        self.embed_windows(&windows)
    }

    fn embed_windows(&self, windows: &[Vec<(String, (u32, u32))>]) -> Result<Vec<Vec<u8>>> {
        let texts: Vec<&str> = windows.iter().flatten().map(|(t, _)| t.as_str()).collect();
        let vectors = self.embed(&texts)?;
        let tag = store::model_tag(&self.model_id);
        let mut row = 0;
        Ok(windows
            .iter()
            .map(|w| {
                let rows = vectors.slice(ndarray::s![row..row + w.len(), ..]);
                row += w.len();
                store::WindowVectors {
                    tag,
                    ranges: w.iter().map(|(_, r)| *r).collect(),
                    vectors: rows.iter().copied().collect(),
                }
                .encode()
            })
            .collect())
    }
}

/// The stored vectors of each record, as [`Embedder::embed_records`] of
/// the [shared](Embedder::shared) embedder makes them, taking from
/// `precomputed` those it holds for the same windows and model. The model
/// is loaded only when some record is not precomputed.
pub fn record_vectors(
    records: &[&crate::Record],
    precomputed: Option<&precomputed::Precomputed>,
) -> Result<Vec<Vec<u8>>> {
    let windows: Vec<Vec<(String, (u32, u32))>> =
        records.iter().map(|r| record_windows(r)).collect();
    let tag = store::model_tag(&Embedder::shared_model_id()?);
    let mut out: Vec<Option<Vec<u8>>> = records
        .iter()
        .zip(&windows)
        .map(|(r, w)| {
            precomputed
                .and_then(|p| p.get(r.id(), w, tag))
                .map(<[u8]>::to_vec)
        })
        .collect();
    let missing: Vec<usize> = (0..out.len()).filter(|&i| out[i].is_none()).collect();
    if !missing.is_empty() {
        let todo: Vec<Vec<(String, (u32, u32))>> =
            missing.iter().map(|&i| windows[i].clone()).collect();
        for (i, blob) in missing
            .into_iter()
            .zip(Embedder::shared()?.embed_windows(&todo)?)
        {
            out[i] = Some(blob);
        }
    }
    Ok(out.into_iter().map(|b| b.unwrap_or_default()).collect())
}

/// What `partnerkb doctor` checks of an embedder: a test sentence embeds
/// to a unit vector that is nearer its paraphrase than an unrelated
/// sentence (damaged weights that still parse fail this). Returns the
/// model id.
pub fn self_check(embedder: &Embedder) -> Result<String> {
    let v = embedder.embed(&[
        "who should sit at the table",
        "which stakeholders should take part",
        "The weather is cold today.",
    ])?;
    let norm = v.row(0).dot(&v.row(0)).sqrt();
    let (near, far) = (v.row(0).dot(&v.row(1)), v.row(0).dot(&v.row(2)));
    if !(norm - 1.0).abs().lt(&1e-3) || near.is_nan() || near <= far {
        return Err(InternalError::Damaged {
            what: format!("the embedding model {}", embedder.model_id()),
            reason: format!("test sentences give norm {norm}, paraphrase {near}, unrelated {far}"),
        }
        .into());
    }
    Ok(embedder.model_id().to_string())
}

/// The model's tokenizer with its shipped padding (fixed 128) switched
/// off and truncation set to [`MAX_TOKENS`]: padded, every short text
/// would be mostly [PAD] and look alike.
fn load_tokenizer(bytes: &[u8]) -> std::result::Result<Tokenizer, String> {
    let mut tokenizer = Tokenizer::from_bytes(bytes).map_err(|e| e.to_string())?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: MAX_TOKENS,
            ..TruncationParams::default()
        }))
        .map_err(|e| e.to_string())?;
    Ok(tokenizer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_weights_digest_is_the_recorded_one() {
        let digest: String = Sha256::digest(BUNDLED_WEIGHTS)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, BUNDLED_WEIGHTS_SHA256);
    }
}
