//! The labelled corpus as a dataset: loading it with the project's own
//! readers, its class counts, and the agreement between the two labelling
//! passes (Cohen's kappa), so the dataset card is produced, not typed.

use crate::error::{Error, Result, UserError};
use crate::read::{self, ColumnMap};
use crate::record::{Kind, Lesson, Partnership, Record};
use crate::typology::{class_serde, Axis, Class, Scope, Sector};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hash::Hash;
use std::path::{Path, PathBuf};

/// One annotator's labels for one record (the side files
/// `labels_a.jsonl` and `labels_b.jsonl`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassLabel {
    /// Partnership id.
    pub id: String,
    /// `function` label.
    #[serde(deserialize_with = "class_serde::required_function")]
    pub function: Class,
    /// `mode` label.
    #[serde(deserialize_with = "class_serde::required_mode")]
    pub mode: Class,
    /// The annotator's confidence.
    #[serde(default)]
    pub confidence: Option<String>,
}

impl PassLabel {
    /// The label on `axis`; a pass labels partnerships only.
    pub fn get(&self, axis: Axis) -> Option<Class> {
        match axis {
            Axis::Function => Some(self.function),
            Axis::Mode => Some(self.mode),
            Axis::Challenge => None,
        }
    }
}

/// Where a record's text comes from (the dev set's `sources.jsonl`): the
/// real-source style it is written in, whether it is cut off as a scraper
/// would cut it, and the pages its facts were taken from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceNote {
    /// Partnership id.
    pub id: String,
    /// `registry_form`, `fact_sheet`, `business_initiative`, `website`,
    /// `press_release`, `annual_report` or `directory_profile`.
    pub style: String,
    /// Cut off mid-sentence at about 1,500 characters.
    pub truncated: bool,
    /// Pages read for the facts (addresses or titles).
    #[serde(default)]
    pub sources: Vec<String>,
}

/// Load a `sources.jsonl` side file.
pub fn load_sources(path: &Path) -> Result<Vec<SourceNote>> {
    load_side_file(path)
}

/// Read every record of a file, failing on the first bad one: the corpus
/// must be clean.
pub fn load_records(path: &Path, kind: Kind) -> Result<Vec<Record>> {
    read::read_path(path, Some(kind), &ColumnMap::default())?
        .map(|item| item.map(|l| l.record).map_err(Error::from))
        .collect()
}

/// A labelled corpus read for training or evaluation, with what a model
/// records of it.
#[derive(Debug, Clone)]
pub struct TrainingCorpus {
    /// Every record of every file, in order.
    pub records: Vec<Record>,
    /// SHA-256 (lowercase hex) over the files in order, each as its length
    /// (8 bytes, little-endian) then its bytes.
    pub sha256: String,
    /// The files' names (without their directories), in order.
    pub files: Vec<String>,
}

/// Read the corpus files to train or evaluate on (partnerships and lessons,
/// JSONL or CSV). A corpus must be clean: the first file with invalid
/// records fails the load with all of its errors
/// ([`UserError::InvalidCorpus`]).
pub fn load_training(files: &[PathBuf]) -> Result<TrainingCorpus> {
    let mut sources = Vec::with_capacity(files.len());
    for file in files {
        let bytes = std::fs::read(file).map_err(|source| UserError::Input {
            path: file.clone(),
            source,
        })?;
        sources.push((file.clone(), std::borrow::Cow::Owned(bytes)));
    }
    training_from(sources)
}

/// The corpus bundled in the binary, as [`load_training`] reads
/// `corpus/partnerships.jsonl` and `corpus/lessons.jsonl`: the same records,
/// digest and file names, so a model trained on it is byte for byte the
/// one trained on those files, from any working directory.
pub fn load_bundled_training() -> Result<TrainingCorpus> {
    training_from(vec![
        (
            PathBuf::from("corpus/partnerships.jsonl"),
            std::borrow::Cow::Borrowed(crate::bundle::PARTNERSHIPS),
        ),
        (
            PathBuf::from("corpus/lessons.jsonl"),
            std::borrow::Cow::Borrowed(crate::bundle::LESSONS),
        ),
    ])
}

