//! The bad-input corpus in `tests/data/bad/`: every file through `ingest`,
//! `classify` and `train`. No panic, a message naming file, line and
//! field, every valid record kept, and the documented exit status.

use crate::util::{partnerkb, root, run, total};

/// (file, the message naming line and field, records that are valid)
const CASES: &[(&str, &str, u64)] = &[
    ("truncated.jsonl", ":2: record: malformed JSON", 1),
    ("wrong-types.jsonl", ":2: start_year: invalid type", 1),
    ("missing-fields.jsonl", ":2: description: missing field", 1),
    (
        "unknown-label.jsonl",
        ":2: labels.mode: unknown mode value `lobbying`",
        1,
    ),
    ("missing-columns.csv", ":3: record: expected 3 columns", 1),
    ("extra-columns.csv", ":3: record: expected 3 columns", 1),
    ("quoted-newlines.csv", ":4: record: expected 3 columns", 1),
    (
        "crlf.jsonl",
        ":2: labels.function: unknown function value",
        1,
    ),
    ("invalid-utf8.jsonl", ":2: record: invalid UTF-8", 1),
];

#[test]
fn each_bad_file_is_reported_and_its_valid_records_kept() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, message, valid) in CASES {
        let file = root().join("tests/data/bad").join(name);
        let index = tmp.path().join(format!("idx-{name}"));
        let (code, _, err) = run(partnerkb(tmp.path())
            .arg("ingest")
            .arg(&file)
            .arg("--index")
            .arg(&index));
        assert_eq!(code, 1, "{name}: {err}");
        assert!(
            err.contains(&format!("{}{message}", file.display())),
            "{name}: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert_eq!(total(tmp.path(), &index), *valid, "{name}");

        let out = tmp.path().join(format!("{name}.out.jsonl"));
        let (code, _, err) = run(partnerkb(tmp.path())
            .arg("classify")
            .arg("--input")
            .arg(&file)
            .arg("--output")
            .arg(&out));
        assert_eq!(code, 1, "{name}: {err}");
        assert!(err.contains(message), "{name}: {err}");
        let lines = std::fs::read_to_string(&out).unwrap().lines().count() as u64;
        assert_eq!(lines, valid + 1, "{name}: one output line per input record");

        let (code, _, err) = run(partnerkb(tmp.path())
            .args(["train", "--date", "2026-01-01", "--corpus"])
            .arg(&file)
            .arg("--out")
            .arg(tmp.path().join("m.json")));
        assert_eq!(
            code, 2,
            "{name}: training refuses a corpus with bad records"
        );
        assert!(
            err.contains(message) && err.contains("fix them before training"),
            "{name}: {err}"
        );
    }
}

#[test]
fn duplicates_bom_and_empty_files_are_handled() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = root().join("tests/data/bad");
    let index = tmp.path().join("idx");
    let (code, _, err) = run(partnerkb(tmp.path())
        .arg("ingest")
        .arg(bad.join("duplicate-ids.jsonl"))
        .arg("--index")
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("duplicate-ids.jsonl:2: id: duplicate id `good` (also on line 1); the later record wins"), "{err}");
    assert_eq!(total(tmp.path(), &index), 1);
    let (code, _, err) = run(partnerkb(tmp.path())
        .arg("ingest")
        .arg(bad.join("bom.csv"))
        .arg(bad.join("empty.jsonl"))
        .arg("--index")
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        total(tmp.path(), &index),
        1,
        "the BOM-prefixed `id` column is recognised: same id `good`"
    );
    let (code, _, err) = run(partnerkb(tmp.path())
        .arg("ingest")
        .arg(&bad)
        .arg("--index")
        .arg(&index));
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown input format") || err.contains("directory"),
        "{err}"
    );
}

#[test]
fn huge_descriptions_and_millions_of_empty_lines_do_not_break_ingest() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.jsonl");
    let description = "pooled fund for vaccines ".repeat(800_000); // 20 MB
    std::fs::write(
        &big,
        format!(
            "{}\n",
            serde_json::json!({"id": "big", "name": "Big", "description": description})
        ),
    )
    .unwrap();
    let empty_lines = tmp.path().join("blank.jsonl");
    std::fs::write(&empty_lines, "\n".repeat(5_000_000)).unwrap();
    let index = tmp.path().join("idx");
    let (code, _, err) = run(partnerkb(tmp.path())
        .arg("ingest")
        .arg(&big)
        .arg(&empty_lines)
        .arg("--index")
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    assert_eq!(total(tmp.path(), &index), 1);
}
