//! The two V8 wire-format values the engine itself reads and writes:
//! numbers and bigints, for Deno's `sum` on non-KvU64 values. Everything
//! else stays opaque bytes to the engine.

use num_bigint::{BigInt, Sign};

/// Header Deno 2.9 writes: `0xFF` and format version 16.
const HEADER: [u8; 2] = [0xff, 0x10];

/// A number or bigint stored with `v_encoding` 1.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    /// A JavaScript number.
    Number(f64),
    /// A JavaScript bigint.
    BigInt(BigInt),
}

fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads `bytes` as a serialized number or bigint; `None` for anything else.
pub(crate) fn decode(bytes: &[u8]) -> Option<Scalar> {
    if bytes.first() != Some(&0xff) {
        return None;
    }
    let mut pos = 1;
    read_varint(bytes, &mut pos)?;
    let scalar = match *bytes.get(pos)? {
        b'I' => {
            pos += 1;
            let zigzag = u32::try_from(read_varint(bytes, &mut pos)?).ok()?;
            Scalar::Number(f64::from(((zigzag >> 1) as i32) ^ -((zigzag & 1) as i32)))
        }
        b'N' => {
            let raw: [u8; 8] = bytes.get(pos + 1..pos + 9)?.try_into().ok()?;
            pos += 9;
            Scalar::Number(f64::from_le_bytes(raw))
        }
        b'Z' => {
            pos += 1;
            let bitfield = read_varint(bytes, &mut pos)?;
            let len = usize::try_from(bitfield >> 1).ok()?;
            let digits = bytes.get(pos..pos.checked_add(len)?)?;
            pos += len;
            let sign = if bitfield & 1 == 1 {
                Sign::Minus
            } else {
                Sign::Plus
            };
            Scalar::BigInt(BigInt::from_bytes_le(sign, digits))
        }
        _ => return None,
    };
    (pos == bytes.len()).then_some(scalar)
}

/// Serializes a number or bigint exactly as V8 (and kvrt's codec) would.
pub(crate) fn encode(scalar: &Scalar) -> Vec<u8> {
    let mut out = HEADER.to_vec();
    match scalar {
        Scalar::Number(n) => {
            let small = *n as i32;
            if f64::from(small) == *n && !(*n == 0.0 && n.is_sign_negative()) {
                out.push(b'I');
                write_varint(&mut out, u64::from(((small << 1) ^ (small >> 31)) as u32));
            } else {
                out.push(b'N');
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
        Scalar::BigInt(b) => {
            out.push(b'Z');
            let (sign, mut digits) = b.to_bytes_le();
            if digits == [0] {
                digits.clear();
            }
            digits.resize(digits.len().div_ceil(8) * 8, 0);
            let negative = u64::from(sign == Sign::Minus);
            write_varint(&mut out, (digits.len() as u64) * 2 + negative);
            out.extend_from_slice(&digits);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deno_vectors() {
        // 1000 as Deno 2.9.6 wrote it.
        assert_eq!(
            decode(&[0xff, 0x10, 0x49, 0xd0, 0x0f]),
            Some(Scalar::Number(1000.0))
        );
        assert_eq!(
            encode(&Scalar::Number(1000.0)),
            [0xff, 0x10, 0x49, 0xd0, 0x0f]
        );
    }

    #[test]
    fn round_trips() {
        let values = [
            Scalar::Number(0.0),
            Scalar::Number(-0.0),
            Scalar::Number(-1.0),
            Scalar::Number(2147483647.0),
            Scalar::Number(2147483648.0),
            Scalar::Number(1.5),
            Scalar::Number(f64::INFINITY),
            Scalar::BigInt(BigInt::from(0)),
            Scalar::BigInt(BigInt::from(-5)),
            Scalar::BigInt(BigInt::from(u64::MAX) * 3),
        ];
        for value in values {
            let bytes = encode(&value);
            let back = decode(&bytes).expect("decodes");
            match (&value, &back) {
                (Scalar::Number(a), Scalar::Number(b)) => assert_eq!(a.to_bits(), b.to_bits()),
                _ => assert_eq!(value, back),
            }
        }
        // 0n is written with no digits, like V8.
        assert_eq!(
            encode(&Scalar::BigInt(BigInt::from(0))),
            [0xff, 0x10, b'Z', 0]
        );
    }

    #[test]
    fn other_values_are_not_scalars() {
        assert_eq!(decode(&[0xff, 0x10, b'"', 1, b'a']), None);
        assert_eq!(decode(&[0xff, 0x10, b'I']), None);
        assert_eq!(decode(&[0xff, 0x10, b'I', 2, 0]), None);
        assert_eq!(decode(&[]), None);
    }
}
