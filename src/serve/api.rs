//! The JSON API. Handlers translate HTTP to library calls and back; the
//! work itself (search, classification, ingest) is the library's, run on
//! the blocking pool so a slow request never stalls the async workers.

use super::AppState;
use crate::analyze::Analyzer;
use crate::error::{Error, InternalError, UserError};
use crate::export::ExportFormat;
use crate::index::{Change, LabelRequest, Retrieval, SearchRequest, Sort, WriterOptions};
use crate::ingest::IngestOptions;
use crate::ingest::{ingest as ingest_records, Input};
use crate::read::{self, ColumnMap, Format};
use crate::record::{Kind, Lesson, Partnership, Record};
use crate::typology::{Axis, Class, Sector, UnknownValue};
use crate::view::RecordView;
use axum::body::Body;
use axum::extract::{Path, Query, RawQuery, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

type Shared = Arc<AppState>;

/// Most hits one page of results may ask for.
const MAX_LIMIT: usize = 100;

/// Every API route. Ingest reads its own body under its own deadline (see
/// [`ingest`]); the others are bounded by [`deadline`] as a whole.
pub(super) fn routes(state: Shared) -> Router {
    let timeout = state.config.timeout;
    let bounded = Router::new()
        .route("/api/search", get(search))
        .route("/api/partnerships/{id}", get(partnership))
        .route("/api/lessons/{id}", get(lesson))
        .route(
            "/api/partnerships/{id}/similar",
            get(similar_to_partnership),
        )
        .route("/api/lessons/{id}/similar", get(similar_to_lesson))
        .route("/api/classify", post(classify))
        .route("/api/stats", get(stats))
        .route("/api/typology", get(typology))
        .route("/api/partnerships/{id}/labels/history", get(history))
        .route("/api/lessons/{id}/labels/history", get(history))
        .route("/api/review", get(review))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route_layer(axum::middleware::from_fn_with_state(timeout, deadline));
    Router::new()
        .route("/api/ingest", post(ingest))
        .route(
            "/api/partnerships/{id}",
            axum::routing::delete(delete_partnership),
        )
        .route("/api/lessons/{id}", axum::routing::delete(delete_lesson))
        .route("/api/partnerships/{id}/labels", post(label_partnership))
        .route("/api/lessons/{id}/labels", post(label_lesson))
        .merge(bounded)
        .with_state(state)
}

/// An error response: `{"error": message, "code": code}` with a status.
/// The code is the library's stable fault code when the library failed,
/// else one named for the HTTP fault (`bad_request`, `timeout`…).
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: status_code_name(status),
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

/// A code for faults found by the HTTP layer rather than the library.
fn status_code_name(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::SERVICE_UNAVAILABLE => "busy",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

/// The status of a library error follows from its type, here and only
/// here: user faults are 4xx (an unknown id 404), a busy writer is 503,
/// every other system fault 500.
impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let status = match &err {
            Error::User(UserError::NotFound(_)) => StatusCode::NOT_FOUND,
            Error::User(_) => StatusCode::BAD_REQUEST,
            Error::Internal(InternalError::WriterBusy { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError {
            status,
            code: err.code(),
            message: err.to_string(),
        }
    }
}

impl From<UnknownValue> for ApiError {
    fn from(err: UnknownValue) -> Self {
        Error::from(err).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({ "error": self.message, "code": self.code })),
        )
            .into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

type ApiResult<T = Json<Value>> = Result<T, ApiError>;

/// Run library work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
}

/// Cut requests that take longer than the deadline, reading the body
/// included: a client that opens a request and never finishes it gets 408
/// instead of holding the connection.
pub(super) async fn deadline(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => timed_out(limit).into_response(),
    }
}

fn timed_out(limit: Duration) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        format!(
            "request not completed within {} s",
            limit.as_secs_f64().round()
        ),
    )
}

