//! `kvrt run`: executes a module until its event loop is empty.

use std::path::Path;

use deno_core::error::{CoreError, CoreErrorKind};
use deno_core::{JsRuntime, ModuleId, PollEventLoopOptions};
use deno_permissions::PermissionsOptions;

use crate::ops::lifecycle;
use crate::ops::process::ExitCode;
use crate::resolver::{ConfigOptions, Resolver};
use crate::worker::create_runtime;

/// Resolves a command-line path (relative to the working directory) to a URL.
pub fn resolve_module(path: &str) -> Result<deno_core::ModuleSpecifier, String> {
    let cwd = std::env::current_dir()
        .map_err(|err| format!("cannot read the working directory: {err}"))?;
    let specifier = deno_core::resolve_path(path, &cwd).map_err(|err| err.to_string())?;
    let file = specifier
        .to_file_path()
        .map_err(|_| format!("not a file path: {path}"))?;
    if !Path::new(&file).is_file() {
        return Err(format!("Module not found \"{specifier}\"."));
    }
    Ok(specifier)
}

/// Runs `path` with `args` as `Deno.args` and the given permissions;
/// returns the process exit code.
pub fn run_file(
    path: &str,
    args: Vec<String>,
    config: &ConfigOptions,
    permissions: &PermissionsOptions,
) -> i32 {
    let specifier = match resolve_module(path) {
        Ok(specifier) => specifier,
        Err(message) => {
            eprintln!("error: {message}");
            return 1;
        }
    };
    let resolver = match resolver_for(&specifier, config) {
        Ok(resolver) => resolver,
        Err(message) => {
            eprintln!("error: {message}");
            return 1;
        }
    };
    let permissions = match crate::permissions::from_options(permissions) {
        Ok(permissions) => permissions,
        Err(message) => {
            eprintln!("error: {message}");
            return 1;
        }
    };
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
    let result: Result<i32, CoreError> = tokio.block_on(async {
        let mut runtime = create_runtime(&specifier, args, resolver, permissions, Vec::new())?;
        let id = runtime.load_main_es_module(&specifier).await?;
        let evaluated = evaluate(&mut runtime, id).await;
        // As in Deno: `load` once the main module has evaluated (even when it
        // threw), then the event loop until no `beforeunload` listener asks
        // for more, then `unload`. An uncaught error skips the rest.
        lifecycle::dispatch(&mut runtime, "load").await?;
        evaluated?;
        loop {
            runtime
                .run_event_loop(PollEventLoopOptions::default())
                .await?;
            if !lifecycle::dispatch(&mut runtime, "beforeunload").await? {
                break;
            }
        }
        lifecycle::dispatch(&mut runtime, "unload").await?;
        let code = runtime.op_state().borrow().borrow::<ExitCode>().0;
        finish(runtime);
        Ok(code)
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", format_error(&err));
            1
        }
    }
}

/// Ends the runtime of a run that is over, before the process exits: its
/// resources (Deno KV databases, files, sockets) close as when the runtime
/// is dropped, but the engine's heap is left to the exit, which frees it at
/// once (freeing a QuickJS heap object by object was about 6% of a
/// one-line script's instructions).
fn finish(runtime: JsRuntime) {
    let resources = std::mem::take(&mut runtime.op_state().borrow_mut().resource_table);
    drop(resources);
    std::mem::forget(runtime);
}

/// Evaluates module `id`, running the event loop until its top-level code
/// (with its top-level awaits) has finished, as Deno does.
async fn evaluate(runtime: &mut JsRuntime, id: ModuleId) -> Result<(), CoreError> {
    let mut evaluation = runtime.mod_evaluate(id);
    tokio::select! {
        biased;
        result = &mut evaluation => result,
        result = runtime.run_event_loop(PollEventLoopOptions::default()) => {
            result?;
            evaluation.await
        }
    }
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

/// The resolver of the graph whose entry is `main_module`: its configuration
/// is found upward from the module's directory.
pub fn resolver_for(
    main_module: &deno_core::ModuleSpecifier,
    config: &ConfigOptions,
) -> Result<Resolver, String> {
    let path = main_module
        .to_file_path()
        .map_err(|()| format!("not a file path: {main_module}"))?;
    let dir = path.parent().unwrap_or(Path::new("/"));
    Resolver::discover(dir, config)
}
