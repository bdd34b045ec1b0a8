//! `partnerkb serve`: every endpoint and every error status, ingest
//! atomicity under concurrent searches, slow clients, and the web page in
//! headless Chromium. Each test starts the real binary on an ephemeral
//! loopback port.

use super::util::{agent, json_of, partnerkb, root, run, serve, RunningServer};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A running server on the bundled corpus, stopped when dropped.
struct Server {
    _server: RunningServer,
    base: String,
    addr: String,
    _dir: TempDir,
}

/// Index the bundled corpus into a fresh directory and serve it.
fn start(extra: &[&str]) -> Server {
    start_with(&[], extra)
}

/// [`start`], ingesting with `ingest_args` too.
fn start_with(ingest_args: &[&str], extra: &[&str]) -> Server {
    let dir = TempDir::new().unwrap();
    let index = dir.path().join("index");
    let (code, _, err) = run(partnerkb(dir.path())
        .args(["ingest", "--quiet", "--index"])
        .arg(&index)
        .args(ingest_args)
        .args(["corpus/partnerships.jsonl", "corpus/lessons.jsonl"]));
    assert_eq!(code, 0, "ingest failed: {err}");
    let inner = serve(dir.path(), &index, extra);
    Server {
        base: inner.base.clone(),
        addr: inner.addr.clone(),
        _server: inner,
        _dir: dir,
    }
}

fn get(s: &Server, path: &str) -> (u16, Value) {
    json_of(agent().get(format!("{}{path}", s.base)).call())
}

fn post_json(s: &Server, path: &str, body: &Value) -> (u16, Value) {
    json_of(agent().post(format!("{}{path}", s.base)).send_json(body))
}

fn post_bytes(s: &Server, path: &str, token: Option<&str>, body: &[u8]) -> (u16, Value) {
    let mut req = agent().post(format!("{}{path}", s.base));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    json_of(req.send(body))
}

fn assert_error(status: u16, body: &Value, expected: u16, contains: &str) {
    assert_eq!(status, expected, "{body}");
    let message = body["error"].as_str().unwrap_or_else(|| panic!("{body}"));
    assert!(
        message.contains(contains),
        "error `{message}` should mention `{contains}`"
    );
}

fn count_lines(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count() as u64
}

