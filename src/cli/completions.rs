//! `partnerkb completions` and `partnerkb man`: generated from the same
//! clap definition that parses the arguments, so they cannot drift from
//! the commands.

use super::Cli;
use anyhow::Result;
use clap::{Args, CommandFactory};
use std::io::Write;
use std::process::ExitCode;

/// Print a shell completion script, e.g.
/// `partnerkb completions bash > ~/.local/share/bash-completion/completions/partnerkb`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Print the man page (roff), e.g. `partnerkb man | man -l -`
#[derive(Debug, Args)]
pub struct ManArgs {}

pub fn completions(args: CompletionsArgs) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    // clap_complete panics when its writer fails; a buffer cannot, and a
    // closed stdout then fails the write below like any other output.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "partnerkb", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn man(_: ManArgs) -> Result<ExitCode> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&page)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