/// Refuse a body whose declared length is over the limit before reading
/// any of it (a body without a declared length is cut when it reaches the
/// limit, by the extractors and by [`read_body`]).
pub(super) async fn declared_length(
    State(max): State<usize>,
    req: Request,
    next: Next,
) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(max).into_response();
    }
    next.run(req).await
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body is larger than the limit of {max} bytes"),
    )
}

/// Give every error the API's JSON shape, including those produced by
/// axum itself (rejected query strings, wrong methods, body limits).
/// Answer under `--base-path`: `/partnerkb/api/search` is routed as
/// `/api/search`; `/partnerkb` itself redirects to `/partnerkb/` (the
/// page's URLs are relative, so they resolve under the prefix only from
/// there); anything outside the prefix is not found.
pub(super) async fn base_path(
    State(base): State<Arc<String>>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if path == base.as_str() {
        return axum::response::Redirect::permanent(&format!("{base}/")).into_response();
    }
    let Some(rest) = path
        .strip_prefix(base.as_str())
        .filter(|r| r.starts_with('/'))
    else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no such path (this server answers under {base}/)"),
        )
        .into_response();
    };
    let rewritten = match req.uri().query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_string(),
    };
    match rewritten.parse() {
        Ok(uri) => {
            *req.uri_mut() = uri;
            next.run(req).await
        }
        Err(_) => ApiError::bad_request("malformed path").into_response(),
    }
}

/// One log line per request (through `tracing`, target
/// `partnerkb::request`): method, path (not the query, which may hold what
/// a colleague searched for), status, duration and body size when known.
/// The binary chooses the format (`serve --log-format text|json|off`).
pub(super) async fn request_log(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    let bytes = axum::body::HttpBody::size_hint(response.body()).exact();
    tracing::info!(
        target: "partnerkb::request",
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        bytes = bytes,
        "request"
    );
    response
}

pub(super) async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (_, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    ApiError::new(status, message).into_response()
}

/// Unknown paths.
pub(super) async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {} {}", req.method(), req.uri().path()),
    )
}

/// `GET /api/search` parameters. Unknown parameters are refused so that
/// a typo (`mod=` for `mode=`) is not silently an unfiltered search.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    #[serde(default)]
    q: String,
    kind: Option<String>,
    function: Option<String>,
    mode: Option<String>,
    challenge: Option<String>,
    sector: Option<String>,
    #[serde(default)]
    gold_only: bool,
    limit: Option<usize>,
    #[serde(default)]
    offset: usize,
    /// `false` skips the facet counts and counts matches only up to 10,000
    /// (faster on very large indexes).
    facets: Option<bool>,
    /// `lexical`, `semantic` or `hybrid`; by default hybrid when the index
    /// holds vectors, else lexical.
    retrieval: Option<String>,
    /// `relevance` (default), `name`, `start_year` or `confidence`, each
    /// optionally `:asc` or `:desc`.
    sort: Option<String>,
    /// `csv` or `jsonl`: the whole matching set as rows (see
    /// [`crate::export`]), streamed, instead of a page of JSON.
    format: Option<String>,
}

/// The filters that take several values (OR within the axis): repeated
/// (`mode=a&mode=b`) or comma separated (`mode=a,b`).
const MULTI_VALUED: [&str; 4] = ["function", "mode", "challenge", "sector"];

/// `GET /api/search`'s query string as [`SearchParams`]: each multi-valued
/// filter's repetitions joined with commas, any other parameter given
/// twice refused (which of two limits would be meant?).
fn search_params(raw: Option<&str>) -> ApiResult<SearchParams> {
    let mut merged: Vec<(String, String)> = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match merged.iter_mut().find(|(k, _)| *k == key) {
            Some((_, joined)) if MULTI_VALUED.contains(&&*key) => {
                if !value.trim().is_empty() {
                    if !joined.trim().is_empty() {
                        joined.push(',');
                    }
                    joined.push_str(&value);
                }
            }
            Some(_) => {
                return Err(ApiError::bad_request(format!(
                    "`{key}` is given twice; it takes one value"
                )))
            }
            None => merged.push((key.into_owned(), value.into_owned())),
        }
    }
    let joined = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&merged)
        .finish();
    // Through serde_path_to_error, so that a bad value names its
    // parameter (`limit: invalid digit found in string`).
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(joined.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        ApiError::bad_request(if at == "." {
            e.inner().to_string()
        } else {
            format!("{at}: {}", e.inner())
        })
    })
}

