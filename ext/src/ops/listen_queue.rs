//! `kv.listenQueue`: taking messages off the queue and settling them.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{op2, CancelFuture, OpState, Resource, ResourceId, ToJsBuffer};
use serde::Serialize;

use crate::backend::QueueMessageHandle;
use crate::database::DatabaseResource;
use crate::error::KvError;

/// A delivered message: its V8-serialized payload and the id of its handle.
#[derive(Serialize)]
pub struct MessageOut {
    payload: ToJsBuffer,
    id: ResourceId,
}

/// A message whose handler is running, until it is settled.
struct MessageResource(RefCell<Option<Box<dyn QueueMessageHandle>>>);

impl Resource for MessageResource {
    fn name(&self) -> Cow<'_, str> {
        "queueMessageHandle".into()
    }
}

/// Waits for the next message of database `rid`; resolves to `null` when the
/// database closes.
#[op2]
#[serde]
pub async fn op_kv_dequeue_next_message(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
) -> Result<Option<MessageOut>, KvError> {
    let db = state.borrow().resource_table.get::<DatabaseResource>(rid)?;
    let next = db
        .backend
        .dequeue_next_message()
        .or_cancel(db.cancel.clone())
        .await;
    let handle = match next {
        Err(_closed) => return Ok(None),
        Ok(result) => match result? {
            Some(handle) => handle,
            None => return Ok(None),
        },
    };
    let payload = handle.payload().to_vec().into();
    let id = state
        .borrow_mut()
        .resource_table
        .add(MessageResource(RefCell::new(Some(handle))));
    Ok(Some(MessageOut { payload, id }))
}

/// Settles message `id`: deleted on success; on failure retried after its
/// backoff or, with no retries left, written to its `keysIfUndelivered`.
#[op2]
pub async fn op_kv_finish_dequeued_message(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    #[smi] id: ResourceId,
    success: bool,
) -> Result<(), KvError> {
    let message = state
        .borrow_mut()
        .resource_table
        .take::<MessageResource>(id)?;
    let handle = message.0.borrow_mut().take();
    // The database must still be open: after close the message is left
    // leased, and delivered again once the lease runs out.
    state.borrow().resource_table.get::<DatabaseResource>(rid)?;
    if let Some(handle) = handle {
        handle.finish(success).await?;
    }
    Ok(())
}
