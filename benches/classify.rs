//! Criterion benchmarks of the hot paths, on records from the synthetic
//! registry generator (`partnerkb generate`): featurising and predicting one
//! record, classifying a 10k batch, indexing 10k records, and searching 100k
//! indexed records with and without a type filter.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use partnerkb::analyze::Analyzer;
use partnerkb::classify::batch::{classify_stream, BatchOptions};
use partnerkb::classify::features;
use partnerkb::classify::Model;
use partnerkb::index::{KnowledgeBase, SearchRequest};
use partnerkb::ingest::IngestOptions;
use partnerkb::ingest::{ingest, Input, Labeller};
use partnerkb::read::{self, Format, Located};
use partnerkb::{Axis, Kind, Record};
use std::hint::black_box;

/// `n` generated registry records, parsed.
fn registry(n: u64) -> Vec<Located> {
    let mut csv = Vec::new();
    partnerkb::generate::write_registry(n, 7, &mut csv).unwrap();
    read::open_reader(
        "bench.csv".into(),
        Box::new(std::io::Cursor::new(csv)),
        Format::Csv,
        Some(Kind::Partnership),
        &Default::default(),
    )
    .unwrap()
    .map(|item| item.unwrap())
    .collect()
}

fn input(records: Vec<Located>) -> Input {
    Input {
        origin: "bench.csv".into(),
        items: Box::new(records.into_iter().map(Ok)),
        replace: false,
    }
}

fn one_record(c: &mut Criterion) {
    let model = Model::bundled().expect("bundled model");
    let mut analyzer = Analyzer::default();
    let record: Record = registry(1).remove(0).record;
    let text = features::record_text(&record);
    let sectors = features::record_sectors(&record);
    let vocabulary = &model.featurizer(Axis::Mode).unwrap().vocabulary;
    let featurize = |analyzer: &mut Analyzer, text: &str| {
        let occurrences = features::encode(analyzer, text, &sectors, vocabulary);
        let mut indices: Vec<u32> = occurrences.iter().map(|o| o.feature).collect();
        vocabulary.transform_features(&mut indices)
    };
    c.bench_function("featurize one record", |b| {
        b.iter(|| featurize(&mut analyzer, black_box(&text)))
    });
    let x = featurize(&mut analyzer, &text);
    let head = model.head(Axis::Mode).unwrap();
    c.bench_function("predict one record (one axis, from features)", |b| {
        b.iter(|| head.probabilities(black_box(&x)))
    });
    c.bench_function("classify one record (2 axes, evidence)", |b| {
        b.iter(|| {
            model
                .classify(&mut analyzer, black_box(&record), 0.0, 5)
                .unwrap()
        })
    });
}

fn batches(c: &mut Criterion) {
    let model = Model::bundled().expect("bundled model");
    let records = registry(10_000);
    let mut group = c.benchmark_group("10k records");
    group.sample_size(10);
    group.bench_function("classify batch", |b| {
        b.iter_batched(
            || records.clone(),
            |rs| {
                classify_stream(
                    &model,
                    rs.into_iter().map(Ok),
                    &BatchOptions::default(),
                    &mut |o| {
                        black_box(o);
                        Ok(())
                    },
                    &|_| {},
                )
                .unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("index (classifying on the way)", |b| {
        b.iter_batched(
            || (KnowledgeBase::in_memory().unwrap(), records.clone()),
            |(kb, rs)| {
                ingest(
                    &kb,
                    vec![input(rs)],
                    Some(&model as &dyn Labeller),
                    &IngestOptions::default(),
                    &|_| {},
                )
                .unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn search(c: &mut Criterion) {
    let kb = KnowledgeBase::in_memory().unwrap();
    let model = Model::bundled().expect("bundled model");
    ingest(
        &kb,
        vec![input(registry(100_000))],
        Some(&model as &dyn Labeller),
        &IngestOptions::default(),
        &|_| {},
    )
    .unwrap();
    let plain = SearchRequest {
        query: "pooled fund vaccines".into(),
        limit: 10,
        ..Default::default()
    };
    let filtered = SearchRequest {
        mode: vec![partnerkb::Class::parse(partnerkb::Axis::Mode, "implementation").unwrap()],
        kind: Some(Kind::Partnership),
        ..plain.clone()
    };
    let mut group = c.benchmark_group("search 100k records");
    group.bench_function("query", |b| {
        b.iter(|| kb.search(black_box(&plain)).unwrap())
    });
    group.bench_function("query + type filter", |b| {
        b.iter(|| kb.search(black_box(&filtered)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, one_record, batches, search);
criterion_main!(benches);