/// The bundled held-out dev set as a corpus (records and digest), as
/// [`load_training`] would read `corpus/dev/partnerships.jsonl`.
pub fn load_bundled_dev_corpus() -> Result<TrainingCorpus> {
    training_from(vec![(
        PathBuf::from("corpus/dev/partnerships.jsonl"),
        std::borrow::Cow::Borrowed(crate::bundle::DEV_PARTNERSHIPS),
    )])
}

/// The bundled held-out dev set's records.
pub fn load_bundled_dev() -> Result<Vec<Record>> {
    let items = read::read_bytes(
        "corpus/dev/partnerships.jsonl",
        crate::bundle::DEV_PARTNERSHIPS,
        read::Format::Jsonl,
        Some(Kind::Partnership),
    )?;
    items
        .map(|item| item.map(|l| l.record).map_err(Error::from))
        .collect()
}

fn training_from(
    sources: Vec<(PathBuf, std::borrow::Cow<'static, [u8]>)>,
) -> Result<TrainingCorpus> {
    let mut records = Vec::new();
    let mut hash = Sha256::new();
    let mut names = Vec::new();
    for (file, bytes) in sources {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
        let mut errors = Vec::new();
        let format = read::Format::from_path(&file)?;
        let reader: Box<dyn std::io::Read + Send> = match bytes {
            std::borrow::Cow::Borrowed(b) => Box::new(b),
            std::borrow::Cow::Owned(b) => Box::new(std::io::Cursor::new(b)),
        };
        let items = read::open_reader(
            file.display().to_string(),
            reader,
            format,
            None,
            &ColumnMap::default(),
        )?;
        for item in items {
            match item {
                Ok(located) => records.push(located.record),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(UserError::InvalidCorpus {
                path: file.clone(),
                errors,
            }
            .into());
        }
        names.push(
            file.file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default(),
        );
    }
    Ok(TrainingCorpus {
        records,
        sha256: format!("{:x}", hash.finalize()),
        files: names,
    })
}

/// Load partnerships from a JSONL or CSV file.
pub fn load_partnerships(path: &Path) -> Result<Vec<Partnership>> {
    Ok(load_records(path, Kind::Partnership)?
        .into_iter()
        .filter_map(|r| match r {
            Record::Partnership(p) => Some(p),
            Record::Lesson(_) => None,
        })
        .collect())
}

/// Load lessons from a JSONL or CSV file.
pub fn load_lessons(path: &Path) -> Result<Vec<Lesson>> {
    Ok(load_records(path, Kind::Lesson)?
        .into_iter()
        .filter_map(|r| match r {
            Record::Lesson(l) => Some(l),
            Record::Partnership(_) => None,
        })
        .collect())
}

/// Load a labelling pass side file.
pub fn load_pass(path: &Path) -> Result<Vec<PassLabel>> {
    load_side_file(path)
}

fn load_side_file<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let text = std::fs::read_to_string(path).map_err(|source| UserError::Input {
        path: path.to_path_buf(),
        source,
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                Error::from(crate::RecordError {
                    file: path.display().to_string(),
                    line: i as u64 + 1,
                    field: "record".into(),
                    reason: e.to_string(),
                })
            })
        })
        .collect()
}

/// Cohen's kappa between two label sequences of equal length.
pub fn cohen_kappa<T: Eq + Hash>(a: &[T], b: &[T]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    if n == 0.0 {
        return f64::NAN;
    }
    let observed = a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / n;
    let mut ca: HashMap<&T, f64> = HashMap::new();
    let mut cb: HashMap<&T, f64> = HashMap::new();
    for (x, y) in a.iter().zip(b) {
        *ca.entry(x).or_default() += 1.0;
        *cb.entry(y).or_default() += 1.0;
    }
    let expected: f64 = ca
        .iter()
        .map(|(k, v)| v * cb.get(k).copied().unwrap_or(0.0))
        .sum::<f64>()
        / (n * n);
    if (1.0 - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (observed - expected) / (1.0 - expected)
}

/// Agreement between the two passes on one axis.
#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    /// Records labelled by both passes.
    pub n: usize,
    /// Share of identical labels.
    pub observed: f64,
    /// Cohen's kappa.
    pub kappa: f64,
    /// Records where the passes disagreed: id, pass A, pass B, adjudicated.
    pub disagreements: Vec<(String, String, String, String)>,
}

