//! The data model: partnerships and lessons.
//!
//! Records are plain serde structs so that JSONL, CSV and the index all
//! share one definition; label values are checked against the
//! [typology](crate::typology) by [`Partnership::validate`] and
//! [`Lesson::validate`] rather than by serde, so a bad value is reported
//! with its field name instead of as a generic parse failure.

use crate::typology::{self, Axis};
use serde::{Deserialize, Serialize};

/// A partner organisation and the sector it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    /// Organisation name.
    pub name: String,
    /// One of [`typology::SECTORS`].
    pub sector: String,
}

/// Gold labels of a partnership.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnershipLabels {
    /// `operational` or `advocacy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// `negotiation`, `coordination` or `implementation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

impl PartnershipLabels {
    /// The gold label on `axis`, if any.
    pub fn get(&self, axis: Axis) -> Option<&str> {
        match axis {
            Axis::Function => self.function.as_deref(),
            Axis::Mode => self.mode.as_deref(),
            Axis::Challenge => None,
        }
    }
}

/// A multi-stakeholder partnership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partnership {
    /// Stable slug.
    pub id: String,
    /// Name of the partnership.
    pub name: String,
    /// Free-text description: the classifier's main evidence.
    pub description: String,
    /// Who takes part.
    #[serde(default)]
    pub partners: Vec<Partner>,
    /// Lead entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    /// Themes (lowercase words).
    #[serde(default)]
    pub themes: Vec<String>,
    /// `global`, `regional`, `national` or `local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Year the partnership started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_year: Option<i32>,
    /// Public web address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Gold labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<PartnershipLabels>,
    /// `high` or `low`: how sure the annotator was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
}

/// Partnership types a lesson matters most for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    /// `function` classes.
    #[serde(default)]
    pub function: Vec<String>,
    /// `mode` classes.
    #[serde(default)]
    pub mode: Vec<String>,
}

impl AppliesTo {
    /// The classes listed for `axis`.
    pub fn get(&self, axis: Axis) -> &[String] {
        match axis {
            Axis::Function => &self.function,
            Axis::Mode => &self.mode,
            Axis::Challenge => &[],
        }
    }

    /// True when no type is listed.
    pub fn is_empty(&self) -> bool {
        self.function.is_empty() && self.mode.is_empty()
    }
}

/// A lesson learned or recommended practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Stable slug.
    pub id: String,
    /// One-line summary (for document passages: the section heading).
    pub title: String,
    /// The lesson itself.
    pub text: String,
    /// Operational challenge; `None` when it is to be predicted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    /// Partnership types it matters most for.
    #[serde(default, skip_serializing_if = "AppliesTo::is_empty")]
    pub applies_to: AppliesTo,
    /// Where it comes from, e.g. `msp-paper II.D.iv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Partnerships it cites, by id.
    #[serde(default)]
    pub examples: Vec<String>,
}

/// Either kind of record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Record {
    /// A partnership.
    Partnership(Partnership),
    /// A lesson.
    Lesson(Lesson),
}

/// The two kinds of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Partnership descriptions.
    Partnership,
    /// Lessons and recommended practices.
    Lesson,
}

impl Kind {
    /// The kind's name in the index and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Partnership => "partnership",
            Kind::Lesson => "lesson",
        }
    }
}

impl Record {
    /// The record's id.
    pub fn id(&self) -> &str {
        match self {
            Record::Partnership(p) => &p.id,
            Record::Lesson(l) => &l.id,
        }
    }

    /// Which kind of record this is.
    pub fn kind(&self) -> Kind {
        match self {
            Record::Partnership(_) => Kind::Partnership,
            Record::Lesson(_) => Kind::Lesson,
        }
    }

    /// Title (partnership name or lesson title).
    pub fn title(&self) -> &str {
        match self {
            Record::Partnership(p) => &p.name,
            Record::Lesson(l) => &l.title,
        }
    }

    /// Main text (description or lesson text).
    pub fn text(&self) -> &str {
        match self {
            Record::Partnership(p) => &p.description,
            Record::Lesson(l) => &l.text,
        }
    }

    /// Validate every field; returns `(field, reason)` for each problem.
    pub fn validate(&self) -> Vec<(String, String)> {
        match self {
            Record::Partnership(p) => p.validate(),
            Record::Lesson(l) => l.validate(),
        }
    }
}

fn check_id(id: &str, problems: &mut Vec<(String, String)>) {
    if id.is_empty() {
        problems.push(("id".into(), "must not be empty".into()));
    } else if !id.bytes().all(|b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
    }) {
        problems.push((
            "id".into(),
            format!("`{id}` is not a slug (lowercase letters, digits, `-`, `_`, `.`)"),
        ));
    }
}

