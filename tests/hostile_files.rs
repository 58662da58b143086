//! Hostile database files and handle leaks, driven through `kvrt run`
//! (`tests/fixtures/reliability/open_hostile.ts` opens a file, lists it,
//! gets some keys and writes once, reporting each step as a line).
//!
//! - Damaged files — garbage bytes, a database truncated at several points,
//!   SQLite files with another schema (a `kv` table with other columns, Deno's
//!   tables missing a column, a newer schema version), a directory — make
//!   `Deno.openKv(path)` reject (or, for truncations SQLite only notices when it
//!   reaches the missing pages, the first read) with an `Error` naming the file.
//! - An empty file opens as a new, empty database: that is what SQLite and
//!   Deno 2.9.6 do with a zero-length file (checked against the real deno), so
//!   kvrt must do the same, and keep what is written to it.
//! - Damaged rows inside a sound file (unknown value encoding, a KvU64 that is
//!   not 8 bytes, garbage V8 bytes, undecodable key bytes) make the reads that
//!   reach them reject with an `Error`, while other keys stay readable.
//! - A read-only file and a read-only directory give an error naming the file
//!   and saying it is read-only / not permitted. Running as root, mode bits are
//!   ignored, so the child then runs without CAP_DAC_OVERRIDE and
//!   CAP_DAC_READ_SEARCH (`setpriv --bounding-set -dac_override,-dac_read_search`),
//!   which makes root obey them like any user; as another user plain `chmod`
//!   does. A probe first checks that the child really is refused a 0444 file:
//!   as root without a working `setpriv` the test fails rather than pass
//!   without testing. (Switching to `nobody` does not work for a debug build: it reads
//!   extension sources from the cargo registry under /root at run time.)
//! - Opening the same file from 50 handles at once and closing them, round
//!   after round (`KV_HANDLE_ROUNDS`, default 400: 20,000 opens in ~30 s; the
//!   full 50 × 1,000 takes 60-70 s in a debug build on 2 cores), leaks no file
//!   descriptors or threads: the driver counts `/proc/<pid>/fd` and
//!   `/proc/<pid>/task` while the script waits at checkpoints. Closing releases
//!   a handle's SQLite files a few ms later (on the runtime's threads), so each
//!   count waits up to 5 s for the fds to come back to where they started; at
//!   the end it also waits for the idle blocking-pool threads to retire.
//!
//! In every case the process exits 0 (the script catches the errors), with no
//! panic or abort. Figures are printed.

mod common;

use common::workspace;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kv_engine::{
    encode_key, AtomicWrite, KeyPart, KvValue, Mutation, MutationKind, Store, StoreLocation,
};
use rusqlite::Connection;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kvrt-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn key(name: &str) -> Vec<u8> {
    encode_key(&[KeyPart::String(name.to_string())]).expect("string keys encode")
}

/// A sound database with `entries` keys `["k<i>"]` of 1000-byte values.
fn make_database(path: &Path, entries: usize) {
    let store = Store::open(StoreLocation::File(path.to_path_buf())).expect("create database");
    for chunk in (0..entries).collect::<Vec<_>>().chunks(50) {
        let write = AtomicWrite {
            mutations: chunk
                .iter()
                .map(|i| Mutation {
                    key: key(&format!("k{i}")),
                    kind: MutationKind::Set(KvValue::Bytes(vec![(*i % 251) as u8; 1000])),
                    expire_at_ms: None,
                    append_versionstamp: false,
                })
                .collect(),
            ..Default::default()
        };
        store
            .atomic_write(&write, 0)
            .expect("write")
            .expect("no checks");
    }
    // Dropping the last connection checkpoints the WAL into the file.
}

/// What open_hostile.ts reported.
#[derive(Debug)]
struct Report {
    lines: Vec<String>,
    stderr: String,
}

impl Report {
    fn line(&self, prefix: &str) -> Option<&str> {
        self.lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .map(|l| l[prefix.len()..].trim_start())
    }

    /// `[class, message]` of the `get-error <key>` line.
    fn get_error(&self, key: &str) -> Option<(String, String)> {
        self.line(&format!("get-error {key} ")).map(parse_pair)
    }

    /// `[class, message]` of an `<step>-error` line.
    fn error(&self, step: &str) -> Option<(String, String)> {
        let json = self.line(&format!("{step}-error "))?;
        let (class, message) = parse_pair(json);
        Some((class, message))
    }
}

