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

/// A `partnerkb serve` process on an ephemeral loopback port, killed
/// (SIGKILL) when dropped.
pub struct RunningServer {
    /// The process.
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The server's stderr (its request log), written to a file so a
    /// busy test never fills a pipe nobody reads.
    pub log: PathBuf,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serve the index at `index` (extra flags such as `--write-token`), and
/// wait until it listens.
pub fn serve(data_home: &Path, index: &Path, extra: &[&str]) -> RunningServer {
    use std::io::BufRead;
    static SERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log = data_home.join(format!("serve-{}-{n}.log", std::process::id()));
    let mut child = process(data_home)
        .env_remove("PARTNERKB_WRITE_TOKEN")
        .args(["serve", "--addr", "127.0.0.1:0", "--index"])
        .arg(index)
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("server log file"))
        .spawn()
        .expect("server starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let Some(addr) = line
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string)
    else {
        let _ = child.kill();
        let _ = child.wait();
        let err = std::fs::read_to_string(&log).unwrap_or_default();
        panic!("server did not start: {line:?} {err}");
    };
    // `listening on http://ADDR/BASE/ (…)`: the address, and the path the
    // server answers under.
    let (addr, path) = match addr.split_once('/') {
        Some((addr, path)) if !path.trim_matches('/').is_empty() => {
            (addr.to_string(), format!("/{}", path.trim_matches('/')))
        }
        Some((addr, _)) => (addr.to_string(), String::new()),
        None => (addr, String::new()),
    };
    RunningServer {
        child,
        base: format!("http://{addr}{path}"),
        addr,
        log,
    }
}

/// An HTTP client that returns error statuses instead of failing.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(60)))
        .build()
        .into()
}

/// Status and JSON body of a response.
pub fn json_of(
    resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> (u16, serde_json::Value) {
    let mut resp = resp.expect("request completes");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, value)
}

/// Say that a test skipped, where `cargo test` shows it: libtest captures
/// what `eprintln!` prints (shown only for failing tests or with
/// `--nocapture`), not writes to the stderr handle itself.
pub fn skip_notice(notice: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "\nnote: {notice}");
}
