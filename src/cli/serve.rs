//! `partnerkb serve`

use super::Globals;
use anyhow::{Context, Result};
use clap::Args;
use partnerkb::serve::{self, ServerConfig};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// Serve the JSON API and the Partnership Office web page over the index.
/// Read-only unless --write-token is given; binds to loopback unless told
/// otherwise. Prints `listening on http://ADDR` once ready.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub at: super::IndexOpts,
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Accept POST /api/ingest with this bearer token
    #[arg(
        long,
        env = "PARTNERKB_WRITE_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub write_token: Option<String>,
    /// Largest request body, in MB
    #[arg(long, default_value_t = 10, value_name = "MB")]
    pub max_body_mb: usize,
    /// Seconds a request may take, reading its body included
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Serve under this path prefix (behind a reverse proxy that forwards
    /// `/partnerkb/…` unchanged), e.g. `/partnerkb`
    #[arg(long, value_name = "PATH", default_value = "")]
    pub base_path: String,
    /// One line per request on stderr: text, json, or off
    #[arg(long, value_parser = ["text", "json", "off"], default_value = "text")]
    pub log_format: String,
}

pub fn run(g: &Globals, args: ServeArgs) -> Result<ExitCode> {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        anyhow::bail!("--timeout must be a positive number of seconds");
    }
    if args
        .write_token
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        anyhow::bail!("--write-token must not be empty");
    }
    let model = g.model()?;
    let kb = g.knowledge_base(true)?;
    if args.write_token.is_some() {
        // A crash between a correction's journal line and its commit left
        // the index behind the journal: catch up before serving.
        let n = kb.sync_corrections(&partnerkb::index::WriterOptions::default())?;
        if n > 0 {
            eprintln!("partnerkb: applied journaled corrections to {n} record(s)");
        }
    }
    let base_path = args.base_path.trim_end_matches('/').to_string();
    if !base_path.is_empty() && (!base_path.starts_with('/') || base_path.contains(['?', '#', ' ']))
    {
        anyhow::bail!(
            "--base-path must be a path such as /partnerkb, not `{}`",
            args.base_path
        );
    }
    let config = ServerConfig {
        write_token: args.write_token.clone(),
        max_body: args.max_body_mb.saturating_mul(1024 * 1024),
        timeout: Duration::from_secs_f64(args.timeout),
        base_path: base_path.clone(),
    };
    // Request lines go to stderr; stdout keeps the one `listening on` line
    // that scripts read.
    let log = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    match args.log_format.as_str() {
        "json" => {
            let _ = log.json().with_current_span(false).try_init();
        }
        "text" => {
            let _ = log.try_init();
        }
        _ => {}
    }
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "partnerkb: warning: listening on {}, reachable from other machines",
            args.addr.ip()
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let local = listener.local_addr()?;
        outln!(
            "listening on http://{local}{base_path}/ ({} documents, {})",
            kb.num_docs(),
            if config.write_token.is_some() {
                "ingest enabled"
            } else {
                "read-only"
            }
        )?;
        use std::io::Write;
        std::io::stdout().flush()?;
        let app = serve::router(kb, model, config);
        serve::serve(listener, app, serve::shutdown_signal())
            .await
            .context("serving")?;
        Ok(ExitCode::SUCCESS)
    })
}
