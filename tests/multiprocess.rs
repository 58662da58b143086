//! Queues and watch across processes sharing one database file: delivery
//! and change notification between `kvrt run` processes, redelivery after a
//! handler's process is killed, and leases kept alive for slow handlers.
//! Timing bounds are generous; they check behaviour, not speed.

mod common;

use common::workspace;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A running `kvrt run` whose stdout lines arrive on a channel, each with
/// the moment it was read.
struct Script {
    child: Child,
    lines: Receiver<(SystemTime, String)>,
}

impl Script {
    fn spawn(script: &str, args: &[&str]) -> Script {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kvrt"))
            .args(["run", "-A"])
            .arg(format!("tests/fixtures/multiprocess/{script}"))
            .args(args)
            .current_dir(workspace())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kvrt starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send((SystemTime::now(), line)).is_err() {
                    break;
                }
            }
        });
        Script { child, lines }
    }

    /// Waits up to `timeout` for the next line.
    fn next_line(&self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok().map(|(_, line)| line)
    }

    /// Waits up to `timeout` for the next line, which must be `expected`;
    /// returns when it was printed (read from the pipe).
    fn expect_line(&self, expected: &str, timeout: Duration) -> SystemTime {
        let got = self.lines.recv_timeout(timeout).ok();
        assert_eq!(
            got.as_ref().map(|(_, line)| line.as_str()),
            Some(expected),
            "waiting for {expected:?}"
        );
        got.expect("line").0
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a script to its end; returns its stdout.
fn run(script: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_kvrt"))
        .args(["run", "-A"])
        .arg(format!("tests/fixtures/multiprocess/{script}"))
        .args(args)
        .current_dir(workspace())
        .stderr(Stdio::inherit())
        .output()
        .expect("kvrt runs");
    assert!(output.status.success(), "{script} {args:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs a writing script that prints `<word> <ms since the epoch>` once its
/// write is committed; returns that moment (the process exits later).
fn run_timed(script: &str, args: &[&str]) -> SystemTime {
    let out = run(script, args);
    let ms: u64 = out
        .split_whitespace()
        .nth(1)
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("{script}: no commit time in {out:?}"));
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// Time from `committed` (another process's clock reading, same machine) to
/// `seen`.
fn between(committed: SystemTime, seen: SystemTime) -> Duration {
    seen.duration_since(committed).unwrap_or(Duration::ZERO)
}

fn temp_db(name: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("kvrt-mp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("db.sqlite").to_string_lossy().into_owned();
    (dir, db)
}

const STARTUP: Duration = Duration::from_secs(20);

#[test]
fn enqueue_in_one_process_is_delivered_in_another_within_a_second() {
    let (dir, db) = temp_db("queue");
    let listener = Script::spawn("listen.ts", &[&db]);
    listener.expect_line("ready", STARTUP);
    // Let the listener reach its first wait on the queue.
    std::thread::sleep(Duration::from_millis(300));
    // The clock starts at the commit, not when the enqueuing process exited.
    let enqueued = run_timed("enqueue.ts", &[&db, "{\"job\":1}"]);
    let delivered = listener.expect_line("got {\"job\":1}", Duration::from_secs(5));
    let latency = between(enqueued, delivered);
    eprintln!("cross-process delivery latency: {latency:?}");
    assert!(latency < Duration::from_secs(1), "{latency:?}");
    drop(listener);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_write_in_another_process_wakes_a_watcher_within_a_second() {
    let (dir, db) = temp_db("watch");
    let watcher = Script::spawn("watch.ts", &[&db, "k"]);
    watcher.expect_line("null", STARTUP);
    // The clock starts at the commit, not when the writing process exited.
    let written = run_timed("set.ts", &[&db, "k", "\"hello\""]);
    let woken = watcher.expect_line("\"hello\"", Duration::from_secs(5));
    let latency = between(written, woken);
    eprintln!("cross-process watch latency: {latency:?}");
    assert!(latency < Duration::from_secs(1), "{latency:?}");
    run("set.ts", &[&db, "k", "\"stop\""]);
    watcher.expect_line("\"stop\"", Duration::from_secs(5));
    drop(watcher);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_message_whose_handler_was_killed_is_redelivered() {
    let (dir, db) = temp_db("kill");
    let first = Script::spawn("listen.ts", &[&db, "hang"]);
    first.expect_line("ready", STARTUP);
    run("enqueue.ts", &[&db, "\"precious\""]);
    first.expect_line("got \"precious\"", Duration::from_secs(5));
    drop(first); // SIGKILL while the handler runs
    let killed = Instant::now();
    let second = Script::spawn("listen.ts", &[&db]);
    second.expect_line("ready", STARTUP);
    second.expect_line("got \"precious\"", Duration::from_secs(15));
    eprintln!("redelivered {:?} after the kill", killed.elapsed());
    drop(second);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_slow_handler_keeps_its_lease() {
    let (dir, db) = temp_db("lease");
    // The handler runs for 7 s, longer than the 5 s lease.
    let slow = Script::spawn("listen.ts", &[&db, "7000"]);
    slow.expect_line("ready", STARTUP);
    run("enqueue.ts", &[&db, "\"long job\""]);
    slow.expect_line("got \"long job\"", Duration::from_secs(5));
    let other = Script::spawn("listen.ts", &[&db]);
    other.expect_line("ready", STARTUP);
    slow.expect_line("done \"long job\"", Duration::from_secs(15));
    // The other listener never saw the message while the lease was kept.
    assert_eq!(other.next_line(Duration::from_millis(500)), None);
    drop(slow);
    drop(other);
    std::fs::remove_dir_all(dir).ok();
}
