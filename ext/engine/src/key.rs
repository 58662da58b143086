//! Key parts and their FoundationDB tuple-layer byte encoding (KV_SPEC §2).
//!
//! The encoding is order preserving: comparing two encoded keys byte by byte
//! gives the same answer as comparing the keys part by part with
//! [`KeyPart`]'s `Ord` (type order `Bytes < String < Int < Float < False < True`).

use std::cmp::Ordering;

use num_bigint::{BigInt, Sign};

use crate::error::EngineError;

/// Tag of a byte-string part.
const BYTES: u8 = 0x01;
/// Tag of a UTF-8 string part.
const STRING: u8 = 0x02;
/// Tag of a negative integer whose magnitude needs more than 8 bytes.
const NEG_INT_LONG: u8 = 0x0b;
/// Tag of integer zero; `ZERO_INT ± n` tags integers of n magnitude bytes.
const ZERO_INT: u8 = 0x14;
/// Tag of a positive integer whose magnitude needs more than 8 bytes.
const POS_INT_LONG: u8 = 0x1d;
/// Tag of a 64-bit float part.
const DOUBLE: u8 = 0x21;
/// Tag of `false`.
const FALSE: u8 = 0x26;
/// Tag of `true`.
const TRUE: u8 = 0x27;
/// Terminator of byte and string parts.
const TERMINATOR: u8 = 0x00;
/// Byte following an escaped `0x00` inside byte and string parts.
const ESCAPE: u8 = 0xff;
/// Largest magnitude (in bytes) an integer part may have.
const MAX_INT_BYTES: usize = 255;
/// Bit pattern Deno stores for every positive NaN.
const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;
/// The IEEE 754 sign bit.
const SIGN_BIT: u64 = 0x8000_0000_0000_0000;

/// One element of a key.
#[derive(Debug, Clone)]
pub enum KeyPart {
    /// A `Uint8Array` part.
    Bytes(Vec<u8>),
    /// A `string` part.
    String(String),
    /// A `bigint` part (arbitrary precision; magnitude at most 255 bytes to be encodable).
    Int(BigInt),
    /// A `number` part. NaNs are normalised (keeping their sign) like Deno does;
    /// `-0.0` and `0.0` are distinct.
    Float(f64),
    /// The boolean `false`.
    False,
    /// The boolean `true`.
    True,
}

impl KeyPart {
    /// Rank of the part's type in the key order.
    fn type_rank(&self) -> u8 {
        match self {
            KeyPart::Bytes(_) => 0,
            KeyPart::String(_) => 1,
            KeyPart::Int(_) => 2,
            KeyPart::Float(_) => 3,
            KeyPart::False => 4,
            KeyPart::True => 5,
        }
    }
}

/// Bit pattern of a float as Deno writes it: NaNs become the canonical quiet
/// NaN with the original sign bit, every other value is unchanged.
fn normalized_float_bits(value: f64) -> u64 {
    let bits = value.to_bits();
    if value.is_nan() {
        CANONICAL_NAN | (bits & SIGN_BIT)
    } else {
        bits
    }
}

/// The order-preserving 8-byte form of a float: negative numbers have all
/// bits flipped, others only the sign bit.
fn float_sort_bits(value: f64) -> u64 {
    let bits = normalized_float_bits(value);
    if bits & SIGN_BIT != 0 {
        !bits
    } else {
        bits ^ SIGN_BIT
    }
}

impl PartialEq for KeyPart {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for KeyPart {}

impl PartialOrd for KeyPart {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyPart {
    /// The order of the encoded bytes: by type first, then naturally within
    /// the type (bytes and strings lexicographically by byte, integers
    /// numerically, floats by IEEE total order after NaN normalisation).
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (KeyPart::Bytes(a), KeyPart::Bytes(b)) => a.cmp(b),
            (KeyPart::String(a), KeyPart::String(b)) => a.as_bytes().cmp(b.as_bytes()),
            (KeyPart::Int(a), KeyPart::Int(b)) => a.cmp(b),
            (KeyPart::Float(a), KeyPart::Float(b)) => float_sort_bits(*a).cmp(&float_sort_bits(*b)),
            _ => self.type_rank().cmp(&other.type_rank()),
        }
    }
}

