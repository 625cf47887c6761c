//! `inlet`: the desktop app, the headless listener and the command line (DESIGN §8).

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::args::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inlet: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
