//! Ingest and search through the real binary.

use crate::util::{partnerkb, run, search_json, shared, total};
use partnerkb::typology::{Axis, Class, Sector};
use std::io::Write;

fn ingest(home: &std::path::Path, index: &std::path::Path, files: &[&str]) -> (i32, String) {
    let (code, _, err) = run(partnerkb(home)
        .arg("ingest")
        .args(files)
        .arg("--index")
        .arg(index));
    (code, err)
}

/// A fresh index holding the bundled corpus (partnerships and lessons).
fn indexed_corpus() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let (code, err) = ingest(
        tmp.path(),
        &index,
        &["corpus/partnerships.jsonl", "corpus/lessons.jsonl"],
    );
    assert_eq!(code, 0, "{err}");
    (tmp, index)
}

#[test]
fn ingesting_the_same_file_twice_keeps_one_document_per_id() {
    let (tmp, index) = indexed_corpus();
    let first = total(tmp.path(), &index);
    let lines = std::fs::read_to_string("corpus/partnerships.jsonl")
        .unwrap()
        .lines()
        .count()
        + std::fs::read_to_string("corpus/lessons.jsonl")
            .unwrap()
            .lines()
            .count();
    assert_eq!(first as usize, lines);
    let (code, err) = ingest(tmp.path(), &index, &["corpus/partnerships.jsonl"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(total(tmp.path(), &index), first);
}

#[test]
fn every_filter_narrows_and_facet_counts_match_the_matching_set() {
    let (tmp, index) = indexed_corpus();
    let all = search_json(tmp.path(), &index, &["", "--limit", "1000"]);
    let n_all = all["total"].as_u64().unwrap();
    let cases: &[(&[&str], &str, &str)] = &[
        (&["--kind", "partnership"], "kind", "partnership"),
        (
            &["--kind", "partnership", "--function", "advocacy"],
            "function",
            "advocacy",
        ),
        (
            &["--kind", "partnership", "--mode", "negotiation"],
            "mode",
            "negotiation",
        ),
        (
            &["--challenge", "accountability"],
            "challenge",
            "accountability",
        ),
        (&["--sector", "business"], "sector", "business"),
    ];
    for (args, facet, value) in cases {
        let mut a = vec!["", "--limit", "1000"];
        a.extend_from_slice(args);
        let r = search_json(tmp.path(), &index, &a);
        let n = r["total"].as_u64().unwrap();
        assert!(n > 0 && n < n_all, "{args:?}: {n} of {n_all}");
        assert_eq!(r["hits"].as_array().unwrap().len() as u64, n, "{args:?}");
        assert_eq!(
            r["facets"][facet][value].as_u64(),
            Some(n),
            "{args:?}: {}",
            r["facets"]
        );
        let kinds: u64 = r["facets"]["kind"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(
            kinds, n,
            "kind facet counts must add up to the matching set"
        );
        for hit in r["hits"].as_array().unwrap() {
            if *facet == "function" || *facet == "mode" || *facet == "challenge" {
                let has = hit["labels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|l| l["axis"] == *facet && l["label"] == *value);
                assert!(has, "{args:?}: hit {} lacks the label", hit["id"]);
            }
        }
    }
    // A query combined with a filter: every hit satisfies both.
    let r = search_json(
        tmp.path(),
        &index,
        &[
            "vaccines",
            "--kind",
            "partnership",
            "--mode",
            "implementation",
        ],
    );
    assert!(r["total"].as_u64().unwrap() > 0);
    for hit in r["hits"].as_array().unwrap() {
        assert_eq!(hit["kind"], "partnership");
        assert!(
            hit["snippet_html"].as_str().unwrap().contains("<b>"),
            "snippet highlights the match"
        );
    }
}

#[test]
fn bad_records_are_reported_with_file_line_and_field_and_the_rest_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let file = tmp.path().join("bad.jsonl");
    let mut f = std::fs::File::create(&file).unwrap();
    let good = |id: &str| {
        format!(
            r#"{{"id":"{id}","name":"Good {id}","description":"A network that coordinates its members."}}"#
        )
    };
    writeln!(f, "{}", good("good-one")).unwrap();
    writeln!(f, r#"{{"id":"broken", "name": "#).unwrap();
    writeln!(f, r#"{{"id":"no-description","name":"Nothing"}}"#).unwrap();
    writeln!(
        f,
        r#"{{"id":"bad-label","name":"X","description":"Y","labels":{{"function":"lobbying"}}}}"#
    )
    .unwrap();
    f.write_all(b"{\"id\":\"bad-utf8\",\"name\":\"\xff\xfe\",\"description\":\"z\"}\n")
        .unwrap();
    writeln!(f, "{}", good("good-two")).unwrap();
    drop(f);
    let (code, _, err) = run(partnerkb(tmp.path())
        .arg("ingest")
        .arg(&file)
        .arg("--index")
        .arg(&index));
    assert_eq!(code, 1, "partial success exits 1: {err}");
    let name = file.display().to_string();
    for expected in [
        format!("{name}:2: record: malformed JSON"),
        format!("{name}:3: description: missing field `description`"),
        format!("{name}:4: labels.function: unknown function value `lobbying`"),
        format!("{name}:5: record: invalid UTF-8"),
    ] {
        assert!(err.contains(&expected), "expected `{expected}` in:\n{err}");
    }
    assert_eq!(
        total(tmp.path(), &index),
        2,
        "both valid records are indexed"
    );

    let strict_index = tmp.path().join("strict");
    let (code, _, err) = run(partnerkb(tmp.path())
        .arg("ingest")
        .arg(&file)
        .arg("--strict")
        .arg("--index")
        .arg(&strict_index));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing was committed"), "{err}");
    // The index this ingest would have made is not left behind, empty.
    assert!(!strict_index.exists());
}

#[test]
fn csv_with_bom_crlf_and_partner_lists_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let file = tmp.path().join("p.csv");
    std::fs::write(
        &file,
        "\u{feff}id,name,description,partners,function,mode\r\nwcd,World Commission on Dams,\"An independent commission that negotiated guidelines on large dams.\",\"IUCN (civil_society); World Bank (un)\",advocacy,negotiation\r\n",
    )
    .unwrap();
    let (code, err) = ingest(tmp.path(), &index, &[file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let r = search_json(
        tmp.path(),
        &index,
        &[
            "dams",
            "--sector",
            "un",
            "--gold-only",
            "--mode",
            "negotiation",
            "--kind",
            "partnership",
        ],
    );
    assert_eq!(r["total"], 1, "{r}");
    assert_eq!(r["hits"][0]["record"]["partners"][0]["name"], "IUCN");
}

#[test]
fn plain_words_are_never_a_syntax_error_and_bad_labels_still_are() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    ingest(tmp.path(), &index, &["corpus/lessons.jsonl"]);
    // What a user types in a search box: each is searched, exit 0, and a
    // query that was not valid syntax is said to be read as plain words.
    for (query, read_as_words) in [
        ("women's rights", false),
        ("SDG 6: clean water", true),
        (
            "earmarked donor funding shifts the agency's priorities",
            false,
        ),
        ("https://www.un.org/partnerships", true),
        ("monitoring AND", true),
        ("\"stakeholder analysis", true),
        ("title:(stakeholder", true),
        // `name:` is the title field; an unknown field is words.
        ("name:stakeholder", false),
        ("colour:stakeholder", true),
    ] {
        let (code, out, err) = run(partnerkb(tmp.path())
            .args(["search", query, "--index"])
            .arg(&index));
        assert_eq!(code, 0, "{query}: {err}");
        assert!(!out.starts_with("0 matching"), "{query}: {out}");
        assert_eq!(
            err.contains("note: searched as plain words"),
            read_as_words,
            "{query}: {err}"
        );
    }
    let everything = search_json(tmp.path(), &index, &[""])["total"].clone();
    for lone in ["-", "+", "\"", "()"] {
        let (code, out, err) = run(partnerkb(tmp.path())
            .args(["search", lone, "--index"])
            .arg(&index));
        assert_eq!(code, 0, "{lone}: {err}");
        assert!(err.contains("no words to search for"), "{lone}: {err}");
        assert!(
            out.starts_with(&format!("{everything} matching")),
            "{lone}: every record: {out}"
        );
    }
    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["search", "x", "--mode", "lobbying", "--index"])
        .arg(&index));
    assert_eq!(code, 2);
    assert!(err.contains("unknown mode value `lobbying`"), "{err}");
}

#[test]
fn a_misspelt_word_is_searched_as_the_closest_indexed_word_below_exact_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    ingest(tmp.path(), &index, &["corpus/partnerships.jsonl"]);
    // Spelling tolerance is the lexical side's (hybrid adds the nearest by
    // meaning, which differ with the letters).
    let lexical = |q: &str| {
        search_json(
            tmp.path(),
            &index,
            &[q, "-n", "100", "--retrieval", "lexical"],
        )
    };
    let lexical_n =
        |q: &str, n: &str| search_json(tmp.path(), &index, &[q, "-n", n, "--retrieval", "lexical"]);
    let exact = lexical("vaccine");
    let typo = lexical("vacine");
    assert!(exact["total"].as_u64().unwrap() > 0);
    assert_eq!(
        typo["total"], exact["total"],
        "same records as the right spelling"
    );
    assert_eq!(
        typo["reading"]["corrections"][0]["typed"], "vacine",
        "{}",
        typo["reading"]
    );
    assert_eq!(
        typo["reading"]["corrections"][0]["shown"], "vaccine",
        "{}",
        typo["reading"]
    );
    let (_, _, err) = run(partnerkb(tmp.path())
        .args(["search", "vacine", "--index"])
        .arg(&index));
    assert!(err.contains("showing results for vaccin"), "{err}");
    // British spelling finds the American one.
    let british = lexical("immunisation");
    let american = lexical("immunization");
    assert!(american["total"].as_u64().unwrap() > 0);
    assert_eq!(british["total"], american["total"]);
    // Exact words rank above corrected ones: every hit that has the exact
    // word `fund` comes before any hit that only has the correction of
    // `vacine`.
    let mixed = lexical_n("fund vacine", "300");
    // The records the exact word finds, by the engine's own reading.
    let exact_fund = lexical_n("fund", "1000");
    let fund_ids: std::collections::HashSet<&str> = exact_fund["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    let has_fund: Vec<bool> = mixed["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| fund_ids.contains(h["id"].as_str().unwrap()))
        .collect();
    let first_without = has_fund.iter().position(|f| !f).unwrap_or(has_fund.len());
    assert!(
        has_fund[first_without..].iter().all(|f| !f),
        "an exact match ranked below a corrected one: {has_fund:?}"
    );
    // A correctly spelt word is not corrected.
    assert!(exact.get("reading").is_none(), "{}", exact["reading"]);
}

#[test]
fn first_run_builds_the_default_index_from_the_bundle_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = run(partnerkb(tmp.path()).args([
        "search",
        "monitoring and evaluation",
        "--kind",
        "lesson",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("building the default index"), "{err}");
    assert!(
        out.contains("[lesson]") && out.contains("**"),
        "hits with highlighted snippets:\n{out}"
    );
    let (code, _, err) =
        run(partnerkb(tmp.path()).args(["search", "evaluation", "--kind", "lesson"]));
    assert_eq!(code, 0);
    assert!(
        !err.contains("building"),
        "the second run reuses the index: {err}"
    );
}

#[test]
fn lessons_for_a_partnership_type_rank_first() {
    let (tmp, index) = indexed_corpus();
    let r = search_json(
        tmp.path(),
        &index,
        &[
            "",
            "--kind",
            "lesson",
            "--mode",
            "negotiation",
            "--limit",
            "200",
        ],
    );
    let hits = r["hits"].as_array().unwrap();
    let negotiation_ids: Vec<String> = search_json(
        tmp.path(),
        &index,
        &[
            "",
            "--kind",
            "partnership",
            "--mode",
            "negotiation",
            "--limit",
            "1000",
        ],
    )["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    let applies = |h: &serde_json::Value| {
        let rec = &h["record"];
        rec["applies_to"]["mode"]
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x == "negotiation"))
            || rec["examples"].as_array().is_some_and(|e| {
                e.iter()
                    .any(|x| negotiation_ids.iter().any(|id| x == id.as_str()))
            })
    };
    let first_other = hits.iter().position(|h| !applies(h)).unwrap_or(hits.len());
    assert!(
        first_other > 0,
        "some lessons apply to negotiation partnerships"
    );
    assert!(
        hits[first_other..].iter().all(|h| !applies(h)),
        "matching lessons come first"
    );
    assert!(
        hits.len() > first_other,
        "the other lessons are still listed"
    );
}

#[test]
fn the_mandate_paper_yields_its_stakeholder_analysis_passage() {
    let Some(paper) = shared("mission/msp-paper.txt") else {
        crate::util::skip_notice(
            "skipped a mandate-paper test: ../shared/mission/msp-paper.txt is absent",
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let (code, err) = ingest(tmp.path(), &index, &[paper.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        total(tmp.path(), &index) > 40,
        "the paper splits into many passages"
    );
    let r = search_json(
        tmp.path(),
        &index,
        &["stakeholder analysis", "--kind", "lesson"],
    );
    let top = &r["hits"][0];
    let text = top["record"]["text"].as_str().unwrap();
    assert!(
        text.contains("Conduct a stakeholder analysis"),
        "top hit: {top}"
    );
    assert!(
        top["title"].as_str().unwrap().contains("Inclusion"),
        "keeps its heading: {}",
        top["title"]
    );
}

#[test]
fn crlf_csv_errors_name_the_right_line() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let file = tmp.path().join("registry.csv");
    std::fs::write(
        &file,
        "Title,Objectives,Start Date\r\nA,\"Coordinates members,\r\nacross two lines\",2002\r\nB,Runs a pooled fund,soon\r\nC,Sets a standard,2004\r\n",
    )
    .unwrap();
    let (code, err) = ingest(tmp.path(), &index, &[file.to_str().unwrap()]);
    assert_eq!(code, 1);
    let expected = format!("{}:4: start_year: `soon` is not a year", file.display());
    assert!(err.contains(&expected), "expected `{expected}` in:\n{err}");
    assert_eq!(total(tmp.path(), &index), 2);
}

#[test]
fn doctor_finds_a_damaged_index_and_model() {
    let (tmp, index) = indexed_corpus();
    let (code, out, _) = run(partnerkb(tmp.path())
        .arg("doctor")
        .arg("--index")
        .arg(&index));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("model: ok") && out.contains("documents read"),
        "{out}"
    );

    let store = std::fs::read_dir(&index)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "store"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a doc store file");
    let mut bytes = std::fs::read(&store).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&store, bytes).unwrap();
    let (code, out, _) = run(partnerkb(tmp.path())
        .arg("doctor")
        .arg("--index")
        .arg(&index));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("index") && out.contains("DAMAGED"), "{out}");
    // The newcomer's complaint: doctor must name the damaged file.
    let name = store.file_name().unwrap().to_str().unwrap();
    assert!(out.contains(name), "doctor names {name}: {out}");

    let model = tmp.path().join("model.json");
    let text = std::fs::read_to_string(crate::util::root().join("models/default.json")).unwrap();
    std::fs::write(&model, &text[..text.len() / 3]).unwrap();
    let (code, out, _) = run(partnerkb(tmp.path())
        .arg("doctor")
        .arg("--model")
        .arg(&model)
        .arg("--index")
        .arg(&index));
    assert_eq!(code, 2);
    assert!(out.contains("model: DAMAGED"), "{out}");
}

