//! The `partnerkb` command: a thin layer over the library. The command
//! line lives in the binary, not the library, so that a program using
//! `partnerkb` as a library does not compile clap or indicatif.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
