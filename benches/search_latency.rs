//! Search latency percentiles (p50, p90, p99, max) over a large index, for
//! two-word queries with and without a type filter.
//!
//! Criterion reports means and medians; the registry-scale targets are
//! about the tail (p99), so this bench times every call itself.
//!
//! ```sh
//! # an index you built, e.g. of a million generated records:
//! partnerkb generate --count 1000000 --seed 7 --output reg1m.csv
//! partnerkb ingest --index idx1m reg1m.csv --quiet
//! cargo bench --bench search_latency -- idx1m
//! # or an in-memory index of N generated records built first (default 100000):
//! SEARCH_BENCH_RECORDS=100000 cargo bench --bench search_latency
//! ```
//!
//! Every query runs once to warm the caches, then `SEARCH_BENCH_ROUNDS`
//! times (default 20) in an interleaved order; each call is one
//! `KnowledgeBase::search` returning the top 10 with snippets.
//! `SEARCH_BENCH_ONLY=WORDS` keeps the rows whose name ends with WORDS.
//!
//! `SEARCH_BENCH_VECTORS=1` gives every in-memory record a vector and adds
//! semantic and hybrid rows (each query embedded on every call, as a
//! search does). The vectors are random unit vectors tagged with the
//! bundled model: embedding 100,000 records for real is an hour of CPU,
//! and the scan over them costs the same whatever their values.

use partnerkb::classify::Model;
use partnerkb::index::{KnowledgeBase, Retrieval, SearchRequest};
use partnerkb::ingest::IngestOptions;
use partnerkb::ingest::{ingest, Input, Labeller};
use partnerkb::read::{self, Format};
use partnerkb::Kind;
use std::path::Path;
use std::time::{Duration, Instant};

/// Two-word queries on topics the generated registry covers, each paired
/// with the type filter it is timed with.
const QUERIES: [(&str, Filter); 10] = [
    ("pooled fund", Filter::Mode("implementation")),
    ("certification standard", Filter::Mode("negotiation")),
    ("clean cookstoves", Filter::Function("operational")),
    ("water sanitation", Filter::Mode("coordination")),
    ("renewable energy", Filter::Function("operational")),
    ("forest carbon", Filter::Mode("negotiation")),
    ("malaria nets", Filter::Mode("implementation")),
    ("stakeholder dialogue", Filter::Function("advocacy")),
    ("capacity building", Filter::Mode("coordination")),
    ("raise awareness", Filter::Function("advocacy")),
];

