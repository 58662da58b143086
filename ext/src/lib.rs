//! Deno KV for `deno_core` runtimes.
//!
//! Add [`kv_ext::init`](kv_ext) to a `JsRuntime`'s extensions (after
//! `deno_webidl` and `deno_web`) and scripts get `Deno.openKv()`, `Deno.Kv`,
//! `Deno.AtomicOperation`, `Deno.KvU64` and `Deno.KvListIterator`, backed by
//! the SQLite engine in the `kv_engine` crate, or by a KV Connect server for
//! `http(s)://` URLs (see [`backend`]). The ops here only translate between
//! JavaScript and a backend.

pub mod backend;
mod config;
mod database;
mod error;
mod js_value;
mod key_arg;
mod location;
mod ops;
mod shim;
mod wire;

pub use config::{
    AllowAll, DefaultLocation, KvAccessToken, KvConfig, KvConfigBuilder, KvLimits, KvPermissions,
    KvRootCertificates, OpenTarget, RemoteOptions,
};
pub use location::{data_root, default_database_dir};
/// node:v8's `serialize`/`deserialize` over this crate's V8 wire codec, for
/// runtimes that provide node:v8 (the codec itself is private).
pub use wire::{node_deserialize, node_serialize};

deno_core::extension!(
    kv_ext,
    deps = [deno_webidl, deno_web],
    ops = [
        ops::open::op_kv_database_open,
        ops::value::op_kv_intrinsics,
        ops::value::op_kv_init,
        ops::value::op_kv_serialize,
        ops::value::op_kv_deserialize,
        ops::value::op_kv_encode_u64,
        ops::value::op_kv_decode_value,
        ops::read::op_kv_snapshot_read,
        ops::read::op_kv_get,
        ops::read::op_kv_list_read,
        ops::read::op_kv_encode_cursor,
        ops::read::op_kv_snapshot_key,
        ops::read::op_kv_snapshot_read_async,
        ops::read::op_kv_take_read,
        ops::read::op_kv_void_async,
        ops::write::op_kv_atomic_write,
        ops::write::op_kv_set,
        ops::write_args::op_kv_check_mutation,
        ops::write_args::op_kv_check_delay,
        ops::write_args::op_kv_backoff_schedule,
        ops::listen_queue::op_kv_dequeue_next_message,
        ops::listen_queue::op_kv_finish_dequeued_message,
        ops::watch::op_kv_watch,
        ops::watch::op_kv_watch_next,
    ],
    esm_entry_point = "ext:kv_ext/00_install.js",
    esm = [dir "js", "01_kv.js", "00_install.js"],
    options = { config: KvConfig },
    state = |state, options| {
        state.put(options.config.limits);
        state.put(options.config);
    },
);
