//! Differential tests against the real Deno (the oracle): the same scenario
//! scripts run under `deno run --unstable-kv` and `kvrt run`, and their
//! outputs must be identical once versionstamps are replaced by their rank.
//! Also database file interchange in both directions.
//!
//! The Deno binary comes from `KVRT_DENO_BIN` (the test script installs
//! `@deno/linux-x64-glibc@2.9.6` from npm and sets it). Without it these tests
//! fail, unless `KVRT_SKIP_DENO=1` says to skip them.

mod common;

use common::{deno_or_skip as deno, normalize_versionstamps, workspace};

use std::path::Path;
use std::process::Command;

/// Runs `script` with `args` under Deno or kvrt; returns stdout.
fn run(deno: Option<&Path>, script: &str, args: &[&str]) -> String {
    let mut command = match deno {
        Some(deno) => {
            let mut c = Command::new(deno);
            c.args(["run", "--unstable-kv", "-A", script]);
            c.env("DENO_NO_UPDATE_CHECK", "1").env("NO_COLOR", "1");
            c
        }
        None => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_kvrt"));
            c.args(["run", "-A", script]);
            c
        }
    };
    let output = command
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("runtime starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let who = if deno.is_some() { "deno" } else { "kvrt" };
    assert!(
        output.status.success(),
        "{who} {script} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

fn assert_same(script: &str, deno_out: &str, kvrt_out: &str) {
    let (expected, actual) = (
        normalize_versionstamps(deno_out),
        normalize_versionstamps(kvrt_out),
    );
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .filter(|(a, b)| a != b)
            .take(10)
            .map(|(a, b)| format!("deno: {a}\nkvrt: {b}"))
            .collect();
        panic!(
            "{script}: outputs differ ({} vs {} lines)\n{}",
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

fn differential(script: &str) {
    differential_with_args(script, &[]);
}

fn differential_with_args(script: &str, args: &[&str]) {
    let Some(deno) = deno() else { return };
    let deno_out = run(Some(&deno), script, args);
    let kvrt_out = run(None, script, args);
    assert!(!deno_out.is_empty(), "{script} printed nothing");
    assert_same(script, &deno_out, &kvrt_out);
}

#[test]
fn values_match_deno() {
    differential("tests/differential/values.ts");
}

/// node:v8, node:buffer, node:zlib, node:process and node:console, and the
/// `Buffer`/`process` globals (bytes compared as hex).
#[test]
fn node_modules_match_deno() {
    differential_with_args("tests/differential/node.ts", &["a", "b"]);
}

#[test]
fn operations_match_deno() {
    differential("tests/differential/operations.ts");
}

/// The stored rows of a database file: key bytes, value bytes, value
/// encoding and whether the entry expires (the expiry time itself depends on
/// when it was written), in key order. Versionstamps are left out.
fn stored_rows(db: &Path) -> Vec<(Vec<u8>, Vec<u8>, i64, bool)> {
    let conn = rusqlite::Connection::open(db).expect("open database file");
    let mut stmt = conn
        .prepare("SELECT k, v, v_encoding, expiration_ms >= 0 FROM kv ORDER BY k")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
    rows
}

/// One runtime writes `interchange_write.ts`'s entries to a file; Deno and
/// kvrt must then list the same entries from it, and both the stored rows and
/// what Deno lists must equal those of the same script written by Deno
/// (versionstamps aside: each is replaced by its rank). The write script
/// prints how many entries it wrote; the listings must hold exactly that many.
fn interchange(writer_is_deno: bool) {
    let Some(deno) = deno() else { return };
    let dir = std::env::temp_dir().join(format!(
        "kvrt-interchange-{}-{writer_is_deno}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db_path = dir.join("db.sqlite");
    let db = db_path.to_str().expect("utf-8 path");
    let reference_path = dir.join("reference.sqlite");
    let reference = reference_path.to_str().expect("utf-8 path");

    let written = run(
        Some(&deno),
        "tests/differential/interchange_write.ts",
        &[reference],
    );
    let expected_count: usize = written.trim().parse().expect("entry count");
    let writer = writer_is_deno.then_some(deno.as_path());
    let written_here = run(writer, "tests/differential/interchange_write.ts", &[db]);
    assert_eq!(written_here.trim(), written.trim(), "entries written");

    let reference_by_deno = run(
        Some(&deno),
        "tests/differential/interchange_read.ts",
        &[reference],
    );
    let by_deno = run(Some(&deno), "tests/differential/interchange_read.ts", &[db]);
    let by_kvrt = run(None, "tests/differential/interchange_read.ts", &[db]);
    assert_eq!(
        reference_by_deno.lines().count(),
        expected_count,
        "{reference_by_deno}"
    );
    assert_eq!(by_deno.lines().count(), expected_count, "{by_deno}");
    // Same file, so the versionstamps themselves must match, not just their order.
    assert_eq!(by_deno, by_kvrt);
    // Deno reads the same values from this file as from its own.
    assert_same(
        "interchange_read.ts (this file vs Deno's own)",
        &reference_by_deno,
        &by_deno,
    );
    // And the file holds the same bytes as Deno's own.
    let (ours, theirs) = (stored_rows(&db_path), stored_rows(&reference_path));
    assert_eq!(ours.len(), expected_count);
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "stored row differs from the one Deno writes");
    }
    assert_eq!(ours, theirs);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn file_written_by_deno_reads_the_same_in_kvrt() {
    interchange(true);
}

#[test]
fn file_written_by_kvrt_reads_the_same_in_deno() {
    interchange(false);
}

#[test]
fn versionstamp_normalization() {
    let text = "a 00000000000000050000 b 00000000000000010000 c 00000000000000050000";
    assert_eq!(normalize_versionstamps(text), "a vs#1 b vs#0 c vs#1");
}
