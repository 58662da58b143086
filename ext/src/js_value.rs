//! The JavaScript values the ops build: `Uint8Array`s, keys (arrays of key
//! parts, from stored key bytes) and the `{ key, value, versionstamp }`
//! entries of reads, with `Deno.KvU64` values.

use std::cell::RefCell;

use deno_core::{v8, OpState};
use kv_engine::{decode_key, Entry, KeyPart, KvValue, Versionstamp};
use num_bigint::Sign;

use crate::error::KvError;
use crate::wire::{internalize, Deserializer, WireError};

/// The `Deno.KvU64` class, registered by the shim at load time.
pub struct KvU64Class(pub v8::Global<v8::Function>);

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

/// The JavaScript value of one key part.
fn part_to_v8<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    part: KeyPart,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let failed = || KvError::KeyNotBuilt;
    Ok(match part {
        KeyPart::String(s) => v8::String::new(scope, &s).ok_or_else(failed)?.into(),
        KeyPart::True => v8::Boolean::new(scope, true).into(),
        KeyPart::False => v8::Boolean::new(scope, false).into(),
        KeyPart::Float(n) => v8::Number::new(scope, n).into(),
        KeyPart::Bytes(b) => uint8_array(scope, b).ok_or_else(failed)?,
        KeyPart::Int(i) => {
            let (sign, words) = i.to_u64_digits();
            v8::BigInt::new_from_words(scope, sign == Sign::Minus, &words)
                .ok_or_else(failed)?
                .into()
        }
    })
}

/// A `Deno.KvU64` of `n`; `state` gives the class.
pub fn kv_u64<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: &OpState,
    n: u64,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let class = u64_class(scope, state);
    new_kv_u64(scope, class, n).map_err(|err| match err {
        EntryError::Kv(err) => err,
        EntryError::Wire(_) => KvError::ValueNotBuilt,
    })
}

/// The registered `Deno.KvU64` class, if any.
fn u64_class<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: &OpState,
) -> Option<v8::Local<'s, v8::Function>> {
    state
        .try_borrow::<KvU64Class>()
        .map(|class| v8::Local::new(scope, &class.0))
}

fn new_kv_u64<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    class: Option<v8::Local<'s, v8::Function>>,
    n: u64,
) -> Result<v8::Local<'s, v8::Value>, EntryError> {
    let class = class.ok_or(KvError::KvU64NotRegistered)?;
    let n = v8::BigInt::new_from_u64(scope, n).into();
    Ok(class
        .new_instance(scope, &[n])
        .ok_or_else(build_failed)?
        .into())
}

/// The names of an entry's fields as the engine's property keys, made once
/// (by `op_kv_init`): names read back from an object are internalized
/// strings, which an engine defines a property with without looking the
/// name up first (QuickJS hashes any other string key on each definition).
pub struct EntryNames([v8::Global<v8::Name>; 3]);

impl EntryNames {
    pub fn new(scope: &mut v8::PinScope<'_, '_>) -> Option<EntryNames> {
        let mut name = |text| {
            let name = internalize(scope, v8::String::new(scope, text)?)?;
            Some(v8::Global::new(scope, name))
        };
        Some(EntryNames([
            name("key")?,
            name("value")?,
            name("versionstamp")?,
        ]))
    }
}

/// Builds entry objects `{ key, value, versionstamp }` for JavaScript.
pub struct EntryBuilder<'s> {
    deserializer: Deserializer<'s>,
    u64_class: Option<v8::Local<'s, v8::Function>>,
    key_name: v8::Local<'s, v8::Name>,
    value_name: v8::Local<'s, v8::Name>,
    versionstamp_name: v8::Local<'s, v8::Name>,
    /// What the previous entry made that the next one can share (strings
    /// are immutable: sharing them cannot be observed).
    last: RefCell<Shared<'s>>,
}

