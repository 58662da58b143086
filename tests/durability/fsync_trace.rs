//! Durability, which a SIGKILL cannot test (the page cache survives it): every
//! acknowledged write must be on disk, i.e. its WAL frames fsynced, before its
//! promise resolves.
//!
//! `tests/fixtures/durability/acks.ts` runs under `strace -f` and makes
//! writes of every kind — single sets one after another, 40 concurrent sets
//! (group commits), atomic commits, enqueues, 20 concurrent enqueues, and sets
//! concurrent with atomic sums — each carrying a unique marker in its value or
//! message, and prints `ack <marker>` as soon as each promise resolves. For
//! every acknowledgement, in the order of the trace:
//! - `P`: the first `pwrite64` to the database's `-wal` file whose data holds
//!   the marker (the write's row, in a page frame of its transaction);
//! - `C`: the first commit frame header written after `P` (a 24-byte frame
//!   header whose "database size after commit" field is not 0), which ends
//!   that transaction;
//! - an `fsync`/`fdatasync` of the `-wal` file that started after `C`
//!   completed and completed (returning 0) before the `write` of the
//!   acknowledgement to stdout started.
//!
//! A build that commits with `PRAGMA synchronous=NORMAL` (WAL synced only at
//! checkpoints) fails this. strace comes from `./scripts/setup.sh`; without it
//! the test fails (`KVRT_SKIP_STRACE=1` skips it, saying so).

use std::collections::HashMap;
use std::process::{Command, Stdio};

use crate::common::workspace;

/// One system call of the trace: where it started and completed (line
/// numbers of the trace), its name, the file of its first argument (from
/// strace's `-y`), its data argument and its result.
#[derive(Debug, Clone)]
struct Call {
    entry: usize,
    exit: Option<usize>,
    name: String,
    path: Option<Vec<u8>>,
    data: Vec<u8>,
    result: Option<i64>,
}

