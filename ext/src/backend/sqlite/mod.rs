//! The local backend: the `kv_engine` SQLite store, with the work tied to an
//! open handle (group commit, expiry, commit signals, queue leases).

mod committer;
mod expiry;
mod leases;
mod signal;

use std::sync::Arc;

use async_trait::async_trait;
use deno_error::JsErrorBox;
use kv_engine::{now_ms, QueueMessage, Store, StoreLocation};

use crate::backend::{
    AtomicWrite, Consistency, Entry, KvBackend, QueueMessageHandle, ReadRange, Versionstamp,
    WatchKey, WatchStream,
};
use crate::error::KvError;
use committer::Committer;
use expiry::ExpiryCollector;
use leases::{Leases, LEASE_MS};
use signal::{signal_for, CommitSignal, POLL_INTERVAL};

/// An open SQLite database.
pub struct SqliteBackend {
    /// The engine; shared with blocking tasks.
    store: Arc<Store>,
    /// Applies writes, in groups when they are concurrent.
    committer: Committer,
    /// Deletes expired entries in the background while the database is open.
    expiry: ExpiryCollector,
    /// Announces this process's commits to watchers and queue listeners.
    signal: Arc<CommitSignal>,
    /// Queue messages whose handlers are running here, kept leased.
    leases: Arc<Leases>,
}

impl SqliteBackend {
    /// Opens (creating if needed) the database at `location`.
    pub async fn open(location: StoreLocation) -> Result<SqliteBackend, KvError> {
        let store = tokio::task::spawn_blocking(move || Store::open(location))
            .await
            .map_err(KvError::TaskFailed)??;
        let store = Arc::new(store);
        Ok(SqliteBackend {
            committer: Committer::start(store.clone())?,
            expiry: ExpiryCollector::start(store.clone()),
            signal: signal_for(store.path()),
            leases: Arc::default(),
            store,
        })
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
        .map_err(KvError::TaskFailed)?
}

fn boxed(err: KvError) -> JsErrorBox {
    JsErrorBox::from_err(err)
}

/// One look at the queue: takes back expired leases, then takes the next
/// ready message. Also says when the next message becomes ready.
fn poll_queue(store: &Store, now: i64) -> Result<(Option<QueueMessage>, Option<i64>), KvError> {
    if store.next_running_deadline()?.is_some_and(|d| d <= now) {
        store.requeue_expired_running(now)?;
    }
    match store.next_ready_at()? {
        Some(ready) if ready <= now => {
            let message = store.dequeue_next(now, LEASE_MS)?;
            Ok((message, store.next_ready_at()?))
        }
        next => Ok((None, next)),
    }
}

/// A message taken off the SQLite queue, leased while its handler runs.
struct SqliteMessage {
    message: QueueMessage,
    store: Arc<Store>,
    signal: Arc<CommitSignal>,
    leases: Arc<Leases>,
}

#[async_trait(?Send)]
impl QueueMessageHandle for SqliteMessage {
    fn payload(&self) -> &[u8] {
        &self.message.payload
    }

    async fn finish(self: Box<Self>, success: bool) -> Result<(), JsErrorBox> {
        let id = self.message.id;
        self.leases.release(&id);
        with_store(&self.store, move |store| {
            Ok(store.finish_message(&id, success, now_ms())?)
        })
        .await
        .map_err(boxed)?;
        self.signal.notify();
        Ok(())
    }
}

/// The single-key ranges of watched `keys`.
fn key_ranges(keys: &[Vec<u8>]) -> Vec<ReadRange> {
    keys.iter()
        .map(|start| {
            let mut end = start.clone();
            end.push(0);
            ReadRange {
                start: start.clone(),
                end,
                limit: 1,
                reverse: false,
            }
        })
        .collect()
}

/// The entries of single-key `ranges` (`None` for a missing key).
fn read_keys(store: &Store, ranges: &[ReadRange]) -> Result<Vec<Option<Entry>>, KvError> {
    Ok(store
        .read(ranges, now_ms())?
        .into_iter()
        .map(|entries| entries.into_iter().next())
        .collect())
}

fn stamps(entries: &[Option<Entry>]) -> Vec<Option<Versionstamp>> {
    entries
        .iter()
        .map(|e| e.as_ref().map(|e| e.versionstamp))
        .collect()
}

#[async_trait(?Send)]
impl KvBackend for SqliteBackend {
    /// Served from the reader connection, which in WAL mode never waits for
    /// the writer; `None` when another connection holds a lock.
    fn try_snapshot_read(
        &self,
        ranges: &[ReadRange],
    ) -> Result<Option<Vec<Vec<Entry>>>, JsErrorBox> {
        self.store
            .try_read(ranges, now_ms())
            .map_err(|err| boxed(err.into()))
    }