/// Appends `bytes` with every `0x00` escaped as `0x00 0xFF`, then the terminator.
fn encode_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == TERMINATOR {
            out.push(ESCAPE);
        }
    }
    out.push(TERMINATOR);
}

/// Appends the encoding of an integer part whose magnitude fits in
/// [`MAX_INT_BYTES`] bytes; longer magnitudes are reported as an error.
fn encode_int(out: &mut Vec<u8>, value: &BigInt) -> Result<(), EngineError> {
    let (sign, magnitude) = value.to_bytes_be();
    if sign == Sign::NoSign {
        out.push(ZERO_INT);
        return Ok(());
    }
    let len = magnitude.len();
    if len > MAX_INT_BYTES {
        return Err(EngineError::UnencodableKey(
            "BigUint requires more than 255 bytes to be represented".to_string(),
        ));
    }
    // `len` is at most 255 here, so the conversions below cannot fail.
    let len_u8 = u8::try_from(len).unwrap_or(u8::MAX);
    match sign {
        Sign::Minus => {
            if len > 8 {
                out.push(NEG_INT_LONG);
                out.push(len_u8 ^ 0xff);
            } else {
                out.push(ZERO_INT - len_u8);
            }
            out.extend(magnitude.iter().map(|b| !b));
        }
        _ => {
            if len > 8 {
                out.push(POS_INT_LONG);
                out.push(len_u8);
            } else {
                out.push(ZERO_INT + len_u8);
            }
            out.extend_from_slice(&magnitude);
        }
    }
    Ok(())
}

/// Appends the encoding of one key part.
fn encode_part(out: &mut Vec<u8>, part: &KeyPart) -> Result<(), EngineError> {
    match part {
        KeyPart::Bytes(bytes) => {
            out.push(BYTES);
            encode_escaped(out, bytes);
        }
        KeyPart::String(s) => {
            out.push(STRING);
            encode_escaped(out, s.as_bytes());
        }
        KeyPart::Int(n) => encode_int(out, n)?,
        KeyPart::Float(f) => {
            out.push(DOUBLE);
            out.extend_from_slice(&float_sort_bits(*f).to_be_bytes());
        }
        KeyPart::False => out.push(FALSE),
        KeyPart::True => out.push(TRUE),
    }
    Ok(())
}

/// Encodes a key, failing (with Deno's message) when a bigint part's
/// magnitude needs more than 255 bytes (the only part Deno cannot store).
pub fn encode_key(parts: &[KeyPart]) -> Result<Vec<u8>, EngineError> {
    let mut out = Vec::new();
    for part in parts {
        encode_part(&mut out, part)?;
    }
    Ok(out)
}

/// Encodes a single string key part (`0x02`, escaped UTF-8, `0x00`), e.g. to
/// append a commit versionstamp to a key.
pub fn encode_string_part(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(STRING);
    encode_escaped(&mut out, s.as_bytes());
    out
}

/// Reads an escaped, terminated byte string starting at `*pos`.
fn decode_escaped(bytes: &[u8], pos: &mut usize) -> Result<Vec<u8>, EngineError> {
    let mut out = Vec::new();
    loop {
        let Some(&b) = bytes.get(*pos) else {
            return Err(EngineError::InvalidKey(
                "unterminated byte or string part".to_string(),
            ));
        };
        *pos += 1;
        if b == TERMINATOR {
            if bytes.get(*pos) == Some(&ESCAPE) {
                *pos += 1;
                out.push(TERMINATOR);
            } else {
                return Ok(out);
            }
        } else {
            out.push(b);
        }
    }
}

/// Takes `len` bytes starting at `*pos`.
fn take<'a>(bytes: &'a [u8], pos: &mut usize, len: usize) -> Result<&'a [u8], EngineError> {
    let end = pos
        .checked_add(len)
        .filter(|end| *end <= bytes.len())
        .ok_or_else(|| EngineError::InvalidKey("truncated key part".to_string()))?;
    let slice = &bytes[*pos..end];
    *pos = end;
    Ok(slice)
}

