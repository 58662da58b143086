//! Values across the op boundary: the V8 wire codec (`v_encoding` 1), and
//! the registration of what reads build values with.

use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{op2, v8, OpState};

use crate::config::KvLimits;
use crate::js_value::{uint8_array, KvU64Class};
use crate::wire::{self, WireError};

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

/// Registers the `Deno.KvU64` class and the shim's reader of host object
/// snapshots, and captures the codec's builtins from `intrinsics` (what
/// [`op_kv_intrinsics`] returned), before user code runs. Returns the
/// largest value size, which the shim needs to stand in for values too
/// large to serialize.
#[op2(fast)]
#[number]
pub fn op_kv_init(
    scope: &mut v8::PinScope<'_, '_>,
    state: &mut OpState,
    u64_class: v8::Local<v8::Function>,
    host_object_reader: v8::Local<v8::Function>,
    intrinsics: v8::Local<v8::Object>,
) -> u64 {
    state.put(KvU64Class(v8::Global::new(scope, u64_class)));
    if let Err(err) = wire::install_intrinsics(scope, intrinsics, host_object_reader) {
        err.throw(scope);
    }
    state.borrow::<KvLimits>().max_value_size_bytes as u64
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
    match wire::deserialize(scope, bytes) {
        Ok(value) => value,
        Err(err) => {
            err.throw(scope);
            v8::undefined(scope).into()
        }
    }
}
