//! Retrieval quality on the project's query sets (tests/data/queries):
//! hit@3 and MRR@10 for lexical, semantic and hybrid search over the
//! mandate paper's passages and the corpus lessons, the same passages the
//! bm25s peer indexes (`benches/peers/bm25s_queries.py`).
//!
//!   cargo bench --bench query_sets          # this table
//!   bash benches/peers/run_queries.sh       # this table and bm25s's
//!
//! A hit is correct when its title and text contain the query's answer
//! phrase (case-insensitive, whitespace collapsed), as the peer counts it.
//! Needs ../shared/mission/msp-paper.txt; says so and stops without it.

use partnerkb::classify::Model;
use partnerkb::index::{KnowledgeBase, Retrieval, SearchRequest};
use partnerkb::ingest::{ingest_with_vectors, IngestOptions, Input, VectorPolicy};
use partnerkb::read::{self, ColumnMap};
use partnerkb::Kind;
use std::path::PathBuf;

fn norm(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let paper = root.join("../shared/mission/msp-paper.txt");
    if !paper.exists() {
        eprintln!("query_sets: skipped, {} is absent", paper.display());
        return;
    }
    let model = Model::bundled().expect("bundled model");
    let kb = KnowledgeBase::in_memory().expect("index");
    let inputs = vec![
        Input {
            origin: "paper".into(),
            items: read::read_path(&paper, None, &ColumnMap::default()).expect("paper"),
            replace: false,
        },
        Input {
            origin: "lessons".into(),
            items: read::read_path(
                &root.join("corpus/lessons.jsonl"),
                Some(Kind::Lesson),
                &ColumnMap::default(),
            )
            .expect("lessons"),
            replace: false,
        },
    ];
    let started = std::time::Instant::now();
    let report = ingest_with_vectors(
        &kb,
        inputs,
        Some(&model),
        &IngestOptions::default(),
        VectorPolicy::All,
        &|_| {},
    )
    .expect("ingest");
    kb.reload().expect("reload");
    eprintln!(
        "query_sets: {} passages and lessons indexed with vectors in {:.1}s",
        report.indexed,
        started.elapsed().as_secs_f64()
    );
    println!("| set | n | retrieval | hit@3 | MRR@10 |");
    println!("|---|---:|---|---:|---:|");
    for set in ["plain", "paraphrased"] {
        let path = root.join(format!("tests/data/queries/{set}.jsonl"));
        let text = std::fs::read_to_string(&path).expect("query set");
        let queries: Vec<serde_json::Value> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("query line"))
            .collect();
        for retrieval in [Retrieval::Lexical, Retrieval::Semantic, Retrieval::Hybrid] {
            let (mut hit3, mut rr) = (0usize, 0.0f64);
            let mut times = Vec::with_capacity(queries.len());
            for q in &queries {
                let answer = norm(q["answer"].as_str().expect("answer"));
                let req = SearchRequest {
                    query: q["query"].as_str().expect("query").to_string(),
                    limit: 10,
                    facets: false,
                    ..SearchRequest::default()
                };
                let t = std::time::Instant::now();
                let results = kb.search_with(&req, retrieval).expect("search");
                times.push(t.elapsed().as_secs_f64() * 1e3);
                let rank = results.hits.iter().position(|h| {
                    let body = h.record["text"]
                        .as_str()
                        .or_else(|| h.record["description"].as_str())
                        .unwrap_or_default();
                    norm(&format!("{}\n{}", h.title, body)).contains(&answer)
                });
                if let Some(r) = rank {
                    hit3 += usize::from(r < 3);
                    rr += 1.0 / (r as f64 + 1.0);
                }
            }
            times.sort_by(f64::total_cmp);
            let n = queries.len();
            println!(
                "| {set} | {n} | {} | {:.3} | {:.3} |",
                retrieval.name(),
                hit3 as f64 / n as f64,
                rr / n as f64
            );
            eprintln!(
                "query_sets: {set} {} p50 {:.1} ms",
                retrieval.name(),
                times[n / 2]
            );
        }
    }
}
