//! `kvrt test` on fixture suites (tests/fixtures/runner/): a module that
//! fails outside its tests fails the run, each file has its own module graph
//! and default database, sanitizers, reporters and run options. Where the
//! output can be compared, the same fixture also runs under the real Deno
//! (`KVRT_DENO_BIN`, see tests/differential.rs) and the two must agree.

mod common;

use common::{deno_bin, workspace};

use std::path::PathBuf;
use std::process::{Command, Output};

const FIXTURES: &str = "tests/fixtures/runner";

/// A fresh directory for one test's default databases and reports.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kvrt-runner-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Options as given; other arguments name fixtures in FIXTURES.
fn fixture_args(args: &[&str]) -> Vec<String> {
    args.iter()
        .map(|a| {
            if a.starts_with('-') {
                a.to_string()
            } else {
                format!("{FIXTURES}/{a}")
            }
        })
        .collect()
}

/// Runs `kvrt test` with `args` (fixture names are relative to FIXTURES).
fn kvrt_test(args: &[&str], kvrt_dir: &PathBuf) -> Output {
    let args = fixture_args(args);
    Command::new(env!("CARGO_BIN_EXE_kvrt"))
        .args(["test", "-A"])
        .args(&args)
        .current_dir(workspace())
        .env("KVRT_DIR", kvrt_dir)
        .output()
        .expect("kvrt runs")
}