/// Form fields arrive as empty strings when unset.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn parse_kind(value: Option<String>) -> ApiResult<Option<Kind>> {
    Ok(non_empty(value).map(|v| Kind::parse(&v)).transpose()?)
}

/// The values of a multi-valued filter: comma separated, blanks skipped.
fn values(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_classes(axis: Axis, value: Option<String>) -> ApiResult<Vec<Class>> {
    let mut out: Vec<Class> = Vec::new();
    for v in values(value) {
        let class = Class::parse(axis, &v)?;
        if !out.contains(&class) {
            out.push(class);
        }
    }
    Ok(out)
}

fn parse_sectors(value: Option<String>) -> ApiResult<Vec<Sector>> {
    let mut out: Vec<Sector> = Vec::new();
    for v in values(value) {
        let sector = Sector::parse(&v)?;
        if !out.contains(&sector) {
            out.push(sector);
        }
    }
    Ok(out)
}

async fn search(State(state): State<Shared>, RawQuery(raw): RawQuery) -> ApiResult<Response> {
    let p = search_params(raw.as_deref())?;
    let limit = p.limit.unwrap_or(10);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let asked = match non_empty(p.retrieval) {
        None => None,
        Some(r) => Some(Retrieval::parse(&r).ok_or_else(|| {
            ApiError::bad_request(format!(
                "retrieval must be lexical, semantic or hybrid, not `{r}`"
            ))
        })?),
    };
    let req = SearchRequest {
        query: p.q,
        kind: parse_kind(p.kind)?,
        function: parse_classes(Axis::Function, p.function)?,
        mode: parse_classes(Axis::Mode, p.mode)?,
        challenge: parse_classes(Axis::Challenge, p.challenge)?,
        sector: parse_sectors(p.sector)?,
        gold_only: p.gold_only,
        limit,
        offset: p.offset,
        facets: p.facets.unwrap_or(true),
        sort: match non_empty(p.sort) {
            None => Sort::Relevance,
            Some(name) => Sort::parse(&name).ok_or_else(|| {
                ApiError::bad_request(format!("sort must be {}, not `{name}`", Sort::NAMES))
            })?,
        },
    };
    if let Some(name) = non_empty(p.format) {
        let format = ExportFormat::parse(&name).ok_or_else(|| {
            ApiError::bad_request(format!("format must be csv or jsonl, not `{name}`"))
        })?;
        return Ok(export_response(state, req, asked, format));
    }
    blocking(move || {
        let results = state.kb.search_as_asked(&req, asked)?;
        let mut notes = results.notes.lines();
        notes.extend(results.retrieval.as_ref().and_then(|r| r.note.clone()));
        // Nothing found under filters: which one to drop, for how many.
        let relax = if results.total == 0 {
            state.kb.relaxations(&req, asked)?
        } else {
            Vec::new()
        };
        // What each filter value's click would give, in the same answer.
        let choices = if req.facets {
            let used = results
                .retrieval
                .as_ref()
                .map_or(Retrieval::Lexical, |r| r.used);
            Some(state.kb.choices(&req, used)?)
        } else {
            None
        };
        Ok(Json(json!({
            "relax": relax,
            "choices": choices,
            "total": results.total,
            "total_exact": results.total_exact,
            "offset": req.offset,
            "limit": req.limit,
            "hits": results.hits,
            "facets": results.facets,
            // How the query was read, structured and as sentences.
            "reading": results.notes,
            "retrieval": results.retrieval,
            "notes": notes,
        })))
    })
    .await
    .map(IntoResponse::into_response)
}

/// What an export writes into: chunks sent to the response body as they
/// fill, so a large export streams in bounded memory, and a client that
/// goes away ends it (the send fails, the export stops on the write
/// error).
struct ChannelWriter {
    buffer: Vec<u8>,
    sender: tokio::sync::mpsc::Sender<Vec<u8>>,
}

/// Bytes gathered before a chunk is sent.
const EXPORT_CHUNK: usize = 64 << 10;

impl std::io::Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= EXPORT_CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.buffer);
        self.sender
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