#[test]
fn search_endpoint_filters_pages_and_counts_facets() {
    let s = start(&[]);
    // Facet counts that equal the filtered totals are the lexical
    // search's promise; a hybrid search adds each filtered set's nearest
    // by meaning, which a count over the unfiltered set cannot know.
    let (status, all) = get(
        &s,
        "/api/search?q=water&retrieval=lexical&kind=partnership&limit=5",
    );
    assert_eq!(status, 200, "{all}");
    let total = all["total"].as_u64().unwrap();
    assert!(total > 5, "water should match several partnerships: {all}");
    let hits = all["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 5);
    for hit in hits {
        assert_eq!(hit["kind"], "partnership");
        assert!(
            hit["snippet_html"].as_str().unwrap().contains("<b>"),
            "{hit}"
        );
        assert!(!hit["labels"].as_array().unwrap().is_empty(), "{hit}");
    }
    // A facet count is the total of the search filtered on it.
    let implementation = all["facets"]["mode"]["implementation"].as_u64().unwrap();
    let (_, filtered) = get(
        &s,
        "/api/search?q=water&retrieval=lexical&kind=partnership&mode=implementation&limit=100",
    );
    assert_eq!(filtered["total"].as_u64().unwrap(), implementation);
    for hit in filtered["hits"].as_array().unwrap() {
        assert!(
            hit["labels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["axis"] == "mode" && l["label"] == "implementation"),
            "{hit}"
        );
    }
    // Paging walks through the same ranking.
    let (_, page2) = get(
        &s,
        "/api/search?q=water&retrieval=lexical&kind=partnership&limit=5&offset=5",
    );
    assert_eq!(page2["offset"], 5);
    assert_ne!(page2["hits"][0]["id"], hits[0]["id"]);
    // Empty form fields mean "no filter".
    let (status, same) = get(
        &s,
        "/api/search?q=water&retrieval=lexical&kind=partnership&mode=&limit=5",
    );
    assert_eq!(status, 200);
    assert_eq!(same["total"].as_u64().unwrap(), total);
    // The whole index, by kind.
    let (_, everything) = get(&s, "/api/search");
    let partnerships = count_lines(&root().join("corpus/partnerships.jsonl"));
    let lessons = count_lines(&root().join("corpus/lessons.jsonl"));
    assert_eq!(
        everything["total"].as_u64().unwrap(),
        partnerships + lessons
    );
    assert_eq!(
        everything["facets"]["kind"]["lesson"].as_u64(),
        Some(lessons)
    );

    // Plain words are never an error: a query that is not valid syntax is
    // searched as its words, and the answer says so.
    for q in [
        "women%27s%20rights",
        "SDG%206%3A%20clean%20water",
        "https%3A%2F%2Fwww.gavi.org",
        "water%20AND",
        "-",
        "%2B",
        "%22unbalanced",
        "title:(",
    ] {
        let (st, body) = get(&s, &format!("/api/search?q={q}"));
        assert_eq!(st, 200, "{q}: {body}");
        assert!(body["notes"].is_array(), "{q}: {body}");
    }
    let (_, read) = get(&s, "/api/search?q=SDG%206%3A%20clean%20water");
    assert_eq!(
        read["reading"]["read_as_words"], "SDG 6 clean water",
        "{read}"
    );
    assert!(read["total"].as_u64().unwrap() > 0, "{read}");
    // Errors: unknown label, unknown kind, bad paging, typos.
    let (st, e) = get(&s, "/api/search?q=water&retrieval=lexical&mode=bilateral");
    assert_error(st, &e, 400, "bilateral");
    let (st, e) = get(&s, "/api/search?kind=people");
    assert_error(st, &e, 400, "people");
    let (st, e) = get(&s, "/api/search?limit=0");
    assert_error(st, &e, 400, "limit");
    let (st, e) = get(&s, "/api/search?limit=many");
    assert_error(st, &e, 400, "limit");
    let (st, e) = get(&s, "/api/search?mod=implementation");
    assert_error(st, &e, 400, "mod");
}

#[test]
fn record_classify_and_stats_endpoints() {
    let s = start(&[]);
    let (_, found) = get(&s, "/api/search?q=vaccine&kind=partnership&limit=1");
    let id = found["hits"][0]["id"].as_str().unwrap().to_string();
    let (status, p) = get(&s, &format!("/api/partnerships/{id}"));
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["id"], id.as_str());
    assert!(p["record"]["description"].as_str().is_some());
    for axis in ["function", "mode"] {
        let c = &p["classification"][axis];
        let sum: f64 = c["probabilities"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-6, "{axis}: {c}");
        assert!(!c["evidence"].as_array().unwrap().is_empty(), "{c}");
    }
    let related = p["related"].as_array().unwrap();
    assert!(!related.is_empty());
    assert!(related.iter().all(|h| h["kind"] == "lesson"), "{related:?}");

    let (_, lessons) = get(&s, "/api/search?kind=lesson&limit=1");
    let lesson_id = lessons["hits"][0]["id"].as_str().unwrap().to_string();
    let (status, l) = get(&s, &format!("/api/lessons/{lesson_id}"));
    assert_eq!(status, 200, "{l}");
    assert!(l["classification"]["challenge"]["label"].is_string(), "{l}");
    assert!(l["related"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["kind"] == "partnership"));

    // Unknown ids, and an id of the other kind, are 404.
    let (st, e) = get(&s, "/api/partnerships/no-such-partnership");
    assert_error(st, &e, 404, "no-such-partnership");
    let (st, e) = get(&s, &format!("/api/partnerships/{lesson_id}"));
    assert_error(st, &e, 404, &lesson_id);
    let (st, e) = get(&s, "/api/nothing-here");
    assert_error(st, &e, 404, "/api/nothing-here");

    // Classify free text and a whole record.
    let text = "A global alliance of governments, companies and NGOs that pools \
                donor money in a trust fund and jointly runs vaccination programmes \
                in low-income countries.";
    let (status, c) = post_json(&s, "/api/classify", &json!({ "text": text }));
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["kind"], "partnership");
    assert!(c["classification"]["function"]["label"].is_string());
    assert!(c["classification"]["mode"]["probability"].as_f64().unwrap() > 0.0);
    let record = json!({"record": {"id": "x", "name": "X", "description": text,
        "partners": [{"name": "WHO", "sector": "un"}]}});
    let (status, c) = post_json(&s, "/api/classify", &record);
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["id"], "x");
    let (st, e) = post_json(&s, "/api/classify", &json!({ "text": "   " }));
    assert_error(st, &e, 400, "empty");
    let (st, e) = post_json(
        &s,
        "/api/classify",
        &json!({"record": {"id": "y", "name": "Y", "partners": [{"name": "Z", "sector": "pirates"}], "description": "d"}}),
    );
    assert_error(st, &e, 400, "sector");
    let (st, e) = post_bytes(&s, "/api/classify", None, b"{\"text\": ");
    assert_error(st, &e, 400, "request body");
    let (st, e) = post_json(&s, "/api/classify", &json!({"txt": text}));
    assert_error(st, &e, 400, "txt");

    // Stats agree with the corpus files.
    let (status, stats) = get(&s, "/api/stats");
    assert_eq!(status, 200);
    let partnerships = count_lines(&root().join("corpus/partnerships.jsonl"));
    assert_eq!(
        stats["facets"]["kind"]["partnership"].as_u64(),
        Some(partnerships)
    );
    let gold_function: u64 = stats["gold"]["function"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(gold_function, partnerships);

    // The page and its assets come from the binary.
    let mut page = agent().get(&s.base).call().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"));
    assert!(page
        .body_mut()
        .read_to_string()
        .unwrap()
        .contains("assets/app.js"));
    let js = agent()
        .get(format!("{}/assets/app.js", s.base))
        .call()
        .unwrap();
    assert_eq!(js.status().as_u16(), 200);
}

