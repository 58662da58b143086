//! Deserialization: wire bytes to a JavaScript value.

use std::rc::Rc;

use deno_core::v8;

use super::intrinsics::{self, Intrinsics};
use super::keys::PropertyKeys;
use super::{
    call, thrown, HostObjects, WireError, FORMAT_VERSION, MAX_READ_DEPTH, MIN_READ_VERSION,
};

type Result<T> = std::result::Result<T, WireError>;

/// A failed engine call: JavaScript threw, or the engine refused the value.
fn fail<T>(what: impl Into<String>) -> Result<T> {
    Err(WireError::malformed(what))
}

/// Deserializes V8 ValueSerializer bytes (format versions 13 to 16) as written
/// by Deno KV for `v_encoding` 1, Deno's host objects (`Blob`, `CryptoKey`,
/// ...) included. Malformed, truncated or unsupported input (host objects of
/// unknown types, transferred or shared buffers, trailing bytes) gives
/// [`WireError::Malformed`].
pub(crate) fn deserialize<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    bytes: &[u8],
) -> Result<v8::Local<'s, v8::Value>> {
    Deserializer::new(scope)?.read(scope, bytes)
}

/// Deserializes many values in one scope (the realm's builtins are looked up
/// once).
pub(crate) struct Deserializer<'s> {
    intrinsics: Rc<Intrinsics>,
    keys: PropertyKeys<'s>,
}

impl<'s> Deserializer<'s> {
    /// A deserializer for the current realm.
    pub(crate) fn new(scope: &mut v8::PinScope<'s, '_>) -> Result<Deserializer<'s>> {
        Ok(Deserializer {
            intrinsics: intrinsics::get(scope)?,
            keys: PropertyKeys::new(scope),
        })
    }

    /// Deserializes one value, like [`deserialize`].
    pub(crate) fn read(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        bytes: &[u8],
    ) -> Result<v8::Local<'s, v8::Value>> {
        self.read_with(scope, bytes, HostObjects::Deno)
    }

    /// Deserializes one value with host objects in the given dialect.
    pub(super) fn read_with(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        bytes: &[u8],
        host: HostObjects<'s>,
    ) -> Result<v8::Local<'s, v8::Value>> {
        v8::tc_scope!(let scope, scope);
        let mut decoder = Decoder {
            intrinsics: &self.intrinsics,
            keys: &self.keys,
            data: bytes,
            pos: 0,
            version: 0,
            objects: Vec::new(),
            depth: 0,
            stack_base: super::stack_position(),
            host,
        };
        match decoder.top(scope) {
            Err(WireError::Exception) if scope.has_caught() || scope.has_terminated() => {
                scope.rethrow();
                Err(WireError::Exception)
            }
            Err(WireError::Exception) => fail("value not representable"),
            result => result,
        }
    }
}

/// An entry of the back-reference table.
#[derive(Clone, Copy)]
enum Slot<'s> {
    /// Taken by an object still being read (a reference to it is invalid).
    Reserved,
    Value(v8::Local<'s, v8::Value>),
    /// An ArrayBuffer (which a `V` view may follow), and whether it is
    /// resizable.
    Buffer(v8::Local<'s, v8::Object>, bool),
}

/// A buffer just read, that a view may follow.
type BufferRead<'s> = Option<(v8::Local<'s, v8::Object>, bool)>;

/// A value read, and whether it is a buffer a view may follow.
type Read<'s> = (v8::Local<'s, v8::Value>, BufferRead<'s>);

/// V8 JSRegExp::Flags bits and their flag characters, in `flags` order.
const REGEXP_FLAGS: [(u32, char); 8] = [
    (128, 'd'),
    (1, 'g'),
    (2, 'i'),
    (4, 'm'),
    (32, 's'),
    (16, 'u'),
    (256, 'v'),
    (8, 'y'),
];
/// kFlagCount = 9 bits, minus kLinear (64).
const REGEXP_VALID_FLAGS: u32 = 0x1bf;
const DATA_VIEW_TAG: u32 = 0x3f;

