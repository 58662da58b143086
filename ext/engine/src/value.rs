//! Stored values and their `v_encoding` column.

use crate::error::EngineError;

/// `v_encoding` of V8 ValueSerializer bytes.
pub const ENCODING_V8: i64 = 1;
/// `v_encoding` of a KvU64 (8 bytes little-endian).
pub const ENCODING_U64: i64 = 2;
/// `v_encoding` of a raw `Uint8Array`.
pub const ENCODING_BYTES: i64 = 3;

/// A value as stored in the `kv` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvValue {
    /// V8 ValueSerializer bytes (encoding 1); opaque to the engine.
    V8(Vec<u8>),
    /// A `Deno.KvU64` (encoding 2, stored as 8 bytes little-endian).
    U64(u64),
    /// An exact `Uint8Array` (encoding 3, stored raw).
    Bytes(Vec<u8>),
}

impl KvValue {
    /// The `(v_encoding, v)` pair stored in the database.
    pub fn to_encoded(&self) -> (i64, Vec<u8>) {
        match self {
            KvValue::V8(b) => (ENCODING_V8, b.clone()),
            KvValue::U64(n) => (ENCODING_U64, n.to_le_bytes().to_vec()),
            KvValue::Bytes(b) => (ENCODING_BYTES, b.clone()),
        }
    }

    /// The `(v_encoding, v)` pair, borrowing the bytes where possible.
    pub(crate) fn encoded_parts(&self) -> (i64, std::borrow::Cow<'_, [u8]>) {
        use std::borrow::Cow;
        match self {
            KvValue::V8(b) => (ENCODING_V8, Cow::Borrowed(b.as_slice())),
            KvValue::U64(n) => (ENCODING_U64, Cow::Owned(n.to_le_bytes().to_vec())),
            KvValue::Bytes(b) => (ENCODING_BYTES, Cow::Borrowed(b.as_slice())),
        }
    }

    /// Rebuilds a value from a `(v_encoding, v)` pair read from the database.
    pub fn from_encoded(encoding: i64, bytes: Vec<u8>) -> Result<Self, EngineError> {
        match encoding {
            ENCODING_V8 => Ok(KvValue::V8(bytes)),
            ENCODING_U64 => {
                let le: [u8; 8] = bytes.as_slice().try_into().map_err(|_| {
                    EngineError::InvalidValue(format!(
                        "KvU64 value must be 8 bytes, found {}",
                        bytes.len()
                    ))
                })?;
                Ok(KvValue::U64(u64::from_le_bytes(le)))
            }
            ENCODING_BYTES => Ok(KvValue::Bytes(bytes)),
            other => Err(EngineError::UnknownValueEncoding(other)),
        }
    }

    /// Size counted against the value limit (a KvU64 counts 8 bytes).
    pub fn encoded_len(&self) -> usize {
        match self {
            KvValue::V8(b) | KvValue::Bytes(b) => b.len(),
            KvValue::U64(_) => 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        for v in [
            KvValue::V8(vec![0xff, 0x10, 0x49, 0xd0, 0x0f]),
            KvValue::U64(5),
            KvValue::U64(u64::MAX),
            KvValue::Bytes(vec![]),
            KvValue::Bytes(vec![1, 2, 3]),
        ] {
            let (enc, bytes) = v.to_encoded();
            let (enc2, bytes2) = v.encoded_parts();
            assert_eq!((enc, bytes.as_slice()), (enc2, &*bytes2));
            assert_eq!(KvValue::from_encoded(enc, bytes).unwrap(), v);
        }
    }

    #[test]
    fn u64_is_little_endian() {
        // Read from a file Deno 2.9.6 wrote after `sum(["s"], 5n)`.
        assert_eq!(
            KvValue::U64(5).to_encoded(),
            (2, vec![5, 0, 0, 0, 0, 0, 0, 0])
        );
        assert_eq!(KvValue::U64(5).encoded_len(), 8);
        assert_eq!(KvValue::V8(vec![1, 2, 3]).encoded_len(), 3);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            KvValue::from_encoded(4, vec![]),
            Err(EngineError::UnknownValueEncoding(4))
        ));
        assert!(matches!(
            KvValue::from_encoded(2, vec![1, 2]),
            Err(EngineError::InvalidValue(_))
        ));
    }
}
