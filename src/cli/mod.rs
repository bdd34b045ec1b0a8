//! The command line. Each subcommand lives in its own file with a plain
//! `…Args` struct; this module parses, dispatches and maps outcomes to exit
//! codes (documented in the README):
//!
//! * 0: success (and a closed stdout: `partnerkb stats | head -1`);
//! * 1: finished, but with a partial result (records rejected, nothing
//!   found, labels below `--min-confidence`… as each command documents);
//! * 2: failed through the user's input: bad arguments, an unreadable or
//!   invalid input file, a query that does not parse, an unknown label,
//!   an unusable model file, a directory that is not an index;
//! * 3: failed inside: the index could not be read or written, a stored
//!   document is damaged, output could not be written.
//!
//! The split follows the library's error type ([`partnerkb::Error`]):
//! [`partnerkb::UserError`] is 2, [`partnerkb::InternalError`] is 3.

/// `println!` that returns the write error instead of panicking: with
/// `partnerkb stats | head -1` stdout closes early, the error (a broken
/// pipe) travels up with `?`, and [`main`] ends quietly with status 0.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

mod classify;
mod compact;
mod completions;
mod delete;
mod doctor;
mod evaluate;
mod export;
mod generate;
mod ingest;
mod label;
mod progress;
mod reclassify;
mod reindex;
mod render;
mod review;
mod search;
#[cfg(feature = "server")]
mod serve;
mod show;
mod similar;
mod stats;
mod suggest;
mod table;
mod train;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use partnerkb::bundle;
use partnerkb::classify::Model;
use partnerkb::index::KnowledgeBase;
use partnerkb::typology::{Axis, Class, Vocabulary};
use partnerkb::Kind;
use std::path::PathBuf;
use std::process::ExitCode;

/// Search and classify multi-stakeholder partnerships by ideal type.
///
/// partnerkb keeps partnership descriptions and lessons learned in a
/// full-text index, labels partnerships on two axes (function:
/// operational/advocacy; mode: negotiation/coordination/implementation)
/// and lessons by the challenge they address, and finds lessons for a
/// given type of partnership. With no --index, a default index is built
/// from the bundled corpus on first use.
#[derive(Debug, Parser)]
#[command(name = "partnerkb", version, about, max_term_width = 100)]
pub struct Cli {
    /// When to colour matches and headings
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    pub color: render::ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add partnerships and lessons (JSONL, CSV, .txt/.md) to the index
    Ingest(ingest::IngestArgs),
    /// Search partnerships and lessons, with type filters and facet counts
    Search(search::SearchArgs),
    /// One record: its text, labels, the model's evidence and related lessons
    Show(show::ShowArgs),
    /// Records most like a given one, by the meaning of their text
    Similar(similar::SimilarArgs),
    /// Count documents per kind, label and source (or describe the corpus)
    Stats(stats::StatsArgs),
    /// Train the classifier on a labelled corpus
    Train(train::TrainArgs),
    /// Cross-validate the classifier: F1, confusion, calibration
    Evaluate(evaluate::EvaluateArgs),
    /// Label a description or a whole file, with evidence
    Classify(classify::ClassifyArgs),
    /// Propose the unlabelled records the model is least sure about
    Suggest(suggest::SuggestArgs),
    /// Correct or confirm a record's labels (with who and why), or show its trail
    Label(label::LabelArgs),
    /// List the predicted labels in the index most worth a person's look
    Review(review::ReviewArgs),
    /// Apply the current model to every predicted label in the index
    Reclassify(reclassify::ReclassifyArgs),
    /// Write corrected records with their trail (corpus format)
    Export(export::ExportArgs),
    /// Remove records from the index by id
    Delete(delete::DeleteArgs),
    /// Rebuild an index in this build's schema from its own records
    Reindex(reindex::ReindexArgs),
    /// Write a synthetic registry for scale benchmarks
    Generate(generate::GenerateArgs),
    /// Verify the model file and the index
    Doctor(doctor::DoctorArgs),
    /// Merge the index's segments for faster searches (after a bulk ingest)
    Compact(compact::CompactArgs),
    /// Serve the JSON API and the web page
    #[cfg(feature = "server")]
    Serve(serve::ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions(completions::CompletionsArgs),
    /// Print the man page
    Man(completions::ManArgs),
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("partnerkb: error: {}", describe(&err));
            ExitCode::from(exit_status(&err))
        }
    }
}

