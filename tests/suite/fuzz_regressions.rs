//! Inputs kept from fuzzing (`fuzz/`): every file in
//! `tests/data/fuzz/<target>/` replayed through the same library calls as
//! that fuzz target. The calls and their assertions live in
//! `fuzz/src/checks.rs`, shared with the targets, so a kept input is
//! replayed exactly as it was found: readers must not panic and every
//! rejected record must name its file, a line ≥ 1 inside the input and a
//! field; a search must return (hits or a user-side error) without panicking.

#[path = "../../fuzz/src/checks.rs"]
mod checks;

use crate::util::root;
use checks::Outcome;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Replay every input kept for `target`; returns the summed outcome so each
/// test can check its inputs still reach the paths they were kept for.
fn replay(target: &str, check: fn(&[u8]) -> Outcome) -> Outcome {
    let dir = root().join("tests/data/fuzz").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    let mut total = Outcome::default();
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        match catch_unwind(AssertUnwindSafe(|| check(&data))) {
            Ok(outcome) => {
                total.records += outcome.records;
                total.errors += outcome.errors;
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)");
                failures.push(format!("{}: {message}", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    total
}

#[test]
fn fuzz_read_jsonl_inputs_are_read_or_rejected_with_a_location() {
    let outcome = replay("read_jsonl", checks::read_jsonl);
    assert!(outcome.records > 0 && outcome.errors > 0, "{outcome:?}");
}

/// Found while surveying the JSONL corpus: an unknown key was named twice
/// (`namm.namm`), a blank one as `.`.
#[test]
fn fuzz_jsonl_unknown_fields_are_named_once() {
    let file = root().join("tests/data/fuzz/read_jsonl/unknown-fields-named-once");
    let items = partnerkb::read::open_reader(
        "f.jsonl".into(),
        Box::new(std::fs::File::open(file).unwrap()),
        partnerkb::read::Format::Jsonl,
        None,
        &partnerkb::read::ColumnMap::default(),
    )
    .unwrap();
    let mut read = Vec::new();
    let fields: Vec<(u64, String)> = items
        .filter_map(|item| match item {
            Ok(located) => {
                read.push(located);
                None
            }
            Err(e) => Some((e.line, e.field)),
        })
        .collect();
    // Line 3's partner has no sector: once an error (`missing field`), it
    // is now read, its sector left to the gazetteer, which does not know
    // `x`.
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].line, 3);
    let partnerkb::Record::Partnership(p) = &read[0].record else {
        panic!("a partnership");
    };
    assert_eq!(
        p.partners[0].sector_origin,
        partnerkb::record::SectorOrigin::Unknown
    );
    let expected = [
        (1, "namm"),
        (2, "partners[0].secter"),
        (4, "applies_to.mood"),
        (5, "record"),
    ];
    let expected: Vec<(u64, String)> = expected
        .iter()
        .map(|(line, field)| (*line, field.to_string()))
        .collect();
    assert_eq!(fields, expected);
}

#[test]
fn fuzz_read_csv_inputs_are_read_or_rejected_with_a_location() {
    let outcome = replay("read_csv", checks::read_csv);
    assert!(outcome.records > 0 && outcome.errors > 0, "{outcome:?}");
}

#[test]
fn fuzz_split_document_inputs_split_or_are_rejected_with_a_location() {
    let outcome = replay("split_document", checks::split_document);
    assert!(outcome.records > 0 && outcome.errors > 0, "{outcome:?}");
}

#[test]
fn fuzz_search_query_inputs_return_hits_or_a_user_error() {
    let outcome = replay("search_query", checks::search_query);
    assert!(outcome.records > 0 && outcome.errors > 0, "{outcome:?}");
}

/// tantivy 0.27 debug-asserts ("target (0) should be greater than or equal
/// to doc (2147483647)", phrase_scorer.rs) when a negated phrase whose
/// words are indexed but never adjacent (`* -"function s"`) sits next to a
/// clause that matches the first document. Release builds answer correctly
/// (nothing is excluded); debug builds panicked until Cargo.toml turned
/// tantivy's debug assertions off (`[profile.dev.package.tantivy]`).
#[test]
fn fuzz_search_query_upstream_negated_phrase() {
    let outcome = replay("search_query-upstream", checks::search_query);
    assert!(outcome.records > 0 && outcome.errors == 0, "{outcome:?}");
}
