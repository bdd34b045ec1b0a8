//! `partnerkb search`

use super::{render, Globals};
use anyhow::Result;
use clap::Args;
use partnerkb::export::ExportFormat;
use partnerkb::index::{Retrieval, SearchRequest, SearchResults, Sort};
use partnerkb::typology::{Axis, Class, Kind, Sector};
use std::io::Write;
use std::process::ExitCode;

/// Search partnerships and lessons. The query uses tantivy syntax: words
/// (any may match, ranked by BM25), "a phrase", +required, -excluded.
/// Filters narrow partnerships; for lessons, --function/--mode rank first
/// the lessons that apply to that type of partnership. Exit status 1 when
/// nothing matches.
#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// What to look for; empty lists the filtered set
    #[arg(default_value = "")]
    pub query: String,
    /// Only partnerships or only lessons
    #[arg(long, value_parser = super::kind_parser())]
    pub kind: Option<Kind>,
    /// Partnership function; repeat it (or separate with commas) for any
    /// of several
    #[arg(long, value_parser = super::ClassParser(Axis::Function), value_delimiter = ',')]
    pub function: Vec<Class>,
    /// Partnership mode; repeat it (or separate with commas) for any of
    /// several: --mode coordination --mode implementation
    #[arg(long, value_parser = super::ClassParser(Axis::Mode), value_delimiter = ',')]
    pub mode: Vec<Class>,
    /// The challenge a lesson addresses; repeat for any of several
    #[arg(long, value_parser = super::ClassParser(Axis::Challenge), value_delimiter = ',')]
    pub challenge: Vec<Class>,
    /// Partner sector that must take part; repeat for any of several
    #[arg(long, value_parser = super::VocabularyParser::<Sector>::new(), value_delimiter = ',')]
    pub sector: Vec<Sector>,
    /// Filter on human labels only (gold or corrected), not predictions,
    /// and with --sector on the sectors the input gave, not those inferred
    /// from partner names
    #[arg(long)]
    pub gold_only: bool,
    /// Number of hits (0: only count them)
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Skip this many hits
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Print results as one JSON object
    #[arg(long)]
    pub json: bool,
    /// Do not count labels, sectors and themes over the matching set, and
    /// count matches only up to 10,000 (much faster on large registries)
    #[arg(long)]
    pub no_facets: bool,
    /// How records are found: lexical (BM25 over the words), semantic
    /// (sentence-embedding similarity) or hybrid (both, fused by
    /// reciprocal rank). Default: hybrid when the index holds vectors,
    /// else lexical (asking for semantic or hybrid on an index without
    /// vectors says so on stderr)
    #[arg(long, value_parser = ["lexical", "semantic", "hybrid"])]
    pub retrieval: Option<String>,
    /// Order of the hits: relevance (default), name, start_year or
    /// confidence, each optionally :asc or :desc (name A-Z, newest and
    /// least confident first without one); records without the key last
    #[arg(long, value_parser = parse_sort, default_value = "relevance")]
    pub sort: Sort,
    /// Write every match (not a page: --limit and --offset are ignored)
    /// as CSV or JSONL rows, with each axis's label, origin, probability
    /// and review flag, the URL and the source
    #[arg(long, value_parser = ["csv", "jsonl"], conflicts_with = "json")]
    pub format: Option<String>,
}

impl SearchArgs {
    fn request(&self) -> SearchRequest {
        SearchRequest {
            query: self.query.clone(),
            kind: self.kind,
            function: self.function.clone(),
            mode: self.mode.clone(),
            challenge: self.challenge.clone(),
            sector: self.sector.clone(),
            gold_only: self.gold_only,
            limit: self.limit.clamp(1, 10_000),
            offset: self.offset,
            facets: !self.no_facets,
            sort: self.sort,
        }
    }
}