/// `n` partnership records as JSONL, with one malformed line at `bad`.
fn jsonl_records(n: usize, bad: Option<usize>) -> Vec<u8> {
    let mut out = String::new();
    for i in 0..n {
        if Some(i) == bad {
            out.push_str("{\"id\": \"broken\", \"name\": \n");
        }
        let line = json!({
            "id": format!("api-{i}"),
            "name": format!("Clean water network {i}"),
            "description": "A network of city utilities and NGOs that shares \
                            practice on safe drinking water and advocates for \
                            sanitation funding.",
            "partners": [{"name": "UN-Habitat", "sector": "un"}],
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out.into_bytes()
}

#[test]
fn ingest_needs_the_token_and_is_atomic_for_concurrent_searches() {
    let read_only = start(&[]);
    let (st, e) = post_bytes(
        &read_only,
        "/api/ingest",
        Some("x"),
        &jsonl_records(1, None),
    );
    assert_error(st, &e, 403, "read-only");
    drop(read_only);

    let s = start(&["--write-token", "s3cret", "--max-body-mb", "1"]);
    let (st, e) = post_bytes(&s, "/api/ingest", None, &jsonl_records(1, None));
    assert_error(st, &e, 403, "token");
    let (st, e) = post_bytes(&s, "/api/ingest", Some("wrong"), &jsonl_records(1, None));
    assert_error(st, &e, 403, "token");

    let query = "/api/search?kind=partnership&limit=1";
    let before = get(&s, query).1["total"].as_u64().unwrap();
    let n = 3000;
    let body = jsonl_records(n, Some(10));
    // Searches keep running while the batch is written; each sees the
    // index before or after the batch, never part of it.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        let url = format!("{}{query}", s.base);
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (status, v) = json_of(agent().get(&url).call());
                assert_eq!(status, 200, "search failed during ingest: {v}");
                seen.push(v["total"].as_u64().unwrap());
            }
            seen
        })
    };
    let (status, report) = post_bytes(&s, "/api/ingest", Some("s3cret"), &body);
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = watcher.join().expect("watcher");
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["indexed"].as_u64(), Some(n as u64));
    assert_eq!(report["predicted"].as_u64(), Some(2 * n as u64));
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{report}");
    assert_eq!(rejected[0]["line"], 11);
    let after = get(&s, query).1["total"].as_u64().unwrap();
    assert_eq!(after, before + n as u64);
    assert!(seen.len() > 1, "searches ran during the ingest");
    assert!(
        seen.iter().all(|&t| t == before || t == after),
        "a search saw a partial batch: {seen:?}"
    );

    // Re-posting upserts; strict refuses the whole batch.
    let (status, _) = post_bytes(&s, "/api/ingest", Some("s3cret"), &body);
    assert_eq!(status, 200);
    assert_eq!(get(&s, query).1["total"].as_u64().unwrap(), after);
    let fresh: Vec<u8> = String::from_utf8(jsonl_records(20, Some(3)))
        .unwrap()
        .replace("api-", "strict-")
        .into_bytes();
    let (st, e) = post_bytes(&s, "/api/ingest?strict=true", Some("s3cret"), &fresh);
    assert_error(st, &e, 400, "request:4");
    assert_eq!(get(&s, query).1["total"].as_u64().unwrap(), after);
    // Nothing valid at all is a 400 naming the line.
    let (st, e) = post_bytes(&s, "/api/ingest", Some("s3cret"), b"not json\n");
    assert_error(st, &e, 400, "request:1");
    // Over the body limit (1 MB here) is refused from the declared length,
    // before the body is read; a client that streams without declaring a
    // length is cut when the limit is reached.
    for path in ["/api/ingest", "/api/classify"] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n\
             Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{{"
        );
        let (status, _) = unfinished_request(&s.addr, &head);
        assert!(status.contains(" 413 "), "{path}: {status}");
    }
    let big = jsonl_records(6000, None);
    assert!(big.len() > 1024 * 1024);
    let (status, body) = chunked_request(&s.addr, "/api/ingest", "s3cret", &big);
    assert!(status.contains(" 413 "), "{status}");
    assert!(body.contains("limit"), "{body}");
    assert_eq!(get(&s, query).1["total"].as_u64().unwrap(), after);
}

/// Send a request whose body never arrives and return the status line
/// the server answers with, and how long it took.
fn unfinished_request(addr: &str, head: &str) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    (status.trim().to_string(), started.elapsed())
}

/// POST `body` with chunked transfer encoding (no declared length) and
/// return the status line and the rest of the response.
fn chunked_request(addr: &str, path: &str, token: &str, body: &[u8]) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer and close before everything is sent.
    for chunk in body.chunks(64 * 1024) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if stream.write_all(&framed).is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).to_string();
    let (status, rest) = text.split_once("\r\n").unwrap_or((&text, ""));
    (status.to_string(), rest.to_string())
}

