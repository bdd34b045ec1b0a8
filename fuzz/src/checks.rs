//! What each fuzz target does with one input, shared with the regression
//! test (`tests/suite/fuzz_regressions.rs` includes this file), so that a
//! saved input is replayed through exactly the calls that found it.
//!
//! Every function calls the library the way the CLI does and panics when an
//! invariant breaks; a panic is what libFuzzer reports as a crash.

use partnerkb::error::{Error, RecordError, UserError};
use partnerkb::index::{KnowledgeBase, SearchRequest};
use partnerkb::ingest::IngestOptions;
use partnerkb::ingest::{ingest, Input};
use partnerkb::read::{self, ColumnMap, CsvRecords, Format, Item};
use partnerkb::typology::{Axis, Class, Sector};
use partnerkb::Kind;
use std::io::Cursor;
use std::sync::OnceLock;

/// A reader over a copy of `data`, as `open_path` gives one over a file.
fn reader(data: &[u8]) -> Box<dyn std::io::Read + Send> {
    Box::new(Cursor::new(data.to_vec()))
}

/// Lines in `data` as an editor counts them (the last may lack `\n`).
fn line_count(data: &[u8]) -> u64 {
    data.iter().filter(|b| **b == b'\n').count() as u64 + 1
}

/// A rejected record must say where and what: file, a 1-based line inside
/// the input, a field and a reason.
fn check_error(e: &RecordError, file: &str, lines: u64) {
    assert_eq!(e.file, file, "error names another file: {e}");
    assert!(e.line >= 1, "error without a line: {e}");
    assert!(e.line <= lines, "error line past the input ({lines}): {e}");
    assert!(!e.field.trim().is_empty(), "error without a field: {e:?}");
    assert!(!e.reason.trim().is_empty(), "error without a reason: {e:?}");
    // serde's "unknown field `k`, expected ..." / "missing field `k`": the
    // error names `k` (under its parent).
    for prefix in ["unknown field `", "missing field `"] {
        let Some(rest) = e.reason.strip_prefix(prefix) else {
            continue;
        };
        let key = rest
            .split_once("`, expected")
            .map(|(k, _)| k)
            .or_else(|| rest.strip_suffix('`'))
            .unwrap_or(rest);
        if !key.trim().is_empty() {
            assert!(e.field.ends_with(key), "field does not name `{key}`: {e}");
        }
    }
}

/// What one input came to, so a replay can tell which paths it reached.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Records (or passages, or hits) produced.
    pub records: usize,
    /// Located errors (or refused searches).
    pub errors: usize,
}

/// Drain a reader: records must be valid and located, errors located, and
/// lines must never go backwards.
fn check_items(
    items: impl Iterator<Item = Item>,
    file: &str,
    lines: u64,
    strictly: bool,
) -> Outcome {
    let mut last = 0u64;
    let mut outcome = Outcome::default();
    for item in items {
        let line = match &item {
            Ok(located) => {
                assert!(
                    (1..=lines).contains(&located.line),
                    "record line {} outside 1..={lines}",
                    located.line
                );
                let problems = located.record.validate();
                assert!(
                    problems.is_empty(),
                    "record accepted but invalid: {problems:?}"
                );
                outcome.records += 1;
                located.line
            }
            Err(e) => {
                check_error(e, file, lines);
                outcome.errors += 1;
                e.line
            }
        };
        if strictly {
            assert!(line > last, "line {line} after line {last}");
        } else {
            assert!(line >= last, "line {line} after line {last}");
        }
        last = line;
    }
    outcome
}

/// `read_jsonl`: the bytes as a `.jsonl` file.
pub fn read_jsonl(data: &[u8]) -> Outcome {
    const FILE: &str = "fuzz.jsonl";
    let items = read::open_reader(
        FILE.to_string(),
        reader(data),
        Format::Jsonl,
        None,
        &ColumnMap::default(),
    )
    .expect("opening JSONL reads nothing yet and cannot fail");
    check_items(items, FILE, line_count(data), true)
}

/// `read_csv`: the bytes as a `.csv` file, header recognised through the
/// registry column names, as `open_path` does.
pub fn read_csv(data: &[u8]) -> Outcome {
    const FILE: &str = "fuzz.csv";
    match CsvRecords::new(FILE.to_string(), reader(data), None, ColumnMap::default()) {
        Ok(csv) => {
            let headers = csv.headers().len();
            assert!(headers >= 1, "a CSV without a header column was accepted");
            assert!(csv.unmapped().len() <= headers);
            check_items(csv, FILE, line_count(data), false)
        }
        Err(Error::User(UserError::Record(e))) => {
            check_error(&e, FILE, line_count(data));
            assert_eq!(e.line, 1, "header error not on line 1: {e}");
            Outcome {
                records: 0,
                errors: 1,
            }
        }
        Err(other) => panic!("header failure that is not a record error: {other}"),
    }
}