/// Decodes strace's `-xx` escapes (`\x61...`; `\n` etc. cannot occur with -xx).
fn unhex(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(s.len() / 4);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() && bytes[i + 1] == b'x' {
            out.push(u8::from_str_radix(&s[i + 2..i + 4], 16).expect("hex escape"));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Parses the arguments text of a call (`fd<path>, "data", n, offset`): the
/// path and the data.
fn parse_args(args: &str) -> (Option<Vec<u8>>, Vec<u8>) {
    let path = args.find('<').and_then(|start| {
        let first_comma = args.find(',').unwrap_or(args.len());
        (start < first_comma).then(|| {
            let end = args[start..]
                .find('>')
                .map(|e| start + e)
                .unwrap_or(args.len());
            unhex(&args[start + 1..end])
        })
    });
    let data = match args.find('"') {
        Some(start) => {
            let end = args[start + 1..]
                .find('"')
                .map(|e| start + 1 + e)
                .unwrap_or(args.len());
            unhex(&args[start + 1..end])
        }
        None => Vec::new(),
    };
    (path, data)
}

fn parse_result(rest: &str) -> Option<i64> {
    let eq = rest.rfind(" = ")?;
    rest[eq + 3..].split_whitespace().next()?.parse().ok()
}

/// Parses an `strace -f -y -xx` trace into calls in the order they started.
fn parse_trace(text: &str) -> Vec<Call> {
    let mut calls: Vec<Call> = Vec::new();
    let mut pending: HashMap<String, usize> = HashMap::new();
    for (line_no, line) in text.lines().enumerate() {
        let line = line.trim_end();
        let Some((pid, rest)) = line.split_once(char::is_whitespace) else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(resumed) = rest.strip_prefix("<... ") {
            // `<... name resumed>) = ret`
            if let Some(index) = pending.remove(pid) {
                calls[index].exit = Some(line_no);
                calls[index].result = parse_result(resumed);
            }
            continue;
        }
        let Some(open) = rest.find('(') else { continue };
        let name = &rest[..open];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue; // signals, exits
        }
        let unfinished = rest.ends_with("<unfinished ...>");
        let args = if unfinished {
            &rest[open + 1..rest.len() - "<unfinished ...>".len()]
        } else {
            let close = rest.rfind(") = ").unwrap_or(rest.len());
            &rest[open + 1..close]
        };
        let (path, data) = parse_args(args);
        calls.push(Call {
            entry: line_no,
            exit: (!unfinished).then_some(line_no),
            name: name.to_string(),
            path,
            data,
            result: if unfinished { None } else { parse_result(rest) },
        });
        if unfinished {
            pending.insert(pid.to_string(), calls.len() - 1);
        }
    }
    calls
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The WAL's commit frames: 24-byte frame headers whose bytes 4..8 (database
/// size after commit, big-endian) are not 0.
fn is_commit_header(call: &Call) -> bool {
    call.data.len() == 24 && call.data[4..8] != [0, 0, 0, 0]
}

/// Checks that every acknowledgement in the trace came after an fsync of the
/// WAL that covered its transaction; returns (acknowledgements, WAL syncs) or
/// the problems found.
fn check_trace(text: &str, wal: &[u8]) -> Result<(usize, usize), Vec<String>> {
    let calls = parse_trace(text);
    let is_wal = |c: &Call| c.path.as_deref() == Some(wal);
    let writes: Vec<&Call> = calls
        .iter()
        .filter(|c| is_wal(c) && c.name.starts_with("pwrite"))
        .collect();
    let syncs: Vec<&Call> = calls
        .iter()
        .filter(|c| is_wal(c) && matches!(c.name.as_str(), "fsync" | "fdatasync"))
        .filter(|c| c.result == Some(0))
        .collect();
    let acks: Vec<(String, &Call)> = calls
        .iter()
        .filter(|c| c.name == "write" && c.data.starts_with(b"ack "))
        .flat_map(|c| {
            String::from_utf8_lossy(&c.data)
                .lines()
                .filter_map(|l| l.strip_prefix("ack ").map(str::to_string))
                .map(|m| (m, c))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut problems = Vec::new();
    if writes.is_empty() {
        problems.push("no pwrite64 to the -wal file in the trace".to_string());
    }
    for (marker, ack) in &acks {
        let Some(first) = writes
            .iter()
            .position(|w| contains(&w.data, marker.as_bytes()))
        else {
            problems.push(format!("{marker}: never written to the WAL"));
            continue;
        };
        if writes[first].entry > ack.entry {
            problems.push(format!(
                "{marker}: acknowledged before it was written to the WAL"
            ));
            continue;
        }
        // The page's frame header comes just before it: if that frame is the
        // transaction's last, its header is the commit frame.
        let Some(commit) = writes[first.saturating_sub(1)..]
            .iter()
            .find(|w| is_commit_header(w))
        else {
            problems.push(format!("{marker}: no commit frame after its data"));
            continue;
        };
        let Some(commit_done) = commit.exit.filter(|&done| done < ack.entry) else {
            problems.push(format!(
                "{marker}: acknowledged (trace line {}) before its commit frame was written (line {})",
                ack.entry + 1,
                commit.entry + 1
            ));
            continue;
        };
        let synced = syncs
            .iter()
            .any(|s| s.entry > commit_done && s.exit.is_some_and(|done| done < ack.entry));
        if !synced {
            problems.push(format!(
                "{marker}: acknowledged (trace line {}) with no fsync of the WAL between its commit \
                 frame (line {}) and the acknowledgement",
                ack.entry + 1,
                commit_done + 1
            ));
        }
    }
    if problems.is_empty() {
        Ok((acks.len(), syncs.len()))
    } else {
        Err(problems)
    }
}

/// The fixture's markers, as acks.ts numbers them.
fn expected_markers() -> Vec<String> {
    let kinds = [
        ("single", 10),
        ("group", 40),
        ("atomic", 5),
        ("enqueue", 5),
        ("qgroup", 20),
        ("mixed", 20),
    ];
    kinds
        .iter()
        .flat_map(|(kind, n)| (0..*n).map(move |i| format!("DURABLE-{kind}-{i:05}")))
        .collect()
}

fn strace_available() -> bool {
    Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn every_acknowledged_write_is_fsynced_before_it_resolves() {
    if !strace_available() {
        if std::env::var("KVRT_SKIP_STRACE").as_deref() == Ok("1") {
            eprintln!("SKIPPED (KVRT_SKIP_STRACE=1): no strace; durability was NOT checked");
            return;
        }
        panic!(
            "the durability test needs strace (./scripts/setup.sh installs it; \
             KVRT_SKIP_STRACE=1 skips)"
        );
    }
    let dir = std::env::temp_dir().join(format!("kvrt-durability-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("db.sqlite");
    let trace_file = dir.join("trace");
    let output = Command::new("strace")
        .args(["-f", "-y", "-xx", "-s", "8192", "-o"])
        .arg(&trace_file)
        .args([
            "-e",
            "trace=write,writev,pwrite64,pwritev,pwritev2,fsync,fdatasync,sync_file_range",
        ])
        .arg(env!("CARGO_BIN_EXE_kvrt"))
        .args(["run", "-A"])
        .arg("tests/fixtures/durability/acks.ts")
        .arg(&db)
        .current_dir(workspace())
        .output()
        .expect("strace starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.ends_with("done\n"),
        "acks.ts under strace failed: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // Every write was acknowledged.
    let mut acked: Vec<String> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ack ").map(str::to_string))
        .collect();
    acked.sort();
    let mut expected = expected_markers();
    expected.sort();
    assert_eq!(acked, expected, "acknowledgements printed");

    let text = std::fs::read_to_string(&trace_file).expect("trace");
    let wal = format!("{}-wal", db.display()).into_bytes();
    match check_trace(&text, &wal) {
        Ok((acks, syncs)) => {
            assert_eq!(acks, expected.len(), "acknowledgements found in the trace");
            assert!(
                syncs < acks,
                "{syncs} WAL fsyncs for {acks} writes: no group commit was exercised"
            );
            eprintln!(
                "durability: {acks} acknowledged writes (10 single, 40 concurrent, 5 atomic, \
                 5 enqueues, 20 concurrent enqueues, 20 mixed), each after an fsync of the WAL \
                 covering its commit; {syncs} WAL fsyncs in all"
            );
        }
        Err(problems) => panic!(
            "{} of {} acknowledged writes were not durable when acknowledged (trace kept at {}):\n{}",
            problems.len(),
            expected.len(),
            trace_file.display(),
            problems
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn trace_parser_reads_unfinished_calls_and_commit_frames() {
    let wal = b"/d/db-wal";
    let hex = |s: &[u8]| s.iter().map(|b| format!("\\x{b:02x}")).collect::<String>();
    let w = hex(wal);
    let page = hex(b"...DURABLE-single-00000...");
    let commit = hex(&[
        0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    let frame = hex(&[0; 24]);
    let ack = hex(b"ack DURABLE-single-00000\n");
    let good = format!(
        "7 pwrite64(5<{w}>, \"{frame}\", 24, 32) = 24\n\
         7 pwrite64(5<{w}>, \"{page}\", 26, 56) = 26\n\
         7 pwrite64(5<{w}>, \"{commit}\", 24, 4152) = 24\n\
         7 fsync(5<{w}> <unfinished ...>\n\
         6 write(1<{}>, \"{ack}\", 25 <unfinished ...>\n\
         7 <... fsync resumed>) = 0\n\
         6 <... write resumed>) = 25\n",
        hex(b"pipe:[1]")
    );
    // The fsync completed after the acknowledgement had started: not durable.
    assert!(check_trace(&good, wal).is_err());
    let synced = format!(
        "7 pwrite64(5<{w}>, \"{frame}\", 24, 32) = 24\n\
         7 pwrite64(5<{w}>, \"{page}\", 26, 56) = 26\n\
         7 pwrite64(5<{w}>, \"{commit}\", 24, 4152) = 24\n\
         7 fsync(5<{w}>) = 0\n\
         6 write(1<{}>, \"{ack}\", 25) = 25\n",
        hex(b"pipe:[1]")
    );
    assert_eq!(check_trace(&synced, wal), Ok((1, 1)));
    // An fsync of another file does not count.
    let other = synced.replace("7 fsync(5<", "7 fsync(6<\\x78");
    assert!(
        check_trace(&other, wal).is_err(),
        "an fsync of another file"
    );
    // An fsync before the commit frame does not count.
    let early = synced.replace(&format!("7 fsync(5<{w}>) = 0\n"), "");
    let early = early.replacen(
        &format!("7 pwrite64(5<{w}>, \"{commit}\""),
        &format!("7 fsync(5<{w}>) = 0\n7 pwrite64(5<{w}>, \"{commit}\""),
        1,
    );
    assert!(check_trace(&early, wal).is_err());
}
