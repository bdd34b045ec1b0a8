//! The fitted model: file format, loading, prediction and explanation.
//!
//! The file is our own versioned JSON (not linfa's serialised structs):
//! typology, analyzer settings, vocabulary, IDF, weights, training
//! provenance and evaluation metrics, sealed with a SHA-256 checksum so a
//! truncated or altered file is refused instead of silently mispredicting.
//! Prediction is a sparse dot product with the weights, so no dense
//! document-by-vocabulary matrix exists outside training.

use super::features::{self, Feature, SparseVec, Vocabulary, VocabularyConfig};
use super::metrics::Metrics;
use crate::analyze::{self, Analyzer};
use crate::error::{InternalError, Result, UserError};
use crate::label::{AssignedLabel, Labeller, Verdict};
use crate::record::{Kind, Record};
use crate::typology::{Axis, Class};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

const CHECKSUM_KEY: &str = "\"checksum\": \"";

/// Version of the model file format.
pub const FORMAT_VERSION: u32 = 1;

/// The model shipped in the binary (empty until one has been trained).
pub const BUNDLED_MODEL: &str = include_str!("../../models/default.json");

/// One axis's classifier: a linear scorer over a vocabulary.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Head {
    /// The axis.
    pub axis: Axis,
    /// Classes, in typology order (column order of `weights`).
    pub classes: Vec<String>,
    /// The learner the weights were fitted with. An unknown name in a
    /// model file fails the load, instead of being taken for another.
    pub algorithm: Algorithm,
    /// The regularisation setting chosen by cross-validation.
    pub regularization: f64,
    /// Softmax temperature fitted on out-of-fold scores (calibration).
    pub temperature: f32,
    /// `n_features × n_classes`, row-major.
    pub weights: Vec<f32>,
    /// Per class.
    pub intercept: Vec<f32>,
    /// Cross-validated metrics of the chosen configuration.
    pub metrics: Metrics,
    /// Cross-validated macro-F1 of every configuration tried.
    pub comparison: Vec<Candidate>,
    /// Labels less probable than this are flagged for review. Chosen on
    /// held-out real-source text (see `train::choose_review_threshold`);
    /// 0 in a model trained without it.
    #[serde(default)]
    pub review_threshold: f64,
}

/// One configuration tried during model selection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Candidate {
    /// The learner.
    pub algorithm: Algorithm,
    /// Regularisation (logistic: L2 alpha; SVM: C).
    pub regularization: f64,
    /// Cross-validated macro-F1.
    pub macro_f1: f64,
    /// Cross-validated accuracy.
    pub accuracy: f64,
}

/// The learners a head can be trained with, written in files by their
/// snake_case names (`logistic`, `linear_svm`, `nb_svm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// Multinomial logistic regression (linfa-logistic).
    Logistic,
    /// Linear SVM one-vs-rest (linfa-svm).
    LinearSvm,
    /// Linear SVM one-vs-rest on naive-Bayes-scaled features (NBSVM).
    NbSvm,
}

impl Algorithm {
    /// The name used in model files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Logistic => "logistic",
            Algorithm::LinearSvm => "linear_svm",
            Algorithm::NbSvm => "nb_svm",
        }
    }
}

/// Honours width and alignment (`{:<11}`), as the name as a `&str` did.
impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// Features of one kind of record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Featurizer {
    /// Which records.
    pub kind: Kind,
    /// Vocabulary settings.
    pub config: VocabularyConfig,
    /// Learned vocabulary and IDF.
    pub vocabulary: Vocabulary,
}

/// Where a model came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    /// SHA-256 of the training corpus files, concatenated in order.
    pub corpus_sha256: String,
    /// The files.
    pub corpus_files: Vec<String>,
    /// Training date (YYYY-MM-DD).
    pub trained_on: String,
    /// Seed of fold assignment.
    pub seed: u64,
    /// Folds used for model selection and metrics.
    pub folds: usize,
    /// Labelled examples per kind.
    pub examples: BTreeMap<String, usize>,
    /// SHA-256 of the held-out set the review thresholds were chosen on,
    /// and its size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_set: Option<ReviewSet>,
    /// People's corrections added to the corpus as gold, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrections: Option<CorrectionsUsed>,
}

