//! The corpus (and model) shipped inside the binary, and the default index
//! built from them on first use.
//!
//! A new user runs one command and gets answers: the default index is built
//! from the embedded corpus the first time it is needed, and rebuilt when a
//! newer binary bundles different data. The marker file records what the
//! index was built from. An index the user names with `--index` is never
//! rebuilt this way.

use crate::embed::precomputed::Precomputed;
use crate::error::{InternalError, Result};
use crate::index::{KnowledgeBase, DOCUMENT_VERSION, SCHEMA_VERSION};
use crate::ingest::IngestOptions;
use crate::ingest::{ingest_with_vectors, Input, Labeller, VectorPolicy, Vectors};
use crate::read::{self, Format};
use crate::record::Kind;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The bundled partnership corpus.
pub const PARTNERSHIPS: &[u8] = include_bytes!("../corpus/partnerships.jsonl");
/// The bundled lessons.
pub const LESSONS: &[u8] = include_bytes!("../corpus/lessons.jsonl");
/// The held-out dev set (`corpus/dev/partnerships.jsonl`): never trained
/// on and never in the default index; bundled so that `evaluate --dev`
/// works from any directory.
pub const DEV_PARTNERSHIPS: &[u8] = include_bytes!("../corpus/dev/partnerships.jsonl");
/// Window vectors of the bundled records (`corpus/vectors.bin`, see
/// [`crate::embed::precomputed`]), so that the default index has semantic
/// search without half a minute of embedding on first use.
pub const VECTORS: &[u8] = include_bytes!("../corpus/vectors.bin");
/// Origin names of the bundled files in the index.
pub const PARTNERSHIPS_ORIGIN: &str = "bundled:corpus/partnerships.jsonl";
/// Origin name of the bundled lessons.
pub const LESSONS_ORIGIN: &str = "bundled:corpus/lessons.jsonl";

const MARKER: &str = "partnerkb-bundle.json";

/// Where the default index lives: `$XDG_DATA_HOME/partnerkb/index` or the
/// platform's equivalent, else `./.partnerkb/index`.
pub fn default_index_dir() -> PathBuf {
    dirs::data_dir()
        .map(|d| d.join("partnerkb").join("index"))
        .unwrap_or_else(|| PathBuf::from(".partnerkb").join("index"))
}

/// Identity of the bundled data: changes whenever the corpus, the model,
/// the index schema or what a document holds does.
pub fn fingerprint(model: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(SCHEMA_VERSION.to_le_bytes());
    h.update(DOCUMENT_VERSION.to_le_bytes());
    for part in [PARTNERSHIPS, LESSONS, VECTORS, model] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Bundled inputs, ready to ingest.
pub fn inputs() -> Result<Vec<Input>> {
    Ok(vec![
        Input {
            origin: PARTNERSHIPS_ORIGIN.into(),
            items: read::read_bytes(
                "corpus/partnerships.jsonl",
                PARTNERSHIPS,
                Format::Jsonl,
                Some(Kind::Partnership),
            )?,
            replace: true,
        },
        Input {
            origin: LESSONS_ORIGIN.into(),
            items: read::read_bytes(
                "corpus/lessons.jsonl",
                LESSONS,
                Format::Jsonl,
                Some(Kind::Lesson),
            )?,
            replace: true,
        },
    ])
}

/// [`VECTORS`], parsed once; `None` if the file is a placeholder.
pub fn precomputed() -> Option<&'static Precomputed> {
    static PARSED: std::sync::OnceLock<Option<Precomputed>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| Precomputed::parse(VECTORS)).as_ref()
}

