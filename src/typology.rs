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

/// The two kinds of record, and the axes each is labelled on.
///
/// This is the one place that ties kinds to axes: everything else asks
/// [`Kind::axes`] or [`Axis::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Partnership descriptions.
    Partnership,
    /// Lessons and recommended practices.
    Lesson,
}

impl Kind {
    /// Both kinds, in a stable order.
    pub const ALL: [Kind; 2] = [Kind::Partnership, Kind::Lesson];

    /// The kind's name in the index and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Partnership => "partnership",
            Kind::Lesson => "lesson",
        }
    }

    /// The axes records of this kind are labelled on.
    pub fn axes(self) -> &'static [Axis] {
        match self {
            Kind::Partnership => &Axis::PARTNERSHIP,
            Kind::Lesson => &[Axis::Challenge],
        }
    }

    /// Parse a kind name (`partnership`, `lesson`, case-insensitive).
    pub fn parse(name: &str) -> Result<Kind, UnknownValue> {
        let wanted = name.trim().to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| UnknownValue {
                what: "kind",
                value: name.to_string(),
                expected: Kind::ALL.iter().map(|k| k.name()).collect(),
            })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Kind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Kind, UnknownValue> {
        Kind::parse(s)
    }
}

/// A value that is not part of the typology: an unknown kind, axis, class,
/// sector or scope. Its message names what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`, expected one of: {}", expected.join(", "))]
pub struct UnknownValue {
    /// What was being parsed (`mode value`, `axis`, `kind`, `sector`…).
    pub what: &'static str,
    /// The value as given.
    pub value: String,
    /// The allowed values.
    pub expected: Vec<&'static str>,
}

impl Axis {
    /// All axes, in a stable order.
    pub const ALL: [Axis; 3] = [Axis::Function, Axis::Mode, Axis::Challenge];
    /// The axes that label partnerships.
    pub const PARTNERSHIP: [Axis; 2] = [Axis::Function, Axis::Mode];

    /// The axis name as used in facets, flags and files.
    pub fn name(self) -> &'static str {
        self.name_const()
    }

    /// [`Axis::name`] for constants.
    pub const fn name_const(self) -> &'static str {
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

    /// Which kind of record carries this axis.
    pub fn kind(self) -> Kind {
        match self {
            Axis::Function | Axis::Mode => Kind::Partnership,
            Axis::Challenge => Kind::Lesson,
        }
    }

    /// Parse an axis name.
    pub fn parse(name: &str) -> Result<Axis, UnknownValue> {
        Axis::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| UnknownValue {
                what: "axis",
                value: name.to_string(),
                expected: Axis::ALL.iter().map(|a| a.name()).collect(),
            })
    }

    /// Every class of this axis, in class-index order.
    pub fn all_classes(self) -> impl Iterator<Item = Class> {
        (0..self.classes().len()).map(move |i| Class {
            axis: self,
            index: i as u8,
        })
    }

    /// The classes in the order the codebook lists them, for people
    /// (`classes()` is alphabetical: the models' index order).
    pub fn codebook_order(self) -> &'static [&'static str] {
        match self {
            Axis::Function => &["operational", "advocacy"],
            Axis::Mode => &["negotiation", "coordination", "implementation"],
            Axis::Challenge => &[
                "inclusion",
                "purpose_roles",
                "participation_power",
                "accountability",
                "strategic_influence",
                "institutionalizing",
                "framing",
            ],
        }
    }

    /// The axis's title for people.
    pub fn title(self) -> &'static str {
        match self {
            Axis::Function => "Function",
            Axis::Mode => "Mode",
            Axis::Challenge => "Challenge",
        }
    }

    /// How an unknown class of this axis is named in errors.
    fn value_noun(self) -> &'static str {
        match self {
            Axis::Function => "function value",
            Axis::Mode => "mode value",
            Axis::Challenge => "challenge value",
        }
    }

    /// Index of `class` on this axis, or `None` when it is not allowed.
    pub fn class_index(self, class: &str) -> Option<usize> {
        self.classes().iter().position(|c| *c == class)
    }

    /// Validate a class name, returning the canonical static string.
    pub fn class(self, value: &str) -> Result<&'static str, UnknownValue> {
        Class::parse(self, value).map(Class::name)
    }
}

impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One class of one axis: `mode=implementation`, `challenge=inclusion`.
///
/// A class is checked against its axis once, when it is parsed from user
/// input, a file or the index ([`Class::parse`]); after that it cannot
/// hold a value the typology does not allow. It is two bytes, compares by
/// axis then class index (the models' label order), and is written as its
/// bare name (`"implementation"`), so files and the index keep the form
/// they had when labels were strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Class {
    axis: Axis,
    index: u8,
}

