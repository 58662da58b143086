//! Ops behind the runtime's `Deno.*` helpers (process, permissions, the
//! lifecycle events; the file system is deno_fs's) and its node: modules
//! (node:v8, node:zlib, node:process memory usage).

pub mod lifecycle;
pub mod memory;
pub mod permissions;
pub mod process;
pub mod v8;
pub mod zlib;
