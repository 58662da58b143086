//! Crash safety: a writer process (`tests/fixtures/reliability/crash_writer.ts`)
//! performs acknowledged writes in a loop — plain sets, atomic commits of two
//! keys plus a KvU64 counter sum, enqueues, sets with expireIn and deletes —
//! from four concurrent workers on two handles, printing each write only after
//! its promise resolved. This driver SIGKILLs it at random moments (seeded RNG:
//! `KV_CRASH_SEED` replays a run, the seed is printed), `KILLS` times, and
//! restarts it on the same file each time, so every run but the first starts
//! by recovering a database whose writer died mid-flight.
//!
//! After every kill a copy of the files (database, WAL, shared memory) is
//! checked with rusqlite, leaving the original exactly as the crash left it
//! for the next run to recover:
//! - `PRAGMA integrity_check` is `ok` and every stored key decodes;
//! - every acknowledged set, commit and expiring set is present with its value
//!   byte for byte and the versionstamp that was acknowledged; every
//!   acknowledged delete is absent;
//! - no commit is half applied: the `a` and `b` rows of a commit are both
//!   present or both absent, with one versionstamp, and the counter equals the
//!   number of commits present;
//! - versionstamps keep increasing across restarts: every versionstamp a run
//!   acknowledged is above the database version before that run started, and
//!   at most the database version after it;
//! - every acknowledged enqueued message is still in `queue`/`queue_running`
//!   (nothing listens, so nothing is delivered).
//!
//! Every tenth kill, and at the end, `crash_check.ts` also reads the copy
//! through the KV API and must agree with rusqlite. Figures are printed.
//!
//! A SIGKILL leaves the page cache intact, so it cannot see a missing fsync:
//! `durability/fsync_trace.rs` (in this test binary) checks under strace that
//! every acknowledged write's WAL frames were fsynced before it resolved.

mod common;
// The fsync check lives with the crash tests (same test binary).
#[path = "durability/fsync_trace.rs"]
mod fsync_trace;

use common::workspace;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kv_engine::{decode_key, KeyPart};
use rusqlite::{Connection, OpenFlags};

const KILLS: usize = 50;
/// Longest a writer runs before it is killed.
const MAX_RUN: Duration = Duration::from_millis(900);

/// SplitMix64: a small seeded generator, enough to pick kill times.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The value crash_writer.ts stores for write `n` of run `run`.
fn expected_bytes(run: u32, n: u64) -> Vec<u8> {
    let head = format!("{run}:{n}:");
    let len = head.len() + ((n * 7919) % 3000) as usize;
    let mut out = head.into_bytes();
    for i in out.len()..len {
        out.push(((i as u64 * 31 + n) & 0xff) as u8);
    }
    out
}

fn version_of(versionstamp: &str) -> i64 {
    assert_eq!(versionstamp.len(), 20, "versionstamp {versionstamp:?}");
    i64::from_str_radix(&versionstamp[..16], 16).expect("hex versionstamp")
}

type Id = (u32, u64);

/// Everything the writers acknowledged so far.
#[derive(Default)]
struct Acknowledged {
    sets: HashMap<Id, i64>,
    commits: HashMap<Id, i64>,
    expiring: HashMap<Id, i64>,
    messages: HashSet<Id>,
    deleted: HashSet<Id>,
    /// Deletes started but not acknowledged: the key may or may not be there.
    maybe_deleted: HashSet<Id>,
    deletes_acknowledged: usize,
}

struct RunOutput {
    lines: Vec<String>,
    ready: bool,
    ran_for: Duration,
    stderr: String,
}

/// Starts a writer, kills it with SIGKILL after `kill_after`, and returns the
/// complete lines it printed (a line cut by the kill is not an acknowledgement).
fn run_writer(db: &Path, run: u32, kill_after: Duration) -> RunOutput {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvrt"))
        .args(["run", "-A"])
        .arg("tests/fixtures/reliability/crash_writer.ts")
        .arg(db)
        .arg(run.to_string())
        .current_dir(workspace())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kvrt starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = channel();
    let reader = std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.ends_with(b"\n") => {
                    let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
                    if tx.send(text).is_err() {
                        break;
                    }
                }
                Ok(_) => break, // cut by the kill
            }
        }
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    std::thread::sleep(kill_after);
    let exited_early = child.try_wait().expect("child status").is_some();
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("child reaped");
    let ran_for = started.elapsed();
    reader.join().expect("reader thread");
    let stderr = err_reader.join().expect("stderr thread");
    let lines: Vec<String> = rx.try_iter().collect();
    assert!(
        !exited_early,
        "run {run}: the writer exited by itself ({status:?}): {stderr}"
    );
    let ready = lines.iter().any(|l| l == &format!("ready {run}"));
    RunOutput {
        lines,
        ready,
        ran_for,
        stderr,
    }
}

