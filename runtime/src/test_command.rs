//! `kvrt test`: discovers test modules and runs their `Deno.test` cases,
//! printing results in `deno test`'s format.

use std::path::{Path, PathBuf};

use deno_core::error::{CoreError, CoreErrorKind};
use deno_core::{JsRuntime, ModuleSpecifier, PollEventLoopOptions};

use crate::worker::create_runtime;

/// Options of `kvrt test`.
#[derive(Debug, Default, Clone)]
pub struct TestOptions {
    /// Files or directories to search; the working directory when empty.
    pub paths: Vec<String>,
    /// Only run tests whose name contains this text, or matches `/regex/`.
    pub filter: Option<String>,
    /// Stop after the first failing test.
    pub fail_fast: bool,
}

/// Formats an error the way `deno` reports an uncaught one: a JavaScript
/// exception that escaped a module or the event loop is
/// `error: Uncaught (in promise) <name>: <message>` followed by its stack.
pub fn format_error(err: &CoreError) -> String {
    let text = err.to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    match &*err.0 {
        CoreErrorKind::Js(_) if !text.starts_with("Uncaught") => {
            format!("error: Uncaught (in promise) {text}")
        }
        _ => format!("error: {text}"),
    }
}

/// True for file names `deno test` picks up: `*_test.ts`, `*.test.js`, `test.mjs`, ...
fn is_test_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(ext, "ts" | "tsx" | "mts" | "js" | "jsx" | "mjs")
        && (stem == "test" || stem.ends_with("_test") || stem.ends_with(".test"))
}

/// Walks `dir` recursively, collecting test files (skipping hidden
/// directories, `node_modules` and `target`).
fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            if !name.starts_with('.') && name != "node_modules" && name != "target" {
                collect_dir(&path, out)?;
            }
        } else if is_test_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Expands the command-line paths into the sorted list of test modules.
pub fn discover(paths: &[String]) -> Result<Vec<PathBuf>, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let roots: Vec<PathBuf> = if paths.is_empty() {
        vec![cwd.clone()]
    } else {
        paths.iter().map(|p| cwd.join(p)).collect()
    };
    let mut files = Vec::new();
    for root in roots {
        if root.is_dir() {
            collect_dir(&root, &mut files)
                .map_err(|e| format!("cannot read {}: {e}", root.display()))?;
        } else if root.is_file() {
            files.push(root);
        } else {
            return Err(format!("No such file or directory: {}", root.display()));
        }
    }
    Ok(files)
}

/// Runs the test command; returns the process exit code.
pub fn run_tests(options: TestOptions) -> i32 {
    let files = match discover(&options.paths) {
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
    let tokio = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(tokio) => tokio,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return 1;
        }
    };
    match tokio.block_on(run_all(&files, &options)) {
        Ok(failed) => i32::from(failed),
        Err(err) => {
            eprintln!("{}", format_error(&err));
            1
        }
    }
}

/// Runs every file in one runtime; returns whether anything failed.
async fn run_all(files: &[PathBuf], options: &TestOptions) -> Result<bool, CoreError> {
    let specifiers: Vec<ModuleSpecifier> = files
        .iter()
        .filter_map(|f| ModuleSpecifier::from_file_path(f).ok())
        .collect();
    let Some(first) = specifiers.first() else {
        return Ok(true);
    };
    let mut runtime = create_runtime(first, Vec::new())?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let filter = options
        .filter
        .as_deref()
        .map(json_string)
        .unwrap_or_else(|| "undefined".to_string());
    for (file, specifier) in files.iter().zip(&specifiers) {
        let label = file
            .strip_prefix(&cwd)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| specifier.to_string());
        let label_json = json_string(&label);
        let run_file = format!(
            "runFile({{ fileLabel: {label_json}, filter: {filter}, failFast: {} }})",
            options.fail_fast
        );
        let outcome = match load_module(&mut runtime, specifier).await {
            Ok(()) => match call_runner(&mut runtime, "settle()").await {
                Ok(_) => call_runner(&mut runtime, &run_file).await,
                Err(err) => Err(err),
            },
            Err(err) => Err(err),
        };
        let failed = match outcome {
            Ok(failed) => failed,
            // An error no test caught (top-level code, a dangling promise or
            // timer): the file counts as failed, like in `deno test`.
            Err(err) => {
                let message = json_string(&format_error(&err));
                call_runner(
                    &mut runtime,
                    &format!("recordLoadError({label_json}, {message})"),
                )
                .await?
            }
        };
        if failed && options.fail_fast {
            break;
        }
    }
    call_runner(&mut runtime, "finish()").await
}

/// Loads and evaluates one test module (running its top-level code).
async fn load_module(
    runtime: &mut JsRuntime,
    specifier: &ModuleSpecifier,
) -> Result<(), CoreError> {
    let id = runtime.load_side_es_module(specifier).await?;
    let evaluation = runtime.mod_evaluate(id);
    runtime
        .with_event_loop_future(evaluation, PollEventLoopOptions::default())
        .await
}

/// Calls a method of the JS test runner and waits for its promise; the
/// methods resolve to whether any test has failed.
async fn call_runner(runtime: &mut JsRuntime, call: &str) -> Result<bool, CoreError> {
    let promise = runtime.execute_script(
        "ext:kvrt_runtime/test_command",
        format!("globalThis[Symbol.for(\"kvrt.testRunner\")].{call}"),
    )?;
    let resolve = runtime.resolve(promise);
    let value = runtime
        .with_event_loop_promise(resolve, PollEventLoopOptions::default())
        .await?;
    deno_core::scope!(scope, runtime);
    let value = deno_core::v8::Local::new(scope, value);
    Ok(value.is_true())
}

/// Quotes `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_file_names() {
        for name in ["a_test.ts", "a.test.js", "test.mjs", "x/b_test.tsx"] {
            assert!(is_test_file(Path::new(name)), "{name}");
        }
        for name in ["a.ts", "atest.ts", "a_test.txt", "test"] {
            assert!(!is_test_file(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn json_quoting() {
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }
}
