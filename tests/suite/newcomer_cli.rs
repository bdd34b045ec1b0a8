//! The rest of what a newcomer missed next to ripgrep, tantivy-cli or
//! Meilisearch (issue 17): `show`, `--color`, completions and a man page,
//! options only where they mean something, tables with headers, a damaged
//! index that fails the search, the documented query fields and snippets
//! that start where a sentence does. Each test is named after the edge.

use crate::util::{partnerkb, run, search_json};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// An index of the bundled partnerships and lessons, without vectors (the
/// tests here are about the command line, not retrieval).
fn corpus_index() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["ingest", "--quiet", "--vectors", "off", "--index"])
        .arg(&index)
        .args(["corpus/partnerships.jsonl", "corpus/lessons.jsonl"]));
    assert_eq!(code, 0, "{err}");
    (tmp, index)
}

fn cli(home: &Path, index: &Path, args: &[&str]) -> (i32, String, String) {
    run(partnerkb(home).args(args).arg("--index").arg(index))
}

#[test]
fn show_prints_the_record_its_labels_evidence_and_lessons_for_its_type() {
    let (tmp, index) = corpus_index();
    let (code, out, err) = cli(tmp.path(), &index, &["show", "meningitis-vaccine-project"]);
    assert_eq!(code, 0, "{err}");
    let first = out.lines().next().unwrap();
    assert_eq!(first, "[partnership] Meningitis Vaccine Project");
    for expected in [
        "id meningitis-vaccine-project · function: operational (gold) · mode: implementation (gold)",
        "MenAfriVac",
        "Partners   PATH (civil_society); WHO (un)",
        "Why this type",
        "evidence: ",
        "sentence: ",
        "Lessons for operational · implementation partnerships",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    // The JSON is the API's record view: the same keys, the lessons the
    // text lists, every axis explained.
    let (code, json, err) = cli(
        tmp.path(),
        &index,
        &["show", "meningitis-vaccine-project", "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["id"], "meningitis-vaccine-project");
    assert_eq!(v["kind"], "partnership");
    for axis in ["function", "mode"] {
        assert!(
            !v["classification"][axis]["evidence"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{axis}: {v}"
        );
    }
    let related = v["related"].as_array().unwrap();
    assert!(!related.is_empty());
    for lesson in related {
        assert_eq!(lesson["kind"], "lesson");
        let id = lesson["id"].as_str().unwrap();
        assert!(out.contains(&format!("(id {id})")), "{id} not in\n{out}");
    }
    // A lesson shows its example partnerships.
    let (code, out, err) = cli(
        tmp.path(),
        &index,
        &["show", "define-partnership-before-using-the-label"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("[lesson] "), "{out}");
    assert!(out.contains("Example partnerships and like ones"), "{out}");
    // An unknown id is the user's mistake.
    let (code, _, err) = cli(tmp.path(), &index, &["show", "no-such-record"]);
    assert_eq!(code, 2);
    assert!(err.contains("no record with id `no-such-record`"), "{err}");
}

#[test]
fn color_always_marks_matches_in_ansi_never_and_no_color_in_stars() {
    let (tmp, index) = corpus_index();
    let search = |extra: &[&str]| {
        let mut args = vec!["search", "vaccine", "-n", "3", "--retrieval", "lexical"];
        args.extend_from_slice(extra);
        cli(tmp.path(), &index, &args)
    };
    let (code, always, _) = search(&["--color", "always"]);
    assert_eq!(code, 0);
    assert!(always.contains("\x1b[1;33m"), "{always}");
    assert!(!always.contains("**"), "{always}");
    // Into a pipe, auto is plain; so is never.
    for extra in [&["--color", "never"][..], &[]] {
        let (_, plain, _) = search(extra);
        assert!(!plain.contains('\x1b'), "{extra:?}: {plain}");
        assert!(plain.contains("**"), "{extra:?}: {plain}");
    }
    let (code, _, err) = search(&["--color", "sometimes"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("possible values: auto, always, never"),
        "{err}"
    );
}

#[test]
fn completions_and_the_man_page_are_generated_from_the_commands() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = run(partnerkb(tmp.path()).args(["completions", shell]));
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains("partnerkb"), "{shell}");
        // Every subcommand is completed, `show` included.
        assert!(out.contains("show") && out.contains("reindex"), "{shell}");
    }
    let (code, man, err) = run(partnerkb(tmp.path()).arg("man"));
    assert_eq!(code, 0, "{err}");
    assert!(man.contains(".TH partnerkb 1"), "{man}");
    assert!(man.contains("search") && man.contains("classify"));
}

#[test]
fn index_and_model_are_offered_only_on_commands_that_use_them() {
    let tmp = tempfile::tempdir().unwrap();
    let help = |cmd: &str| {
        let (code, out, err) = run(partnerkb(tmp.path()).args([cmd, "--help"]));
        assert_eq!(code, 0, "{cmd}: {err}");
        out
    };
    for cmd in [
        "search", "show", "ingest", "stats", "serve", "doctor", "compact",
    ] {
        let out = help(cmd);
        assert!(
            out.contains("--index <DIR>") && out.contains("--model <PATH>"),
            "{cmd}: {out}"
        );
    }
    for cmd in ["classify", "evaluate", "suggest"] {
        let out = help(cmd);
        assert!(
            out.contains("--model <PATH>") && !out.contains("--index"),
            "{cmd}: {out}"
        );
    }
    for cmd in ["generate", "train", "completions", "man"] {
        let out = help(cmd);
        assert!(
            !out.contains("--index") && !out.contains("--model"),
            "{cmd}: {out}"
        );
    }
    let (code, _, err) =
        run(partnerkb(tmp.path()).args(["generate", "--count", "1", "--index", "x"]));
    assert_eq!(code, 2);
    assert!(err.contains("unexpected argument '--index'"), "{err}");
}

/// The column where `name` starts in `header`, and every row's value in
/// that column starts there too.
fn aligned(table: &[&str], name: &str) {
    let at = table[0]
        .find(name)
        .unwrap_or_else(|| panic!("no {name} in {}", table[0]));
    for row in &table[1..] {
        let before = row.get(..at).unwrap_or("");
        assert!(
            before.ends_with(' ') && !row[at..].starts_with(' '),
            "{name} not aligned in {row:?} (header {:?})",
            table[0]
        );
    }
}

#[test]
fn suggest_and_stats_print_tables_with_headers_and_columns_that_hold_long_values() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = run(partnerkb(tmp.path()).args([
        "suggest",
        "--input",
        "corpus/registry-sample.csv",
        "-n",
        "8",
    ]));
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 9, "{out}");
    assert!(rows[0].starts_with("id "), "{out}");
    // Registry ids run past 70 characters; the columns still line up.
    assert!(
        rows[1..]
            .iter()
            .any(|r| r.split(' ').next().unwrap().len() > 50),
        "{out}"
    );
    aligned(&rows, "axis");
    aligned(&rows, "probabilities");

    let (tmp, index) = corpus_index();
    let (code, out, err) = cli(tmp.path(), &index, &["stats"]);
    assert_eq!(code, 0, "{err}");
    for group in out.split("\n\n").skip(1) {
        let rows: Vec<&str> = group.lines().collect();
        let header: Vec<&str> = rows[0].split_whitespace().collect();
        assert_eq!(header[1], "records", "{group}");
        // Right-aligned counts end in the same column as their header.
        let end = rows[0].find("records").unwrap() + "records".len();
        for row in &rows[1..] {
            assert!(
                row[..end].ends_with(|c: char| c.is_ascii_digit()),
                "{row:?} in\n{group}"
            );
        }
    }
}

#[test]
fn search_on_a_damaged_index_fails_with_3_and_names_the_damaged_file() {
    let (tmp, index) = corpus_index();
    let (code, _, err) = cli(
        tmp.path(),
        &index,
        &["search", "water", "--retrieval", "lexical"],
    );
    assert_eq!(code, 0, "{err}");
    // Flip bytes in the middle of a document store, as a bad disk would.
    let store = std::fs::read_dir(&index)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "store"))
        .unwrap();
    let mut bytes = std::fs::read(&store).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0xff;
    }
    std::fs::write(&store, bytes).unwrap();
    let (code, out, err) = cli(
        tmp.path(),
        &index,
        &["search", "water", "--retrieval", "lexical"],
    );
    assert_eq!(code, 3, "{out}\n{err}");
    let name = store.file_name().unwrap().to_str().unwrap();
    assert!(err.contains(name) && err.contains("damaged"), "{err}");
    assert!(out.is_empty(), "{out}");
}

