//! examples/app, the notes service, runs its own suite unchanged under both
//! real Deno and kvrt: a deno.json import map, a jsr: package from the fixture
//! registry, zod from node_modules (installed here with npm), Request and
//! Response, crypto.subtle and KV.

mod common;

use common::{deno_bin, serve_dir, workspace};

use std::process::{Command, Output};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `name ... ok` lines, durations dropped.
fn results(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(" ... "))
        .map(|l| l.rsplit_once(" (").map_or(l, |(head, _)| head).to_string())
        .collect()
}

#[test]
fn the_example_suite_passes_under_deno_and_kvrt() {
    let app = workspace().join("examples/app");
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--silent",
            "--no-package-lock",
        ])
        .current_dir(&app)
        .status()
        .expect("npm runs");
    assert!(status.success(), "npm install failed");
    let registry = serve_dir(workspace().join("tests/fixtures/jsr_registry"));
    let cache = std::env::temp_dir().join(format!("kvrt-example-{}", std::process::id()));
    let ours = Command::new(env!("CARGO_BIN_EXE_kvrt"))
        .args(["test", "-A"])
        .current_dir(&app)
        .env("JSR_URL", &registry.url)
        .env("KVRT_DIR", &cache)
        .output()
        .expect("kvrt runs");
    let theirs = Command::new(deno_bin())
        .args(["test", "-A", "--unstable-kv"])
        .current_dir(&app)
        .env("JSR_URL", &registry.url)
        .env("NO_COLOR", "1")
        .env("DENO_NO_UPDATE_CHECK", "1")
        .env("DENO_DIR", cache.join("deno"))
        .output()
        .expect("deno runs");
    assert!(theirs.status.success(), "deno: {}", text(&theirs));
    assert!(ours.status.success(), "kvrt: {}", text(&ours));
    assert_eq!(results(&ours), results(&theirs));
    assert_eq!(results(&ours).len(), 5, "{}", text(&ours));
    std::fs::remove_dir_all(&cache).ok();
}
