//! What a test file's runner reports, in the order it happens: the events
//! every reporter consumes (as `deno test`'s reporters do).

use serde::Deserialize;

/// Where a test or step was declared.
#[derive(Clone, Debug, Default)]
pub struct Location {
    /// The module URL of the call site.
    pub file_name: String,
    pub line: u32,
    /// Unknown on engines whose stack traces give lines only.
    pub column: Option<u32>,
}

/// A registered `Deno.test`.
#[derive(Clone, Debug)]
pub struct TestDescription {
    /// Unique within the whole run.
    pub id: usize,
    pub name: String,
    /// The test module's URL.
    pub origin: String,
    pub location: Option<Location>,
    pub ignore: bool,
    pub only: bool,
    /// The test's own `sanitizeOps` / `sanitizeResources`, if it set them.
    pub sanitize_ops: Option<bool>,
    pub sanitize_resources: Option<bool>,
}

/// A `t.step` inside a test.
#[derive(Clone, Debug)]
pub struct StepDescription {
    /// Unique within the whole run (shared with tests).
    pub id: usize,
    pub name: String,
    pub origin: String,
    pub location: Option<Location>,
    /// 1 for a test's own steps, 2 for their steps, ...
    pub level: usize,
    pub parent_id: usize,
    /// The test this step belongs to.
    pub root_id: usize,
    /// The names from the test down to this step's parent.
    pub ancestors: Vec<String>,
}

impl StepDescription {
    /// `test ... step ... substep`, as Deno lists a failed step.
    pub fn full_name(&self) -> String {
        let mut name = self.ancestors.join(" ... ");
        name.push_str(" ... ");
        name.push_str(&self.name);
        name
    }
}

/// Why a test or step failed.
#[derive(Clone, Debug)]
pub enum Failure {
    /// It threw: the formatted error.
    Error(String),
    /// This many of its steps failed.
    FailedSteps(usize),
    /// It finished while some of its steps were still running.
    IncompleteSteps,
    /// Its parent finished before it did.
    Incomplete,
    /// The sanitizers found what it left behind: Deno's message lines.
    Leaks(Vec<String>),
}

impl Failure {
    /// The status after `name ...`: `FAILED`, `FAILED (due to ...)` or `INCOMPLETE`.
    pub fn label(&self) -> String {
        match self {
            Failure::FailedSteps(n) => {
                format!("FAILED (due to {n} failed step{})", plural(*n))
            }
            Failure::IncompleteSteps => "FAILED (due to incomplete steps)".into(),
            Failure::Incomplete => "INCOMPLETE".into(),
            Failure::Error(_) | Failure::Leaks(_) => "FAILED".into(),
        }
    }

    /// The text after `error: ` in the summary, for failures listed there
    /// (a test that failed only through its steps is not).
    pub fn summary_text(&self) -> Option<String> {
        match self {
            Failure::Error(text) => Some(text.clone()),
            Failure::Incomplete => {
                Some("Didn't complete before parent. Await step with `await t.step(...)`.".into())
            }
            Failure::Leaks(lines) => {
                let mut text = String::from("Leaks detected:");
                for line in lines {
                    text.push_str("\n  - ");
                    text.push_str(line);
                }
                Some(text)
            }
            Failure::FailedSteps(_) | Failure::IncompleteSteps => None,
        }
    }

    /// A one-line description, for machine-readable reporters.
    pub fn message(&self) -> String {
        match self {
            Failure::FailedSteps(n) => format!("{n} test step{} failed.", plural(*n)),
            Failure::IncompleteSteps => "Completed while steps were still running. Ensure all steps are awaited with `await t.step(...)`.".into(),
            other => other.summary_text().unwrap_or_default(),
        }
    }
}

/// `s` unless `n` is 1.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// How a test or step ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    Ok,
    Ignored,
    Failed(Failure),
}

impl Outcome {
    pub fn is_failed(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }
}

/// The outcome as the JavaScript runner reports it.
#[derive(Deserialize, Debug)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum JsOutcome {
    Ok,
    Ignored,
    Error { error: String },
    FailedSteps { count: usize },
    IncompleteSteps,
    Incomplete,
}

impl From<JsOutcome> for Outcome {
    fn from(js: JsOutcome) -> Self {
        match js {
            JsOutcome::Ok => Outcome::Ok,
            JsOutcome::Ignored => Outcome::Ignored,
            JsOutcome::Error { error } => Outcome::Failed(Failure::Error(error)),
            JsOutcome::FailedSteps { count } => Outcome::Failed(Failure::FailedSteps(count)),
            JsOutcome::IncompleteSteps => Outcome::Failed(Failure::IncompleteSteps),
            JsOutcome::Incomplete => Outcome::Failed(Failure::Incomplete),
        }
    }
}

/// One thing that happened while running test files.
#[derive(Clone, Debug)]
pub enum TestEvent {
    /// A module loaded: how many of its tests will run.
    Plan {
        origin: String,
        total: usize,
        filtered_out: usize,
        used_only: bool,
    },
    /// A test starts.
    Wait(TestDescription),
    /// Console output (from a test or from the module's own code).
    Output(String),
    StepWait(StepDescription),
    /// A step ended; `elapsed` in milliseconds.
    StepResult(StepDescription, Outcome, u64),
    /// A test ended; `elapsed` in microseconds.
    Result(TestDescription, Outcome, u64),
    /// The module failed to load, or code outside any test threw: the file
    /// fails and its remaining tests do not run.
    UncaughtError {
        origin: String,
        error: String,
    },
}
