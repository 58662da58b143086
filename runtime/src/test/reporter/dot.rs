//! `--reporter=dot`: one character per test and step (`.` passed, `!`
//! failed, `,` ignored), then the same closing report as the pretty one.

use std::io::Write;
use std::time::Duration;

use super::Reporter;
use crate::test::event::{Outcome, TestEvent};
use crate::test::label::display_path;
use crate::test::summary::Summary;

pub struct DotReporter {
    out: Box<dyn Write>,
}

impl DotReporter {
    pub fn new(out: Box<dyn Write>) -> Self {
        DotReporter { out }
    }

    fn mark(&mut self, outcome: &Outcome) -> std::io::Result<()> {
        let mark = match outcome {
            Outcome::Ok => '.',
            Outcome::Ignored => ',',
            Outcome::Failed(_) => '!',
        };
        // Deno writes one mark per line when the output is not a terminal.
        writeln!(self.out, "{mark}")
    }
}

impl Reporter for DotReporter {
    fn event(&mut self, event: &TestEvent, _summary: &Summary) -> std::io::Result<()> {
        match event {
            TestEvent::Result(_, outcome, _) | TestEvent::StepResult(_, outcome, _) => {
                self.mark(outcome)?
            }
            TestEvent::UncaughtError { origin, .. } => writeln!(
                self.out,
                "Uncaught error from {} FAILED",
                display_path(origin)
            )?,
            _ => {}
        }
        self.out.flush()
    }

    fn finish(&mut self, summary: &Summary, elapsed: Duration) -> std::io::Result<()> {
        summary.write_report(&mut *self.out, elapsed)?;
        self.out.flush()
    }
}
