//! Helpers shared by the Rust integration tests in this directory.

use std::path::PathBuf;

/// The workspace root: scripts and fixtures are run from there.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("runtime/ has a parent")
        .to_path_buf()
}

/// The real Deno 2.9.6, the oracle of the differential tests: from
/// `KVRT_DENO_BIN`, else where `scripts/setup.sh --with-deno` installs it.
/// Panics without it: a differential test never passes without comparing.
#[allow(dead_code)]
pub fn deno_bin() -> PathBuf {
    let path = std::env::var_os("KVRT_DENO_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("node_modules/@deno/linux-x64-glibc/deno"));
    assert!(
        path.is_file(),
        "no Deno binary at {} (run ./scripts/setup.sh --with-deno)",
        path.display()
    );
    path
}