/// `GET /api/search?…&format=csv|jsonl`: the export runs on the blocking
/// pool and streams through a small channel. Its status is 200 once
/// started; a failure midway ends the body early (the rows so far are
/// whole) and is logged.
fn export_response(
    state: Shared,
    req: SearchRequest,
    asked: Option<Retrieval>,
    format: ExportFormat,
) -> Response {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    tokio::task::spawn_blocking(move || {
        let mut writer = ChannelWriter {
            buffer: Vec::new(),
            sender,
        };
        let result = crate::export::export(
            &state.kb,
            &req,
            asked,
            Some(&state.model),
            format,
            &mut writer,
        )
        .and_then(|_| {
            std::io::Write::flush(&mut writer).map_err(|e| InternalError::Output(e).into())
        });
        if let Err(e) = result {
            if !matches!(&e, Error::Internal(InternalError::Output(io)) if io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                eprintln!("partnerkb: export failed: {e}");
            }
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), receiver))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, format.content_type())
        .header(
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"partnerkb-search.{}\"",
                format.name()
            ),
        )
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The typology the server was built with, so the page draws its filters,
/// badges and tooltips from it instead of keeping a copy: kinds and their
/// axes, each axis's classes in the codebook's order, sectors, scopes, and
/// every value's title and definition.
async fn typology() -> Json<Value> {
    use crate::typology::{presentation, Scope};
    let kinds: BTreeMap<&str, Value> = Kind::ALL
        .iter()
        .map(|k| (k.name(), json!({ "axes": k.axes() })))
        .collect();
    let axes: BTreeMap<&str, Value> = Axis::ALL
        .iter()
        .map(|a| {
            let body = json!({
                "kind": a.kind(),
                "title": a.title(),
                "classes": a.codebook_order(),
            });
            (a.name(), body)
        })
        .collect();
    let names = Kind::ALL
        .iter()
        .map(|k| k.name())
        .chain(Axis::ALL.iter().flat_map(|a| a.classes().iter().copied()))
        .chain(Sector::ALL.iter().map(|s| s.name()))
        .chain(Scope::ALL.iter().map(|s| s.name()));
    let values: BTreeMap<&str, Value> = names
        .filter_map(|name| {
            let (title, definition) = presentation(name)?;
            Some((name, json!({ "title": title, "definition": definition })))
        })
        .collect();
    Json(json!({
        "kinds": kinds,
        "axes": axes,
        "sectors": Sector::ALL,
        "scopes": Scope::ALL,
        "values": values,
    }))
}

async fn stats(State(state): State<Shared>) -> ApiResult {
    blocking(move || {
        let mut stats = json!(state.kb.stats()?);
        // Which model this server labels with; `facets.model` says which
        // models labelled how many of the records already indexed.
        stats["writes"] = json!(state.config.write_token.is_some());
        stats["model"] = json!({
            "id": state.model.id(),
            "trained_on": state.model.training.trained_on,
        });
        Ok(Json(stats))
    })
    .await
}

async fn partnership(State(state): State<Shared>, Path(id): Path<String>) -> ApiResult {
    blocking(move || detail(&state, &id, Kind::Partnership)).await
}

async fn lesson(State(state): State<Shared>, Path(id): Path<String>) -> ApiResult {
    blocking(move || detail(&state, &id, Kind::Lesson)).await
}