/// The corrections a model was trained with (see
/// [`crate::corpus::add_corrections`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CorrectionsUsed {
    /// Corrected records used (each with its corrected labels as gold).
    pub records: usize,
    /// Corrections in force over those records (latest per axis).
    pub corrections: usize,
    /// Of these records, how many replaced a corpus record of the same id.
    pub replaced: usize,
    /// SHA-256 of the journal file read.
    pub journal_sha256: String,
}

/// The held-out set review thresholds were chosen on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReviewSet {
    /// SHA-256 of its file.
    pub sha256: String,
    /// Records in it.
    pub records: usize,
    /// The largest share of labels a threshold may flag.
    pub max_flagged_share: f64,
}

/// The model file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Model {
    /// File format version.
    pub format_version: u32,
    /// Axis → classes the model was trained for.
    pub typology: BTreeMap<String, Vec<String>>,
    /// The analyzer pipeline the features were built with.
    pub analyzer: String,
    /// Provenance.
    pub training: Provenance,
    /// One featurizer per record kind.
    pub featurizers: Vec<Featurizer>,
    /// One head per axis.
    pub heads: Vec<Head>,
    /// SHA-256 over the file with this field empty.
    pub checksum: String,
}

/// The typology as the model records it.
pub fn current_typology() -> BTreeMap<String, Vec<String>> {
    Axis::ALL
        .iter()
        .map(|a| {
            (
                a.name().to_string(),
                a.classes().iter().map(|c| c.to_string()).collect(),
            )
        })
        .collect()
}

/// A piece of evidence for a decision.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Evidence {
    /// The words as they appear in the text (or `partner sector: x`).
    pub term: String,
    /// The model feature (stemmed).
    pub feature: String,
    /// Contribution to the chosen class: weight margin × tf-idf.
    pub weight: f32,
    /// `text` when the words are in the record's text, `partners` for a
    /// sector feature.
    pub source: &'static str,
}

/// The decision on one axis.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AxisPrediction {
    /// The chosen class, or `uncertain` when below the asked confidence
    /// or when the text holds no evidence of a type.
    pub label: Verdict,
    /// Worth a human look: below the review threshold (the model's, or the
    /// asked confidence), or no evidence.
    pub review: bool,
    /// Why the label is uncertain, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Probability of the most likely class.
    pub probability: f64,
    /// The most likely class even when `label` is `uncertain`.
    pub best: Class,
    /// Probabilities of every class (sum to 1), in class order (which is
    /// name order, so the JSON keys stay sorted).
    pub probabilities: BTreeMap<Class, f64>,
    /// Terms that pushed the decision, strongest first.
    pub evidence: Vec<Evidence>,
    /// The sentence carrying most of the evidence.
    pub sentence: Option<String>,
}

impl Model {
    /// Set each head's review threshold from held-out records (see
    /// [`super::held_out::review_thresholds`]) and record which set chose
    /// them. The model's text changes, so it is sealed again on save.
    pub fn choose_review_thresholds(
        &mut self,
        records: &[Record],
        set_sha256: String,
        max_flagged_share: f64,
    ) -> Result<()> {
        let chosen = super::held_out::review_thresholds(self, records, max_flagged_share)?;
        for (axis, threshold) in chosen {
            if let Some(head) = self.heads.iter_mut().find(|h| h.axis == axis) {
                // Rounded down, so the file reads as a setting rather than a
                // float dump and flags no more than the share allowed.
                head.review_threshold = (threshold * 10_000.0).floor() / 10_000.0;
            }
        }
        self.training.review_set = Some(ReviewSet {
            sha256: set_sha256,
            records: records.len(),
            max_flagged_share,
        });
        Ok(())
    }

    /// The bundled model.
    pub fn bundled() -> Result<Model> {
        if BUNDLED_MODEL.trim().is_empty() {
            return Err(InternalError::Damaged {
                what: "the bundled model".into(),
                reason:
                    "this build carries no model (run `partnerkb train --out models/default.json`)"
                        .into(),
            }
            .into());
        }
        Model::from_json("bundled", BUNDLED_MODEL)
    }

    /// Load and verify a model file.
    pub fn load(path: &Path) -> Result<Model> {
        let text = std::fs::read_to_string(path).map_err(|source| UserError::Input {
            path: path.to_path_buf(),
            source,
        })?;
        Model::from_json(&path.display().to_string(), &text)
    }

