//! Global events (`load`, `beforeunload`, `unload`, `error`,
//! `unhandledrejection`, `rejectionhandled`, the `on*` handlers), compared
//! with Deno 2.9.6: each fixture in tests/fixtures/events/ must print the
//! same lines in the same order and exit with the same code. (Stderr is only
//! checked for the error: Deno also prints the source line.)

mod common;

use common::{deno_bin, workspace};

use std::process::{Command, Output};

const DIR: &str = "tests/fixtures/events";

fn run(deno: bool, script: &str) -> Output {
    let mut command = if deno {
        let mut c = Command::new(deno_bin());
        c.args(["run", script]).env("DENO_NO_UPDATE_CHECK", "1");
        c
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kvrt"));
        c.args(["run", script])
            .env("KVRT_DIR", std::env::temp_dir().join("kvrt-events-tests"));
        c
    };
    command
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .output()
        .expect("runs")
}

/// Runs `name` under both; returns kvrt's (exit code, stdout, stderr).
fn same(name: &str) -> (Option<i32>, String, String) {
    let script = format!("{DIR}/{name}");
    let [ours, theirs] = [false, true].map(|deno| {
        let out = run(deno, &script);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    });
    assert_eq!(
        (ours.0, &ours.1),
        (theirs.0, &theirs.1),
        "{name}: kvrt (left) vs deno (right); stderr:\n{}\n{}",
        ours.2,
        theirs.2
    );
    let first_error_line = |stderr: &str| stderr.lines().next().unwrap_or_default().to_string();
    if theirs.0 != Some(0) {
        assert_eq!(
            first_error_line(&ours.2).replace("Uncaught (in promise)", "Uncaught"),
            first_error_line(&theirs.2).replace("Uncaught (in promise)", "Uncaught"),
            "{name}"
        );
    }
    ours
}

#[test]
fn lifecycle_events_in_order() {
    let (code, out, _) = same("lifecycle.ts");
    assert_eq!(code, Some(0));
    assert!(
        out.ends_with("timer\nbeforeunload Event true\nunload Event false\n"),
        "{out}"
    );
}

#[test]
fn beforeunload_can_keep_the_program_running() {
    let (_, out, _) = same("beforeunload.ts");
    assert_eq!(out.matches("beforeunload").count(), 3, "{out}");
}

#[test]
fn exit_dispatches_unload() {
    let (code, out, _) = same("exit_in_load.ts");
    assert_eq!((code, out.as_str()), (Some(3), "load\nunload\n"));
}

#[test]
fn uncaught_errors_are_error_events() {
    let (code, out, _) = same("error_event.ts");
    assert_eq!(code, Some(0));
    assert!(
        out.contains("error event ErrorEvent Uncaught Error: in timer"),
        "{out}"
    );
    same("handler_properties.ts");
    same("module_throws.ts");
}

#[test]
fn unhandled_rejections_are_events() {
    let (code, _, _) = same("rejection_not_prevented.ts");
    assert_eq!(code, Some(1));
    let (code, out, _) = same("rejection_handled.ts");
    assert_eq!(code, Some(0));
    assert!(out.ends_with("caught late\nrejectionhandled r\n"), "{out}");
}
