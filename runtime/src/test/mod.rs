//! `kvrt test`: finds test modules, runs each in a runtime of its own
//! (on worker threads, several at once with `--parallel`) and reports the
//! events through the chosen reporters, as `deno test` does.

mod discover;
mod event;
mod file_runner;
mod filter;
mod label;
pub mod ops;
mod order;
mod reporter;
mod sanitizer;
mod summary;

use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use deno_core::ModuleSpecifier;

use deno_permissions::PermissionsOptions;

use crate::resolver::ConfigOptions;

pub use reporter::ReporterKind;

use file_runner::RunContext;
use filter::NameFilter;
use order::Shuffler;
use reporter::Reporter;
use summary::Summary;

/// Stack of a thread that runs test modules (QuickJS recurses on it).
pub const WORKER_STACK: usize = 64 * 1024 * 1024;

/// Options of `kvrt test`.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Files or directories to search; the working directory when empty.
    pub paths: Vec<String>,
    /// Only run tests whose name contains this text, or matches `/regex/`.
    pub filter: Option<String>,
    /// Stop after this many failed tests.
    pub fail_fast: Option<usize>,
    pub reporter: ReporterKind,
    /// Also write a JUnit report here (`-` is standard output).
    pub junit_path: Option<String>,
    /// How many modules run at once.
    pub jobs: usize,
    /// Shuffle modules and tests with this seed.
    pub shuffle: Option<u64>,
    pub sanitize_ops: bool,
    pub sanitize_resources: bool,
    /// Where each module's configuration (import map) comes from.
    pub config: ConfigOptions,
    /// What the flags grant; each module starts with these.
    pub permissions: PermissionsOptions,
}

/// The number of modules `--parallel` runs at once: `DENO_JOBS`, else the CPUs.
pub fn parallel_jobs() -> usize {
    std::env::var("DENO_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// A seed for `--shuffle` without a value.
pub fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return std::process::id() as u64;
    }
    u64::from_le_bytes(bytes)
}

/// Runs the test command; returns the process exit code.
pub fn run_tests(options: TestOptions) -> i32 {
    let files = match discover::discover(&options.paths) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("error: {message}");
            return 1;
        }
    };
    if files.is_empty() {
        eprintln!("error: No test modules found");
        return 1;
    }
    let filter = match NameFilter::parse(options.filter.as_deref()) {
        Ok(filter) => filter,
        Err(message) => {
            eprintln!("error: {message}");
            return 1;
        }
    };
    let mut specifiers = Vec::new();
    for file in &files {
        match ModuleSpecifier::from_file_path(file) {
            Ok(specifier) => specifiers.push(specifier),
            Err(()) => {
                eprintln!("error: not a file path: {}", file.display());
                return 1;
            }
        }
    }
    if let Some(seed) = options.shuffle {
        Shuffler::new(seed).shuffle(&mut specifiers);
    }
    let mut reporters = match reporters(&options, filter.is_set()) {
        Ok(reporters) => reporters,
        Err(message) => {
            eprintln!("error: {message}");
            return 1;
        }
    };

    let start = Instant::now();
    let (sender, events) = mpsc::channel();
    let ctx = Arc::new(RunContext {
        events: sender,
        ids: Arc::new(AtomicUsize::new(1)),
        filter,
        shuffle: options.shuffle,
        sanitize_ops: options.sanitize_ops,
        sanitize_resources: options.sanitize_resources,
        fail_fast: options.fail_fast,
        failures: Arc::new(AtomicUsize::new(0)),
        config: options.config.clone(),
        permissions: options.permissions.clone(),
    });
    let queue = Arc::new(Mutex::new(VecDeque::from(specifiers)));
    let mut workers = Vec::new();
    for n in 0..options.jobs.max(1) {
        let (ctx, queue) = (ctx.clone(), queue.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("kvrt-test-{n}"))
            .stack_size(WORKER_STACK)
            .spawn(move || work(&ctx, &queue));
        match spawned {
            Ok(handle) => workers.push(handle),
            Err(err) => {
                eprintln!("error: cannot start a test thread: {err}");
                return 1;
            }
        }
    }
    // The reporters hear from the workers until the last one is done.
    drop(ctx);
    let mut summary = Summary::default();
    let mut write_failed = None;
    for event in events {
        summary.record(&event);
        for reporter in &mut reporters {
            if let Err(err) = reporter.event(&event, &summary) {
                write_failed.get_or_insert(err);
            }
        }
    }
    for worker in workers {
        if worker.join().is_err() {
            eprintln!("error: a test thread panicked");
            summary.failed += 1;
        }
    }
    for reporter in &mut reporters {
        if let Err(err) = reporter.finish(&summary, start.elapsed()) {
            write_failed.get_or_insert(err);
        }
    }
    if let Some(err) = write_failed {
        eprintln!("error: cannot write the test report: {err}");
        return 1;
    }
    if let Some(message) = summary.failure_message() {
        eprintln!("{message}");
    }
    if matches!(options.reporter, ReporterKind::Pretty | ReporterKind::Dot) {
        // kvrt's closing line, for scripts: always the last line of output.
        println!("{} passed, {} failed", summary.passed, summary.failed);
    }
    i32::from(summary.run_failed())
}

/// Takes modules off the queue until it is empty or `--fail-fast` stops the run.
fn work(ctx: &RunContext, queue: &Mutex<VecDeque<ModuleSpecifier>>) {
    loop {
        if ctx.should_stop() {
            return;
        }
        let next = match queue.lock() {
            Ok(mut queue) => queue.pop_front(),
            Err(_) => return,
        };
        let Some(specifier) = next else {
            return;
        };
        file_runner::run_file(&specifier, ctx);
    }
}

/// The main reporter, plus a JUnit one for `--junit-path`.
fn reporters(options: &TestOptions, filtered: bool) -> Result<Vec<Box<dyn Reporter>>, String> {
    let parallel = options.jobs > 1;
    let mut list = Vec::new();
    let junit_to_stdout = options.junit_path.as_deref() == Some("-");
    if !(junit_to_stdout && options.reporter == ReporterKind::Junit) {
        list.push(reporter::create(
            options.reporter,
            Box::new(std::io::stdout()),
            parallel,
            filtered,
        ));
    }
    if let Some(path) = &options.junit_path {
        let out: Box<dyn Write> = if path == "-" {
            Box::new(std::io::stdout())
        } else {
            if let Some(dir) = std::path::Path::new(path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                }
            }
            let file =
                std::fs::File::create(path).map_err(|e| format!("cannot write {path}: {e}"))?;
            Box::new(std::io::BufWriter::new(file))
        };
        list.push(reporter::create(
            ReporterKind::Junit,
            out,
            parallel,
            filtered,
        ));
    }
    Ok(list)
}
