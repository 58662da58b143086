//! The `kvrt` command line, driven as a user would: `kvrt run` on scripts
//! and `kvrt test` on fixture suites, checking output and exit codes.

mod common;

use common::{deno_bin, workspace};

use std::path::PathBuf;
use std::process::{Command, Output};

fn kvrt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvrt"))
        .args(args)
        .current_dir(workspace())
        .env("KVRT_DIR", std::env::temp_dir().join("kvrt-cli-tests"))
        .output()
        .expect("kvrt runs")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn run_passes_args_and_exit_code() {
    let out = kvrt(&[
        "run",
        "tests/fixtures/scripts/args_exit.ts",
        "a",
        "-b",
        "--c",
    ]);
    let (stdout, _) = text(&out);
    assert_eq!(stdout, "[\"a\",\"-b\",\"--c\"]\ntrue\n");
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn run_reports_uncaught_errors() {
    let out = kvrt(&["run", "tests/fixtures/scripts/throws.ts"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.starts_with("error: Uncaught (in promise) Error: boom from script"),
        "{stderr}"
    );
    assert!(stderr.contains("throws.ts:3:9"), "{stderr}");

    let out = kvrt(&["run", "tests/fixtures/scripts/rejects.ts"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.starts_with("error: Uncaught (in promise) TypeError: rejected later"),
        "{stderr}"
    );
}

#[test]
fn run_reports_bad_modules_without_panicking() {
    for (script, expected) in [
        (
            "tests/fixtures/scripts/syntax_error.ts",
            "SyntaxError: Expression expected",
        ),
        ("tests/fixtures/scripts/bad_import.ts", "Module not found"),
        ("tests/fixtures/scripts/missing.ts", "Module not found"),
    ] {
        let out = kvrt(&["run", script]);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{script}");
        assert!(stderr.starts_with("error: "), "{script}: {stderr}");
        assert!(stderr.contains(expected), "{script}: {stderr}");
        assert!(!stderr.contains("panicked"), "{script}: {stderr}");
    }
}

#[test]
fn help_and_version() {
    let out = kvrt(&["--version"]);
    assert!(text(&out).0.starts_with("kvrt "));
    assert!(out.status.success());
    for args in [&["--help"][..], &["run", "--help"], &["test", "--help"]] {
        let out = kvrt(args);
        assert!(out.status.success(), "{args:?}");
        assert!(text(&out).0.contains("Usage: kvrt"), "{args:?}");
    }
    let out = kvrt(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn test_reports_pass_fail_ignore_and_steps() {
    let out = kvrt(&["test", "-A", "tests/fixtures/runner/mixed.ts"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for line in [
        "running 8 tests from ./tests/fixtures/runner/mixed.ts",
        "fails ... FAILED (",
        "ignored ... ignored (",
        "ignored too ... ignored (",
        "  inner ok ... ok (",
        "    deep ... ok (",
        "  bad step ... FAILED (",
        "failing step ... FAILED (due to 1 failed step) (",
        " ERRORS ",
        " FAILURES ",
        "FAILED | 4 passed (3 steps) | 2 failed (1 step) | 2 ignored (",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    assert!(stdout.contains("Values are not equal."), "{stdout}");
    assert!(stdout.contains("step broke"), "{stdout}");
    assert!(stdout.ends_with("4 passed, 2 failed\n"), "{stdout}");
}

#[test]
fn test_all_passing_exits_zero() {
    let out = kvrt(&["test", "tests/fixtures/runner/all_pass.ts"]);
    let (stdout, _) = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("ok | 3 passed | 0 failed ("), "{stdout}");
    assert!(stdout.ends_with("3 passed, 0 failed\n"), "{stdout}");
}

#[test]
fn test_filter_by_text_and_regex() {
    let out = kvrt(&[
        "test",
        "--filter",
        "alpha",
        "tests/fixtures/runner/all_pass.ts",
    ]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("alpha one ... ok"), "{stdout}");
    assert!(!stdout.contains("beta ..."), "{stdout}");
    assert!(
        stdout.contains("2 passed | 0 failed | 1 filtered out"),
        "{stdout}"
    );

    let out = kvrt(&[
        "test",
        "--filter",
        "/^b/",
        "tests/fixtures/runner/all_pass.ts",
    ]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("beta ... ok"), "{stdout}");
    assert!(!stdout.contains("alpha one"), "{stdout}");
}

#[test]
fn test_only_runs_only_and_fails_the_run() {
    let out = kvrt(&["test", "tests/fixtures/runner/only.ts"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("only this ... ok"), "{stdout}");
    assert!(!stdout.contains("not run"), "{stdout}");
    assert!(
        stderr.contains("error: Test failed because the \"only\" option was used"),
        "{stderr}"
    );
}

#[test]
fn test_fail_fast_stops_after_first_failure() {
    let out = kvrt(&["test", "--fail-fast", "tests/fixtures/runner/mixed.ts"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("fails ... FAILED"), "{stdout}");
    assert!(!stdout.contains("namedFunction ..."), "{stdout}");
}

#[test]
fn test_uncaught_module_error_fails_that_file_only() {
    let out = kvrt(&[
        "test",
        "tests/fixtures/runner/load_error.ts",
        "tests/fixtures/runner/all_pass.ts",
    ]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains("Uncaught error from ./tests/fixtures/runner/load_error.ts FAILED"),
        "{stdout}"
    );
    assert!(stdout.contains("module exploded"), "{stdout}");
    assert!(stdout.ends_with("3 passed, 1 failed\n"), "{stdout}");
}

#[test]
fn test_discovers_test_files_in_directories() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    for (name, body) in [
        ("a_test.ts", "Deno.test('a', () => {});"),
        ("sub/b.test.js", "Deno.test('b', () => {});"),
        ("sub/test.mjs", "Deno.test('c', () => {});"),
        ("helper.ts", "throw new Error('not a test file');"),
    ] {
        std::fs::write(dir.join(name), body).expect("write fixture");
    }
    let out = kvrt(&["test", dir.to_str().expect("utf-8 path")]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.ends_with("3 passed, 0 failed\n"), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "kvrt-cli-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Runs `kvrt run` with extra environment variables; returns stdout.
fn kvrt_env(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kvrt"));
    command.args(args).current_dir(workspace());
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("kvrt runs");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
    stdout
}

#[test]
fn the_default_database_persists_per_script() {
    let dir = tempdir();
    let kvrt_dir = dir.to_str().expect("utf-8 path");
    let env = [("KVRT_DIR", kvrt_dir)];
    let first = kvrt_env(&["run", "examples/hello.ts", "add", "buy", "milk"], &env);
    assert!(first.contains("added #1: buy milk"), "{first}");
    assert!(first.contains("has run 1 time(s)"), "{first}");
    let second = kvrt_env(&["run", "examples/hello.ts", "done", "1"], &env);
    assert!(second.contains("done #1"), "{second}");
    assert!(second.contains("has run 2 time(s)"), "{second}");
    assert!(second.contains("[x] #1 buy milk"), "{second}");
    // One database file, under location_data/<sha256 of the script URL>/.
    let location = dir.join("location_data");
    let dirs: Vec<_> = std::fs::read_dir(&location)
        .expect("location_data exists")
        .collect();
    assert_eq!(dirs.len(), 1);
    let db_dir = dirs[0].as_ref().expect("dir entry").path();
    assert!(db_dir.join("kv.sqlite3").is_file());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn deno_kv_environment_overrides() {
    let dir = tempdir();
    let script = dir.join("count.ts");
    std::fs::write(
        &script,
        "const kv = await Deno.openKv(Deno.args[0]);\n\
         await kv.atomic().sum([\"n\"], 1n).commit();\n\
         console.log(String((await kv.get([\"n\"])).value));\n\
         kv.close();\n",
    )
    .expect("write script");
    let script = script.to_str().expect("utf-8 path");
    let default_path = dir.join("default.sqlite");
    let default_path = default_path.to_str().expect("utf-8 path");
    let env = [("DENO_KV_DEFAULT_PATH", default_path)];
    assert_eq!(kvrt_env(&["run", "-A", script], &env), "1\n");
    assert_eq!(kvrt_env(&["run", "-A", script], &env), "2\n");
    assert!(std::path::Path::new(default_path).is_file());

    let prefix = format!("{}/", dir.to_str().expect("utf-8 path"));
    let env = [("DENO_KV_PATH_PREFIX", prefix.as_str())];
    assert_eq!(
        kvrt_env(&["run", "-A", script, "prefixed.sqlite"], &env),
        "1\n"
    );
    assert!(dir.join("prefixed.sqlite").is_file());

    let env = [
        ("DENO_KV_DB_MODE", "memory"),
        ("DENO_KV_DEFAULT_PATH", default_path),
    ];
    assert_eq!(kvrt_env(&["run", "-A", script], &env), "1\n");
    assert_eq!(kvrt_env(&["run", "-A", script], &env), "1\n");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn transpiled_typescript_is_cached_per_source() {
    let dir = tempdir();
    let kvrt_dir = dir.join("kvrt");
    let kvrt_dir = kvrt_dir.to_str().expect("utf-8 path");
    let env = [("KVRT_DIR", kvrt_dir)];
    let script = dir.join("emit.ts");
    let script_path = script.to_str().expect("utf-8 path");
    let cached = || std::fs::read_dir(dir.join("kvrt/gen")).map_or(0, |entries| entries.count());
    let source = |word: &str| {
        format!(
            "type Word = string;\nconst word: Word = \"{word}\";\nconsole.log(word);\n\
             throw new Error(word);\n"
        )
    };

    std::fs::write(&script, source("first")).expect("write script");
    for _ in 0..2 {
        // Transpiled once, then served from the cache: same output, and the
        // source map still points stack traces at the TypeScript lines.
        let out = Command::new(env!("CARGO_BIN_EXE_kvrt"))
            .args(["run", script_path])
            .envs(env)
            .output()
            .expect("kvrt runs");
        let (stdout, stderr) = text(&out);
        assert_eq!(stdout, "first\n");
        assert!(stderr.contains("emit.ts:4:7"), "{stderr}");
        assert_eq!(cached(), 1);
    }
    // A changed source is transpiled again, never served stale.
    std::fs::write(&script, source("second")).expect("write script");
    let out = Command::new(env!("CARGO_BIN_EXE_kvrt"))
        .args(["run", script_path])
        .envs(env)
        .output()
        .expect("kvrt runs");
    assert_eq!(text(&out).0, "second\n");
    assert_eq!(cached(), 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn internals_are_private_as_in_deno() {
    let script = "tests/fixtures/scripts/internals.ts";
    let ours = kvrt(&["run", script]);
    let theirs = Command::new(deno_bin())
        .args(["run", "--unstable-kv", script])
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .env("DENO_NO_UPDATE_CHECK", "1")
        .output()
        .expect("deno runs");
    assert!(theirs.status.success(), "{:?}", text(&theirs));
    assert_eq!(text(&ours), text(&theirs));
    assert!(text(&ours).0.contains("Deno.core undefined"));
}

#[test]
fn process_facts_and_exit_code_match_deno() {
    let script = "tests/fixtures/scripts/process_info.ts";
    for no_color in [false, true] {
        let mut ours = Command::new(env!("CARGO_BIN_EXE_kvrt"));
        let mut theirs = Command::new(deno_bin());
        ours.args(["run", script]);
        theirs
            .args(["run", "-A", script])
            .env("DENO_NO_UPDATE_CHECK", "1");
        for command in [&mut ours, &mut theirs] {
            command.current_dir(workspace()).env_remove("NO_COLOR");
            if no_color {
                command.env("NO_COLOR", "1");
            }
        }
        let ours = ours.output().expect("kvrt runs");
        let theirs = theirs.output().expect("deno runs");
        assert_eq!(text(&ours), text(&theirs));
        assert_eq!(ours.status.code(), Some(7));
        assert_eq!(theirs.status.code(), Some(7));
    }
    // Deno.exit() without a code exits with Deno.exitCode.
    let dir = tempdir();
    let script = dir.join("exit.ts");
    std::fs::write(&script, "Deno.exitCode = 4;\nDeno.exit();\n").expect("write");
    let out = kvrt(&["run", script.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(4));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn structured_clone_and_error_keys_match_deno() {
    let script = "tests/fixtures/scripts/clone_errors.ts";
    let ours = kvrt(&["run", script]);
    let theirs = Command::new(deno_bin())
        .args(["run", script])
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .env("DENO_NO_UPDATE_CHECK", "1")
        .output()
        .expect("deno runs");
    assert_eq!(text(&ours), text(&theirs));
    assert!(
        text(&ours).0.contains("stack adds no key true"),
        "{:?}",
        text(&ours)
    );
}