/// `GET /api/{partnerships,lessons}/{id}/similar` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimilarParams {
    kind: Option<String>,
    function: Option<String>,
    mode: Option<String>,
    limit: Option<usize>,
}

async fn similar_to_partnership(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(p): Query<SimilarParams>,
) -> ApiResult {
    similar(state, id, Kind::Partnership, p).await
}

async fn similar_to_lesson(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(p): Query<SimilarParams>,
) -> ApiResult {
    similar(state, id, Kind::Lesson, p).await
}

/// The records most like record `id` of `kind` (see
/// [`crate::index::KnowledgeBase::similar`]): empty when it has no vectors.
async fn similar(state: Shared, id: String, kind: Kind, p: SimilarParams) -> ApiResult {
    let limit = p.limit.unwrap_or(10);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let filter = SearchRequest {
        kind: parse_kind(p.kind)?,
        function: parse_classes(Axis::Function, p.function)?,
        mode: parse_classes(Axis::Mode, p.mode)?,
        limit,
        facets: false,
        ..SearchRequest::default()
    };
    blocking(move || {
        if state.kb.get(&id)?.kind != kind {
            return Err(Error::from(UserError::NotFound(id)).into());
        }
        let hits = state.kb.similar(&id, &filter)?;
        Ok(Json(json!({ "id": id, "hits": hits })))
    })
    .await
}

/// The model's classification of `record` with evidence, per axis.
fn classification(state: &AppState, record: &Record) -> Result<Value, Error> {
    let predictions = state.model.classify(
        &mut Analyzer::default(),
        record,
        0.0,
        crate::view::EVIDENCE_TERMS,
    )?;
    Ok(json!(predictions))
}

fn detail(state: &AppState, id: &str, kind: Kind) -> ApiResult {
    let view = RecordView::load(&state.kb, &state.model, id, Some(kind))?;
    Ok(Json(json!(view)))
}

/// `POST /api/classify` body: a description, or a whole record.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassifyBody {
    text: Option<String>,
    #[serde(default)]
    name: String,
    kind: Option<Kind>,
    record: Option<Value>,
}

async fn classify(State(state): State<Shared>, body: axum::body::Bytes) -> ApiResult {
    let body: ClassifyBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("request body: {e}")))?;
    let record = match (body.text, body.record) {
        (Some(text), None) if text.trim().is_empty() => {
            return Err(ApiError {
                code: "empty_text",
                ..ApiError::bad_request("`text` is empty: nothing to classify")
            })
        }
        (Some(text), None) => match body.kind.unwrap_or(Kind::Partnership) {
            Kind::Partnership => {
                Record::Partnership(Partnership::from_text("text", &body.name, &text))
            }
            Kind::Lesson => Record::Lesson(Lesson::from_text("text", &body.name, &text)),
        },
        (None, Some(record)) => parse_record(record, body.kind)?,
        _ => {
            return Err(ApiError::bad_request(
                "request body needs exactly one of `text` or `record`",
            ))
        }
    };
    blocking(move || {
        let classification = classification(&state, &record)?;
        Ok(Json(json!({
            "id": record.id(),
            "kind": record.kind().name(),
            "classification": classification,
        })))
    })
    .await
}

/// Read a record the way `ingest` reads a JSONL line, so the API applies
/// the same validation and names the same fields in its errors.
fn parse_record(record: Value, kind: Option<Kind>) -> ApiResult<Record> {
    let line = serde_json::to_vec(&record).unwrap_or_default();
    let mut items = read::open_reader(
        "record".into(),
        Box::new(std::io::Cursor::new(line)),
        Format::Jsonl,
        kind,
        &ColumnMap::default(),
    )?;
    match items.next() {
        Some(Ok(located)) => Ok(located.record),
        Some(Err(e)) => Err(ApiError::bad_request(format!("{}: {}", e.field, e.reason))),
        None => Err(ApiError::bad_request("`record` is empty")),
    }
}

