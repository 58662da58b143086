//! `kv_engine`: the storage engine of kvrt's Deno KV.
//!
//! Plain Rust over SQLite, with the same file layout as Deno's SQLite
//! backend so that database files move freely between Deno and kvrt.
//! Keys are handled in their encoded form ([`key`]); values are opaque
//! bytes tagged with their encoding ([`KvValue`]).

#![warn(missing_docs)]

mod atomic;
mod clock;
mod commit;
mod connection;
mod error;
mod expiry;
pub mod key;
pub mod limits;
mod maintenance;
mod queue;
mod queue_format;
mod random;
mod range_read;
mod schema;
pub mod selector;
mod store;
mod v8_scalar;
mod value;
mod versionstamp;

pub use atomic::{AtomicWrite, Check, CommitResult, Enqueue, Mutation, MutationKind};
pub use clock::now_ms;
pub use commit::WriteOutcome;
pub use connection::lock_timeout;
pub use error::EngineError;
pub use key::{decode_key, encode_key, encode_string_part, KeyPart};
pub use maintenance::{backup, restore, stats, BackupProgress, Stats};
pub use queue::QueueMessage;
pub use range_read::{Entry, ReadRange};
pub use schema::SCHEMA_VERSION;
pub use store::{Store, StoreLocation};
pub use value::{KvValue, ENCODING_BYTES, ENCODING_U64, ENCODING_V8};
pub use versionstamp::Versionstamp;