/// Decodes the integer whose tag (already consumed) is `tag`.
fn decode_int(tag: u8, bytes: &[u8], pos: &mut usize) -> Result<BigInt, EngineError> {
    let (negative, len) = match tag {
        NEG_INT_LONG => (true, usize::from(take(bytes, pos, 1)?[0] ^ 0xff)),
        POS_INT_LONG => (false, usize::from(take(bytes, pos, 1)?[0])),
        t if t < ZERO_INT => (true, usize::from(ZERO_INT - t)),
        t => (false, usize::from(t - ZERO_INT)),
    };
    let raw = take(bytes, pos, len)?;
    if negative {
        let magnitude: Vec<u8> = raw.iter().map(|b| !b).collect();
        Ok(BigInt::from_bytes_be(Sign::Minus, &magnitude))
    } else {
        Ok(BigInt::from_bytes_be(Sign::Plus, raw))
    }
}

/// Decodes an encoded key into its parts.
pub fn decode_key(bytes: &[u8]) -> Result<Vec<KeyPart>, EngineError> {
    let mut parts = Vec::new();
    let mut pos = 0;
    while let Some(&tag) = bytes.get(pos) {
        pos += 1;
        let part = match tag {
            BYTES => KeyPart::Bytes(decode_escaped(bytes, &mut pos)?),
            STRING => {
                let raw = decode_escaped(bytes, &mut pos)?;
                let s = String::from_utf8(raw)
                    .map_err(|_| EngineError::InvalidKey("string part is not UTF-8".to_string()))?;
                KeyPart::String(s)
            }
            NEG_INT_LONG..=POS_INT_LONG => KeyPart::Int(decode_int(tag, bytes, &mut pos)?),
            DOUBLE => {
                let raw = take(bytes, &mut pos, 8)?;
                let mut be = [0u8; 8];
                be.copy_from_slice(raw);
                let sorted = u64::from_be_bytes(be);
                let bits = if sorted & SIGN_BIT != 0 {
                    sorted ^ SIGN_BIT
                } else {
                    !sorted
                };
                KeyPart::Float(f64::from_bits(bits))
            }
            FALSE => KeyPart::False,
            TRUE => KeyPart::True,
            other => {
                return Err(EngineError::InvalidKey(format!(
                    "unknown key part type 0x{other:02x}"
                )))
            }
        };
        parts.push(part);
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn int(n: i128) -> KeyPart {
        KeyPart::Int(BigInt::from(n))
    }

    fn s(v: &str) -> KeyPart {
        KeyPart::String(v.to_string())
    }

    #[test]
    fn spec_vectors() {
        assert_eq!(
            encode_key(&[s("counter")]).unwrap(),
            vec![0x02, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x65, 0x72, 0x00]
        );
        assert_eq!(
            encode_key(&[s("par"), KeyPart::Float(0.0)]).unwrap(),
            vec![0x02, 0x70, 0x61, 0x72, 0x00, 0x21, 0x80, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    /// Byte vectors read from files written by Deno 2.9.6.
    #[test]
    fn deno_vectors() {
        let cases: Vec<(Vec<KeyPart>, &str)> = vec![
            (vec![s("a")], "026100"),
            (vec![s("n1"), int(-1)], "026E310013FE"),
            (vec![s("n256"), int(-256)], "026E3235360012FEFF"),
            (vec![int(0)], "14"),
            (vec![int(1)], "1501"),
            (
                vec![s("m2"), int(u64::MAX as i128)],
                "026D32001CFFFFFFFFFFFFFFFF",
            ),
            (
                vec![s("m"), int(-(u64::MAX as i128))],
                "026D000C0000000000000000",
            ),
            (vec![int(1 << 64)], "1D09010000000000000000"),
            (vec![int(-(1 << 64))], "0BF6FEFFFFFFFFFFFFFFFF"),
            (
                vec![s("nbig"), int(-(1 << 70))],
                "026E626967000BF6BFFFFFFFFFFFFFFFFF",
            ),
            (
                vec![s("big"), int(1 << 70)],
                "02626967001D09400000000000000000",
            ),
            (
                vec![s("negz"), KeyPart::Float(-0.0)],
                "026E65677A00217FFFFFFFFFFFFFFF",
            ),
            (
                vec![s("nan"), KeyPart::Float(f64::NAN)],
                "026E616E0021FFF8000000000000",
            ),
            (
                vec![
                    s("x"),
                    KeyPart::Float(f64::from_bits(0x7ff0_0000_0000_0001)),
                ],
                "02780021FFF8000000000000",
            ),
            (
                vec![
                    s("x"),
                    KeyPart::Float(f64::from_bits(0xfff8_0000_0000_0001)),
                ],
                "027800210007FFFFFFFFFFFF",
            ),
            (
                vec![s("nul"), s("a\0b"), KeyPart::Bytes(vec![0, 1, 255])],
                "026E756C00026100FF62000100FF01FF00",
            ),
            (vec![KeyPart::False, KeyPart::True], "2627"),
        ];
        for (parts, hex) in cases {
            let encoded = encode_key(&parts).unwrap();
            let hex_got: String = encoded.iter().map(|b| format!("{b:02X}")).collect();
            assert_eq!(hex_got, hex, "{parts:?}");
            assert_eq!(decode_key(&encoded).unwrap(), parts);
        }
    }

    #[test]
    fn bigint_of_255_bytes_is_the_limit() {
        let max: BigInt = (BigInt::from(1) << 2040) - 1;
        let enc = encode_key(&[KeyPart::Int(max.clone())]).unwrap();
        assert_eq!(&enc[..2], &[0x1d, 0xff]);
        assert_eq!(enc.len(), 257);
        assert_eq!(decode_key(&enc).unwrap(), vec![KeyPart::Int(max.clone())]);
        let neg = -max;
        let enc = encode_key(&[KeyPart::Int(neg.clone())]).unwrap();
        assert_eq!(&enc[..3], &[0x0b, 0x00, 0x00]);
        assert_eq!(decode_key(&enc).unwrap(), vec![KeyPart::Int(neg)]);
        let too_big: BigInt = BigInt::from(1) << 2040;
        let err = encode_key(&[KeyPart::Int(too_big.clone())]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "BigUint requires more than 255 bytes to be represented"
        );
        assert!(encode_key(&[KeyPart::Int(-too_big)]).is_err());
    }

    #[test]
    fn decode_rejects_garbage() {
        for bad in [
            &[0x02, 0x61][..],
            &[0x01][..],
            &[0x21, 0, 0][..],
            &[0x15][..],
            &[0x1d, 0x05, 1][..],
            &[0x0b][..],
            &[0x03][..],
            &[0x30][..],
            &[0x02, 0xff, 0x00][..],
        ] {
            assert!(decode_key(bad).is_err(), "{bad:?}");
        }
        assert_eq!(decode_key(&[]).unwrap(), vec![]);
    }

    #[test]
    fn string_part_helper() {
        assert_eq!(
            encode_string_part("a\0"),
            vec![0x02, 0x61, 0x00, 0xff, 0x00]
        );
    }

    fn arb_part() -> impl Strategy<Value = KeyPart> {
        prop_oneof![
            proptest::collection::vec(prop_oneof![Just(0u8), Just(0xffu8), any::<u8>()], 0..6)
                .prop_map(KeyPart::Bytes),
            "[a\\x00\\u{e9}\\u{1F600}b]{0,5}".prop_map(KeyPart::String),
            any::<i64>().prop_map(|n| KeyPart::Int(BigInt::from(n))),
            (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..20)).prop_map(|(neg, b)| {
                let sign = if neg { Sign::Minus } else { Sign::Plus };
                KeyPart::Int(BigInt::from_bytes_be(sign, &b))
            }),
            prop_oneof![
                any::<f64>(),
                Just(0.0),
                Just(-0.0),
                Just(f64::NAN),
                Just(-f64::NAN),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
                any::<u64>().prop_map(f64::from_bits),
            ]
            .prop_map(KeyPart::Float),
            Just(KeyPart::False),
            Just(KeyPart::True),
        ]
    }

    fn arb_key() -> impl Strategy<Value = Vec<KeyPart>> {
        proptest::collection::vec(arb_part(), 0..4)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn roundtrip(key in arb_key()) {
            let enc = encode_key(&key).unwrap();
            prop_assert_eq!(encode_key(&key).unwrap(), enc.clone());
            let dec = decode_key(&enc).unwrap();
            prop_assert_eq!(&dec, &key);
            prop_assert_eq!(encode_key(&dec).unwrap(), enc);
        }

        #[test]
        fn byte_order_is_key_order(a in arb_key(), b in arb_key()) {
            let ea = encode_key(&a).unwrap();
            let eb = encode_key(&b).unwrap();
            prop_assert_eq!(ea.cmp(&eb), a.cmp(&b));
        }
    }
}