/// Records a run's acknowledgements; returns the versions it acknowledged.
fn record(acked: &mut Acknowledged, run: u32, lines: &[String]) -> Vec<i64> {
    let mut versions = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split(' ').collect();
        if fields[0] == "ready" {
            continue;
        }
        assert!(fields.len() >= 3, "run {run}: unexpected output {line:?}");
        let id: Id = (
            fields[1].parse().expect("run number"),
            fields[2].parse().expect("write number"),
        );
        assert_eq!(id.0, run, "{line:?}");
        match fields[0] {
            "set" | "commit" | "enqueue" | "setx" => {
                let version = version_of(fields[3]);
                versions.push(version);
                match fields[0] {
                    "set" => acked.sets.insert(id, version),
                    "commit" => acked.commits.insert(id, version),
                    "setx" => acked.expiring.insert(id, version),
                    _ => {
                        acked.messages.insert(id);
                        None
                    }
                };
            }
            "del?" => {
                acked.maybe_deleted.insert(id);
            }
            "del" => {
                acked.maybe_deleted.remove(&id);
                acked.deleted.insert(id);
                acked.deletes_acknowledged += 1;
            }
            _ => panic!("run {run}: unexpected output {line:?}"),
        }
    }
    versions
}

/// Copies the database and its WAL/shm files as the crash left them.
fn snapshot(db: &Path, into: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(into);
    std::fs::create_dir_all(into).expect("snapshot dir");
    let copy = into.join("db.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", db.display()));
        if from.exists() {
            std::fs::copy(&from, format!("{}{suffix}", copy.display())).expect("copy");
        }
    }
    copy
}

fn id_of(parts: &[KeyPart]) -> Option<Id> {
    match parts {
        [_, KeyPart::Float(run), KeyPart::Float(n)] => Some((*run as u32, *n as u64)),
        _ => None,
    }
}

struct Row {
    value: Vec<u8>,
    encoding: i64,
    version: i64,
    expiration_ms: i64,
}

struct Verified {
    db_version: i64,
    rows: usize,
    commits_present: usize,
    counts: HashMap<&'static str, usize>,
    counter: u64,
}

