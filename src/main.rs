//! The `partnerkb` command: a thin layer over the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    partnerkb::cli::main()
}
