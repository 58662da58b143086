//! No KV operation stalls the event loop (issue 10): while each workload of
//! `tests/fixtures/timer_gap/workload.ts` runs, a 10 ms `setInterval` must
//! never wait more than 50 ms between ticks.
//!
//! - `list`: a `for await` over 100,000 entries; `gets`: 20,000 awaited gets
//!   (reads are synchronous ops: the shim yields to the event loop once a
//!   run of reads has taken 10 ms), on a memory and a file database.
//! - `locked`: another process (python3, `fcntl` locks on every WAL lock byte
//!   of the `-shm` file, as SQLite takes them) holds the file while the
//!   script reads and writes: both fail after `KVRT_LOCK_TIMEOUT_MS` with
//!   "database is locked" naming the file, and timers keep running.
//! - `commit`: one atomic commit of 1000 sets of 700 bytes, whose validation
//!   runs on the JavaScript thread (18-23 ms in a debug build, whose engine,
//!   SQLite and op layer are compiled optimized: see Cargo.toml).
//!
//! The cases run one at a time, and each may run three times: the bound is
//! about kvrt, not about a moment of contention on a shared machine (a
//! starved process misses ticks whatever it runs).

mod common;

use common::workspace;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BOUND_MS: f64 = 50.0;

/// One case at a time: they measure timing.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kvrt-timer-gap-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A field of the script's one-line JSON report.
fn field<'a>(report: &'a str, name: &str) -> &'a str {
    let key = format!("\"{name}\":");
    let start = report
        .find(&key)
        .map(|i| i + key.len())
        .unwrap_or(report.len());
    let rest = &report[start..];
    let end = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.find('"').map(|i| i + 2).unwrap_or(rest.len())
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    &rest[..end]
}

/// Runs one workload; returns its report line.
fn run(workload: &str, path: Option<&Path>, env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kvrt"));
    command.args([
        "run",
        "-A",
        "tests/fixtures/timer_gap/workload.ts",
        workload,
    ]);
    if let Some(path) = path {
        command.arg(path);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command
        .current_dir(workspace())
        .output()
        .expect("kvrt starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{workload} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout.trim().to_string()
}

/// Runs `workload` (three times at most) until its largest gap is within
/// `bound`.
fn check(workload: &str, path: Option<&Path>, bound: f64) -> String {
    let mut report = String::new();
    for _ in 0..3 {
        report = run(workload, path, &[]);
        eprintln!("{report}");
        let gap: f64 = field(&report, "maxGapMs").parse().expect("maxGapMs");
        if gap <= bound {
            return report;
        }
    }
    panic!("{workload}: a 10 ms timer waited more than {bound} ms: {report}");
}

#[test]
fn list_of_100k_entries_lets_timers_run() {
    let _serial = serial();
    let report = check("list", None, BOUND_MS);
    assert!(report.contains("listed 100000"), "{report}");
    let dir = temp_dir("list");
    let report = check("list", Some(&dir.join("kv.sqlite3")), BOUND_MS);
    assert!(report.contains("listed 100000"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn twenty_thousand_gets_let_timers_run() {
    let _serial = serial();
    let report = check("gets", None, BOUND_MS);
    assert!(report.contains("found 20000"), "{report}");
    let dir = temp_dir("gets");
    let report = check("gets", Some(&dir.join("kv.sqlite3")), BOUND_MS);
    assert!(report.contains("found 20000"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_big_commit_lets_timers_run() {
    let _serial = serial();
    let report = check("commit", None, BOUND_MS);
    assert!(report.contains("committed true"), "{report}");
    let dir = temp_dir("commit");
    let report = check("commit", Some(&dir.join("kv.sqlite3")), BOUND_MS);
    assert!(report.contains("committed true"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Holds exclusive `fcntl` locks on the WAL lock bytes (120..128) of
/// `<db>-shm` once `<db>.ready` exists, signals with `<db>.locked`, and
/// keeps them for `seconds`.
const LOCK_HOLDER: &str = r#"
import fcntl, os, sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
deadline = time.time() + 60
while not os.path.exists(path + ".ready"):
    if time.time() > deadline: sys.exit("the script never opened the database")
    time.sleep(0.01)
fd = os.open(path + "-shm", os.O_RDWR)
while True:
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 8, 120, os.SEEK_SET)
        break
    except OSError:
        if time.time() > deadline: sys.exit("could not take the locks")
        time.sleep(0.002)
open(path + ".locked", "w").close()
time.sleep(seconds)
"#;

#[test]
fn a_locked_file_fails_after_the_lock_timeout_without_stalling() {
    let _serial = serial();
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipping: python3 holds the locks and is not installed");
        return;
    }
    let dir = temp_dir("locked");
    let db = dir.join("kv.sqlite3");
    let mut holder = Command::new("python3")
        .args(["-c", LOCK_HOLDER, db.to_str().expect("utf-8 path"), "8"])
        .stdin(Stdio::null())
        .spawn()
        .expect("python3 starts");
    let started = Instant::now();
    let report = run("locked", Some(&db), &[("KVRT_LOCK_TIMEOUT_MS", "1500")]);
    let elapsed = started.elapsed();
    let _ = holder.kill();
    let _ = holder.wait();
    eprintln!("{report}");
    let file = db.display().to_string();
    let result = field(&report, "result");
    assert!(
        result.contains("read failed: database is locked") && result.contains(&file),
        "{report}"
    );
    assert!(
        result.contains("write failed: database is locked"),
        "{report}"
    );
    let gap: f64 = field(&report, "maxGapMs").parse().expect("maxGapMs");
    assert!(
        gap <= BOUND_MS,
        "timers stalled while the file was locked: {report}"
    );
    // Two operations, each bounded by the 1.5 s lock timeout.
    let took: f64 = field(&report, "elapsedMs").parse().expect("elapsedMs");
    assert!((2900.0..6000.0).contains(&took), "{report}");
    assert!(elapsed < Duration::from_secs(30));
    let _ = std::fs::remove_dir_all(&dir);
}
