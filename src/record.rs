//! The data model: partnerships and lessons.
//!
//! Records are plain serde structs so that JSONL, CSV and the index all
//! share one definition. Labels are typed [`Class`]es, checked against
//! their axis when a record is read (a bad value is reported under its
//! field's path); the other fields are checked by [`Partnership::validate`]
//! and [`Lesson::validate`], which list every problem at once.

pub use crate::typology::Kind;
use crate::typology::{class_serde, Axis, Class, Scope, Sector};
use serde::{Deserialize, Serialize};

/// A partner organisation and the sector it belongs to.
///
/// In JSON the sector may be left out (`{"name": "UNEP"}`): the readers
/// then infer it from the name ([`crate::gazetteer`]) and say so in
/// `sector_origin`, which is written only when the sector was not given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "PartnerFields")]
pub struct Partner {
    /// Organisation name.
    pub name: String,
    /// The partner's sector.
    pub sector: Sector,
    /// Where the sector comes from.
    #[serde(skip_serializing_if = "SectorOrigin::is_given")]
    pub sector_origin: SectorOrigin,
}

impl Partner {
    /// A partner whose sector the input gave.
    pub fn given(name: &str, sector: Sector) -> Partner {
        Partner {
            name: name.to_string(),
            sector,
            sector_origin: SectorOrigin::Given,
        }
    }

    /// A partner known by name only: sector `other` until the readers
    /// infer one ([`crate::gazetteer::complete`]).
    pub fn named(name: &str) -> Partner {
        Partner {
            name: name.to_string(),
            sector: Sector::Other,
            sector_origin: SectorOrigin::Unknown,
        }
    }
}

/// Where a partner's sector comes from, so that a user can tell what the
/// input said from what partnerkb guessed (and filter on the former:
/// `--gold-only`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SectorOrigin {
    /// The input gave it.
    #[default]
    Given,
    /// Inferred from the partner's name by the gazetteer.
    Inferred,
    /// Not given, and the name matched no rule: the sector is `other`.
    Unknown,
}

impl SectorOrigin {
    /// The origin's name in JSON and in reports.
    pub fn name(self) -> &'static str {
        match self {
            SectorOrigin::Given => "given",
            SectorOrigin::Inferred => "inferred",
            SectorOrigin::Unknown => "unknown",
        }
    }

    /// True for [`SectorOrigin::Given`] (the default, not written).
    pub fn is_given(&self) -> bool {
        *self == SectorOrigin::Given
    }
}

/// A partner as written in JSON: the sector is optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartnerFields {
    name: String,
    #[serde(default)]
    sector: Option<Sector>,
    #[serde(default)]
    sector_origin: Option<SectorOrigin>,
}

impl From<PartnerFields> for Partner {
    fn from(f: PartnerFields) -> Partner {
        match (f.sector, f.sector_origin) {
            // No sector: to be inferred, whatever the origin claims.
            (None, _) => Partner::named(&f.name),
            (Some(sector), origin) => Partner {
                name: f.name,
                sector,
                sector_origin: origin.unwrap_or_default(),
            },
        }
    }
}

/// Gold labels of a partnership.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnershipLabels {
    /// `operational` or `advocacy`.
    #[serde(
        default,
        deserialize_with = "class_serde::function",
        skip_serializing_if = "Option::is_none"
    )]
    pub function: Option<Class>,
    /// `negotiation`, `coordination` or `implementation`.
    #[serde(
        default,
        deserialize_with = "class_serde::mode",
        skip_serializing_if = "Option::is_none"
    )]
    pub mode: Option<Class>,
}

impl PartnershipLabels {
    /// The gold label on `axis`, if any.
    pub fn get(&self, axis: Axis) -> Option<Class> {
        match axis {
            Axis::Function => self.function,
            Axis::Mode => self.mode,
            Axis::Challenge => None,
        }
    }

    /// Set (or clear) the label on `class_axis`; `None` when the axis is
    /// not a partnership axis.
    pub fn set(&mut self, axis: Axis, class: Option<Class>) -> Option<()> {
        debug_assert!(class.is_none_or(|c| c.axis() == axis));
        match axis {
            Axis::Function => self.function = class,
            Axis::Mode => self.mode = class,
            Axis::Challenge => return None,
        }
        Some(())
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
    pub scope: Option<Scope>,
    /// The coverage as the input wrote it (`Asia and the Pacific`, `Ghana;
    /// Mali`), kept when `scope` was mapped from it (CSV's scope column),
    /// or given in JSON for the readers to map when `scope` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_text: Option<String>,
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
    #[serde(default, deserialize_with = "class_serde::functions")]
    pub function: Vec<Class>,
    /// `mode` classes.
    #[serde(default, deserialize_with = "class_serde::modes")]
    pub mode: Vec<Class>,
}

impl AppliesTo {
    /// The classes listed for `axis`.
    pub fn get(&self, axis: Axis) -> &[Class] {
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
    #[serde(
        default,
        deserialize_with = "class_serde::challenge",
        skip_serializing_if = "Option::is_none"
    )]
    pub challenge: Option<Class>,
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

    /// The gold (human) label on `axis`, if the record has one. An axis of
    /// the other kind has none.
    pub fn gold(&self, axis: Axis) -> Option<Class> {
        match self {
            Record::Partnership(p) => p.gold(axis),
            Record::Lesson(l) => l.gold(axis),
        }
    }

    /// Give the record the gold label `class` on its axis; `false` when
    /// the axis is not one of this kind's.
    pub fn set_gold(&mut self, class: Class) -> bool {
        match self {
            Record::Partnership(p) => p
                .labels
                .get_or_insert_with(Default::default)
                .set(class.axis(), Some(class))
                .is_some(),
            Record::Lesson(l) if class.axis() == Axis::Challenge => {
                l.challenge = Some(class);
                true
            }
            Record::Lesson(_) => false,
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
            scope_text: None,
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

    /// Canonical form after validation: a `labels` object without a label
    /// is no labels. (Values are canonical from the moment they are read.)
    pub fn normalize(&mut self) {
        if self
            .labels
            .as_ref()
            .is_some_and(|l| l.function.is_none() && l.mode.is_none())
        {
            self.labels = None;
        }
    }

    /// Gold label on `axis`, if any.
    pub fn gold(&self, axis: Axis) -> Option<Class> {
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
        problems
    }

    /// The gold challenge when `axis` is the challenge axis.
    pub fn gold(&self, axis: Axis) -> Option<Class> {
        match axis {
            Axis::Challenge => self.challenge,
            Axis::Function | Axis::Mode => None,
        }
    }
}
