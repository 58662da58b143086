//! Where a database's data lives, behind one trait: the local SQLite engine
//! ([`sqlite`]), a KV Connect server ([`remote`]), or a backend an embedder
//! plugs in (see [`KvDatabaseHandler`]). Like Deno's `Database` (in
//! `denokv_proto`), the trait speaks in encoded keys and stored values: the
//! ops have already checked Deno's limits and encoded every key.

pub mod http;
pub mod remote;
mod replicas;
pub mod sqlite;

use std::pin::Pin;
use std::rc::Rc;

use async_trait::async_trait;
use deno_error::JsErrorBox;
use futures::Stream;
pub use kv_engine::{
    AtomicWrite, Check, Enqueue, Entry, KvValue, Mutation, MutationKind, ReadRange, Versionstamp,
};

/// The consistency a read asks for (`consistency` of `get`/`getMany`/`list`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Consistency {
    /// The latest committed data.
    #[default]
    Strong,
    /// Possibly stale data (a KV Connect read replica may answer).
    Eventual,
}

/// One watched key in an update of a [`WatchStream`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchKey {
    /// The key's current entry (`None`: absent).
    Changed(Option<Entry>),
    /// Unchanged since the stream's previous update (never in the first).
    Unchanged,
}

/// Updates of a watch: the first holds every key, each later one comes when
/// a watched key may have changed. The stream ends when the backend closes.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<Vec<WatchKey>, JsErrorBox>>>>;

/// A queue message handed to `listenQueue`'s handler.
#[async_trait(?Send)]
pub trait QueueMessageHandle {
    /// The V8-serialized payload.
    fn payload(&self) -> &[u8];
    /// Settles the message: deleted on success, else retried or given up.
    async fn finish(self: Box<Self>, success: bool) -> Result<(), JsErrorBox>;
}

/// An open database. Errors are thrown to scripts as they are (class and
/// message), so a backend chooses Deno's classes.
#[async_trait(?Send)]
pub trait KvBackend {
    /// Answers a read synchronously when it can do so without waiting
    /// (`Ok(None)` otherwise; the read then goes through
    /// [`snapshot_read`](Self::snapshot_read)). SQLite answers from its
    /// reader connection; a network backend never can.
    fn try_snapshot_read(
        &self,
        ranges: &[ReadRange],
    ) -> Result<Option<Vec<Vec<Entry>>>, JsErrorBox> {
        let _ = ranges;
        Ok(None)
    }

    /// The live entry of one encoded key (`Some(None)`: none), answered
    /// synchronously like [`try_snapshot_read`](Self::try_snapshot_read):
    /// `Ok(None)` when it cannot answer without waiting (the read then goes
    /// through [`snapshot_read`](Self::snapshot_read) of the key's range).
    fn try_get(&self, key: &[u8]) -> Result<Option<Option<Entry>>, JsErrorBox> {
        let _ = key;
        Ok(None)
    }

    /// Reads every range from one consistent snapshot.
    async fn snapshot_read(
        &self,
        ranges: Vec<ReadRange>,
        consistency: Consistency,
    ) -> Result<Vec<Vec<Entry>>, JsErrorBox>;

    /// Applies `write` atomically: the commit's versionstamp, or `None` when
    /// a check failed (nothing written).
    async fn atomic_write(&self, write: AtomicWrite) -> Result<Option<Versionstamp>, JsErrorBox>;

    /// Waits for the next queue message; `None` ends `listenQueue`.
    async fn dequeue_next_message(&self)
        -> Result<Option<Box<dyn QueueMessageHandle>>, JsErrorBox>;

    /// Watches `keys` (encoded).
    fn watch(&self, keys: Vec<Vec<u8>>) -> WatchStream;

    /// Releases what the database holds (pending waits are cancelled by the
    /// ops themselves).
    fn close(&self);
}

/// Opens databases for `Deno.openKv`, replacing the built-in choice (a
/// `http(s)://` URL opens KV Connect, anything else SQLite). Given the path
/// exactly as the script passed it (`None` for the default); the permission
/// hook is not consulted for it.
#[async_trait(?Send)]
pub trait KvDatabaseHandler: Send + Sync {
    /// The database for `path`.
    async fn open(&self, path: Option<String>) -> Result<Rc<dyn KvBackend>, JsErrorBox>;
}
