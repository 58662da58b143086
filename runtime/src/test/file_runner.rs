//! Runs one test module in a runtime of its own (its own module graph and
//! default database, as `deno test` does) and reports what happens.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use deno_core::error::CoreError;
use deno_core::futures::FutureExt;
use deno_core::{serde_v8, v8, JsRuntime, ModuleSpecifier, PollEventLoopOptions};

use super::event::{JsOutcome, Outcome, TestDescription, TestEvent};
use super::filter::NameFilter;
use super::ops::TestSession;
use super::order::Shuffler;
use super::sanitizer::Sanitizer;
use crate::ops::lifecycle;
use crate::resolver::ConfigOptions;
use crate::worker::create_runtime;
use deno_permissions::PermissionsOptions;

/// What every file of a run shares.
pub struct RunContext {
    pub events: Sender<TestEvent>,
    pub ids: Arc<AtomicUsize>,
    pub filter: NameFilter,
    pub shuffle: Option<u64>,
    pub sanitize_ops: bool,
    pub sanitize_resources: bool,
    /// Stop once this many tests (or modules) have failed.
    pub fail_fast: Option<usize>,
    pub failures: Arc<AtomicUsize>,
    /// Where each module's configuration (import map) comes from.
    pub config: ConfigOptions,
    /// What the flags grant; each module starts with these.
    pub permissions: PermissionsOptions,
}

impl RunContext {
    /// True once `--fail-fast` has seen enough failures.
    pub fn should_stop(&self) -> bool {
        self.fail_fast
            .is_some_and(|n| self.failures.load(Ordering::SeqCst) >= n)
    }

    fn send(&self, event: TestEvent) {
        if matches!(&event, TestEvent::Result(_, outcome, _) if outcome.is_failed())
            || matches!(event, TestEvent::UncaughtError { .. })
        {
            self.failures.fetch_add(1, Ordering::SeqCst);
        }
        let _ = self.events.send(event);
    }
}

/// An error no test caught, as Deno lists it: without `error: ` and
/// `Uncaught `.
fn uncaught_text(err: &CoreError) -> String {
    let text = crate::run::format_error(err);
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    text.strip_prefix("Uncaught ").unwrap_or(text).to_string()
}

/// Runs the module at `specifier` on this thread, reporting through `ctx`.
pub fn run_file(specifier: &ModuleSpecifier, ctx: &RunContext) {
    let origin = specifier.to_string();
    let tokio = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(tokio) => tokio,
        Err(err) => {
            ctx.send(TestEvent::UncaughtError {
                origin,
                error: format!("cannot start the async runtime: {err}"),
            });
            return;
        }
    };
    if let Err(error) = tokio.block_on(run_module(specifier, ctx)) {
        ctx.send(TestEvent::UncaughtError { origin, error });
    }
}