/// Checks a snapshot against everything acknowledged so far.
fn verify(copy: &Path, acked: &Acknowledged, context: &str) -> Verified {
    let conn = Connection::open_with_flags(copy, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .unwrap_or_else(|e| panic!("{context}: snapshot does not open: {e}"));
    let integrity: String = conn
        .query_row("pragma integrity_check", [], |r| r.get(0))
        .expect("integrity_check runs");
    assert_eq!(integrity, "ok", "{context}: integrity_check");
    let db_version: i64 = conn
        .query_row("select version from data_version where k = 0", [], |r| {
            r.get(0)
        })
        .expect("data_version row");

    let mut tables: HashMap<&'static str, HashMap<Id, Row>> = HashMap::new();
    let mut counter = 0u64;
    let mut rows = 0;
    let mut stmt = conn
        .prepare("select k, v, v_encoding, version, expiration_ms from kv")
        .expect("select kv");
    let mut it = stmt.query([]).expect("query kv");
    while let Some(row) = it.next().expect("kv row") {
        rows += 1;
        let key: Vec<u8> = row.get(0).expect("k");
        let parts = decode_key(&key)
            .unwrap_or_else(|e| panic!("{context}: undecodable key {key:02x?}: {e}"));
        let data = Row {
            value: row.get(1).expect("v"),
            encoding: row.get(2).expect("v_encoding"),
            version: row.get(3).expect("version"),
            expiration_ms: row.get(4).expect("expiration_ms"),
        };
        assert!(
            data.version <= db_version,
            "{context}: row version {} above data_version {db_version}",
            data.version
        );
        let table = match parts.first() {
            Some(KeyPart::String(s)) if s == "counter" && parts.len() == 1 => {
                assert_eq!(data.encoding, 2, "{context}: counter encoding");
                let le: [u8; 8] = data.value.as_slice().try_into().expect("8-byte KvU64");
                counter = u64::from_le_bytes(le);
                continue;
            }
            Some(KeyPart::String(s)) if s == "w" => "w",
            Some(KeyPart::String(s)) if s == "a" => "a",
            Some(KeyPart::String(s)) if s == "b" => "b",
            Some(KeyPart::String(s)) if s == "x" => "x",
            _ => panic!("{context}: unexpected key {parts:?}"),
        };
        let id = id_of(&parts).unwrap_or_else(|| panic!("{context}: bad key {parts:?}"));
        assert_eq!(data.encoding, 3, "{context}: {table} {id:?} encoding");
        assert_eq!(
            data.value,
            expected_bytes(id.0, id.1),
            "{context}: {table} {id:?} value"
        );
        tables.entry(table).or_default().insert(id, data);
    }
    drop(it);
    drop(stmt);
    let empty = HashMap::new();
    let table = |name: &str| tables.get(name).unwrap_or(&empty);

    for (id, version) in &acked.sets {
        if acked.deleted.contains(id) || acked.maybe_deleted.contains(id) {
            continue;
        }
        let row = table("w")
            .get(id)
            .unwrap_or_else(|| panic!("{context}: acknowledged set {id:?} lost"));
        assert_eq!(row.version, *version, "{context}: set {id:?} versionstamp");
    }
    for id in &acked.deleted {
        assert!(
            !table("w").contains_key(id),
            "{context}: acknowledged delete {id:?} undone"
        );
    }
    // All or nothing: a and b rows pair up with one versionstamp.
    for (id, a) in table("a") {
        let b = table("b")
            .get(id)
            .unwrap_or_else(|| panic!("{context}: commit {id:?} half applied (a without b)"));
        assert_eq!(
            a.version, b.version,
            "{context}: commit {id:?} versionstamps"
        );
    }
    for id in table("b").keys() {
        assert!(
            table("a").contains_key(id),
            "{context}: commit {id:?} half applied (b without a)"
        );
    }
    assert_eq!(
        counter,
        table("a").len() as u64,
        "{context}: counter vs commits present"
    );
    for (id, version) in &acked.commits {
        let row = table("a")
            .get(id)
            .unwrap_or_else(|| panic!("{context}: acknowledged commit {id:?} lost"));
        assert_eq!(
            row.version, *version,
            "{context}: commit {id:?} versionstamp"
        );
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    for (id, version) in &acked.expiring {
        let row = table("x")
            .get(id)
            .unwrap_or_else(|| panic!("{context}: acknowledged expiring set {id:?} lost"));
        assert_eq!(row.version, *version, "{context}: setx {id:?} versionstamp");
        assert!(
            row.expiration_ms > now_ms,
            "{context}: setx {id:?} expiration"
        );
    }

    // Queue: every acknowledged message is still queued (V8 one-byte string).
    let mut queued: HashSet<Vec<u8>> = HashSet::new();
    let mut stmt = conn
        .prepare("select data from queue union all select data from queue_running")
        .expect("select queue");
    let mut it = stmt.query([]).expect("query queue");
    while let Some(row) = it.next().expect("queue row") {
        let data: Vec<u8> = row.get(0).expect("data");
        queued.insert(data);
    }
    for (run, n) in &acked.messages {
        let text = format!("msg:{run}:{n}");
        let mut serialized = vec![0xff, 0x10, 0x22, text.len() as u8];
        serialized.extend_from_slice(text.as_bytes());
        assert!(
            queued.contains(&serialized),
            "{context}: acknowledged message {text} lost"
        );
    }

    let counts = ["w", "a", "b", "x"]
        .into_iter()
        .map(|t| (t, table(t).len()))
        .chain([("queue", queued.len())])
        .collect();
    Verified {
        db_version,
        rows,
        commits_present: table("a").len(),
        counts,
        counter,
    }
}

/// Reads a snapshot through the KV API (crash_check.ts) and compares.
fn check_through_kvrt(copy: &Path, verified: &Verified, context: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_kvrt"))
        .args(["run", "-A"])
        .arg("tests/fixtures/reliability/crash_check.ts")
        .arg(copy)
        .current_dir(workspace())
        .output()
        .expect("kvrt runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "{context}: crash_check.ts failed ({:?}): {stdout}{stderr}",
        out.status
    );
    let expected = format!(
        "{{\"counts\":{{\"w\":{},\"a\":{},\"b\":{},\"x\":{}}},\"counter\":{},\"problems\":[]}}",
        verified.counts["w"],
        verified.counts["a"],
        verified.counts["b"],
        verified.counts["x"],
        verified.counter
    );
    assert_eq!(stdout.trim(), expected, "{context}: API view vs rusqlite");
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let seed = std::env::var("KV_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("clock")
                .as_nanos() as u64
        });
    eprintln!("crash safety: seed {seed} (replay with KV_CRASH_SEED={seed}), {KILLS} kills");
    let mut rng = Rng(seed);
    let dir = std::env::temp_dir().join(format!("kvrt-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("db.sqlite");
    let snapshot_dir = dir.join("snapshot");

    let started = Instant::now();
    let mut acked = Acknowledged::default();
    let mut db_version_before = 0i64;
    let mut killed_before_ready = 0;
    let mut verifications = 0;
    let mut api_checks = 0;
    let mut last = None;
    for kill in 0..KILLS {
        let run = kill as u32 + 1;
        // One kill in five lands in the first 300 ms (process start, open,
        // recovery of the previous crash, migrations on the first run).
        let after = if rng.below(5) == 0 {
            Duration::from_millis(rng.below(300))
        } else {
            Duration::from_millis(300 + rng.below(MAX_RUN.as_millis() as u64 - 300))
        };
        let output = run_writer(&db, run, after);
        assert!(
            !output.stderr.contains("panicked") && !output.stderr.contains("error"),
            "run {run}: writer reported: {}",
            output.stderr
        );
        if !output.ready {
            killed_before_ready += 1;
        }
        let versions = record(&mut acked, run, &output.lines);
        let context = format!("kill {} of {KILLS} (run {run}, after {after:?})", kill + 1);
        let copy = snapshot(&db, &snapshot_dir);
        let verified = verify(&copy, &acked, &context);
        verifications += 1;
        for version in &versions {
            assert!(
                *version > db_version_before,
                "{context}: versionstamp {version} not above the version {db_version_before} before the run"
            );
            assert!(
                *version <= verified.db_version,
                "{context}: acknowledged version {version} above the database's {}",
                verified.db_version
            );
        }
        assert!(
            verified.db_version >= db_version_before,
            "{context}: version went back"
        );
        db_version_before = verified.db_version;
        if (kill + 1) % 10 == 0 {
            check_through_kvrt(&copy, &verified, &context);
            api_checks += 1;
        }
        eprintln!(
            "  kill {:>2}: after {:>4} ms{}, {} lines, {} rows, db version {}",
            kill + 1,
            output.ran_for.as_millis(),
            if output.ready { "" } else { " (before ready)" },
            output.lines.len(),
            verified.rows,
            verified.db_version
        );
        last = Some(verified);
    }
    let last = last.expect("at least one kill");
    let writes = acked.sets.len() + acked.commits.len() + acked.expiring.len();
    eprintln!(
        "crash safety: seed {seed}: kills survived {KILLS} ({killed_before_ready} before the writer was ready), \
         verifications {verifications} (+{api_checks} through the KV API), \
         acknowledged writes verified {writes} (sets {}, commits {}, expiring sets {}), \
         deletes verified {}, messages verified {}, commits present {} = counter {}, \
         lost 0, half-applied commits 0, integrity ok, final db version {}, {:.1} s",
        acked.sets.len(),
        acked.commits.len(),
        acked.expiring.len(),
        acked.deletes_acknowledged,
        acked.messages.len(),
        last.commits_present,
        last.counter,
        last.db_version,
        started.elapsed().as_secs_f64()
    );
    assert!(
        acked.commits.len() > 100,
        "too few commits to mean anything"
    );
    assert!(
        acked.messages.len() > 100,
        "too few messages to mean anything"
    );
    std::fs::remove_dir_all(&dir).ok();
}
