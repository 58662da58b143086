//! kvrt: a TypeScript runtime on `deno_core` with Deno KV (`Deno.openKv`) built in.
//!
//! [`worker::create_runtime`] builds a `JsRuntime` with the web platform
//! globals (`deno_web`), the KV extension (`kv_ext`) and the runtime's own
//! `Deno.*` helpers; [`run`] and [`test`] drive it for the CLI.

pub mod emit_cache;
pub mod extension;
pub mod flags;
pub mod jsr;
pub mod kv_command;
pub mod module_loader;
pub mod npm;
pub mod ops;
pub mod permissions;
pub mod remote;
pub mod resolver;
pub mod run;
pub mod snapshot_extensions;
pub mod test;
pub mod tls;
pub mod worker;