#[test]
fn slow_clients_are_cut_and_the_server_keeps_serving() {
    let s = start(&["--timeout", "1", "--write-token", "t"]);
    let head = "POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                Content-Length: 500\r\n\r\n{\"text\": \"half a";
    let (status, took) = unfinished_request(&s.addr, head);
    assert!(status.contains(" 408 "), "{status}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    let head = "POST /api/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\
                Content-Length: 500\r\n\r\n{\"id\": ";
    let (status, _) = unfinished_request(&s.addr, head);
    assert!(status.contains(" 408 "), "{status}");
    // Several stalled clients at once do not stop the others.
    let stalled: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut c = TcpStream::connect(&s.addr).unwrap();
            c.write_all(b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n\r\n{")
                .unwrap();
            c
        })
        .collect();
    let (status, v) = get(&s, "/api/search?q=water");
    assert_eq!(status, 200, "{v}");
    drop(stalled);
    let (status, _) = get(&s, "/api/stats");
    assert_eq!(status, 200);
}

/// The page in headless Chromium, driven by `tests/browser/check.mjs`
/// (Playwright): search, filter, record view, classify, screenshots under
/// `target/browser/`. It needs Chromium and `npm ci --prefix tests/browser`;
/// `.ci/run` installs both and sets PARTNERKB_REQUIRE_BROWSER=1, so there a
/// missing browser is a failure. Elsewhere the test says it was skipped.
#[test]
fn web_page_works_in_headless_chromium() {
    let script = root().join("tests/browser/check.mjs");
    let chromium = std::env::var_os("CHROMIUM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromium".into());
    let driver = root().join("tests/browser/node_modules/playwright-core");
    let node = Command::new("node").arg("--version").output().is_ok();
    if !(chromium.exists() && driver.exists() && node) {
        let why = format!(
            "needs node, Chromium at {} and `npm ci --prefix tests/browser`",
            chromium.display()
        );
        if std::env::var_os("PARTNERKB_REQUIRE_BROWSER").is_some() {
            panic!("browser test {why}");
        }
        crate::util::skip_notice(&format!(
            "SKIPPED web_page_works_in_headless_chromium: {why}"
        ));
        return;
    }
    let s = start(&["--write-token", "browser-token"]);
    let shots = root().join("target/browser");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(&script)
        .arg(&s.base)
        .arg(&shots)
        .arg("browser-token")
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser check failed:\n{stdout}\n{stderr}"
    );
    // The steps it passed, for whoever reads the log with --nocapture.
    eprintln!("{stdout}");
    for shot in [
        "search.png",
        "record.png",
        "classify.png",
        "review.png",
        "multi-select.png",
    ] {
        assert!(shots.join(shot).exists(), "missing screenshot {shot}");
    }
}

#[test]
fn health_and_readiness_answer_without_auth() {
    let s = start(&[]);
    let (status, body) = get(&s, "/healthz");
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("ok")),
        "{body}"
    );
    let (status, body) = get(&s, "/readyz");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert!(
        body["documents"].as_u64().is_some_and(|n| n > 600),
        "{body}"
    );
    assert_eq!(body["model"].as_str().map(str::len), Some(16), "{body}");
}

#[test]
fn search_takes_a_retrieval_and_says_when_it_falls_back_to_lexical() {
    // The bundled corpus comes with vectors: hybrid by default.
    let s = start(&[]);
    let (status, body) = get(&s, "/api/search?q=evaluation&retrieval=fuzzy");
    assert_error(status, &body, 400, "retrieval");
    let (status, body) = get(&s, "/api/search?q=who+should+sit+at+the+table");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["retrieval"]["used"], "hybrid", "{body}");
    assert!(!body["notes"].to_string().contains("no vectors"), "{body}");
    drop(s);
    // An index made without vectors answers lexically, and says so when
    // another retrieval was asked for by name.
    let s = start_with(&["--vectors", "off"], &[]);
    let (status, body) = get(&s, "/api/search?q=evaluation&retrieval=hybrid");
    assert_eq!(status, 200, "{body}");
    assert!(!body["hits"].as_array().unwrap().is_empty());
    assert_eq!(body["retrieval"]["used"], "lexical", "{body}");
    let notes = body["notes"].to_string();
    assert_eq!(notes.matches("no vectors").count(), 1, "{body}");
    let (status, body) = get(&s, "/api/search?q=evaluation");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["retrieval"]["used"], "lexical", "{body}");
    assert!(!body["notes"].to_string().contains("no vectors"), "{body}");
}