impl Class {
    /// Parse a class of `axis`, forgiving case, surrounding blanks and
    /// `-` for `_` (`Purpose-Roles` is `purpose_roles`).
    pub fn parse(axis: Axis, value: &str) -> Result<Class, UnknownValue> {
        let wanted = value.trim().to_ascii_lowercase().replace('-', "_");
        axis.class_index(&wanted)
            .map(|index| Class {
                axis,
                index: index as u8,
            })
            .ok_or_else(|| UnknownValue {
                what: axis.value_noun(),
                value: value.to_string(),
                expected: axis.classes().to_vec(),
            })
    }

    /// The class at `index` in `axis.classes()`, if there is one.
    pub fn from_index(axis: Axis, index: usize) -> Option<Class> {
        (index < axis.classes().len()).then_some(Class {
            axis,
            index: index as u8,
        })
    }

    /// The axis this class belongs to.
    pub fn axis(self) -> Axis {
        self.axis
    }

    /// Position in `axis().classes()`: the class index models use.
    pub fn index(self) -> usize {
        usize::from(self.index)
    }

    /// The class name, as written in files, facets and flags.
    pub fn name(self) -> &'static str {
        self.axis.classes()[self.index()]
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Class {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// serde adapters for fields that hold classes of a known axis: a class is
/// written as its bare name, so reading needs the axis from the field.
/// An unknown value fails with [`UnknownValue`]'s message, which the
/// readers report under the field's path (`labels.mode: unknown mode
/// value ...`).
pub mod class_serde {
    use super::{Axis, Class};
    use serde::{Deserialize, Deserializer};

    fn one<'de, D: Deserializer<'de>>(axis: Axis, d: D) -> Result<Option<Class>, D::Error> {
        let value = Option::<String>::deserialize(d)?;
        match value {
            None => Ok(None),
            // A blank challenge means "to be predicted", as before.
            Some(v) if v.trim().is_empty() && axis == Axis::Challenge => Ok(None),
            Some(v) => Class::parse(axis, &v)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }

    fn many<'de, D: Deserializer<'de>>(axis: Axis, d: D) -> Result<Vec<Class>, D::Error> {
        let values = Vec::<String>::deserialize(d)?;
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                Class::parse(axis, v).map_err(|e| serde::de::Error::custom(format!("[{i}]: {e}")))
            })
            .collect()
    }

    /// `Option<Class>` of [`Axis::Function`].
    pub fn function<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Class>, D::Error> {
        one(Axis::Function, d)
    }
    /// `Option<Class>` of [`Axis::Mode`].
    pub fn mode<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Class>, D::Error> {
        one(Axis::Mode, d)
    }
    /// `Option<Class>` of [`Axis::Challenge`].
    pub fn challenge<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Class>, D::Error> {
        one(Axis::Challenge, d)
    }
    fn required<'de, D: Deserializer<'de>>(axis: Axis, d: D) -> Result<Class, D::Error> {
        let value = String::deserialize(d)?;
        Class::parse(axis, &value).map_err(serde::de::Error::custom)
    }

    /// A required [`Axis::Function`] class.
    pub fn required_function<'de, D: Deserializer<'de>>(d: D) -> Result<Class, D::Error> {
        required(Axis::Function, d)
    }
    /// A required [`Axis::Mode`] class.
    pub fn required_mode<'de, D: Deserializer<'de>>(d: D) -> Result<Class, D::Error> {
        required(Axis::Mode, d)
    }

    /// `Vec<Class>` of [`Axis::Function`].
    pub fn functions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Class>, D::Error> {
        many(Axis::Function, d)
    }
    /// `Vec<Class>` of [`Axis::Mode`].
    pub fn modes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Class>, D::Error> {
        many(Axis::Mode, d)
    }
}

/// A closed set of values written by name (sectors, scopes), for code
/// that handles any of them (command-line parsers, the typology endpoint).
pub trait Vocabulary: Sized + Copy + Send + Sync + 'static {
    /// Every value.
    fn all() -> &'static [Self];
    /// The value's name.
    fn name(self) -> &'static str;
    /// Parse a name, forgivingly.
    fn parse(value: &str) -> Result<Self, UnknownValue>;
}

