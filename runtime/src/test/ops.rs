//! Ops through which `ext:kvrt_runtime/test_runner.js` talks to the test
//! command: it registers tests and reports steps and console output; the
//! command calls back into it to run each test.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;

use deno_core::{op2, v8, OpState};
use deno_error::JsErrorBox;
use serde::Deserialize;

use super::event::{JsOutcome, Location, StepDescription, TestDescription, TestEvent};

/// The test command's state inside one test module's runtime. Present only
/// under `kvrt test`: elsewhere `Deno.test` registers nothing.
pub struct TestSession {
    events: Sender<TestEvent>,
    /// The test module's URL.
    origin: String,
    /// Hands out ids unique across the run's files.
    ids: Arc<AtomicUsize>,
    /// Tests in registration order.
    pub tests: Vec<TestDescription>,
    steps: HashMap<usize, StepDescription>,
    /// The runner's `runTest(id)`, installed with the first registration.
    pub run_test: Option<v8::Global<v8::Function>>,
}

impl TestSession {
    pub fn new(events: Sender<TestEvent>, origin: String, ids: Arc<AtomicUsize>) -> Self {
        TestSession {
            events,
            origin,
            ids,
            tests: Vec::new(),
            steps: HashMap::new(),
            run_test: None,
        }
    }

    /// Sends an event to the reporters (a closed channel means the run is
    /// ending, so the event has nobody to reach).
    pub fn send(&self, event: TestEvent) {
        let _ = self.events.send(event);
    }

    fn next_id(&self) -> usize {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// The test that test or step `id` belongs to, and the names from that
    /// test down to (and including) `id`.
    fn ancestry(&self, id: usize) -> Option<(usize, Vec<String>)> {
        if let Some(test) = self.tests.iter().find(|t| t.id == id) {
            return Some((id, vec![test.name.clone()]));
        }
        let step = self.steps.get(&id)?;
        let mut names = step.ancestors.clone();
        names.push(step.name.clone());
        Some((step.root_id, names))
    }
}

fn session(state: &mut OpState) -> Result<&mut TestSession, JsErrorBox> {
    state
        .try_borrow_mut::<TestSession>()
        .ok_or_else(|| JsErrorBox::generic("not running under `kvrt test`"))
}

/// Where a test or step was declared, as the runner found it on the stack.
fn location(file_name: Option<String>, line: Option<u32>, column: Option<u32>) -> Option<Location> {
    Some(Location {
        file_name: file_name?,
        line: line?,
        column,
    })
}

/// A `Deno.test` registration.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestArgs {
    name: String,
    ignore: bool,
    only: bool,
    sanitize_ops: Option<bool>,
    sanitize_resources: Option<bool>,
    file_name: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
}

/// A `t.step` that starts.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepArgs {
    name: String,
    parent_id: u32,
    level: u32,
    file_name: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
}

/// Whether `Deno.test` registers tests (true under `kvrt test`).
#[op2(fast)]
pub fn op_kvrt_test_mode(state: &mut OpState) -> bool {
    state.has::<TestSession>()
}

/// Installs the runner's `runTest(id)`, which the command calls per test.
#[op2(fast)]
pub fn op_kvrt_test_install(
    scope: &mut v8::PinScope,
    state: Rc<RefCell<OpState>>,
    run_test: v8::Local<v8::Function>,
) -> Result<(), JsErrorBox> {
    let run_test = v8::Global::new(scope, run_test);
    session(&mut state.borrow_mut())?.run_test = Some(run_test);
    Ok(())
}

/// Registers a test; returns its id.
#[op2]
#[smi]
pub fn op_kvrt_test_register(
    state: &mut OpState,
    #[serde] args: TestArgs,
) -> Result<u32, JsErrorBox> {
    let session = session(state)?;
    let id = session.next_id();
    session.tests.push(TestDescription {
        id,
        name: args.name,
        origin: session.origin.clone(),
        location: location(args.file_name, args.line, args.column),
        ignore: args.ignore,
        only: args.only,
        sanitize_ops: args.sanitize_ops,
        sanitize_resources: args.sanitize_resources,
    });
    Ok(id as u32)
}

/// A step starts: registers it, reports it; returns its id.
#[op2]
#[smi]
pub fn op_kvrt_test_step_wait(
    state: &mut OpState,
    #[serde] args: StepArgs,
) -> Result<u32, JsErrorBox> {
    let session = session(state)?;
    let parent_id = args.parent_id as usize;
    let (root_id, ancestors) = session
        .ancestry(parent_id)
        .ok_or_else(|| JsErrorBox::generic("unknown parent test"))?;
    let step = StepDescription {
        id: session.next_id(),
        name: args.name,
        origin: session.origin.clone(),
        location: location(args.file_name, args.line, args.column),
        level: args.level as usize,
        parent_id,
        root_id,
        ancestors,
    };
    let id = step.id;
    session.steps.insert(id, step.clone());
    session.send(TestEvent::StepWait(step));
    Ok(id as u32)
}

/// A step ended after `elapsed` milliseconds.
#[op2]
pub fn op_kvrt_test_step_result(
    state: &mut OpState,
    #[smi] id: u32,
    #[serde] outcome: JsOutcome,
    #[number] elapsed: u64,
) -> Result<(), JsErrorBox> {
    let session = session(state)?;
    let step = session
        .steps
        .get(&(id as usize))
        .cloned()
        .ok_or_else(|| JsErrorBox::generic("unknown test step"))?;
    session.send(TestEvent::StepResult(step, outcome.into(), elapsed));
    Ok(())
}

/// Console output under `kvrt test`: goes to the reporters. Returns false
/// outside `kvrt test`, where the caller prints it itself.
#[op2(fast)]
pub fn op_kvrt_test_output(state: &mut OpState, #[string] text: &str) -> bool {
    match state.try_borrow::<TestSession>() {
        Some(session) => {
            session.send(TestEvent::Output(text.to_string()));
            true
        }
        None => false,
    }
}
