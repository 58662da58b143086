//! `--reporter=junit` and `--junit-path`: a JUnit XML document written once
//! the run ends. A module that fails outside its tests is a failed test case
//! (`<file> (uncaught error)`) so that CI systems see it.

use std::io::Write;
use std::time::Duration;

use super::Reporter;
use crate::test::event::{Failure, Location, Outcome, TestEvent};
use crate::test::label::display_path;
use crate::test::summary::Summary;

/// One `<testcase>`.
struct Case {
    name: String,
    seconds: f64,
    location: Option<Location>,
    outcome: Outcome,
}

/// One `<testsuite>`: a module's tests, then its steps in the order they
/// started (as Deno orders them).
struct Suite {
    origin: String,
    tests: Vec<Case>,
    steps: Vec<(usize, Option<Case>)>,
}

impl Suite {
    /// Tests, then the steps that finished.
    fn cases(&self) -> impl Iterator<Item = &Case> {
        let steps = self.steps.iter().filter_map(|(_, case)| case.as_ref());
        self.tests.iter().chain(steps)
    }
}

pub struct JunitReporter {
    out: Box<dyn Write>,
    suites: Vec<Suite>,
}

impl JunitReporter {
    pub fn new(out: Box<dyn Write>) -> Self {
        JunitReporter {
            out,
            suites: Vec::new(),
        }
    }

    fn suite(&mut self, origin: &str) -> &mut Suite {
        let index = match self.suites.iter().position(|s| s.origin == origin) {
            Some(index) => index,
            None => {
                self.suites.push(Suite {
                    origin: origin.to_string(),
                    tests: Vec::new(),
                    steps: Vec::new(),
                });
                self.suites.len() - 1
            }
        };
        &mut self.suites[index]
    }
}

/// Escapes text for XML attributes and content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The `message` attribute and the body of a `<failure>`.
fn failure_parts(failure: &Failure) -> (String, String) {
    match failure {
        Failure::Error(text) => {
            let first = text.lines().next().unwrap_or_default();
            (format!("Uncaught {first}"), text.clone())
        }
        other => {
            let body = other.message();
            let first = body.lines().next().unwrap_or_default();
            (first.trim_end_matches('.').to_string(), body)
        }
    }
}

impl Reporter for JunitReporter {
    fn event(&mut self, event: &TestEvent, _summary: &Summary) -> std::io::Result<()> {
        match event {
            TestEvent::Plan { origin, .. } => {
                self.suite(origin);
            }
            TestEvent::Result(desc, outcome, micros) => {
                let case = Case {
                    name: desc.name.clone(),
                    seconds: *micros as f64 / 1e6,
                    location: desc.location.clone(),
                    outcome: outcome.clone(),
                };
                self.suite(&desc.origin).tests.push(case);
            }
            TestEvent::StepResult(desc, outcome, ms) => {
                let mut name = desc.ancestors.join(" > ");
                name.push_str(" > ");
                name.push_str(&desc.name);
                let case = Case {
                    name,
                    seconds: *ms as f64 / 1e3,
                    location: desc.location.clone(),
                    outcome: outcome.clone(),
                };
                let steps = &mut self.suite(&desc.origin).steps;
                match steps.iter_mut().find(|(id, _)| *id == desc.id) {
                    Some(slot) => slot.1 = Some(case),
                    None => steps.push((desc.id, Some(case))),
                }
            }
            TestEvent::UncaughtError { origin, error } => {
                let case = Case {
                    name: format!("{} (uncaught error)", display_path(origin)),
                    seconds: 0.0,
                    location: None,
                    outcome: Outcome::Failed(Failure::Error(error.clone())),
                };
                self.suite(origin).tests.push(case);
            }
            TestEvent::StepWait(desc) => {
                self.suite(&desc.origin).steps.push((desc.id, None));
            }
            TestEvent::Wait(_) | TestEvent::Output(_) => {}
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary, elapsed: Duration) -> std::io::Result<()> {
        let all = || self.suites.iter().flat_map(Suite::cases);
        let total = all().count();
        let failures = all().filter(|c| c.outcome.is_failed()).count();
        writeln!(self.out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            self.out,
            r#"<testsuites name="deno test" tests="{total}" failures="{failures}" errors="0" time="{:.3}">"#,
            elapsed.as_secs_f64()
        )?;
        for suite in &self.suites {
            let cases: Vec<&Case> = suite.cases().collect();
            let name = escape(&display_path(&suite.origin));
            let disabled = cases
                .iter()
                .filter(|c| matches!(c.outcome, Outcome::Ignored))
                .count();
            let failed = cases.iter().filter(|c| c.outcome.is_failed()).count();
            writeln!(
                self.out,
                r#"    <testsuite name="{name}" tests="{}" disabled="{disabled}" errors="0" failures="{failed}">"#,
                cases.len()
            )?;
            for case in cases {
                let position = case
                    .location
                    .as_ref()
                    .map(|l| match l.column {
                        Some(column) => format!(r#" line="{}" col="{column}""#, l.line),
                        None => format!(r#" line="{}""#, l.line),
                    })
                    .unwrap_or_default();
                writeln!(
                    self.out,
                    r#"        <testcase name="{}" classname="{name}" time="{:.3}"{position}>"#,
                    escape(&case.name),
                    case.seconds
                )?;
                match &case.outcome {
                    Outcome::Ok => {}
                    Outcome::Ignored => writeln!(self.out, "            <skipped/>")?,
                    Outcome::Failed(failure) => {
                        let (message, body) = failure_parts(failure);
                        writeln!(
                            self.out,
                            r#"            <failure message="{}">{}</failure>"#,
                            escape(&message),
                            escape(&body)
                        )?;
                    }
                }
                writeln!(self.out, "        </testcase>")?;
            }
            writeln!(self.out, "    </testsuite>")?;
        }
        writeln!(self.out, "</testsuites>")?;
        self.out.flush()
    }
}