/// Loads, evaluates and runs the module's tests; an `Err` is the text of an
/// error no test caught, which fails the module.
async fn run_module(specifier: &ModuleSpecifier, ctx: &RunContext) -> Result<(), String> {
    let origin = specifier.to_string();
    let resolver = crate::run::resolver_for(specifier, &ctx.config)?;
    let permissions = crate::permissions::from_options(&ctx.permissions)?;
    let mut runtime = create_runtime(specifier, Vec::new(), resolver, permissions, Vec::new())
        .map_err(|e| uncaught_text(&e))?;
    runtime.op_state().borrow_mut().put(TestSession::new(
        ctx.events.clone(),
        origin.clone(),
        ctx.ids.clone(),
    ));
    let id = runtime
        .load_side_es_module(specifier)
        .await
        .map_err(|e| uncaught_text(&e))?;
    evaluate(&mut runtime, id).await?;
    // The module's lifecycle events, as `deno test` dispatches them.
    lifecycle::dispatch(&mut runtime, "load")
        .await
        .map_err(|e| uncaught_text(&e))?;

    let (tests, run_test) = {
        let state = runtime.op_state();
        let mut state = state.borrow_mut();
        let session = state.borrow_mut::<TestSession>();
        (session.tests.clone(), session.run_test.clone())
    };
    let matching: Vec<TestDescription> = tests
        .iter()
        .filter(|t| ctx.filter.matches(&t.name))
        .cloned()
        .collect();
    let used_only = matching.iter().any(|t| t.only);
    let mut selected: Vec<TestDescription> = if used_only {
        matching.into_iter().filter(|t| t.only).collect()
    } else {
        matching
    };
    if let Some(seed) = ctx.shuffle {
        Shuffler::new(seed ^ fnv(&origin)).shuffle(&mut selected);
    }
    ctx.send(TestEvent::Plan {
        origin: origin.clone(),
        total: selected.len(),
        filtered_out: tests.len() - selected.len(),
        used_only,
    });
    let Some(run_test) = run_test else {
        return unload(&mut runtime).await;
    };
    let mut sanitizer = Sanitizer::new(&runtime);
    for desc in selected {
        if ctx.should_stop() {
            break;
        }
        ctx.send(TestEvent::Wait(desc.clone()));
        if desc.ignore {
            ctx.send(TestEvent::Result(desc, Outcome::Ignored, 0));
            continue;
        }
        let before = sanitizer.capture();
        let start = Instant::now();
        let mut outcome = run_one(&mut runtime, &run_test, desc.id).await?;
        let elapsed = start.elapsed().as_micros() as u64;
        let ops = desc.sanitize_ops.unwrap_or(ctx.sanitize_ops);
        let resources = desc.sanitize_resources.unwrap_or(ctx.sanitize_resources);
        let leaks = sanitizer
            .check(&mut runtime, &before, ops, resources)
            .await
            .map_err(|e| uncaught_text(&e))?;
        if let (Some(lines), false) = (leaks, outcome.is_failed()) {
            outcome = Outcome::Failed(super::event::Failure::Leaks(lines));
        }
        ctx.send(TestEvent::Result(desc, outcome, elapsed));
    }
    unload(&mut runtime).await
}

/// Dispatches `beforeunload` and `unload` once the module's tests are done.
async fn unload(runtime: &mut JsRuntime) -> Result<(), String> {
    for kind in ["beforeunload", "unload"] {
        lifecycle::dispatch(runtime, kind)
            .await
            .map_err(|e| uncaught_text(&e))?;
    }
    Ok(())
}

/// Calls the runner's `runTest(id)` and drives the event loop until it settles.
async fn run_one(
    runtime: &mut JsRuntime,
    run_test: &v8::Global<v8::Function>,
    id: usize,
) -> Result<Outcome, String> {
    let arg = {
        deno_core::scope!(scope, runtime);
        let value: v8::Local<v8::Value> = v8::Number::new(scope, id as f64).into();
        v8::Global::new(scope, value)
    };
    let call = runtime.call_with_args(run_test, &[arg]);
    let value = runtime
        .with_event_loop_promise(call, PollEventLoopOptions::default())
        .await
        .map_err(|e| uncaught_text(&e))?;
    deno_core::scope!(scope, runtime);
    let value = v8::Local::new(scope, value);
    let outcome: JsOutcome = serde_v8::from_v8(scope, value)
        .map_err(|e| format!("the test runner returned a bad result: {e}"))?;
    Ok(outcome.into())
}

/// Evaluates the module, driving the event loop until its top-level code
/// (including top-level await) settles; errors that surface in the event
/// loop meanwhile fail the module.
async fn evaluate(runtime: &mut JsRuntime, id: deno_core::ModuleId) -> Result<(), String> {
    let mut evaluation = runtime.mod_evaluate(id).boxed_local();
    let result = std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = evaluation.poll_unpin(cx) {
            return Poll::Ready(result.map_err(|e| uncaught_text(&e)));
        }
        match runtime.poll_event_loop(cx, PollEventLoopOptions::default()) {
            Poll::Ready(Err(err)) => Poll::Ready(Err(uncaught_text(&err))),
            Poll::Ready(Ok(())) => match evaluation.poll_unpin(cx) {
                Poll::Ready(result) => Poll::Ready(result.map_err(|e| uncaught_text(&e))),
                Poll::Pending => {
                    Poll::Ready(Err("Top-level await promise never resolved".to_string()))
                }
            },
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    result?;
    // A rejection of the module's promise is thrown after the evaluation
    // future resolves: one more turn surfaces it.
    let waker = deno_core::futures::task::noop_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    if let Poll::Ready(Err(err)) = runtime.poll_event_loop(&mut cx, PollEventLoopOptions::default())
    {
        return Err(uncaught_text(&err));
    }
    Ok(())
}

/// FNV-1a of a module URL: each file's shuffle differs under one seed.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
