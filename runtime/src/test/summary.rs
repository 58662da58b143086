//! The run's totals and failures, gathered from the events, and the closing
//! report that `deno test`'s pretty and dot reporters print.

use std::io::Write;
use std::time::Duration;

use super::event::{plural, Outcome, TestEvent};
use super::label::{display_path, human_elapsed};

/// A failure listed under ERRORS and FAILURES.
#[derive(Clone, Debug)]
pub struct ListedFailure {
    /// `name => ./file.ts:1:6`, or `./file.ts (uncaught error)`.
    pub title: String,
    /// The text after `error: `.
    pub text: String,
}

/// What the whole run counted.
#[derive(Default, Debug)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub ignored: usize,
    pub passed_steps: usize,
    pub failed_steps: usize,
    pub ignored_steps: usize,
    pub filtered_out: usize,
    pub used_only: bool,
    pub failures: Vec<ListedFailure>,
}

/// Deno's explanation after an error no test caught.
const UNCAUGHT_HINT: &str = "This error was not caught from a test and caused the test runner to fail on the referenced module.\nIt most likely originated from a dangling promise, event/timeout handler or top-level code.";

impl Summary {
    /// Counts an event.
    pub fn record(&mut self, event: &TestEvent) {
        match event {
            TestEvent::Plan {
                filtered_out,
                used_only,
                ..
            } => {
                self.filtered_out += filtered_out;
                self.used_only |= used_only;
            }
            TestEvent::Result(desc, outcome, _) => {
                match outcome {
                    Outcome::Ok => self.passed += 1,
                    Outcome::Ignored => self.ignored += 1,
                    Outcome::Failed(_) => self.failed += 1,
                }
                if let Outcome::Failed(failure) = outcome {
                    if let Some(text) = failure.summary_text() {
                        let location = desc.location.as_ref();
                        self.failures.push(ListedFailure {
                            title: titled(&desc.name, &desc.origin, location),
                            text,
                        });
                    }
                }
            }
            TestEvent::StepResult(desc, outcome, _) => {
                match outcome {
                    Outcome::Ok => self.passed_steps += 1,
                    Outcome::Ignored => self.ignored_steps += 1,
                    Outcome::Failed(_) => self.failed_steps += 1,
                }
                if let Outcome::Failed(failure) = outcome {
                    if let Some(text) = failure.summary_text() {
                        let location = desc.location.as_ref();
                        self.failures.push(ListedFailure {
                            title: titled(&desc.full_name(), &desc.origin, location),
                            text,
                        });
                    }
                }
            }
            TestEvent::UncaughtError { origin, error } => {
                self.failed += 1;
                self.failures.push(ListedFailure {
                    title: format!("{} (uncaught error)", display_path(origin)),
                    text: format!("{error}\n{UNCAUGHT_HINT}"),
                });
            }
            TestEvent::Wait(_) | TestEvent::Output(_) | TestEvent::StepWait(_) => {}
        }
    }

    /// True when the run fails: a failed test, an uncaught error or `only`.
    pub fn run_failed(&self) -> bool {
        self.failed > 0 || self.used_only
    }

    /// Prints ERRORS, FAILURES and the `ok | ...` / `FAILED | ...` line.
    pub fn write_report(&self, out: &mut dyn Write, elapsed: Duration) -> std::io::Result<()> {
        if !self.failures.is_empty() {
            writeln!(out, "\n ERRORS \n")?;
            for failure in &self.failures {
                writeln!(out, "{}\nerror: {}\n", failure.title, failure.text)?;
            }
            writeln!(out, " FAILURES \n")?;
            for failure in &self.failures {
                writeln!(out, "{}", failure.title)?;
            }
        }
        let mut counts = format!(
            "{} passed{} | {} failed{}",
            self.passed,
            steps(self.passed_steps),
            self.failed,
            steps(self.failed_steps)
        );
        if self.ignored > 0 || self.ignored_steps > 0 {
            counts += &format!(" | {} ignored{}", self.ignored, steps(self.ignored_steps));
        }
        if self.filtered_out > 0 {
            counts += &format!(" | {} filtered out", self.filtered_out);
        }
        let status = if self.failed > 0 { "FAILED" } else { "ok" };
        let elapsed = human_elapsed(elapsed.as_millis() as u64);
        writeln!(out, "\n{status} | {counts} ({elapsed})\n")
    }

    /// The error Deno prints on standard error when the run fails.
    pub fn failure_message(&self) -> Option<&'static str> {
        if self.failed > 0 {
            Some("error: Test failed")
        } else if self.used_only {
            Some("error: Test failed because the \"only\" option was used")
        } else {
            None
        }
    }
}

/// ` (N steps)` after a count, or nothing for zero steps.
fn steps(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" ({n} step{})", plural(n))
    }
}

/// `name => ./file.ts:line:column`, or just the name without a location.
fn titled(name: &str, origin: &str, location: Option<&super::event::Location>) -> String {
    match location {
        Some(loc) => format!("{name} => {}", super::label::location_label(loc)),
        None => format!("{name} => {}", display_path(origin)),
    }
}
