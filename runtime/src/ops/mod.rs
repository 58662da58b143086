//! Ops behind the runtime's `Deno.*` helpers: process, permissions and the
//! lifecycle events (the file system is deno_fs's).

pub mod lifecycle;
pub mod permissions;
pub mod process;
