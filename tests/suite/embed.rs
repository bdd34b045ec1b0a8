//! The sentence encoder: parity with an independent implementation of
//! all-MiniLM-L6-v2, and its behaviour on bad input and bad model files.

use crate::util::{partnerkb, run, shared};
use partnerkb::embed::{Embedder, DIM, MAX_TOKENS, TOKENIZER_FILE, WEIGHTS_FILE};

#[derive(serde::Deserialize)]
struct Reference {
    text: String,
    /// The first token ids (up to 12).
    token_ids: Vec<u32>,
    n_tokens: usize,
    embedding: Vec<f32>,
}

fn embedder() -> &'static Embedder {
    Embedder::shared().expect("the bundled model loads")
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[test]
fn parity_with_the_reference_embeddings() {
    let Some(path) = shared("embedding-reference.jsonl") else {
        crate::util::skip_notice(
            "skipped the embedding parity check: ../shared/embedding-reference.jsonl is absent",
        );
        return;
    };
    let references: Vec<Reference> = std::fs::read_to_string(&path)
        .expect("reference file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("reference line"))
        .collect();
    assert_eq!(references.len(), 12, "the reference set has 12 texts");
    let e = embedder();
    let texts: Vec<&str> = references.iter().map(|r| r.text.as_str()).collect();
    // All at once (one stacked batch) and one by one must both match.
    let batch = e.embed(&texts).expect("embeds");
    let mut failures = Vec::new();
    let mut worst = f32::INFINITY;
    for (i, r) in references.iter().enumerate() {
        let tokens = e.tokens(&r.text).expect("tokenizes");
        let head = &tokens.ids[..r.token_ids.len().min(tokens.ids.len())];
        if head != r.token_ids.as_slice() || tokens.ids.len() != r.n_tokens {
            failures.push(format!(
                "{:?}: token ids {:?} ({} tokens), expected {:?} ({} tokens)",
                r.text,
                head,
                tokens.ids.len(),
                r.token_ids,
                r.n_tokens
            ));
        }
        let single = e.embed_one(&r.text).expect("embeds");
        for (how, v) in [
            ("batch", batch.row(i).to_vec()),
            ("single", single.to_vec()),
        ] {
            assert_eq!(v.len(), DIM);
            let c = cosine(&v, &r.embedding);
            worst = worst.min(c);
            if c < 0.999 {
                failures.push(format!("{:?} ({how}): cosine {c:.6} < 0.999", r.text));
            }
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "{:?}: norm {norm}", r.text);
        }
    }
    eprintln!("parity: lowest cosine with the reference {worst:.7}");
    assert!(
        failures.is_empty(),
        "parity failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn paraphrases_are_closer_than_unrelated_text() {
    let e = embedder();
    let v = e
        .embed(&[
            "red tape slows everything down",
            "bureaucratic procedures cause long delays",
            "The weather is cold today.",
        ])
        .expect("embeds");
    let near = v.row(0).dot(&v.row(1));
    let far = v.row(0).dot(&v.row(2));
    assert!(
        near > far + 0.2,
        "paraphrase {near:.3} vs unrelated {far:.3}"
    );
}

#[test]
fn a_ten_thousand_character_text_is_cut_to_the_limit() {
    let e = embedder();
    let text = "partnership ".repeat(1000);
    assert!(text.len() >= 10_000);
    let tokens = e.tokens(&text).expect("tokenizes");
    assert!(tokens.truncated);
    assert_eq!(tokens.ids.len(), MAX_TOKENS);
    assert_eq!(tokens.ids.last(), Some(&102), "[SEP] kept at the end");
    let v = e.embed_one(&text).expect("embeds");
    assert!(v.iter().all(|x| x.is_finite()));
    assert!(!e.tokens("a short text").expect("tokenizes").truncated);
}

#[test]
fn odd_inputs_embed_without_panic() {
    let e = embedder();
    let v = e
        .embed(&[
            "",
            " ",
            "\u{0}\u{7}",
            "😀🤝",
            "水と衛生",
            "a\u{301}",
            "Ein Netzwerk von Gemeinden",
        ])
        .expect("embeds");
    assert!(v.iter().all(|x| x.is_finite()));
    assert_eq!(e.embed(&[]).expect("embeds").nrows(), 0);
}

#[test]
fn missing_or_damaged_model_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Embedder::load(dir.path()).expect_err("no files");
    assert!(err.is_user_error());
    assert!(err.to_string().contains(WEIGHTS_FILE), "{err}");

    std::fs::write(dir.path().join(WEIGHTS_FILE), b"not safetensors").expect("write");
    std::fs::write(
        dir.path().join(TOKENIZER_FILE),
        partnerkb::embed::BUNDLED_TOKENIZER,
    )
    .expect("write");
    let err = Embedder::load(dir.path()).expect_err("damaged weights");
    assert!(err.to_string().contains(WEIGHTS_FILE), "{err}");
    assert_eq!(err.code(), "bad_model");

    // Truncated weights: a valid header whose data is cut short.
    let bundled = partnerkb::embed::BUNDLED_WEIGHTS;
    std::fs::write(dir.path().join(WEIGHTS_FILE), &bundled[..bundled.len() / 2]).expect("write");
    let err = Embedder::load(dir.path()).expect_err("truncated weights");
    assert!(err.to_string().contains(WEIGHTS_FILE), "{err}");

    std::fs::write(dir.path().join(WEIGHTS_FILE), bundled).expect("write");
    std::fs::write(dir.path().join(TOKENIZER_FILE), b"{\"version\":").expect("write");
    let err = Embedder::load(dir.path()).expect_err("damaged tokenizer");
    assert!(err.to_string().contains(TOKENIZER_FILE), "{err}");

    std::fs::write(
        dir.path().join(TOKENIZER_FILE),
        partnerkb::embed::BUNDLED_TOKENIZER,
    )
    .expect("write");
    let loaded = Embedder::load(dir.path()).expect("a copy of the bundled files loads");
    assert_eq!(loaded.model_id(), embedder().model_id());
}

