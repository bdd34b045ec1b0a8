//! Regression tests for what a newcomer hit (issue 17), each named after
//! the sharp edge it pins.

use crate::util::{process, run};
use std::process::Stdio;

#[test]
fn a_reader_that_closes_stdout_early_ends_every_command_quietly_with_0() {
    let tmp = tempfile::tempdir().unwrap();
    // Build the default index once, so the commands below only write.
    let (code, _, err) = run(crate::util::partnerkb(tmp.path()).args(["stats"]));
    assert_eq!(code, 0, "{err}");
    let registry = tmp.path().join("gen.csv");
    let (code, _, err) = run(crate::util::partnerkb(tmp.path())
        .args(["generate", "--count", "3000", "--output"])
        .arg(&registry));
    assert_eq!(code, 0, "{err}");
    let registry = registry.to_str().unwrap();
    // A small labelled corpus, so `evaluate` has something quick to do.
    let small = tmp.path().join("small.jsonl");
    let corpus =
        std::fs::read_to_string(crate::util::root().join("corpus/partnerships.jsonl")).unwrap();
    let mut lines: Vec<&str> = corpus.lines().collect();
    lines.truncate(60);
    std::fs::write(&small, lines.join("\n") + "\n").unwrap();
    let small = small.to_str().unwrap();
    let commands: &[&[&str]] = &[
        &["stats"],
        &["stats", "--json"],
        &["stats", "--corpus", "corpus"],
        &["doctor"],
        &["search", "water"],
        &["search", "water", "--json"],
        &["classify", "a network of agencies sharing data"],
        &["classify", "--input", registry],
        &["classify", "--input", registry, "--format", "csv"],
        &["suggest", "--input", registry, "-n", "1000"],
        &["generate", "--count", "20000"],
        &["show", "meningitis-vaccine-project"],
        &["show", "meningitis-vaccine-project", "--json"],
        &["completions", "bash"],
        &["man"],
        &["similar", "meningitis-vaccine-project"],
        &["review", "-n", "50"],
        &["search", "water", "--format", "csv"],
        &["search", "water", "--format", "jsonl"],
        &["evaluate", "--corpus", small, "--folds", "2"],
        // These change the default index, so they come last.
        &[
            "label",
            "meningitis-vaccine-project",
            "mode=coordination",
            "--reason",
            "a broken-pipe check",
            "--by",
            "tester",
        ],
        &["label", "--history", "meningitis-vaccine-project"],
        &["export", "--corrections"],
        &["reclassify", "--json"],
        &["delete", "meningitis-vaccine-project"],
    ];
    for args in commands {
        let mut child = process(tmp.path())
            .args(*args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader is gone before the first write: every write fails
        // with a broken pipe.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("error"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn train_and_evaluate_work_from_any_directory_and_write_only_where_told() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let model = tmp.path().join("model.json");
    let out = process(tmp.path())
        .current_dir(&elsewhere)
        .args(["train", "--date", "2026-11-29", "--folds", "3", "--out"])
        .arg(&model)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(model.exists());
    let out = process(tmp.path())
        .current_dir(&elsewhere)
        .args(["evaluate", "--folds", "3", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["axes"].as_array().is_some_and(|a| a.len() == 3),
        "{report}"
    );
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "nothing written in the working directory"
    );
    // Without --out, train refuses rather than overwrite ./models/default.json.
    let out = process(tmp.path())
        .current_dir(&elsewhere)
        .args(["train"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out"));
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

/// Four of the sharp edges, each as the newcomer met it.
#[test]
fn count_only_searches_page_numbers_generate_names_and_classify_usage() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let (code, _, err) = run(crate::util::partnerkb(tmp.path())
        .args(["ingest", "--quiet", "--index"])
        .arg(&index)
        .arg("corpus/partnerships.jsonl"));
    assert_eq!(code, 0, "{err}");
    let search = |args: &[&str]| {
        run(crate::util::partnerkb(tmp.path())
            .arg("search")
            .args(args)
            .arg("--index")
            .arg(&index))
    };
    // `search water -n 0` printed "32 matching, showing 1" and one hit.
    let (code, out, _) = search(&["water", "-n", "0"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(", showing 0\n") && !out.contains(" 1. "),
        "{out}"
    );
    // `--offset 2` numbered the hits from 1 again.
    let (_, out, _) = search(&["water", "-n", "2", "--offset", "2"]);
    assert!(
        out.contains("\n 3. ") && out.contains("\n 4. ") && !out.contains("\n 1. "),
        "{out}"
    );
    // `generate --output gen5.jsonl` wrote CSV into a .jsonl file.
    let jsonl = tmp.path().join("gen5.jsonl");
    let (code, _, err) = run(crate::util::partnerkb(tmp.path())
        .args(["generate", "--count", "5", "--output"])
        .arg(&jsonl));
    assert_eq!(code, 2);
    assert!(
        err.contains("name the file .csv") && !jsonl.exists(),
        "{err}"
    );
    // `classify` with no argument showed only `partnerkb classify <TEXT>`.
    let (code, _, err) = run(crate::util::partnerkb(tmp.path()).arg("classify"));
    assert_eq!(code, 2);
    assert!(
        err.contains("--input <FILE>"),
        "the usage names --input: {err}"
    );
}
