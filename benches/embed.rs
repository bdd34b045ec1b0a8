//! Criterion benchmarks of the sentence encoder (all-MiniLM-L6-v2 over
//! ndarray): one query (the latency a search pays), one two-sentence
//! window, and ingest throughput on batches of two-sentence windows cut
//! from the bundled lessons (windows per second = elements/s).
//!
//! `cargo bench --bench embed`; `MATMUL_NUM_THREADS=1` for one thread.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use partnerkb::embed::Embedder;
use std::hint::black_box;

/// Two-sentence windows of the bundled lessons' texts (a crude sentence
/// split on ". ": what matters here is their length, ~40–60 tokens).
fn windows(n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in std::str::from_utf8(partnerkb::bundle::LESSONS)
        .unwrap()
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap_or_default();
        let sentences: Vec<&str> = text.split(". ").collect();
        for pair in sentences.chunks(2) {
            out.push(pair.join(". "));
            if out.len() == n {
                return out;
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let e = Embedder::shared().unwrap();
    let query = "earmarked donor funding shifts the agency's priorities";
    eprintln!("query tokens: {}", e.tokens(query).unwrap().ids.len());
    c.bench_function("embed/query", |b| {
        b.iter(|| e.embed_one(black_box(query)).unwrap())
    });

    let ws = windows(128);
    let mean_tokens = ws
        .iter()
        .map(|w| e.tokens(w).unwrap().ids.len())
        .sum::<usize>() as f64
        / ws.len() as f64;
    eprintln!(
        "{} windows, {mean_tokens:.1} tokens each on average",
        ws.len()
    );
    c.bench_function("embed/window", |b| {
        b.iter(|| e.embed_one(black_box(&ws[0])).unwrap())
    });

    let refs: Vec<&str> = ws.iter().map(String::as_str).collect();
    let mut g = c.benchmark_group("embed/ingest");
    g.sample_size(10);
    g.throughput(Throughput::Elements(refs.len() as u64));
    g.bench_function("128 windows", |b| {
        b.iter(|| e.embed(black_box(&refs)).unwrap())
    });
    g.finish();

    c.bench_function("embed/load", |b| b.iter(|| Embedder::bundled().unwrap()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
