//! The labelled corpus, loaded through the project's own readers.

use crate::util::{root, shared};
use partnerkb::corpus;
use partnerkb::typology::Axis;
use std::collections::{HashMap, HashSet};

#[test]
fn the_corpus_is_valid_balanced_and_original() {
    let partnerships = corpus::load_partnerships(&root().join("corpus/partnerships.jsonl"))
        .expect("every partnership record is valid");
    let lessons = corpus::load_lessons(&root().join("corpus/lessons.jsonl"))
        .expect("every lesson record is valid");
    assert!(
        partnerships.len() >= 250,
        "{} partnerships",
        partnerships.len()
    );
    assert!(lessons.len() >= 45, "{} lessons", lessons.len());

    let mut ids = HashSet::new();
    for id in partnerships
        .iter()
        .map(|p| &p.id)
        .chain(lessons.iter().map(|l| &l.id))
    {
        assert!(ids.insert(id.clone()), "duplicate id {id}");
    }
    let mut counts: HashMap<(Axis, String), usize> = HashMap::new();
    for p in &partnerships {
        for axis in Axis::PARTNERSHIP {
            let label = p
                .gold(axis)
                .unwrap_or_else(|| panic!("{}: no {axis} label", p.id));
            assert!(
                axis.class_index(label.name()).is_some(),
                "{}: {label}",
                p.id
            );
            *counts.entry((axis, label.to_string())).or_default() += 1;
        }
        let words = p.description.split_whitespace().count();
        assert!((40..=300).contains(&words), "{}: {words} words", p.id);
    }
    for class in Axis::Mode.classes() {
        let n = counts
            .get(&(Axis::Mode, class.to_string()))
            .copied()
            .unwrap_or(0);
        assert!(n >= 60, "mode {class}: {n} < 60");
    }
    for class in Axis::Function.classes() {
        let n = counts
            .get(&(Axis::Function, class.to_string()))
            .copied()
            .unwrap_or(0);
        assert!(n >= 100, "function {class}: {n} < 100");
    }
    let partnership_ids: HashSet<&str> = partnerships.iter().map(|p| p.id.as_str()).collect();
    for l in &lessons {
        let c = l
            .challenge
            .unwrap_or_else(|| panic!("{}: no challenge", l.id));
        assert!(Axis::Challenge.class_index(c.name()).is_some());
        for ex in &l.examples {
            assert!(
                partnership_ids.contains(ex.as_str()),
                "{}: example {ex} is not in the corpus",
                l.id
            );
        }
    }
    for class in Axis::Challenge.classes() {
        assert!(
            lessons
                .iter()
                .any(|l| l.challenge.map(|c| c.name()) == Some(*class)),
            "no {class} lesson"
        );
    }

    // Both labelling passes cover every record.
    let a = corpus::load_pass(&root().join("corpus/labels_a.jsonl")).unwrap();
    let b = corpus::load_pass(&root().join("corpus/labels_b.jsonl")).unwrap();
    let a_ids: HashSet<&str> = a.iter().map(|l| l.id.as_str()).collect();
    let b_ids: HashSet<&str> = b.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(a_ids, partnership_ids);
    assert_eq!(b_ids, partnership_ids);

    assert_no_run_shared_with_the_paper(
        "the",
        partnerships
            .iter()
            .map(|p| (p.id.as_str(), p.description.as_str()))
            .chain(lessons.iter().map(|l| (l.id.as_str(), l.text.as_str()))),
    );
}

#[test]
fn the_dataset_card_matches_the_generated_tables() {
    let partnerships =
        corpus::load_partnerships(&root().join("corpus/partnerships.jsonl")).unwrap();
    let lessons = corpus::load_lessons(&root().join("corpus/lessons.jsonl")).unwrap();
    let a = corpus::load_pass(&root().join("corpus/labels_a.jsonl")).unwrap();
    let b = corpus::load_pass(&root().join("corpus/labels_b.jsonl")).unwrap();
    let sources = corpus::load_sources(&root().join("corpus/sources.jsonl")).unwrap();
    let tables = corpus::report(&partnerships, &lessons, Some((&a, &b)))
        .with_sources(&sources)
        .to_markdown();
    let card = std::fs::read_to_string(root().join("corpus/README.md")).unwrap();
    assert!(
        card.contains(&tables),
        "corpus/README.md is stale: run `partnerkb stats --corpus corpus --update-card corpus/README.md`"
    );
}

