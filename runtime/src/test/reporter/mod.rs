//! Reporters: each turns the run's events into one output format
//! (`--reporter=pretty|dot|tap|junit`).

mod dot;
mod junit;
mod pretty;
mod tap;

use std::io::Write;
use std::time::Duration;

use super::event::TestEvent;
use super::summary::Summary;

pub use dot::DotReporter;
pub use junit::JunitReporter;
pub use pretty::PrettyReporter;
pub use tap::TapReporter;

/// Receives every event of the run, then the summary.
pub trait Reporter {
    /// Handles one event (`summary` already counts it).
    fn event(&mut self, event: &TestEvent, summary: &Summary) -> std::io::Result<()>;
    /// Closes the report once every file has run.
    fn finish(&mut self, summary: &Summary, elapsed: Duration) -> std::io::Result<()>;
}

/// The formats `--reporter` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReporterKind {
    Pretty,
    Dot,
    Tap,
    Junit,
}

/// Builds the reporter of `kind`, writing to `out`; `parallel` marks runs
/// whose files interleave, `filtered` runs with `--filter`.
pub fn create(
    kind: ReporterKind,
    out: Box<dyn Write>,
    parallel: bool,
    filtered: bool,
) -> Box<dyn Reporter> {
    match kind {
        ReporterKind::Pretty => Box::new(PrettyReporter::new(out, parallel, filtered)),
        ReporterKind::Dot => Box::new(DotReporter::new(out)),
        ReporterKind::Tap => Box::new(TapReporter::new(out)),
        ReporterKind::Junit => Box::new(JunitReporter::new(out)),
    }
}
