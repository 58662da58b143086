//! `--reporter=tap`: Test Anything Protocol version 14. Steps are subtests,
//! printed before their test's line; a module that fails outside its tests
//! is a `not ok` line of its own (Deno prints none, which reads as a pass).

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use super::Reporter;
use crate::test::event::{Failure, Location, Outcome, TestEvent};
use crate::test::label::display_path;
use crate::test::summary::Summary;

pub struct TapReporter {
    out: Box<dyn Write>,
    /// `TAP version 14` is written.
    started: bool,
    /// The module whose `# ./file.ts` comment was written last.
    header: Option<String>,
    /// Numbered lines printed at the top level.
    count: usize,
    /// Finished steps' lines per test id, waiting for the test's line.
    steps: HashMap<usize, Vec<String>>,
    /// How many steps each test has finished (their numbers).
    step_counts: HashMap<usize, usize>,
}

impl TapReporter {
    pub fn new(out: Box<dyn Write>) -> Self {
        TapReporter {
            out,
            started: false,
            header: None,
            count: 0,
            steps: HashMap::new(),
            step_counts: HashMap::new(),
        }
    }

    /// Writes the version line and `# <module>` when `origin` changes.
    fn header(&mut self, origin: &str) -> std::io::Result<()> {
        if !self.started {
            writeln!(self.out, "TAP version 14")?;
            self.started = true;
        }
        if self.header.as_deref() != Some(origin) {
            writeln!(self.out, "# {}", display_path(origin))?;
            self.header = Some(origin.to_string());
        }
        Ok(())
    }

    fn write_lines(&mut self, lines: Vec<String>) -> std::io::Result<()> {
        for line in lines {
            writeln!(self.out, "{line}")?;
        }
        Ok(())
    }
}

/// The TAP lines of one test or step at `indent` (its subtests first).
fn lines(
    number: usize,
    name: &str,
    outcome: &Outcome,
    location: Option<&Location>,
    origin: &str,
    indent: usize,
    subtests: Vec<String>,
) -> Vec<String> {
    let pad = "    ".repeat(indent);
    let mut out = Vec::new();
    if !subtests.is_empty() {
        out.push(format!("{pad}# Subtest: {name}"));
        out.extend(subtests);
    }
    match outcome {
        Outcome::Ok => out.push(format!("{pad}ok {number} - {name}")),
        Outcome::Ignored => out.push(format!("{pad}ok {number} - {name} # SKIP")),
        Outcome::Failed(failure) => {
            out.push(format!("{pad}not ok {number} - {name}"));
            out.push(format!("{pad}  ---"));
            out.push(format!("{pad}  {}", diagnostic(failure, location, origin)));
            out.push(format!("{pad}  ..."));
        }
    }
    out
}

/// The YAML block's content, a JSON object as Deno writes it.
fn diagnostic(failure: &Failure, location: Option<&Location>, origin: &str) -> String {
    let file = display_path(location.map_or(origin, |l| l.file_name.as_str()));
    let line = location.map_or(0, |l| l.line);
    deno_core::serde_json::json!({
        "message": failure.message(),
        "severity": "fail",
        "at": { "file": file, "line": line },
    })
    .to_string()
}

impl TapReporter {
    /// A finished test's step lines, closed with their plan line.
    fn take_steps(&mut self, test: usize) -> Vec<String> {
        let mut lines = self.steps.remove(&test).unwrap_or_default();
        if let Some(n) = self.step_counts.remove(&test) {
            lines.push(format!("    1..{n}"));
        }
        lines
    }
}

impl Reporter for TapReporter {
    fn event(&mut self, event: &TestEvent, _summary: &Summary) -> std::io::Result<()> {
        match event {
            TestEvent::Plan { origin, .. } => self.header(origin)?,
            TestEvent::StepResult(desc, outcome, _) => {
                let number = {
                    let n = self.step_counts.entry(desc.root_id).or_default();
                    *n += 1;
                    *n
                };
                let lines = lines(
                    number,
                    &desc.name,
                    outcome,
                    desc.location.as_ref(),
                    &desc.origin,
                    1,
                    Vec::new(),
                );
                self.steps.entry(desc.root_id).or_default().extend(lines);
            }
            TestEvent::Result(desc, outcome, _) => {
                self.header(&desc.origin)?;
                let subtests = self.take_steps(desc.id);
                self.count += 1;
                let lines = lines(
                    self.count,
                    &desc.name,
                    outcome,
                    desc.location.as_ref(),
                    &desc.origin,
                    0,
                    subtests,
                );
                self.write_lines(lines)?;
            }
            TestEvent::UncaughtError { origin, error } => {
                self.header(origin)?;
                self.count += 1;
                let name = format!("{} (uncaught error)", display_path(origin));
                let failure = Failure::Error(error.clone());
                let lines = lines(
                    self.count,
                    &name,
                    &Outcome::Failed(failure),
                    None,
                    origin,
                    0,
                    vec![],
                );
                self.write_lines(lines)?;
            }
            TestEvent::Wait(_) | TestEvent::Output(_) | TestEvent::StepWait(_) => {}
        }
        self.out.flush()
    }

    fn finish(&mut self, _summary: &Summary, _elapsed: Duration) -> std::io::Result<()> {
        if !self.started {
            writeln!(self.out, "TAP version 14")?;
        }
        writeln!(self.out, "1..{}", self.count)?;
        self.out.flush()
    }
}
