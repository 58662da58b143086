//! Ops behind the runtime's `Deno.*` helpers (process and file system) and
//! its node: modules (node:v8, node:zlib, node:process memory usage).

pub mod fs;
pub mod memory;
pub mod process;
pub mod v8;
pub mod zlib;