/// A closed vocabulary written as lowercase snake_case names: an enum with
/// `ALL`, `name`, a forgiving `parse` (case, blanks, `-` and spaces for
/// `_`) whose error lists the allowed values, and serde in the name form.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in the order the codebook lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The value's name in files, facets and flags.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parse a name, forgiving case, blanks and `-`/space for `_`.
            pub fn parse(value: &str) -> Result<$name, UnknownValue> {
                let wanted = value.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.name() == wanted)
                    .ok_or_else(|| UnknownValue {
                        what: $what,
                        value: value.to_string(),
                        expected: $name::ALL.iter().map(|v| v.name()).collect(),
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl Vocabulary for $name {
            fn all() -> &'static [$name] {
                $name::ALL
            }
            fn name(self) -> &'static str {
                $name::name(self)
            }
            fn parse(value: &str) -> Result<$name, UnknownValue> {
                $name::parse(value)
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<$name, UnknownValue> {
                $name::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

vocabulary!(
    /// The sector a partner organisation belongs to (codebook record format).
    Sector, "sector", {
        /// The UN system and other intergovernmental organisations.
        Un = "un",
        /// National and local governments and their agencies.
        Government = "government",
        /// Companies and business associations.
        Business = "business",
        /// NGOs, networks, unions, community organisations.
        CivilSociety = "civil_society",
        /// Universities and research institutes.
        Academia = "academia",
        /// Philanthropic foundations.
        Foundation = "foundation",
        /// Anything else, or not known.
        Other = "other",
    }
);

vocabulary!(
    /// The geographic reach of a partnership.
    Scope, "scope", {
        /// Worldwide.
        Global = "global",
        /// A world region or several countries of one.
        Regional = "regional",
        /// One country.
        National = "national",
        /// A city, district or community.
        Local = "local",
    }
);

/// How a kind, class, sector or scope is shown to people: its title and,
/// for classes, the codebook's definition in one line. The web page and
/// reports take these from here (through `GET /api/typology`) rather than
/// keeping a copy.
pub fn presentation(value: &str) -> Option<(&'static str, Option<&'static str>)> {
    const TABLE: &[(&str, &str, Option<&str>)] = &[
        ("partnership", "Partnership", None),
        ("lesson", "Lesson", None),
        (
            "operational",
            "Operational",
            Some("Delivers things: services, goods, projects, research, finance for projects"),
        ),
        (
            "advocacy",
            "Advocacy",
            Some("Changes minds, agendas, policies or rules"),
        ),
        (
            "negotiation",
            "Negotiation",
            Some("Partners bargain to agree rules, standards or a shared position"),
        ),
        (
            "coordination",
            "Coordination",
            Some("Partners keep acting on their own; the partnership aligns them"),
        ),
        (
            "implementation",
            "Implementation",
            Some("Partners pool resources to run a programme together"),
        ),
        (
            "inclusion",
            "Inclusion",
            Some("Stakeholder analysis, selecting and screening partners"),
        ),
        (
            "purpose_roles",
            "Purpose & roles",
            Some("Common purpose, results focus, partner roles and commitments"),
        ),
        (
            "participation_power",
            "Participation & power",
            Some("Power differences, decision rules, facilitation and brokering"),
        ),
        (
            "accountability",
            "Accountability",
            Some("Transparency, monitoring, evaluation and reporting"),
        ),
        (
            "strategic_influence",
            "Strategic influence",
            Some("Links to global agreements, official agendas and host organisations"),
        ),
        (
            "institutionalizing",
            "Institutionalizing",
            Some("Organisational strategy and partnering capacities"),
        ),
        (
            "framing",
            "Framing",
            Some("Definitions, typologies, limits and risks"),
        ),
        ("un", "UN", None),
        ("government", "Government", None),
        ("business", "Business", None),
        ("civil_society", "Civil society", None),
        ("academia", "Academia", None),
        ("foundation", "Foundation", None),
        ("other", "Other", None),
        ("global", "Global", None),
        ("regional", "Regional", None),
        ("national", "National", None),
        ("local", "Local", None),
    ];
    TABLE
        .iter()
        .find(|(name, _, _)| *name == value)
        .map(|(_, title, definition)| (*title, *definition))
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
    fn every_value_has_a_title_and_every_class_a_definition_in_codebook_order() {
        for axis in Axis::ALL {
            let mut ordered = axis.codebook_order().to_vec();
            ordered.sort();
            assert_eq!(ordered, axis.classes(), "{axis}: same classes");
            for class in axis.classes() {
                let (_, definition) = presentation(class).expect("a title");
                assert!(definition.is_some(), "{class}: a definition");
            }
        }
        let others = Kind::ALL
            .iter()
            .map(|k| k.name())
            .chain(Sector::ALL.iter().map(|s| s.name()))
            .chain(Scope::ALL.iter().map(|s| s.name()));
        for value in others {
            assert!(presentation(value).is_some(), "{value}: a title");
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