#[test]
fn a_killed_ingest_leaves_the_last_commit_and_a_rerun_completes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("registry.csv");
    let index = tmp.path().join("idx");
    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["generate", "--count", "60000", "--output"])
        .arg(&registry));
    assert_eq!(code, 0, "{err}");
    let bin = assert_cmd::cargo::cargo_bin("partnerkb");
    let mut child = std::process::Command::new(&bin)
        .arg("ingest")
        .arg(&registry)
        .args(["--quiet", "--batch-size", "4096", "--index"])
        .arg(&index)
        .env("XDG_DATA_HOME", tmp.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for a first commit, then kill without warning.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let committed = loop {
        let n = if index.join("meta.json").exists() {
            total(tmp.path(), &index)
        } else {
            0
        };
        if n > 0 || std::time::Instant::now() > deadline {
            break n;
        }
        if child.try_wait().unwrap().is_some() {
            break n;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(committed > 0, "the ingest committed a first batch");
    let after_kill = total(tmp.path(), &index);
    assert_eq!(
        after_kill % 4096,
        0,
        "only whole batches are visible: {after_kill}"
    );
    let r = search_json(tmp.path(), &index, &["fund", "--limit", "1"]);
    assert!(
        r["total"].as_u64().unwrap() > 0,
        "the index opens and answers"
    );
    let (code, _, err) = run(partnerkb(tmp.path())
        .arg("ingest")
        .arg(&registry)
        .args(["--quiet", "--index"])
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        total(tmp.path(), &index),
        60000,
        "the rerun completes without duplicates"
    );
}

#[test]
fn label_facet_counts_equal_what_selecting_them_returns_gold_only_or_not() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    // Gold labels from the corpus, predicted ones for the registry sample.
    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["ingest", "--quiet", "--index"])
        .arg(&index)
        .args(["corpus/partnerships.jsonl", "corpus/registry-sample.csv"]));
    assert_eq!(code, 0, "{err}");
    for gold_only in [false, true] {
        let mut base = vec!["--kind", "partnership"];
        if gold_only {
            base.push("--gold-only");
        }
        let all = search_json(tmp.path(), &index, &base);
        for (axis, class) in [
            ("function", "advocacy"),
            ("function", "operational"),
            ("mode", "coordination"),
            ("mode", "implementation"),
            ("mode", "negotiation"),
        ] {
            let flag = format!("--{axis}");
            let mut args = base.clone();
            args.extend([flag.as_str(), class]);
            let filtered = search_json(tmp.path(), &index, &args);
            assert_eq!(
                all["facets"][axis][class], filtered["total"],
                "gold_only={gold_only}: {axis}={class} chip count vs results"
            );
        }
    }
}