/// Everything the dataset card reports.
#[derive(Debug, Clone, Serialize)]
pub struct CorpusReport {
    /// Number of partnerships.
    pub partnerships: usize,
    /// Number of lessons.
    pub lessons: usize,
    /// Gold label counts per axis and class (partnerships: function,
    /// mode; lessons: challenge).
    pub labels: BTreeMap<String, BTreeMap<String, usize>>,
    /// `function × mode` cross-tabulation.
    pub function_by_mode: BTreeMap<String, BTreeMap<String, usize>>,
    /// Records with `confidence: low`.
    pub low_confidence: usize,
    /// Partnerships with at least one partner of each sector.
    pub sectors: BTreeMap<String, usize>,
    /// Partnerships without a partner list.
    pub without_partners: usize,
    /// Partnerships per scope.
    pub scopes: BTreeMap<String, usize>,
    /// Agreement of the two labelling passes per axis.
    pub agreement: BTreeMap<String, Agreement>,
    /// Lessons with `applies_to` / with examples.
    pub lessons_with_applies_to: usize,
    /// Lessons citing example partnerships.
    pub lessons_with_examples: usize,
    /// Records per real-source style (sets with a `sources.jsonl`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub styles: BTreeMap<String, usize>,
    /// Records cut off mid-sentence (sets with a `sources.jsonl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<usize>,
}

impl CorpusReport {
    /// Add the source styles of a set that records them.
    pub fn with_sources(mut self, sources: &[SourceNote]) -> CorpusReport {
        for s in sources {
            *self.styles.entry(s.style.clone()).or_default() += 1;
        }
        self.truncated = Some(sources.iter().filter(|s| s.truncated).count());
        self
    }
}

