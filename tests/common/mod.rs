//! Helpers shared by the Rust integration tests in this directory.

use std::path::PathBuf;

/// The workspace root: scripts and fixtures are run from there.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("runtime/ has a parent")
        .to_path_buf()
}
