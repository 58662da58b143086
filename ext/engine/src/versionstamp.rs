//! Versionstamps: 10 bytes identifying a commit.

use std::fmt;

use crate::error::EngineError;

/// A commit's versionstamp: the commit version as 8 big-endian bytes
/// followed by two zero bytes (Deno's SQLite backend never uses the last two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Versionstamp(pub [u8; 10]);

impl Versionstamp {
    /// The versionstamp of commit `version` (the `version` column of `kv`).
    pub fn from_version(version: i64) -> Self {
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&version.to_be_bytes());
        Versionstamp(bytes)
    }

    /// The commit version held in the first 8 bytes.
    pub fn version(&self) -> i64 {
        let mut be = [0u8; 8];
        be.copy_from_slice(&self.0[..8]);
        i64::from_be_bytes(be)
    }

    /// The 20-character lowercase hex form used by the JavaScript API.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(20);
        for b in self.0 {
            out.push(char::from(DIGITS[usize::from(b >> 4)]));
            out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
        }
        out
    }

    /// Parses the 20-hex-character form (either letter case is accepted).
    pub fn from_hex(hex: &str) -> Result<Self, EngineError> {
        let invalid = || EngineError::InvalidVersionstamp(hex.to_string());
        let digits = hex.as_bytes();
        if digits.len() != 20 {
            return Err(invalid());
        }
        let nibble = |c: u8| -> Option<u8> {
            char::from(c)
                .to_digit(16)
                .and_then(|d| u8::try_from(d).ok())
        };
        let mut bytes = [0u8; 10];
        for (i, pair) in digits.chunks_exact(2).enumerate() {
            let hi = nibble(pair[0]).ok_or_else(invalid)?;
            let lo = nibble(pair[1]).ok_or_else(invalid)?;
            bytes[i] = (hi << 4) | lo;
        }
        Ok(Versionstamp(bytes))
    }
}

impl fmt::Display for Versionstamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_roundtrip() {
        let vs = Versionstamp::from_version(0x21);
        assert_eq!(vs.to_hex(), "00000000000000210000");
        assert_eq!(Versionstamp::from_hex("00000000000000210000").unwrap(), vs);
        assert_eq!(vs.version(), 0x21);
        let big = Versionstamp([0xab, 0xcd, 0xef, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(big.to_hex(), "abcdef01020304050607");
        assert_eq!(Versionstamp::from_hex("ABCDEF01020304050607").unwrap(), big);
        assert_eq!(big.to_string(), "abcdef01020304050607");
    }

    #[test]
    fn bad_hex() {
        for bad in [
            "",
            "0000000000000021000",
            "000000000000002100000",
            "0000000000000021000g",
            "é000000000000000000",
        ] {
            assert!(Versionstamp::from_hex(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn order_follows_version() {
        assert!(Versionstamp::from_version(9) < Versionstamp::from_version(16));
        assert!(Versionstamp::from_version(255) < Versionstamp::from_version(256));
    }
}