/// Compute the report. `passes` are the two independent labelling passes.
pub fn report(
    partnerships: &[Partnership],
    lessons: &[Lesson],
    passes: Option<(&[PassLabel], &[PassLabel])>,
) -> CorpusReport {
    let mut labels: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut cross: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut sectors: BTreeMap<String, usize> =
        Sector::ALL.iter().map(|s| (s.to_string(), 0)).collect();
    let mut scopes = BTreeMap::new();
    for p in partnerships {
        for axis in Axis::PARTNERSHIP {
            if let Some(l) = p.gold(axis) {
                *labels
                    .entry(axis.name().into())
                    .or_default()
                    .entry(l.name().into())
                    .or_default() += 1;
            }
        }
        if let (Some(f), Some(m)) = (p.gold(Axis::Function), p.gold(Axis::Mode)) {
            *cross
                .entry(f.name().into())
                .or_default()
                .entry(m.name().into())
                .or_default() += 1;
        }
        let mut seen: Vec<&str> = p.partners.iter().map(|x| x.sector.name()).collect();
        seen.sort();
        seen.dedup();
        for s in seen {
            *sectors.entry(s.into()).or_default() += 1;
        }
        *scopes
            .entry(p.scope.map_or("(none)", Scope::name).to_string())
            .or_default() += 1;
    }
    for l in lessons {
        if let Some(c) = &l.challenge {
            *labels
                .entry("challenge".into())
                .or_default()
                .entry(c.name().to_string())
                .or_default() += 1;
        }
    }
    let mut agreement = BTreeMap::new();
    if let Some((a, b)) = passes {
        let b_by_id: HashMap<&str, &PassLabel> = b.iter().map(|l| (l.id.as_str(), l)).collect();
        let gold: HashMap<&str, &Partnership> =
            partnerships.iter().map(|p| (p.id.as_str(), p)).collect();
        for axis in Axis::PARTNERSHIP {
            let pairs: Vec<(&PassLabel, &PassLabel)> = a
                .iter()
                .filter_map(|x| b_by_id.get(x.id.as_str()).map(|y| (x, *y)))
                .collect();
            let la: Vec<Option<Class>> = pairs.iter().map(|(x, _)| x.get(axis)).collect();
            let lb: Vec<Option<Class>> = pairs.iter().map(|(_, y)| y.get(axis)).collect();
            let disagreements = pairs
                .iter()
                .filter(|(x, y)| x.get(axis) != y.get(axis))
                .map(|(x, y)| {
                    let adjudicated = gold
                        .get(x.id.as_str())
                        .and_then(|p| p.gold(axis))
                        .map_or("?", Class::name);
                    let name = |c: Option<Class>| c.map_or("?", Class::name).to_string();
                    (
                        x.id.clone(),
                        name(x.get(axis)),
                        name(y.get(axis)),
                        adjudicated.to_string(),
                    )
                })
                .collect();
            let n = pairs.len();
            let observed = if n == 0 {
                f64::NAN
            } else {
                la.iter().zip(&lb).filter(|(x, y)| x == y).count() as f64 / n as f64
            };
            agreement.insert(
                axis.name().to_string(),
                Agreement {
                    n,
                    observed,
                    kappa: cohen_kappa(&la, &lb),
                    disagreements,
                },
            );
        }
    }
    CorpusReport {
        partnerships: partnerships.len(),
        lessons: lessons.len(),
        labels,
        function_by_mode: cross,
        low_confidence: partnerships
            .iter()
            .filter(|p| p.confidence.as_deref() == Some("low"))
            .count(),
        sectors,
        without_partners: partnerships
            .iter()
            .filter(|p| p.partners.is_empty())
            .count(),
        scopes,
        agreement,
        lessons_with_applies_to: lessons.iter().filter(|l| !l.applies_to.is_empty()).count(),
        lessons_with_examples: lessons.iter().filter(|l| !l.examples.is_empty()).count(),
        styles: BTreeMap::new(),
        truncated: None,
    }
}

impl CorpusReport {
    /// The report as Markdown tables for the dataset card.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} partnerships ({} marked `confidence: low`, {} without a partner list) and {} lessons.\n",
            self.partnerships, self.low_confidence, self.without_partners, self.lessons
        );
        let _ = writeln!(
            s,
            "| function \\ mode | coordination | implementation | negotiation | total |"
        );
        let _ = writeln!(s, "| --- | ---: | ---: | ---: | ---: |");
        for f in Axis::Function.classes() {
            let row = self.function_by_mode.get(*f);
            let cell = |m: &str| row.and_then(|r| r.get(m)).copied().unwrap_or(0);
            let total: usize = Axis::Mode.classes().iter().map(|m| cell(m)).sum();
            let _ = writeln!(
                s,
                "| {f} | {} | {} | {} | {total} |",
                cell("coordination"),
                cell("implementation"),
                cell("negotiation")
            );
        }
        let col = |m: &str| {
            self.labels
                .get("mode")
                .and_then(|r| r.get(m))
                .copied()
                .unwrap_or(0)
        };
        let _ = writeln!(
            s,
            "| total | {} | {} | {} | {} |\n",
            col("coordination"),
            col("implementation"),
            col("negotiation"),
            self.partnerships
        );
        if self.lessons > 0 {
            let _ = writeln!(s, "| lesson challenge | lessons |\n| --- | ---: |");
            for c in Axis::Challenge.classes() {
                let n = self
                    .labels
                    .get("challenge")
                    .and_then(|r| r.get(*c))
                    .copied()
                    .unwrap_or(0);
                let _ = writeln!(s, "| {c} | {n} |");
            }
            let _ = writeln!(
                s,
                "\n{} lessons name the partnership types they apply to; {} cite example partnerships.\n",
                self.lessons_with_applies_to, self.lessons_with_examples
            );
        }
        if !self.styles.is_empty() {
            let _ = writeln!(s, "| source style | records |\n| --- | ---: |");
            for (k, v) in &self.styles {
                let _ = writeln!(s, "| {k} | {v} |");
            }
            let _ = writeln!(
                s,
                "\n{} records are cut off mid-sentence, as a scraper cuts a page.\n",
                self.truncated.unwrap_or(0)
            );
        }
        let _ = writeln!(
            s,
            "| partner sector | partnerships with one or more |\n| --- | ---: |"
        );
        for (k, v) in &self.sectors {
            let _ = writeln!(s, "| {k} | {v} |");
        }
        let _ = writeln!(s, "\n| scope | partnerships |\n| --- | ---: |");
        for (k, v) in &self.scopes {
            let _ = writeln!(s, "| {k} | {v} |");
        }
        if !self.agreement.is_empty() {
            let _ = writeln!(
                s,
                "\n| axis | records | observed agreement | Cohen's kappa | disagreements |\n| --- | ---: | ---: | ---: | ---: |"
            );
            for (axis, a) in &self.agreement {
                let _ = writeln!(
                    s,
                    "| {axis} | {} | {:.3} | {:.3} | {} |",
                    a.n,
                    a.observed,
                    a.kappa,
                    a.disagreements.len()
                );
            }
            let _ = writeln!(s, "\n| record | axis | pass A | pass B | adjudicated |\n| --- | --- | --- | --- | --- |");
            for (axis, a) in &self.agreement {
                for (id, x, y, g) in &a.disagreements {
                    let _ = writeln!(s, "| {id} | {axis} | {x} | {y} | {g} |");
                }
            }
        }
        s
    }
}