/// The error and its causes on one line, without repeating a cause whose
/// text the message already contains (typed errors often quote their
/// source).
pub(crate) fn describe(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

/// 3 when the library failed inside, else 2 (see the module's doc).
fn exit_status(err: &anyhow::Error) -> u8 {
    let internal = err.chain().any(|e| {
        matches!(
            e.downcast_ref::<partnerkb::Error>(),
            Some(partnerkb::Error::Internal(_))
        ) || e.downcast_ref::<partnerkb::InternalError>().is_some()
    });
    if internal {
        3
    } else {
        2
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = |io: &std::io::Error| io.kind() == std::io::ErrorKind::BrokenPipe;
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(broken)
            // The csv and serde_json writers wrap the I/O error of what
            // they write to stdout.
            || e.downcast_ref::<csv::Error>().is_some_and(|c| match c.kind() {
                csv::ErrorKind::Io(io) => broken(io),
                _ => false,
            })
            || e.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

fn run(cli: Cli) -> Result<ExitCode> {
    let color = cli.color.stdout_colored();
    // Each subcommand carries the options it uses; these build its context.
    let at = |o: &IndexOpts| Globals::new(o.index.clone(), o.model.model.clone(), color);
    let with = |o: &ModelOpt| Globals::new(None, o.model.clone(), color);
    let plain = Globals::new(None, None, color);
    match cli.command {
        Command::Ingest(args) => ingest::run(&at(&args.at), args),
        Command::Search(args) => search::run(&at(&args.at), args),
        Command::Show(args) => show::run(&at(&args.at), args),
        Command::Similar(args) => similar::run(&at(&args.at), args),
        Command::Stats(args) => stats::run(&at(&args.at), args),
        Command::Train(args) => train::run(&plain, args),
        Command::Evaluate(args) => evaluate::run(&with(&args.model), args),
        Command::Classify(args) => classify::run(&with(&args.model), args),
        Command::Suggest(args) => suggest::run(&with(&args.model), args),
        Command::Label(args) => label::run(&at(&args.at), args),
        Command::Review(args) => review::run(&at(&args.at), args),
        Command::Reclassify(args) => reclassify::run(&at(&args.at), args),
        Command::Export(args) => export::run(&at(&args.at), args),
        Command::Delete(args) => delete::run(&at(&args.at), args),
        Command::Reindex(args) => reindex::run(&at(&args.at), args),
        Command::Generate(args) => generate::run(&plain, args),
        Command::Doctor(args) => doctor::run(&at(&args.at), args),
        Command::Compact(args) => compact::run(&at(&args.at), args),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::run(&at(&args.at), args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
    }
}

/// clap's parser for a record kind: the library's [`Kind`] with its names
/// listed in `--help` (the library does not depend on clap).
pub(crate) fn kind_parser() -> impl clap::builder::TypedValueParser<Value = Kind> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Kind::ALL.iter().map(|k| k.name()))
        .map(|name| Kind::parse(&name).expect("one of the possible values"))
}

/// clap's parser for a class of one axis: the typology's own forgiving
/// parse (`Purpose-Roles` is `purpose_roles`) and its error, with the
/// classes listed in `--help` from the typology rather than a copy.
#[derive(Clone)]
pub(crate) struct ClassParser(pub Axis);

impl clap::builder::TypedValueParser for ClassParser {
    type Value = Class;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<Class, clap::Error> {
        let text = value.to_string_lossy();
        Class::parse(self.0, &text).map_err(|e| value_error(cmd, e))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0
                .classes()
                .iter()
                .map(|c| clap::builder::PossibleValue::new(*c)),
        ))
    }
}

/// clap's parser for a sector or scope, as [`ClassParser`] for classes.
#[derive(Clone)]
pub(crate) struct VocabularyParser<T>(std::marker::PhantomData<T>);

