//! The typology: the axes a partnership or lesson is labelled on and the
//! classes each axis allows, as defined in the project's codebook.
//!
//! Every label in the program (record validation, index facets, classifier
//! outputs, model files) is checked against this one definition, so that a
//! new class or a renamed one is a single edit here.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One labelling axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// Murphy and Bendell: operational vs. advocacy partnerships.
    Function,
    /// Witte et al.: negotiation, coordination or implementation networks.
    Mode,
    /// The operational challenge a lesson addresses (paper parts II and III).
    Challenge,
}

/// Which kind of record an axis labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    /// Partnership records.
    Partnerships,
    /// Lesson records.
    Lessons,
}

impl Axis {
    /// All axes, in a stable order.
    pub const ALL: [Axis; 3] = [Axis::Function, Axis::Mode, Axis::Challenge];
    /// The axes that label partnerships.
    pub const PARTNERSHIP: [Axis; 2] = [Axis::Function, Axis::Mode];

    /// The axis name as used in facets, flags and files.
    pub fn name(self) -> &'static str {
        match self {
            Axis::Function => "function",
            Axis::Mode => "mode",
            Axis::Challenge => "challenge",
        }
    }

    /// The allowed classes, sorted; the order is the class index used by
    /// models, so it must never depend on data.
    pub fn classes(self) -> &'static [&'static str] {
        match self {
            Axis::Function => &["advocacy", "operational"],
            Axis::Mode => &["coordination", "implementation", "negotiation"],
            Axis::Challenge => &[
                "accountability",
                "framing",
                "inclusion",
                "institutionalizing",
                "participation_power",
                "purpose_roles",
                "strategic_influence",
            ],
        }
    }

    /// Which records carry this axis.
    pub fn labels(self) -> Labels {
        match self {
            Axis::Function | Axis::Mode => Labels::Partnerships,
            Axis::Challenge => Labels::Lessons,
        }
    }

    /// Parse an axis name.
    pub fn parse(name: &str) -> Option<Axis> {
        Axis::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Index of `class` on this axis, or `None` when it is not allowed.
    pub fn class_index(self, class: &str) -> Option<usize> {
        self.classes().iter().position(|c| *c == class)
    }

    /// Validate a class name, returning the canonical static string.
    pub fn class(self, value: &str) -> Result<&'static str, String> {
        let wanted = value.trim().to_ascii_lowercase().replace('-', "_");
        self.classes()
            .iter()
            .find(|c| **c == wanted)
            .copied()
            .ok_or_else(|| {
                format!(
                    "unknown {} value `{}`, expected one of: {}",
                    self.name(),
                    value,
                    self.classes().join(", ")
                )
            })
    }
}

impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Partner sectors, as in the codebook's record format.
pub const SECTORS: [&str; 7] = [
    "un",
    "government",
    "business",
    "civil_society",
    "academia",
    "foundation",
    "other",
];

/// Geographic scopes.
pub const SCOPES: [&str; 4] = ["global", "regional", "national", "local"];

/// Validate a sector name, returning the canonical value.
pub fn sector(value: &str) -> Result<&'static str, String> {
    let wanted = value.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    SECTORS
        .iter()
        .find(|s| **s == wanted)
        .copied()
        .ok_or_else(|| {
            format!(
                "unknown sector `{}`, expected one of: {}",
                value,
                SECTORS.join(", ")
            )
        })
}

/// Validate a scope name, returning the canonical value.
pub fn scope(value: &str) -> Result<&'static str, String> {
    let wanted = value.trim().to_ascii_lowercase();
    SCOPES
        .iter()
        .find(|s| **s == wanted)
        .copied()
        .ok_or_else(|| {
            format!(
                "unknown scope `{}`, expected one of: {}",
                value,
                SCOPES.join(", ")
            )
        })
}

/// Decision cues from the codebook, as an explicit lexicon.
///
/// Each cue adds a synthetic token (`cue:<name>`) to a record's features
/// when one of its phrases occurs in the text, so that the classifier can
/// learn from the codebook's own tie-breakers even when a phrase is rare in
/// the training corpus. Phrases are matched on analyzed (stemmed) tokens, so
/// "pooled funds" and "pooling funding" meet the same cue.
pub const CUES: &[(&str, &[&str])] = &[
    (
        "pooled_fund",
        &[
            "pooled fund",
            "common fund",
            "trust fund",
            "financing mechanism",
            "financial mechanism",
            "grants to",
            "disburse",
            "fund projects",
            "co-financing",
            // A network that raises money and channels it into field work
            // is the codebook's "financial mechanism" (tie-breaker 1).
            "raise money",
            "raise funds",
        ],
    ),
    (
        "joint_programme",
        &[
            "jointly run",
            "joint programme",
            "joint program",
            "field programme",
            "field work",
            "on the ground",
            "pilot projects",
            "distribute",
            "deliver",
            "immunize",
            "vaccinate",
            "install",
            "build",
            "train",
            "restore",
            "develop drugs",
            "product development",
        ],
    ),
    (
        "agreed_standard",
        &[
            "standard",
            "certification",
            "certify",
            "criteria",
            "principles",
            "guidelines",
            "code of conduct",
            "agreed framework",
            "consensus",
            "negotiate",
            "multi-stakeholder dialogue",
            "commission",
            "moratorium",
        ],
    ),
    (
        "network_forum",
        &[
            "network",
            "forum",
            "platform",
            "alliance",
            "coalition",
            "inter-agency",
            "information sharing",
            "share information",
            "clearing-house",
            "community of practice",
            "coordinate",
            "harmonise",
            "harmonize",
            // The codebook lists umbrella frameworks among coordination.
            "umbrella",
        ],
    ),
    (
        "advocacy_verb",
        &[
            "advocate",
            "advocacy",
            "raise awareness",
            "awareness",
            "campaign",
            "lobby",
            "influence policy",
            "policy dialogue",
            "promote",
            "political will",
            "mobilize",
            "mobilise",
        ],
    ),
    (
        // Coordination: "each partner keeps acting on its own" - members
        // deliver through their own channels, budgets or projects while
        // the partnership aligns them (no pooled programme).
        "own_means",
        &[
            "own channels",
            "own budget",
            "own programmes",
            "own projects",
            "own resources",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_sorted_so_indices_are_stable() {
        for axis in Axis::ALL {
            let mut sorted = axis.classes().to_vec();
            sorted.sort();
            assert_eq!(sorted, axis.classes());
        }
    }

    #[test]
    fn class_parsing_is_forgiving_about_case_and_dashes() {
        assert_eq!(
            Axis::Challenge.class("Purpose-Roles").unwrap(),
            "purpose_roles"
        );
        assert!(Axis::Mode.class("lobbying").is_err());
    }
}