#[test]
fn similar_endpoints_answer_for_records_of_their_kind() {
    let s = start_with(&["--vectors", "off"], &[]);
    // The served index has no vectors: no similar records, not an error.
    let (status, body) = get(
        &s,
        "/api/partnerships/onchocerciasis-control-programme/similar?kind=lesson&limit=3",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["hits"], json!([]), "{body}");
    let (status, body) = get(
        &s,
        "/api/lessons/define-partnership-before-using-the-label/similar",
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(
        &s,
        "/api/partnerships/define-partnership-before-using-the-label/similar",
    );
    assert_error(
        status,
        &body,
        404,
        "define-partnership-before-using-the-label",
    );
    let (status, body) = get(&s, "/api/lessons/no-such-lesson/similar");
    assert_error(status, &body, 404, "no-such-lesson");
    let (status, body) = get(
        &s,
        "/api/lessons/define-partnership-before-using-the-label/similar?limit=0",
    );
    assert_error(status, &body, 400, "limit");
}

fn delete(s: &Server, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = agent().delete(format!("{}{path}", s.base));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    json_of(req.call())
}

#[test]
fn delete_removes_a_record_only_with_the_token_and_of_its_own_kind() {
    let s = start_with(&["--vectors", "off"], &["--write-token", "del-token"]);
    let id = "meningitis-vaccine-project";
    let total = get(&s, "/api/stats").1["total"].as_u64().unwrap();
    let (st, e) = delete(&s, &format!("/api/partnerships/{id}"), None);
    assert_error(st, &e, 403, "token");
    let (st, e) = delete(&s, &format!("/api/partnerships/{id}"), Some("wrong"));
    assert_error(st, &e, 403, "token");
    // A partnership is not deleted through the lessons route.
    let (st, _) = delete(&s, &format!("/api/lessons/{id}"), Some("del-token"));
    assert_eq!(st, 404);
    assert_eq!(get(&s, &format!("/api/partnerships/{id}")).0, 200);
    let (st, body) = delete(&s, &format!("/api/partnerships/{id}"), Some("del-token"));
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["deleted"], true);
    assert_eq!(body["total"].as_u64(), Some(total - 1));
    assert_eq!(get(&s, &format!("/api/partnerships/{id}")).0, 404);
    let (_, found) = get(&s, "/api/search?q=MenAfriVac&retrieval=lexical");
    assert!(
        !found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == id),
        "{found}"
    );
    assert_eq!(get(&s, "/api/stats").1["total"].as_u64(), Some(total - 1));
    let (st, e) = delete(&s, &format!("/api/partnerships/{id}"), Some("del-token"));
    assert_error(st, &e, 404, id);
    // A read-only server refuses.
    let read_only = start_with(&["--vectors", "off"], &[]);
    let (st, e) = delete(&read_only, &format!("/api/partnerships/{id}"), Some("x"));
    assert_error(st, &e, 403, "read-only");
}

