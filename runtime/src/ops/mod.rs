//! Ops behind the runtime's `Deno.*` helpers: process and file system.

pub mod fs;
pub mod process;