/// A fresh `corpus/vectors.bin`: every bundled record embedded by the
/// shared embedder. The `bundled_vectors` test writes it when run with
/// `PARTNERKB_BLESS_VECTORS=1`, after the corpus or the windows change.
pub fn compute_vectors(progress: &dyn Fn(usize, usize)) -> Result<Vec<u8>> {
    let mut records = Vec::new();
    for input in inputs()? {
        for item in input.items {
            records.push(
                item.map_err(|e| InternalError::Damaged {
                    what: "the bundled corpus".into(),
                    reason: e.to_string(),
                })?
                .record,
            );
        }
    }
    let embedder = crate::embed::Embedder::shared()?;
    let mut entries = Vec::with_capacity(records.len());
    for (done, chunk) in records.chunks(32).enumerate() {
        let refs: Vec<&crate::Record> = chunk.iter().collect();
        for (record, blob) in chunk.iter().zip(embedder.embed_records(&refs)?) {
            let digest =
                crate::embed::precomputed::windows_digest(&crate::embed::record_windows(record));
            entries.push((record.id().to_string(), digest, blob));
        }
        progress((done * 32 + chunk.len()).min(records.len()), records.len());
    }
    Ok(Precomputed::encode(
        entries
            .iter()
            .map(|(id, d, b)| (id.as_str(), *d, b.as_slice())),
    ))
}

#[derive(serde::Serialize, serde::Deserialize, PartialEq)]
struct Marker {
    schema_version: u32,
    bundle: String,
}

/// Open the default index at `dir`, (re)building it from the bundle when
/// it is missing or was built from other data. Documents the user ingested
/// themselves are kept; only bundled ones are replaced.
///
/// `on_build` is called before a (re)build starts, which takes a few
/// seconds, so that a command line can say why it is waiting.
pub fn ensure_default_index(
    dir: &Path,
    labeller: Option<&dyn Labeller>,
    model_bytes: &[u8],
    on_build: &dyn Fn(&Path),
) -> Result<KnowledgeBase> {
    let wanted = Marker {
        schema_version: SCHEMA_VERSION,
        bundle: fingerprint(model_bytes),
    };
    let marker_path = dir.join(MARKER);
    let current: Option<Marker> = std::fs::read(&marker_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    if current.as_ref() == Some(&wanted) {
        return KnowledgeBase::open(dir);
    }
    let schema_changed = current
        .as_ref()
        .is_some_and(|m| m.schema_version != SCHEMA_VERSION);
    if schema_changed && dir.exists() {
        // People's corrections are not the bundle's to drop: keep the
        // journal, and the rebuild below applies it to the new documents.
        let journal = std::fs::read(dir.join(crate::corrections::JOURNAL_FILE)).ok();
        std::fs::remove_dir_all(dir).map_err(|e| InternalError::IndexDir {
            path: dir.to_path_buf(),
            reason: format!("cannot remove outdated index: {e}"),
        })?;
        if let Some(bytes) = journal {
            std::fs::create_dir_all(dir)
                .and_then(|_| std::fs::write(dir.join(crate::corrections::JOURNAL_FILE), bytes))
                .map_err(|e| InternalError::IndexDir {
                    path: dir.to_path_buf(),
                    reason: format!("cannot keep the corrections journal: {e}"),
                })?;
        }
    }
    on_build(dir);
    let kb = KnowledgeBase::open_or_create(dir)?;
    let vectors = Vectors {
        policy: VectorPolicy::All,
        precomputed: precomputed(),
    };
    let report = ingest_with_vectors(
        &kb,
        inputs()?,
        labeller,
        &IngestOptions::default(),
        vectors,
        &|_| {},
    )?;
    if let Some(e) = report.rejected.first() {
        return Err(InternalError::Damaged {
            what: "the bundled corpus".into(),
            reason: e.to_string(),
        }
        .into());
    }
    let json = serde_json::to_vec_pretty(&wanted).expect("a marker serialises");
    let tmp = dir.join(format!("{MARKER}.tmp"));
    std::fs::write(&tmp, json)
        .and_then(|_| std::fs::rename(&tmp, &marker_path))
        .map_err(|e| InternalError::IndexDir {
            path: dir.to_path_buf(),
            reason: format!("cannot write {MARKER}: {e}"),
        })?;
    Ok(kb)
}
