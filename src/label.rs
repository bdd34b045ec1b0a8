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
}

impl Origin {
    /// The origin's name in JSON and on the page.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Gold => "gold",
            Origin::Predicted => "predicted",
        }
    }
}

/// A label on one axis. The axis is the class's own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
}

impl TryFrom<StoredLabel> for AssignedLabel {
    type Error = crate::typology::UnknownValue;
    fn try_from(raw: StoredLabel) -> Result<AssignedLabel, Self::Error> {
        Ok(AssignedLabel {
            axis: raw.axis,
            label: Class::parse(raw.axis, &raw.label)?,
            origin: raw.origin,
            probability: raw.probability,
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
        }
    }

    /// A classifier's label with its probability.
    pub fn predicted(label: Class, probability: f64) -> AssignedLabel {
        AssignedLabel {
            axis: label.axis(),
            label,
            origin: Origin::Predicted,
            probability: Some(probability),
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
