//! The `fleet` binary: parse the command line, run, report.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = fleet::cli::Cli::parse();
    fleet::app::run(cli)
}