impl<T> VocabularyParser<T> {
    pub(crate) fn new() -> Self {
        VocabularyParser(std::marker::PhantomData)
    }
}

impl<T: Vocabulary + Clone> clap::builder::TypedValueParser for VocabularyParser<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<T, clap::Error> {
        T::parse(&value.to_string_lossy()).map_err(|e| value_error(cmd, e))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            T::all()
                .iter()
                .map(|v| clap::builder::PossibleValue::new(v.name())),
        ))
    }
}

fn value_error(cmd: &clap::Command, e: partnerkb::typology::UnknownValue) -> clap::Error {
    clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{e}\n")).with_cmd(cmd)
}

/// `--index` and `--model`, on the subcommands that read an index (the
/// default index is built with the model, so both go together).
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct IndexOpts {
    /// Index directory [default: the user's data directory]
    #[arg(long, env = "PARTNERKB_INDEX", value_name = "DIR")]
    pub index: Option<PathBuf>,
    #[command(flatten)]
    pub model: ModelOpt,
}

/// `--model`, on the subcommands that classify.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct ModelOpt {
    /// Model file [default: the bundled model]
    #[arg(long, env = "PARTNERKB_MODEL", value_name = "PATH")]
    pub model: Option<PathBuf>,
}

/// Global settings shared by the subcommands.
pub(crate) struct Globals {
    index: Option<PathBuf>,
    model: Option<PathBuf>,
    /// Colour on stdout (`--color`, resolved once).
    pub(crate) color: bool,
}

impl Globals {
    fn new(index: Option<PathBuf>, model: Option<PathBuf>, color: bool) -> Self {
        Globals {
            index,
            model,
            color,
        }
    }

    /// The model: `--model PATH` or the bundled one.
    pub(crate) fn model(&self) -> Result<Model> {
        match &self.model {
            Some(path) => Model::load(path).with_context(|| "loading the model".to_string()),
            None => Ok(Model::bundled()?),
        }
    }

    /// Raw bytes of the bundled model (for the default index's identity).
    fn model_identity(&self) -> Vec<u8> {
        match &self.model {
            Some(path) => path.display().to_string().into_bytes(),
            None => partnerkb::classify::BUNDLED_MODEL.as_bytes().to_vec(),
        }
    }

    /// The index directory: `--index`, or the default one.
    pub(crate) fn index_dir(&self) -> PathBuf {
        self.index.clone().unwrap_or_else(bundle::default_index_dir)
    }

    /// Open the index for reading or writing. An explicit `--index` is used
    /// as is (created when `create`); the default one is built from the
    /// bundle on first use. An index from an older build says so.
    pub(crate) fn knowledge_base(&self, create: bool) -> Result<KnowledgeBase> {
        let kb = self.knowledge_base_unchecked(create)?;
        // A damaged file fails the command (exit 3, naming the file)
        // rather than answering from what still decodes.
        kb.check_files()?;
        Ok(kb)
    }

    /// [`Self::knowledge_base`] without the file check: for `doctor`,
    /// which reports damage instead of failing on it.
    pub(crate) fn knowledge_base_unchecked(&self, create: bool) -> Result<KnowledgeBase> {
        let kb = self.open_knowledge_base(create)?;
        if let Some(note) = kb.schema_note() {
            eprintln!("partnerkb: note: {note}");
        }
        Ok(kb)
    }

    fn open_knowledge_base(&self, create: bool) -> Result<KnowledgeBase> {
        match &self.index {
            Some(dir) => {
                let kb = if create {
                    KnowledgeBase::open_or_create(dir)
                } else {
                    KnowledgeBase::open(dir)
                };
                Ok(kb?)
            }
            None => {
                let model = self.model()?;
                let dir = bundle::default_index_dir();
                Ok(bundle::ensure_default_index(
                    &dir,
                    Some(&model),
                    &self.model_identity(),
                    &|dir| {
                        eprintln!(
                            "partnerkb: building the default index from the bundled corpus in {}",
                            dir.display()
                        )
                    },
                )?)
            }
        }
    }
}