    /// Parse and verify a model from JSON text.
    pub fn from_json(name: &str, text: &str) -> Result<Model> {
        let err = |reason: String| -> crate::Error {
            UserError::Model {
                path: name.to_string(),
                reason,
            }
            .into()
        };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            err(format!(
                "not a readable model file (truncated or corrupt?): {e}"
            ))
        })?;
        let version = value.get("format_version").and_then(|v| v.as_u64());
        if version != Some(FORMAT_VERSION as u64) {
            return Err(err(format!(
                "format version {} is not supported (this partnerkb reads version {FORMAT_VERSION}); retrain with `partnerkb train`",
                version.map_or("missing".to_string(), |v| v.to_string())
            )));
        }
        let mut model: Model =
            serde_json::from_value(value).map_err(|e| err(format!("malformed model file: {e}")))?;
        if model.typology != current_typology() {
            return Err(err(
                "trained for another typology (axes or classes differ); retrain with `partnerkb train`"
                    .into(),
            ));
        }
        if model.analyzer != analyze::SETTINGS {
            return Err(err(format!(
                "built with analyzer `{}`, this partnerkb uses `{}`; retrain",
                model.analyzer,
                analyze::SETTINGS
            )));
        }
        let claimed = model.checksum.clone();
        let actual = Self::checksum_of_text(text).unwrap_or_default();
        if claimed != actual {
            return Err(err(format!(
                "checksum mismatch (file says {claimed:.12}…, content is {actual:.12}…): the file was altered or damaged"
            )));
        }
        for f in &mut model.featurizers {
            f.vocabulary
                .build_index()
                .map_err(|e| err(format!("vocabulary of {}s: {e}", f.kind)))?;
            if f.vocabulary.idf.len() != f.vocabulary.terms.len() {
                return Err(err("vocabulary and IDF lengths differ".into()));
            }
        }
        for h in &model.heads {
            // Predictions turn class indices into typed classes, so a head
            // must list exactly its axis's classes, in order.
            if h.classes
                .iter()
                .map(String::as_str)
                .ne(h.axis.classes().iter().copied())
            {
                return Err(err(format!(
                    "classes of axis {} differ from the typology's",
                    h.axis
                )));
            }
            let n = model
                .featurizer(h.axis)
                .map(|f| f.vocabulary.len())
                .ok_or_else(|| err(format!("no featurizer for axis {}", h.axis)))?;
            if h.weights.len() != n * h.classes.len() || h.intercept.len() != h.classes.len() {
                return Err(err(format!(
                    "weights of axis {} have the wrong shape",
                    h.axis
                )));
            }
        }
        Ok(model)
    }

    /// SHA-256 of the model's pretty JSON with an empty checksum. Hashing
    /// the text (not a re-serialisation after parsing) keeps the check
    /// exact: a float parsed and printed again may not give the same digits.
    fn checksum_of_text(text: &str) -> Option<String> {
        let at = text.rfind(CHECKSUM_KEY)? + CHECKSUM_KEY.len();
        let end = at + text[at..].find('"')?;
        let blanked = format!("{}{}", &text[..at], &text[end..]);
        Some(hex(&Sha256::digest(blanked.as_bytes())))
    }

    /// The model's id: the first 16 hex digits of its checksum (empty for
    /// a model not yet written out). Predicted labels carry it.
    pub fn id(&self) -> &str {
        &self.checksum[..self.checksum.len().min(16)]
    }

    /// Seal and serialise (pretty JSON, trailing newline).
    pub fn to_json(&mut self) -> String {
        self.checksum.clear();
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        self.checksum = Self::checksum_of_text(&s).unwrap_or_default();
        let at = s.rfind(CHECKSUM_KEY).unwrap_or(0) + CHECKSUM_KEY.len();
        s.insert_str(at, &self.checksum);
        s
    }

    /// Write atomically: a temporary file in the same directory, then a
    /// rename, so an interrupted write never leaves half a model.
    pub fn save(&mut self, path: &Path) -> Result<()> {
        let json = self.to_json();
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let io = |source| InternalError::File {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        // A temporary file is private (0600); the model is a shareable
        // artefact, so it gets the mode of the file it replaces, or the
        // usual 0644.
        let mut builder = tempfile::Builder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o777);
            builder.permissions(std::fs::Permissions::from_mode(mode));
        }
        let mut tmp = builder.tempfile_in(dir).map_err(io)?;
        std::io::Write::write_all(&mut tmp, json.as_bytes()).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// The featurizer used by `axis`.
    pub fn featurizer(&self, axis: Axis) -> Option<&Featurizer> {
        self.featurizers.iter().find(|f| f.kind == axis.kind())
    }

    /// The head of `axis`.
    pub fn head(&self, axis: Axis) -> Option<&Head> {
        self.heads.iter().find(|h| h.axis == axis)
    }

    /// Axes this model predicts for a kind of record.
    pub fn axes_for(&self, kind: Kind) -> Vec<Axis> {
        self.heads
            .iter()
            .map(|h| h.axis)
            .filter(|a| a.kind() == kind)
            .collect()
    }

    /// Classify a record on every axis of its kind. A record without text
    /// is an error for that record only.
    pub fn classify(
        &self,
        analyzer: &mut Analyzer,
        record: &Record,
        min_confidence: f64,
        evidence: usize,
    ) -> Result<BTreeMap<Axis, AxisPrediction>> {
        if record.text().trim().is_empty() {
            return Err(UserError::EmptyText {
                id: record.id().to_string(),
                field: match record.kind() {
                    Kind::Partnership => "description",
                    Kind::Lesson => "text",
                },
            }
            .into());
        }
        let text = features::record_text(record);
        let sectors = features::record_sectors(record);
        // Sentence boundaries are found once per record, and only when an
        // explanation will be given.
        let ends = if evidence > 0 {
            sentence_ends(&text)
        } else {
            Vec::new()
        };
        let mut out = BTreeMap::new();
        // Both partnership axes share one featurizer: encode the record
        // once per featurizer.
        let mut encoded: Option<(Kind, Encoded)> = None;
        for axis in self.axes_for(record.kind()) {
            let (Some(f), Some(head)) = (self.featurizer(axis), self.head(axis)) else {
                continue;
            };
            if encoded.as_ref().is_none_or(|(kind, _)| *kind != f.kind) {
                let occurrences = features::encode(analyzer, &text, &sectors, &f.vocabulary);
                encoded = Some((f.kind, Encoded::new(occurrences, &f.vocabulary, &ends)));
            }
            let Some((_, encoded)) = encoded.as_ref() else {
                continue;
            };
            out.insert(
                axis,
                head.predict(
                    &f.vocabulary,
                    encoded,
                    &text,
                    &ends,
                    min_confidence,
                    evidence,
                ),
            );
        }
        Ok(out)
    }
}

