//! `get`, `getMany` and `list` batches: one op call reads every range in one
//! consistent snapshot.

use std::borrow::Cow;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use deno_core::error::ResourceError;
use deno_core::{op2, serde_v8, v8, CancelFuture, OpState, Resource, ResourceId};
use kv_engine::selector::Selector;
use kv_engine::{Entry, ReadRange};
use serde::Deserialize;

use crate::backend::Consistency;
use crate::config::KvLimits;
use crate::error::KvError;
use crate::js_value::{EntryBuilder, EntryError};
use crate::key_arg::{read_key, snapshot_key, KeyArg, KeyUse};
use crate::ops::database;
use crate::shim::{self, field, settle, Fault};

/// One range of a read, its keys read: a single key (`prefix`, `start` and
/// `end` all absent), or a list selector with its batch's options.
struct RangeArg {
    key: Option<KeyArg>,
    prefix: Option<KeyArg>,
    start: Option<KeyArg>,
    end: Option<KeyArg>,
    list: Option<ListBatch>,
}

/// A list batch's options, as the shim sends them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListBatch {
    cursor: Option<String>,
    limit: u32,
    /// The list's batch size, checked like `limit` (a batch may be cut short
    /// by the list's own limit, but an oversized one is still an error).
    batch_size: Option<f64>,
    reverse: bool,
}

/// Reads the ranges the shim sends (an array of null-prototype objects
/// `{ key, prefix, start, end, cursor, limit, batchSize, reverse }`), their
/// keys first, then checks `consistency` (`undefined`, `"strong"` or
/// `"eventual"`), in Deno's order.
fn range_args<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    ranges: v8::Local<'s, v8::Array>,
    consistency: v8::Local<'s, v8::Value>,
) -> Result<(Vec<RangeArg>, Consistency), Fault> {
    let mut args = Vec::with_capacity(ranges.length() as usize);
    for i in 0..ranges.length() {
        let range = ranges.get_index(scope, i).ok_or(Fault::Thrown)?;
        let range = v8::Local::<v8::Object>::try_from(range).map_err(|_| KvError::ShimArgument)?;
        let prefix = field(scope, range, "prefix")?;
        let start = field(scope, range, "start")?;
        let end = field(scope, range, "end")?;
        let arg = if [prefix, start, end]
            .iter()
            .all(|key| key.is_null_or_undefined())
        {
            let key = field(scope, range, "key")?;
            RangeArg {
                key: Some(read_key(scope, key, KeyUse::Read, false)?),
                prefix: None,
                start: None,
                end: None,
                list: None,
            }
        } else {
            let prefix = optional_key(scope, prefix)?;
            let start = optional_key(scope, start)?;
            let end = optional_key(scope, end)?;
            let list = serde_v8::from_v8(scope, range.into()).map_err(KvError::from)?;
            RangeArg {
                key: None,
                prefix,
                start,
                end,
                list: Some(list),
            }
        };
        args.push(arg);
    }
    Ok((args, consistency_arg(scope, consistency)?))
}

/// A read's `consistency` option.
pub fn consistency_arg<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    consistency: v8::Local<'s, v8::Value>,
) -> Result<Consistency, Fault> {
    if consistency.is_undefined() {
        return Ok(Consistency::Strong);
    }
    if consistency.is_string() {
        match consistency.to_rust_string_lossy(scope).as_str() {
            "strong" => return Ok(Consistency::Strong),
            "eventual" => return Ok(Consistency::Eventual),
            _ => {}
        }
    }
    Err(KvError::UnknownConsistency(shim::to_text(scope, consistency)?).into())
}

/// Deno's read-key limit, shared with `watch`.
pub fn check_read_key(key: &[u8], limits: &KvLimits) -> Result<(), KvError> {
    let max = limits.max_read_key_size_bytes();
    if key.len() > max {
        return Err(KvError::KeyTooLargeToRead(max));
    }
    Ok(())
}

fn encode_opt(key: Option<&KeyArg>) -> Result<Option<Vec<u8>>, KvError> {
    key.map(KeyArg::encode).transpose()
}

