//! `get`, `getMany` and `list` batches: one op call reads every range in one
//! consistent snapshot.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use deno_core::error::ResourceError;
use deno_core::{op2, v8, CancelFuture, OpState, Resource, ResourceId};
use kv_engine::selector::Selector;
use kv_engine::{Entry, ReadRange};
use serde::Deserialize;

use crate::backend::Consistency;
use crate::config::KvLimits;
use crate::error::KvError;
use crate::js_value::{EntryBuilder, EntryError};
use crate::key_arg::{encode_key_arg, KeyArg};
use crate::ops::database;

/// One range of a read, as the shim sends it: a single `key`, or a list
/// selector (`prefix` / `start` / `end`) with an optional `cursor`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RangeArg {
    key: Option<KeyArg>,
    prefix: Option<KeyArg>,
    start: Option<KeyArg>,
    end: Option<KeyArg>,
    cursor: Option<String>,
    limit: u32,
    /// A list's batch size, checked like `limit` (a batch may be cut short
    /// by the list's own limit, but an oversized one is still an error).
    batch_size: Option<f64>,
    reverse: bool,
}

/// Deno's read-key limit, shared with `watch`.
pub fn check_read_key(key: &[u8], limits: &KvLimits) -> Result<(), KvError> {
    let max = limits.max_read_key_size_bytes();
    if key.len() > max {
        return Err(KvError::KeyTooLargeToRead(max));
    }
    Ok(())
}

fn encode_opt(key: Option<KeyArg>) -> Result<Option<Vec<u8>>, KvError> {
    key.map(encode_key_arg).transpose()
}

/// Builds a selector from the shim's selector keys.
fn selector_of(
    prefix: Option<KeyArg>,
    start: Option<KeyArg>,
    end: Option<KeyArg>,
) -> Result<Selector, KvError> {
    let (prefix, start, end) = (encode_opt(prefix)?, encode_opt(start)?, encode_opt(end)?);
    Ok(Selector::new(prefix, start, end)?)
}

/// Translates one range argument into the engine's byte range.
fn to_read_range(arg: RangeArg, limits: &KvLimits) -> Result<(ReadRange, bool), KvError> {
    let limit = arg.limit as usize;
    let check_limit = || {
        let max = limits.max_read_entries;
        if limit > max || arg.batch_size.is_some_and(|size| size > max as f64) {
            return Err(KvError::TooManyEntries(max));
        }
        Ok(())
    };
    if let Some(key) = arg.key {
        let start = encode_key_arg(key)?;
        let mut end = start.clone();
        end.push(0x00);
        // The range of a single key ends one byte past it (Deno's check).
        check_read_key(&end, limits)?;
        let range = ReadRange {
            start,
            end,
            limit: 1,
            reverse: false,
        };
        return Ok((range, false));
    }
    let selector = selector_of(arg.prefix, arg.start, arg.end)?;
    let (start, end) = selector.resolve(arg.cursor.as_deref(), arg.reverse)?;
    check_read_key(&start, limits)?;
    check_read_key(&end, limits)?;
    // After the selector's own errors, as in Deno.
    check_limit()?;
    let range = ReadRange {
        start,
        end,
        limit,
        reverse: arg.reverse,
    };
    Ok((range, true))
}

/// Checks `ranges` against Deno's limits and translates them; also says,
/// for each, whether its entries carry their keys.
fn read_ranges(
    ranges: Vec<RangeArg>,
    limits: &KvLimits,
) -> Result<(Vec<ReadRange>, Vec<bool>), KvError> {
    if ranges.len() > limits.max_read_ranges {
        return Err(KvError::TooManyRanges(limits.max_read_ranges));
    }
    let mut read_ranges = Vec::with_capacity(ranges.len());
    let mut with_keys = Vec::with_capacity(ranges.len());
    for arg in ranges {
        let (range, with_key) = to_read_range(arg, limits)?;
        read_ranges.push(range);
        with_keys.push(with_key);
    }
    Ok((read_ranges, with_keys))
}

/// Reads `ranges` from database `rid`; returns, for each range, its entries
/// as `{ key, value, versionstamp }` objects with decoded values (`key` is
/// `undefined` for single-key ranges: the shim has the key already).
///
/// Synchronous, for backends that can answer without waiting (SQLite's
/// reader connection, which in WAL mode never waits for the writer): a
/// thread hop would only add latency. Returns `null` when the backend cannot
/// answer now (another connection holds a lock, or the data is remote): the
/// shim then reads with `op_kv_snapshot_read_async`. Reentrant: reading
/// host objects (a stored Blob or CryptoKey) runs their deserializers,
/// which call ops.
#[op2(reentrant)]
pub fn op_kv_snapshot_read<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    #[serde] ranges: Vec<RangeArg>,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let (db, limits) = database(&state, rid)?;
    let (read_ranges, with_keys) = read_ranges(ranges, &limits)?;
    let Some(results) = db.backend.try_snapshot_read(&read_ranges)? else {
        return Ok(v8::null(scope).into());
    };
    build_results(scope, &state, results, with_keys)
}

/// The entries of a finished asynchronous read, parked until the shim takes
/// them with `op_kv_take_read`.
pub struct ReadResult {
    results: RefCell<Option<Parked>>,
}