#[test]
fn doctor_checks_the_embedding_model() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = run(partnerkb(tmp.path()).arg("doctor"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("embedding model: ok (all-MiniLM-L6-v2@"),
        "{out}"
    );

    let models = tmp.path().join("minilm");
    std::fs::create_dir(&models).expect("mkdir");
    std::fs::write(
        models.join(TOKENIZER_FILE),
        partnerkb::embed::BUNDLED_TOKENIZER,
    )
    .expect("write");
    let (code, out, _) = run(partnerkb(tmp.path())
        .arg("doctor")
        .env(partnerkb::embed::MODEL_ENV, &models));
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("embedding model: DAMAGED") && out.contains(WEIGHTS_FILE),
        "{out}"
    );
}

// ---- vectors in the index, semantic and hybrid retrieval ----

use partnerkb::index::{KnowledgeBase, Retrieval, SearchRequest};
use partnerkb::ingest::{ingest_with_vectors, IngestOptions, Input, VectorPolicy};
use partnerkb::read::{self, Format};
use partnerkb::Kind;

/// The first `n` corpus lessons, as JSONL.
fn lessons(n: usize) -> String {
    let text =
        std::fs::read_to_string(crate::util::root().join("corpus/lessons.jsonl")).expect("corpus");
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

fn input(origin: &str, jsonl: String, replace: bool) -> Input {
    Input {
        origin: origin.into(),
        items: read::open_reader(
            origin.into(),
            Box::new(std::io::Cursor::new(jsonl.into_bytes())),
            Format::Jsonl,
            Some(Kind::Lesson),
            &Default::default(),
        )
        .expect("reader"),
        replace,
    }
}

fn ingest_lessons(kb: &KnowledgeBase, origin: &str, jsonl: String, replace: bool) {
    let report = ingest_with_vectors(
        kb,
        vec![input(origin, jsonl, replace)],
        None,
        &IngestOptions::default(),
        VectorPolicy::Auto,
        &|_| {},
    )
    .expect("ingest");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}

fn query(q: &str) -> SearchRequest {
    SearchRequest {
        query: q.into(),
        ..SearchRequest::default()
    }
}

fn model_id() -> String {
    embedder().model_id().to_string()
}

#[test]
fn vectors_follow_their_documents_through_upsert_and_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kb = KnowledgeBase::open_or_create(dir.path()).expect("index");
    ingest_lessons(&kb, "a.jsonl", lessons(6), false);
    assert_eq!(kb.num_docs(), 6);
    assert_eq!(kb.documents_with_vectors(&model_id()).expect("count"), 6);

    // Upsert one lesson with a new text: the semantic search finds the
    // new text and the old vectors are gone with the old document.
    let first: serde_json::Value = serde_json::from_str(lessons(1).trim()).expect("json");
    let id = first["id"].as_str().expect("id").to_string();
    let mut changed = first.clone();
    changed["text"] =
        "Seed banks keep heirloom maize varieties alive for farmers in the highlands.".into();
    ingest_lessons(&kb, "a.jsonl", format!("{changed}\n"), false);
    assert_eq!(kb.num_docs(), 6);
    assert_eq!(kb.documents_with_vectors(&model_id()).expect("count"), 6);
    let r = kb
        .search_with(
            &query("conserving traditional crop seeds"),
            Retrieval::Semantic,
        )
        .expect("search");
    assert_eq!(
        r.hits[0].id,
        id,
        "{:?}",
        r.hits.iter().map(|h| &h.id).collect::<Vec<_>>()
    );
    assert!(r.hits[0].snippet.contains("maize"), "{}", r.hits[0].snippet);
    assert_eq!(r.hits.iter().filter(|h| h.id == id).count(), 1);

    // Replacing the origin with two lessons deletes the other four and
    // their vectors.
    ingest_lessons(&kb, "a.jsonl", lessons(2), true);
    assert_eq!(kb.num_docs(), 2);
    assert_eq!(kb.documents_with_vectors(&model_id()).expect("count"), 2);
    let r = kb
        .search_with(&query("who should sit at the table"), Retrieval::Semantic)
        .expect("search");
    assert_eq!(r.hits.len(), 2);
}