/// What [`Decoder::kept_key`] found.
enum KeptKey<'b, 's> {
    /// A kept key, read.
    Found(v8::Local<'s, v8::Name>),
    /// A one-byte string not kept (yet), of these bytes; nothing read.
    Missing(&'b [u8]),
    /// Another kind of key; nothing read.
    Other,
}

struct Decoder<'a, 'b, 's> {
    intrinsics: &'a Intrinsics,
    keys: &'a PropertyKeys<'s>,
    data: &'b [u8],
    pos: usize,
    version: u32,
    objects: Vec<Slot<'s>>,
    depth: u32,
    /// The native stack position where reading started.
    stack_base: usize,
    /// The dialect of host objects.
    host: HostObjects<'s>,
}

impl<'b, 's> Decoder<'_, 'b, 's> {
    fn top(&mut self, scope: &mut v8::PinScope<'s, '_>) -> Result<v8::Local<'s, v8::Value>> {
        if self.data.first() != Some(&0xff) {
            return fail("missing version header");
        }
        self.pos = 1;
        self.version = self.varint()?;
        if !(MIN_READ_VERSION..=FORMAT_VERSION).contains(&self.version) {
            return fail(format!("unsupported format version {}", self.version));
        }
        let value = self.value(scope)?;
        if self.peek_tag().is_some() {
            return fail("trailing bytes after value");
        }
        Ok(value)
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next byte that is not padding.
    fn read_tag(&mut self) -> Result<u8> {
        while let Some(&t) = self.data.get(self.pos) {
            self.pos += 1;
            if t != 0 {
                return Ok(t);
            }
        }
        fail("unexpected end of data")
    }

