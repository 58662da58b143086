//! Values across the op boundary: their `v_encoding`s (the V8 wire codec,
//! KvU64, raw bytes), and the registration of what reads build values with.

use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{op2, v8, OpState};
use kv_engine::{limits, KvValue, ENCODING_BYTES, ENCODING_U64, ENCODING_V8};
use num_bigint::BigInt;
use serde::Serialize;

use crate::config::KvLimits;
use crate::error::KvError;
use crate::js_value::{kv_u64, uint8_array, EntryNames, KvU64Class};
use crate::shim::{self, Fault};
use crate::wire::{self, WireError};

/// What the shim learns at load: the largest value size (to stand in for
/// values too large to serialize), the value encodings it tags values with,
/// and `list`'s default batch size and its clamp.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShimInfo {
    max_value_size: usize,
    encoding_v8: i64,
    encoding_u64: i64,
    encoding_bytes: i64,
    default_list_batch_size: usize,
    max_default_list_batch_size: usize,
}

/// Evaluates the codec's builtins (see `wire/intrinsics.js`) for the shim to
/// keep and hand to [`op_kv_init`]; called once, before user code runs.
#[op2]
pub fn op_kv_intrinsics<'s>(scope: &mut v8::PinScope<'s, '_>) -> v8::Local<'s, v8::Value> {
    match wire::evaluate_intrinsics(scope) {
        Ok(intrinsics) => intrinsics.into(),
        Err(err) => {
            err.throw(scope);
            v8::undefined(scope).into()
        }
    }
}

/// Registers the `Deno.KvU64` class, the shim's reader of host object
/// snapshots and its helpers (see [`crate::shim`]), and captures the
/// codec's builtins from `intrinsics` (what [`op_kv_intrinsics`] returned),
/// before user code runs. A runtime started from a snapshot, whose op state
/// the snapshot does not hold, calls it again.
#[op2]
#[serde]
pub fn op_kv_init<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: &mut OpState,
    u64_class: v8::Local<'s, v8::Function>,
    host_object_reader: v8::Local<'s, v8::Function>,
    helpers: v8::Local<'s, v8::Object>,
    intrinsics: v8::Local<'s, v8::Object>,
) -> Result<ShimInfo, KvError> {
    state.put(KvU64Class(v8::Global::new(scope, u64_class)));
    state.put(EntryNames::new(scope).ok_or(KvError::ShimNotLoaded)?);
    if let Err(err) = wire::install_intrinsics(scope, intrinsics, host_object_reader) {
        err.throw(scope);
    }
    shim::install(scope, helpers).map_err(|fault| match fault {
        Fault::Kv(err) => err,
        Fault::Thrown => KvError::ShimNotLoaded,
    })?;
    Ok(ShimInfo {
        max_value_size: state.borrow::<KvLimits>().max_value_size_bytes,
        encoding_v8: ENCODING_V8,
        encoding_u64: ENCODING_U64,
        encoding_bytes: ENCODING_BYTES,
        default_list_batch_size: limits::DEFAULT_LIST_BATCH_SIZE,
        max_default_list_batch_size: limits::MAX_DEFAULT_LIST_BATCH_SIZE,
    })
}

/// The stored bytes of a `Deno.KvU64` whose `value` is `n` (a bigint
/// other than a KvU64's, from a forged object, is taken modulo 2^64 as
/// `DataView.setBigUint64` takes it).
#[op2]
pub fn op_kv_encode_u64<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    n: v8::Local<'s, v8::Value>,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    if !n.is_big_int() {
        return Err(KvError::NotABigInt);
    }
    let digits = n
        .to_string(scope)
        .map(|s| s.to_rust_string_lossy(scope))
        .unwrap_or_default();
    let n: BigInt = digits.parse().map_err(|_| KvError::NotABigInt)?;
    let (_, words) = n.to_u64_digits();
    let low = words.first().copied().unwrap_or(0);
    let n = if n.sign() == num_bigint::Sign::Minus {
        low.wrapping_neg()
    } else {
        low
    };
    let (_, bytes) = KvValue::U64(n).to_encoded();
    uint8_array(scope, bytes).ok_or(KvError::ValueNotBuilt)
}

/// The value stored as `encoding` and `bytes` (a watched entry's): the
/// deserialized value, a `Deno.KvU64`, or `bytes` itself for raw bytes.
/// Reentrant: host objects' deserializers run JavaScript that calls ops.
#[op2(reentrant)]
pub fn op_kv_decode_value<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] encoding: i32,
    bytes: v8::Local<'s, v8::Uint8Array>,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let encoding = i64::from(encoding);
    if encoding == ENCODING_BYTES {
        return Ok(bytes.into());
    }
    let mut data = vec![0; bytes.byte_length()];
    bytes.copy_contents(&mut data);
    if encoding == ENCODING_V8 {
        return Ok(deserialize(scope, &data));
    }
    match KvValue::from_encoded(encoding, data)? {
        KvValue::U64(n) => kv_u64(scope, &state.borrow(), n),
        // (the encodings above)
        KvValue::V8(_) | KvValue::Bytes(_) => Err(KvError::ValueNotBuilt),
    }
}

/// Serializes `value` to V8 wire bytes (a `Uint8Array`); throws what
/// structured clone throws for unclonable values. Resolves to `null` as soon
/// as the bytes would exceed the largest value or queue payload Deno KV
/// stores (the caller reports it where Deno does), so an oversized value
/// costs neither the time nor the memory of writing it all.
///
/// Reentrant: host objects' brand methods run JavaScript that calls ops
/// (a Blob's clones its parts), so the op state is not held meanwhile.
#[op2(reentrant)]
pub fn op_kv_serialize<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    value: v8::Local<'s, v8::Value>,
) -> v8::Local<'s, v8::Value> {
    let limit = state.borrow().borrow::<KvLimits>().max_value_size_bytes;
    let result = wire::serialize(scope, value, limit).map(|bytes| uint8_array(scope, bytes));
    match result {
        Ok(Some(array)) => array,
        Ok(None) => v8::undefined(scope).into(),
        Err(WireError::TooLarge) => v8::null(scope).into(),
        Err(err) => {
            err.throw(scope);
            v8::undefined(scope).into()
        }
    }
}

/// Deserializes V8 wire bytes; throws an `Error` for malformed input.
/// Reentrant: host objects' deserializers run JavaScript that calls ops.
#[op2(reentrant)]
pub fn op_kv_deserialize<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    #[buffer] bytes: &[u8],
) -> v8::Local<'s, v8::Value> {
    deserialize(scope, bytes)
}

/// The value of V8 wire `bytes`, or `undefined` with the codec's error thrown.
fn deserialize<'s>(scope: &mut v8::PinScope<'s, '_>, bytes: &[u8]) -> v8::Local<'s, v8::Value> {
    match wire::deserialize(scope, bytes) {
        Ok(value) => value,
        Err(err) => {
            err.throw(scope);
            v8::undefined(scope).into()
        }
    }
}
