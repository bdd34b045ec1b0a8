//! Progress on stderr: a bar on a terminal, plain periodic lines
//! otherwise (logs of a batch job), nothing with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Reports records processed.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: Option<Mutex<Instant>>,
    started: Instant,
    what: &'static str,
}

impl Progress {
    /// `total` is the number of input bytes when known (for an ETA).
    pub fn new(what: &'static str, quiet: bool) -> Progress {
        let started = Instant::now();
        if quiet {
            return Progress {
                bar: None,
                plain: None,
                started,
                what,
            };
        }
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {pos} {msg} read ({per_sec}) {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(what);
            bar.enable_steady_tick(Duration::from_millis(200));
            Progress {
                bar: Some(bar),
                plain: None,
                started,
                what,
            }
        } else {
            Progress {
                bar: None,
                plain: Some(Mutex::new(started)),
                started,
                what,
            }
        }
    }

    /// Update with the count so far.
    pub fn update(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        } else if let Some(last) = &self.plain {
            if let Ok(mut last) = last.lock() {
                if last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    let secs = self.started.elapsed().as_secs_f64().max(1e-9);
                    eprintln!(
                        "partnerkb: {done} {} read ({:.0}/s)",
                        self.what,
                        done as f64 / secs
                    );
                }
            }
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Seconds since start.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}
