//! Ops behind the runtime's `Deno.*` helpers (process and file system) and
//! its node: modules (node:v8, node:zlib).

pub mod fs;
pub mod process;
pub mod v8;
pub mod zlib;