/// Builds a selector from the shim's selector keys.
fn selector_of(
    prefix: Option<&KeyArg>,
    start: Option<&KeyArg>,
    end: Option<&KeyArg>,
) -> Result<Selector, KvError> {
    let (prefix, start, end) = (encode_opt(prefix)?, encode_opt(start)?, encode_opt(end)?);
    Ok(Selector::new(prefix, start, end)?)
}

/// Translates one range argument into the engine's byte range.
fn to_read_range(arg: RangeArg, limits: &KvLimits) -> Result<(ReadRange, bool), KvError> {
    let Some(list) = arg.list else {
        let start = arg.key.unwrap_or_default().encode()?;
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
    };
    let selector = selector_of(arg.prefix.as_ref(), arg.start.as_ref(), arg.end.as_ref())?;
    let (start, end) = selector.resolve(list.cursor.as_deref(), list.reverse)?;
    check_read_key(&start, limits)?;
    check_read_key(&end, limits)?;
    // After the selector's own errors, as in Deno.
    let limit = list.limit as usize;
    let max = limits.max_read_entries;
    if limit > max || list.batch_size.is_some_and(|size| size > max as f64) {
        return Err(KvError::TooManyEntries(max));
    }
    let range = ReadRange {
        start,
        end,
        limit,
        reverse: list.reverse,
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
    ranges: v8::Local<'s, v8::Array>,
    consistency: v8::Local<'s, v8::Value>,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let undefined = v8::undefined(scope).into();
    let Some((ranges, _)) = settle(range_args(scope, ranges, consistency).map(Some), None)? else {
        return Ok(undefined);
    };
    let (db, limits) = database(&state, rid)?;
    let (read_ranges, with_keys) = read_ranges(ranges, &limits)?;
    let Some(results) = db.backend.try_snapshot_read(&read_ranges)? else {
        return Ok(v8::null(scope).into());
    };
    build_results(scope, &state, results, with_keys)
}

/// One batch of a list, `kv.list`'s hot path: as [`op_kv_snapshot_read`]
/// of a single list range, with the range's fields as arguments (no range
/// object to build and deserialize): the selector's keys (`null` when
/// absent), `cursor` (`null` when absent), the batch's `limit`, the list's
/// `batch_size` and `reverse`, and `consistency`. Returns the batch's
/// entries, or `null` when the backend cannot answer now; checks in the
/// same order.
#[allow(clippy::too_many_arguments, reason = "one argument per range field")]
#[op2(reentrant)]
pub fn op_kv_list_read<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    prefix: v8::Local<'s, v8::Value>,
    start: v8::Local<'s, v8::Value>,
    end: v8::Local<'s, v8::Value>,
    cursor: v8::Local<'s, v8::Value>,
    limit: f64,
    batch_size: f64,
    reverse: bool,
    consistency: v8::Local<'s, v8::Value>,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let undefined = v8::undefined(scope).into();
    let range = (|| {
        let prefix = optional_key(scope, prefix)?;
        let start = optional_key(scope, start)?;
        let end = optional_key(scope, end)?;
        let cursor = serde_v8::from_v8(scope, cursor).map_err(KvError::from)?;
        consistency_arg(scope, consistency)?;
        Ok(RangeArg {
            key: None,
            prefix,
            start,
            end,
            list: Some(ListBatch {
                cursor,
                // (saturating: a batch past the largest is refused anyway,
                // `batch_size` being at least `limit`)
                limit: limit as u32,
                batch_size: Some(batch_size),
                reverse,
            }),
        })
    })();
    let Some(range) = settle(range.map(Some), None)? else {
        return Ok(undefined);
    };
    let (db, limits) = database(&state, rid)?;
    let (read_ranges, with_keys) = read_ranges(vec![range], &limits)?;
    let Some(results) = db.backend.try_snapshot_read(&read_ranges)? else {
        return Ok(v8::null(scope).into());
    };
    match entry_arrays(scope, &state, results, with_keys) {
        Ok(mut ranges) => Ok(ranges.pop().unwrap_or(undefined)),
        Err(err) => throw(scope, err),
    }
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
/// `consistency`. Resolves to the id of the result, which `op_kv_take_read`
/// turns into entries. (When reading the arguments ran JavaScript that
/// threw, the op throws that, and the future it returns is empty.)
#[op2(reentrant)]
#[smi]
pub fn op_kv_snapshot_read_async<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    ranges: v8::Local<'s, v8::Array>,
    consistency: v8::Local<'s, v8::Value>,
) -> Result<impl Future<Output = Result<ResourceId, KvError>> + use<>, KvError> {
    let args = settle(range_args(scope, ranges, consistency).map(Some), None)?;
    Ok(async move {
        match args {
            Some((ranges, consistency)) => {
                snapshot_read_async(state, rid, ranges, consistency).await
            }
            None => Ok(0),
        }
    })
}

