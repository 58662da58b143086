//! Ops behind the runtime's `Deno.*` helpers: process and permissions
//! (the file system is deno_fs's).

pub mod permissions;
pub mod process;
