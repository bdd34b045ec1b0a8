//! Helpers shared by the integration tests.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// Repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/<rel>` when CI provides it.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = root().join("..").join("shared").join(rel);
    p.exists().then_some(p)
}

/// The binary, isolated from the user's data directory and environment.
pub fn partnerkb(data_home: &Path) -> Command {
    Command::from_std(process(data_home))
}

/// [`partnerkb`] as a plain process, for tests that spawn it and hold its
/// pipes.
pub fn process(data_home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("partnerkb"));
    cmd.env("XDG_DATA_HOME", data_home)
        .env("HOME", data_home)
        .env_remove("PARTNERKB_INDEX")
        .env_remove("PARTNERKB_MODEL")
        .env_remove("PARTNERKB_EMBED_MODEL")
        .current_dir(root());
    cmd
}

/// Run and return (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("command runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run a search with `--json` and parse the result.
pub fn search_json(data_home: &Path, index: &Path, args: &[&str]) -> serde_json::Value {
    let (code, out, err) = run(partnerkb(data_home)
        .arg("search")
        .args(args)
        .arg("--json")
        .arg("--index")
        .arg(index));
    assert!(
        code == 0 || code == 1,
        "search {args:?} failed ({code}): {err}"
    );
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out}"))
}

/// Number of documents in an index.
pub fn total(data_home: &Path, index: &Path) -> u64 {
    let (code, out, err) = run(partnerkb(data_home)
        .args(["stats", "--json", "--index"])
        .arg(index));
    assert_eq!(code, 0, "stats failed: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("stats JSON");
    v["total"].as_u64().expect("total")
}
