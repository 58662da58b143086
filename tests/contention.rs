//! Multi-process contention on one database file:
//! - 4 processes × 250 optimistic check-and-set increments (get, then
//!   `atomic().check(entry).set(...)`, retried on `{ ok: false }`) of one
//!   counter end at exactly 1000, and sorting the 1000 acknowledged commits by
//!   versionstamp gives the values 1, 2, ..., 1000 (no lost or duplicated
//!   update, versionstamps unique and ordered like the commits);
//! - 4 processes × 250 `atomic().sum` increments end at exactly 1000 with 1000
//!   distinct versionstamps;
//! - reader processes running meanwhile only see committed states (see
//!   `tests/fixtures/reliability/contention_reader.ts`: the counter never
//!   decreases and stays an integer <= 1000, keys written in one commit always
//!   read equal);
//! - no error reaches JavaScript: every process exits 0 with an empty stderr
//!   (SQLite's "database is locked" must be retried inside the engine).
//!
//! The two scenarios take a lock so that their timings do not mix. Figures
//! (operations, retries, reads, final values, time) are printed.

mod common;

use common::workspace;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

const PROCESSES: usize = 4;
const PER_PROCESS: usize = 250;
const TOTAL: usize = PROCESSES * PER_PROCESS;
const TIMEOUT: Duration = Duration::from_secs(120);

static SERIAL: Mutex<()> = Mutex::new(());

