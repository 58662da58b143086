//! Module resolution and Deno's flags, differential against the real Deno:
//! `deno.json(c)` import maps (imports, directory mappings, scopes),
//! `--import-map`, `--config`, `--no-config`, npm packages from a
//! `node_modules` that `npm install` fills, `--env-file`, `--unstable-*` and
//! the permission flags.

mod common;

use common::{deno_bin, workspace};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURES: &str = "tests/fixtures/resolution";

fn kvrt(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvrt"))
        .args(args)
        .current_dir(dir)
        .env(
            "KVRT_DIR",
            std::env::temp_dir().join("kvrt-resolution-tests"),
        )
        .output()
        .expect("kvrt runs")
}

fn deno(args: &[&str], dir: &Path) -> Output {
    Command::new(deno_bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DENO_NO_UPDATE_CHECK", "1")
        .env(
            "DENO_DIR",
            std::env::temp_dir().join("kvrt-resolution-deno-dir"),
        )
        .output()
        .expect("deno runs")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `args` under both and asserts the same exit code and standard output.
fn same(args: &[&str], dir: &Path) -> String {
    let ours = kvrt(args, dir);
    let theirs = deno(args, dir);
    assert_eq!(
        (ours.status.code(), text(&ours).0),
        (theirs.status.code(), text(&theirs).0),
        "kvrt {:?}\ndeno {:?}",
        text(&ours),
        text(&theirs)
    );
    text(&ours).0
}

#[test]
fn import_map_of_the_config_found_upward() {
    let out = same(
        &["run", &format!("{FIXTURES}/project/main.ts")],
        &workspace(),
    );
    assert_eq!(out, "hello from lib 42 hello from the scope\n");
}

#[test]
fn import_map_flag_config_flag_and_no_config() {
    let main = format!("{FIXTURES}/project/main.ts");
    let map = format!("--import-map={FIXTURES}/import_map.json");
    let out = same(&["run", &map, &main], &workspace());
    assert_eq!(out, "hello from the scope 42 hello from the scope\n");

    // --config from another directory than the module's.
    let config = format!("{FIXTURES}/project/deno.jsonc");
    let copy = std::env::temp_dir().join(format!("kvrt-resolution-{}", std::process::id()));
    std::fs::create_dir_all(&copy).expect("temp dir");
    let script = copy.join("main.ts");
    std::fs::write(
        &script,
        "import { greeting } from \"greeting\";\nconsole.log(greeting);\n",
    )
    .expect("write script");
    let script = script.to_string_lossy().into_owned();
    let out = same(&["run", "--config", &config, &script], &workspace());
    assert_eq!(out, "hello from lib\n");

    // --no-config: the bare specifier is unmapped in both.
    let bare = format!("{FIXTURES}/project/bare_only.ts");
    assert_eq!(same(&["run", &bare], &workspace()), "hello from lib\n");
    let ours = kvrt(&["run", "--no-config", &bare], &workspace());
    let theirs = deno(&["run", "--no-config", &bare], &workspace());
    assert_eq!(ours.status.code(), Some(1));
    assert_eq!(theirs.status.code(), Some(1));
    let first = |out: &Output| text(out).1.lines().next().unwrap_or_default().to_string();
    assert_eq!(first(&ours), first(&theirs));
    assert_eq!(first(&ours), "error: Import \"greeting\" not a dependency");
}

#[test]
fn unmapped_bare_specifier_error_matches_deno() {
    let script = format!("{FIXTURES}/project/unmapped.ts");
    let ours = kvrt(&["run", &script], &workspace());
    let theirs = deno(&["run", &script], &workspace());
    assert_eq!(ours.status.code(), Some(1));
    assert_eq!(theirs.status.code(), Some(1));
    let first = |out: &Output| text(out).1.lines().next().unwrap_or_default().to_string();
    assert_eq!(first(&ours), first(&theirs));
}

/// A directory with zod and nanoid installed by npm (ES module packages)
/// and is-number (CommonJS only).
fn npm_project() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kvrt-npm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("package.json"),
        r#"{ "name": "kvrt-npm-fixture", "private": true,
             "dependencies": { "zod": "3.23.8", "nanoid": "5.0.7", "is-number": "7.0.0" } }"#,
    )
    .expect("write package.json");
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--silent"])
        .current_dir(&dir)
        .status()
        .expect("npm runs (install Node.js and npm)");
    assert!(status.success(), "npm install failed");
    std::fs::copy(
        workspace().join(FIXTURES).join("npm_main.ts"),
        dir.join("main.ts"),
    )
    .expect("copy fixture");
    dir
}

