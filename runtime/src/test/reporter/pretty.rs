//! `deno test`'s default output: a line per test and step, framed console
//! output, then ERRORS, FAILURES and the totals.

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use super::Reporter;
use crate::test::event::{Outcome, StepDescription, TestDescription, TestEvent};
use crate::test::label::{display_path, human_elapsed, test_elapsed};
use crate::test::summary::Summary;

/// The pretty reporter's state: which `name ...` line is open.
pub struct PrettyReporter {
    out: Box<dyn Write>,
    parallel: bool,
    /// `--filter` is set: modules with no matching test print nothing.
    filtered: bool,
    /// The cursor is at the start of a line.
    in_new_line: bool,
    /// The test or step whose `name ...` line is the open one.
    scope: Option<usize>,
    /// An `------- output -------` block is open.
    in_output: bool,
    /// A test has started (output before that is printed as it is).
    started: bool,
    /// Step results that arrived while a sibling's line was open, by parent.
    buffered: HashMap<usize, Vec<(StepDescription, Outcome, u64)>>,
}

impl PrettyReporter {
    pub fn new(out: Box<dyn Write>, parallel: bool, filtered: bool) -> Self {
        PrettyReporter {
            out,
            parallel,
            filtered,
            in_new_line: true,
            scope: None,
            in_output: false,
            started: false,
            buffered: HashMap::new(),
        }
    }

    fn end_line(&mut self) -> std::io::Result<()> {
        if !self.in_new_line {
            writeln!(self.out)?;
            self.in_new_line = true;
        }
        Ok(())
    }

    fn end_output(&mut self) -> std::io::Result<()> {
        if self.in_output {
            writeln!(self.out, "----- output end -----")?;
            self.in_output = false;
            self.in_new_line = true;
        }
        Ok(())
    }

    fn open_test_line(&mut self, desc: &TestDescription) -> std::io::Result<()> {
        self.end_line()?;
        if self.parallel {
            write!(self.out, "{} => ", display_path(&desc.origin))?;
        }
        write!(self.out, "{} ...", desc.name)?;
        self.in_new_line = false;
        self.scope = Some(desc.id);
        self.out.flush()
    }

    fn open_step_line(&mut self, desc: &StepDescription) -> std::io::Result<()> {
        self.end_output()?;
        self.end_line()?;
        if self.parallel {
            write!(
                self.out,
                "{} => {} ...",
                display_path(&desc.origin),
                desc.full_name()
            )?;
        } else {
            write!(self.out, "{}{} ...", "  ".repeat(desc.level), desc.name)?;
        }
        self.in_new_line = false;
        self.scope = Some(desc.id);
        self.out.flush()
    }

    fn step_result(
        &mut self,
        desc: &StepDescription,
        outcome: &Outcome,
        elapsed: u64,
    ) -> std::io::Result<()> {
        self.end_output()?;
        if self.in_new_line || self.scope != Some(desc.id) {
            self.open_step_line(desc)?;
        }
        let children = self.buffered.remove(&desc.id).unwrap_or_default();
        if !children.is_empty() {
            for (child, outcome, elapsed) in &children {
                self.step_result(child, outcome, *elapsed)?;
            }
            self.open_step_line(desc)?;
        }
        let status = status(outcome);
        if matches!(
            outcome,
            Outcome::Failed(crate::test::event::Failure::Incomplete)
        ) {
            writeln!(self.out, " {status}")?;
        } else {
            writeln!(self.out, " {status} ({})", human_elapsed(elapsed))?;
        }
        self.in_new_line = true;
        self.scope = if self.parallel {
            None
        } else {
            Some(desc.parent_id)
        };
        Ok(())
    }
}

/// `ok`, `ignored` or the failure's label.
fn status(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok => "ok".into(),
        Outcome::Ignored => "ignored".into(),
        Outcome::Failed(failure) => failure.label(),
    }
}

impl Reporter for PrettyReporter {
    fn event(&mut self, event: &TestEvent, _summary: &Summary) -> std::io::Result<()> {
        match event {
            TestEvent::Plan { origin, total, .. } => {
                if self.parallel || (self.filtered && *total == 0) {
                    return Ok(());
                }
                self.end_output()?;
                self.end_line()?;
                let tests = if *total == 1 { "test" } else { "tests" };
                writeln!(
                    self.out,
                    "running {total} {tests} from {}",
                    display_path(origin)
                )?;
            }
            TestEvent::Wait(desc) => {
                self.started = true;
                if !self.parallel {
                    self.end_output()?;
                    self.open_test_line(desc)?;
                }
            }
            TestEvent::Output(text) => {
                if !self.in_output && self.started {
                    self.end_line()?;
                    writeln!(self.out, "------- output -------")?;
                    self.in_output = true;
                }
                self.out.write_all(text.as_bytes())?;
                self.in_new_line = text.ends_with('\n');
            }
            TestEvent::StepWait(desc) => {
                if !self.parallel && self.scope == Some(desc.parent_id) {
                    self.open_step_line(desc)?;
                }
            }
            TestEvent::StepResult(desc, outcome, elapsed) => {
                if self.parallel {
                    self.step_result(desc, outcome, *elapsed)?;
                } else if self.scope == Some(desc.id) || self.scope == Some(desc.parent_id) {
                    let siblings = self.buffered.remove(&desc.parent_id).unwrap_or_default();
                    self.step_result(desc, outcome, *elapsed)?;
                    for (sibling, outcome, elapsed) in &siblings {
                        self.step_result(sibling, outcome, *elapsed)?;
                    }
                } else {
                    self.buffered.entry(desc.parent_id).or_default().push((
                        desc.clone(),
                        outcome.clone(),
                        *elapsed,
                    ));
                }
            }
            TestEvent::Result(desc, outcome, elapsed) => {
                self.end_output()?;
                if self.parallel || self.in_new_line || self.scope != Some(desc.id) {
                    self.open_test_line(desc)?;
                }
                writeln!(
                    self.out,
                    " {} ({})",
                    status(outcome),
                    test_elapsed(*elapsed)
                )?;
                self.in_new_line = true;
                self.scope = None;
            }
            TestEvent::UncaughtError { origin, .. } => {
                self.end_output()?;
                self.end_line()?;
                writeln!(
                    self.out,
                    "Uncaught error from {} FAILED",
                    display_path(origin)
                )?;
            }
        }
        self.out.flush()
    }

    fn finish(&mut self, summary: &Summary, elapsed: Duration) -> std::io::Result<()> {
        self.end_output()?;
        self.end_line()?;
        summary.write_report(&mut *self.out, elapsed)?;
        self.out.flush()
    }
}
