//! Progress of long work on standard error: a bar redrawn in place on a
//! terminal, a plain line every few seconds otherwise (logs, CI, pipes).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the bar is redrawn on a terminal.
const TTY_INTERVAL: Duration = Duration::from_millis(100);
/// How often a plain progress line is written when stderr is not a terminal.
const PLAIN_INTERVAL: Duration = Duration::from_secs(2);
/// Width of the bar in characters.
const BAR_WIDTH: usize = 30;

/// A progress reporter for one piece of work.
pub struct Progress {
    label: &'static str,
    unit: &'static str,
    total: Option<u64>,
    tty: bool,
    enabled: bool,
    started: Instant,
    last: Option<Instant>,
    drawn: bool,
}

impl Progress {
    /// A reporter for `label` counting `unit`s out of `total` (if known);
    /// silent when `quiet`.
    pub fn new(label: &'static str, unit: &'static str, total: Option<u64>, quiet: bool) -> Self {
        Progress {
            label,
            unit,
            total,
            tty: std::io::stderr().is_terminal(),
            enabled: !quiet,
            started: Instant::now(),
            last: None,
            drawn: false,
        }
    }

    /// Sets or changes the total.
    pub fn set_total(&mut self, total: Option<u64>) {
        self.total = total;
    }

    /// Reports that `done` units are finished (rate-limited).
    pub fn update(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let interval = if self.tty {
            TTY_INTERVAL
        } else {
            PLAIN_INTERVAL
        };
        match self.last {
            Some(last) if now.duration_since(last) < interval => return,
            // Plain output starts after the first interval: short work prints
            // only its summary.
            None if !self.tty => {
                self.last = Some(now);
                return;
            }
            _ => {}
        }
        self.last = Some(now);
        let elapsed = now.duration_since(self.started).as_secs_f64();
        let mut stderr = std::io::stderr().lock();
        if self.tty {
            let line = match self.total {
                Some(total) if total > 0 => {
                    let fraction = (done as f64 / total as f64).clamp(0.0, 1.0);
                    let filled = (fraction * BAR_WIDTH as f64).round() as usize;
                    format!(
                        "{} [{}{}] {:>3}% {done}/{total} {} {elapsed:.1}s",
                        self.label,
                        "#".repeat(filled),
                        "-".repeat(BAR_WIDTH - filled),
                        (fraction * 100.0).floor(),
                        self.unit
                    )
                }
                _ => format!("{} {done} {} {elapsed:.1}s", self.label, self.unit),
            };
            let _ = write!(stderr, "\r\x1b[2K{line}");
            self.drawn = true;
        } else {
            let line = match self.total {
                Some(total) if total > 0 => format!(
                    "{}: {done}/{total} {} ({:.0}%), {elapsed:.1}s",
                    self.label,
                    self.unit,
                    (done as f64 / total as f64 * 100.0).min(100.0)
                ),
                _ => format!("{}: {done} {}, {elapsed:.1}s", self.label, self.unit),
            };
            let _ = writeln!(stderr, "{line}");
        }
        let _ = stderr.flush();
    }

    /// Removes the bar (on a terminal) so the caller's summary stands alone.
    pub fn finish(&mut self) {
        if self.drawn {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
            let _ = std::io::stderr().flush();
            self.drawn = false;
        }
    }

    /// Time since the work started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