/// Runs `deno test -A --unstable-kv` with `args`, without colors.
fn deno_test(args: &[&str]) -> Output {
    let args = fixture_args(args);
    Command::new(deno_bin())
        .args(["test", "-A", "--unstable-kv", "--no-check"])
        .args(&args)
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .env("DENO_NO_UPDATE_CHECK", "1")
        .env("DENO_DIR", scratch("deno-dir"))
        .output()
        .expect("deno runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn all_output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts the exit code and kvrt's closing line.
fn assert_run(out: &Output, code: i32, closing: &str) {
    let text = all_output(out);
    assert_eq!(out.status.code(), Some(code), "{text}");
    assert!(
        stdout(out).ends_with(&format!("{closing}\n")),
        "expected closing line {closing:?}:\n{text}"
    );
}

/// `name ... status` lines (durations dropped), in order.
fn result_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.contains(" ... ") && !l.starts_with("error") && !l.contains(" => "))
        .map(|l| match l.rfind(" (") {
            Some(i) if l.ends_with(')') && !l.ends_with("step)") && !l.ends_with("steps)") => {
                l[..i].to_string()
            }
            _ => l.to_string(),
        })
        .map(|l| {
            l.replace(" (due to", "\u{0}")
                .split('\u{0}')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn a_rejected_import_fails_the_run() {
    let dir = scratch("rejected");
    for (fixture, message) in [
        ("tla_rejects_later.ts", "Error: rejected after a wait"),
        ("tla_rejects_now.ts", "Error: thrown while loading"),
    ] {
        let out = kvrt_test(&[fixture], &dir);
        assert_run(&out, 1, "0 passed, 1 failed");
        let text = stdout(&out);
        assert!(
            text.contains(&format!(
                "Uncaught error from ./{FIXTURES}/{fixture} FAILED"
            )),
            "{text}"
        );
        assert!(text.contains(message), "{text}");
        assert!(
            text.contains(&format!("./{FIXTURES}/{fixture} (uncaught error)")),
            "{text}"
        );
    }
}

#[test]
fn a_rejected_import_fails_in_every_reporter() {
    let dir = scratch("rejected-reporters");
    let out = kvrt_test(&["--reporter=tap", "tla_rejects_later.ts"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let tap = stdout(&out);
    assert!(
        tap.contains(&format!(
            "not ok 1 - ./{FIXTURES}/tla_rejects_later.ts (uncaught error)"
        )),
        "{tap}"
    );
    let out = kvrt_test(&["--reporter=junit", "tla_rejects_later.ts"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let xml = stdout(&out);
    assert!(xml.contains(r#"tests="1" failures="1""#), "{xml}");
}

#[test]
fn files_sharing_a_top_level_await_graph_both_run() {
    let dir = scratch("shared-graph");
    let out = kvrt_test(&["shared_graph_a.ts", "shared_graph_b.ts"], &dir);
    assert_run(&out, 0, "2 passed, 0 failed");
    let out = kvrt_test(&["dynamic_import.ts"], &dir);
    assert_run(&out, 0, "1 passed, 0 failed");
}

#[test]
fn each_file_has_its_own_module_state_and_default_database() {
    for parallel in [false, true] {
        let dir = scratch(&format!("isolation-{parallel}"));
        let mut args = vec!["module_state_a.ts", "module_state_b.ts"];
        if parallel {
            args.push("--parallel");
        }
        let out = kvrt_test(&args, &dir);
        assert_run(&out, 0, "4 passed, 0 failed");
        // Two databases, one per test file URL.
        let databases = std::fs::read_dir(dir.join("location_data"))
            .expect("default databases")
            .count();
        assert_eq!(databases, 2, "{}", all_output(&out));
    }
}

#[test]
fn sanitizers_match_deno() {
    let dir = scratch("sanitizers");
    let out = kvrt_test(&["sanitizers.ts"], &dir);
    assert_run(&out, 1, "2 passed, 5 failed");
    let kvrt = stdout(&out);
    for expected in [
        "closes its database ... ok",
        "leaks without sanitizers ... ok",
        "leaks a database ... FAILED",
        "- \"database\" was created during the test, but not cleaned up during the test. Close the resource before the end of the test.",
        "- An async call to op_kv_dequeue_next_message was started in this test, but never completed.",
        "error: Error: Test case attempted to exit with exit code: 3",
    ] {
        assert!(kvrt.contains(expected), "missing {expected:?}:\n{kvrt}");
    }
    let deno = deno_test(&["sanitizers.ts"]);
    assert_eq!(deno.status.code(), Some(1), "{}", all_output(&deno));
    let deno_text = stdout(&deno);
    assert_eq!(
        result_lines(&kvrt),
        result_lines(&deno_text),
        "kvrt:\n{kvrt}\ndeno:\n{deno_text}"
    );
    let leaks = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("  - ") || l.starts_with("error: Leaks"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        leaks(&kvrt),
        leaks(&deno_text),
        "kvrt:\n{kvrt}\ndeno:\n{deno_text}"
    );
}

#[test]
fn sanitize_resources_flag() {
    let dir = scratch("sanitize-flag");
    let out = kvrt_test(&["sanitize_flag.ts"], &dir);
    assert_run(&out, 0, "2 passed, 0 failed");
    let out = kvrt_test(&["--sanitize-resources", "sanitize_flag.ts"], &dir);
    assert_run(&out, 1, "1 passed, 1 failed");
    let deno = deno_test(&["--sanitize-resources", "sanitize_flag.ts"]);
    assert_eq!(result_lines(&stdout(&out)), result_lines(&stdout(&deno)));
}

#[test]
fn pretty_and_dot_results_match_deno() {
    let dir = scratch("pretty");
    let kvrt = kvrt_test(&["reporting.ts", "reporting_more.ts"], &dir);
    let deno = deno_test(&["reporting.ts", "reporting_more.ts"]);
    assert_eq!(kvrt.status.code(), deno.status.code());
    assert_eq!(result_lines(&stdout(&kvrt)), result_lines(&stdout(&deno)));
    let summary = |text: &str| -> Option<String> {
        let line = text
            .lines()
            .find(|l| l.starts_with("FAILED |") || l.starts_with("ok |"))?;
        Some(line[..line.rfind(" (")?].to_string())
    };
    assert_eq!(summary(&stdout(&kvrt)), summary(&stdout(&deno)));

    let kvrt = kvrt_test(
        &["--reporter=dot", "reporting.ts", "reporting_more.ts"],
        &dir,
    );
    let deno = deno_test(&["--reporter=dot", "reporting.ts", "reporting_more.ts"]);
    let marks = |text: &str| -> String {
        text.lines()
            .filter(|l| matches!(*l, "." | "!" | ","))
            .collect()
    };
    assert_eq!(marks(&stdout(&kvrt)), marks(&stdout(&deno)));
    assert!(
        stdout(&kvrt).ends_with("6 passed, 2 failed\n"),
        "{}",
        stdout(&kvrt)
    );
}

#[test]
fn tap_matches_deno() {
    let dir = scratch("tap");
    let kvrt = kvrt_test(
        &["--reporter=tap", "reporting.ts", "reporting_more.ts"],
        &dir,
    );
    let deno = deno_test(&["--reporter=tap", "reporting.ts", "reporting_more.ts"]);
    assert_eq!(kvrt.status.code(), Some(1));
    // Everything but the diagnostics (whose messages hold stack traces).
    let structure = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| {
                let t = l.trim_start();
                t.starts_with("ok ")
                    || t.starts_with("not ok ")
                    || t.starts_with("# ")
                    || t.starts_with("1..")
                    || t.starts_with("TAP version")
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(structure(&stdout(&kvrt)), structure(&stdout(&deno)));
}

#[test]
fn junit_matches_deno() {
    let dir = scratch("junit");
    let path = dir.join("report.xml");
    let junit_arg = format!("--junit-path={}", path.display());
    let kvrt = kvrt_test(&[&junit_arg, "reporting.ts", "reporting_more.ts"], &dir);
    assert_run(&kvrt, 1, "6 passed, 2 failed");
    let ours = std::fs::read_to_string(&path).expect("junit report written");
    let deno = deno_test(&["--reporter=junit", "reporting.ts", "reporting_more.ts"]);
    let theirs = stdout(&deno);
    // Test case names, counts and which cases failed or were skipped.
    let shape = |xml: &str| -> Vec<String> {
        xml.lines()
            .filter_map(|l| {
                let t = l.trim();
                if t.starts_with("<testcase ") {
                    let name = t.split("name=\"").nth(1)?.split('"').next()?;
                    Some(format!("case {name}"))
                } else if t.starts_with("<failure") {
                    Some("failure".into())
                } else if t.starts_with("<skipped") {
                    Some("skipped".into())
                } else if t.starts_with("<testsuite ") || t.starts_with("<testsuites ") {
                    let counts: Vec<&str> = t
                        .split(' ')
                        .filter(|a| {
                            a.starts_with("tests=")
                                || a.starts_with("failures=")
                                || a.starts_with("disabled=")
                        })
                        .collect();
                    Some(counts.join(" "))
                } else {
                    None
                }
            })
            .collect()
    };
    assert_eq!(
        shape(&ours),
        shape(&theirs),
        "kvrt:\n{ours}\ndeno:\n{theirs}"
    );
}

#[test]
fn parallel_runs_every_file() {
    let dir = scratch("parallel");
    let out = kvrt_test(
        &[
            "--parallel",
            "all_pass.ts",
            "shared_graph_a.ts",
            "shared_graph_b.ts",
            "dynamic_import.ts",
            "mixed.ts",
        ],
        &dir,
    );
    assert_run(&out, 1, "10 passed, 2 failed");
    let text = stdout(&out);
    assert!(
        text.contains(&format!("./{FIXTURES}/all_pass.ts => beta ... ok")),
        "{text}"
    );
}

#[test]
fn shuffle_is_reproducible_with_a_seed() {
    let dir = scratch("shuffle");
    let files = [
        "--shuffle=42",
        "all_pass.ts",
        "mixed.ts",
        "shared_graph_a.ts",
    ];
    let first = kvrt_test(&files, &dir);
    let second = kvrt_test(&files, &dir);
    assert_run(&first, 1, "8 passed, 2 failed");
    assert_eq!(
        result_lines(&stdout(&first)),
        result_lines(&stdout(&second))
    );
    let plain = kvrt_test(&["all_pass.ts", "mixed.ts", "shared_graph_a.ts"], &dir);
    let mut shuffled = result_lines(&stdout(&first));
    let mut ordered = result_lines(&stdout(&plain));
    assert_ne!(shuffled, ordered, "seed 42 left the order unchanged");
    shuffled.sort();
    ordered.sort();
    assert_eq!(shuffled, ordered);
}

#[test]
fn fail_fast_takes_a_count() {
    let dir = scratch("fail-fast");
    let out = kvrt_test(
        &["--fail-fast=2", "reporting.ts", "reporting_more.ts"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("failing step ... FAILED"), "{text}");
    assert!(!text.contains("alpha one"), "{text}");
    let out = kvrt_test(&["--fail-fast", "reporting.ts", "reporting_more.ts"], &dir);
    let text = stdout(&out);
    assert!(text.contains("fails ... FAILED"), "{text}");
    assert!(!text.contains("failing step"), "{text}");
}