impl Labeller for Model {
    fn predict_missing(&self, record: &Record) -> Vec<AssignedLabel> {
        thread_local! {
            static ANALYZER: std::cell::RefCell<Analyzer> = std::cell::RefCell::new(Analyzer::default());
        }
        let missing: Vec<Axis> = self
            .axes_for(record.kind())
            .into_iter()
            .filter(|a| record.gold(*a).is_none())
            .collect();
        if missing.is_empty() {
            return Vec::new();
        }
        let predictions = ANALYZER.with(|a| self.classify(&mut a.borrow_mut(), record, 0.0, 0));
        let Ok(predictions) = predictions else {
            return Vec::new();
        };
        missing
            .into_iter()
            .filter_map(|axis| {
                predictions
                    .get(&axis)
                    .map(|p| AssignedLabel::predicted(p.best, p.probability, self.id()))
            })
            .collect()
    }
}

impl Head {
    /// Raw linear scores (logits) of a sparse vector.
    pub fn scores(&self, x: &SparseVec) -> Vec<f32> {
        let k = self.classes.len();
        let mut s = self.intercept.clone();
        for &(i, v) in x {
            let row = &self.weights[i as usize * k..(i as usize + 1) * k];
            for c in 0..k {
                s[c] += row[c] * v;
            }
        }
        s
    }

    /// Calibrated class probabilities.
    pub fn probabilities(&self, x: &SparseVec) -> Vec<f64> {
        softmax(&self.scores(x), self.temperature)
    }

