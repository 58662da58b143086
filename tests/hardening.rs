//! Issue 10, values and queue cases, each compared with the real Deno 2.9.6:
//!
//! - `tests/fixtures/hardening/values.ts`: `Proxy` values are refused with
//!   "could not be cloned" without running traps; a `Uint8Array` over a
//!   `SharedArrayBuffer` is refused as a value, a key part and nested;
//!   oversized values (a 1e7-element array, a 1e6-entry Map) are refused
//!   within 2 s ("Value too large" / "enqueue payload too large", in Deno's
//!   order of checks); paths with a NUL byte or a 5,000-character name give
//!   Deno's short messages.
//! - `deep_values.ts`: values nested up to 3,000 levels, written by Deno, are
//!   read back by `get` and by a `list` of the whole database.
//! - `close_in_listener.ts`: `kv.close()` inside a `listenQueue` handler
//!   leaves the process running and resolves `listenQueue`'s promise.
//!
//! The Deno binary comes from `KVRT_DENO_BIN` (default
//! `node_modules/@deno/linux-x64-glibc/deno`); `KVRT_SKIP_DENO=1` skips.

mod common;

use common::{deno_or_skip as deno, workspace};

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `script` under Deno (`Some`) or kvrt; asserts it exits 0 and
/// returns its stdout.
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
    let who = if deno.is_some() { "deno" } else { "kvrt" };
    assert!(
        output.status.success(),
        "{who} {script} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kvrt-hardening-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn refused_values_and_paths_match_deno() {
    let Some(deno) = deno() else { return };
    let script = "tests/fixtures/hardening/values.ts";
    let expected = run(Some(&deno), script, &[]);
    assert!(expected.contains("proxy traps run 0"), "{expected}");
    assert_eq!(run(None, script, &[]), expected);
}

#[test]
fn deep_values_written_by_deno_are_readable() {
    let Some(deno) = deno() else { return };
    let dir = temp_dir("deep");
    let file = dir.join("deep.sqlite3");
    let file = file.to_str().expect("utf-8 path");
    let script = "tests/fixtures/hardening/deep_values.ts";
    run(Some(&deno), script, &["write", file]);
    let expected = run(Some(&deno), script, &["read", file]);
    assert!(!expected.contains("threw"), "{expected}");
    assert_eq!(run(None, script, &["read", file]), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn close_inside_listen_queue_handler_matches_deno() {
    let Some(deno) = deno() else { return };
    let dir = temp_dir("close");
    let script = "tests/fixtures/hardening/close_in_listener.ts";
    for (i, target) in [":memory:", "file"].into_iter().enumerate() {
        let path = if target == "file" {
            dir.join(format!("q{i}.sqlite3"))
                .to_string_lossy()
                .into_owned()
        } else {
            target.to_string()
        };
        let expected = run(Some(&deno), script, &[&path]);
        assert!(expected.contains("listenQueue resolved"), "{expected}");
        let kvrt_path = format!("{path}.kvrt");
        let kvrt_path = if target == "file" { &kvrt_path } else { &path };
        assert_eq!(run(None, script, &[kvrt_path]), expected);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
