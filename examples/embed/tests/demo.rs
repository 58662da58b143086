//! Runs `demo.js` in the kv-embed runtime: an open inside `./data` works, opens
//! outside it are refused by the permission hook, the custom value limit
//! holds; and the README's embedding section is `src/main.rs` verbatim.

use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kv-embed-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("work")).expect("create scratch dir");
    dir
}

#[test]
fn demo_shows_allowed_denied_and_limit() {
    let dir = scratch_dir();
    let work = dir.join("work");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo.js");
    let out = Command::new(env!("CARGO_BIN_EXE_kv-embed"))
        .arg(&demo)
        .current_dir(&work)
        .output()
        .expect("run kv-embed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert_eq!(lines[0], "allowed: hello from an embedded runtime");
    assert_eq!(
        lines[1],
        "denied: NotCapable: ../outside.sqlite3 is outside this runtime's data directory"
    );
    assert_eq!(
        lines[2],
        "denied: NotCapable: /tmp/kv-embed.sqlite3 is outside this runtime's data directory"
    );
    assert!(lines[3].starts_with("denied: "), "{}", lines[3]);
    assert!(lines[3].contains("https://kv.example.com"), "{}", lines[3]);
    assert_eq!(
        lines[4],
        "limit: TypeError: Value too large (max 1024 bytes)"
    );
    // The allowed database exists; the denied ones were never created.
    assert!(work.join("data/notes.sqlite3").is_file());
    assert!(!dir.join("outside.sqlite3").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn readme_embedding_section_is_main_rs() {
    let readme = include_str!("../../../README.md");
    let main_rs = include_str!("../src/main.rs");
    assert!(
        readme.contains(main_rs),
        "README.md's embedding section must quote examples/embed/src/main.rs verbatim"
    );
}