/// `POST /api/ingest` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IngestParams {
    /// `jsonl` (default) or `csv`.
    format: Option<String>,
    kind: Option<String>,
    /// Commit nothing if any record is bad.
    #[serde(default)]
    strict: bool,
}

/// Compare tokens in time independent of where they differ.
fn same_token(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn authorised(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let Some(expected) = &state.config.write_token else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this server is read-only (start it with --write-token to accept ingest and corrections)",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if same_token(given.trim().as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "missing or wrong bearer token",
        ))
    }
}

/// Read the whole body within the size limit and the deadline. The
/// deadline covers only the reading: once the records are in hand the
/// ingest runs to its commit, so a client never gets a timeout for a batch
/// that was in fact written.
async fn read_body(state: &AppState, body: Body) -> ApiResult<Vec<u8>> {
    let max = state.config.max_body;
    let read = tokio::time::timeout(state.config.timeout, axum::body::to_bytes(body, max));
    match read.await {
        Err(_) => Err(timed_out(state.config.timeout)),
        Ok(Ok(bytes)) => Ok(bytes.to_vec()),
        Ok(Err(e)) => {
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if over {
                Err(too_large(max))
            } else {
                Err(ApiError::bad_request(format!("request body: {e}")))
            }
        }
    }
}

async fn ingest(
    State(state): State<Shared>,
    Query(p): Query<IngestParams>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    authorised(&state, &headers)?;
    let format = match non_empty(p.format).as_deref() {
        None | Some("jsonl") => Format::Jsonl,
        Some("csv") => Format::Csv,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown format `{other}`, expected jsonl or csv"
            )))
        }
    };
    let kind = parse_kind(p.kind)?;
    let bytes = read_body(&state, body).await?;
    // One writer per index: ingests queue here, searches do not.
    let _writer = state.ingest_lock.lock().await;
    let work = state.clone();
    blocking(move || {
        let items = read::open_reader(
            "request".into(),
            Box::new(std::io::Cursor::new(bytes)),
            format,
            kind,
            &ColumnMap::default(),
        )?;
        let options = IngestOptions {
            strict: p.strict,
            // One commit per request: searches see all of it or none.
            batch_size: usize::MAX,
            ..IngestOptions::default()
        };
        let input = Input {
            origin: "api".into(),
            items,
            replace: false,
        };
        let report = ingest_records(&work.kb, vec![input], Some(&work.model), &options, &|_| {})?;
        let status = if report.indexed == 0 && !report.rejected.is_empty() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let rejected: Vec<Value> = report
            .rejected
            .iter()
            .map(|e| json!({"line": e.line, "field": e.field, "reason": e.reason, "message": e.to_string()}))
            .collect();
        let body = json!({
            "read": report.read,
            "indexed": report.indexed,
            "predicted": report.predicted,
            "rejected": rejected,
            "warnings": report.warnings,
            "total_docs": report.total_docs,
        });
        if status == StatusCode::OK {
            Ok(Json(body))
        } else {
            Err(ApiError::new(
                status,
                format!(
                    "no record could be ingested: {}",
                    report.rejected[0]
                ),
            ))
        }
    })
    .await
}

/// The body of `POST /api/{kind}/{id}/labels`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelBody {
    /// Axis → new class, e.g. `{"mode": "implementation"}`.
    #[serde(default)]
    labels: BTreeMap<String, String>,
    /// Axes whose current label is confirmed.
    #[serde(default)]
    confirm: Vec<String>,
    reason: Option<String>,
    by: Option<String>,
}

async fn label_partnership(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    label(state, id, Kind::Partnership, headers, body).await
}

async fn label_lesson(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    label(state, id, Kind::Lesson, headers, body).await
}

async fn delete_partnership(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    delete(state, id, Kind::Partnership, headers).await
}

async fn delete_lesson(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    delete(state, id, Kind::Lesson, headers).await
}