/// Parses the `["Class", "message"]` JSON that open_hostile.ts prints.
fn parse_pair(json: &str) -> (String, String) {
    let mut parts = Vec::new();
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        s.push(
                            char::from_u32(u32::from_str_radix(&hex, 16).unwrap_or(0xfffd))
                                .unwrap_or('\u{fffd}'),
                        );
                    }
                    Some(other) => s.push(other),
                    None => break,
                },
                c => s.push(c),
            }
        }
        parts.push(s);
    }
    assert_eq!(parts.len(), 2, "not a [class, message] pair: {json}");
    (parts[0].clone(), parts[1].clone())
}

/// Runs a fixture with `kvrt run`, optionally through a wrapper command
/// (`setpriv ...`), and checks that it neither panicked nor aborted.
fn run_fixture(wrapper: &[&str], script: &str, args: &[&str]) -> Output {
    let kvrt = env!("CARGO_BIN_EXE_kvrt");
    let mut command = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(kvrt);
            c
        }
        None => Command::new(kvrt),
    };
    let out = command
        .args(["run", "-A"])
        .arg(format!("tests/fixtures/reliability/{script}"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("kvrt runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.signal().is_none(),
        "{script} {args:?}: killed by signal {:?} (abort?): {stderr}",
        out.status.signal()
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{script} {args:?}: panic: {stderr}"
    );
    out
}

fn open_hostile(wrapper: &[&str], path: &Path, gets: &[&str]) -> Report {
    let mut args = vec![path.to_str().expect("utf-8 path")];
    args.extend_from_slice(gets);
    let out = run_fixture(wrapper, "open_hostile.ts", &args);
    let report = Report {
        lines: String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: open_hostile.ts failed: {report:?}",
        path.display()
    );
    report
}

/// Asserts that opening (or, if `allow_read_error`, the first read) failed
/// with an `Error` naming the file; returns the message.
fn assert_named_error(path: &Path, report: &Report, allow_read_error: bool) -> String {
    let shown = path.display().to_string();
    let (step, (class, message)) = match (report.error("open"), report.error("read")) {
        (Some(e), _) => ("open", e),
        (None, Some(e)) if allow_read_error => ("read", e),
        _ => panic!("{shown}: expected openKv to reject, got {report:?}"),
    };
    assert_eq!(class, "Error", "{shown}: {step} error class: {message}");
    assert!(
        message.contains(&shown),
        "{shown}: the {step} error does not name the file: {message:?}"
    );
    message
}

#[test]
fn damaged_files_are_rejected_with_an_error_naming_the_file() {
    let dir = temp_dir("damaged");
    let mut cases: Vec<(String, PathBuf, bool)> = Vec::new();

    let garbage = dir.join("garbage.sqlite");
    let noise: Vec<u8> = (0..16384u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&garbage, &noise).expect("write garbage");
    cases.push(("garbage bytes".into(), garbage, false));

    let zeros = dir.join("zeros.sqlite");
    std::fs::write(&zeros, vec![0u8; 8192]).expect("write zeros");
    cases.push(("zero bytes".into(), zeros, false));

    let header_only = dir.join("header.sqlite");
    std::fs::write(&header_only, b"SQLite format 3\0").expect("write header");
    cases.push(("only the magic header".into(), header_only, false));

    let sound = dir.join("sound.sqlite");
    make_database(&sound, 600);
    let bytes = std::fs::read(&sound).expect("read database");
    let size = bytes.len();
    for cut in [50, 100, 4096, 4096 + 100, size / 2, size - 4096] {
        let path = dir.join(format!("truncated-{cut}.sqlite"));
        std::fs::write(&path, &bytes[..cut]).expect("write truncated copy");
        // Opening reads the schema pages; a cut SQLite only notices when a read
        // reaches the missing pages fails there, naming the file too.
        cases.push((format!("truncated to {cut} of {size} bytes"), path, true));
    }

    let other_kv = dir.join("other-kv.sqlite");
    Connection::open(&other_kv)
        .and_then(|c| c.execute_batch("create table kv (a, b); create table other (x);"))
        .expect("other schema");
    cases.push(("a kv table with other columns".into(), other_kv, false));

    let missing_column = dir.join("missing-column.sqlite");
    make_database(&missing_column, 3);
    Connection::open(&missing_column)
        .and_then(|c| {
            c.execute_batch(
                "drop index kv_expiration_ms_idx; alter table kv drop column expiration_ms;",
            )
        })
        .expect("drop column");
    cases.push((
        "Deno's tables with a column missing".into(),
        missing_column,
        false,
    ));

    let newer = dir.join("newer.sqlite");
    make_database(&newer, 3);
    Connection::open(&newer)
        .and_then(|c| c.execute_batch("update migration_state set version = 99;"))
        .expect("bump version");
    cases.push(("a newer schema version".into(), newer, false));

    let directory = dir.join("a-directory");
    std::fs::create_dir_all(&directory).expect("mkdir");
    cases.push(("a directory".into(), directory, false));

    let started = Instant::now();
    for (what, path, allow_read_error) in &cases {
        let report = open_hostile(&[], path, &[]);
        let message = assert_named_error(path, &report, *allow_read_error);
        eprintln!("  {what}: {}", message.lines().next().unwrap_or(""));
    }
    // A cut inside the last page may go unnoticed by SQLite: whatever
    // happens, no panic (checked by run_fixture) and the file stays usable
    // or is reported.
    let last_byte = dir.join("truncated-last-byte.sqlite");
    std::fs::write(&last_byte, &bytes[..size - 1]).expect("write");
    let report = open_hostile(&[], &last_byte, &[]);
    eprintln!("  truncated by one byte: {}", report.lines.join(" | "));
    eprintln!(
        "hostile files: {} damaged files rejected with an Error naming the file, 0 panics, {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_empty_file_opens_as_a_new_database_like_deno() {
    let dir = temp_dir("empty");
    let empty = dir.join("empty.sqlite");
    std::fs::write(&empty, b"").expect("create empty file");
    let report = open_hostile(&[], &empty, &[]);
    assert_eq!(
        report.lines,
        ["open-ok", "read-ok 0", "write-ok"],
        "{report:?}"
    );
    // What was written is there on reopening.
    let report = open_hostile(&[], &empty, &[]);
    assert_eq!(report.lines[..2], ["open-ok", "read-ok 1"], "{report:?}");
    eprintln!("empty file: opened as a new database (as Deno does), write kept on reopen");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn damaged_rows_fail_the_reads_that_reach_them_and_nothing_else() {
    let dir = temp_dir("rows");
    let cases: [(&str, Vec<u8>, Vec<u8>, i64); 6] = [
        (
            "unknown-encoding",
            key("unknown-encoding"),
            vec![1, 2, 3],
            99,
        ),
        ("short-u64", key("short-u64"), vec![1, 2, 3], 2),
        (
            "garbage-v8",
            key("garbage-v8"),
            vec![0xff, 0x10, 0x6f, 0x22, 0x7f],
            1,
        ),
        (
            "bad-v8-tag",
            key("bad-v8-tag"),
            vec![0xff, 0x10, 0xee, 0xee],
            1,
        ),
        ("empty-v8", key("empty-v8"), vec![], 1),
        ("bad-key", vec![0x02, 0x62, 0x61, 0x64], vec![1], 3), // unterminated string part
    ];
    let mut failures = 0;
    for (name, k, v, encoding) in &cases {
        let path = dir.join(format!("{name}.sqlite"));
        make_database(&path, 3);
        Connection::open(&path)
            .and_then(|c| {
                c.execute(
                    "insert into kv (k, v, v_encoding, version) values (?1, ?2, ?3, 1)",
                    rusqlite::params![k, v, encoding],
                )
            })
            .expect("insert damaged row");
        let report = open_hostile(&[], &path, &[name, "k1"]);
        assert_eq!(report.line("open-ok"), Some(""), "{name}: {report:?}");
        let (class, message) = report
            .error("read")
            .unwrap_or_else(|| panic!("{name}: listing everything must fail: {report:?}"));
        assert!(
            class.ends_with("Error") && !message.is_empty(),
            "{name}: {class}: {message}"
        );
        if *name != "bad-key" {
            let (class, _) = report
                .get_error(name)
                .unwrap_or_else(|| panic!("{name}: getting it must fail: {report:?}"));
            assert!(class.ends_with("Error"), "{name}: {class}");
        }
        assert_eq!(
            report.line("get-ok k1"),
            Some("Uint8Array(1000)"),
            "{name}: other keys stay readable: {report:?}"
        );
        assert_eq!(report.line("write-ok"), Some(""), "{name}: {report:?}");
        failures += 1;
        eprintln!("  {name}: list rejects with {class}: {message}");
    }
    eprintln!(
        "damaged rows: {failures} kinds, each failing only the reads that reach it, 0 panics"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// The wrapper that makes the child obey file modes: empty when not root.
/// As root, `setpriv` drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. Panics
/// when modes cannot be enforced (root without a working `setpriv`), so the
/// read-only test can never pass without having tested anything; the probe
/// also checks that a wrapped child really is refused a read-only file.
fn without_dac_override(probe_dir: &Path) -> Vec<&'static str> {
    let uid = Command::new("id").arg("-u").output().expect("run id -u");
    let wrapper = if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        vec![
            "setpriv",
            "--bounding-set",
            "-dac_override,-dac_read_search",
            "--inh-caps",
            "-all",
        ]
    } else {
        Vec::new()
    };
    let probe = probe_dir.join("mode-probe");
    std::fs::write(&probe, "x").expect("write probe");
    chmod(&probe, 0o444);
    let script = format!("echo y >> '{}'", probe.display());
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg("sh");
            c
        }
        None => Command::new("sh"),
    };
    let status = command
        .arg("-c")
        .arg(&script)
        .stderr(Stdio::null())
        .status();
    std::fs::remove_file(&probe).ok();
    match status {
        Ok(status) if !status.success() => wrapper,
        Ok(_) => panic!(
            "file modes are not enforced: a child run as {wrapper:?} could append to a 0444 \
             file, so the read-only test cannot test anything"
        ),
        Err(e) => panic!(
            "running as root, the read-only test needs `setpriv` (util-linux; \
             ./scripts/setup.sh installs it) to drop CAP_DAC_OVERRIDE: {e}"
        ),
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn read_only_file_and_directory_give_a_clear_permission_error() {
    let dir = temp_dir("readonly");
    let wrapper = without_dac_override(&dir);
    // A read-only database file in a writable directory.
    let file_dir = dir.join("dir-a");
    std::fs::create_dir_all(&file_dir).expect("mkdir");
    let ro_file = file_dir.join("a.sqlite");
    make_database(&ro_file, 3);
    chmod(&ro_file, 0o444);
    // A writable database file in a read-only directory (no -wal/-shm files
    // can be created), and a new file there.
    let ro_dir = dir.join("dir-b");
    std::fs::create_dir_all(&ro_dir).expect("mkdir");
    let in_ro_dir = ro_dir.join("db.sqlite");
    make_database(&in_ro_dir, 3);
    chmod(&in_ro_dir, 0o666);
    chmod(&ro_dir, 0o555);
    let new_in_ro_dir = ro_dir.join("new.sqlite");

    // The message must say that it is a permission problem ("unable to open"
    // alone does not: a missing directory says that too).
    let clear = |m: &str| {
        let m = m.to_lowercase();
        [
            "read-only",
            "readonly",
            "permission",
            "not permitted",
            "access denied",
        ]
        .iter()
        .any(|w| m.contains(w))
    };
    let mut problems = Vec::new();
    for (what, path) in [
        ("read-only file", &ro_file),
        ("file in a read-only directory", &in_ro_dir),
        ("new file in a read-only directory", &new_in_ro_dir),
    ] {
        let report = open_hostile(&wrapper, path, &[]);
        // Rejected at open, or (like Deno with a read-only file) opened
        // read-only with the write rejected.
        let error = report.error("open").or_else(|| report.error("write"));
        let shown = path.display().to_string();
        // Judged without the path, so that no word of the path counts.
        match error {
            Some((class, message))
                if message.contains(&shown)
                    && clear(
                        &message
                            .replace(&shown, "")
                            .replace(&dir.display().to_string(), ""),
                    ) =>
            {
                eprintln!("  {what}: {class}: {message}");
            }
            Some((class, message)) => {
                eprintln!("  {what}: UNCLEAR {class}: {message}");
                problems.push(format!(
                    "{what} ({shown}): error does not name the file or say why: {class}: {message:?}"
                ));
            }
            None => problems.push(format!("{what}: no error at all: {report:?}")),
        }
        assert!(report.stderr.is_empty(), "{what}: {}", report.stderr);
    }
    chmod(&ro_dir, 0o755);
    std::fs::remove_dir_all(&dir).ok();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!(
        "read-only files: 3 cases give a permission error naming the file{}",
        if wrapper.is_empty() {
            ""
        } else {
            " (root without CAP_DAC_OVERRIDE)"
        }
    );
}

fn count_entries(dir: &str) -> usize {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .count()
}

/// Counts of one checkpoint: fds and threads once settled, and how long
/// settling took.
#[derive(Debug, Clone, Copy)]
struct Counts {
    fds: usize,
    threads: usize,
    settled_ms: u128,
}

/// Samples the process until its fd count reaches `target` (closing a handle
/// releases its SQLite connections a moment later, on the runtime's threads)
/// or, without a target, stops changing; and, with `threads_target`, until
/// the thread count is down to it too. Gives up after `limit`.
fn settle(
    pid: u32,
    target: Option<usize>,
    threads_target: Option<usize>,
    limit: Duration,
) -> Counts {
    let started = Instant::now();
    let sample = || {
        (
            count_entries(&format!("/proc/{pid}/fd")),
            count_entries(&format!("/proc/{pid}/task")),
        )
    };
    let mut last = sample();
    let mut stable = 0;
    while started.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(20));
        let now = sample();
        let fds_done = match target {
            Some(t) => now.0 <= t,
            None => {
                stable = if now.0 == last.0 { stable + 1 } else { 0 };
                stable >= 10
            }
        };
        let done = fds_done && threads_target.is_none_or(|t| now.1 <= t);
        last = now;
        if done {
            break;
        }
    }
    Counts {
        fds: last.0,
        threads: last.1,
        settled_ms: started.elapsed().as_millis(),
    }
}

#[test]
fn opening_and_closing_many_handles_leaks_no_fds_or_threads() {
    let rounds: usize = std::env::var("KV_HANDLE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(400);
    let dir = temp_dir("handles");
    let db = dir.join("db.sqlite");
    let sync = dir.join("sync");
    std::fs::create_dir_all(&sync).expect("sync dir");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvrt"))
        .args(["run", "-A"])
        .arg("tests/fixtures/reliability/handles.ts")
        .arg(&db)
        .arg(rounds.to_string())
        .arg(&sync)
        .current_dir(workspace())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kvrt starts");
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut counts: Vec<(String, Counts)> = Vec::new();
    let mut done = None;
    let mut start_fds = None;
    while let Some(Ok(line)) = lines.next() {
        if let Some(name) = line.strip_prefix("checkpoint ") {
            // With no handle open, the process must be back to its fds at
            // start. At the end, also wait for the idle blocking-pool threads
            // to retire (tokio keeps them 10 s): what remains must be the
            // threads the process started with.
            let target = match name {
                "start" | "open" => None,
                _ => start_fds.map(|(fds, _)| fds),
            };
            let (threads_target, limit) = match (name, start_fds) {
                ("end", Some((_, threads))) => (Some(threads + 1), Duration::from_secs(20)),
                _ => (None, Duration::from_secs(5)),
            };
            let c = settle(pid, target, threads_target, limit);
            if name == "start" {
                start_fds = Some((c.fds, c.threads));
            }
            eprintln!(
                "  checkpoint {name:<8} at {:>5.1} s: {} fds, {} threads (settled in {} ms)",
                started.elapsed().as_secs_f64(),
                c.fds,
                c.threads,
                c.settled_ms
            );
            counts.push((name.to_string(), c));
            std::fs::write(sync.join(format!("go-{name}")), b"").expect("release checkpoint");
        } else if let Some(rest) = line.strip_prefix("done ") {
            done = Some(rest.to_string());
        }
    }
    let status = child.wait().expect("exit");
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    assert!(
        status.success() && stderr.is_empty(),
        "{status:?}: {stderr}"
    );
    let elapsed = started.elapsed();
    let done = done.expect("the script finished");
    let opened: usize = done
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("count");
    let get = |name: &str| {
        counts
            .iter()
            .find(|c| c.0 == name)
            .unwrap_or_else(|| panic!("no checkpoint {name}"))
            .1
    };
    let (start, baseline, open, half, end) = (
        get("start"),
        get("baseline"),
        get("open"),
        get("half"),
        get("end"),
    );
    // The counting sees the handles while they are open...
    assert!(
        open.fds >= start.fds + 100,
        "50 open handles should hold fds"
    );
    // ...and all of them are released after closing, however many rounds ran.
    for (name, c) in [("baseline", baseline), ("half", half), ("end", end)] {
        assert_eq!(
            c.fds, start.fds,
            "{name}: fds still open 5 s after closing every handle"
        );
    }
    // Idle blocking-pool threads come and go (the pool grows to serve 50
    // opens at once) but do not grow with the rounds, and once idle long
    // enough they are all gone.
    assert!(
        half.threads <= open.threads + 8,
        "threads grew: 50 open {}, half {}",
        open.threads,
        half.threads
    );
    assert!(
        end.threads <= start.threads + 1,
        "threads left 20 s after the last round: {} (at start {})",
        end.threads,
        start.threads
    );
    eprintln!(
        "handles: {rounds} rounds x 50 handles = {opened} opens and closes of one file in {:.1} s; \
         fds start {} / after 1 round {} / 50 open {} / half {} / end {}; \
         threads start {} / after 1 round {} / 50 open {} / half {} / end {}; leaked fds 0, leaked threads 0",
        elapsed.as_secs_f64(),
        start.fds,
        baseline.fds,
        open.fds,
        half.fds,
        end.fds,
        start.threads,
        baseline.threads,
        open.threads,
        half.threads,
        end.threads
    );
    std::fs::remove_dir_all(dir).ok();
}
