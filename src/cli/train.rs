//! `partnerkb train`

use super::Globals;
use anyhow::{Context, Result};
use clap::Args;
use partnerkb::classify::{train, TrainConfig};
use partnerkb::corpus::{self, TrainingCorpus};
use partnerkb::UserError;
use std::path::PathBuf;
use std::process::ExitCode;

/// Train the classifier: cross-validates logistic regression and a linear
/// SVM per axis, keeps the better, calibrates its probabilities and writes
/// the model file atomically. The same corpus, seed and date give a
/// byte-identical file.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labelled corpus files (partnerships and lessons, JSONL or CSV)
    /// [default: the corpus bundled in the binary]
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// Where to write the model (the maintainers regenerate the committed
    /// one with `--out models/default.json`)
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Seed for the cross-validation folds
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Cross-validation folds for model selection
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Training date recorded in the model [default: today, UTC]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// Cap on the vocabulary size
    #[arg(long, default_value_t = 20_000)]
    pub max_features: usize,
    /// Held-out labelled partnerships on which to choose each axis's
    /// review threshold [default: the bundled dev set, corpus/dev]
    #[arg(long, value_name = "FILE")]
    pub review_set: Option<PathBuf>,
    /// The largest share of labels the review threshold may flag
    #[arg(long, value_name = "SHARE", default_value_t = 0.25)]
    pub max_flagged: f64,
    /// Add the corrections journaled in this index to the corpus as gold
    /// (a correction wins over a corpus label for the same id)
    #[arg(long, value_name = "DIR")]
    pub corrections: Option<PathBuf>,
}

/// Today's date in UTC as YYYY-MM-DD (civil-from-days, Howard Hinnant).
pub(crate) fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Read the corpus files ([`corpus::load_training`]), or the bundled
/// corpus when none is named, printing each invalid record of a file that
/// has any before failing.
pub(crate) fn load_corpus(files: &[PathBuf]) -> Result<TrainingCorpus> {
    let loaded = if files.is_empty() {
        corpus::load_bundled_training()
    } else {
        corpus::load_training(files)
    };
    loaded.map_err(|e| {
        if let Some(UserError::InvalidCorpus { errors, .. }) = e.user() {
            for record in errors {
                eprintln!("{record}");
            }
        }
        e.into()
    })
}

pub fn run(_g: &Globals, args: TrainArgs) -> Result<ExitCode> {
    let config = TrainConfig {
        seed: args.seed,
        folds: args.folds,
        date: args.date.clone().unwrap_or_else(today),
        vocabulary: partnerkb::classify::features::VocabularyConfig {
            max_features: args.max_features,
            ..TrainConfig::default().vocabulary
        },
        ..TrainConfig::default()
    };
    config.check()?;
    let mut corpus = load_corpus(&args.corpus)?;
    let corrections = match &args.corrections {
        Some(dir) => {
            let kb = partnerkb::index::KnowledgeBase::open(dir)?;
            let used = corpus::add_corrections(&mut corpus, &kb)?;
            eprintln!(
                "partnerkb: {} correction(s) on {} record(s) from {} ({} replace corpus records)",
                used.corrections,
                used.records,
                dir.display(),
                used.replaced
            );
            Some(used)
        }
        None => None,
    };
    let started = std::time::Instant::now();
    if !(0.0..=1.0).contains(&args.max_flagged) {
        anyhow::bail!("--max-flagged must be between 0 and 1");
    }
    let mut model = train::train(&corpus.records, &config, corpus.sha256, corpus.files)?;
    model.training.corrections = corrections;
    let review_set = match &args.review_set {
        Some(path) => load_corpus(std::slice::from_ref(path))?,
        None => corpus::load_bundled_dev_corpus()?,
    };
    model.choose_review_thresholds(&review_set.records, review_set.sha256, args.max_flagged)?;
    model
        .save(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "partnerkb: trained on {} records in {:.1}s → {}",
        corpus.records.len(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    for head in &model.heads {
        eprintln!(
            "  {:<9} {} ({}) macro-F1 {:.3}, accuracy {:.3}, Brier {:.3}, ECE {:.3}",
            head.axis.name(),
            head.algorithm,
            head.regularization,
            head.metrics.macro_f1,
            head.metrics.accuracy,
            head.metrics.brier,
            head.metrics.ece
        );
        if head.review_threshold > 0.0 {
            eprintln!(
                "            review below {:.4} (chosen on {} held-out records)",
                head.review_threshold,
                model.training.review_set.as_ref().map_or(0, |s| s.records)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
