//! Property tests of the engine's codecs through its public API only
//! (`kv_engine::{encode_key, decode_key, KeyPart, KvValue,
//! Versionstamp}`), complementing the unit tests in `src/key.rs`:
//!
//! - hostile input: arbitrary bytes fed to `decode_key`, arbitrary
//!   `(encoding, bytes)` pairs to `KvValue::from_encoded` and arbitrary strings
//!   to `Versionstamp::from_hex` give a value or an error, never a panic, and
//!   whatever they accept re-encodes consistently;
//! - round trips: `decode_key(encode_key(k)) == k` for keys of every part type,
//!   including 255-byte bigints, NaN/-0 floats and parts full of 0x00/0xFF;
//! - order: comparing encoded keys byte-wise agrees with comparing the keys,
//!   and a key's encoding is a prefix of the encoding of every key extending it;
//! - `encode_key` fails exactly for bigints over 255 bytes.
//!
//! Each property runs `CASES` cases (override with `PROPTEST_CASES`) and the
//! totals are printed at the end of each test.

use std::cmp::Ordering;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use proptest::test_runner::{TestCaseError, TestRunner};

use kv_engine::{decode_key, encode_key, KeyPart, KvValue, Versionstamp};
use num_bigint::{BigInt, Sign};
use proptest::prelude::*;

const CASES: u32 = 4000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(CASES),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Bytes shaped like keys: mostly valid tags, escapes and terminators, so
/// decoding gets past the first byte far more often than uniform noise would.
fn key_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => any::<u8>(),
        2 => Just(0x00u8),
        2 => Just(0xffu8),
        1 => Just(0x01u8),
        1 => Just(0x02u8),
        1 => prop::sample::select(vec![0x0bu8, 0x0c, 0x13, 0x14, 0x15, 0x1c, 0x1d]),
        1 => Just(0x21u8),
        1 => prop::sample::select(vec![0x26u8, 0x27]),
    ];
    prop::collection::vec(byte, 0..48)
}

/// A valid encoding with a few bytes overwritten, inserted or removed.
fn mutated_key_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        arb_key(),
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..4),
    )
        .prop_map(|(key, edits)| {
            // (a key with an unencodable bigint mutates the empty encoding)
            let mut bytes = encode_key(&key).unwrap_or_default();
            for (at, kind, byte) in edits {
                let i = at.index(bytes.len() + 1);
                match kind {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ => bytes.push(byte),
                }
            }
            bytes
        })
}

fn big_magnitude() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..12),
        prop::collection::vec(any::<u8>(), 250..=255),
        // exactly 255 significant bytes: the largest encodable magnitude
        prop::collection::vec(any::<u8>(), 254..=254).prop_map(|mut v| {
            v.insert(0, 0xff);
            v
        }),
    ]
}

fn arb_part() -> impl Strategy<Value = KeyPart> {
    prop_oneof![
        prop::collection::vec(prop_oneof![Just(0u8), Just(0xffu8), any::<u8>()], 0..10)
            .prop_map(KeyPart::Bytes),
        any::<String>().prop_map(KeyPart::String),
        "[\\x00\\xff a\u{e9}\u{10FFFF}\u{1F600}]{0,6}".prop_map(KeyPart::String),
        any::<i64>().prop_map(|n| KeyPart::Int(BigInt::from(n))),
        (any::<bool>(), big_magnitude()).prop_map(|(negative, magnitude)| {
            let sign = if negative { Sign::Minus } else { Sign::Plus };
            KeyPart::Int(BigInt::from_bytes_be(sign, &magnitude))
        }),
        prop_oneof![
            any::<f64>(),
            any::<u64>().prop_map(f64::from_bits),
            prop::sample::select(vec![
                0.0,
                -0.0,
                f64::NAN,
                -f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::MIN_POSITIVE,
                f64::MAX,
            ]),
        ]
        .prop_map(KeyPart::Float),
        Just(KeyPart::False),
        Just(KeyPart::True),
    ]
}

fn arb_key() -> impl Strategy<Value = Vec<KeyPart>> {
    prop::collection::vec(arb_part(), 0..5)
}

/// Whether a bigint part needs more than 255 magnitude bytes.
fn too_big(part: &KeyPart) -> bool {
    matches!(part, KeyPart::Int(n) if n.to_bytes_be().1.len() > 255)
}

fn bits_equal(a: &[KeyPart], b: &[KeyPart]) -> bool {
    // KeyPart's Eq is the key order's equality (NaNs normalised, -0 != 0).
    a == b
}

