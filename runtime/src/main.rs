//! The `kvrt` command line: `kvrt run <file>` and `kvrt test [paths]`.

use clap::{Parser, Subcommand};

/// A TypeScript runtime with Deno KV built in.
#[derive(Parser)]
#[command(name = "kvrt", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a JavaScript or TypeScript module.
    Run {
        /// The module to run (a path, relative to the working directory).
        file: String,
        /// Arguments passed to the script as `Deno.args`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run `Deno.test` suites (`*_test.ts`, `*.test.js`, ...).
    Test {
        /// Files or directories to search for test modules (default: the working directory).
        paths: Vec<String>,
        /// Run only tests whose name contains this text (or matches `/regex/`).
        #[arg(long)]
        filter: Option<String>,
        /// Stop after the first failure.
        #[arg(long)]
        fail_fast: bool,
    },
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run { file, args } => kvrt::run::run_file(&file, args),
        Command::Test {
            paths,
            filter,
            fail_fast,
        } => kvrt::test_command::run_tests(kvrt::test_command::TestOptions {
            paths,
            filter,
            fail_fast,
        }),
    };
    std::process::exit(code);
}