/// `--no-facets` (the pruned path: the text query alone drives block-max
/// pruning, the filter is a cached bitset) must return exactly the hits of
/// the full search, in the same order with the same scores, on an index of
/// several segments with deleted documents; its total is exact below
/// 10,000 matches and reported as "more than 10,000" above.
#[test]
fn searches_without_facets_return_the_same_hits_and_cap_the_count() {
    use partnerkb::classify::Model;
    use partnerkb::index::{KnowledgeBase, SearchRequest};
    use partnerkb::ingest::IngestOptions;
    use partnerkb::ingest::{ingest, Input, Labeller};
    use partnerkb::read::{self, Format};
    use partnerkb::Kind;

    let kb = KnowledgeBase::in_memory().unwrap();
    let model = Model::bundled().unwrap();
    let add = |n: u64, seed: u64| {
        let mut csv = Vec::new();
        partnerkb::generate::write_registry(n, seed, &mut csv).unwrap();
        let items = read::open_reader(
            "generated.csv".into(),
            Box::new(std::io::Cursor::new(csv)),
            Format::Csv,
            Some(Kind::Partnership),
            &Default::default(),
        )
        .unwrap();
        let options = IngestOptions {
            batch_size: 4_000,
            ..Default::default()
        };
        let input = Input {
            origin: "generated.csv".into(),
            items: Box::new(items),
            replace: false,
        };
        ingest(
            &kb,
            vec![input],
            Some(&model as &dyn Labeller),
            &options,
            &|_| {},
        )
        .unwrap();
    };
    // Several commits make several segments; ingesting the first records
    // again replaces them, leaving deleted documents in the old segments.
    add(14_000, 7);
    add(1_500, 7);
    kb.reload().unwrap();
    assert_eq!(kb.num_docs(), 14_000);

    let mut compared = 0;
    let mut capped = 0;
    for query in [
        "pooled fund",
        "certification standard",
        "malaria nets",
        "\"capacity building\" island",
        "raise awareness -network",
        "water",
        "partners countries development",
    ] {
        for (function, mode, sector) in [
            (None, None, None),
            (None, Some("implementation"), None),
            (Some("advocacy"), None, None),
            (Some("operational"), Some("coordination"), Some("business")),
        ] {
            for (limit, offset) in [(10, 0), (7, 5), (1, 0)] {
                let full = SearchRequest {
                    query: query.into(),
                    kind: (function.is_some() || mode.is_some()).then_some(Kind::Partnership),
                    function: function
                        .map(|v| Class::parse(Axis::Function, v).unwrap())
                        .into_iter()
                        .collect(),
                    mode: mode
                        .map(|v| Class::parse(Axis::Mode, v).unwrap())
                        .into_iter()
                        .collect(),
                    sector: sector
                        .map(|v| Sector::parse(v).unwrap())
                        .into_iter()
                        .collect(),
                    limit,
                    offset,
                    ..Default::default()
                };
                let lean = SearchRequest {
                    facets: false,
                    ..full.clone()
                };
                let (a, b) = (kb.search(&full).unwrap(), kb.search(&lean).unwrap());
                let ids = |r: &partnerkb::index::SearchResults| -> Vec<String> {
                    r.hits.iter().map(|h| h.id.clone()).collect()
                };
                let case = format!("{query:?} {function:?} {mode:?} {sector:?} {limit}+{offset}");
                assert_eq!(ids(&b), ids(&a), "{case}");
                for (x, y) in a.hits.iter().zip(&b.hits) {
                    // The same terms summed, perhaps in another order.
                    assert!(
                        (x.score - y.score).abs() <= 1e-5 * x.score.abs(),
                        "{case}: {} vs {}",
                        x.score,
                        y.score
                    );
                }
                assert!(a.total_exact && !a.facets.is_empty());
                assert!(b.facets.is_empty());
                if a.total < 10_000 {
                    assert_eq!((b.total, b.total_exact), (a.total, true), "{query:?}");
                } else {
                    assert_eq!((b.total, b.total_exact), (10_000, false), "{query:?}");
                    capped += 1;
                }
                compared += a.hits.len();
            }
        }
    }
    assert!(compared > 300, "too few hits compared: {compared}");
    assert!(capped > 0, "no query matched more than 10,000 documents");
}

