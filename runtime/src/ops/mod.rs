//! Ops behind the runtime's `Deno.*` helpers: process, file system and randomness.

pub mod fs;
pub mod process;
pub mod random;
