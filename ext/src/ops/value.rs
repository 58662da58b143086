//! Values across the op boundary: the V8 wire codec (`v_encoding` 1) and the
//! JavaScript form of stored entries.

use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{op2, v8, OpState};
use kv_engine::{Entry, KvValue};

use crate::config::KvLimits;
use crate::error::KvError;
use crate::key_arg::key_to_v8;
use crate::wire::{self, Reader, WireError};

/// The `Deno.KvU64` class, registered by the shim at load time.
pub struct KvU64Class(pub v8::Global<v8::Function>);

/// Registers the `Deno.KvU64` class and the shim's reader of host object
/// snapshots, and captures the codec's builtins, before user code runs.
/// Returns the largest value size, which the shim needs to stand in for
/// values too large to serialize.
#[op2(fast)]
#[number]
pub fn op_kv_init(
    scope: &mut v8::PinScope<'_, '_>,
    state: &mut OpState,
    u64_class: v8::Local<v8::Function>,
    host_object_reader: v8::Local<v8::Function>,
) -> u64 {
    state.put(KvU64Class(v8::Global::new(scope, u64_class)));
    if let Err(err) = wire::set_host_object_reader(scope, host_object_reader) {
        err.throw(scope);
    }
    state.borrow::<KvLimits>().max_value_size_bytes as u64
}

/// A `Uint8Array` holding `bytes`.
pub fn uint8_array<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    bytes: Vec<u8>,
) -> Option<v8::Local<'s, v8::Value>> {
    let length = bytes.len();
    let store = v8::ArrayBuffer::new_backing_store_from_vec(bytes).make_shared();
    let buffer = v8::ArrayBuffer::with_backing_store(scope, &store);
    Some(v8::Uint8Array::new(scope, buffer, 0, length)?.into())
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

/// Builds entry objects `{ key, value, versionstamp }` for JavaScript.
pub struct EntryBuilder<'s> {
    reader: Reader,
    u64_class: Option<v8::Local<'s, v8::Function>>,
    key_name: v8::Local<'s, v8::Name>,
    value_name: v8::Local<'s, v8::Name>,
    versionstamp_name: v8::Local<'s, v8::Name>,
}

/// Why an entry could not be built.
pub enum EntryError {
    /// Thrown by the codec (see [`WireError::throw`]).
    Wire(WireError),
    /// An error of the op.
    Kv(KvError),
}

impl From<WireError> for EntryError {
    fn from(err: WireError) -> Self {
        EntryError::Wire(err)
    }
}

impl From<KvError> for EntryError {
    fn from(err: KvError) -> Self {
        EntryError::Kv(err)
    }
}

fn engine_failed() -> EntryError {
    EntryError::Wire(WireError::Exception)
}

fn name<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    text: &str,
) -> Result<v8::Local<'s, v8::Name>, EntryError> {
    Ok(v8::String::new(scope, text)
        .ok_or_else(engine_failed)?
        .into())
}

impl<'s> EntryBuilder<'s> {
    /// A builder for the current realm; `state` gives the `Deno.KvU64` class.
    pub fn new(scope: &mut v8::PinScope<'s, '_>, state: &OpState) -> Result<Self, EntryError> {
        let u64_class = state
            .try_borrow::<KvU64Class>()
            .map(|class| v8::Local::new(scope, &class.0));
        Ok(EntryBuilder {
            reader: Reader::new(scope)?,
            u64_class,
            key_name: name(scope, "key")?,
            value_name: name(scope, "value")?,
            versionstamp_name: name(scope, "versionstamp")?,
        })
    }

    /// The JavaScript form of a stored value.
    pub fn value(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        value: KvValue,
    ) -> Result<v8::Local<'s, v8::Value>, EntryError> {
        match value {
            KvValue::V8(bytes) => Ok(self.reader.read(scope, &bytes)?),
            KvValue::U64(n) => {
                let class = self
                    .u64_class
                    .ok_or_else(|| KvError::Generic("Deno.KvU64 is not registered".into()))?;
                let n = v8::BigInt::new_from_u64(scope, n).into();
                Ok(class
                    .new_instance(scope, &[n])
                    .ok_or_else(engine_failed)?
                    .into())
            }
            KvValue::Bytes(bytes) => uint8_array(scope, bytes).ok_or_else(engine_failed),
        }
    }

    /// `{ key, value, versionstamp }`; `key` is `undefined` when `with_key`
    /// is false (the shim puts the caller's key there).
    pub fn entry(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        entry: Entry,
        with_key: bool,
    ) -> Result<v8::Local<'s, v8::Value>, EntryError> {
        let key = if with_key {
            key_to_v8(scope, &entry.key)?
        } else {
            v8::undefined(scope).into()
        };
        let value = self.value(scope, entry.value)?;
        let versionstamp = v8::String::new(scope, &entry.versionstamp.to_hex())
            .ok_or_else(engine_failed)?
            .into();
        let o = v8::Object::new(scope);
        for (name, v) in [
            (self.key_name, key),
            (self.value_name, value),
            (self.versionstamp_name, versionstamp),
        ] {
            o.create_data_property(scope, name, v)
                .ok_or_else(engine_failed)?;
        }
        Ok(o.into())
    }
}