#[test]
fn name_description_and_id_query_fields_work_and_unknown_ones_are_words() {
    let (tmp, index) = corpus_index();
    let hits = |q: &str| {
        let v = search_json(
            tmp.path(),
            &index,
            &[q, "--retrieval", "lexical", "-n", "50"],
        );
        (v["hits"].as_array().unwrap().clone(), v)
    };
    let (named, _) = hits("name:vaccine");
    assert!(!named.is_empty());
    for h in &named {
        let title = h["title"].as_str().unwrap().to_lowercase();
        assert!(title.contains("vaccin"), "{title}");
    }
    let (titled, _) = hits("title:vaccine");
    assert_eq!(named.len(), titled.len());
    let (by_id, _) = hits("id:meningitis-vaccine-project");
    assert_eq!(by_id.len(), 1);
    assert_eq!(by_id[0]["id"], "meningitis-vaccine-project");
    let (described, _) = hits("description:MenAfriVac");
    assert!(described
        .iter()
        .any(|h| h["id"] == "meningitis-vaccine-project"));
    let (words, v) = hits("colour:water");
    assert!(!words.is_empty(), "{v}");
    assert!(v["reading"]["read_as_words"].is_string(), "{v}");
}

#[test]
fn snippets_start_at_a_sentence_or_with_context_and_mark_what_is_left_out() {
    let (tmp, index) = corpus_index();
    let v = search_json(
        tmp.path(),
        &index,
        &["audit", "--retrieval", "lexical", "-n", "20"],
    );
    let hits = v["hits"].as_array().unwrap();
    assert!(hits.len() >= 10);
    for h in hits {
        let snippet = h["snippet"].as_str().unwrap();
        let body = h["record"]["description"]
            .as_str()
            .or(h["record"]["text"].as_str())
            .unwrap();
        let inner = snippet.trim_start_matches("… ").trim_end_matches(" …");
        assert!(body.contains(inner), "{snippet:?} is not from the text");
        assert_eq!(
            snippet.starts_with("… "),
            !body.starts_with(inner),
            "{snippet:?}"
        );
        let first = h["highlights"][0][0].as_u64().unwrap() as usize;
        let lead = snippet.get(..first).unwrap_or("").trim_start_matches("… ");
        // Something comes before the first match: the sentence's start or
        // a few words of context, not the matched word alone.
        assert!(
            !lead.trim().is_empty() || body.starts_with(inner),
            "{snippet:?}"
        );
    }
}