    fn try_get(&self, key: &[u8]) -> Result<Option<Option<Entry>>, JsErrorBox> {
        self.store
            .try_get(key, now_ms())
            .map_err(|err| boxed(err.into()))
    }

    /// Waits (off the JavaScript thread) until the file can be read, up to
    /// the lock timeout ("database is locked" naming the file), then reads.
    async fn snapshot_read(
        &self,
        ranges: Vec<ReadRange>,
        _consistency: Consistency,
    ) -> Result<Vec<Vec<Entry>>, JsErrorBox> {
        with_store(&self.store, move |store| loop {
            if let Some(results) = store.try_read(&ranges, now_ms())? {
                return Ok(results);
            }
            store.wait_readable()?;
        })
        .await
        .map_err(boxed)
    }

    async fn atomic_write(&self, write: AtomicWrite) -> Result<Option<Versionstamp>, JsErrorBox> {
        let earliest_expiry = write.mutations.iter().filter_map(|m| m.expire_at_ms).min();
        let written: Vec<Vec<u8>> = write.mutations.iter().map(|m| m.key.clone()).collect();
        let Some(commit) = self.committer.commit(write).await.map_err(boxed)? else {
            return Ok(None);
        };
        self.signal.notify_keys(written);
        if let Some(at) = earliest_expiry {
            self.expiry.schedule(at);
        }
        Ok(Some(commit.versionstamp))
    }

    /// Messages enqueued by other processes are seen within one poll
    /// interval.
    async fn dequeue_next_message(
        &self,
    ) -> Result<Option<Box<dyn QueueMessageHandle>>, JsErrorBox> {
        let mut commits = self.signal.subscribe();
        loop {
            let (message, next_ready) =
                with_store(&self.store, |store| poll_queue(store, now_ms()))
                    .await
                    .map_err(boxed)?;
            if let Some(message) = message {
                self.leases.hold(self.store.clone(), message.id.clone());
                return Ok(Some(Box::new(SqliteMessage {
                    message,
                    store: self.store.clone(),
                    signal: self.signal.clone(),
                    leases: self.leases.clone(),
                })));
            }
            let wait = match next_ready {
                Some(at) => POLL_INTERVAL.min(std::time::Duration::from_millis(
                    (at - now_ms()).max(0) as u64,
                )),
                None => POLL_INTERVAL,
            };
            tokio::select! {
                _ = commits.changed() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// The first update at once; then one whenever the keys' versionstamps
    /// differ from the last update's, or a commit of this process writes a
    /// watched key (as in Deno, even when nothing changed: `raw` watches see
    /// it). Other processes' commits are seen within one poll interval.
    fn watch(&self, keys: Vec<Vec<u8>>) -> WatchStream {
        let store = self.store.clone();
        let signal = self.signal.clone();
        // Subscribed before the first read, so no commit slips between a
        // read and the wait after it.
        let commits = signal.subscribe();
        let checked = *commits.borrow();
        let ranges = Arc::new(key_ranges(&keys));
        let state = (commits, checked, None::<Vec<Option<Versionstamp>>>);
        Box::pin(futures::stream::try_unfold(
            state,
            move |(mut commits, mut checked, last)| {
                let (store, signal, ranges, keys) =
                    (store.clone(), signal.clone(), ranges.clone(), keys.clone());
                async move {
                    loop {
                        let since = checked;
                        checked = *commits.borrow_and_update();
                        let read = ranges.clone();
                        let entries = with_store(&store, move |s| read_keys(s, &read))
                            .await
                            .map_err(boxed)?;
                        let now = stamps(&entries);
                        let touched = last.is_some() && signal.touched_since(since, &keys);
                        if last.as_ref() != Some(&now) || touched {
                            let update = entries.into_iter().map(WatchKey::Changed).collect();
                            return Ok(Some((update, (commits, checked, Some(now)))));
                        }
                        tokio::select! {
                            _ = commits.changed() => {}
                            _ = tokio::time::sleep(POLL_INTERVAL) => {}
                        };
                    }
                }
            },
        ))
    }

    fn close(&self) {
        self.expiry.stop();
        self.leases.release_all();
    }
}