    /// The decision on this head's axis for an encoded record:
    /// probabilities, then the evidence and the sentence for the most
    /// likely class, then the verdict at `min_confidence`.
    fn predict(
        &self,
        vocab: &Vocabulary,
        encoded: &Encoded,
        text: &str,
        ends: &[usize],
        min_confidence: f64,
        n_evidence: usize,
    ) -> AxisPrediction {
        let p = self.probabilities(&encoded.x);
        let best = super::metrics::argmax(&p);
        let push = self.push_towards(best, &encoded.x);
        let evidence = evidence(vocab, encoded, text, &push, n_evidence);
        let sentence = (n_evidence > 0)
            .then(|| best_sentence(text, ends, encoded, &push))
            .flatten();
        let words = words_known(vocab, &encoded.x);
        self.verdict(&p, best, min_confidence, words, evidence, sentence)
    }

    /// Each feature's push towards class `best`: its weight there minus
    /// its mean weight over the other classes, times its value. One per
    /// entry of `x`.
    fn push_towards(&self, best: usize, x: &SparseVec) -> Vec<f32> {
        let k = self.classes.len();
        x.iter()
            .map(|&(i, v)| {
                let row = &self.weights[i as usize * k..(i as usize + 1) * k];
                let others: f32 = (0..k).filter(|c| *c != best).map(|c| row[c]).sum::<f32>()
                    / (k - 1).max(1) as f32;
                (row[best] - others) * v
            })
            .collect()
    }

    /// The typed prediction: `best` is the label unless the text holds
    /// fewer than [`MIN_KNOWN_WORDS`] words the model knows (it would only
    /// be the model's prior), or its probability is below `min_confidence`.
    /// A label is flagged for review below `min_confidence` when one is
    /// asked for, else below the model's review threshold.
    fn verdict(
        &self,
        p: &[f64],
        best: usize,
        min_confidence: f64,
        known_words: usize,
        evidence: Vec<Evidence>,
        sentence: Option<String>,
    ) -> AxisPrediction {
        let probability = p[best];
        // The model's classes were checked against the typology on load.
        let class = |i: usize| Class::from_index(self.axis, i).expect("class of a loaded model");
        let threshold = if min_confidence > 0.0 {
            min_confidence
        } else {
            self.review_threshold
        };
        let (label, reason) = if known_words < MIN_KNOWN_WORDS {
            (Verdict::Uncertain, Some("no evidence"))
        } else if probability < min_confidence {
            (Verdict::Uncertain, Some("below the asked confidence"))
        } else {
            (Verdict::Class(class(best)), None)
        };
        AxisPrediction {
            label,
            review: reason.is_some() || probability < threshold,
            reason,
            probability,
            best: class(best),
            probabilities: p.iter().enumerate().map(|(i, &q)| (class(i), q)).collect(),
            evidence,
            sentence,
        }
    }
}

/// Fewer distinct known words than this and a text carries no evidence of
/// a type: a name alone, navigation remnants, nonsense. The probabilities
/// would be the model's prior, so the label is `uncertain`. Three is the
/// shortest real description ("a global fund for vaccines").
pub const MIN_KNOWN_WORDS: usize = 3;

/// Words of web pages' and forms' furniture: known to the model (real
/// texts carry them) but no evidence of what a partnership does.
const FURNITURE: &[&str] = &[
    "home",
    "menu",
    "news",
    "contact",
    "login",
    "log",
    "search",
    "skip",
    "content",
    "cookie",
    "cookies",
    "privacy",
    "policy",
    "subscribe",
    "newsletter",
    "follow",
    "share",
    "click",
    "read",
    "more",
    "page",
    "site",
    "website",
    "copyright",
    "rights",
    "reserved",
    "terms",
    "english",
    "français",
    "español",
    "n",
    "a",
];

/// Distinct words (unigram features) of the record that the vocabulary
/// knows, page furniture aside; cues and sectors are not words of evidence
/// on their own.
fn words_known(vocab: &Vocabulary, x: &SparseVec) -> usize {
    static FURNITURE_TERMS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let furniture = FURNITURE_TERMS.get_or_init(|| {
        let mut analyzer = Analyzer::default();
        FURNITURE.iter().flat_map(|w| analyzer.tokens(w)).collect()
    });
    x.iter()
        .filter(|(i, _)| match vocab.feature(*i) {
            features::Feature::Word(w) => !furniture.contains(w),
            _ => false,
        })
        .count()
}

