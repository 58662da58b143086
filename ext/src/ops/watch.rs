//! `kv.watch`: a stream of the watched keys' entries from the backend.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{
    op2, v8, AsyncRefCell, CancelFuture, CancelHandle, OpState, RcRef, Resource, ResourceId,
    ToJsBuffer,
};
use futures::StreamExt;
use serde::Serialize;

use crate::backend::{Entry, WatchKey, WatchStream};
use crate::config::KvLimits;
use crate::database::DatabaseResource;
use crate::error::KvError;
use crate::key_arg::{key_array, read_key, KeyUse};
use crate::ops::read::check_read_key;
use crate::shim::{settle, Fault};

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

/// Starts a watch of `keys` (an array of keys) on database `rid`, refusing
/// in Deno's order: a key part of the wrong type (Deno's op argument
/// conversion), a closed database, too many keys, then a key that does not
/// encode or is too large. Returns the id to pass to `op_kv_watch_next` and
/// to close. When the shim failed to list the keys (`listed` false) only
/// their count and the database are checked, and nothing opens (`null`).
#[op2(reentrant)]
pub fn op_kv_watch<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    key_count: f64,
    keys: v8::Local<'s, v8::Value>,
    listed: bool,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let limits = *state.borrow().borrow::<KvLimits>();
    let max = limits.max_watched_keys;
    let null = v8::null(scope).into();
    if !listed {
        if key_count > max as f64 {
            return Err(KvError::TooManyKeys(max));
        }
        state.borrow().resource_table.get::<DatabaseResource>(rid)?;
        return Ok(null);
    }
    let read = (|| {
        let keys = key_array(scope, keys, KeyUse::List)?;
        let mut read = Vec::with_capacity(keys.length() as usize);
        for i in 0..keys.length() {
            let key = keys.get_index(scope, i).ok_or(Fault::Thrown)?;
            read.push(read_key(scope, key, KeyUse::Read, false)?);
        }
        Ok(read)
    })();
    let Some(read) = settle(read.map(Some), None)? else {
        return Ok(null);
    };
    let db = state.borrow().resource_table.get::<DatabaseResource>(rid)?;
    if key_count > max as f64 {
        return Err(KvError::TooManyKeys(max));
    }
    let mut encoded = Vec::with_capacity(read.len());
    for key in read {
        let key = key.encode()?;
        check_read_key(&key, &limits)?;
        encoded.push(key);
    }
    let stream = db.backend.watch(encoded);
    let rid = state.borrow_mut().resource_table.add(WatchResource {
        stream: AsyncRefCell::new(stream),
        db_cancel: db.cancel.clone(),
        cancel: CancelHandle::new_rc(),
    });
    Ok(v8::Integer::new_from_unsigned(scope, rid).into())
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
