//! The learning loop, as a secretariat and an analyst use it: a label
//! corrected from the command line and over the API shows as `corrected`
//! everywhere, keeps its trail, survives re-ingest, restarts, a SIGKILL
//! after the answer and rebuilds of the default index; the review queue
//! shrinks as labels are confirmed; training learns corrections and
//! reclassification touches only predicted labels.

use super::util::{agent, json_of, partnerkb, root, run, search_json, serve, RunningServer};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Three registry entries without gold labels: the model predicts all.
const REGISTRY: &str = r#"{"id":"clean-water-alliance","name":"Clean Water Alliance","description":"The alliance brings together utilities, ministries and NGOs to share information on water safety and to align their plans for rural districts. Members meet twice a year and publish a joint calendar of activities."}
{"id":"seed-fund","name":"Seed Fund for Farmers","description":"A pooled fund run jointly by a UN agency, two banks and farmer cooperatives that delivers improved seed and credit to smallholders in Ghana, Mali and Niger, and trains extension workers."}
{"id":"ocean-accord","name":"Ocean Accord Forum","description":"Governments, fishing companies and environmental groups negotiate a voluntary code of conduct on bycatch and agree targets that signatories commit to report on each year."}
"#;

const TOKEN: &str = "office-token";

struct Office {
    dir: TempDir,
    index: PathBuf,
    registry: PathBuf,
}

impl Office {
    fn new() -> Office {
        let dir = TempDir::new().unwrap();
        let registry = dir.path().join("registry.jsonl");
        std::fs::write(&registry, REGISTRY).unwrap();
        let office = Office {
            index: dir.path().join("index"),
            registry,
            dir,
        };
        office.ingest(&office.registry);
        office
    }

    fn home(&self) -> &Path {
        self.dir.path()
    }

    fn ingest(&self, file: &Path) {
        let (code, _, err) = run(partnerkb(self.home())
            .args(["ingest", "--quiet", "--index"])
            .arg(&self.index)
            .arg(file));
        assert_eq!(code, 0, "ingest failed: {err}");
    }

    /// `partnerkb ARGS --index DIR`: (exit code, stdout, stderr).
    fn cli(&self, args: &[&str]) -> (i32, String, String) {
        run(partnerkb(self.home())
            .args(args)
            .arg("--index")
            .arg(&self.index))
    }