/// The `n` strongest pieces of evidence given each feature's `push` (per
/// entry of the record's vector), strongest first: each quoted as it
/// appears in the text where it first occurs, or as its partner sector.
fn evidence(
    vocab: &Vocabulary,
    encoded: &Encoded,
    text: &str,
    push: &[f32],
    n: usize,
) -> Vec<Evidence> {
    // Positions in `x` of the features that pushed, strongest first (ties
    // by feature index, which is position order).
    let mut contributions: Vec<(usize, f32)> = push
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, c)| *c > 0.0)
        .collect();
    let mut evidence: Vec<Evidence> = Vec::new();
    for (slot, weight) in strongest_first(&mut contributions) {
        if evidence.len() == n {
            break;
        }
        let feature = encoded.x[slot].0;
        let occurrence = encoded.occurrences[encoded.first[slot] as usize];
        let (term, source) = match (occurrence.span, vocab.feature(feature)) {
            (Some((s, e)), _) => (text[s..e].to_string(), "text"),
            (None, Feature::Sector(s)) => (format!("partner sector: {s}"), "partners"),
            (None, f) => (f.to_string(), "partners"),
        };
        // A word can back a decision as a unigram and as a cue; show it
        // once, with the combined push.
        if let Some(seen) = evidence
            .iter_mut()
            .find(|e| e.term.eq_ignore_ascii_case(&term))
        {
            seen.weight += weight;
            continue;
        }
        evidence.push(Evidence {
            term,
            feature: vocab.terms[feature as usize].clone(),
            weight,
            source,
        });
    }
    evidence.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    evidence
}

/// `(position, push)` pairs strongest first (ties by position), sorting
/// only as far as they are consumed: evidence needs the first few of a
/// record's hundred-odd features.
fn strongest_first(items: &mut [(usize, f32)]) -> impl Iterator<Item = (usize, f32)> + '_ {
    fn order(a: &(usize, f32), b: &(usize, f32)) -> std::cmp::Ordering {
        b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
    }
    const BLOCK: usize = 8;
    let mut done = 0;
    std::iter::from_fn(move || {
        if done == items.len() {
            return None;
        }
        if done % BLOCK == 0 {
            // Bring the next block of strongest to the front, in order. The
            // order is total (positions are distinct), so this yields the
            // same sequence as a full sort.
            let rest = &mut items[done..];
            if rest.len() > BLOCK {
                rest.select_nth_unstable_by(BLOCK - 1, order);
                rest[..BLOCK].sort_unstable_by(order);
            } else {
                rest.sort_unstable_by(order);
            }
        }
        done += 1;
        Some(items[done - 1])
    })
}

/// Marks an occurrence that lies in no single sentence, or a record
/// without sentence boundaries.
const NO_SENTENCE: u32 = u32::MAX;

/// A record's features as one featurizer sees them, shared by the axes
/// that use the featurizer.
struct Encoded {
    /// In-vocabulary feature occurrences, in extraction order.
    occurrences: Vec<features::Occurrence>,
    x: SparseVec,
    /// Position in `x` of each occurrence's feature.
    slot: Vec<u32>,
    /// Per entry of `x`, its first occurrence (where its evidence is
    /// quoted from).
    first: Vec<u32>,
    /// Per occurrence, the sentence (index into the ends) that holds it
    /// whole, or [`NO_SENTENCE`]; empty without sentence ends.
    sentence: Vec<u32>,
}