/// Remove one record (token-guarded, as every write): 404 when the index
/// has no record of that kind with that id.
async fn delete(state: Shared, id: String, kind: Kind, headers: HeaderMap) -> ApiResult {
    authorised(&state, &headers)?;
    let _writer = state.ingest_lock.lock().await;
    let work = state.clone();
    blocking(move || {
        let report = work.kb.delete(
            std::slice::from_ref(&id),
            Some(kind),
            &WriterOptions::default(),
        )?;
        if report.deleted.is_empty() {
            return Err(Error::from(UserError::NotFound(id)).into());
        }
        Ok(Json(
            json!({ "id": id, "deleted": true, "total": work.kb.num_docs() }),
        ))
    })
    .await
}

/// Record a correction: journaled and synced, then committed to the index,
/// before the answer; so a 200 survives a kill -9 that follows it.
async fn label(state: Shared, id: String, kind: Kind, headers: HeaderMap, body: Body) -> ApiResult {
    authorised(&state, &headers)?;
    let bytes = read_body(&state, body).await?;
    let body: LabelBody = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("request body: {e}")))?;
    let mut changes = Vec::new();
    for (axis, value) in &body.labels {
        let axis = Axis::parse(axis)?;
        changes.push(Change::Set(Class::parse(axis, value)?));
    }
    for axis in &body.confirm {
        changes.push(Change::Confirm(Axis::parse(axis)?));
    }
    let req = LabelRequest {
        id,
        kind: Some(kind),
        changes,
        by: body.by.unwrap_or_default(),
        reason: body.reason,
    };
    // Corrections from many clients queue here instead of finding the
    // writer busy.
    let _writer = state.ingest_lock.lock().await;
    let work = state.clone();
    blocking(move || {
        let made = work.kb.correct(&req, &WriterOptions::default())?;
        let hit = work.kb.get(&req.id)?;
        Ok(Json(json!({
            "id": hit.id,
            "corrections": made,
            "labels": hit.labels,
        })))
    })
    .await
}

async fn history(
    State(state): State<Shared>,
    matched: axum::extract::MatchedPath,
    Path(id): Path<String>,
) -> ApiResult {
    let kind = if matched.as_str().starts_with("/api/lessons/") {
        Kind::Lesson
    } else {
        Kind::Partnership
    };
    blocking(move || {
        let trail = state.kb.history(&id)?;
        // A record of another kind, or one never indexed and never
        // corrected, is not found; a removed record keeps its trail.
        match state.kb.get(&id) {
            Ok(hit) if hit.kind != kind => return Err(Error::from(UserError::NotFound(id)).into()),
            Err(e) if trail.is_empty() => return Err(e.into()),
            _ => {}
        }
        Ok(Json(json!({ "id": id, "history": trail })))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewParams {
    axis: Option<String>,
    limit: Option<usize>,
}

async fn review(State(state): State<Shared>, Query(p): Query<ReviewParams>) -> ApiResult {
    let axis = non_empty(p.axis).map(|a| Axis::parse(&a)).transpose()?;
    let limit = p.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    blocking(move || {
        let queue = crate::review::queue(
            &state.kb,
            &state.model,
            &crate::review::ReviewRequest {
                axis,
                limit,
                evidence: crate::view::EVIDENCE_TERMS,
            },
        )?;
        Ok(Json(json!(queue)))
    })
    .await
}

/// The process is up (for a load balancer's liveness check).
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The index answers and the model is loaded: ready for traffic. 503
/// otherwise, so a reverse proxy sends requests elsewhere.
async fn readyz(State(state): State<Shared>) -> Response {
    let work = state.clone();
    let checked = blocking(move || {
        work.kb.reload()?;
        Ok(work.kb.num_docs())
    })
    .await;
    match checked {
        Ok(docs) => Json(json!({
            "status": "ready",
            "documents": docs,
            "model": state.model.id(),
            "schema_version": state.kb.schema_version(),
        }))
        .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "error": e.message, "code": e.code })),
        )
            .into_response(),
    }
}