#[test]
fn hybrid_search_respects_filters_and_shows_the_matched_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kb = KnowledgeBase::open_or_create(dir.path()).expect("index");
    ingest_lessons(&kb, "lessons.jsonl", lessons(40), false);
    let mut req = query("red tape slows everything down");
    req.limit = 40;
    let all = kb.search_with(&req, Retrieval::Hybrid).expect("search");
    assert!(!all.hits.is_empty());
    let lexical = kb.search_with(&req, Retrieval::Lexical).expect("search");
    assert!(all.total >= lexical.total);

    let challenge =
        partnerkb::Class::parse(partnerkb::Axis::Challenge, "inclusion").expect("class");
    req.set_label(challenge);
    for retrieval in [Retrieval::Semantic, Retrieval::Hybrid] {
        let r = kb.search_with(&req, retrieval).expect("search");
        assert!(!r.hits.is_empty(), "{retrieval:?}");
        for hit in &r.hits {
            assert!(
                hit.labels.iter().any(|l| l.label == challenge),
                "{retrieval:?}: {} lacks the challenge filter",
                hit.id
            );
        }
    }
    let semantic = kb
        .search_with(&query("bureaucratic delays"), Retrieval::Semantic)
        .expect("search");
    for hit in &semantic.hits {
        let text = hit.record["text"].as_str().expect("text");
        assert!(
            text.contains(hit.snippet.trim_end_matches('…')),
            "snippet is a window of {}",
            hit.id
        );
    }
}

#[test]
fn an_index_without_vectors_answers_lexically_and_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let index = tmp.path().join("idx");
    let (code, _, err) = run(partnerkb(tmp.path())
        .args([
            "ingest",
            "--no-classify",
            "--quiet",
            "--vectors",
            "off",
            "corpus/lessons.jsonl",
            "--index",
        ])
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(partnerkb(tmp.path())
        .args([
            "search",
            "evaluation",
            "--retrieval",
            "hybrid",
            "--json",
            "--index",
        ])
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.matches("no vectors").count(), 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["retrieval"]["used"], "lexical");
    assert!(!v["hits"].as_array().expect("hits").is_empty());
    // Without --retrieval the fallback is quiet.
    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["search", "evaluation", "--index"])
        .arg(&index));
    assert_eq!(code, 0);
    assert!(!err.contains("no vectors"), "{err}");
    // `reindex` adds the vectors.
    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["reindex", "--quiet", "--index"])
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("182 records embedded"), "{err}");
    let (code, out, err) = run(partnerkb(tmp.path())
        .args([
            "search",
            "evaluation",
            "--retrieval",
            "hybrid",
            "--json",
            "--index",
        ])
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("no vectors"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["retrieval"]["used"], "hybrid");
}

#[test]
fn similar_returns_a_records_near_duplicate_first() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let index = tmp.path().join("idx");
    let kb = KnowledgeBase::open_or_create(&index).expect("index");
    ingest_lessons(&kb, "lessons.jsonl", lessons(12), false);
    // A near duplicate of the fifth lesson (one sentence dropped, new id).
    let fifth: serde_json::Value =
        serde_json::from_str(lessons(5).lines().last().expect("line")).expect("json");
    let id = fifth["id"].as_str().expect("id").to_string();
    let mut copy = fifth.clone();
    copy["id"] = "a-near-duplicate".into();
    let text = fifth["text"].as_str().expect("text");
    let cut = text.find(". ").map_or(text.len(), |i| i + 1);
    copy["text"] = text[cut..].trim().into();
    ingest_lessons(&kb, "copy.jsonl", format!("{copy}\n"), false);
    drop(kb);

    let (code, out, err) = run(partnerkb(tmp.path())
        .args(["similar", &id, "--json", "-n", "3", "--index"])
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let hits = v["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[0]["id"], "a-near-duplicate", "{out}");
    assert!(
        hits.iter().all(|h| h["id"] != id.as_str()),
        "the record itself is not similar to itself"
    );

    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["similar", "no-such-record", "--index"])
        .arg(&index));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-record"), "{err}");
}

