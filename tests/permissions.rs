//! The permission model, differentially against Deno 2.9.6: the same
//! fixture (tests/fixtures/permissions/) runs under `deno` and `kvrt` with
//! the same flags, without `-A`, and prints what each permission-checked
//! operation did (or its error's class and message). Standard input is not
//! a terminal, so neither runtime prompts.

mod common;

use common::{deno_bin, workspace};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DIR: &str = "tests/fixtures/permissions";

fn run(deno: bool, args: &[&str]) -> Output {
    let mut command = if deno {
        let mut c = Command::new(deno_bin());
        c.env("DENO_NO_UPDATE_CHECK", "1").env(
            "DENO_DIR",
            std::env::temp_dir().join("kvrt-permissions-deno-dir"),
        );
        c
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kvrt"));
        c.env(
            "KVRT_DIR",
            std::env::temp_dir().join("kvrt-permissions-tests"),
        );
        c
    };
    command
        .args(args)
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .env_remove("DENO_NO_PROMPT")
        .output()
        .expect("runs")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A fresh, empty directory for one run of the fixture.
fn fresh(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("temp dir");
}

/// A local port where nothing listens.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    port.to_string()
}

fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("kvrt-permissions-{name}-{}", std::process::id()))
}

/// Runs checks.ts under both runtimes with `flags` (`{dir}` is replaced by
/// the run's directory); both must print the same lines. Returns kvrt's.
fn same_checks(name: &str, flags: &[&str]) -> String {
    let dir = temp_dir(name);
    let dir_str = dir.to_str().expect("utf-8 path").to_string();
    let port = closed_port();
    let mut args: Vec<String> = vec!["run".into(), "--unstable-kv".into()];
    args.extend(flags.iter().map(|f| f.replace("{dir}", &dir_str)));
    args.extend([format!("{DIR}/checks.ts"), dir_str.clone(), port]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fresh(&dir);
    let theirs = text(&run(true, &args));
    fresh(&dir);
    let ours = text(&run(false, &args));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ours, theirs, "kvrt vs deno with {flags:?}");
    ours
}

#[test]
fn nothing_granted_by_default() {
    let out = same_checks("none", &[]);
    // Spot checks that the denials are real (the comparison is the test).
    for line in [
        "openKv file NotCapable Requires read access to \"",
        "openKv memory ok",
        "env.get NotCapable Requires env access to \"HOME\", run again with the --allow-env flag",
        "env.toObject NotCapable Requires env access, run again with the --allow-env flag",
        "writeTextFile NotCapable Requires write access to \"",
        "readTextFile NotCapable Requires read access to \"",
        "makeTempDir (system) NotCapable Requires write access to <TMP>, run again with the --allow-write flag",
        "fetch NotCapable Requires net access to \"127.0.0.1:",
        "request env ok \"denied\"",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
}

#[test]
fn kv_needs_read_then_write() {
    let out = same_checks("read", &["--allow-read"]);
    assert!(
        out.contains("openKv file NotCapable Requires write access to \""),
        "{out}"
    );
    let out = same_checks("read-write", &["--allow-read", "--allow-write"]);
    assert!(out.contains("openKv file ok"), "{out}");
    assert!(out.contains("readTextFile ok \"hello\""), "{out}");
}

#[test]
fn scoped_grants_and_denials() {
    same_checks(
        "scoped",
        &[
            "--allow-read={dir}",
            "--allow-write=/tmp",
            "--allow-env=HOME",
            "--allow-net=127.0.0.1",
        ],
    );
    let out = same_checks(
        "deny",
        &[
            "-A",
            "--deny-write={dir}/sub",
            "--deny-env=HOME",
            "--deny-net=127.0.0.1",
        ],
    );
    assert!(
        out.contains("mkdir NotCapable Requires write access to \""),
        "{out}"
    );
    assert!(out.contains("env.toObject ok"), "{out}");
}

#[test]
fn the_permissions_api_matches_deno() {
    for flags in [&[][..], &["--allow-env"], &["-A"]] {
        let mut args = vec!["run"];
        args.extend_from_slice(flags);
        let script = format!("{DIR}/api.ts");
        args.push(&script);
        let ours = text(&run(false, &args));
        assert_eq!(ours, text(&run(true, &args)), "{flags:?}");
        assert!(ours.contains("TypeError Illegal constructor"), "{ours}");
    }
}

/// The test-result lines and error lines of a `deno test` report.
fn results(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.ends_with(')') && (l.contains(" ... ok (") || l.contains(" ... FAILED (")))
        .map(|l| l.rsplit_once(" (").map_or(l, |(head, _)| head).to_string())
        .chain(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.starts_with("error: NotCapable"))
                .map(str::to_string),
        )
        .collect()
}

#[test]
fn a_tests_permissions_option_narrows_them() {
    let args = [
        "test",
        "--allow-env",
        "tests/fixtures/permissions/test_option.ts",
    ];
    let ours = run(false, &args);
    let theirs = run(true, &args);
    assert_eq!(
        results(&ours),
        results(&theirs),
        "{}\n{}",
        text(&ours),
        text(&theirs)
    );
    assert_eq!(ours.status.code(), Some(1));
    let lines = results(&ours);
    assert!(
        lines.contains(&"restored after the test ... ok".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"error: NotCapable: Can't escalate parent thread permissions".to_string()),
        "{lines:?}"
    );
}

#[test]
fn bad_permission_flags_are_refused() {
    let args = [
        "run",
        "--allow-net=bad host!",
        "tests/fixtures/permissions/api.ts",
    ];
    let ours = run(false, &args);
    let theirs = run(true, &args);
    assert_eq!(ours.status.code(), Some(1));
    assert_eq!(ours.status.code(), theirs.status.code());
    assert!(
        text(&ours).contains("invalid host 'bad host!'"),
        "{}",
        text(&ours)
    );
}