proptest! {
    #![proptest_config(config())]

    /// Every prefix of a valid encoding decodes or fails cleanly.
    #[test]
    fn truncated_keys_never_panic(key in arb_key(), cut in any::<prop::sample::Index>()) {
        prop_assume!(!key.iter().any(too_big));
        let enc = encode_key(&key).expect("encodable key");
        let at = if enc.is_empty() { 0 } else { cut.index(enc.len() + 1) };
        let _ = decode_key(&enc[..at]);
    }

    #[test]
    fn key_roundtrip(key in arb_key()) {
        let encoded = encode_key(&key);
        if key.iter().any(too_big) {
            prop_assert!(encoded.is_err());
            return Ok(());
        }
        let enc = encoded.expect("encodable key");
        prop_assert_eq!(&enc, &encode_key(&key).expect("encodable key"));
        let dec = decode_key(&enc).expect("own encoding decodes");
        prop_assert!(bits_equal(&dec, &key), "{dec:?} vs {key:?}");
        // -0 and 0 stay distinct; NaN stays NaN.
        for (a, b) in dec.iter().zip(&key) {
            if let (KeyPart::Float(x), KeyPart::Float(y)) = (a, b) {
                prop_assert_eq!(x.is_nan(), y.is_nan());
                if !x.is_nan() {
                    prop_assert_eq!(x.to_bits(), y.to_bits());
                }
            }
        }
    }

    #[test]
    fn byte_order_is_key_order(a in arb_key(), b in arb_key()) {
        prop_assume!(!a.iter().chain(&b).any(too_big));
        let (ea, eb) = (encode_key(&a).expect("encodable key"), encode_key(&b).expect("encodable key"));
        prop_assert_eq!(ea.cmp(&eb), a.cmp(&b), "{:?} vs {:?}", a, b);
        if ea.cmp(&eb) == Ordering::Equal {
            prop_assert!(bits_equal(&a, &b));
        }
    }

    #[test]
    fn a_key_is_a_prefix_of_its_extensions(a in arb_key(), rest in arb_key()) {
        prop_assume!(!a.iter().chain(&rest).any(too_big));
        let mut longer = a.clone();
        longer.extend(rest.iter().cloned());
        let (ea, el) = (encode_key(&a).expect("encodable key"), encode_key(&longer).expect("encodable key"));
        prop_assert!(el.starts_with(&ea));
        prop_assert!(ea <= el);
    }

    #[test]
    fn u64_values_roundtrip(n in any::<u64>()) {
        let (enc, bytes) = KvValue::U64(n).to_encoded();
        prop_assert_eq!(KvValue::from_encoded(enc, bytes).expect("u64 decodes"), KvValue::U64(n));
    }

    #[test]
    fn versionstamp_order_follows_version(a in 0i64..i64::MAX, b in 0i64..i64::MAX) {
        let (va, vb) = (Versionstamp::from_version(a), Versionstamp::from_version(b));
        prop_assert_eq!(va.cmp(&vb), a.cmp(&b));
        prop_assert_eq!(va.to_hex().cmp(&vb.to_hex()), a.cmp(&b));
        prop_assert_eq!(Versionstamp::from_hex(&va.to_hex()).expect("own hex parses").version(), a);
    }
}

/// Runs `test` on `CASES` values of `strategy`; returns (accepted, rejected).
fn run_hostile<S: Strategy>(
    strategy: S,
    test: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) -> (usize, usize) {
    let accepted = AtomicUsize::new(0);
    let rejected = AtomicUsize::new(0);
    TestRunner::new(config())
        .run(&strategy, |value| {
            let counter = if test(value)? { &accepted } else { &rejected };
            counter.fetch_add(1, AtomicOrdering::Relaxed);
            Ok(())
        })
        .expect("property holds");
    (accepted.into_inner(), rejected.into_inner())
}

/// Any bytes: an error or parts, never a panic; accepted bytes re-encode to
/// a key that decodes to the same parts (decoding is idempotent, and the
/// re-encoding canonical).
#[test]
fn decode_key_never_panics() {
    let bytes = prop_oneof![
        key_like_bytes(),
        prop::collection::vec(any::<u8>(), 0..64),
        mutated_key_bytes(),
    ];
    let (ok, err) = run_hostile(bytes, |bytes| match decode_key(&bytes) {
        Ok(parts) => {
            let again = encode_key(&parts).expect("decoded parts encode");
            let parts2 = decode_key(&again).expect("re-encoded key decodes");
            prop_assert!(bits_equal(&parts, &parts2), "{parts:?} vs {parts2:?}");
            prop_assert_eq!(encode_key(&parts2).expect("encodable key"), again);
            Ok(true)
        }
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            Ok(false)
        }
    });
    eprintln!("decode_key on hostile bytes: {ok} decoded, {err} rejected, 0 panics");
}

/// Any encoding number and bytes: a value or an error, never a panic;
/// accepted pairs encode back to themselves.
#[test]
fn value_from_encoded_never_panics() {
    let input = (
        prop_oneof![Just(1i64), Just(2), Just(3), any::<i64>()],
        prop::collection::vec(any::<u8>(), 0..24),
    );
    let (ok, err) = run_hostile(input, |(encoding, bytes)| {
        match KvValue::from_encoded(encoding, bytes.clone()) {
            Ok(value) => {
                prop_assert!((1..=3).contains(&encoding));
                prop_assert_eq!(value.to_encoded(), (encoding, bytes.clone()));
                let expected_len = if encoding == 2 { 8 } else { bytes.len() };
                prop_assert_eq!(value.encoded_len(), expected_len);
                Ok(true)
            }
            Err(_) => {
                prop_assert!(
                    !(encoding == 1 || encoding == 3 || (encoding == 2 && bytes.len() == 8))
                );
                Ok(false)
            }
        }
    });
    eprintln!("KvValue::from_encoded on hostile input: {ok} accepted, {err} rejected, 0 panics");
}

/// Any string: a versionstamp only for exactly 20 hex digits, and then its
/// lowercase hex form back; never a panic.
#[test]
fn versionstamp_from_hex_never_panics() {
    let input = prop_oneof![
        any::<String>(),
        "[0-9a-fA-F]{18,22}",
        "[0-9a-fA-Fg-z\u{e9}]{20}",
        "[0-9a-f\u{660}-\u{669}\u{ff10}-\u{ff19}]{10,20}",
    ];
    let (ok, err) = run_hostile(input, |s| {
        let valid = s.len() == 20 && s.bytes().all(|b| b.is_ascii_hexdigit());
        match Versionstamp::from_hex(&s) {
            Ok(vs) => {
                prop_assert!(valid, "{s:?} accepted");
                prop_assert_eq!(vs.to_hex(), s.to_ascii_lowercase());
                Ok(true)
            }
            Err(_) => {
                prop_assert!(!valid, "{s:?} rejected");
                Ok(false)
            }
        }
    });
    eprintln!("Versionstamp::from_hex on hostile strings: {ok} accepted, {err} rejected, 0 panics");
}