fn get_text(s: &Server, path: &str) -> (u16, String) {
    match agent().get(format!("{}{path}", s.base)).call() {
        Ok(mut r) => (r.status().as_u16(), r.body_mut().read_to_string().unwrap()),
        Err(ureq::Error::StatusCode(code)) => (code, String::new()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn export_streams_the_whole_matching_set_in_the_search_order() {
    let s = start_with(&["--vectors", "off"], &[]);
    let query = "/api/search?q=water&retrieval=lexical";
    let total = get(&s, query).1["total"].as_u64().unwrap();
    assert!(total > 20, "{total}");
    // The search's own order, page by page.
    let mut ids = Vec::new();
    while (ids.len() as u64) < total {
        let (_, page) = get(&s, &format!("{query}&limit=100&offset={}", ids.len()));
        let hits = page["hits"].as_array().unwrap();
        assert!(!hits.is_empty());
        ids.extend(hits.iter().map(|h| h["id"].as_str().unwrap().to_string()));
    }
    let (status, csv) = get_text(&s, &format!("{query}&format=csv&limit=1"));
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    for column in [
        "id",
        "function",
        "function_origin",
        "function_probability",
        "function_review",
        "mode_review",
        "url",
    ] {
        assert!(
            header.iter().any(|h| h == column),
            "no {column} in {header:?}"
        );
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let exported: Vec<String> = rows.iter().map(|r| r[1].to_string()).collect();
    assert_eq!(exported, ids, "the export is not the search's full result");
    assert_eq!(&rows[0][0], "1");
    let (status, jsonl) = get_text(&s, &format!("{query}&format=jsonl"));
    assert_eq!(status, 200);
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, total);
    assert_eq!(lines[0]["id"], ids[0].as_str());
    let (status, body) = get(&s, &format!("{query}&format=xlsx"));
    assert_error(status, &body, 400, "csv or jsonl");
}

#[test]
fn a_filtered_search_that_finds_nothing_names_each_filter_to_drop_and_its_count() {
    let s = start_with(&["--vectors", "off"], &[]);
    // Partnerships carry no lesson challenge: nothing matches both.
    let (status, body) = get(
        &s,
        "/api/search?kind=partnership&challenge=accountability&gold_only=true",
    );
    assert_eq!(status, 200);
    assert_eq!(body["total"], 0);
    let relax = body["relax"].as_array().unwrap();
    let names: Vec<&str> = relax
        .iter()
        .map(|r| r["filter"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"kind") && names.contains(&"challenge"),
        "{body}"
    );
    for r in relax {
        let filter = r["filter"].as_str().unwrap();
        let rest: Vec<(&str, &str)> = [
            ("kind", "partnership"),
            ("challenge", "accountability"),
            ("gold_only", "true"),
        ]
        .into_iter()
        .filter(|(k, _)| *k != filter)
        .collect();
        let query: Vec<String> = rest.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let without = get(&s, &format!("/api/search?{}", query.join("&"))).1;
        assert_eq!(
            r["total"], without["total"],
            "dropping {filter}: {r} vs {without}"
        );
    }
    // A search that finds something has nothing to suggest.
    let (_, found) = get(&s, "/api/search?kind=partnership");
    assert_eq!(found["relax"], serde_json::json!([]));
}

#[test]
fn behind_a_proxy_it_answers_under_its_base_path_and_logs_one_json_line_per_request() {
    let s = start_with(
        &["--vectors", "off"],
        &["--base-path", "/partnerkb", "--log-format", "json"],
    );
    assert!(s.base.ends_with("/partnerkb"), "{}", s.base);
    let (status, found) = get(&s, "/api/search?q=water&retrieval=lexical");
    assert_eq!(status, 200, "{found}");
    assert!(found["total"].as_u64().unwrap() > 0);
    // The page, its assets (relative URLs) and health all live under it.
    let (status, page) = get_text(&s, "/");
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"src="assets/app.js""#),
        "the page's URLs must be relative"
    );
    assert_eq!(get_text(&s, "/assets/app.js").0, 200);
    assert_eq!(get(&s, "/healthz").0, 200);
    // Outside the prefix there is nothing.
    let (status, body) = json_of(agent().get(format!("http://{}/api/search", s.addr)).call());
    assert_error(status, &body, 404, "/partnerkb/");
    // `/partnerkb` (no slash) sends the browser to `/partnerkb/`.
    let raw = raw_http(
        &s.addr,
        "GET /partnerkb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(raw.starts_with("HTTP/1.1 308"), "{raw}");
    assert!(
        raw.to_lowercase().contains("location: /partnerkb/"),
        "{raw}"
    );
    // One JSON line per request, with the path as asked.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = std::fs::read_to_string(&s._server.log).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let search = lines
        .iter()
        .find(|l| l["fields"]["path"] == "/partnerkb/api/search")
        .unwrap_or_else(|| panic!("no log line for the search in\n{log}"));
    assert_eq!(search["fields"]["method"], "GET");
    assert_eq!(search["fields"]["status"], 200);
    assert!(search["fields"]["duration_ms"].as_f64().unwrap() >= 0.0);
    assert!(lines
        .iter()
        .any(|l| l["fields"]["status"] == 404 && l["fields"]["path"] == "/api/search"));
}

fn raw_http(addr: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

/// A filter state as the page keeps it: the kind, and the values chosen
/// per axis.
#[derive(Clone, Debug, Default)]
struct Filters {
    kind: Option<&'static str>,
    chosen: Vec<(&'static str, Vec<&'static str>)>,
}

/// Every filter axis with its values, as the library names them.
fn axis_values() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = partnerkb::Axis::ALL
        .iter()
        .map(|a| (a.name(), a.classes().to_vec()))
        .collect();
    out.push((
        "sector",
        partnerkb::Sector::ALL.iter().map(|s| s.name()).collect(),
    ));
    out
}

impl Filters {
    /// The search path, each chosen value repeated as the page sends it.
    fn path(&self, q: &str) -> String {
        let mut p = format!("/api/search?retrieval=lexical&limit=1&q={q}");
        if let Some(kind) = self.kind {
            p.push_str(&format!("&kind={kind}"));
        }
        for (axis, values) in &self.chosen {
            for v in values {
                p.push_str(&format!("&{axis}={v}"));
            }
        }
        p
    }

    fn toggled(&self, axis: &'static str, value: &'static str) -> Filters {
        let mut f = self.clone();
        if axis == "kind" {
            f.kind = (value != "all").then_some(value);
            return f;
        }
        match f.chosen.iter_mut().find(|(a, _)| *a == axis) {
            Some((_, values)) => match values.iter().position(|v| *v == value) {
                Some(i) => {
                    values.remove(i);
                }
                None => values.push(value),
            },
            None => f.chosen.push((axis, vec![value])),
        }
        f.chosen.retain(|(_, v)| !v.is_empty());
        f
    }
}

#[test]
fn every_facet_count_is_the_total_after_toggling_that_value() {
    // Disjunctive facets, checked the way a user meets them: for random
    // filter states (kinds included, several values per axis, lessons
    // ranked by type), each value's count in `choices` is the total of
    // the search with that value clicked.
    let s = start(&[]);
    let mut rng = 0x5eed_u64;
    let mut next = |n: usize| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((rng >> 33) as usize) % n
    };
    let queries = ["", "water", "health+financing", "trust"];
    let mut checked = 0;
    let mut nonzero = 0;
    let mut wider = 0;
    for round in 0..14 {
        let q = queries[round % queries.len()];
        let mut f = Filters::default();
        // A random state: a kind now and then, one to three values on up
        // to two axes.
        if next(3) == 0 {
            f.kind = Some(["partnership", "lesson"][next(2)]);
        }
        let axes = axis_values();
        for _ in 0..next(3) {
            let (axis, values) = axes[next(axes.len())].clone();
            for _ in 0..1 + next(2) {
                f = f.toggled(axis, values[next(values.len())]);
            }
        }
        let (status, body) = get(&s, &f.path(q));
        assert_eq!(status, 200, "{body}");
        let choices = &body["choices"];
        assert_eq!(choices["exact"], true, "{choices}");
        let total = body["total"].as_u64().unwrap();
        let mut check = |axis: &'static str, value: &'static str| {
            let announced = choices["counts"][axis][value]
                .as_u64()
                .unwrap_or_else(|| panic!("no count for {axis}={value}: {choices}"));
            let after = f.toggled(axis, value);
            let (status, b) = get(&s, &after.path(q));
            assert_eq!(status, 200, "{b}");
            assert_eq!(
                b["total"].as_u64().unwrap(),
                announced,
                "{axis}={value} announced {announced} on {} but gives {}",
                f.path(q),
                after.path(q)
            );
            checked += 1;
            nonzero += usize::from(announced > 0);
            wider += usize::from(announced > total);
        };
        for kind in ["all", "partnership", "lesson"] {
            check("kind", kind);
        }
        for (axis, values) in axis_values() {
            for v in values {
                check(axis, v);
            }
        }
    }
    // Not a walk through empty results: most counts are of something, and
    // values added to a chosen axis widen it.
    assert!(checked >= 14 * 22, "{checked}");
    assert!(
        nonzero * 2 > checked,
        "{nonzero} of {checked} counts are non-zero"
    );
    assert!(wider > 0, "no count was larger than its search's total");
}

#[test]
fn several_values_of_an_axis_are_any_of_them_whether_repeated_or_comma_separated() {
    let s = start(&[]);
    let total = |path: &str| {
        let (status, b) = get(&s, path);
        assert_eq!(status, 200, "{b}");
        b["total"].as_u64().unwrap()
    };
    let base = "/api/search?retrieval=lexical&kind=partnership";
    let c = total(&format!("{base}&mode=coordination"));
    let i = total(&format!("{base}&mode=implementation"));
    let repeated = total(&format!("{base}&mode=coordination&mode=implementation"));
    let commas = total(&format!("{base}&mode=coordination,implementation"));
    // Each partnership has one mode, so OR adds up.
    assert_eq!(repeated, c + i);
    assert_eq!(commas, repeated);
    // An unknown value among them is refused by name; a single-valued
    // parameter given twice is refused.
    let (st, e) = get(&s, &format!("{base}&mode=coordination&mode=bilateral"));
    assert_error(st, &e, 400, "bilateral");
    let (st, e) = get(&s, "/api/search?q=water&limit=5&limit=6");
    assert_error(st, &e, 400, "limit");
    // The CLI takes the same, repeated or with commas.
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let (code, _, err) = run(partnerkb(dir.path())
        .args(["ingest", "--quiet", "--index"])
        .arg(&index)
        .args(["corpus/partnerships.jsonl"]));
    assert_eq!(code, 0, "{err}");
    for args in [
        &["--mode", "coordination", "--mode", "implementation"][..],
        &["--mode", "coordination,implementation"][..],
    ] {
        let (code, out, err) = run(partnerkb(dir.path())
            .args([
                "search",
                "--json",
                "--retrieval",
                "lexical",
                "--kind",
                "partnership",
                "--index",
            ])
            .arg(&index)
            .args(args));
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["total"].as_u64().unwrap(), repeated, "{args:?}");
        assert_eq!(
            v["choices"]["counts"]["mode"]["coordination"]
                .as_u64()
                .unwrap(),
            i,
            "taking coordination out leaves implementation"
        );
    }
}

#[test]
fn every_error_has_a_code_for_its_status_and_a_held_writer_is_503() {
    let s = start(&["--write-token", "tok"]);
    let code_of = |(status, body): (u16, Value)| {
        let code = body["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no code: {body}"));
        assert!(
            body["error"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        (status, code.to_string())
    };
    let cases: [(&str, (u16, Value), u16, &str); 6] = [
        (
            "unknown filter value",
            get(&s, "/api/search?mode=bilateral"),
            400,
            "unknown_value",
        ),
        (
            "bad limit",
            get(&s, "/api/search?limit=many"),
            400,
            "bad_request",
        ),
        (
            "unknown record",
            get(&s, "/api/partnerships/no-such-record"),
            404,
            "not_found",
        ),
        (
            "unknown path",
            get(&s, "/api/nothing-here"),
            404,
            "not_found",
        ),
        (
            "write without the token",
            post_bytes(&s, "/api/ingest", None, &jsonl_records(1, None)),
            403,
            "forbidden",
        ),
        (
            "nothing to classify",
            post_json(&s, "/api/classify", &json!({"text": "  "})),
            400,
            "empty_text",
        ),
    ];
    for (what, answer, status, code) in cases {
        assert_eq!(code_of(answer), (status, code.to_string()), "{what}");
    }

    // Another process holding the index's writer lock (here: this test,
    // through the library) makes a write 503 `busy` with Retry-After, not
    // a 500; once it lets go, the same write goes through.
    let index = s._dir.path().join("index");
    let kb = partnerkb::index::KnowledgeBase::open(&index).unwrap();
    let held = kb
        .writer(&partnerkb::index::WriterOptions::default())
        .unwrap();
    let resp = agent()
        .post(format!("{}/api/ingest", s.base))
        .header("Authorization", "Bearer tok")
        .send(&jsonl_records(1, None)[..]);
    let retry = resp
        .as_ref()
        .ok()
        .and_then(|r| r.headers().get("retry-after").cloned());
    assert_eq!(code_of(json_of(resp)), (503, "busy".to_string()));
    assert!(retry.is_some(), "no Retry-After on a 503");
    drop(held);
    let (st, body) = post_bytes(&s, "/api/ingest", Some("tok"), &jsonl_records(1, None));
    assert_eq!(st, 200, "{body}");
}

#[test]
fn sort_orders_by_name_year_and_confidence_across_pages() {
    // The registry sample has no labels: its records carry predictions,
    // whose confidence a reviewer sorts by.
    let s = start_with(&["corpus/registry-sample.csv"], &[]);
    let all = |query: &str| -> Vec<Value> {
        let mut hits = Vec::new();
        for offset in (0..).step_by(100) {
            let (status, b) = get(&s, &format!("{query}&limit=100&offset={offset}"));
            assert_eq!(status, 200, "{b}");
            let page = b["hits"].as_array().unwrap().clone();
            let done = page.len() < 100;
            hits.extend(page);
            if done {
                break;
            }
        }
        hits
    };
    let name_key = |h: &Value| {
        h["title"]
            .as_str()
            .unwrap()
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let by_name = all("/api/search?kind=partnership&sort=name");
    let (_, plain) = get(&s, "/api/search?kind=partnership&limit=1");
    assert_eq!(
        by_name.len() as u64,
        plain["total"].as_u64().unwrap(),
        "pages lose or repeat records"
    );
    let names: Vec<String> = by_name.iter().map(name_key).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "not A to Z");
    let desc: Vec<String> = all("/api/search?kind=partnership&sort=name:desc")
        .iter()
        .map(name_key)
        .collect();
    assert!(desc.windows(2).all(|w| w[0] >= w[1]), "not Z to A");

    // Start year, newest first by default; records without one last.
    let years: Vec<Option<i64>> = all("/api/search?q=water&sort=start_year")
        .iter()
        .map(|h| h["record"]["start_year"].as_i64())
        .collect();
    let known = years.iter().take_while(|y| y.is_some()).count();
    assert!(known > 3, "{years:?}");
    assert!(
        years[known..].iter().all(Option::is_none),
        "a year after the unknown ones: {years:?}"
    );
    assert!(
        years[..known].windows(2).all(|w| w[0] >= w[1]),
        "not newest first: {years:?}"
    );

    // Confidence, least sure first: the lowest predicted probability of
    // each record rises; records labelled by people only come last.
    let lowest = |h: &Value| {
        h["labels"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l["probability"].as_f64())
            .fold(None, |m: Option<f64>, p| Some(m.map_or(p, |m| m.min(p))))
    };
    let conf: Vec<Option<f64>> = all("/api/search?kind=partnership&sort=confidence")
        .iter()
        .map(lowest)
        .collect();
    let predicted = conf.iter().take_while(|c| c.is_some()).count();
    assert!(
        predicted >= 10,
        "the registry sample was not predicted: {predicted}"
    );
    assert!(conf[predicted..].iter().all(Option::is_none));
    assert!(
        conf[..predicted].windows(2).all(|w| w[0] <= w[1]),
        "not least sure first"
    );

    // Relevance stays the default, and a sort that does not exist is named.
    let (_, rel) = get(&s, "/api/search?q=water&limit=5");
    let (_, rel2) = get(&s, "/api/search?q=water&limit=5&sort=relevance");
    assert_eq!(rel["hits"], rel2["hits"]);
    let (st, e) = get(&s, "/api/search?q=water&sort=popularity");
    assert_error(st, &e, 400, "popularity");
    let (st, e) = get(&s, "/api/search?q=water&sort=name:sideways");
    assert_error(st, &e, 400, "sideways");
}
