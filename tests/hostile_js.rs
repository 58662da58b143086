//! Scripts that patch built-ins cannot corrupt or break KV (issue 10).
//!
//! Every `tests/fixtures/hostile_js/*.ts` other than `control.ts` patches one
//! built-in (`BigInt.prototype.toString`, `Object.is`, `Array.prototype.map`,
//! the `Uint8Array` global, ...) or defines one getter on `Object.prototype`
//! (`limit`, `prefix`, `key`, ...), then runs the same KV workload
//! (`_workload.js`: sets with every kind of key part, gets, lists with every
//! option, an atomic commit with checks and sum/min/max, watch, enqueue and
//! listenQueue), restores the patch and prints what it got and what was
//! stored. Each runs in its own kvrt process, so patches cannot leak between
//! cases, and its output must equal what the real Deno 2.9.6 prints for the
//! unpatched workload (`control.ts`): a patched built-in or an inherited
//! option changes nothing. (Deno itself is disturbed by some of these:
//! `Array.prototype.pop` and inherited `limit`/`reverse`/`cursor`/
//! `consistency` change its lists; kvrt reads options from own properties
//! only, as the issue asks.)
//!
//! The Deno binary comes from `KVRT_DENO_BIN` (default
//! `node_modules/@deno/linux-x64-glibc/deno`); `KVRT_SKIP_DENO=1` skips.

mod common;

use common::{deno_or_skip as deno, workspace};

use std::process::Command;

const DIR: &str = "tests/fixtures/hostile_js";

#[test]
fn patched_builtins_and_inherited_options_change_nothing() {
    let Some(deno) = deno() else { return };
    let control = Command::new(&deno)
        .args(["run", "--unstable-kv", "-A", &format!("{DIR}/control.ts")])
        .env("DENO_NO_UPDATE_CHECK", "1")
        .env("NO_COLOR", "1")
        .current_dir(workspace())
        .output()
        .expect("deno starts");
    assert!(control.status.success(), "deno control.ts failed");
    let expected = String::from_utf8_lossy(&control.stdout).into_owned();
    assert!(expected.contains("listenQueue after close resolved"));

    let mut fixtures: Vec<String> = std::fs::read_dir(workspace().join(DIR))
        .expect("fixture dir")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".ts"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() > 40, "fixtures found: {fixtures:?}");
    let mut failures = Vec::new();
    for name in &fixtures {
        let output = Command::new(env!("CARGO_BIN_EXE_kvrt"))
            .args(["run", "-A", &format!("{DIR}/{name}")])
            .current_dir(workspace())
            .output()
            .expect("kvrt starts");
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() || stdout != expected {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let diff: Vec<String> = expected
                .lines()
                .zip(stdout.lines().chain(std::iter::repeat("<missing>")))
                .filter(|(want, got)| want != got)
                .map(|(want, got)| format!("  want {want}\n  got  {got}"))
                .take(3)
                .collect();
            failures.push(format!(
                "{name} ({}):\n{}\n{stderr}",
                output.status,
                diff.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ from Deno's unpatched run:\n{}",
        failures.len(),
        fixtures.len(),
        failures.join("\n")
    );
}