    /// The labels of record `id`, by axis, as search shows them.
    fn labels(&self, id: &str) -> Vec<Value> {
        let results = search_json(self.home(), &self.index, &["", "-n", "50"]);
        let hit = results["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == id)
            .unwrap_or_else(|| panic!("{id} not found: {results}"))
            .clone();
        hit["labels"].as_array().unwrap().clone()
    }

    fn label_on(&self, id: &str, axis: &str) -> Value {
        self.labels(id)
            .into_iter()
            .find(|l| l["axis"] == axis)
            .unwrap_or_else(|| panic!("{id} has no {axis} label"))
    }

    fn journal(&self) -> PathBuf {
        self.index.join("corrections.jsonl")
    }

    fn serve(&self) -> RunningServer {
        serve(self.home(), &self.index, &["--write-token", TOKEN])
    }
}

fn post_labels(s: &RunningServer, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = agent().post(format!("{}{path}", s.base));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    json_of(req.send_json(body))
}

/// The label on `axis` of a record as the API gives it.
fn label_in(record: &Value, axis: &str) -> Value {
    record["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["axis"] == axis)
        .unwrap_or_else(|| panic!("no {axis} label: {record}"))
        .clone()
}

fn get(s: &RunningServer, path: &str) -> (u16, Value) {
    json_of(agent().get(format!("{}{path}", s.base)).call())
}

#[test]
fn a_correction_shows_as_corrected_everywhere_keeps_its_trail_and_survives_reingest() {
    let office = Office::new();
    let before = office.label_on("clean-water-alliance", "mode");
    assert_eq!(before["origin"], "predicted");
    assert!(
        before["model"].as_str().is_some_and(|m| m.len() == 16),
        "{before}"
    );
    let was = before["label"].as_str().unwrap().to_string();
    let to = if was == "implementation" {
        "coordination"
    } else {
        "implementation"
    };

    let change = format!("mode={to}");
    let (code, out, err) = office.cli(&[
        "label",
        "clean-water-alliance",
        &change,
        "--reason",
        "it runs the district water schemes itself",
        "--by",
        "secretariat",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("{was} (predicted")) && out.contains(&format!("→ {to}")),
        "{out}"
    );

    // Search, facets and the human-only filter see it at once.
    let label = office.label_on("clean-water-alliance", "mode");
    assert_eq!(label["origin"], "corrected", "{label}");
    assert_eq!(label["label"], to);
    assert_eq!(label["by"], "secretariat");
    assert_eq!(label["reason"], "it runs the district water schemes itself");
    assert!(label["at"].as_str().unwrap().ends_with('Z'));
    assert!(label.get("text_changed").is_none());
    let human = search_json(
        office.home(),
        &office.index,
        &["", "--gold-only", "--mode", to],
    );
    let ids: Vec<&str> = human["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["clean-water-alliance"], "{human}");
    let (_, stats, _) = office.cli(&["stats", "--json"]);
    let stats: Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["gold"]["mode"][to], 1, "{stats}");
    assert_eq!(stats["facets"]["corrected"]["mode"], 1, "{stats}");

    // Confirming the other axis; the trail lists both, in order.
    let (code, _, err) = office.cli(&[
        "label",
        "clean-water-alliance",
        "--confirm",
        "function",
        "--by",
        "amina",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = office.cli(&["label", "--history", "clean-water-alliance", "--json"]);
    assert_eq!(code, 0);
    let history: Value = serde_json::from_str(&out).unwrap();
    let trail = history["history"].as_array().unwrap();
    assert_eq!(trail.len(), 2, "{history}");
    assert_eq!(
        (trail[0]["seq"].as_u64(), trail[0]["action"].as_str()),
        (Some(1), Some("set"))
    );
    assert_eq!(trail[0]["previous"]["label"], was.as_str());
    assert_eq!(trail[0]["previous"]["origin"], "predicted");
    assert!(trail[0]["previous"]["probability"].as_f64().is_some());
    assert_eq!(
        (trail[1]["seq"].as_u64(), trail[1]["action"].as_str()),
        (Some(2), Some("confirm"))
    );
    assert_eq!(trail[1]["by"], "amina");

    // Re-ingesting the same text keeps the correction as it is ...
    office.ingest(&office.registry);
    let label = office.label_on("clean-water-alliance", "mode");
    assert_eq!(
        (label["origin"].as_str(), label["label"].as_str()),
        (Some("corrected"), Some(to))
    );
    assert!(label.get("text_changed").is_none(), "{label}");
    // ... and a new description keeps it too, marked for a second look.
    let changed = office.home().join("changed.jsonl");
    std::fs::write(
        &changed,
        REGISTRY.replace("share information", "share data"),
    )
    .unwrap();
    office.ingest(&changed);
    let label = office.label_on("clean-water-alliance", "mode");
    assert_eq!(
        (label["origin"].as_str(), label["label"].as_str()),
        (Some("corrected"), Some(to))
    );
    assert_eq!(label["text_changed"], true, "{label}");

    // The export is in the corpus format, with the trail, and ingests.
    let (code, out, err) = office.cli(&["export", "--corrections"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["labels"]["mode"], to);
    assert_eq!(lines[0]["corrections"].as_array().unwrap().len(), 2);
    let exported = office.home().join("exported.jsonl");
    std::fs::write(&exported, &out).unwrap();
    let (code, _, err) = run(partnerkb(office.home())
        .args(["ingest", "--strict", "--index"])
        .arg(office.home().join("other-index"))
        .arg(&exported));
    assert_eq!(code, 0, "an exported file must ingest as it is: {err}");
}

#[test]
fn corrections_that_cannot_be_made_are_refused_with_what_is_wrong() {
    let office = Office::new();
    for (args, expected) in [
        (
            vec![
                "label",
                "clean-water-alliance",
                "challenge=accountability",
                "--reason",
                "x",
                "--by",
                "a",
            ],
            "`challenge` is not an axis of partnerships",
        ),
        (
            vec![
                "label",
                "no-such-record",
                "mode=implementation",
                "--reason",
                "x",
                "--by",
                "a",
            ],
            "no record with id `no-such-record`",
        ),
        (
            vec![
                "label",
                "clean-water-alliance",
                "mode=pooled",
                "--reason",
                "x",
                "--by",
                "a",
            ],
            "unknown mode value `pooled`",
        ),
        (
            vec![
                "label",
                "clean-water-alliance",
                "mode=implementation",
                "--by",
                "a",
            ],
            "needs a reason",
        ),
        (
            vec![
                "label",
                "clean-water-alliance",
                "mode",
                "--reason",
                "x",
                "--by",
                "a",
            ],
            "expected AXIS=VALUE",
        ),
    ] {
        let (code, _, err) = office.cli(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(expected),
            "{args:?}: `{err}` should say `{expected}`"
        );
    }
    assert!(
        !office.journal().exists(),
        "nothing refused may reach the journal"
    );
    let (code, _, err) = office.cli(&["label", "--history", "seed-fund"]);
    assert_eq!(
        code, 1,
        "a record without corrections has an empty trail: {err}"
    );
}

#[test]
fn a_damaged_journal_line_is_reported_by_number_and_the_others_still_apply() {
    let office = Office::new();
    for (id, change) in [
        ("seed-fund", "mode=coordination"),
        ("ocean-accord", "function=operational"),
    ] {
        let (code, _, err) =
            office.cli(&["label", id, change, "--reason", "checked", "--by", "amina"]);
        assert_eq!(code, 0, "{err}");
    }
    // A crash cut a line short between the two good ones.
    let text = std::fs::read_to_string(office.journal()).unwrap();
    let (first, second) = text.split_once('\n').unwrap();
    std::fs::write(
        office.journal(),
        format!("{first}\n{{\"seq\": 7, \"kind\": \"partn\n{second}"),
    )
    .unwrap();
    let (code, out, _) = office.cli(&["doctor"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("corrections.jsonl:2: DAMAGED line"), "{out}");
    // Rebuild the documents from scratch: both good lines are replayed.
    let journal = std::fs::read(office.journal()).unwrap();
    std::fs::remove_dir_all(&office.index).unwrap();
    std::fs::create_dir_all(&office.index).unwrap();
    std::fs::write(office.journal(), journal).unwrap();
    office.ingest(&office.registry);
    assert_eq!(office.label_on("seed-fund", "mode")["origin"], "corrected");
    assert_eq!(
        office.label_on("ocean-accord", "function")["label"],
        "operational"
    );
    // A new correction goes after the damaged line, which stays the only one.
    let (code, _, err) = office.cli(&[
        "label",
        "seed-fund",
        "--confirm",
        "function",
        "--by",
        "amina",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = office.cli(&["doctor"]);
    assert_eq!(out.matches("DAMAGED line").count(), 1, "{out}");
}

#[test]
fn the_api_takes_corrections_behind_the_token_from_many_clients_and_keeps_them_through_a_kill() {
    let office = Office::new();
    // Eight more records for eight clients.
    let many: String = (0..8)
        .map(|i| {
            json!({"id": format!("network-{i}"), "name": format!("Network {i}"),
                   "description": format!("A network of {i} ministries and city councils that exchange practice on waste collection and meet each year.")})
                .to_string() + "\n"
        })
        .collect();
    let file = office.home().join("many.jsonl");
    std::fs::write(&file, many).unwrap();
    office.ingest(&file);

    let server = office.serve();
    let body = json!({"labels": {"mode": "implementation"}, "reason": "runs the scheme", "by": "secretariat"});
    let path = "/api/partnerships/seed-fund/labels";
    let (status, _) = post_labels(&server, path, None, &body);
    assert_eq!(status, 403);
    let (status, _) = post_labels(&server, path, Some("wrong"), &body);
    assert_eq!(status, 403);
    for (path, body, status, says) in [
        (
            "/api/partnerships/seed-fund/labels",
            json!({"labels": {"colour": "red"}, "reason": "x", "by": "a"}),
            400,
            "colour",
        ),
        (
            "/api/partnerships/seed-fund/labels",
            json!({"labels": {"mode": "pooled"}, "reason": "x", "by": "a"}),
            400,
            "pooled",
        ),
        (
            "/api/partnerships/seed-fund/labels",
            json!({"labels": {"mode": "implementation"}, "reason": "x"}),
            400,
            "who",
        ),
        (
            "/api/partnerships/no-such/labels",
            body.clone(),
            404,
            "no-such",
        ),
        (
            "/api/lessons/seed-fund/labels",
            json!({"labels": {"challenge": "accountability"}, "reason": "x", "by": "a"}),
            404,
            "seed-fund",
        ),
    ] {
        let (got, answer) = post_labels(&server, path, Some(TOKEN), &body);
        assert_eq!(got, status, "{path} {body}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(says), "{answer}");
    }

    let (status, answer) = post_labels(&server, path, Some(TOKEN), &body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["corrections"][0]["label"], "implementation");
    let (status, record) = get(&server, "/api/partnerships/seed-fund");
    assert_eq!(status, 200);
    let mode = label_in(&record, "mode");
    assert_eq!(
        (mode["origin"].as_str(), mode["by"].as_str()),
        (Some("corrected"), Some("secretariat")),
        "{record}"
    );
    let (status, search) = get(&server, "/api/search?mode=implementation&gold_only=true");
    assert_eq!(status, 200);
    assert_eq!(search["total"], 1, "{search}");

    // Eight clients at once: every correction lands, none is refused.
    let base = server.base.clone();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let url = format!("{base}/api/partnerships/network-{i}/labels");
            std::thread::spawn(move || {
                let body = json!({"labels": {"function": "advocacy"}, "reason": format!("client {i}"), "by": format!("client-{i}")});
                json_of(agent().post(url).header("Authorization", format!("Bearer {TOKEN}")).send_json(&body))
            })
        })
        .collect();
    for t in threads {
        let (status, answer) = t.join().unwrap();
        assert_eq!(status, 200, "{answer}");
    }
    let (_, history) = get(&server, "/api/partnerships/network-3/labels/history");
    assert_eq!(history["history"][0]["by"], "client-3", "{history}");
    let (status, _) = get(&server, "/api/lessons/network-3/labels/history");
    assert_eq!(status, 404);

    // The answer came after the journal's sync and the commit: a SIGKILL
    // right after it loses nothing.
    let (status, _) = post_labels(
        &server,
        "/api/partnerships/ocean-accord/labels",
        Some(TOKEN),
        &json!({"labels": {"mode": "coordination"}, "reason": "last one", "by": "amina"}),
    );
    assert_eq!(status, 200);
    drop(server); // SIGKILL
    let journal = std::fs::read_to_string(office.journal()).unwrap();
    assert_eq!(journal.lines().count(), 10, "{journal}");
    assert_eq!(
        office.label_on("ocean-accord", "mode")["origin"],
        "corrected"
    );
    for i in 0..8 {
        let label = office.label_on(&format!("network-{i}"), "function");
        assert_eq!(
            (label["origin"].as_str(), label["label"].as_str()),
            (Some("corrected"), Some("advocacy"))
        );
    }

    // A crash between the journal's sync and the index's commit: the
    // journal line is there, the index does not show it. A restarted
    // server catches up; doctor saw the gap.
    let mut line: Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
    line["seq"] = 11.into();
    line["id"] = "clean-water-alliance".into();
    line["label"] = "negotiation".into();
    line["previous"] = Value::Null;
    std::fs::write(office.journal(), format!("{journal}{line}\n")).unwrap();
    let (code, out, _) = office.cli(&["doctor"]);
    assert_eq!(code, 2);
    assert!(
        out.contains("not yet showing their correction (clean-water-alliance)"),
        "{out}"
    );
    let server = office.serve();
    let (_, record) = get(&server, "/api/partnerships/clean-water-alliance");
    let mode = label_in(&record, "mode");
    assert_eq!(
        (mode["origin"].as_str(), mode["label"].as_str()),
        (Some("corrected"), Some("negotiation")),
        "{record}"
    );
    let (_, stats) = get(&server, "/api/stats");
    assert_eq!(
        stats["model"]["id"].as_str().map(str::len),
        Some(16),
        "{stats}"
    );
    assert_eq!(stats["facets"]["corrected"]["function"], 8, "{stats}");
}

#[test]
fn the_review_queue_puts_flagged_labels_first_and_shrinks_as_labels_are_confirmed() {
    let office = Office::new();
    let queue = |office: &Office| -> Value {
        let (code, out, err) = office.cli(&["review", "--json", "-n", "20"]);
        assert!(code == 0 || code == 1, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let before = queue(&office);
    // Three records, two axes each, all predicted.
    assert_eq!(before["remaining"], 6, "{before}");
    let items = before["items"].as_array().unwrap();
    let flags: Vec<bool> = items
        .iter()
        .map(|i| i["review"].as_bool().unwrap())
        .collect();
    assert!(
        flags.windows(2).all(|w| w[0] >= w[1]),
        "flagged first: {flags:?}"
    );
    assert!(
        items
            .iter()
            .all(|i| !i["evidence"].as_array().unwrap().is_empty()),
        "{before}"
    );
    let first = &items[0];
    let (id, axis) = (
        first["id"].as_str().unwrap(),
        first["axis"].as_str().unwrap(),
    );
    let (code, _, err) = office.cli(&["label", id, "--confirm", axis, "--by", "amina"]);
    assert_eq!(code, 0, "{err}");
    let after = queue(&office);
    assert_eq!(after["remaining"], 5, "{after}");
    assert!(
        !after["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id && i["axis"] == axis),
        "a confirmed label leaves the queue: {after}"
    );
    let (code, out, _) = office.cli(&["review", "--axis", "mode"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("to review") && !out.contains(" function "),
        "{out}"
    );
}

#[test]
fn training_learns_corrections_deterministically_and_reclassify_changes_only_predicted_labels() {
    let office = Office::new();
    // A small corpus keeps training to a second; one correction then
    // weighs as it would in an office's own registry.
    let corpus: Vec<PathBuf> = [
        ("corpus/partnerships.jsonl", 80),
        ("corpus/lessons.jsonl", 40),
    ]
    .iter()
    .map(|(file, n)| {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let head: Vec<&str> = text.lines().take(*n).collect();
        let path = office.home().join(file.replace('/', "-"));
        std::fs::write(&path, head.join("\n") + "\n").unwrap();
        path
    })
    .collect();
    let text = "The alliance brings together utilities, ministries and NGOs to share information on water safety and to align their plans for rural districts. Members meet twice a year and publish a joint calendar of activities.";
    let near = "This alliance gathers utilities, ministries and NGOs to share data on water safety and align their plans for rural districts; its members meet twice a year.";
    let train = |out: &str, corrections: bool| -> PathBuf {
        let path = office.home().join(out);
        let mut cmd = partnerkb(office.home());
        cmd.args(["train", "--date", "2026-12-02", "--folds", "3", "--corpus"])
            .args(&corpus)
            .arg("--out")
            .arg(&path);
        if corrections {
            cmd.arg("--corrections").arg(&office.index);
        }
        let (code, _, err) = run(&mut cmd);
        assert_eq!(code, 0, "{err}");
        path
    };
    let mode_of = |model: &Path, text: &str| -> String {
        let (code, out, err) = run(partnerkb(office.home())
            .args(["classify", "--json", text, "--model"])
            .arg(model));
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["mode"]["label"].as_str().unwrap().to_string()
    };
    let plain = train("plain.json", false);
    let before = mode_of(&plain, text);
    let to = if before == "implementation" {
        "coordination"
    } else {
        "implementation"
    };
    let change = format!("mode={to}");
    let (code, _, err) = office.cli(&[
        "label",
        "clean-water-alliance",
        &change,
        "--reason",
        "runs schemes",
        "--by",
        "amina",
    ]);
    assert_eq!(code, 0, "{err}");

    let learned = train("learned.json", true);
    assert_eq!(mode_of(&learned, text), to, "the corrected record");
    assert_eq!(mode_of(&learned, near), to, "a near-duplicate of its text");
    let again = train("again.json", true);
    assert_eq!(
        std::fs::read(&learned).unwrap(),
        std::fs::read(&again).unwrap(),
        "same corpus, corrections and seed: same bytes"
    );
    let card: Value = serde_json::from_slice(&std::fs::read(&learned).unwrap()).unwrap();
    assert_eq!(
        card["training"]["corrections"]["records"], 1,
        "{}",
        card["training"]
    );
    assert_eq!(
        card["training"]["corrections"]["journal_sha256"]
            .as_str()
            .map(str::len),
        Some(64)
    );

    // The near-duplicate, indexed with the bundled model, is relabelled by
    // the new one; the corrected record and gold labels stay as they are.
    let dup = office.home().join("dup.jsonl");
    std::fs::write(&dup, json!({"id": "water-twin", "name": "Water Twin", "description": near}).to_string() + "\n"
        + &json!({"id": "gold-one", "name": "Gold One", "description": near, "labels": {"mode": before}}).to_string() + "\n").unwrap();
    office.ingest(&dup);
    let (code, out, err) = run(partnerkb(office.home())
        .args(["reclassify", "--quiet", "--json", "--model"])
        .arg(&learned)
        .arg("--index")
        .arg(&office.index));
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert!(
        report["changed"]["mode"]
            .as_object()
            .is_some_and(|m| !m.is_empty()),
        "{report}"
    );
    let id = std::str::from_utf8(&std::fs::read(&learned).unwrap())
        .ok()
        .and_then(|t| {
            let v: Value = serde_json::from_str(t).ok()?;
            Some(v["checksum"].as_str()?[..16].to_string())
        });
    assert_eq!(report["model"].as_str(), id.as_deref());
    let twin = office.label_on("water-twin", "mode");
    assert_eq!(
        (twin["label"].as_str(), twin["model"].as_str()),
        (Some(to), id.as_deref()),
        "{twin}"
    );
    let gold = office.label_on("gold-one", "mode");
    assert_eq!(
        (gold["origin"].as_str(), gold["label"].as_str()),
        (Some("gold"), Some(before.as_str()))
    );
    let corrected = office.label_on("clean-water-alliance", "mode");
    assert_eq!(
        (corrected["origin"].as_str(), corrected["label"].as_str()),
        (Some("corrected"), Some(to))
    );
}

#[test]
fn corrections_survive_rebuilds_of_the_default_index() {
    let home = TempDir::new().unwrap();
    let cli = |args: &[&str]| run(partnerkb(home.path()).args(args));
    let (code, out, err) = cli(&["search", "", "--json", "-n", "1", "--kind", "partnership"]);
    assert_eq!(code, 0, "{err}");
    let first: Value = serde_json::from_str(&out).unwrap();
    let id = first["hits"][0]["id"].as_str().unwrap().to_string();
    let (code, _, err) = cli(&["label", &id, "--confirm", "mode", "--by", "lee"]);
    assert_eq!(code, 0, "{err}");
    let marker = home.path().join("partnerkb/index/partnerkb-bundle.json");
    assert!(
        marker.exists(),
        "the default index lives in the data directory"
    );
    let origin_of = || -> String {
        let (_, out, _) = cli(&["search", "", "--json", "-n", "1000"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        let hit = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == id.as_str())
            .unwrap()
            .clone();
        let mode = hit["labels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["axis"] == "mode")
            .unwrap()
            .clone();
        mode["origin"].as_str().unwrap().to_string()
    };
    assert_eq!(origin_of(), "corrected");
    // A new bundled corpus or model (the fingerprint changes) and a new
    // schema (the index is removed and rebuilt): the correction stays.
    for marker_text in [
        r#"{"schema_version": 1, "bundle": "an older bundle"}"#,
        r#"{"schema_version": 0, "bundle": "an older schema"}"#,
    ] {
        std::fs::write(&marker, marker_text).unwrap();
        assert_eq!(
            origin_of(),
            "corrected",
            "after a rebuild from {marker_text}"
        );
    }
}

/// Copy a directory tree (the frozen index) into `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A record's id and its labels as (axis, class, origin).
type Labelled = (String, Vec<(String, String, String)>);

/// Ids and labels of everything in an index, in id order: what a reindex
/// must keep.
fn contents(home: &Path, index: &Path) -> Vec<Labelled> {
    let results = search_json(home, index, &["", "-n", "1000"]);
    let mut rows: Vec<_> = results["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let labels = h["labels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    let s = |k: &str| l[k].as_str().unwrap_or_default().to_string();
                    (s("axis"), s("label"), s("origin"))
                })
                .collect();
            (h["id"].as_str().unwrap().to_string(), labels)
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn reindex_from_the_frozen_schema_1_index_keeps_every_record_label_and_correction() {
    // The frozen index predates window vectors (schema 2): it opens, says
    // it is older, and reindex upgrades it.
    let home = TempDir::new().unwrap();
    let index = home.path().join("index");
    copy_tree(&root().join("tests/data/index-v1"), &index);
    let before = contents(home.path(), &index);
    assert!(
        before.len() >= 9,
        "the frozen index holds its records: {before:?}"
    );
    // The words' ranking is what the old index gave (reindex adds vectors,
    // so a hybrid search also finds records by meaning).
    let search = |index: &Path| {
        search_json(
            home.path(),
            index,
            &["water schemes", "--retrieval", "lexical"],
        )
    };
    let ranked_before: Vec<Value> = search(&index)["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].clone())
        .collect();
    // Sorting needs the sort keys the old index lacks: the error says how
    // to get them.
    let (code, _, err) = run(partnerkb(home.path())
        .args(["search", "water", "--sort", "name", "--index"])
        .arg(&index));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("partnerkb reindex"), "{err}");
    let (code, _, err) = run(partnerkb(home.path())
        .args(["reindex", "--quiet", "--index"])
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("1 corrections carried from schema 1 to 3"),
        "{err}"
    );
    let sorted: Vec<String> = search_json(
        home.path(),
        &index,
        &["", "--kind", "partnership", "--sort", "name", "-n", "100"],
    )["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(sorted.len() >= 5, "{sorted:?}");
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "{sorted:?}");
    assert_eq!(
        contents(home.path(), &index),
        before,
        "same records, labels and origins"
    );
    let ranked_after: Vec<Value> = search(&index)["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].clone())
        .collect();
    assert_eq!(ranked_after, ranked_before, "same search results");
    let (code, out, _) = run(partnerkb(home.path())
        .args(["label", "--history", "seed-fund", "--index"])
        .arg(&index));
    assert_eq!(code, 0, "the trail moved with the index: {out}");
    let version: Value =
        serde_json::from_slice(&std::fs::read(index.join("partnerkb-index.json")).unwrap())
            .unwrap();
    assert_eq!(version["schema_version"], partnerkb::index::SCHEMA_VERSION);
    assert!(
        !home.path().join(".index.reindex").exists() && !home.path().join(".index.old").exists(),
        "no leftovers"
    );

    // An index from a newer build is refused, not misread.
    std::fs::write(
        index.join("partnerkb-index.json"),
        r#"{"schema_version": 99}"#,
    )
    .unwrap();
    let (code, _, err) = run(partnerkb(home.path())
        .args(["search", "water", "--index"])
        .arg(&index));
    assert_eq!(code, 2);
    assert!(err.contains("newer partnerkb (schema 99"), "{err}");
}