#[test]
fn npm_packages_from_node_modules() {
    let dir = npm_project();
    let out = same(&["run", "main.ts"], &dir);
    assert!(
        out.starts_with("{ name: \"ada\", age: 36 } true 7\n"),
        "{out}"
    );

    // A version node_modules does not hold, and a CommonJS-only package.
    std::fs::write(dir.join("v4.ts"), "import \"npm:zod@^4\";\n").expect("write");
    let out = kvrt(&["run", "v4.ts"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).1.contains(
            "Could not find a matching package for 'npm:zod@^4' in the node_modules directory."
        ),
        "{:?}",
        text(&out)
    );
    std::fs::write(
        dir.join("cjs.ts"),
        "import n from \"is-number\";\nconsole.log(n(1));\n",
    )
    .expect("write");
    let out = kvrt(&["run", "cjs.ts"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("CommonJS"), "{:?}", text(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn deno_flags_are_accepted() {
    let script = format!("{FIXTURES}/env_main.ts");
    let env = format!("--env-file={FIXTURES}/fixture.env");
    let out = same(
        &[
            "run",
            "--unstable-kv",
            "--unstable-cron",
            "-A",
            "-q",
            "--no-check",
            &env,
            &script,
        ],
        &workspace(),
    );
    assert_eq!(out, "1 two words\nand a line kept\n");
    let out = same(
        &[
            "run",
            "--allow-read",
            "--allow-write=/tmp",
            "--allow-env=KVRT_FIXTURE_A,KVRT_FIXTURE_B,KVRT_FIXTURE_C",
            "--allow-net",
            &env,
            &script,
        ],
        &workspace(),
    );
    assert_eq!(out, "1 two words\nand a line kept\n");
    // Flags after the script belong to it.
    let out = kvrt(
        &[
            "run",
            "tests/fixtures/scripts/args_exit.ts",
            "--unstable-kv",
        ],
        &workspace(),
    );
    assert!(
        text(&out).0.starts_with("[\"--unstable-kv\"]"),
        "{:?}",
        text(&out)
    );
    // Deno's unknown flags fail clearly.
    let out = kvrt(&["run", "--unstable-nope", &script], &workspace());
    assert_eq!(out.status.code(), Some(2));
    // A --deny-* flag wins over -A, as in Deno.
    let args = ["run", "-A", "--deny-env=KVRT_FIXTURE_B", &env, &script];
    assert_eq!(same(&args, &workspace()), "");
    let out = kvrt(&args, &workspace());
    assert!(
        text(&out).1.contains(
            "NotCapable: Requires env access to \"KVRT_FIXTURE_B\", run again with the --allow-env flag"
        ),
        "{:?}",
        text(&out)
    );
    // kvrt test takes them too.
    let out = kvrt(
        &[
            "test",
            "--unstable-kv",
            "-A",
            "tests/fixtures/runner/all_pass.ts",
        ],
        &workspace(),
    );
    assert!(out.status.success(), "{:?}", text(&out));
}

#[test]
fn jsr_packages_from_a_registry() {
    let server = common::serve_dir(workspace().join("tests/fixtures/jsr_registry"));
    let registry = server.url.clone();
    let cache = std::env::temp_dir().join(format!("kvrt-jsr-cache-{}", std::process::id()));
    let script = format!("{FIXTURES}/jsr_main.ts");
    let run = |registry: &str| {
        Command::new(env!("CARGO_BIN_EXE_kvrt"))
            .args(["run", &script])
            .current_dir(workspace())
            .env("KVRT_DIR", &cache)
            .env("JSR_URL", registry)
            .output()
            .expect("kvrt runs")
    };
    let ours = run(&registry);
    let theirs = Command::new(deno_bin())
        .args(["run", &script])
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .env("DENO_NO_UPDATE_CHECK", "1")
        .env("DENO_DIR", cache.join("deno"))
        .env("JSR_URL", &registry)
        .output()
        .expect("deno runs");
    assert_eq!(
        text(&ours).0,
        text(&theirs).0,
        "kvrt {:?}\ndeno {:?}",
        text(&ours),
        text(&theirs)
    );
    assert_eq!(
        text(&ours).0,
        "hello ADA (1.1.0, greet-1) hello bob (1.0.0) X\n"
    );

    // The cache serves while the registry is down.
    server.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let ours = run(&registry);
    assert_eq!(
        text(&ours).0,
        "hello ADA (1.1.0, greet-1) hello bob (1.0.0) X\n",
        "{:?}",
        text(&ours)
    );

    // Without a cache or a registry: Deno's message.
    std::fs::remove_dir_all(&cache).ok();
    let ours = run("http://127.0.0.1:9/");
    assert_eq!(ours.status.code(), Some(1));
    assert!(
        text(&ours).1.contains("JSR package manifest for '@kvrt/greet' failed to load. Import 'http://127.0.0.1:9/@kvrt/greet/meta.json' failed"),
        "{:?}",
        text(&ours)
    );
    // A version the registry does not have.
    let missing = std::env::temp_dir().join(format!("kvrt-jsr-missing-{}.ts", std::process::id()));
    std::fs::write(&missing, "import \"jsr:@kvrt/greet@^3\";\n").expect("write");
    server
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let out = Command::new(env!("CARGO_BIN_EXE_kvrt"))
        .args(["run", missing.to_str().expect("utf-8")])
        .env("KVRT_DIR", &cache)
        .env("JSR_URL", &registry)
        .output()
        .expect("kvrt runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out)
            .1
            .contains("Could not find version of '@kvrt/greet'"),
        "{:?}",
        text(&out)
    );
    std::fs::remove_dir_all(&cache).ok();
    std::fs::remove_file(&missing).ok();
}

/// Node's built-in names: those kvrt provides resolve to them bare (as in
/// Deno, ahead of packages); one it does not provide falls back to a
/// package of that name in node_modules, and is refused clearly without one.
#[test]
fn bare_node_builtin_names() {
    let dir = std::env::temp_dir().join(format!("kvrt-node-builtins-{}", std::process::id()));
    let package = dir.join("node_modules/events");
    std::fs::create_dir_all(&package).expect("temp dir");
    std::fs::write(
        package.join("package.json"),
        r#"{ "name": "events", "version": "3.3.0", "type": "module", "main": "index.js" }"#,
    )
    .expect("package.json");
    std::fs::write(
        package.join("index.js"),
        "export default \"events polyfill\";\n",
    )
    .expect("index.js");
    std::fs::write(
        dir.join("main.ts"),
        "import events from \"events\";\nimport { Buffer } from \"buffer\";\nimport { Buffer as B } from \"node:buffer\";\nconsole.log(events, Buffer === B);\n",
    )
    .expect("main.ts");
    std::fs::write(dir.join("fs.ts"), "import \"fs\";\n").expect("fs.ts");
    let out = kvrt(&["run", "main.ts"], &dir);
    assert_eq!(text(&out).0, "events polyfill true\n", "{:?}", text(&out));
    let out = kvrt(&["run", "fs.ts"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out)
            .1
            .contains("Unsupported built-in module: node:fs"),
        "{:?}",
        text(&out)
    );
    std::fs::remove_dir_all(&dir).ok();
}
