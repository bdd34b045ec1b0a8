//! Criterion benchmarks of the hot paths: featurising and classifying one
//! record with the bundled model, and a search over the bundled corpus.

use criterion::{criterion_group, criterion_main, Criterion};
use partnerkb::analyze::Analyzer;
use partnerkb::bundle;
use partnerkb::classify::Model;
use partnerkb::index::{IngestOptions, KnowledgeBase, SearchRequest};
use partnerkb::ingest::ingest;
use partnerkb::record::{Partnership, Record};
use std::hint::black_box;

fn record() -> Record {
    Record::Partnership(Partnership::from_text(
        "bench",
        "Global Alliance for Clean Water",
        "The alliance pools donor money in a common fund and jointly runs water and sanitation programmes in twelve countries, training local operators and building infrastructure. It also raises awareness among ministers and publishes an annual report.",
    ))
}

fn classify(c: &mut Criterion) {
    let model = Model::bundled().expect("bundled model");
    let mut analyzer = Analyzer::default();
    let r = record();
    c.bench_function("classify one record (2 axes, 5 evidence terms)", |b| {
        b.iter(|| {
            model
                .classify(&mut analyzer, black_box(&r), 0.0, 5)
                .unwrap()
        })
    });
    c.bench_function("classify one record (no evidence)", |b| {
        b.iter(|| {
            model
                .classify(&mut analyzer, black_box(&r), 0.0, 0)
                .unwrap()
        })
    });
}

fn search(c: &mut Criterion) {
    let kb = KnowledgeBase::in_memory().unwrap();
    ingest(
        &kb,
        bundle::inputs().unwrap(),
        None,
        &IngestOptions::default(),
        &|_| {},
    )
    .unwrap();
    let plain = SearchRequest {
        query: "accountability monitoring evaluation".into(),
        limit: 10,
        ..Default::default()
    };
    let filtered = SearchRequest {
        query: "vaccines fund".into(),
        kind: Some(partnerkb::Kind::Partnership),
        mode: Some("implementation".into()),
        limit: 10,
        ..Default::default()
    };
    c.bench_function("search bundled corpus", |b| {
        b.iter(|| kb.search(black_box(&plain)).unwrap())
    });
    c.bench_function("search bundled corpus with type filter", |b| {
        b.iter(|| kb.search(black_box(&filtered)).unwrap())
    });
}

criterion_group!(benches, classify, search);
criterion_main!(benches);
