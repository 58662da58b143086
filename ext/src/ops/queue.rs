//! `kv.listenQueue`: taking messages off the queue and settling them.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use deno_core::{op2, CancelFuture, OpState, ResourceId, ToJsBuffer};
use kv_engine::{QueueMessage, Store};
use serde::Serialize;

use crate::database::{with_store, DatabaseResource};
use crate::error::KvError;
use crate::queue::LEASE_MS;
use crate::signal::POLL_INTERVAL;
use kv_engine::now_ms;

/// A delivered message: its V8-serialized payload and its id for settling.
#[derive(Serialize)]
pub struct MessageOut {
    payload: ToJsBuffer,
    id: String,
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

/// Waits for the next message of database `rid`; resolves to `null` when the
/// database closes. Messages enqueued by other processes are seen within
/// one poll interval.
#[op2]
#[serde]
pub async fn op_kv_dequeue_next_message(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
) -> Result<Option<MessageOut>, KvError> {
    let db = state.borrow().resource_table.get::<DatabaseResource>(rid)?;
    let mut commits = db.signal.subscribe();
    let wait_loop = async {
        loop {
            let (message, next_ready) =
                with_store(&db.store, |store| poll_queue(store, now_ms())).await?;
            if let Some(message) = message {
                db.leases.hold(db.store.clone(), message.id.clone());
                return Ok(Some(MessageOut {
                    payload: message.payload.into(),
                    id: message.id,
                }));
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
    };
    match wait_loop.or_cancel(db.cancel.clone()).await {
        Ok(result) => result,
        Err(_closed) => Ok(None),
    }
}

/// Settles message `id`: deleted on success; on failure retried after its
/// backoff or, with no retries left, written to its `keysIfUndelivered`.
#[op2]
pub async fn op_kv_finish_dequeued_message(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    #[string] id: String,
    success: bool,
) -> Result<(), KvError> {
    let db = state.borrow().resource_table.get::<DatabaseResource>(rid)?;
    db.leases.release(&id);
    let store: Arc<Store> = db.store.clone();
    with_store(&store, move |store| {
        Ok(store.finish_message(&id, success, now_ms())?)
    })
    .await?;
    db.signal.notify();
    Ok(())
}