#[test]
fn delete_removes_records_by_id_in_one_commit_and_names_those_not_found() {
    let (tmp, index) = corpus_index();
    let before = crate::util::total(tmp.path(), &index);
    let (code, out, err) = cli(
        tmp.path(),
        &index,
        &[
            "delete",
            "meningitis-vaccine-project",
            "no-such-id",
            "--json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["deleted"],
        serde_json::json!(["meningitis-vaccine-project"])
    );
    assert_eq!(v["missing"], serde_json::json!(["no-such-id"]));
    assert!(err.contains("no-such-id"), "{err}");
    assert_eq!(crate::util::total(tmp.path(), &index), before - 1);
    let (code, _, _) = cli(tmp.path(), &index, &["show", "meningitis-vaccine-project"]);
    assert_eq!(code, 2);
    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["delete", "--index"])
        .arg(&index));
    assert_eq!(code, 2);
    assert!(err.contains("<ID>"), "{err}");
}

#[test]
fn strict_leaves_nothing_behind_and_ingest_names_every_bad_line() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("in.csv");
    std::fs::write(
        &csv,
        "id,name,description,start_year\na,Alpha,A fund that runs clinics.,2001\nb,Beta,A network that shares data.,abc\n",
    )
    .unwrap();
    let output = tmp.path().join("typed.csv");
    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["classify", "--strict", "--input"])
        .arg(&csv)
        .arg("--output")
        .arg(&output));
    assert_eq!(code, 2, "{err}");
    assert!(!output.exists(), "a partial output file is left behind");
    assert!(!tmp.path().join("typed.csv.rejects.csv").exists());

    let jsonl = tmp.path().join("in.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"id":"a","name":"A","description":"A fund that runs clinics."}"#,
            "\n",
            r#"{"id":"B!","name":"B","description":"q"}"#,
            "\n",
            r#"{"id":"c","name":"","description":"w"}"#,
            "\n"
        ),
    )
    .unwrap();
    let index = tmp.path().join("new-index");
    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["ingest", "--strict", "--index"])
        .arg(&index)
        .arg(&jsonl));
    assert_eq!(code, 2);
    assert!(
        err.contains("in.jsonl:2: id") && err.contains("in.jsonl:3: name"),
        "{err}"
    );
    assert!(
        err.contains("2 invalid record(s)") && err.contains("nothing was committed"),
        "{err}"
    );
    assert!(!index.exists(), "an empty index is left behind");
}

#[test]
fn search_format_csv_writes_every_match_and_an_empty_filtered_search_says_what_to_drop() {
    let (tmp, index) = corpus_index();
    let total = search_json(tmp.path(), &index, &["water", "--retrieval", "lexical"])["total"]
        .as_u64()
        .unwrap();
    let (code, out, err) = cli(
        tmp.path(),
        &index,
        &[
            "search",
            "water",
            "--retrieval",
            "lexical",
            "-n",
            "3",
            "--format",
            "csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(&reader.headers().unwrap()[1], "id");
    assert_eq!(
        reader.records().count() as u64,
        total,
        "-n does not cut an export"
    );
    assert!(
        err.contains(&format!("{total} matching record(s) written")),
        "{err}"
    );
    let (code, out, err) = cli(
        tmp.path(),
        &index,
        &[
            "search",
            "",
            "--kind",
            "partnership",
            "--challenge",
            "accountability",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("without --kind partnership: "), "{err}");
    assert!(
        err.contains("without --challenge accountability: 511 matching"),
        "{err}"
    );
}
