//! The Partnership Office server: a JSON API and one web page over the
//! same [`KnowledgeBase`] and [`Model`] the command line uses.
//!
//! Design choices, and why:
//!
//! * **Reads never wait for writes.** Searches take a tantivy searcher
//!   snapshot; `POST /api/ingest` commits once at the end of a request and
//!   only then reloads the reader, so a search sees either none or all of
//!   an ingested batch. Ingests are serialised by a mutex because an index
//!   has exactly one writer.
//! * **Writes are opt-in.** Without `--write-token` the server is
//!   read-only; with it, ingest needs that bearer token.
//! * **Bounded requests.** Bodies over the limit are refused (413), every
//!   request has a deadline (408) so a client that never finishes its body
//!   cannot hold a worker, and hyper's header-read timer (installed by
//!   `axum::serve`) cuts clients that never finish their headers.
//! * **Errors are JSON** (`{"error": "..."}`) with a status that says whose
//!   fault it is, mapped from [`crate::Error::is_user_error`] in one place.

mod api;
mod assets;

use crate::classify::Model;
use crate::index::KnowledgeBase;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Bearer token that enables `POST /api/ingest`; `None` = read-only.
    pub write_token: Option<String>,
    /// Largest request body accepted, in bytes.
    pub max_body: usize,
    /// Deadline for reading a request and producing its response.
    pub timeout: Duration,
    /// Path prefix the server answers under, behind a reverse proxy
    /// (`/partnerkb`); empty for the root. The page uses relative URLs,
    /// so it follows the prefix by itself.
    pub base_path: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            write_token: None,
            max_body: 10 * 1024 * 1024,
            timeout: Duration::from_secs(10),
            base_path: String::new(),
        }
    }
}

/// What every handler shares.
pub(crate) struct AppState {
    kb: KnowledgeBase,
    model: Model,
    config: ServerConfig,
    /// One index writer at a time.
    ingest_lock: tokio::sync::Mutex<()>,
}

/// The application: API routes, the page, limits and error mapping.
pub fn router(kb: KnowledgeBase, model: Model, config: ServerConfig) -> Router {
    let state = Arc::new(AppState {
        kb,
        model,
        config,
        ingest_lock: tokio::sync::Mutex::new(()),
    });
    let app = api::routes(state.clone())
        .merge(assets::routes())
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn(api::json_errors))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.config.max_body,
            api::declared_length,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.config.timeout,
            api::deadline,
        ));
    let base = state.config.base_path.trim_end_matches('/').to_string();
    let app = if base.is_empty() {
        app
    } else {
        // A router's own layers run after routing, so the prefix is taken
        // off by a service in front of the whole application.
        let prefixed = tower::ServiceBuilder::new()
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(base),
                api::base_path,
            ))
            .service(app);
        Router::new().fallback_service(prefixed)
    };
    app.layer(axum::middleware::from_fn(api::request_log))
}

/// Serve `app` on `listener` until `shutdown` resolves, then finish the
/// requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