/// The string key parts and the versionstamp of the last entry built: the
/// entries of a list share their prefix, those of one commit their
/// versionstamp.
#[derive(Default)]
struct Shared<'s> {
    parts: Vec<Option<(String, v8::Local<'s, v8::Value>)>>,
    versionstamp: Option<(Versionstamp, v8::Local<'s, v8::Value>)>,
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

fn build_failed() -> EntryError {
    EntryError::Wire(WireError::Exception)
}

impl<'s> EntryBuilder<'s> {
    /// A builder for the current realm; `state` gives the `Deno.KvU64` class
    /// and the entries' field names.
    pub fn new(scope: &mut v8::PinScope<'s, '_>, state: &OpState) -> Result<Self, EntryError> {
        let u64_class = u64_class(scope, state);
        let EntryNames([key, value, versionstamp]) = state
            .try_borrow::<EntryNames>()
            .ok_or(KvError::ShimNotLoaded)?;
        Ok(EntryBuilder {
            deserializer: Deserializer::new(scope)?,
            u64_class,
            key_name: v8::Local::new(scope, key),
            value_name: v8::Local::new(scope, value),
            versionstamp_name: v8::Local::new(scope, versionstamp),
            last: RefCell::default(),
        })
    }

    /// The JavaScript form of a stored value.
    pub fn value(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        value: KvValue,
    ) -> Result<v8::Local<'s, v8::Value>, EntryError> {
        match value {
            KvValue::V8(bytes) => Ok(self.deserializer.read(scope, &bytes)?),
            KvValue::U64(n) => new_kv_u64(scope, self.u64_class, n),
            KvValue::Bytes(bytes) => uint8_array(scope, bytes).ok_or_else(build_failed),
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
            self.key(scope, &entry.key)?
        } else {
            v8::undefined(scope).into()
        };
        let value = self.value(scope, entry.value)?;
        let versionstamp = self.versionstamp(scope, entry.versionstamp)?;
        let o = v8::Object::new(scope);
        for (name, v) in [
            (self.key_name, key),
            (self.value_name, value),
            (self.versionstamp_name, versionstamp),
        ] {
            o.create_data_property(scope, name, v)
                .ok_or_else(build_failed)?;
        }
        Ok(o.into())
    }

    /// Decodes stored key bytes into a JavaScript array of key parts
    /// (`string`, `number` including `-0`, `bigint`, `boolean`,
    /// `Uint8Array`); a string part equal to the last entry's part at the
    /// same place is that part's string.
    fn key(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        bytes: &[u8],
    ) -> Result<v8::Local<'s, v8::Value>, KvError> {
        let parts = decode_key(bytes)?;
        let mut elements = Vec::with_capacity(parts.len());
        let mut last = self.last.borrow_mut();
        last.parts.resize(parts.len(), None);
        for (part, seen) in parts.into_iter().zip(last.parts.iter_mut()) {
            let KeyPart::String(text) = part else {
                *seen = None;
                elements.push(part_to_v8(scope, part)?);
                continue;
            };
            match seen {
                Some((seen_text, string)) if *seen_text == text => elements.push(*string),
                _ => {
                    let string = v8::String::new(scope, &text)
                        .ok_or(KvError::KeyNotBuilt)?
                        .into();
                    *seen = Some((text, string));
                    elements.push(string);
                }
            }
        }
        Ok(v8::Array::new_with_elements(scope, &elements).into())
    }

    /// The hex string of `versionstamp`; the last entry's when equal.
    fn versionstamp(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        versionstamp: Versionstamp,
    ) -> Result<v8::Local<'s, v8::Value>, EntryError> {
        let mut last = self.last.borrow_mut();
        if let Some((seen, string)) = last.versionstamp {
            if seen == versionstamp {
                return Ok(string);
            }
        }
        let string = v8::String::new(scope, &versionstamp.to_hex())
            .ok_or_else(build_failed)?
            .into();
        last.versionstamp = Some((versionstamp, string));
        Ok(string)
    }
}
