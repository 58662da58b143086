//! The `kvrt` command line: `kvrt run <file>` and `kvrt test [paths]`.

use clap::{Parser, Subcommand};
use deno_permissions::PermissionsOptions;
use kvrt::flags::{strip_unstable_flags, DenoFlags};
use kvrt::resolver::ConfigOptions;
use kvrt::test::{ReporterKind, TestOptions};

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
        #[command(flatten)]
        flags: DenoFlags,
        /// The module to run (a path, relative to the working directory).
        file: String,
        /// Arguments passed to the script as `Deno.args`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run `Deno.test` suites (`*_test.ts`, `*.test.js`, ...), each module in
    /// a runtime of its own.
    Test {
        #[command(flatten)]
        flags: DenoFlags,
        /// Files or directories to search for test modules (default: the working directory).
        paths: Vec<String>,
        /// Run only tests whose name contains this text (or matches `/regex/`).
        #[arg(long)]
        filter: Option<String>,
        /// Stop after N failed tests (default 1).
        #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true, default_missing_value = "1")]
        fail_fast: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value = "pretty")]
        reporter: ReporterKind,
        /// Also write a JUnit XML report to PATH (`-`, the default, is standard output).
        #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "-")]
        junit_path: Option<String>,
        /// Run test modules in parallel (DENO_JOBS of them, default: the CPUs).
        #[arg(long)]
        parallel: bool,
        /// Shuffle the order of modules and tests (with SEED, reproducibly).
        #[arg(long, value_name = "SEED", num_args = 0..=1, require_equals = true)]
        shuffle: Option<Option<u64>>,
        /// Fail a test that leaves async ops running (a test's `sanitizeOps` overrides).
        #[arg(long)]
        sanitize_ops: bool,
        /// Fail a test that leaves resources open, such as a KV database (a
        /// test's `sanitizeResources` overrides).
        #[arg(long)]
        sanitize_resources: bool,
    },
    /// Back up, restore, export, import and inspect Deno KV databases.
    Kv(kvrt::kv_command::KvArgs),
}

/// Applies the flags every command shares; returns their configuration
/// part and the permissions they grant (`prompt`: whether undecided checks
/// may ask on a terminal). Bad permission flags end the process.
fn apply(flags: &DenoFlags, prompt: bool) -> (ConfigOptions, PermissionsOptions) {
    flags.apply();
    let permissions = flags.permissions(prompt);
    if let Err(message) = kvrt::permissions::from_options(&permissions) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
    let config = ConfigOptions {
        config: flags.config.clone(),
        no_config: flags.no_config,
        import_map: flags.import_map.clone(),
    };
    (config, permissions)
}

/// Native stack of the thread that runs JavaScript: QuickJS recurses on it
/// (the test runner's threads get the same).
const JS_THREAD_STACK: usize = kvrt::test::WORKER_STACK;

/// How much of that stack JavaScript may use before `RangeError: Maximum call
/// stack size exceeded` (V8's flag, in KiB; QuickJS's default is 1 MiB, which
/// stops reading a Map nested ~450 deep where Deno reads thousands).
const JS_STACK_KIB: usize = 16 * 1024;

fn main() {
    // Two TLS crypto providers are linked (see Cargo.toml); choose one for
    // every HTTPS client of the process. It fails only if one is already set.
    let _ = rustls::crypto::ring::default_provider().install_default();
    deno_core::v8_set_flags(vec!["kvrt".into(), format!("--stack-size={JS_STACK_KIB}")]);
    let cli = std::thread::Builder::new()
        .name("kvrt-main".into())
        .stack_size(JS_THREAD_STACK)
        .spawn(run_cli);
    let code = match cli.map(|thread| thread.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => 101,
        Err(err) => {
            eprintln!("error: cannot start the main thread: {err}");
            1
        }
    };
    std::process::exit(code);
}

/// Runs the command line; returns the exit code.
fn run_cli() -> i32 {
    let cli = Cli::parse_from(strip_unstable_flags(std::env::args().collect()));
    match cli.command {
        Command::Run { flags, file, args } => {
            let (config, permissions) = apply(&flags, true);
            kvrt::run::run_file(&file, args, &config, &permissions)
        }
        Command::Test {
            flags,
            paths,
            filter,
            fail_fast,
            reporter,
            junit_path,
            parallel,
            shuffle,
            sanitize_ops,
            sanitize_resources,
        } => {
            // `deno test` never prompts.
            let (config, permissions) = apply(&flags, false);
            kvrt::test::run_tests(TestOptions {
                paths,
                filter,
                fail_fast: fail_fast.map(|n| n.max(1)),
                reporter,
                junit_path,
                jobs: if parallel {
                    kvrt::test::parallel_jobs()
                } else {
                    1
                },
                shuffle: shuffle.map(|seed| seed.unwrap_or_else(kvrt::test::random_seed)),
                sanitize_ops,
                sanitize_resources,
                config,
                permissions,
            })
        }
        Command::Kv(args) => kvrt::kv_command::run(args),
    }
}
