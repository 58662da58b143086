//! Keys as they cross the op boundary: read natively from the values the
//! caller gave (arrays of `string`, `number`, `bigint`, `boolean` and
//! `ArrayBufferView` parts), with Deno's errors. One path for every op that
//! takes keys. (Keys go back as JavaScript arrays: see `js_value`.)

use deno_core::v8;
use kv_engine::{encode_key, KeyPart};
use num_bigint::BigInt;

use crate::error::KvError;
use crate::shim::{self, Fault};

/// How a key is used, which decides Deno's error for a key that is not an
/// array.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    /// Read (`get`, `getMany`, `list`, `watch`, `keysIfUndelivered`).
    Read,
    /// The key of a check.
    Check,
    /// The key of a mutation.
    Write,
    /// A list of keys (`watch`'s argument): refused as serde refuses a
    /// sequence, as for a check's key.
    List,
}

/// A key read from JavaScript.
#[derive(Default)]
pub struct KeyArg {
    parts: Vec<KeyPart>,
    /// A trailing `kv.commitVersionstamp()` asks for the commit's
    /// versionstamp to be appended (`set` keys only).
    pub append_versionstamp: bool,
}

impl KeyArg {
    /// The key's bytes (fails for a part that cannot be encoded, such as a
    /// bigint over 255 bytes).
    pub fn encode(&self) -> Result<Vec<u8>, KvError> {
        Ok(encode_key(&self.parts)?)
    }
}

/// Reads the key `value`; a trailing `kv.commitVersionstamp()` is allowed
/// when `versionstamp` is.
pub fn read_key<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
    key_use: KeyUse,
    versionstamp: bool,
) -> Result<KeyArg, Fault> {
    let array = key_array(scope, value, key_use)?;
    let length = array.length();
    let mut key = KeyArg {
        parts: Vec::with_capacity(length as usize),
        append_versionstamp: false,
    };
    for i in 0..length {
        let part = array.get_index(scope, i).ok_or(Fault::Thrown)?;
        match read_part(scope, part)? {
            Some(part) => key.parts.push(part),
            None if versionstamp
                && i + 1 == length
                && shim::is_commit_versionstamp(scope, part)? =>
            {
                key.append_versionstamp = true;
            }
            None => return Err(KvError::InvalidKeyPart.into()),
        }
    }
    Ok(key)
}

/// Reads the key `value` (used for reads) and returns a copy of it that
/// later reads cannot fail on: the same parts, views as `Uint8Array`s of
/// their bytes.
pub fn snapshot_key<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Result<v8::Local<'s, v8::Value>, Fault> {
    let array = key_array(scope, value, KeyUse::Read)?;
    let mut copy = Vec::with_capacity(array.length() as usize);
    for i in 0..array.length() {
        let part = array.get_index(scope, i).ok_or(Fault::Thrown)?;
        match read_part(scope, part)? {
            Some(KeyPart::Bytes(bytes)) => {
                copy.push(crate::js_value::uint8_array(scope, bytes).ok_or(Fault::Thrown)?);
            }
            Some(_) => copy.push(part),
            None => return Err(KvError::InvalidKeyPart.into()),
        }
    }
    Ok(v8::Array::new_with_elements(scope, &copy).into())
}

/// `value` as an array (of key parts, or of keys for `KeyUse::List`), or
/// Deno's error for it.
pub fn key_array<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
    key_use: KeyUse,
) -> Result<v8::Local<'s, v8::Array>, Fault> {
    // (a proxy is refused before any of its traps runs, as in Deno)
    if value.is_proxy() {
        return Err(KvError::NotAnArray("Proxy".into()).into());
    }
    if let Ok(array) = v8::Local::<v8::Array>::try_from(value) {
        return Ok(array);
    }
    let nullish = if value.is_null() {
        Some("null")
    } else if value.is_undefined() {
        Some("undefined")
    } else {
        None
    };
    if let Some(nullish) = nullish {
        return Err(match key_use {
            KeyUse::Read => KvError::InvalidRange,
            KeyUse::Write => KvError::NullishProperty(nullish, "length"),
            KeyUse::Check | KeyUse::List => KvError::NotAnArray(nullish.into()),
        }
        .into());
    }
    let got = if value.is_string() {
        "string".to_string()
    } else if value.is_big_int() {
        "bigint".to_string()
    } else if value.is_number() {
        "Number".to_string()
    } else if value.is_boolean() {
        "Boolean".to_string()
    } else if value.is_object() {
        shim::view_tag(scope, value)?.unwrap_or_else(|| "unknown".to_string())
    } else {
        "unknown".to_string()
    };
    Err(KvError::NotAnArray(got).into())
}

/// A key part, `None` for a value that is not one.
fn read_part<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    part: v8::Local<'s, v8::Value>,
) -> Result<Option<KeyPart>, Fault> {
    if let Ok(s) = v8::Local::<v8::String>::try_from(part) {
        return Ok(Some(KeyPart::String(s.to_rust_string_lossy(scope))));
    }
    if let Ok(n) = v8::Local::<v8::Number>::try_from(part) {
        return Ok(Some(KeyPart::Float(n.value())));
    }
    if part.is_boolean() {
        return Ok(Some(if part.is_true() {
            KeyPart::True
        } else {
            KeyPart::False
        }));
    }
    if part.is_big_int() {
        // (decimal digits: the engine API's words of a bigint are not
        // exact on every backend)
        let digits = part
            .to_string(scope)
            .map(|s| s.to_rust_string_lossy(scope))
            .unwrap_or_default();
        let n: BigInt = digits.parse().map_err(|_| KvError::InvalidKeyPart)?;
        return Ok(Some(KeyPart::Int(n)));
    }
    if part.is_object() {
        return Ok(shim::view_bytes(scope, part)?.map(KeyPart::Bytes));
    }
    Ok(None)
}
