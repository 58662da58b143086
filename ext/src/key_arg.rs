//! Keys as they cross the op boundary.
//!
//! The shim passes key parts as they are, except that a `Uint8Array` arrives
//! as `{ bytes }`, a `bigint` as `{ bigint: "<decimal>" }` and `-0` as
//! `{ negativeZero: true }`: serde's untagged enums would take bytes for a
//! string and cannot see the other two. (Keys go back as real JavaScript
//! arrays: see `js_value`.)

use kv_engine::{encode_key, KeyPart};
use num_bigint::BigInt;
use serde::Deserialize;

use crate::error::KvError;

/// A key part sent by JavaScript.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum KeyPartArg {
    /// `string`.
    String(String),
    /// `boolean`.
    Boolean(bool),
    /// `number` other than `-0`.
    Number(f64),
    /// `Uint8Array`, `bigint` or `-0`.
    Tagged(TaggedPart),
}

/// The key parts serde cannot carry directly.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaggedPart {
    bytes: Option<serde_bytes::ByteBuf>,
    bigint: Option<String>,
    negative_zero: Option<bool>,
}

/// A key as sent by JavaScript.
pub type KeyArg = Vec<KeyPartArg>;

/// Encodes a key from JavaScript into the engine's byte form.
pub fn encode_key_arg(key: KeyArg) -> Result<Vec<u8>, KvError> {
    let parts = key
        .into_iter()
        .map(|part| match part {
            KeyPartArg::String(s) => Ok(KeyPart::String(s)),
            KeyPartArg::Boolean(true) => Ok(KeyPart::True),
            KeyPartArg::Boolean(false) => Ok(KeyPart::False),
            KeyPartArg::Number(n) => Ok(KeyPart::Float(n)),
            KeyPartArg::Tagged(TaggedPart {
                bytes: Some(bytes), ..
            }) => Ok(KeyPart::Bytes(bytes.into_vec())),
            KeyPartArg::Tagged(TaggedPart {
                bigint: Some(digits),
                ..
            }) => digits
                .parse::<BigInt>()
                .map(KeyPart::Int)
                // (the shim sends decimal digits)
                .map_err(|_| KvError::InvalidKeyPart),
            KeyPartArg::Tagged(TaggedPart {
                negative_zero: Some(true),
                ..
            }) => Ok(KeyPart::Float(-0.0)),
            KeyPartArg::Tagged(_) => Err(KvError::InvalidKeyPart),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(encode_key(&parts)?)
}
