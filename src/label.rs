//! Labels attached to a record: gold or predicted, and the classifier's
//! verdict on an axis.

use crate::record::Record;
use crate::typology::{Axis, Class};
use serde::{Deserialize, Serialize};

/// Where a label came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Given by a human annotator in the input.
    Gold,
    /// Assigned by the classifier.
    Predicted,
    /// Set or confirmed by a person after the fact (see
    /// [`crate::corrections`]); counts as a human label.
    Corrected,
}

impl Origin {
    /// The origin's name in JSON and on the page.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Gold => "gold",
            Origin::Predicted => "predicted",
            Origin::Corrected => "corrected",
        }
    }

    /// Whether a person gave the label (gold or corrected): what
    /// `--gold-only` counts and what retraining and reclassification keep.
    pub fn is_human(self) -> bool {
        !matches!(self, Origin::Predicted)
    }
}

/// Who corrected a label, when and why: carried by a label whose origin is
/// [`Origin::Corrected`] and written flat beside it in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectionNote {
    /// `set` or `confirm`.
    pub action: crate::corrections::Action,
    /// The name the person gave.
    pub by: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Why, in the person's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Position of the correction in the journal.
    pub seq: u64,
    /// The record's text changed since the correction was made (it was
    /// re-ingested with another description): worth a second look.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub text_changed: bool,
}

/// A label on one axis. The axis is the class's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredLabel")]
pub struct AssignedLabel {
    /// The axis.
    pub axis: Axis,
    /// The class.
    pub label: Class,
    /// Gold or predicted.
    pub origin: Origin,
    /// The model's probability (predicted labels only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// The id of the model that predicted it (predicted labels only), so
    /// `reclassify` and `/api/stats` can tell which model labelled what.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Who corrected it, when and why (corrected labels only).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub correction: Option<CorrectionNote>,
}

/// An [`AssignedLabel`] as written, before its class is checked against
/// its axis.
#[derive(Deserialize)]
struct StoredLabel {
    axis: Axis,
    label: String,
    origin: Origin,
    #[serde(default)]
    probability: Option<f64>,
    #[serde(default)]
    model: Option<String>,
    #[serde(flatten)]
    correction: Option<CorrectionNote>,
}

impl TryFrom<StoredLabel> for AssignedLabel {
    type Error = crate::typology::UnknownValue;
    fn try_from(raw: StoredLabel) -> Result<AssignedLabel, Self::Error> {
        Ok(AssignedLabel {
            axis: raw.axis,
            label: Class::parse(raw.axis, &raw.label)?,
            origin: raw.origin,
            probability: raw.probability,
            model: raw.model,
            correction: raw.correction,
        })
    }
}

impl AssignedLabel {
    /// A human label.
    pub fn gold(label: Class) -> AssignedLabel {
        AssignedLabel {
            axis: label.axis(),
            label,
            origin: Origin::Gold,
            probability: None,
            model: None,
            correction: None,
        }
    }

    /// A classifier's label with its probability and the model's id.
    pub fn predicted(label: Class, probability: f64, model: &str) -> AssignedLabel {
        AssignedLabel {
            axis: label.axis(),
            label,
            origin: Origin::Predicted,
            probability: Some(probability),
            model: (!model.is_empty()).then(|| model.to_string()),
            correction: None,
        }
    }

    /// A person's correction of the label on its class's axis.
    pub fn corrected(label: Class, note: CorrectionNote) -> AssignedLabel {
        AssignedLabel {
            axis: label.axis(),
            label,
            origin: Origin::Corrected,
            probability: None,
            model: None,
            correction: Some(note),
        }
    }
}

/// The classifier's verdict on one axis: a class, or `uncertain` when the
/// most likely class is below the confidence the user asked for. Written
/// as the class name or `"uncertain"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Confident enough.
    Class(Class),
    /// Below the asked confidence: worth a human look.
    Uncertain,
}

impl Verdict {
    /// The class name, or `uncertain`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Class(c) => c.name(),
            Verdict::Uncertain => "uncertain",
        }
    }

    /// The class, unless uncertain.
    pub fn class(self) -> Option<Class> {
        match self {
            Verdict::Class(c) => Some(c),
            Verdict::Uncertain => None,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Gold labels carried by the record itself, one per labelled axis of its
/// kind.
pub fn gold_labels(record: &Record) -> Vec<AssignedLabel> {
    record
        .kind()
        .axes()
        .iter()
        .filter_map(|&axis| record.gold(axis).map(AssignedLabel::gold))
        .collect()
}

/// Something that assigns predicted labels (the classifier).
pub trait Labeller: Sync {
    /// Predicted labels for the axes `record` has no gold label on.
    fn predict_missing(&self, record: &Record) -> Vec<AssignedLabel>;
}
