//! `localStorage` / `sessionStorage` (deno_webstorage), compared with Deno
//! 2.9.6: the API, its errors and persistence between runs print the same,
//! and a script's localStorage file is shared with Deno when `KVRT_DIR` and
//! `DENO_DIR` are the same directory (same layout, same SQLite file).

mod common;

use common::{deno_bin, workspace};

use std::path::Path;
use std::process::Command;

const DIR: &str = "tests/fixtures/webstorage";

/// Runs `script` with `data` as the runtime's data directory; returns stdout.
fn run(deno: bool, script: &str, args: &[&str], data: &Path) -> String {
    let mut command = if deno {
        let mut c = Command::new(deno_bin());
        c.arg("run")
            .env("DENO_NO_UPDATE_CHECK", "1")
            .env("DENO_DIR", data);
        c
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kvrt"));
        c.arg("run").env("KVRT_DIR", data);
        c
    };
    let out = command
        .arg(script)
        .args(args)
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kvrt-webstorage-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_api_and_persistence_match_deno() {
    let script = format!("{DIR}/api.ts");
    let (ours, theirs) = (temp("kvrt"), temp("deno"));
    for run_number in 1..=2 {
        let from_deno = run(true, &script, &[], &theirs);
        let from_kvrt = run(false, &script, &[], &ours);
        assert_eq!(from_kvrt, from_deno, "run {run_number}");
        assert!(from_kvrt.starts_with(&format!("run {run_number} session before 0\n")));
        assert!(from_kvrt
            .contains("QuotaExceededError QuotaExceededError Exceeded maximum storage size"));
    }
    let _ = std::fs::remove_dir_all(&ours);
    let _ = std::fs::remove_dir_all(&theirs);
}

#[test]
fn localstorage_files_are_shared_with_deno() {
    let script = format!("{DIR}/interchange.ts");
    let data = temp("shared");
    assert_eq!(run(true, &script, &["deno"], &data), "null\n");
    assert_eq!(run(false, &script, &["kvrt"], &data), "deno\n");
    assert_eq!(run(true, &script, &["deno"], &data), "kvrt\n");
    let _ = std::fs::remove_dir_all(&data);
}
