//! `partnerkb similar`

use super::Globals;
use anyhow::Result;
use clap::Args;
use partnerkb::index::SearchRequest;
use partnerkb::typology::{Axis, Class, Kind};
use std::io::Write;
use std::process::ExitCode;

/// Records most like a given one, by the meaning of their text (sentence
/// embeddings: the index needs vectors, `ingest --vectors auto`). For a
/// partnership, `--kind lesson` gives the lessons closest to its
/// description. Exit status 1 when there is none.
#[derive(Debug, Args)]
pub struct SimilarArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// Id of the record
    pub id: String,
    /// Only partnerships or only lessons
    #[arg(long, value_parser = super::kind_parser())]
    pub kind: Option<Kind>,
    /// Partnership function (for lessons: rank those that apply first);
    /// repeat it for any of several
    #[arg(long, value_parser = super::ClassParser(Axis::Function), value_delimiter = ',')]
    pub function: Vec<Class>,
    /// Partnership mode (for lessons: rank those that apply first);
    /// repeat it for any of several
    #[arg(long, value_parser = super::ClassParser(Axis::Mode), value_delimiter = ',')]
    pub mode: Vec<Class>,
    /// Number of records
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Print the records as one JSON object
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Globals, args: SimilarArgs) -> Result<ExitCode> {
    let kb = g.knowledge_base(false)?;
    let filter = SearchRequest {
        kind: args.kind,
        function: args.function,
        mode: args.mode,
        limit: args.limit.clamp(1, 1000),
        facets: false,
        ..SearchRequest::default()
    };
    let hits = kb.similar(&args.id, &filter)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({ "id": args.id, "hits": hits }),
        )?;
        writeln!(out)?;
    } else {
        if hits.is_empty() {
            eprintln!(
                "partnerkb: no similar records (does `{}` have vectors? see `ingest --vectors`)",
                args.id
            );
        }
        for (i, hit) in hits.iter().enumerate() {
            let labels: Vec<String> = hit
                .labels
                .iter()
                .map(|l| format!("{}: {}", l.axis, l.label))
                .collect();
            writeln!(
                out,
                "{:>2}. [{}] {}  ({:.3})\n    id {} · {}\n    {}\n",
                i + 1,
                hit.kind,
                hit.title,
                hit.score,
                hit.id,
                labels.join(" · "),
                hit.snippet
            )?;
        }
    }
    Ok(if hits.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