/// `partnerkb compact` merges a bulk ingest's segments (dropping the
/// documents replaced by a re-ingest) and the same searches give the same
/// hits afterwards.
#[test]
fn compact_merges_segments_and_keeps_every_search_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, index) = (tmp.path(), tmp.path().join("idx"));
    let registry = tmp.path().join("registry.csv");
    let (code, _, err) = run(partnerkb(home)
        .args(["generate", "--count", "3000", "--seed", "3", "--output"])
        .arg(&registry));
    assert_eq!(code, 0, "{err}");
    for _ in 0..2 {
        // Commits every 500 records: several segments; the second round
        // replaces every document, leaving deleted ones behind.
        let (code, _, err) = run(partnerkb(home)
            .arg("ingest")
            .arg(&registry)
            .args([
                "--batch-size",
                "500",
                "--vectors",
                "off",
                "--quiet",
                "--index",
            ])
            .arg(&index));
        assert_eq!(code, 0, "{err}");
    }
    let searches: [&[&str]; 3] = [
        &["pooled fund", "-n", "20"],
        &[
            "capacity building",
            "--kind",
            "partnership",
            "--mode",
            "coordination",
        ],
        &[
            "awareness",
            "--function",
            "advocacy",
            "--kind",
            "partnership",
            "--no-facets",
        ],
    ];
    let answers = |label: &str| -> Vec<serde_json::Value> {
        searches
            .iter()
            .map(|args| {
                let v = search_json(home, &index, args);
                assert!(v["total"].as_u64().unwrap() > 0, "{label} {args:?}: no hits");
                serde_json::json!({"total": v["total"], "ids": v["hits"].as_array().unwrap().iter().map(|h| h["id"].clone()).collect::<Vec<_>>()})
            })
            .collect()
    };
    let before = answers("before");
    // Segments with files on disk: files are named SEGMENT-ID.EXTENSION.
    let segments_on_disk = |dir: &std::path::Path| -> usize {
        let mut ids: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                let (id, _) = name.split_once('.')?;
                (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| id.to_string())
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids.len()
    };
    assert!(segments_on_disk(&index) > 1);
    let (code, _, err) = run(partnerkb(home)
        .args(["compact", "--segments", "1", "--index"])
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    let counts: Vec<usize> = err
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        err.contains("segments -> 1,") && counts.first().is_some_and(|n| *n > 1),
        "{err}"
    );
    assert_eq!(total(home, &index), 3000);
    assert_eq!(answers("after"), before);
    // The merged segments' files are gone.
    assert_eq!(segments_on_disk(&index), 1);
    let (code, _, err) = run(partnerkb(home)
        .args(["compact", "--index"])
        .arg(tmp.path().join("nothing-here")));
    assert_eq!(code, 2, "compacting a missing index is an error: {err}");
    assert!(err.contains("no index here"), "{err}");
}
