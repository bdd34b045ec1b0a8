//! Coverage text → [`Scope`].
//!
//! Registries describe where a partnership works in words: `Global`,
//! `Africa`, `Asia and the Pacific`, `Ghana, Mali and Niger`, `Nairobi,
//! Kenya`. The codebook has four scopes; the text is read as follows.
//!
//! * A word that says worldwide (`global`, `worldwide`, `international`)
//!   makes it **global**, whatever else is named.
//! * A world region, a sub-region or a group of countries (`Small Island
//!   Developing States`), or two or more countries, make it **regional**:
//!   the codebook's "a world region or several countries of one". Several
//!   regions stay regional: a registry that meant worldwide says so.
//! * A city, a province or a word such as `district` or `communities`,
//!   with at most one country, makes it **local** (`Nairobi, Kenya`).
//! * One country alone (in any of its names) makes it **national**.
//! * The codebook's own words (`regional`, `national`, `sub-regional`,
//!   `nationwide`) count too; when words and places disagree the broader
//!   scope wins (`National, with local pilots in Nairobi` is national).
//!
//! Places are found as whole words, longest first, so `Democratic Republic
//! of the Congo` is one country, `Trinidad and Tobago` is not two, and
//! `Latin America and the Caribbean` is one region. Words that name no
//! place (`region`, `countries`, `the`) are passed over; text that names
//! nothing known has no scope (the text itself is kept by the reader).

use super::places::{self, Place};
use super::{words, PhraseTable};
use crate::typology::Scope;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// A phrase of coverage text: a place, or a word that names a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Term {
    Place(Place),
    Says(Scope),
}

/// Words that name a scope rather than a place. `local` is a place word
/// ([`places::LOCAL`]): it combines with a country as a city does.
const SCOPE_WORDS: &[(&str, Scope)] = &[
    ("global", Scope::Global),
    ("globally", Scope::Global),
    ("worldwide", Scope::Global),
    ("world wide", Scope::Global),
    ("world", Scope::Global),
    ("international", Scope::Global),
    ("all countries", Scope::Global),
    ("all regions", Scope::Global),
    ("regional", Scope::Regional),
    ("sub-regional", Scope::Regional),
    ("subregional", Scope::Regional),
    ("multi-country", Scope::Regional),
    ("multicountry", Scope::Regional),
    ("transboundary", Scope::Regional),
    ("cross-border", Scope::Regional),
    ("national", Scope::National),
    ("nationwide", Scope::National),
    ("countrywide", Scope::National),
    ("country-wide", Scope::National),
];

fn table() -> &'static PhraseTable<Term> {
    static TABLE: OnceLock<PhraseTable<Term>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Places first: `Arab world` is a region, not the word `world`.
        let places = places::COUNTRIES
            .iter()
            .enumerate()
            .flat_map(|(i, names)| {
                names
                    .iter()
                    .map(move |n| (*n, Term::Place(Place::Country(i as u16))))
            })
            .chain(
                places::REGIONS
                    .iter()
                    .map(|n| (*n, Term::Place(Place::Region))),
            )
            .chain(
                places::LOCAL
                    .iter()
                    .map(|n| (*n, Term::Place(Place::Local))),
            );
        let says = SCOPE_WORDS.iter().map(|(w, s)| (*w, Term::Says(*s)));
        PhraseTable::new(places.chain(says))
    })
}

