//! node:v8's `serialize`/`deserialize`, over kv_ext's V8 wire codec in
//! node:v8's dialect (see `kv_ext::node_serialize`).

use deno_core::{op2, v8};

/// `v8.serialize(value)`: the bytes (a `Uint8Array`), or `undefined` with
/// the error thrown. `buffer` is node:buffer's `Buffer`.
#[op2(reentrant)]
pub fn op_node_v8_serialize<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
    buffer: v8::Local<'s, v8::Function>,
) -> v8::Local<'s, v8::Value> {
    let Some(bytes) = kv_ext::node_serialize(scope, value, Some(buffer)) else {
        return v8::undefined(scope).into();
    };
    let length = bytes.len();
    let store = v8::ArrayBuffer::new_backing_store_from_vec(bytes).make_shared();
    let array_buffer = v8::ArrayBuffer::with_backing_store(scope, &store);
    match v8::Uint8Array::new(scope, array_buffer, 0, length) {
        Some(array) => array.into(),
        None => v8::undefined(scope).into(),
    }
}

/// `v8.deserialize(view)`; `buffer` makes Node `Buffer`s (type index 10).
#[op2(reentrant)]
pub fn op_node_v8_deserialize<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    input: v8::Local<'s, v8::ArrayBufferView>,
    buffer: v8::Local<'s, v8::Function>,
) -> v8::Local<'s, v8::Value> {
    kv_ext::node_deserialize(scope, input, Some(buffer))
        .unwrap_or_else(|| v8::undefined(scope).into())
}