#[derive(Clone, Copy)]
enum Filter {
    Function(&'static str),
    Mode(&'static str),
}

fn request(query: &str, filter: Option<Filter>, facets: bool) -> SearchRequest {
    let mut req = SearchRequest {
        query: query.into(),
        limit: 10,
        facets,
        ..Default::default()
    };
    match filter {
        None => {}
        Some(Filter::Function(f)) => {
            req.function = vec![partnerkb::Class::parse(partnerkb::Axis::Function, f).unwrap()];
            req.kind = Some(Kind::Partnership);
        }
        Some(Filter::Mode(m)) => {
            req.mode = vec![partnerkb::Class::parse(partnerkb::Axis::Mode, m).unwrap()];
            req.kind = Some(Kind::Partnership);
        }
    }
    req
}

/// A random unit vector in the stored form, tagged with the bundled
/// embedding model (xorshift, seeded per record: reproducible).
fn synthetic_vectors(seed: u64, range: (u32, u32)) -> Vec<u8> {
    use partnerkb::embed::store::{model_tag, WindowVectors};
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v: Vec<f32> = (0..partnerkb::embed::DIM)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect();
    let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt();
    v.iter_mut().for_each(|a| *a /= norm);
    let id = partnerkb::embed::Embedder::shared_model_id().expect("model id");
    WindowVectors {
        tag: model_tag(&id),
        ranges: vec![range],
        vectors: v,
    }
    .encode()
}

/// An in-memory index of `n` generated records, each with a synthetic
/// vector.
fn build_in_memory_with_vectors(n: u64) -> KnowledgeBase {
    use partnerkb::index::WriterOptions;
    let kb = KnowledgeBase::in_memory().expect("in-memory index");
    let model = Model::bundled().expect("bundled model");
    let mut csv = Vec::new();
    partnerkb::generate::write_registry(n, 7, &mut csv).expect("generate");
    let items = read::open_reader(
        "generated.csv".into(),
        Box::new(std::io::Cursor::new(csv)),
        Format::Csv,
        Some(Kind::Partnership),
        &Default::default(),
    )
    .expect("generated registry reads");
    let mut writer = kb.writer(&WriterOptions::default()).expect("writer");
    for (i, item) in items.enumerate() {
        let record = item.expect("generated record").record;
        let labels = model.predict_missing(&record);
        let blob = synthetic_vectors(i as u64, (0, record.text().len() as u32));
        writer
            .upsert_with_vectors(&record, &labels, "generated.csv", Some(&blob))
            .expect("upsert");
    }
    writer.commit().expect("commit");
    writer.finish().expect("finish");
    kb.reload().expect("reload");
    kb
}

fn build_in_memory(n: u64) -> KnowledgeBase {
    let kb = KnowledgeBase::in_memory().expect("in-memory index");
    let model = Model::bundled().expect("bundled model");
    let mut csv = Vec::new();
    partnerkb::generate::write_registry(n, 7, &mut csv).expect("generate");
    let items = read::open_reader(
        "generated.csv".into(),
        Box::new(std::io::Cursor::new(csv)),
        Format::Csv,
        Some(Kind::Partnership),
        &Default::default(),
    )
    .expect("generated registry reads");
    ingest(
        &kb,
        vec![Input {
            origin: "generated.csv".into(),
            items: Box::new(items),
            replace: false,
        }],
        Some(&model as &dyn Labeller),
        &IngestOptions::default(),
        &|_| {},
    )
    .expect("ingest");
    kb
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    // `cargo bench` passes `--bench`; the first other argument is the index.
    let index = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let rounds: usize = std::env::var("SEARCH_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let vectors = std::env::var_os("SEARCH_BENCH_VECTORS").is_some_and(|v| v != "0");
    let kb = match &index {
        Some(dir) => KnowledgeBase::open(Path::new(dir)).expect("open the index"),
        None => {
            let n = std::env::var("SEARCH_BENCH_RECORDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(100_000);
            eprintln!("building an in-memory index of {n} generated records");
            if vectors {
                build_in_memory_with_vectors(n)
            } else {
                build_in_memory(n)
            }
        }
    };
    let docs = kb.stats().map(|s| s.total).unwrap_or_default();
    let mut cases: Vec<(&str, bool, bool, Retrieval)> = vec![
        (
            "two words, top 10 + facet counts",
            false,
            true,
            Retrieval::Lexical,
        ),
        (
            "two words + type filter, top 10 + facet counts",
            true,
            true,
            Retrieval::Lexical,
        ),
        ("two words, top 10", false, false, Retrieval::Lexical),
        (
            "two words + type filter, top 10",
            true,
            false,
            Retrieval::Lexical,
        ),
    ];
    if vectors || index.is_some() {
        cases.extend([
            (
                "semantic: two words, top 10",
                false,
                false,
                Retrieval::Semantic,
            ),
            (
                "hybrid: two words, top 10 + facet counts",
                false,
                true,
                Retrieval::Hybrid,
            ),
            ("hybrid: two words, top 10", false, false, Retrieval::Hybrid),
            (
                "hybrid: two words + type filter, top 10",
                true,
                false,
                Retrieval::Hybrid,
            ),
        ]);
    }
    println!(
        "search latency over {docs} documents ({}), {rounds} rounds x {} queries per row\n",
        index.as_deref().unwrap_or("in memory"),
        QUERIES.len()
    );
    println!("| search | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | mean matches |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    // `SEARCH_BENCH_ONLY=WORDS`: only the rows whose name ends with WORDS.
    let only = std::env::var("SEARCH_BENCH_ONLY").unwrap_or_default();
    for (name, filtered, facets, retrieval) in cases {
        if !name.ends_with(only.as_str()) {
            continue;
        }
        let requests: Vec<SearchRequest> = QUERIES
            .iter()
            .map(|(q, f)| request(q, filtered.then_some(*f), facets))
            .collect();
        let mut matches = 0u64;
        for req in &requests {
            matches += kb.search_with(req, retrieval).expect("search").total;
        }
        let mut times = Vec::with_capacity(rounds * requests.len());
        for _ in 0..rounds {
            for req in &requests {
                let start = Instant::now();
                let results = kb.search_with(req, retrieval).expect("search");
                times.push(start.elapsed());
                std::hint::black_box(results);
            }
        }
        times.sort();
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            ms(percentile(&times, 50.0)),
            ms(percentile(&times, 90.0)),
            ms(percentile(&times, 99.0)),
            ms(*times.last().expect("timed calls")),
            matches / requests.len() as u64
        );
    }
}