fn temp_db(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("kvrt-contention-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("db.sqlite");
    (dir, db)
}

/// A `kvrt run` whose whole stdout and stderr are collected.
struct Proc {
    name: String,
    child: Child,
    out: JoinHandle<Vec<String>>,
    err: JoinHandle<String>,
}

impl Proc {
    fn spawn(name: &str, script: &str, args: &[&str]) -> Proc {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kvrt"))
            .args(["run", "-A"])
            .arg(format!("tests/fixtures/reliability/{script}"))
            .args(args)
            .current_dir(workspace())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kvrt starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let out = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect()
        });
        let err = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        Proc {
            name: name.to_string(),
            child,
            out,
            err,
        }
    }

    /// Waits (bounded) for a clean exit; returns stdout lines.
    fn finish(mut self, deadline: Instant) -> Vec<String> {
        loop {
            if let Some(status) = self.child.try_wait().expect("status") {
                let lines = self.out.join().expect("stdout thread");
                let stderr = self.err.join().expect("stderr thread");
                assert!(
                    status.success() && stderr.is_empty(),
                    "{} exited with {status:?}; stderr: {stderr}; last output: {:?}",
                    self.name,
                    lines.last()
                );
                return lines;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("{} did not finish within {TIMEOUT:?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn stored_u64(db: &Path, key: &[u8]) -> u64 {
    let conn = Connection::open(db).expect("open db");
    let (bytes, encoding): (Vec<u8>, i64) = conn
        .query_row("select v, v_encoding from kv where k = ?1", [key], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("row exists");
    assert_eq!(encoding, 2, "a KvU64");
    u64::from_le_bytes(bytes.as_slice().try_into().expect("8 bytes"))
}

fn spawn_cas_writers(db: &str) -> Vec<Proc> {
    (0..PROCESSES)
        .map(|i| {
            Proc::spawn(
                &format!("check-and-set writer {i}"),
                "cas_increment.ts",
                &[db, &PER_PROCESS.to_string(), &format!("w{i}")],
            )
        })
        .collect()
}

fn spawn_sum_writers(db: &str) -> Vec<Proc> {
    (0..PROCESSES)
        .map(|i| {
            Proc::spawn(
                &format!("sum writer {i}"),
                "sum_increment.ts",
                &[db, &PER_PROCESS.to_string(), &format!("s{i}")],
            )
        })
        .collect()
}

fn spawn_reader(db: &str, which: &str, i: usize) -> Proc {
    Proc::spawn(
        &format!("{which} reader {i}"),
        "contention_reader.ts",
        &[db, which, &TOTAL.to_string()],
    )
}

fn key(name: &str) -> Vec<u8> {
    kv_engine::encode_key(&[kv_engine::KeyPart::String(name.into())]).expect("string keys encode")
}

/// Waits for the check-and-set writers and checks their commits; returns the retries.
fn finish_cas_writers(writers: Vec<Proc>, db: &Path, deadline: Instant) -> u64 {
    let mut commits: Vec<(String, u64)> = Vec::new();
    let mut retries = 0u64;
    for writer in writers {
        let lines = writer.finish(deadline);
        let done = lines.last().expect("output");
        let fields: Vec<&str> = done.split(' ').collect();
        assert!(
            fields.len() == 4 && fields[0] == "done" && fields[2] == "250",
            "{done}"
        );
        retries += fields[3].parse::<u64>().expect("retries");
        for line in &lines[..lines.len() - 1] {
            let f: Vec<&str> = line.split(' ').collect();
            assert_eq!(f[0], "ok", "{line}");
            commits.push((f[2].to_string(), f[1].parse().expect("value")));
        }
    }
    assert_eq!(commits.len(), TOTAL);
    commits.sort();
    for (i, (stamp, value)) in commits.iter().enumerate() {
        assert_eq!(
            *value,
            i as u64 + 1,
            "commit #{i} by versionstamp ({stamp}) set {value}: lost or duplicated update"
        );
        if i > 0 {
            assert!(commits[i - 1].0 < *stamp, "duplicate versionstamp {stamp}");
        }
    }
    // The final value, read back independently: V8 serialization of the
    // integer 1000 is FF 10 49 <zigzag varint 2000>.
    let conn = Connection::open(db).expect("open db");
    let stored: Vec<u8> = conn
        .query_row("select v from kv where k = ?1", [key("cas")], |r| r.get(0))
        .expect("cas row");
    assert_eq!(
        stored,
        [0xff, 0x10, 0x49, 0xd0, 0x0f],
        "final cas value is 1000"
    );
    retries
}

/// How many times, in versionstamp order, a commit is by another writer than
/// the one before it: `PROCESSES - 1` if the writers ran one after the other.
fn writer_switches(mut commits: Vec<(String, usize)>) -> usize {
    commits.sort();
    commits.windows(2).filter(|w| w[0].1 != w[1].1).count()
}

/// Waits for the sum writers and checks their commits and the total; returns
/// the total and how often consecutive commits came from different writers.
fn finish_sum_writers(writers: Vec<Proc>, db: &Path, deadline: Instant) -> (u64, usize) {
    let mut commits = Vec::new();
    for (writer_index, writer) in writers.into_iter().enumerate() {
        let lines = writer.finish(deadline);
        assert!(
            lines.last().is_some_and(|l| l.starts_with("done ")),
            "{lines:?}"
        );
        for line in &lines[..lines.len() - 1] {
            let stamp = line.strip_prefix("ok ").expect("ok line").to_string();
            commits.push((stamp, writer_index));
        }
    }
    assert_eq!(commits.len(), TOTAL);
    let mut stamps: Vec<&String> = commits.iter().map(|(s, _)| s).collect();
    stamps.sort();
    stamps.dedup();
    assert_eq!(stamps.len(), TOTAL, "versionstamps are unique");
    let total = stored_u64(db, &key("sum"));
    assert_eq!(total, TOTAL as u64);
    let switches = writer_switches(commits);
    assert!(
        switches > PROCESSES - 1,
        "the sum writers never interleaved ({switches} switches): they ran one after the other"
    );
    (total, switches)
}

fn finish_readers(readers: Vec<Proc>, deadline: Instant) -> String {
    readers
        .into_iter()
        .map(|r| {
            let name = r.name.clone();
            format!(
                "{name}: {}",
                r.finish(deadline).last().cloned().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn check_and_set_increments_from_4_processes_end_at_exactly_1000() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, db) = temp_db("cas");
    let db_arg = db.to_string_lossy().into_owned();
    let started = Instant::now();
    let deadline = started + TIMEOUT;
    let readers = vec![
        spawn_reader(&db_arg, "cas", 0),
        spawn_reader(&db_arg, "cas", 1),
    ];
    let writers = spawn_cas_writers(&db_arg);
    let retries = finish_cas_writers(writers, &db, deadline);
    let writers_done = started.elapsed();
    let reads = finish_readers(readers, deadline);
    assert!(
        retries > 0,
        "no check-and-set was ever retried: the writers did not contend"
    );
    eprintln!(
        "contention (check-and-set): {PROCESSES} processes x {PER_PROCESS} increments: final value 1000, \
         {TOTAL} commits in versionstamp order 1..=1000, {retries} retries on {{ ok: false }}, \
         {reads}, 0 errors, writers done in {:.1} s",
        writers_done.as_secs_f64()
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn sum_increments_from_4_processes_end_at_exactly_1000() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, db) = temp_db("sum");
    let db_arg = db.to_string_lossy().into_owned();
    let started = Instant::now();
    let deadline = started + TIMEOUT;
    let readers = vec![spawn_reader(&db_arg, "sum", 0)];
    let writers = spawn_sum_writers(&db_arg);
    let (total, switches) = finish_sum_writers(writers, &db, deadline);
    let writers_done = started.elapsed();
    let reads = finish_readers(readers, deadline);
    eprintln!(
        "contention (sum): {PROCESSES} processes x {PER_PROCESS} sums: final value {total}, \
         {TOTAL} distinct versionstamps, {switches} writer switches, {reads}, 0 errors, \
         writers done in {:.1} s",
        writers_done.as_secs_f64()
    );
    std::fs::remove_dir_all(dir).ok();
}

/// Both workloads and three readers at once on one file: 11 processes.
#[test]
fn both_workloads_and_readers_at_once_on_one_file() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, db) = temp_db("mixed");
    let db_arg = db.to_string_lossy().into_owned();
    let started = Instant::now();
    let deadline = started + TIMEOUT;
    let readers = vec![
        spawn_reader(&db_arg, "cas", 0),
        spawn_reader(&db_arg, "cas", 1),
        spawn_reader(&db_arg, "sum", 2),
    ];
    let cas = spawn_cas_writers(&db_arg);
    let sum = spawn_sum_writers(&db_arg);
    let retries = finish_cas_writers(cas, &db, deadline);
    let (total, _) = finish_sum_writers(sum, &db, deadline);
    let writers_done = started.elapsed();
    let reads = finish_readers(readers, deadline);
    assert!(
        retries > 0,
        "no check-and-set was ever retried: the writers did not contend"
    );
    eprintln!(
        "contention (mixed, 11 processes on one file): check-and-set final 1000 ({retries} retries), \
         sum final {total}, {reads}, 0 errors, writers done in {:.1} s",
        writers_done.as_secs_f64()
    );
    std::fs::remove_dir_all(dir).ok();
}
