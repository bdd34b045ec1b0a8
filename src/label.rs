//! Labels attached to a record in the index, gold or predicted.

use crate::typology::Axis;
use serde::{Deserialize, Serialize};

/// Where a label came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Given by a human annotator in the input.
    Gold,
    /// Assigned by the classifier.
    Predicted,
}

/// A label on one axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignedLabel {
    /// The axis.
    pub axis: Axis,
    /// The class.
    pub label: String,
    /// Gold or predicted.
    pub origin: Origin,
    /// The model's probability (predicted labels only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}
