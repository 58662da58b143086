//! `kv.watch`: a stream of the watched keys' entries from the backend.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{
    op2, AsyncRefCell, CancelFuture, CancelHandle, OpState, RcRef, Resource, ResourceId, ToJsBuffer,
};
use futures::StreamExt;
use serde::Serialize;

use crate::backend::{Entry, WatchKey, WatchStream};
use crate::config::KvLimits;
use crate::database::DatabaseResource;
use crate::error::KvError;
use crate::key_arg::{encode_key_arg, KeyArg};
use crate::ops::read::check_read_key;

/// One `kv.watch` stream; closing it (stream cancelled) ends its wait.
pub struct WatchResource {
    stream: AsyncRefCell<WatchStream>,
    /// The database's handle: its close ends the wait too.
    db_cancel: Rc<CancelHandle>,
    cancel: Rc<CancelHandle>,
}

impl Resource for WatchResource {
    fn name(&self) -> Cow<'_, str> {
        "databaseWatcher".into()
    }

    fn close(self: Rc<Self>) {
        self.cancel.cancel();
    }
}

/// One watched key of an update, as the shim reads it: `null` (absent),
/// `"unchanged"`, or the entry with its encoded value.
#[derive(Serialize)]
#[serde(untagged)]
pub enum WatchOut {
    /// The key's entry, `None` when absent.
    Changed(Option<EntryOut>),
    /// The string `"unchanged"`.
    Unchanged(&'static str),
}

/// A watched entry returned to the shim, which decodes its value.
#[derive(Serialize)]
pub struct EntryOut {
    value: ToJsBuffer,
    encoding: i64,
    versionstamp: String,
}

impl EntryOut {
    fn new(entry: Entry) -> EntryOut {
        let (encoding, value) = entry.value.to_encoded();
        EntryOut {
            value: value.into(),
            encoding,
            versionstamp: entry.versionstamp.to_hex(),
        }
    }
}

/// Starts a watch of `keys` on database `rid` (refused over the watch
/// limit before any key is looked at, as in Deno); returns the id to pass
/// to `op_kv_watch_next` and to close.
#[op2]
#[smi]
pub fn op_kv_watch(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    key_count: f64,
    #[serde] keys: Vec<KeyArg>,
) -> Result<ResourceId, KvError> {
    let limits = *state.borrow::<KvLimits>();
    let max = limits.max_watched_keys;
    if key_count > max as f64 {
        return Err(KvError::TooManyKeys(max));
    }
    let db = state.resource_table.get::<DatabaseResource>(rid)?;
    let mut encoded = Vec::with_capacity(keys.len());
    for key in keys {
        let key = encode_key_arg(key)?;
        check_read_key(&key, &limits)?;
        encoded.push(key);
    }
    let stream = db.backend.watch(encoded);
    Ok(state.resource_table.add(WatchResource {
        stream: AsyncRefCell::new(stream),
        db_cancel: db.cancel.clone(),
        cancel: CancelHandle::new_rc(),
    }))
}

/// The next update of watch `rid`: one item per key. Resolves to `null`
/// when the watch or its database is closed.
#[op2]
#[serde]
pub async fn op_kv_watch_next(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
) -> Result<Option<Vec<WatchOut>>, KvError> {
    let watch = state.borrow().resource_table.get::<WatchResource>(rid)?;
    let (db_cancel, cancel) = (watch.db_cancel.clone(), watch.cancel.clone());
    let stream = RcRef::map(watch, |w| &w.stream)
        .borrow_mut()
        .or_cancel(db_cancel.clone())
        .or_cancel(cancel.clone())
        .await;
    let Ok(Ok(mut stream)) = stream else {
        return Ok(None);
    };
    let next = stream.next().or_cancel(db_cancel).or_cancel(cancel).await;
    let Ok(Ok(Some(update))) = next else {
        return Ok(None);
    };
    Ok(Some(
        update?
            .into_iter()
            .map(|key| match key {
                WatchKey::Changed(entry) => WatchOut::Changed(entry.map(EntryOut::new)),
                WatchKey::Unchanged => WatchOut::Unchanged("unchanged"),
            })
            .collect(),
    ))
}
