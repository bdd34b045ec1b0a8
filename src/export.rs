//! A search's whole matching set written as rows, CSV or JSONL: what an
//! analyst takes into a spreadsheet (`partnerkb search … --format csv`,
//! `GET /api/search?…&format=csv`). Rows carry each axis's label with its
//! origin, probability and review flag, and the record's URL. The set is
//! read page by page, so memory stays bounded by a page whatever the
//! number of matches.

use crate::classify::Model;
use crate::error::{InternalError, Result};
use crate::index::{Hit, KnowledgeBase, Retrieval, SearchRequest};
use crate::label::Origin;
use crate::typology::Axis;
use std::io::Write;

/// Records read per page while exporting.
const PAGE: usize = 500;

/// How exported rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// A header row, then one row per record.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl ExportFormat {
    /// `csv` or `jsonl`.
    pub fn parse(name: &str) -> Option<ExportFormat> {
        match name {
            "csv" => Some(ExportFormat::Csv),
            "jsonl" => Some(ExportFormat::Jsonl),
            _ => None,
        }
    }

    /// `csv` or `jsonl`, as parsed (and the exported file's extension).
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Jsonl => "application/x-ndjson",
        }
    }
}

/// The columns, in order.
pub fn columns() -> Vec<String> {
    let mut out: Vec<String> = ["rank", "id", "kind", "title"].map(String::from).to_vec();
    for axis in Axis::ALL {
        for suffix in ["", "_origin", "_probability", "_review"] {
            out.push(format!("{}{suffix}", axis.name()));
        }
    }
    out.extend(["url", "source", "score"].map(String::from));
    out
}

/// One hit as its cells, in [`columns`] order. A predicted label is
/// flagged for review below the model's threshold for its axis (none
/// without a model); human labels never are.
fn cells(rank: usize, hit: &Hit, model: Option<&Model>) -> Vec<String> {
    let mut out = vec![
        rank.to_string(),
        hit.id.clone(),
        hit.kind.name().to_string(),
        hit.title.clone(),
    ];
    for axis in Axis::ALL {
        // A human label wins over a prediction on the same axis.
        let label = hit
            .labels
            .iter()
            .filter(|l| l.axis == axis)
            .min_by_key(|l| l.origin == Origin::Predicted);
        match label {
            Some(l) => {
                let review = l.origin == Origin::Predicted
                    && match (l.probability, model.and_then(|m| m.head(axis))) {
                        (Some(p), Some(head)) => p < head.review_threshold,
                        _ => false,
                    };
                out.push(l.label.to_string());
                out.push(l.origin.name().to_string());
                out.push(l.probability.map_or(String::new(), |p| format!("{p:.4}")));
                out.push(review.to_string());
            }
            None => out.extend(std::iter::repeat_n(String::new(), 4)),
        }
    }
    let url = hit.record.get("url").and_then(|v| v.as_str()).unwrap_or("");
    out.push(url.to_string());
    out.push(hit.source.clone());
    out.push(format!("{:.4}", hit.score));
    out
}

/// Where rows go.
enum Sink<'a> {
    Csv(Box<csv::Writer<&'a mut dyn Write>>),
    Jsonl(&'a mut dyn Write),
}

impl Sink<'_> {
    fn row(&mut self, names: &[String], row: Vec<String>) -> Result<()> {
        match self {
            Sink::Csv(w) => w
                .write_record(row.iter().map(|cell| spreadsheet_safe(cell).into_owned()))
                .map_err(output)?,
            Sink::Jsonl(out) => {
                let object: serde_json::Map<String, serde_json::Value> = names
                    .iter()
                    .zip(row)
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v)))
                    .collect();
                let mut line = serde_json::to_vec(&object)
                    .map_err(|e| InternalError::Output(std::io::Error::other(e)))?;
                line.push(b'\n');
                out.write_all(&line).map_err(InternalError::Output)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        match self {
            Sink::Csv(w) => w.flush(),
            Sink::Jsonl(out) => out.flush(),
        }
        .map_err(|e| InternalError::Output(e).into())
    }
}

/// Write every match of `req` (its limit and offset are ignored) to
/// `out`, in the search's order; returns the number of rows. A write
/// error (a closed pipe, a client gone) ends the export.
pub fn export(
    kb: &KnowledgeBase,
    req: &SearchRequest,
    retrieval: Option<Retrieval>,
    model: Option<&Model>,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<u64> {
    let names = columns();
    let mut sink = match format {
        ExportFormat::Csv => {
            let mut w = Box::new(csv::Writer::from_writer(out));
            w.write_record(&names).map_err(output)?;
            Sink::Csv(w)
        }
        ExportFormat::Jsonl => Sink::Jsonl(out),
    };
    let mut page = req.clone();
    page.facets = false;
    page.limit = PAGE;
    page.offset = 0;
    let mut rows = 0u64;
    loop {
        let results = kb.search_as_asked(&page, retrieval)?;
        let n = results.hits.len();
        for hit in &results.hits {
            rows += 1;
            sink.row(&names, cells(rows as usize, hit, model))?;
        }
        // Each page goes out whole: a reader sees rows as they come.
        sink.flush()?;
        if n < PAGE || (results.total_exact && results.total <= (page.offset + n) as u64) {
            break;
        }
        page.offset += n;
    }
    Ok(rows)
}

/// A cell a spreadsheet would run as a formula (`=HYPERLINK(…)` in a
/// registry's title) is written with a leading apostrophe, as OWASP
/// advises for CSV exports; JSONL keeps the text as it is.
fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn output(e: csv::Error) -> InternalError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => InternalError::Output(io),
        other => InternalError::Output(std::io::Error::other(format!("{other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_is_kept() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(
            spreadsheet_safe("Gavi, the Vaccine Alliance"),
            "Gavi, the Vaccine Alliance"
        );
        assert_eq!(spreadsheet_safe("0.9712"), "0.9712");
    }
}
