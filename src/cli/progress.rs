//! Progress on stderr: a bar on a terminal, plain periodic lines
//! otherwise (logs of a batch job), nothing with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Reports records processed, and an ETA when the input size is known.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: Option<Mutex<Instant>>,
    started: Instant,
    what: &'static str,
    bytes: Option<(Vec<Arc<AtomicU64>>, u64)>,
}

impl Progress {
    /// A reporter that also follows how far through their inputs the
    /// readers are: `(bytes-read counters, total size of the files)`.
    pub fn with_input(
        what: &'static str,
        quiet: bool,
        bytes: Option<(Vec<Arc<AtomicU64>>, u64)>,
    ) -> Progress {
        let started = Instant::now();
        let mut progress = Progress {
            bar: None,
            plain: None,
            started,
            what,
            bytes,
        };
        if quiet {
            return progress;
        }
        if std::io::stderr().is_terminal() {
            let total = progress.bytes.as_ref().map(|(_, t)| *t).filter(|t| *t > 0);
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            let template = if total.is_some() {
                "{bar:30} {percent:>3}% {msg} ETA {eta}"
            } else {
                "{spinner} {msg} {elapsed}"
            };
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            progress.bar = Some(bar);
        } else {
            progress.plain = Some(Mutex::new(started));
        }
        progress
    }

    /// Update with the count so far.
    pub fn update(&self, done: u64) {
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        if let Some(bar) = &self.bar {
            if let Some((read, _)) = &self.bytes {
                bar.set_position(read.iter().map(|r| r.load(Ordering::Relaxed)).sum());
            }
            bar.set_message(format!("{done} {} ({rate:.0}/s)", self.what));
        } else if let Some(last) = &self.plain {
            if let Ok(mut last) = last.lock() {
                if last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    let share = self.bytes.as_ref().filter(|(_, t)| *t > 0).map(|(r, t)| {
                        format!(
                            ", {:.0}%",
                            100.0 * r.iter().map(|r| r.load(Ordering::Relaxed)).sum::<u64>() as f64
                                / *t as f64
                        )
                    });
                    eprintln!(
                        "partnerkb: {done} {} read ({rate:.0}/s{})",
                        self.what,
                        share.unwrap_or_default()
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