    /// The next non-padding tag without consuming anything.
    fn peek_tag(&self) -> Option<u8> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        rest.iter().copied().find(|&t| t != 0)
    }

    fn byte(&mut self) -> Result<u8> {
        let Some(&b) = self.data.get(self.pos) else {
            return fail("unexpected end of data");
        };
        self.pos += 1;
        Ok(b)
    }

    /// uint32 LEB128, lenient like V8: bits past 32 are dropped and a sixth
    /// byte ends the varint.
    fn varint(&mut self) -> Result<u32> {
        let mut r: u32 = 0;
        let mut shift = 0;
        while shift < 35 {
            let b = self.byte()?;
            r |= u32::from(b & 0x7f).wrapping_shl(shift);
            if b < 0x80 {
                return Ok(r);
            }
            shift += 7;
        }
        self.byte()?;
        Ok(r)
    }

    /// A length that the remaining bytes can hold.
    fn length(&mut self) -> Result<usize> {
        let n = self.varint()? as usize;
        if n > self.remaining() {
            return fail("length past end of data");
        }
        Ok(n)
    }

    fn bytes(&mut self, n: usize) -> &'b [u8] {
        // (callers checked that `n` bytes remain)
        let data = self.data;
        let start = self.pos;
        self.pos = (start + n).min(data.len());
        data.get(start..self.pos).unwrap_or_default()
    }

    fn double(&mut self) -> Result<f64> {
        let Some(bytes) = self.data.get(self.pos..self.pos + 8) else {
            return fail("unexpected end of data");
        };
        let mut le = [0u8; 8];
        le.copy_from_slice(bytes);
        self.pos += 8;
        Ok(f64::from_le_bytes(le))
    }

    fn push(&mut self, value: v8::Local<'s, v8::Value>) {
        self.objects.push(Slot::Value(value));
    }

    fn reserve(&mut self) -> usize {
        self.objects.push(Slot::Reserved);
        self.objects.len() - 1
    }

    fn fill(&mut self, id: usize, value: v8::Local<'s, v8::Value>) {
        if let Some(slot) = self.objects.get_mut(id) {
            *slot = Slot::Value(value);
        }
    }

    /// A value; an ArrayBuffer followed by `V` is the buffer of a view.
    fn value(&mut self, scope: &mut v8::PinScope<'s, '_>) -> Result<v8::Local<'s, v8::Value>> {
        self.enter()?;
        let (value, buffer) = self.inner(scope)?;
        let value = match buffer {
            Some((buffer, resizable)) if self.view_follows() => {
                self.view(scope, buffer, resizable)?
            }
            _ => value,
        };
        self.depth -= 1;
        Ok(value)
    }

    /// One more level of nesting, within [`MAX_READ_DEPTH`] and the native stack
    /// budget.
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        // (the root value and its leaves take one level more than the
        // containers the writer counts)
        if self.depth > MAX_READ_DEPTH + 1 || super::stack_exhausted(self.stack_base) {
            return fail("too deeply nested");
        }
        Ok(())
    }

    /// Whether a `V` (possibly after padding) comes next; consumes it.
    fn view_follows(&mut self) -> bool {
        if matches!(self.data.get(self.pos), Some(&(0x56 | 0))) && self.peek_tag() == Some(b'V') {
            while self.data.get(self.pos) == Some(&0) {
                self.pos += 1;
            }
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// The next tag, skipping padding and `?` (an object count to verify,
    /// ignored like V8 does).
    fn tag(&mut self) -> Result<u8> {
        loop {
            let tag = match self.data.get(self.pos) {
                Some(&t) if t != 0 => {
                    self.pos += 1;
                    t
                }
                _ => self.read_tag()?,
            };
            if tag != b'?' {
                return Ok(tag);
            }
            self.varint()?;
        }
    }

    /// Dispatches on the tag; containers (which recurse) each have their own
    /// function so that a level of nesting costs little native stack.
    fn inner(&mut self, scope: &mut v8::PinScope<'s, '_>) -> Result<Read<'s>> {
        let tag = self.tag()?;
        match tag {
            b'o' => self.object(scope),
            b'A' => self.dense_array(scope),
            b'a' => self.sparse_array(scope),
            b';' => self.collection(scope, true),
            b'\'' => self.collection(scope, false),
            b's' => self.string_object(scope),
            b'R' => self.regexp(scope),
            b'r' => self.error(scope),
            b'\\' => self.host_object(scope),
            _ => self.scalar(scope, tag),
        }
    }

    /// A value that holds no other value.
    fn scalar(&mut self, scope: &mut v8::PinScope<'s, '_>, tag: u8) -> Result<Read<'s>> {
        let value: v8::Local<v8::Value> = match tag {
            b'"' => self.one_byte_string(scope)?,
            b'I' => {
                let u = self.varint()?;
                v8::Integer::new(scope, ((u >> 1) as i32) ^ -((u & 1) as i32)).into()
            }
            b'N' => {
                let d = self.double()?;
                v8::Number::new(scope, d).into()
            }
            b'T' => v8::Boolean::new(scope, true).into(),
            b'F' => v8::Boolean::new(scope, false).into(),
            b'0' => v8::null(scope).into(),
            b'_' => v8::undefined(scope).into(),
            b'c' => self.two_byte_string(scope)?,
            b'^' => {
                let id = self.varint()? as usize;
                return match self.objects.get(id) {
                    Some(Slot::Value(v)) => Ok((*v, None)),
                    Some(&Slot::Buffer(b, resizable)) => Ok((b.into(), Some((b, resizable)))),
                    _ => fail("invalid object reference"),
                };
            }
            b'D' => {
                let time = self.double()?;
                let time = v8::Number::new(scope, time).into();
                let date = self.construct(scope, &self.intrinsics.new_date, &[time])?;
                self.push(date);
                date
            }
            b'Z' => self.bigint_body(scope)?,
            b'B' | b'~' => {
                let buffer = self.array_buffer(scope, tag == b'~')?;
                return Ok((buffer.into(), Some((buffer, tag == b'~'))));
            }
            b'U' => {
                let u = self.varint()?;
                v8::Integer::new_from_unsigned(scope, u).into()
            }
            b'S' => self.utf8_string(scope)?,
            b'y' | b'x' => {
                let b: v8::Local<v8::Value> = v8::Boolean::new(scope, tag == b'y').into();
                let boxed = b.to_object(scope).ok_or_else(thrown)?.into();
                self.push(boxed);
                boxed
            }
            b'n' => {
                let d = self.double()?;
                let n: v8::Local<v8::Value> = v8::Number::new(scope, d).into();
                let boxed = n.to_object(scope).ok_or_else(thrown)?.into();
                self.push(boxed);
                boxed
            }
            b'z' => {
                let b = self.bigint_body(scope)?;
                let boxed = b.to_object(scope).ok_or_else(thrown)?.into();
                self.push(boxed);
                boxed
            }
            _ => return fail(format!("unsupported tag at offset {}", self.pos - 1)),
        };
        Ok((value, None))
    }

    fn string_object(&mut self, scope: &mut v8::PinScope<'s, '_>) -> Result<Read<'s>> {
        let id = self.reserve();
        let s = self.string(scope)?;
        let boxed = s.to_object(scope).ok_or_else(thrown)?.into();
        self.fill(id, boxed);
        Ok((boxed, None))
    }

    fn construct(
        &self,
        scope: &v8::PinScope<'s, '_>,
        ctor: &v8::Global<v8::Function>,
        args: &[v8::Local<'s, v8::Value>],
    ) -> Result<v8::Local<'s, v8::Value>> {
        let ctor = v8::Local::new(scope, ctor);
        Ok(ctor.new_instance(scope, args).ok_or_else(thrown)?.into())
    }

    fn string(&mut self, scope: &mut v8::PinScope<'s, '_>) -> Result<v8::Local<'s, v8::Value>> {
        let s = self.value(scope)?;
        if !s.is_string() {
            return fail("expected a string");
        }
        Ok(s)
    }

    fn one_byte_string(
        &mut self,
        scope: &v8::PinScope<'s, '_>,
    ) -> Result<v8::Local<'s, v8::Value>> {
        let n = self.length()?;
        let bytes = self.bytes(n);
        let s = if bytes.is_ascii() {
            v8::String::new_from_utf8(scope, bytes, v8::NewStringType::Normal)
        } else {
            v8::String::new_from_one_byte(scope, bytes, v8::NewStringType::Normal)
        };
        Ok(s.ok_or_else(thrown)?.into())
    }

    fn two_byte_string(
        &mut self,
        scope: &v8::PinScope<'s, '_>,
    ) -> Result<v8::Local<'s, v8::Value>> {
        let n = self.length()?;
        if n & 1 == 1 {
            return fail("odd two-byte string length");
        }
        let codes: Vec<u16> = self
            .bytes(n)
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        self.utf16_string(scope, codes)
    }

    /// A string of UTF-16 code units; those with lone surrogates go through
    /// JavaScript (the engine API takes only well-formed UTF-16).
    fn utf16_string(
        &self,
        scope: &v8::PinScope<'s, '_>,
        codes: Vec<u16>,
    ) -> Result<v8::Local<'s, v8::Value>> {
        if char::decode_utf16(codes.iter().copied()).all(|c| c.is_ok()) {
            let s = v8::String::new_from_two_byte(scope, &codes, v8::NewStringType::Normal);
            return Ok(s.ok_or_else(thrown)?.into());
        }
        let length = codes.len();
        let bytes: Vec<u8> = codes.iter().flat_map(|c| c.to_ne_bytes()).collect();
        let store = v8::ArrayBuffer::new_backing_store_from_vec(bytes).make_shared();
        let buffer = v8::ArrayBuffer::with_backing_store(scope, &store);
        let codes = v8::Uint16Array::new(scope, buffer, 0, length).ok_or_else(thrown)?;
        let undefined = v8::undefined(scope).into();
        call(
            scope,
            &self.intrinsics.string_from_codes,
            undefined,
            &[codes.into()],
        )
    }

    /// UTF-8 with WHATWG replacement of malformed sequences (V8's decoder).
    fn utf8_string(&mut self, scope: &v8::PinScope<'s, '_>) -> Result<v8::Local<'s, v8::Value>> {
        let n = self.length()?;
        let bytes = self.bytes(n);
        let mut codes: Vec<u16> = Vec::with_capacity(n);
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            i += 1;
            if b < 0x80 {
                codes.push(u16::from(b));
                continue;
            }
            let (mut more, mut cp, mut lo, mut hi) = match b {
                0xc2..=0xdf => (1, u32::from(b & 0x1f), 0x80, 0xbf),
                0xe0 => (2, u32::from(b & 0x0f), 0xa0, 0xbf),
                0xed => (2, u32::from(b & 0x0f), 0x80, 0x9f),
                0xe1..=0xef => (2, u32::from(b & 0x0f), 0x80, 0xbf),
                0xf0 => (3, u32::from(b & 0x07), 0x90, 0xbf),
                0xf4 => (3, u32::from(b & 0x07), 0x80, 0x8f),
                0xf1..=0xf3 => (3, u32::from(b & 0x07), 0x80, 0xbf),
                _ => {
                    codes.push(0xfffd);
                    continue;
                }
            };
            while more > 0 && i < bytes.len() && (lo..=hi).contains(&bytes[i]) {
                cp = (cp << 6) | u32::from(bytes[i] & 0x3f);
                i += 1;
                more -= 1;
                lo = 0x80;
                hi = 0xbf;
            }
            if more > 0 {
                codes.push(0xfffd);
            } else if cp >= 0x10000 {
                let cp = cp - 0x10000;
                codes.push(0xd800 | (cp >> 10) as u16);
                codes.push(0xdc00 | (cp & 0x3ff) as u16);
            } else {
                codes.push(cp as u16);
            }
        }
        self.utf16_string(scope, codes)
    }

    fn bigint_body(&mut self, scope: &v8::PinScope<'s, '_>) -> Result<v8::Local<'s, v8::Value>> {
        let bitfield = self.varint()?;
        let n = ((bitfield >> 1) & 0x3fff_ffff) as usize;
        if n > self.remaining() {
            return fail("length past end of data");
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(2 * n + 1);
        for &b in self.bytes(n).iter().rev() {
            hex.push(HEX[usize::from(b >> 4)] as char);
            hex.push(HEX[usize::from(b & 15)] as char);
        }
        if hex.is_empty() {
            hex.push('0');
        }
        let hex = v8::String::new(scope, &hex).ok_or_else(thrown)?.into();
        let negative = v8::Boolean::new(scope, bitfield & 1 == 1).into();
        let undefined = v8::undefined(scope).into();
        call(
            scope,
            &self.intrinsics.bigint_from_hex,
            undefined,
            &[hex, negative],
        )
    }

    /// Reads properties into `o` up to `end_tag`; returns their count.
    fn properties(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        o: v8::Local<'s, v8::Object>,
        end_tag: u8,
    ) -> Result<u32> {
        let mut count: u32 = 0;
        loop {
            if self.data.get(self.pos) == Some(&end_tag) {
                self.pos += 1;
                return Ok(count);
            }
            if self.peek_tag() == Some(end_tag) {
                self.read_tag()?;
                return Ok(count);
            }
            let key = match self.kept_key(scope)? {
                KeptKey::Found(key) => key,
                other => {
                    let key = self.value(scope)?;
                    if let Ok(s) = v8::Local::<v8::String>::try_from(key) {
                        match other {
                            KeptKey::Missing(bytes) => self.keys.keep(scope, bytes, s),
                            _ => None,
                        }
                        .unwrap_or(s.into())
                    } else if key.is_number() {
                        key.to_string(scope).ok_or_else(thrown)?.into()
                    } else {
                        return fail("invalid property key");
                    }
                }
            };
            let value = self.value(scope)?;
            if o.has_own_property(scope, key).ok_or_else(thrown)? {
                return fail("duplicate property key");
            }
            o.create_data_property(scope, key, value)
                .ok_or_else(thrown)?;
            count = count.wrapping_add(1);
        }
    }

    /// A property key that is a one-byte string the realm keeps (see
    /// [`PropertyKeys`]), read as [`Self::value`] would; for any other key
    /// nothing is read.
    fn kept_key(&mut self, scope: &v8::PinScope<'s, '_>) -> Result<KeptKey<'b, 's>> {
        if self.data.get(self.pos) != Some(&b'"') {
            return Ok(KeptKey::Other);
        }
        let start = self.pos;
        self.pos += 1;
        let Ok(n) = self.length() else {
            // (read as any value, with its errors in their order)
            self.pos = start;
            return Ok(KeptKey::Other);
        };
        let bytes = self.bytes(n);
        if let Some(key) = self.keys.find(scope, bytes) {
            self.enter()?;
            self.depth -= 1;
            return Ok(KeptKey::Found(key));
        }
        self.pos = start;
        Ok(KeptKey::Missing(bytes))
    }

    fn object(&mut self, scope: &mut v8::PinScope<'s, '_>) -> Result<Read<'s>> {
        let o = v8::Object::new(scope);
        self.push(o.into());
        let count = self.properties(scope, o, b'{')?;
        if self.varint()? != count {
            return fail("property count mismatch");
        }
        Ok((o.into(), None))
    }

    fn set_length(
        &self,
        scope: &v8::PinScope<'s, '_>,
        a: v8::Local<'s, v8::Array>,
        length: u32,
    ) -> Result<()> {
        if a.length() != length {
            let key = v8::String::new(scope, "length").ok_or_else(thrown)?;
            let length = v8::Number::new(scope, f64::from(length));
            a.set(scope, key.into(), length.into()).ok_or_else(thrown)?;
        }
        Ok(())
    }

    fn array_trailer(&mut self, count: u32, length: u32) -> Result<()> {
        if self.varint()? != count || self.varint()? != length {
            return fail("array length mismatch");
        }
        Ok(())
    }

    fn dense_array(&mut self, scope: &mut v8::PinScope<'s, '_>) -> Result<Read<'s>> {
        let length = self.length()? as u32; // each element takes at least one byte
        let a = v8::Array::new(scope, 0);
        self.push(a.into());
        for i in 0..length {
            let hole = match self.data.get(self.pos) {
                Some(&b'-') => true,
                Some(&0) => self.peek_tag() == Some(b'-'),
                _ => false,
            };
            if hole {
                self.read_tag()?;
            } else {
                let v = self.value(scope)?;
                a.set_index(scope, i, v).ok_or_else(thrown)?;
            }
        }
        self.set_length(scope, a, length)?;
        let count = self.properties(scope, a.into(), b'$')?;
        self.array_trailer(count, length)?;
        Ok((a.into(), None))
    }

    fn sparse_array(&mut self, scope: &mut v8::PinScope<'s, '_>) -> Result<Read<'s>> {
        let length = self.varint()?;
        let a = v8::Array::new(scope, 0);
        self.set_length(scope, a, length)?;
        self.push(a.into());
        let count = self.properties(scope, a.into(), b'@')?;
        self.array_trailer(count, length)?;
        Ok((a.into(), None))
    }

    fn collection(&mut self, scope: &mut v8::PinScope<'s, '_>, is_map: bool) -> Result<Read<'s>> {
        let intrinsics = self.intrinsics;
        let (ctor, add, end_tag) = if is_map {
            (&intrinsics.new_map, &intrinsics.map_set, b':')
        } else {
            (&intrinsics.new_set, &intrinsics.set_add, b',')
        };
        let c = self.construct(scope, ctor, &[])?;
        self.push(c);
        let mut count: u32 = 0;
        while self.peek_tag() != Some(end_tag) {
            if is_map {
                let key = self.value(scope)?;
                let value = self.value(scope)?;
                call(scope, add, c, &[key, value])?;
                count = count.wrapping_add(2);
            } else {
                let value = self.value(scope)?;
                call(scope, add, c, &[value])?;
                count = count.wrapping_add(1);
            }
        }
        self.read_tag()?;
        if self.varint()? != count {
            return fail("collection size mismatch");
        }
        Ok((c, None))
    }

    fn array_buffer(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        resizable: bool,
    ) -> Result<v8::Local<'s, v8::Object>> {
        let byte_length = self.varint()?;
        let max_byte_length = if resizable {
            self.varint()?
        } else {
            byte_length
        };
        if byte_length as usize > self.remaining() || byte_length > max_byte_length {
            return fail("invalid ArrayBuffer length");
        }
        let bytes = self.bytes(byte_length as usize).to_vec();
        let buffer: v8::Local<v8::Object> = if resizable {
            let options = v8::Object::new(scope);
            let key = v8::String::new(scope, "maxByteLength").ok_or_else(thrown)?;
            let max = v8::Number::new(scope, f64::from(max_byte_length));
            options
                .create_data_property(scope, key.into(), max.into())
                .ok_or_else(thrown)?;
            let length = v8::Number::new(scope, f64::from(byte_length)).into();
            let buffer = self.construct(
                scope,
                &self.intrinsics.new_array_buffer,
                &[length, options.into()],
            )?;
            let buffer = v8::Local::<v8::Object>::try_from(buffer).map_err(|_| thrown())?;
            if !bytes.is_empty() {
                // SAFETY: constructed by the ArrayBuffer constructor.
                let ab = unsafe { v8::Local::<v8::ArrayBuffer>::cast_unchecked(buffer) };
                let data = ab
                    .data()
                    .filter(|_| ab.byte_length() >= bytes.len())
                    .ok_or_else(thrown)?;
                // SAFETY: the buffer holds at least `bytes.len()` bytes, which
                // nothing else accesses while they are copied.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        bytes.as_ptr(),
                        data.as_ptr() as *mut u8,
                        bytes.len(),
                    );
                }
            }
            buffer
        } else {
            let store = v8::ArrayBuffer::new_backing_store_from_vec(bytes).make_shared();
            v8::ArrayBuffer::with_backing_store(scope, &store).into()
        };
        self.objects.push(Slot::Buffer(buffer, resizable));
        Ok(buffer)
    }

    fn view(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        buffer: v8::Local<'s, v8::Object>,
        resizable: bool,
    ) -> Result<v8::Local<'s, v8::Value>> {
        let tag = self.varint()?;
        let offset = self.varint()?;
        let byte_length = self.varint()?;
        // SAFETY: `Slot::Buffer`s hold ArrayBuffers.
        let ab = unsafe { v8::Local::<v8::ArrayBuffer>::cast_unchecked(buffer) };
        let ab_length = ab.byte_length();
        if offset as usize > ab_length || byte_length as usize > ab_length - offset as usize {
            return fail("view out of bounds");
        }
        let flags = if self.version >= 14 {
            self.varint()?
        } else {
            0
        };
        let tracking = flags & 1 != 0;
        if (flags & 3 != 0 && !resizable) || (resizable && flags & 2 == 0) {
            return fail("invalid view flags");
        }
        let Some((_, ctor, size)) = self
            .intrinsics
            .view_ctors
            .iter()
            .find(|(t, _, _)| *t == tag)
        else {
            return fail("unknown view type");
        };
        let size = (*size).max(1);
        if offset % size != 0 || byte_length % size != 0 {
            return fail("misaligned view");
        }
        let offset_arg = v8::Number::new(scope, f64::from(offset)).into();
        let view = if tracking {
            self.construct(scope, ctor, &[buffer.into(), offset_arg])?
        } else {
            let length = if tag == DATA_VIEW_TAG {
                byte_length
            } else {
                byte_length / size
            };
            let length = v8::Number::new(scope, f64::from(length)).into();
            self.construct(scope, ctor, &[buffer.into(), offset_arg, length])?
        };
        self.push(view);
        Ok(view)
    }

    /// A host object (`\`), which takes an id before its contents are read.
    fn host_object(&mut self, scope: &mut v8::PinScope<'s, '_>) -> Result<Read<'s>> {
        let id = self.reserve();
        let object = match self.host {
            HostObjects::Deno => self.deno_host_object(scope)?,
            HostObjects::Node { buffer, source } => self.node_view(scope, buffer, source)?,
        };
        self.fill(id, object);
        Ok((object, None))
    }

    /// varint 0xFFFFFFFF, then a snapshot that the deserializer registered
    /// for its `type` turns back into the object.
    fn deno_host_object(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
    ) -> Result<v8::Local<'s, v8::Value>> {
        if self.varint()? != u32::MAX {
            return fail("host object without a snapshot");
        }
        let snapshot = self.value(scope)?;
        let reader = self.intrinsics.host_object_reader.borrow().clone();
        let Some(reader) = reader else {
            return fail("host objects are not supported here");
        };
        let undefined = v8::undefined(scope).into();
        let object = call(scope, &reader, undefined, &[snapshot])?;
        if !object.is_object() {
            return fail("host object of an unknown type");
        }
        Ok(object)
    }

    /// Node's layout: type index, byte length, bytes. The view is on the
    /// input's own buffer when `source` gives it and the bytes are aligned
    /// for the view's elements, else on a copy.
    fn node_view(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        buffer_class: Option<v8::Local<'s, v8::Function>>,
        source: Option<(v8::Local<'s, v8::ArrayBuffer>, usize)>,
    ) -> Result<v8::Local<'s, v8::Value>> {
        let index = self.varint()?;
        let byte_length = self.length()?;
        let start = self.pos;
        let bytes = self.bytes(byte_length);
        let (ctor, size) = if index == super::node::BUFFER_INDEX {
            match buffer_class {
                Some(class) => (class, 1),
                None => return fail("Buffer is not available"),
            }
        } else {
            let tag = super::node::view_tag(index);
            let found = tag.and_then(|tag| {
                self.intrinsics
                    .view_ctors
                    .iter()
                    .find(|(t, _, _)| *t == tag)
            });
            let Some((tag, ctor, size)) = found else {
                return fail("unknown host object type");
            };
            let size = if *tag == DATA_VIEW_TAG {
                1
            } else {
                (*size).max(1)
            };
            (v8::Local::new(scope, ctor), size)
        };
        if byte_length % size as usize != 0 {
            return fail("misaligned view");
        }
        let (ab, offset) = match source {
            Some((ab, base)) if (base + start).is_multiple_of(size as usize) => (ab, base + start),
            _ => {
                let store =
                    v8::ArrayBuffer::new_backing_store_from_vec(bytes.to_vec()).make_shared();
                (v8::ArrayBuffer::with_backing_store(scope, &store), 0)
            }
        };
        let offset = v8::Number::new(scope, offset as f64).into();
        let length = v8::Number::new(scope, (byte_length / size as usize) as f64).into();
        Ok(ctor
            .new_instance(scope, &[ab.into(), offset, length])
            .ok_or_else(thrown)?
            .into())
    }

    fn regexp(&mut self, scope: &mut v8::PinScope<'s, '_>) -> Result<Read<'s>> {
        let id = self.reserve();
        let pattern = self.string(scope)?;
        let bits = self.varint()?;
        if bits & !REGEXP_VALID_FLAGS != 0 {
            return fail("invalid regexp flags");
        }
        let flags: String = REGEXP_FLAGS
            .iter()
            .filter(|(bit, _)| bits & bit != 0)
            .map(|(_, c)| c)
            .collect();
        let flags = v8::String::new(scope, &flags).ok_or_else(thrown)?.into();
        let ctor = v8::Local::new(scope, &self.intrinsics.new_regexp);
        let re = {
            v8::tc_scope!(let scope, scope);
            match ctor.new_instance(scope, &[pattern, flags]) {
                Some(re) => re,
                None if scope.has_terminated() => return Err(thrown()),
                None => return fail("invalid regexp"),
            }
        };
        self.fill(id, re.into());
        Ok((re.into(), None))
    }

    fn set_hidden(
        &self,
        scope: &v8::PinScope<'s, '_>,
        o: v8::Local<'s, v8::Value>,
        key: &str,
        value: v8::Local<'s, v8::Value>,
    ) -> Result<()> {
        let key = v8::String::new(scope, key).ok_or_else(thrown)?.into();
        let undefined = v8::undefined(scope).into();
        call(
            scope,
            &self.intrinsics.set_hidden,
            undefined,
            &[o, key, value],
        )?;
        Ok(())
    }

    fn error(&mut self, scope: &mut v8::PinScope<'s, '_>) -> Result<Read<'s>> {
        let id = self.reserve(); // a reference before creation is invalid
        let intrinsics = self.intrinsics;
        let mut tag = self.varint()?;
        let ctor = match intrinsics
            .error_ctors
            .iter()
            .find(|(t, _)| *t != 0 && *t == tag)
        {
            Some((_, ctor)) => {
                tag = self.varint()?;
                ctor
            }
            None => match intrinsics.error_ctors.iter().find(|(t, _)| *t == 0) {
                Some((_, ctor)) => ctor,
                None => return Err(thrown()),
            },
        };
        let mut message = None;
        if tag == u32::from(b'm') {
            message = Some(self.string(scope)?);
            tag = self.varint()?;
        }
        let e = match message {
            Some(message) => self.construct(scope, ctor, &[message])?,
            None => self.construct(scope, ctor, &[])?,
        };
        self.fill(id, e);
        // Format 16 writes the stack before the cause, 15 after: accept both.
        let mut stack = None;
        if tag == u32::from(b's') {
            stack = Some(self.string(scope)?);
            tag = self.varint()?;
        }
        if tag == u32::from(b'c') {
            let cause = self.value(scope)?;
            self.set_hidden(scope, e, "cause", cause)?;
            tag = self.varint()?;
            if tag == u32::from(b's') && stack.is_none() {
                stack = Some(self.string(scope)?);
                tag = self.varint()?;
            }
        }
        if tag != u32::from(b'.') {
            return fail("invalid error tag");
        }
        let stack = stack.unwrap_or_else(|| v8::undefined(scope).into());
        self.set_hidden(scope, e, "stack", stack)?;
        Ok((e, None))
    }
}