// ---- the bundled corpus's vectors, and vectors through a kill ----

/// `corpus/vectors.bin` holds, for every bundled record, the vectors a
/// fresh computation gives: the first run's default index has semantic
/// search without half a minute of embedding. After the corpus or the
/// windowing changes, `PARTNERKB_BLESS_VECTORS=1 cargo test --test tests
/// bundled_vectors` rewrites the file (then rebuild to bundle it).
#[test]
fn bundled_vectors_match_a_fresh_computation_of_every_bundled_record() {
    use partnerkb::embed::precomputed::windows_digest;
    use partnerkb::embed::record_windows;
    use partnerkb::embed::store::{model_tag, WindowVectors};
    if std::env::var_os("PARTNERKB_BLESS_VECTORS").is_some() {
        let bytes = partnerkb::bundle::compute_vectors(&|done, all| {
            eprintln!("embedded {done} of {all} bundled records")
        })
        .expect("the bundled corpus embeds");
        std::fs::write(crate::util::root().join("corpus/vectors.bin"), bytes).expect("write");
        eprintln!("wrote corpus/vectors.bin: rebuild so that the binary bundles it");
        return;
    }
    let bless = "run `PARTNERKB_BLESS_VECTORS=1 cargo test --test tests bundled_vectors`";
    let pre = partnerkb::bundle::precomputed()
        .unwrap_or_else(|| panic!("corpus/vectors.bin is not a vectors file: {bless}"));
    let mut records = Vec::new();
    for input in partnerkb::bundle::inputs().expect("bundled inputs") {
        records.extend(input.items.map(|i| i.expect("bundled record").record));
    }
    let tag = model_tag(&model_id());
    let stale: Vec<&str> = records
        .iter()
        .filter(|r| pre.get(r.id(), &record_windows(r), tag).is_none())
        .map(|r| r.id())
        .collect();
    assert!(
        stale.is_empty(),
        "{} bundled records have no up-to-date vectors (first: {:?}): {bless}",
        stale.len(),
        &stale[..stale.len().min(5)]
    );
    assert_eq!(pre.len(), records.len(), "no vectors of removed records");
    // Every 16th record, embedded now, gives what is shipped.
    let sample: Vec<&partnerkb::Record> = records.iter().step_by(16).collect();
    let fresh = embedder().embed_records(&sample).expect("embeds");
    for (record, blob) in sample.iter().zip(&fresh) {
        let windows = record_windows(record);
        let shipped = WindowVectors::decode(pre.get(record.id(), &windows, tag).expect("shipped"))
            .expect("decodes");
        let now = WindowVectors::decode(blob).expect("decodes");
        assert_eq!(shipped.ranges, now.ranges, "{}", record.id());
        for (a, b) in shipped.vectors.chunks(DIM).zip(now.vectors.chunks(DIM)) {
            let c = cosine(a, b);
            assert!(
                c >= 0.9999,
                "{}: cosine {c} with a fresh computation",
                record.id()
            );
        }
        assert_ne!(windows_digest(&windows), [0; 32]);
    }
}