/// Add the corrections journaled in `kb` to a training corpus: each
/// corrected record, with its text as the index holds it now and its
/// corrected labels as gold, replaces the corpus record of the same id or
/// joins the corpus. A correction wins over a corpus label: it is the
/// later, considered judgement. Records are added in id order so the same
/// corpus and journal give the same model.
pub fn add_corrections(
    corpus: &mut TrainingCorpus,
    kb: &crate::index::KnowledgeBase,
) -> Result<crate::classify::model::CorrectionsUsed> {
    let contents = kb.corrections()?;
    let latest = contents.latest();
    let mut used = crate::classify::model::CorrectionsUsed {
        records: 0,
        corrections: 0,
        replaced: 0,
        journal_sha256: contents.sha256.clone(),
    };
    for id in latest.ids() {
        let hit = match kb.get(id) {
            Ok(hit) => hit,
            // A corrected record since removed from the index has no text
            // to learn from.
            Err(crate::Error::User(UserError::NotFound(_))) => continue,
            Err(e) => return Err(e),
        };
        let mut record = hit.to_record()?;
        let kind = record.kind();
        let mut n = 0;
        for c in latest.of(id).filter(|c| c.kind == kind) {
            n += usize::from(record.set_gold(c.label));
        }
        if n == 0 {
            continue;
        }
        used.records += 1;
        used.corrections += n;
        match corpus
            .records
            .iter_mut()
            .find(|r| r.id() == id && r.kind() == record.kind())
        {
            Some(existing) => {
                // Keep the corpus's labels on the axes nobody corrected.
                for axis in record.kind().axes() {
                    if record.gold(*axis).is_none() {
                        if let Some(class) = existing.gold(*axis) {
                            record.set_gold(class);
                        }
                    }
                }
                *existing = record;
                used.replaced += 1;
            }
            None => corpus.records.push(record),
        }
    }
    Ok(used)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_matches_a_hand_computed_case() {
        // 10 items, 8 agree; marginals a: 6 x / 4 y, b: 6 x / 4 y.
        let a = ["x", "x", "x", "x", "x", "x", "y", "y", "y", "y"];
        let b = ["x", "x", "x", "x", "x", "y", "y", "y", "y", "x"];
        let pe = (6.0 * 6.0 + 4.0 * 4.0) / 100.0;
        let want = (0.8 - pe) / (1.0 - pe);
        assert!((cohen_kappa(&a, &b) - want).abs() < 1e-12);
    }
}