fn check_nonblank(field: &str, value: &str, problems: &mut Vec<(String, String)>) {
    if value.trim().is_empty() {
        problems.push((field.into(), "must not be empty".into()));
    }
}

impl Partnership {
    /// A partnership known only by its text (a pasted description, a
    /// benchmark record): every optional field empty.
    pub fn from_text(id: &str, name: &str, description: &str) -> Partnership {
        Partnership {
            id: id.to_string(),
            name: name.to_string(),
            description: description.to_string(),
            partners: Vec::new(),
            lead: None,
            themes: Vec::new(),
            scope: None,
            start_year: None,
            url: None,
            labels: None,
            confidence: None,
        }
    }

    /// Validate every field against the typology.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        check_id(&self.id, &mut problems);
        check_nonblank("name", &self.name, &mut problems);
        check_nonblank("description", &self.description, &mut problems);
        for (i, partner) in self.partners.iter().enumerate() {
            if let Err(reason) = typology::sector(&partner.sector) {
                problems.push((format!("partners[{i}].sector"), reason));
            }
        }
        if let Some(scope) = &self.scope {
            if let Err(reason) = typology::scope(scope) {
                problems.push(("scope".into(), reason));
            }
        }
        if let Some(labels) = &self.labels {
            for axis in Axis::PARTNERSHIP {
                if let Some(value) = labels.get(axis) {
                    if let Err(reason) = axis.class(value) {
                        problems.push((format!("labels.{axis}"), reason));
                    }
                }
            }
        }
        if let Some(c) = &self.confidence {
            if c != "high" && c != "low" {
                problems.push((
                    "confidence".into(),
                    format!("unknown value `{c}`, expected high or low"),
                ));
            }
        }
        problems
    }

    /// Canonicalise label, sector and scope spellings (after validation).
    pub fn normalize(&mut self) {
        for p in &mut self.partners {
            if let Ok(s) = typology::sector(&p.sector) {
                p.sector = s.to_string();
            }
        }
        if let Some(scope) = self.scope.as_mut() {
            if let Ok(s) = typology::scope(scope) {
                *scope = s.to_string();
            }
        }
        if let Some(labels) = self.labels.as_mut() {
            if let Some(f) = labels.function.as_mut() {
                if let Ok(c) = Axis::Function.class(f) {
                    *f = c.to_string();
                }
            }
            if let Some(m) = labels.mode.as_mut() {
                if let Ok(c) = Axis::Mode.class(m) {
                    *m = c.to_string();
                }
            }
            if labels.function.is_none() && labels.mode.is_none() {
                self.labels = None;
            }
        }
    }

    /// Gold label on `axis`, if any.
    pub fn gold(&self, axis: Axis) -> Option<&str> {
        self.labels.as_ref().and_then(|l| l.get(axis))
    }
}

impl Lesson {
    /// A lesson known only by its text, challenge to be predicted.
    pub fn from_text(id: &str, title: &str, text: &str) -> Lesson {
        Lesson {
            id: id.to_string(),
            title: title.to_string(),
            text: text.to_string(),
            challenge: None,
            applies_to: AppliesTo::default(),
            source: None,
            examples: Vec::new(),
        }
    }

    /// Validate every field against the typology.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        check_id(&self.id, &mut problems);
        check_nonblank("title", &self.title, &mut problems);
        check_nonblank("text", &self.text, &mut problems);
        if let Some(c) = &self.challenge {
            if !c.trim().is_empty() {
                if let Err(reason) = Axis::Challenge.class(c) {
                    problems.push(("challenge".into(), reason));
                }
            }
        }
        for axis in Axis::PARTNERSHIP {
            for (i, value) in self.applies_to.get(axis).iter().enumerate() {
                if let Err(reason) = axis.class(value) {
                    problems.push((format!("applies_to.{axis}[{i}]"), reason));
                }
            }
        }
        problems
    }

    /// Canonicalise label spellings (after validation).
    pub fn normalize(&mut self) {
        if let Some(c) = self.challenge.as_ref() {
            self.challenge = Axis::Challenge.class(c).ok().map(str::to_string);
        }
        for value in self.applies_to.function.iter_mut() {
            if let Ok(c) = Axis::Function.class(value) {
                *value = c.to_string();
            }
        }
        for value in self.applies_to.mode.iter_mut() {
            if let Ok(c) = Axis::Mode.class(value) {
                *value = c.to_string();
            }
        }
    }
}