/// Each range's entries, and whether they carry their keys.
type Parked = (Vec<Vec<Entry>>, Vec<bool>);

impl Resource for ReadResult {
    fn name(&self) -> Cow<'_, str> {
        "databaseReadResult".into()
    }
}

/// Reads `ranges` from database `rid` through its backend, waiting as long
/// as it needs (a lock held by another process, a network round trip), with
/// `consistency` (`"strong"` when `null`). Resolves to the id of the result,
/// which `op_kv_take_read` turns into entries.
#[op2]
#[smi]
pub async fn op_kv_snapshot_read_async(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    #[serde] ranges: Vec<RangeArg>,
    #[string] consistency: Option<String>,
) -> Result<ResourceId, KvError> {
    let (db, limits) = database(&state, rid)?;
    let (read_ranges, with_keys) = read_ranges(ranges, &limits)?;
    let consistency = match consistency.as_deref() {
        Some("eventual") => Consistency::Eventual,
        _ => Consistency::Strong,
    };
    let results = match db
        .backend
        .snapshot_read(read_ranges, consistency)
        .or_cancel(db.cancel.clone())
        .await
    {
        Ok(results) => results?,
        Err(_closed) => return Err(ResourceError::BadResourceId.into()),
    };
    let parked = ReadResult {
        results: RefCell::new(Some((results, with_keys))),
    };
    Ok(state.borrow_mut().resource_table.add(parked))
}

/// The entries of read result `id` (see `op_kv_snapshot_read`), closing it.
#[op2(reentrant)]
pub fn op_kv_take_read<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: ResourceId,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let parked = state.borrow_mut().resource_table.take::<ReadResult>(id)?;
    let taken = parked.results.borrow_mut().take();
    let Some((results, with_keys)) = taken else {
        return Err(ResourceError::BadResourceId.into());
    };
    build_results(scope, &state, results, with_keys)
}

/// The JavaScript arrays of entries of `results`.
fn build_results<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: &Rc<RefCell<OpState>>,
    results: Vec<Vec<Entry>>,
    with_keys: Vec<bool>,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    // (no builder for reads that found nothing, like most misses)
    let builder = if results.iter().all(|entries| entries.is_empty()) {
        None
    } else {
        match EntryBuilder::new(scope, &state.borrow()) {
            Ok(builder) => Some(builder),
            Err(err) => return throw(scope, err),
        }
    };
    let built = (|| {
        let mut ranges = Vec::with_capacity(results.len());
        for (entries, with_key) in results.into_iter().zip(with_keys) {
            let mut out = Vec::with_capacity(entries.len());
            if let Some(builder) = &builder {
                for entry in entries {
                    out.push(builder.entry(scope, entry, with_key)?);
                }
            }
            ranges.push(v8::Array::new_with_elements(scope, &out).into());
        }
        Ok(v8::Array::new_with_elements(scope, &ranges).into())
    })();
    match built {
        Ok(ranges) => Ok(ranges),
        Err(err) => throw(scope, err),
    }
}

/// `kv.get`: the entry of one key, its parts the only argument (no range
/// object to deserialize on the hot path): `{ value, versionstamp }` (the
/// shim adds `key`), `undefined` when the key has no live entry, or `null`
/// when the backend cannot answer now (as [`op_kv_snapshot_read`]).
#[op2(reentrant)]
pub fn op_kv_get<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    #[serde] key: KeyArg,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let (db, limits) = database(&state, rid)?;
    let mut key = encode_key_arg(key)?;
    // The range of a single key ends one byte past it (Deno's check).
    key.push(0x00);
    check_read_key(&key, &limits)?;
    key.pop();
    let Some(entry) = db.backend.try_get(&key)? else {
        return Ok(v8::null(scope).into());
    };
    let Some(entry) = entry else {
        return Ok(v8::undefined(scope).into());
    };
    let built = EntryBuilder::new(scope, &state.borrow())
        .and_then(|builder| builder.entry(scope, entry, false));
    match built {
        Ok(entry) => Ok(entry),
        Err(err) => throw(scope, err),
    }
}

/// Fails the op with `err`: a codec error is thrown directly (it may be an
/// exception already pending).
fn throw<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    err: EntryError,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    match err {
        EntryError::Kv(err) => Err(err),
        EntryError::Wire(err) => {
            err.throw(scope);
            Ok(v8::undefined(scope).into())
        }
    }
}

/// The cursor that resumes the listing of `prefix`/`start`/`end` after `key`.
#[op2]
#[string]
pub fn op_kv_encode_cursor(
    #[serde] prefix: Option<KeyArg>,
    #[serde] start: Option<KeyArg>,
    #[serde] end: Option<KeyArg>,
    #[serde] key: KeyArg,
) -> Result<String, KvError> {
    let selector = selector_of(prefix, start, end)?;
    Ok(selector.cursor_for(&encode_key_arg(key)?))
}

/// Resolves on a later turn of the event loop (timers and I/O run first):
/// how the shim's synchronous reads give the event loop its turn.
#[allow(clippy::unused_async, reason = "resolving later is the point")]
#[op2(async(deferred), fast)]
pub async fn op_kv_void_async() {}
