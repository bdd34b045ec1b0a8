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

/// A small labelled corpus (the first records of the bundled one), so that
/// a whole training run takes seconds.
fn small_corpus(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for (name, n) in [("partnerships.jsonl", 90), ("lessons.jsonl", 40)] {
        let text = std::fs::read_to_string(root().join("corpus").join(name)).unwrap();
        let head: String = text.lines().take(n).map(|l| format!("{l}\n")).collect();
        let path = dir.join(name);
        std::fs::write(&path, head).unwrap();
        files.push(path);
    }
    files
}

#[test]
fn a_killed_train_never_leaves_a_half_written_model() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = small_corpus(tmp.path());
    let out = tmp.path().join("model.json");
    let old = std::fs::read(root().join("models/default.json")).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("partnerkb");
    let train = |out: &std::path::Path| {
        let mut cmd = std::process::Command::new(&bin);
        cmd.arg("train")
            .arg("--corpus")
            .args(&corpus)
            .args(["--date", "2026-11-29", "--out"])
            .arg(out)
            .current_dir(root())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    // How long a whole run takes here, to kill the others at fractions of it.
    let fresh = tmp.path().join("fresh.json");
    let started = std::time::Instant::now();
    let status = train(&fresh).status().unwrap();
    let whole = started.elapsed();
    assert!(status.success());
    let trained = std::fs::read(&fresh).unwrap();
    for fraction in [0.3, 0.6, 0.9, 0.97, 0.99] {
        std::fs::write(&out, &old).unwrap();
        let mut child = train(&out).spawn().unwrap();
        std::thread::sleep(whole.mul_f64(fraction));
        let _ = child.kill(); // SIGKILL on Unix
        child.wait().unwrap();
        let now = std::fs::read(&out).unwrap();
        assert!(
            now == old || now == trained,
            "after a kill at {fraction} of the run the model is neither the old nor the new one ({} bytes)",
            now.len()
        );
        // Whatever is there loads.
        let (code, _, err) = run(partnerkb(tmp.path())
            .args(["classify", "a global fund for vaccines", "--model"])
            .arg(&out));
        assert_eq!(code, 0, "kill at {fraction}: {err}");
    }
}

/// A file the user may not read: a clear message naming it, nothing
/// written, exit 2. Tests run as root, who reads everything, so the command
/// runs as `nobody` (setpriv) when the test is root.
#[cfg(unix)]
#[test]
fn an_unreadable_file_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let secret = tmp.path().join("secret.jsonl");
    std::fs::copy(root().join("corpus/partnerships.jsonl"), &secret).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let index = tmp.path().join("idx");
    let bin = assert_cmd::cargo::cargo_bin("partnerkb");
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut cmd = cmd_for(&bin, is_root);
    let out = cmd
        .arg("ingest")
        .arg(&secret)
        .arg("--index")
        .arg(&index)
        .env("XDG_DATA_HOME", tmp.path())
        .env("HOME", tmp.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("secret.jsonl"), "{err}");
    assert!(err.to_lowercase().contains("permission denied"), "{err}");
    assert!(!index.join("meta.json").exists(), "nothing was written");
    let out = cmd_for(&bin, is_root)
        .arg("classify")
        .arg("--input")
        .arg(&secret)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("secret.jsonl"), "{err}");
}

#[cfg(unix)]
fn cmd_for(bin: &std::path::Path, as_nobody: bool) -> std::process::Command {
    if as_nobody {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin);
        c
    } else {
        std::process::Command::new(bin)
    }
}