/// The scope that coverage `text` describes, or `None` when it names
/// nothing this module knows.
pub fn map_scope(text: &str) -> Option<Scope> {
    let w = words(text);
    let mut countries = BTreeSet::new();
    let (mut regions, mut local) = (0, 0);
    // The broadest scope a word names; `Scope` orders broadest first.
    let mut said: Option<Scope> = None;
    for (_, _, term) in table().scan(&w) {
        match term {
            Term::Place(Place::Country(i)) => {
                countries.insert(i);
            }
            Term::Place(Place::Region) => regions += 1,
            Term::Place(Place::Local) => local += 1,
            Term::Says(scope) => said = Some(said.map_or(scope, |s| s.min(scope))),
        }
    }
    let placed = if regions > 0 || countries.len() >= 2 {
        Some(Scope::Regional)
    } else if local > 0 {
        Some(Scope::Local)
    } else if countries.len() == 1 {
        Some(Scope::National)
    } else {
        None
    };
    match (said, placed) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(text: &str) -> Option<&'static str> {
        map_scope(text).map(Scope::name)
    }

    #[test]
    fn worldwide_words_are_global() {
        for text in [
            "Global",
            "global",
            "Worldwide",
            "International",
            "Global; Africa",
        ] {
            assert_eq!(scope(text), Some("global"), "{text}");
        }
    }

    #[test]
    fn regions_and_groups_of_countries_are_regional() {
        for text in [
            "Africa",
            "Sub-Saharan Africa",
            "Asia and the Pacific",
            "Latin America and the Caribbean",
            "Mediterranean region",
            "Small island developing states",
            "SIDS",
            "East Asia",
            "Africa; Eastern Europe, Caucasus and Central Asia; Mediterranean; Latin America",
            "Arab world",
        ] {
            assert_eq!(scope(text), Some("regional"), "{text}");
        }
    }

    #[test]
    fn several_countries_are_regional_one_is_national() {
        assert_eq!(scope("Ghana, Mali and Niger"), Some("regional"));
        assert_eq!(scope("Belize; Costa Rica; El Salvador"), Some("regional"));
        assert_eq!(scope("Africa; Indonesia; Malaysia"), Some("regional"));
        assert_eq!(scope("Brazil"), Some("national"));
        // One country in two of its names, or with its official words.
        assert_eq!(scope("Viet Nam (Vietnam)"), Some("national"));
        assert_eq!(scope("Bolivia (Plurinational State of)"), Some("national"));
        assert_eq!(scope("Côte d'Ivoire"), Some("national"));
        assert_eq!(scope("Cote d'Ivoire"), Some("national"));
        assert_eq!(scope("Tanzania"), Some("national"));
        // Names with `and` in them are one country each.
        assert_eq!(scope("Trinidad and Tobago"), Some("national"));
        assert_eq!(scope("Trinidad and Tobago; Jamaica"), Some("regional"));
        // The longer name wins: one country, not also `Congo`.
        assert_eq!(scope("Democratic Republic of the Congo"), Some("national"));
        assert_eq!(scope("Niger"), Some("national"));
        assert_eq!(scope("Nigeria; Niger"), Some("regional"));
    }

    #[test]
    fn cities_and_provinces_with_at_most_one_country_are_local() {
        assert_eq!(scope("Nairobi, Kenya"), Some("local"));
        assert_eq!(scope("Karachi"), Some("local"));
        assert_eq!(scope("Gujarat State, India"), Some("local"));
        assert_eq!(scope("Rural districts of Malawi"), Some("local"));
        assert_eq!(scope("local"), Some("local"));
        // A city in each of two countries spans countries.
        assert_eq!(scope("Nairobi, Kenya; Kampala, Uganda"), Some("regional"));
        // A regional community's `community` is not local.
        assert_eq!(scope("East African Community"), Some("regional"));
    }

    #[test]
    fn the_broader_of_words_and_places_wins() {
        assert_eq!(scope("National, with pilots in Nairobi"), Some("national"));
        assert_eq!(scope("Regional (Kenya)"), Some("regional"));
        assert_eq!(scope("national"), Some("national"));
        assert_eq!(scope("Sub-regional"), Some("regional"));
    }

    #[test]
    fn text_naming_nothing_known_has_no_scope() {
        assert_eq!(scope(""), None);
        assert_eq!(scope("n/a"), None);
        assert_eq!(scope("Various"), None);
    }
}
