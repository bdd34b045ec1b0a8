//! Synthetic registries for scale work: N partnership records in a
//! registry's column layout, with realistic length and vocabulary drawn from
//! the bundled corpus, deterministic by seed, written as a stream so that
//! a million records need no more memory than ten.

use crate::bundle;
use crate::error::{InternalError, Result};
use crate::read::{self, Format};
use crate::record::{Kind, Record};
use crate::rng::SplitMix;
use std::io::Write;

/// The registry columns written (those of the 2002 summit's registry).
pub const HEADER: [&str; 8] = [
    "Partnership Name",
    "Lead Partner",
    "Partners",
    "Description",
    "Themes",
    "Geographical Scope",
    "Start Date",
    "End Date",
];

/// Material sampled from the bundled corpus.
struct Pool {
    sentences: Vec<String>,
    name_words: Vec<String>,
    partners: Vec<String>,
    themes: Vec<String>,
}

fn pool() -> Result<Pool> {
    let mut pool = Pool {
        sentences: Vec::new(),
        name_words: Vec::new(),
        partners: Vec::new(),
        themes: Vec::new(),
    };
    let items = read::read_bytes(
        "corpus",
        bundle::PARTNERSHIPS,
        Format::Jsonl,
        Some(Kind::Partnership),
    )?;
    for item in items {
        let Ok(located) = item else { continue };
        let Record::Partnership(p) = located.record else {
            continue;
        };
        for s in p.description.split_inclusive(". ") {
            let s = s.trim();
            if s.split_whitespace().count() >= 5 {
                pool.sentences.push(s.to_string());
            }
        }
        pool.name_words.extend(
            p.name
                .split_whitespace()
                .filter(|w| w.len() > 3 && w.chars().all(char::is_alphabetic))
                .map(str::to_string),
        );
        pool.partners.extend(
            p.partners
                .iter()
                .map(|x| format!("{} ({})", x.name, x.sector)),
        );
        pool.themes.extend(p.themes);
    }
    for v in [&mut pool.name_words, &mut pool.partners, &mut pool.themes] {
        v.sort();
        v.dedup();
    }
    if pool.sentences.is_empty() {
        return Err(InternalError::Damaged {
            what: "the bundled corpus".into(),
            reason: "it has no text to sample".into(),
        }
        .into());
    }
    Ok(pool)
}

const SCOPES: [&str; 6] = [
    "Global",
    "Africa",
    "Asia and the Pacific",
    "Latin America and the Caribbean",
    "Europe",
    "Small island developing States",
];

/// Write `count` synthetic records as CSV to `out`.
pub fn write_registry(count: u64, seed: u64, out: impl Write) -> Result<()> {
    let pool = pool()?;
    let mut rng = SplitMix(seed);
    let mut w = csv::Writer::from_writer(out);
    let io = InternalError::csv_output;
    w.write_record(HEADER).map_err(io)?;
    for serial in 1..=count {
        let pick = |rng: &mut SplitMix, v: &[String]| {
            v.get(rng.below(v.len())).cloned().unwrap_or_default()
        };
        let name_len = 2 + rng.below(4);
        let name: Vec<String> = (0..name_len)
            .map(|_| pick(&mut rng, &pool.name_words))
            .collect();
        let n_partners = rng.below(6);
        let partners: Vec<String> = (0..n_partners)
            .map(|_| pick(&mut rng, &pool.partners))
            .collect();
        let n_sentences = 2 + rng.below(6);
        let description: Vec<String> = (0..n_sentences)
            .map(|_| pick(&mut rng, &pool.sentences))
            .collect();
        let themes: Vec<String> = (0..1 + rng.below(3))
            .map(|_| pick(&mut rng, &pool.themes))
            .collect();
        let year = 1995 + rng.below(30);
        let scope = SCOPES[rng.below(SCOPES.len())];
        let lead = partners.first().cloned().unwrap_or_default();
        // Registries number their entries; the number keeps names (and the
        // ids derived from them) unique, as in a real registry.
        let name = format!("{} {serial}", name.join(" "));
        w.write_record([
            name.as_str(),
            lead.split(" (").next().unwrap_or_default(),
            partners.join("; ").as_str(),
            description.join(" ").as_str(),
            themes.join("; ").as_str(),
            scope,
            year.to_string().as_str(),
            "",
        ])
        .map_err(io)?;
    }
    w.flush().map_err(InternalError::Output)?;
    Ok(())
}