thread_local! {
    /// Per vocabulary index, its position among a record's distinct
    /// features while the record is encoded (`u32::MAX` otherwise): counts
    /// and positions without a hash map or a sort of every occurrence.
    static POSITIONS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

impl Encoded {
    fn new(occurrences: Vec<features::Occurrence>, vocab: &Vocabulary, ends: &[usize]) -> Self {
        let (x, slot, first) = POSITIONS.with_borrow_mut(|position| {
            if position.len() < vocab.len() {
                position.resize(vocab.len(), u32::MAX);
            }
            // Distinct features in order of first occurrence, with counts.
            let mut counts: Vec<(u32, u32)> = Vec::new();
            for o in &occurrences {
                let p = &mut position[o.feature as usize];
                if *p == u32::MAX {
                    *p = counts.len() as u32;
                    counts.push((o.feature, 0));
                }
                counts[*p as usize].1 += 1;
            }
            counts.sort_unstable_by_key(|(i, _)| *i);
            for (at, (i, _)) in counts.iter().enumerate() {
                position[*i as usize] = at as u32;
            }
            let x = vocab.weigh(&counts);
            let slot: Vec<u32> = occurrences
                .iter()
                .map(|o| position[o.feature as usize])
                .collect();
            for (i, _) in &counts {
                position[*i as usize] = u32::MAX;
            }
            let mut first = vec![u32::MAX; x.len()];
            for (at, &s) in slot.iter().enumerate() {
                if first[s as usize] == u32::MAX {
                    first[s as usize] = at as u32;
                }
            }
            (x, slot, first)
        });
        let sentence = if ends.is_empty() {
            Vec::new()
        } else {
            occurrences
                .iter()
                .map(|o| match o.span {
                    Some((start, end)) => {
                        let sentence = ends.partition_point(|e| *e <= start);
                        // Features spanning a sentence break (bigrams)
                        // belong to neither.
                        if sentence < ends.len() && end <= ends[sentence] {
                            sentence as u32
                        } else {
                            NO_SENTENCE
                        }
                    }
                    None => NO_SENTENCE,
                })
                .collect()
        };
        Encoded {
            occurrences,
            x,
            slot,
            first,
            sentence,
        }
    }
}

/// Sentence ends (byte offsets) of `text`, in order; the last is the end of
/// the text.
fn sentence_ends(text: &str) -> Vec<usize> {
    // The end marks are ASCII, so scan bytes rather than decode chars: the
    // byte after an ASCII byte starts a char.
    let mut ends = Vec::new();
    for (i, b) in text.bytes().enumerate() {
        let end_here = matches!(b, b'.' | b'!' | b'?' | b'\n')
            && text[i + 1..]
                .chars()
                .next()
                .is_none_or(|n| n.is_whitespace());
        if end_here {
            ends.push(i + 1);
        }
    }
    ends.push(text.len());
    ends
}

/// The sentence whose features add up to the largest push (`push`: per
/// entry of the record's vector, only positive pushes count).
fn best_sentence(text: &str, ends: &[usize], encoded: &Encoded, push: &[f32]) -> Option<String> {
    if encoded.sentence.is_empty() {
        return None;
    }
    let mut scores = vec![0f32; ends.len()];
    for (&sentence, &slot) in encoded.sentence.iter().zip(&encoded.slot) {
        let w = push[slot as usize];
        if sentence != NO_SENTENCE && w > 0.0 {
            scores[sentence as usize] += w;
        }
    }
    let (best, score) =
        scores.iter().enumerate().fold(
            (0, 0f32),
            |acc, (i, s)| if *s > acc.1 { (i, *s) } else { acc },
        );
    if score <= 0.0 {
        return None;
    }
    let start = if best == 0 { 0 } else { ends[best - 1] };
    Some(text[start..ends[best]].trim().to_string()).filter(|s| !s.is_empty())
}

/// Softmax with temperature.
pub fn softmax(scores: &[f32], temperature: f32) -> Vec<f64> {
    let t = f64::from(temperature.max(1e-3));
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let exps: Vec<f64> = scores
        .iter()
        .map(|s| ((*s as f64 - max) / t).exp())
        .collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An algorithm this partnerkb does not know is refused at load,
    /// naming it, rather than taken for logistic regression.
    #[test]
    fn an_unknown_algorithm_fails_the_load() {
        let text =
            BUNDLED_MODEL.replacen("\"algorithm\": \"nb_svm\"", "\"algorithm\": \"forest\"", 1);
        assert_ne!(text, BUNDLED_MODEL, "the bundled model has an nb_svm head");
        let err = Model::from_json("altered", &text).expect_err("unknown algorithm");
        assert_eq!(err.code(), "bad_model");
        assert!(
            err.to_string().contains("unknown variant `forest`"),
            "{err}"
        );
    }
}
