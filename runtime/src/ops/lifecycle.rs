//! The page-lifecycle events of a run (`load`, `beforeunload`, `unload`):
//! the JavaScript side (runtime/js/global_events.js) hands over its
//! dispatcher, which the runner calls at the points Deno does.

use deno_core::error::CoreError;
use deno_core::{op2, v8, JsRuntime, OpState, PollEventLoopOptions};

/// The JavaScript function that dispatches a lifecycle event on `globalThis`.
struct Dispatcher(v8::Global<v8::Function>);

/// Receives the dispatcher (once, at bootstrap).
#[op2(fast)]
pub fn op_kvrt_lifecycle_install(
    scope: &mut v8::PinScope,
    state: &mut OpState,
    dispatch: v8::Local<v8::Function>,
) {
    state.put(Dispatcher(v8::Global::new(scope, dispatch)));
}

/// Dispatches event `kind` on `globalThis`; returns whether a listener
/// called `preventDefault()` (for `beforeunload`: keep running).
pub async fn dispatch(runtime: &mut JsRuntime, kind: &str) -> Result<bool, CoreError> {
    let dispatcher = match runtime.op_state().borrow().try_borrow::<Dispatcher>() {
        Some(dispatcher) => dispatcher.0.clone(),
        None => return Ok(false),
    };
    let arg = {
        deno_core::scope!(scope, runtime);
        let Some(kind) = v8::String::new(scope, kind) else {
            return Ok(false);
        };
        let kind: v8::Local<v8::Value> = kind.into();
        v8::Global::new(scope, kind)
    };
    let call = runtime.call_with_args(&dispatcher, &[arg]);
    let prevented = runtime
        .with_event_loop_promise(call, PollEventLoopOptions::default())
        .await?;
    deno_core::scope!(scope, runtime);
    Ok(v8::Local::new(scope, prevented).is_true())
}