/// `split_document`: the bytes as a `.md` document, split into passages
/// (one lesson each).
pub fn split_document(data: &[u8]) -> Outcome {
    const FILE: &str = "fuzz.md";
    let lines = line_count(data);
    let items = read::open_reader(
        FILE.to_string(),
        reader(data),
        Format::Document,
        None,
        &ColumnMap::default(),
    )
    .expect("reading an in-memory document cannot fail");
    let items: Vec<Item> = items.collect();
    let mut ids = std::collections::HashSet::new();
    for located in items.iter().flatten() {
        assert!(
            ids.insert(located.record.id().to_string()),
            "duplicate passage id {}",
            located.record.id()
        );
    }
    let outcome = check_items(items.into_iter(), FILE, lines, false);
    if let Ok(text) = std::str::from_utf8(data) {
        for p in read::split_passages(text) {
            assert!((1..=lines).contains(&p.line), "passage line {}", p.line);
            assert!(
                !p.text.trim().is_empty(),
                "empty passage at line {}",
                p.line
            );
            assert!(p.headings.iter().all(|h| !h.trim().is_empty()));
        }
    }
    outcome
}

/// The first `n` records of a bundled corpus file, as a reader.
fn seed_records(corpus: &str, n: usize) -> Box<dyn std::io::Read + Send> {
    let text: String = corpus.lines().take(n).map(|l| format!("{l}\n")).collect();
    Box::new(Cursor::new(text.into_bytes()))
}

/// The knowledge base every search runs against, built once per process
/// through the ingest pipeline the CLI uses.
pub fn knowledge_base() -> &'static KnowledgeBase {
    static KB: OnceLock<KnowledgeBase> = OnceLock::new();
    KB.get_or_init(|| {
        let kb = KnowledgeBase::in_memory().expect("in-memory index");
        let inputs = [
            (
                "partnerships.jsonl",
                include_str!("../../corpus/partnerships.jsonl"),
            ),
            ("lessons.jsonl", include_str!("../../corpus/lessons.jsonl")),
        ]
        .into_iter()
        .map(|(name, corpus)| Input {
            origin: name.to_string(),
            items: read::open_reader(
                name.to_string(),
                seed_records(corpus, 12),
                Format::Jsonl,
                None,
                &ColumnMap::default(),
            )
            .expect("corpus opens"),
            replace: false,
        })
        .collect();
        let options = IngestOptions {
            threads: Some(1),
            memory_budget: 15 << 20,
            ..IngestOptions::default()
        };
        let report = ingest(&kb, inputs, None, &options, &|_| {}).expect("corpus ingests");
        assert!(report.rejected.is_empty() && report.total_docs == 24);
        kb
    })
}

/// Pick one of `choices` with the byte `b`.
fn pick<T: Clone>(b: u8, choices: &[T]) -> T {
    choices[b as usize % choices.len()].clone()
}

/// The request an input stands for: three bytes choose kind, filters,
/// facets and paging; the rest is the query text. Filter values are
/// parsed as the CLI and the API parse them, so a misspelt one is the
/// user error it is there.
pub fn search_request(data: &[u8]) -> Result<SearchRequest, partnerkb::Error> {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let (a, b, c) = (byte(0), byte(1), byte(2));
    let class = |axis: Axis, options: &[Option<&str>], b: u8| {
        pick(b, options).map(|v| Class::parse(axis, v)).transpose()
    };
    Ok(SearchRequest {
        query: String::from_utf8_lossy(data.get(3..).unwrap_or_default()).into_owned(),
        kind: pick(a, &[None, Some(Kind::Partnership), Some(Kind::Lesson)]),
        function: class(
            Axis::Function,
            &[None, None, Some("advocacy"), Some("Operational")],
            a >> 2,
        )?
        .into_iter()
        .collect(),
        mode: class(
            Axis::Mode,
            &[None, None, Some("coordination"), Some("negotiatoin")],
            a >> 4,
        )?
        .into_iter()
        .collect(),
        challenge: class(Axis::Challenge, &[None, None, None, Some("inclusion")], b)?
            .into_iter()
            .collect(),
        sector: pick(b >> 2, &[None, None, None, Some("civil society")])
            .map(Sector::parse)
            .transpose()?
            .into_iter()
            .collect(),
        gold_only: b & 0x10 != 0,
        limit: pick(c, &[10, 0, 1, 1000, usize::MAX]),
        offset: pick(c >> 3, &[0, 0, 3, 1 << 40, usize::MAX]),
        facets: b & 0x20 == 0,
        // The fuzzer's bytes pick a sort too: parsed, so a bad spelling is
        // a user error like any other.
        sort: partnerkb::index::Sort::parse(pick(
            c >> 6,
            &[
                "relevance",
                "relevance",
                "name",
                "start_year:asc",
                "confidence:desc",
            ],
        ))
        .expect("a sort this list spells right"),
    })
}

/// `search_query`: run the request; it must answer, or refuse the input
/// as the user's fault.
pub fn search_query(data: &[u8]) -> Outcome {
    let kb = knowledge_base();
    let searched = search_request(data).and_then(|req| kb.search(&req).map(|r| (req, r)));
    match searched {
        Ok((req, results)) => {
            assert!(results.hits.len() <= req.limit.max(1));
            assert!(results.hits.len() as u64 <= results.total);
            for hit in &results.hits {
                for &(start, end) in &hit.highlights {
                    assert!(
                        hit.snippet.get(start..end).is_some(),
                        "highlight {start}..{end} not inside the snippet {:?}",
                        hit.snippet
                    );
                }
            }
            Outcome {
                records: results.hits.len(),
                errors: 0,
            }
        }
        Err(e) => {
            assert!(e.is_user_error(), "search failed on the system side: {e}");
            Outcome {
                records: 0,
                errors: 1,
            }
        }
    }
}