async fn snapshot_read_async(
    state: Rc<RefCell<OpState>>,
    rid: ResourceId,
    ranges: Vec<RangeArg>,
    consistency: Consistency,
) -> Result<ResourceId, KvError> {
    let (db, limits) = database(&state, rid)?;
    let (read_ranges, with_keys) = read_ranges(ranges, &limits)?;
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

/// The JavaScript array of the entries of each range of `results`.
fn build_results<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: &Rc<RefCell<OpState>>,
    results: Vec<Vec<Entry>>,
    with_keys: Vec<bool>,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    match entry_arrays(scope, state, results, with_keys) {
        Ok(ranges) => Ok(v8::Array::new_with_elements(scope, &ranges).into()),
        Err(err) => throw(scope, err),
    }
}

/// Each range's entries as a JavaScript array.
fn entry_arrays<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: &Rc<RefCell<OpState>>,
    results: Vec<Vec<Entry>>,
    with_keys: Vec<bool>,
) -> Result<Vec<v8::Local<'s, v8::Value>>, EntryError> {
    // (no builder for reads that found nothing, like most misses)
    let builder = if results.iter().all(|entries| entries.is_empty()) {
        None
    } else {
        Some(EntryBuilder::new(scope, &state.borrow())?)
    };
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
    Ok(ranges)
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
    key: v8::Local<'s, v8::Value>,
    consistency: v8::Local<'s, v8::Value>,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let undefined = v8::undefined(scope).into();
    let read = read_key(scope, key, KeyUse::Read, false)
        .and_then(|key| consistency_arg(scope, consistency).map(|_| key));
    let Some(key) = settle(read.map(Some), None)? else {
        return Ok(undefined);
    };
    let (db, limits) = database(&state, rid)?;
    let mut key = key.encode()?;
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

/// The cursor that resumes the listing of `prefix`/`start`/`end` (`null`
/// when absent) after `key`.
#[op2(reentrant)]
#[string]
pub fn op_kv_encode_cursor<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    prefix: v8::Local<'s, v8::Value>,
    start: v8::Local<'s, v8::Value>,
    end: v8::Local<'s, v8::Value>,
    key: v8::Local<'s, v8::Value>,
) -> Result<String, KvError> {
    let keys = (|| {
        let prefix = optional_key(scope, prefix)?;
        let start = optional_key(scope, start)?;
        let end = optional_key(scope, end)?;
        Ok((
            prefix,
            start,
            end,
            read_key(scope, key, KeyUse::Read, false)?,
        ))
    })();
    let Some((prefix, start, end, key)) = settle(keys.map(Some), None)? else {
        return Ok(String::new());
    };
    let selector = selector_of(prefix.as_ref(), start.as_ref(), end.as_ref())?;
    Ok(selector.cursor_for(&key.encode()?))
}

/// The key `value` as a read reads it, `None` for `null` or `undefined`.
fn optional_key<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Result<Option<KeyArg>, Fault> {
    if value.is_null_or_undefined() {
        return Ok(None);
    }
    read_key(scope, value, KeyUse::Read, false).map(Some)
}

/// Reads the key `key` (as a read does) and returns a copy of it that later
/// reads cannot fail on (see [`snapshot_key`]): a list's selector keys, an
/// enqueue's `keysIfUndelivered`, taken when given.
#[op2(reentrant)]
pub fn op_kv_snapshot_key<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    key: v8::Local<'s, v8::Value>,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let undefined = v8::undefined(scope).into();
    settle(snapshot_key(scope, key), undefined)
}

/// Resolves on a later turn of the event loop (timers and I/O run first):
/// how the shim's synchronous reads give the event loop its turn.
#[allow(clippy::unused_async, reason = "resolving later is the point")]
#[op2(async(deferred), fast)]
pub async fn op_kv_void_async() {}
