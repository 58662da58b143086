//! An open database as a `deno_core` resource: the engine's store plus the
//! background work tied to it.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use deno_core::{CancelHandle, Resource};
use kv_engine::Store;

use crate::committer::Committer;
use crate::error::KvError;
use crate::expiry::ExpiryCollector;
use crate::queue::Leases;
use crate::signal::CommitSignal;

/// What `Deno.openKv` returns a resource id for.
pub struct DatabaseResource {
    /// The engine; shared with blocking tasks.
    pub store: Arc<Store>,
    /// Applies writes, in groups when they are concurrent.
    pub committer: Committer,
    /// Deletes expired entries in the background while the database is open.
    pub expiry: ExpiryCollector,
    /// Announces this process's commits to watchers and queue listeners.
    pub signal: Arc<CommitSignal>,
    /// Queue messages whose handlers are running here, kept leased.
    pub leases: Leases,
    /// Cancelled when the database closes, ending pending waits.
    pub cancel: Rc<CancelHandle>,
}

impl Resource for DatabaseResource {
    fn name(&self) -> Cow<'_, str> {
        "database".into()
    }

    fn close(self: Rc<Self>) {
        self.cancel.cancel();
        self.expiry.stop();
        self.leases.release_all();
    }
}

/// Runs `work` against the store on tokio's blocking pool, so SQLite's
/// waiting (fsync, locks) never stalls the JavaScript thread.
pub async fn with_store<T, F>(store: &Arc<Store>, work: F) -> Result<T, KvError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, KvError> + Send + 'static,
{
    let store = store.clone();
    tokio::task::spawn_blocking(move || work(&store))
        .await
        .map_err(|err| KvError::Generic(format!("database task failed: {err}")))?
}