/// Lower-case letters and digits only: "The Global Fund (GFATM)" and
/// "the-global-fund-gfatm" meet.
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[test]
fn the_dev_set_is_valid_held_out_labelled_twice_and_original() {
    let dev_dir = root().join("corpus/dev");
    let dev = corpus::load_partnerships(&dev_dir.join("partnerships.jsonl"))
        .expect("every dev record is valid");
    let training = corpus::load_partnerships(&root().join("corpus/partnerships.jsonl")).unwrap();
    assert!(dev.len() >= 120, "{} dev records", dev.len());

    // Held out: no dev partnership is in training, by id or by name.
    let training_ids: HashSet<&str> = training.iter().map(|p| p.id.as_str()).collect();
    let training_names: HashSet<String> = training.iter().map(|p| squash(&p.name)).collect();
    let mut ids = HashSet::new();
    for p in &dev {
        assert!(ids.insert(p.id.as_str()), "duplicate dev id {}", p.id);
        assert!(
            !training_ids.contains(p.id.as_str()),
            "{} is in training",
            p.id
        );
        assert!(
            !training_names.contains(&squash(&p.name)),
            "{} ({}) is in training by name",
            p.id,
            p.name
        );
    }

    // Every record labelled on both axes, with the registries' mix: every
    // mode class present in numbers, implementation and coordination the
    // largest.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in &dev {
        for axis in Axis::PARTNERSHIP {
            let class = p
                .gold(axis)
                .unwrap_or_else(|| panic!("{}: no {axis} label", p.id));
            *counts.entry(class.name()).or_default() += 1;
        }
    }
    for (class, minimum) in [
        ("implementation", 40),
        ("coordination", 40),
        ("negotiation", 12),
        ("operational", 40),
        ("advocacy", 40),
    ] {
        let n = counts.get(class).copied().unwrap_or(0);
        assert!(n >= minimum, "dev {class}: {n} < {minimum}");
    }

    // Two passes and a source note for every record; every style used.
    let a = corpus::load_pass(&dev_dir.join("labels_a.jsonl")).unwrap();
    let b = corpus::load_pass(&dev_dir.join("labels_b.jsonl")).unwrap();
    let sources = corpus::load_sources(&dev_dir.join("sources.jsonl")).unwrap();
    for (name, listed) in [
        (
            "labels_a",
            a.iter().map(|l| l.id.as_str()).collect::<HashSet<_>>(),
        ),
        ("labels_b", b.iter().map(|l| l.id.as_str()).collect()),
        ("sources", sources.iter().map(|s| s.id.as_str()).collect()),
    ] {
        assert_eq!(listed, ids, "{name} covers exactly the dev records");
    }
    let styles: HashSet<&str> = sources.iter().map(|s| s.style.as_str()).collect();
    for style in [
        "registry_form",
        "fact_sheet",
        "business_initiative",
        "website",
        "press_release",
        "annual_report",
        "directory_profile",
    ] {
        assert!(styles.contains(style), "no {style} record");
    }

    // The card's tables are the command's output.
    let report = corpus::report(&dev, &[], Some((&a, &b))).with_sources(&sources);
    let card = std::fs::read_to_string(dev_dir.join("README.md")).unwrap();
    assert!(
        card.contains(&report.to_markdown()),
        "corpus/dev/README.md is stale: run `partnerkb stats --corpus corpus/dev --update-card corpus/dev/README.md`"
    );

    assert_no_run_shared_with_the_paper(
        "the dev set's",
        dev.iter().map(|p| (p.id.as_str(), p.description.as_str())),
    );
}

/// No text shares a run of 12 words with the mandate paper (skipped with a
/// notice when `../shared` is absent). `set` names the texts in the notice.
fn assert_no_run_shared_with_the_paper<'a>(
    set: &str,
    texts: impl Iterator<Item = (&'a str, &'a str)>,
) {
    let Some(paper) = shared("mission/msp-paper.txt") else {
        crate::util::skip_notice(&format!(
            "skipped {set} copy check: ../shared/mission/msp-paper.txt is absent"
        ));
        return;
    };
    let words = |t: &str| -> Vec<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .collect()
    };
    let paper_words = words(&std::fs::read_to_string(paper).unwrap());
    let shingles: HashSet<&[String]> = paper_words.windows(12).collect();
    for (id, text) in texts {
        let w = words(text);
        if let Some(run) = w.windows(12).find(|s| shingles.contains(s)) {
            panic!(
                "{id} shares a 12-word run with the mandate paper: {}",
                run.join(" ")
            );
        }
    }
}
