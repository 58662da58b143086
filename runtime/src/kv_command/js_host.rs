//! Commands that need stored values as JavaScript values (export, import,
//! get, list, set, delete) run in a small JS runtime.
//!
//! Why JavaScript: values are stored in the V8 wire format, and kvrt's codec
//! (`kv_ext`'s `wire`) turns those bytes into engine values inside a
//! `JsRuntime`, not into Rust data. Running the command over the public KV
//! API (`Deno.openKv`, `list`, `atomic`) reuses that codec, Deno's limits and
//! error messages, and `Deno.inspect`; the @deno/kv-utils JSON form is then
//! written in JavaScript on real `Map`s, `Date`s, errors and typed arrays,
//! exactly as the library does it. Rust does the streaming I/O (ops below)
//! and the progress display: no command holds the whole database or the
//! whole input file in memory.

use std::io::{BufRead, Read, Write};

use deno_core::{op2, v8, JsRuntime, OpState, PollEventLoopOptions, RuntimeOptions};
use deno_error::JsErrorBox;

use super::progress::Progress;

/// Longest input line accepted by `import`.
const MAX_LINE_BYTES: u64 = 64 << 20;

/// Where the command's output goes (standard output or a file).
pub struct Sink(pub Box<dyn Write>);

/// The input of `import`, read a few lines at a time.
pub struct Source {
    /// The reader.
    pub reader: Box<dyn BufRead>,
    /// Lines read so far.
    pub line: u64,
    /// Bytes read so far (progress).
    pub bytes: u64,
}

/// The progress display of the running command.
pub struct HostProgress(pub Progress);

deno_core::extension!(
    kvrt_kv_command,
    deps = [kv_ext, kvrt_runtime],
    ops = [op_kvcli_write, op_kvcli_read_lines, op_kvcli_progress],
    esm_entry_point = "ext:kvrt_kv_command/kv_command.js",
    esm = [dir "src/kv_command", "kv_command.js"],
);

/// Writes `text` to the command's output.
#[op2(fast)]
fn op_kvcli_write(state: &mut OpState, #[string] text: &str) -> Result<(), JsErrorBox> {
    let sink = state
        .try_borrow_mut::<Sink>()
        .ok_or_else(|| JsErrorBox::generic("no output for this command"))?;
    sink.0
        .write_all(text.as_bytes())
        .map_err(|e| JsErrorBox::generic(format!("cannot write the output: {e}")))
}

/// Reports progress: `done` entries.
#[op2(fast)]
fn op_kvcli_progress(state: &mut OpState, done: f64) {
    if let Some(p) = state.try_borrow_mut::<HostProgress>() {
        p.0.update(done as u64);
    }
}

/// Returns up to `max` more input lines, each ending in `\n` (a final line
/// without one gets it; `\r\n` becomes `\n`), or `""` at the end of the
/// input. Input that is not UTF-8 or a line longer than 64 MiB is an error
/// naming the line.
#[op2]
#[string]
fn op_kvcli_read_lines(state: &mut OpState, max: u32) -> Result<String, JsErrorBox> {
    let source = state
        .try_borrow_mut::<Source>()
        .ok_or_else(|| JsErrorBox::generic("no input for this command"))?;
    let mut out = String::new();
    let mut buf = Vec::new();
    for _ in 0..max {
        buf.clear();
        let n = source
            .reader
            .by_ref()
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| {
                JsErrorBox::generic(format!(
                    "line {}: cannot read the input: {e}",
                    source.line + 1
                ))
            })?;
        if n == 0 {
            break;
        }
        source.line += 1;
        source.bytes += n as u64;
        if buf.last() == Some(&b'\n') {
            buf.pop();
        } else if n as u64 > MAX_LINE_BYTES {
            return Err(JsErrorBox::generic(format!(
                "line {}: longer than {} MiB",
                source.line,
                MAX_LINE_BYTES >> 20
            )));
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        let text = std::str::from_utf8(&buf)
            .map_err(|_| JsErrorBox::generic(format!("line {}: not valid UTF-8", source.line)))?;
        out.push_str(text);
        out.push('\n');
    }
    let bytes = source.bytes;
    if let Some(p) = state.try_borrow_mut::<HostProgress>() {
        p.0.update(bytes);
    }
    Ok(out)
}

/// Runs the JavaScript command described by `request` (see
/// `kv_command.js`) with `sink` as its output and `source` as its input;
/// returns the JSON object the command answered.
pub fn run(
    request: serde_json::Value,
    sink: Option<Box<dyn Write>>,
    source: Option<Source>,
    progress: Progress,
) -> Result<(serde_json::Value, Option<Sink>), String> {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    tokio.block_on(async move {
        let mut runtime = JsRuntime::try_new(RuntimeOptions {
            extensions: vec![
                deno_webidl::deno_webidl::init(),
                deno_web::deno_web::init(
                    deno_web::BlobStore::default_arc(),
                    None,
                    false,
                    Default::default(),
                ),
                kv_ext::kv_ext::init(kv_ext::KvConfig::builder().env_overrides(true).build()),
                // The command line names the database: nothing to ask.
                crate::extension::kvrt_runtime::init(
                    Vec::new(),
                    "kvrt:kv".to_string(),
                    crate::permissions::CurrentPermissions::new(crate::permissions::allow_all()),
                    env!("KVRT_TARGET"),
                ),
                kvrt_kv_command::init(),
            ],
            ..Default::default()
        })
        .map_err(|e| format!("cannot start the JavaScript runtime: {e}"))?;
        crate::worker::start(&mut runtime)
            .map_err(|e| format!("cannot start the JavaScript runtime: {e}"))?;
        {
            let state = runtime.op_state();
            let mut state = state.borrow_mut();
            if let Some(sink) = sink {
                state.put(Sink(sink));
            }
            if let Some(source) = source {
                state.put(source);
            }
            state.put(HostProgress(progress));
        }
        let literal = serde_json::to_string(&request.to_string())
            .map_err(|e| format!("cannot encode the request: {e}"))?;
        let code = format!("globalThis[Symbol.for(\"kvrt.kv_command\")]({literal})");
        let promise = runtime
            .execute_script("ext:kvrt_kv_command/run.js", code)
            .map_err(|e| e.to_string())?;
        let resolved = runtime.resolve(promise);
        let value = runtime
            .with_event_loop_promise(resolved, PollEventLoopOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        let text = {
            deno_core::scope!(scope, &mut runtime);
            let local = v8::Local::new(scope, value);
            local.to_rust_string_lossy(scope)
        };
        let answer: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("unexpected answer from the command ({e}): {text}"))?;
        let state = runtime.op_state();
        let mut state = state.borrow_mut();
        if let Some(mut p) = state.try_take::<HostProgress>() {
            p.0.finish();
        }
        let sink = state.try_take::<Sink>();
        Ok((answer, sink))
    })
}