pub fn run(g: &Globals, args: SearchArgs) -> Result<ExitCode> {
    let req = args.request();
    let kb = g.knowledge_base(false)?;
    let asked = args.retrieval.as_deref().and_then(Retrieval::parse);
    if let Some(format) = args.format.as_deref().and_then(ExportFormat::parse) {
        let model = g.model()?;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let rows = partnerkb::export::export(&kb, &req, asked, Some(&model), format, &mut out)?;
        out.flush()?;
        eprintln!("partnerkb: {rows} matching record(s) written");
        return Ok(if rows == 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let mut results = kb.search_as_asked(&req, asked)?;
    // `-n 0` asks for the count alone (the index needs a limit of at
    // least one, so the hit it gives is dropped here).
    if args.limit == 0 {
        results.hits.clear();
    }
    for note in results.notes.lines() {
        eprintln!("partnerkb: note: {note}");
    }
    if let Some(note) = results.retrieval.as_ref().and_then(|r| r.note.as_ref()) {
        eprintln!("partnerkb: note: {note}");
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        // What the API answers besides the results: the disjunctive
        // counts of each filter value, and which filter to drop when
        // nothing matched.
        let mut v = serde_json::to_value(&results)?;
        if req.facets {
            let used = results
                .retrieval
                .as_ref()
                .map_or(Retrieval::Lexical, |r| r.used);
            v["choices"] = serde_json::to_value(kb.choices(&req, used)?)?;
        }
        if results.total == 0 {
            v["relax"] = serde_json::to_value(kb.relaxations(&req, asked)?)?;
        }
        serde_json::to_writer(&mut out, &v)?;
        writeln!(out)?;
    } else {
        print_results(&mut out, &results, args.offset, g.color)?;
    }
    if results.total == 0 && !args.json {
        // Filters that found nothing: say which one to drop.
        for r in kb.relaxations(&req, asked)? {
            let flag = match r.filter {
                "gold_only" => "--gold-only".to_string(),
                name => format!("--{name} {}", r.value),
            };
            let more = if r.total_exact { "" } else { "more than " };
            eprintln!("partnerkb: without {flag}: {more}{} matching", r.total);
        }
    }
    Ok(if results.total == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Hits are numbered from `offset + 1`, so the second page goes on where
/// the first stopped.
fn print_results(
    out: &mut impl Write,
    r: &SearchResults,
    offset: usize,
    color: bool,
) -> std::io::Result<()> {
    let by_meaning = r.retrieval.as_ref().map_or(0, |n| n.by_meaning);
    if by_meaning > 0 && by_meaning < r.total {
        // A hybrid search: say which matches share the query's words.
        writeln!(
            out,
            "{} matching ({} by their words, {by_meaning} more by meaning), showing {}",
            r.total,
            r.total - by_meaning,
            r.hits.len()
        )?;
    } else if by_meaning > 0 {
        writeln!(
            out,
            "{} nearest by meaning, showing {}",
            r.total,
            r.hits.len()
        )?;
    } else if r.total_exact {
        writeln!(out, "{} matching, showing {}", r.total, r.hits.len())?;
    } else {
        writeln!(
            out,
            "more than {} matching, showing {}",
            r.total,
            r.hits.len()
        )?;
    }
    for (i, hit) in r.hits.iter().enumerate() {
        writeln!(out)?;
        writeln!(
            out,
            "{:>2}. [{}] {}  ({:.2})",
            offset + i + 1,
            hit.kind,
            hit.title,
            hit.score
        )?;
        let mut meta = vec![format!("id {}", hit.id)];
        meta.extend(hit.labels.iter().map(render::label));
        if let Some(source) = hit.record.get("source").and_then(|s| s.as_str()) {
            meta.push(format!("source {source}"));
        }
        writeln!(out, "    {}", meta.join(" · "))?;
        writeln!(
            out,
            "    {}",
            render::highlight(&hit.snippet, &hit.highlights, color)
        )?;
    }
    writeln!(out)?;
    for (facet, counts) in &r.facets {
        if counts.is_empty() {
            continue;
        }
        let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(out, "{facet:>9}: {}", parts.join(", "))?;
    }
    Ok(())
}

fn parse_sort(text: &str) -> std::result::Result<Sort, String> {
    Sort::parse(text).ok_or_else(|| format!("expected {}", Sort::NAMES))
}
