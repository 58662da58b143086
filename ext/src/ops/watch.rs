//! `kv.watch`: waits until watched keys change and returns their entries.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{op2, CancelFuture, CancelHandle, OpState, Resource, ResourceId, ToJsBuffer};
use kv_engine::{Entry, ReadRange, Store};
use serde::Serialize;

use crate::config::KvLimits;
use crate::database::{with_store, DatabaseResource};
use crate::error::KvError;
use crate::key_arg::{encode_key_arg, KeyArg};
use crate::ops::read::check_read_key;
use crate::signal::POLL_INTERVAL;
use kv_engine::now_ms;

/// One `kv.watch` stream; closing it (stream cancelled) ends its wait.
pub struct WatchResource {
    cancel: Rc<CancelHandle>,
    /// What the stream has seen, kept between chunks so that a commit made
    /// between two `op_kv_watch_next` calls is not missed.
    seen: RefCell<Option<Seen>>,
}

/// Commit notifications and data version as of the last chunk.
struct Seen {
    commits: tokio::sync::watch::Receiver<u64>,
    /// The last local commit number whose written keys were checked.
    checked: u64,
}

impl Resource for WatchResource {
    fn name(&self) -> Cow<'_, str> {
        "databaseWatcher".into()
    }

    fn close(self: Rc<Self>) {
        self.cancel.cancel();
    }
}

/// One watched entry returned to the shim, which decodes its value.
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

/// Starts a watch of `key_count` keys (refused over the watch limit, before
/// any key is looked at, as in Deno); returns the id to pass to
/// `op_kv_watch_next` and to close.
#[op2(fast)]
#[smi]
pub fn op_kv_watch_open(state: &mut OpState, key_count: f64) -> Result<ResourceId, KvError> {
    let max = state.borrow::<KvLimits>().max_watched_keys;
    if key_count > max as f64 {
        return Err(KvError::Type(format!("Too many keys (max {max})")));
    }
    Ok(state.resource_table.add(WatchResource {
        cancel: CancelHandle::new_rc(),
        seen: RefCell::new(None),
    }))
}

/// The current entries of the watched keys (`None` for a missing key) and
/// their versionstamps.
type Snapshot = (Vec<Option<EntryOut>>, Vec<Option<String>>);

fn read_snapshot(store: &Store, ranges: &[ReadRange]) -> Result<Snapshot, KvError> {
    let results = store.read(ranges, now_ms())?;
    let mut entries = Vec::with_capacity(results.len());
    let mut stamps = Vec::with_capacity(results.len());
    for result in results {
        let entry = result.into_iter().next();
        stamps.push(entry.as_ref().map(|e| e.versionstamp.to_hex()));
        entries.push(entry.map(EntryOut::new));
    }
    Ok((entries, stamps))
}

/// Returns the watched keys' entries: at once when `last` is `null` (the
/// first chunk), otherwise once their versionstamps differ from `last`, or,
/// with `raw`, once a commit of this process writes a watched key (as in
/// Deno, even when nothing changed). Resolves to `null` when the watch or the
/// database is closed.
#[op2]
#[serde]
pub async fn op_kv_watch_next(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    #[smi] watch_rid: ResourceId,
    #[serde] keys: Vec<KeyArg>,
    #[serde] last: Option<Vec<Option<String>>>,
    raw: bool,
) -> Result<Option<Vec<Option<EntryOut>>>, KvError> {
    let (db, watch, limits) = {
        let state = state.borrow();
        (
            state.resource_table.get::<DatabaseResource>(rid)?,
            state.resource_table.get::<WatchResource>(watch_rid)?,
            *state.borrow::<KvLimits>(),
        )
    };
    let mut ranges = Vec::with_capacity(keys.len());
    for key in keys {
        let start = encode_key_arg(key)?;
        check_read_key(&start, &limits)?;
        let mut end = start.clone();
        end.push(0);
        ranges.push(ReadRange {
            start,
            end,
            limit: 1,
            reverse: false,
        });
    }
    let watched: Vec<Vec<u8>> = ranges.iter().map(|r| r.start.clone()).collect();
    let ranges = std::sync::Arc::new(ranges);
    // Subscribe before reading, so no commit slips between read and wait.
    let previous = watch.seen.borrow_mut().take();
    let mut seen = match (previous, &last) {
        (Some(seen), Some(_)) => seen,
        _ => {
            let commits = db.signal.subscribe();
            let checked = *commits.borrow();
            Seen { commits, checked }
        }
    };
    let Some(last) = last else {
        let (entries, _) = with_store(&db.store, move |s| read_snapshot(s, &ranges)).await?;
        watch.seen.replace(Some(seen));
        return Ok(Some(entries));
    };
    let wait_loop = async {
        loop {
            let since = seen.checked;
            seen.checked = *seen.commits.borrow_and_update();
            let ranges = ranges.clone();
            let (entries, stamps) =
                with_store(&db.store, move |s| read_snapshot(s, &ranges)).await?;
            let touched = raw && db.signal.touched_since(since, &watched);
            if stamps != last || touched {
                return Ok((Some(entries), seen));
            }
            tokio::select! {
                _ = seen.commits.changed() => {}
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            };
        }
    };
    match wait_loop
        .or_cancel(db.cancel.clone())
        .or_cancel(watch.cancel.clone())
        .await
    {
        Ok(Ok(Ok((entries, seen)))) => {
            watch.seen.replace(Some(seen));
            Ok(entries)
        }
        Ok(Ok(Err(err))) => Err(err),
        _ => Ok(None),
    }
}