#[test]
fn the_default_index_answers_by_meaning_on_first_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = run(partnerkb(tmp.path()).args([
        "search",
        "red tape slows everything down",
        "--kind",
        "lesson",
        "--json",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("no vectors"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["retrieval"]["used"], "hybrid", "{}", v["retrieval"]);
    assert!(!v["hits"].as_array().expect("hits").is_empty());
}

#[test]
fn a_killed_ingest_with_vectors_leaves_every_document_with_its_vectors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let registry = tmp.path().join("registry.csv");
    let index = tmp.path().join("idx");
    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["generate", "--count", "200", "--output"])
        .arg(&registry));
    assert_eq!(code, 0, "{err}");
    let mut child = crate::util::process(tmp.path())
        .arg("ingest")
        .arg(&registry)
        .args([
            "--quiet",
            "--vectors",
            "all",
            "--batch-size",
            "64",
            "--index",
        ])
        .arg(&index)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let committed = index.join("meta.json").exists()
            && KnowledgeBase::open(&index).is_ok_and(|kb| kb.num_docs() > 0);
        if committed
            || std::time::Instant::now() > deadline
            || child.try_wait().expect("wait").is_some()
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().expect("kill"); // SIGKILL on Unix
    child.wait().expect("wait");
    let kb = KnowledgeBase::open(&index).expect("the index opens after a kill");
    let docs = kb.num_docs();
    assert!(docs > 0, "a first batch was committed");
    assert_eq!(
        kb.documents_with_vectors(&model_id()).expect("count"),
        docs,
        "every committed document has its vectors"
    );
    drop(kb);
    let (code, _, err) = run(partnerkb(tmp.path())
        .arg("ingest")
        .arg(&registry)
        .args(["--quiet", "--vectors", "all", "--index"])
        .arg(&index));
    assert_eq!(code, 0, "{err}");
    let kb = KnowledgeBase::open(&index).expect("index");
    assert_eq!(kb.num_docs(), 200, "the rerun completes");
    assert_eq!(kb.documents_with_vectors(&model_id()).expect("count"), 200);
}

#[test]
fn semantic_and_hybrid_results_respect_every_filter() {
    use partnerkb::{Axis, Class, Sector};
    let dir = tempfile::tempdir().expect("tempdir");
    let kb = KnowledgeBase::open_or_create(dir.path()).expect("index");
    // The bundled corpus with its shipped vectors (no embedding needed).
    let vectors = partnerkb::ingest::Vectors {
        policy: VectorPolicy::All,
        precomputed: partnerkb::bundle::precomputed(),
    };
    let report = ingest_with_vectors(
        &kb,
        partnerkb::bundle::inputs().expect("inputs"),
        None,
        &IngestOptions::default(),
        vectors,
        &|_| {},
    )
    .expect("ingest");
    assert!(report.rejected.is_empty());
    let class = |axis, name| Class::parse(axis, name).expect("class");
    let mut cases: Vec<(&str, SearchRequest)> = Vec::new();
    let base = || SearchRequest {
        query: "who should sit at the table".into(),
        limit: 30,
        ..SearchRequest::default()
    };
    let mut r = base();
    r.kind = Some(Kind::Partnership);
    cases.push(("kind", r));
    let mut r = base();
    r.kind = Some(Kind::Partnership);
    r.set_label(class(Axis::Function, "operational"));
    r.set_label(class(Axis::Mode, "implementation"));
    cases.push(("function and mode", r));
    let mut r = base();
    r.sector = vec![Sector::Business];
    cases.push(("sector", r));
    let mut r = base();
    r.kind = Some(Kind::Lesson);
    r.set_label(class(Axis::Challenge, "participation_power"));
    r.gold_only = true;
    cases.push(("challenge, gold only", r));
    for (name, req) in &cases {
        for retrieval in [Retrieval::Semantic, Retrieval::Hybrid] {
            let found = kb.search_with(req, retrieval).expect("search");
            assert!(!found.hits.is_empty(), "{name} {retrieval:?}: no hits");
            assert!(found.total >= found.hits.len() as u64);
            for hit in &found.hits {
                let why = format!("{name} {retrieval:?}: {}", hit.id);
                if let Some(kind) = req.kind {
                    assert_eq!(hit.kind, kind, "{why}");
                }
                for axis in [Axis::Function, Axis::Mode, Axis::Challenge] {
                    for &want in req.label(axis) {
                        assert!(
                            hit.labels
                                .iter()
                                .any(|l| l.label == want && (!req.gold_only || l.origin.is_human())),
                            "{why} lacks {want:?}"
                        );
                    }
                }
                for &sector in &req.sector {
                    let partners = hit.record["partners"].as_array().expect("partners");
                    assert!(
                        partners.iter().any(|p| p["sector"] == sector.name()),
                        "{why} has no {} partner",
                        sector.name()
                    );
                }
            }
        }
    }
    // Paging applies to the fused list: page two follows page one.
    let mut first = base();
    first.limit = 10;
    let mut second = base();
    second.limit = 10;
    second.offset = 10;
    let both = {
        let mut r = base();
        r.limit = 20;
        kb.search_with(&r, Retrieval::Hybrid).expect("search")
    };
    let a = kb.search_with(&first, Retrieval::Hybrid).expect("search");
    let b = kb.search_with(&second, Retrieval::Hybrid).expect("search");
    let ids = |r: &partnerkb::index::SearchResults| -> Vec<String> {
        r.hits.iter().map(|h| h.id.clone()).collect()
    };
    assert_eq!([ids(&a), ids(&b)].concat(), ids(&both));
}
