//! Group commit: a thread per file database applies the writes waiting for
//! it in one SQLite transaction with one sync, each write in its own
//! savepoint (`Store::atomic_write_batch`). While a batch syncs, the next one
//! gathers, so concurrent commits share fsyncs without delaying a lone
//! commit. An in-memory database has no sync to share: its writes are
//! applied at once on the caller's thread.

use std::sync::mpsc;
use std::sync::Arc;

use kv_engine::{now_ms, AtomicWrite, CommitResult, Store};
use tokio::sync::oneshot;

use crate::error::KvError;

/// Most writes applied in one transaction.
const MAX_BATCH: usize = 128;

type Reply = oneshot::Sender<Result<Option<CommitResult>, KvError>>;

/// Applies a database's writes.
pub enum Committer {
    /// A file database: writes go to its commit thread.
    Thread(mpsc::Sender<(AtomicWrite, Reply)>),
    /// An in-memory database: writes are applied inline.
    Inline(Arc<Store>),
}

impl Committer {
    /// Starts the commit thread of a file `store` (it ends when the
    /// committer is dropped), or commits inline for an in-memory one.
    pub fn start(store: Arc<Store>) -> Result<Committer, KvError> {
        if store.path().is_none() {
            return Ok(Committer::Inline(store));
        }
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("kvrt-commit".into())
            .spawn(move || run(&store, &queue))
            .map_err(KvError::CommitThreadStart)?;
        Ok(Committer::Thread(jobs))
    }

    /// Commits `write`; resolves once it is durable (or its check failed).
    pub async fn commit(&self, write: AtomicWrite) -> Result<Option<CommitResult>, KvError> {
        let jobs = match self {
            Committer::Inline(store) => return Ok(store.atomic_write(&write, now_ms())?),
            Committer::Thread(jobs) => jobs,
        };
        let (reply, outcome) = oneshot::channel();
        jobs.send((write, reply))
            .map_err(|_| KvError::CommitThreadStopped)?;
        outcome.await.map_err(|_| KvError::CommitThreadStopped)?
    }
}

fn run(store: &Store, queue: &mpsc::Receiver<(AtomicWrite, Reply)>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let [(write, _)] = batch.as_slice() {
            // A lone write needs no savepoint.
            let outcome = store.atomic_write(write, now_ms()).map_err(KvError::from);
            if let Some((_, reply)) = batch.pop() {
                let _ = reply.send(outcome);
            }
            continue;
        }
        let writes: Vec<&AtomicWrite> = batch.iter().map(|(write, _)| write).collect();
        match store.atomic_write_batch(&writes, now_ms()) {
            Ok(outcomes) => {
                for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome.map_err(KvError::from));
                }
            }
            Err(err) => {
                // (every write of the batch fails with the same error)
                let err = Arc::new(err);
                for (_, reply) in batch {
                    let _ = reply.send(Err(KvError::from(err.clone())));
                }
            }
        }
    }
}
