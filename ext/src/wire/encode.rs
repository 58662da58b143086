//! Serialization: a JavaScript value to wire bytes.

use std::collections::HashMap;

use deno_core::v8;

use super::intrinsics::{self, Intrinsics, Kind, ProtoKind};
use super::{call, thrown, ErrorClass, HostObjects, WireError, MAX_DEPTH};

type Result<T> = std::result::Result<T, WireError>;

/// A failed engine call: JavaScript threw (the caller's `TryCatch` has it).
/// Serializes `value` exactly as V8's ValueSerializer does for Deno KV
/// (`Deno.core.serialize(value, { forStorage: true })`, format version 16).
///
/// Values structured clone refuses (functions, symbols, `WeakMap`, `Promise`,
/// ...) give [`WireError::Refused`] with V8's `TypeError` message, a plain
/// `Error` for a `SharedArrayBuffer`. An exception thrown by JavaScript run
/// meanwhile (a getter) is rethrown and gives [`WireError::Exception`].
pub(crate) fn serialize<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
    limit: usize,
) -> Result<Vec<u8>> {
    serialize_with(scope, value, limit, HostObjects::Deno)
}

/// Serializes `value` like [`serialize`], with host objects in the given
/// dialect.
pub(super) fn serialize_with<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
    limit: usize,
    host: HostObjects<'s>,
) -> Result<Vec<u8>> {
    let intrinsics = intrinsics::get(scope)?;
    v8::tc_scope!(let scope, scope);
    let mut writer = Encoder {
        intrinsics: &intrinsics,
        buf: Vec::with_capacity(64),
        ids: HashMap::new(),
        id_collisions: Vec::new(),
        next_id: 0,
        depth: 0,
        stack_base: super::stack_position(),
        text: Vec::new(),
        limit,
        host,
    };
    writer.buf.push(0xff);
    writer.varint(host.header_version());
    match writer.value(scope, value) {
        Ok(()) => Ok(writer.buf),
        Err(WireError::Exception) => {
            if scope.has_caught() || scope.has_terminated() {
                scope.rethrow();
                Err(WireError::Exception)
            } else {
                Err(WireError::Refused {
                    class: ErrorClass::Error,
                    message: "Failed to serialize value".into(),
                })
            }
        }
        Err(err) => Err(err),
    }
}

/// Whether V8 keeps `n` as a Smi (an int32 other than `-0`).
fn is_smi(n: f64) -> bool {
    n as i32 as f64 == n && !(n == 0.0 && n.is_sign_negative())
}

/// The array index a property key string stands for, if it is one
/// (canonical decimal below 2^32 - 1), as V8's KeyAccumulator sees it.
fn array_index(key: &[u8]) -> Option<u32> {
    if key.is_empty() || key.len() > 10 || (key.len() > 1 && key[0] == b'0') {
        return None;
    }
    let mut n: u64 = 0;
    for &c in key {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    u32::try_from(n).ok().filter(|&n| n != u32::MAX)
}

/// The UTF-8 bytes of `s` into `out`, lone surrogates replaced by U+FFFD.
fn read_utf8(scope: &v8::PinScope<'_, '_>, s: v8::Local<v8::String>, out: &mut Vec<u8>) {
    let mut capacity = out.capacity().max(64);
    loop {
        out.clear();
        out.resize(capacity, 0);
        let written = s.write_utf8_v2(scope, out, v8::WriteFlags::kReplaceInvalidUtf8, None);
        // A character that did not fit takes at most 4 bytes.
        if written + 4 <= capacity {
            out.truncate(written);
            return;
        }
        capacity = (capacity * 2).max(s.utf8_length(scope) + 4);
    }
}

/// A Rust copy of a JavaScript string (lossy for lone surrogates).
pub(super) fn rust_string(scope: &v8::PinScope<'_, '_>, value: v8::Local<v8::Value>) -> String {
    match v8::Local::<v8::String>::try_from(value) {
        Ok(s) => {
            let mut buf = Vec::new();
            read_utf8(scope, s, &mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        }
        Err(_) => String::new(),
    }
}

/// How an array is written.
struct ArrayShape<'s> {
    length: u32,
    keys: v8::Local<'s, v8::Array>,
    /// Written as `a` (holey elements kind), else as `A`.
    sparse: bool,
    /// Double elements: every element written as `N`.
    doubles: bool,
    /// The elements, when dense.
    elements: Vec<v8::Local<'s, v8::Value>>,
}

struct Encoder<'a, 's> {
    intrinsics: &'a Intrinsics,
    buf: Vec<u8>,
    /// Receivers written so far, by identity hash, with their ids.
    ids: HashMap<i32, (v8::Local<'s, v8::Object>, u32)>,
    /// Receivers whose identity hash was already taken.
    id_collisions: Vec<(i32, v8::Local<'s, v8::Object>, u32)>,
    next_id: u32,
    depth: u32,
    /// The native stack position where writing started.
    stack_base: usize,
    /// Scratch: the UTF-8 of the string being written.
    text: Vec<u8>,
    /// Writing stops with [`WireError::TooLarge`] once the output would
    /// exceed this many bytes: an oversized value is refused while it is
    /// written, with bounded memory.
    limit: usize,
    /// The dialect of host objects.
    host: HostObjects<'s>,
}

impl<'s> Encoder<'_, 's> {
    /// Unsigned LEB128.
    fn varint(&mut self, mut u: u32) {
        while u >= 0x80 {
            self.buf.push((u as u8 & 0x7f) | 0x80);
            u >>= 7;
        }
        self.buf.push(u as u8);
    }

    fn double(&mut self, tag: u8, d: f64) {
        self.buf.push(tag);
        self.buf.extend_from_slice(&d.to_le_bytes());
    }

    fn end(&mut self, tag: u8, count: u32, length: Option<u32>) {
        self.buf.push(tag);
        self.varint(count);
        if let Some(length) = length {
            self.varint(length);
        }
    }

    fn refused(
        &self,
        scope: &v8::PinScope<'s, '_>,
        class: ErrorClass,
        v: v8::Local<'s, v8::Value>,
    ) -> WireError {
        let undefined = v8::undefined(scope).into();
        match call(scope, &self.intrinsics.describe, undefined, &[v]) {
            Ok(text) => WireError::Refused {
                class,
                message: format!("{} could not be cloned.", rust_string(scope, text)),
            },
            Err(err) => err,
        }
    }

    /// V8 refuses a proxy without running its traps, describing its
    /// (innermost) target: `#<Object> could not be cloned.`,
    /// `[object Array] could not be cloned.`, `()=>1 could not be cloned.`
    fn refused_proxy(
        &self,
        scope: &v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
    ) -> WireError {
        let mut current: v8::Local<'s, v8::Value> = object.into();
        for _ in 0..10_000 {
            let Ok(proxy) = v8::Local::<v8::Proxy>::try_from(current) else {
                break;
            };
            if proxy.is_revoked() {
                return WireError::Refused {
                    class: ErrorClass::TypeError,
                    message: "#<Object> could not be cloned.".into(),
                };
            }
            current = proxy.get_target(scope);
        }
        if current.is_proxy() {
            return WireError::Refused {
                class: ErrorClass::TypeError,
                message: "#<Object> could not be cloned.".into(),
            };
        }
        if current.is_array() {
            return WireError::Refused {
                class: ErrorClass::TypeError,
                message: "[object Array] could not be cloned.".into(),
            };
        }
        self.refused(scope, ErrorClass::TypeError, current)
    }

    /// Fails with [`WireError::TooLarge`] unless `at_least` more bytes fit
    /// within the limit.
    fn reserve(&self, at_least: usize) -> Result<()> {
        if self.buf.len().saturating_add(at_least) > self.limit {
            return Err(WireError::TooLarge);
        }
        Ok(())
    }

    fn value(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        v: v8::Local<'s, v8::Value>,
    ) -> Result<()> {
        self.reserve(1)?;
        match v8::Local::<v8::Object>::try_from(v) {
            Ok(object) => self.object_value(scope, object),
            Err(_) => self.primitive(scope, v),
        }
    }

    fn primitive(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        v: v8::Local<'s, v8::Value>,
    ) -> Result<()> {
        if let Ok(n) = v8::Local::<v8::Number>::try_from(v) {
            let n = n.value();
            if is_smi(n) {
                let i = n as i32;
                self.buf.push(b'I');
                self.varint(((i << 1) ^ (i >> 31)) as u32);
            } else {
                self.double(b'N', n);
            }
        } else if let Ok(s) = v8::Local::<v8::String>::try_from(v) {
            self.string(scope, s)?;
        } else if v.is_boolean() {
            self.buf.push(if v.is_true() { b'T' } else { b'F' });
        } else if v.is_undefined() {
            self.buf.push(b'_');
        } else if v.is_big_int() {
            self.buf.push(b'Z');
            self.bigint_body(scope, v)?;
        } else if v.is_null() {
            self.buf.push(b'0');
        } else {
            return Err(self.refused(scope, ErrorClass::TypeError, v)); // symbol
        }
        Ok(())
    }

    fn object_value(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
    ) -> Result<()> {
        if object.is_proxy() {
            return Err(self.refused_proxy(scope, object));
        }
        if object.is_function() {
            return Err(self.refused(scope, ErrorClass::TypeError, object.into()));
        }
        let hash = object.get_identity_hash().get();
        if let Some(id) = self.id_of(hash, object) {
            self.buf.push(b'^');
            self.varint(id);
            return Ok(());
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH || super::stack_exhausted(self.stack_base) {
            return Err(WireError::Refused {
                class: ErrorClass::RangeError,
                message: "Maximum call stack size exceeded".into(),
            });
        }
        let result = self.object(scope, object, hash);
        self.depth -= 1;
        result
    }

    fn object(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
        hash: i32,
    ) -> Result<()> {
        let (kind, inner) = self.classify(scope, object)?;
        if let (Kind::View, HostObjects::Node { buffer, .. }) = (kind, self.host) {
            self.assign_id(hash, object);
            return self.node_view(scope, object, buffer);
        }
        if kind != Kind::View {
            self.assign_id(hash, object); // (a view's buffer takes the id before the view)
        }
        if matches!(kind, Kind::Plain | Kind::Error) && matches!(self.host, HostObjects::Deno) {
            if let Some(snapshot) = self.host_snapshot(scope, object)? {
                self.buf.push(b'\\');
                self.varint(u32::MAX);
                return self.value(scope, snapshot);
            }
        }
        match kind {
            Kind::Array => self.array(scope, object),
            Kind::View => self.view(scope, object, hash),
            Kind::Plain => self.plain_object(scope, object),
            Kind::Map | Kind::Set => self.collection(scope, object, kind == Kind::Map),
            Kind::Error => self.error(scope, object),
            _ => self.leaf_receiver(scope, object, kind, inner),
        }
    }

    /// The snapshot a Deno host object gives of itself (what its
    /// `Symbol.for("Deno.core.hostObject")` method returns), or `None` when
    /// `object` has no such brand (V8 asks for ordinary objects and errors,
    /// looking up the prototype chain). A brand that is not a function is
    /// refused as deno_core does.
    fn host_snapshot(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
    ) -> Result<Option<v8::Local<'s, v8::Value>>> {
        let brand = v8::Local::new(scope, &self.intrinsics.host_object_brand);
        if !object.has(scope, brand).ok_or_else(thrown)? {
            return Ok(None);
        }
        let method = object.get(scope, brand).ok_or_else(thrown)?;
        let Ok(method) = v8::Local::<v8::Function>::try_from(method) else {
            return Err(WireError::Refused {
                class: ErrorClass::TypeError,
                message: "Unsupported object type".into(),
            });
        };
        Ok(Some(
            method.call(scope, object.into(), &[]).ok_or_else(thrown)?,
        ))
    }

    /// node:v8's layout of an ArrayBufferView: `\` type-index byte-length
    /// bytes (index 10 for node:buffer's `Buffer`, as `DefaultSerializer`
    /// decides it: by the view's `constructor`).
    fn node_view(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        view: v8::Local<'s, v8::Object>,
        buffer_class: Option<v8::Local<'s, v8::Function>>,
    ) -> Result<()> {
        let undefined = v8::undefined(scope).into();
        let info = call(scope, &self.intrinsics.view_info, undefined, &[view.into()])?;
        let info = v8::Local::<v8::Array>::try_from(info).map_err(|_| thrown())?;
        let tag = info.get_index(scope, 1).ok_or_else(thrown)?;
        let tag = tag.number_value(scope).ok_or_else(thrown)? as u32;
        let mut index = super::node::view_index(tag);
        if let Some(class) = buffer_class {
            let key = v8::String::new(scope, "constructor").ok_or_else(thrown)?;
            let constructor = view.get(scope, key.into()).ok_or_else(thrown)?;
            if constructor.strict_equals(class.into()) {
                index = Some(super::node::BUFFER_INDEX);
            }
        }
        let Some(index) = index else {
            return Err(WireError::Refused {
                class: ErrorClass::Error,
                message: "Unserializable host object".into(),
            });
        };
        let view: v8::Local<v8::Value> = view.into();
        let view = v8::Local::<v8::ArrayBufferView>::try_from(view).map_err(|_| thrown())?;
        let length = view.byte_length();
        self.reserve(length.saturating_add(11))?;
        let mut bytes = vec![0u8; length];
        let copied = view.copy_contents(&mut bytes);
        bytes.truncate(copied);
        self.buf.push(b'\\');
        self.varint(index);
        self.varint(bytes.len() as u32);
        self.buf.extend_from_slice(&bytes);
        Ok(())
    }

    /// Whether the predicate `f` holds for `object`.
    fn is(
        &self,
        scope: &v8::PinScope<'s, '_>,
        f: &v8::Global<v8::Function>,
        object: v8::Local<'s, v8::Object>,
    ) -> Result<bool> {
        let undefined = v8::undefined(scope).into();
        Ok(call(scope, f, undefined, &[object.into()])?.is_true())
    }

    fn id_of(&self, hash: i32, object: v8::Local<'s, v8::Object>) -> Option<u32> {
        let (first, id) = self.ids.get(&hash)?;
        if *first == object {
            return Some(*id);
        }
        self.id_collisions
            .iter()
            .find(|(h, o, _)| *h == hash && *o == object)
            .map(|(_, _, id)| *id)
    }

    fn assign_id(&mut self, hash: i32, object: v8::Local<'s, v8::Object>) {
        let id = self.next_id;
        self.next_id += 1;
        match self.ids.entry(hash) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.id_collisions.push((hash, object, id))
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert((object, id));
            }
        }
    }

    fn string(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        s: v8::Local<'s, v8::String>,
    ) -> Result<()> {
        // (every UTF-16 unit takes at least one byte)
        self.reserve(s.length())?;
        let mut text = std::mem::take(&mut self.text);
        read_utf8(scope, s, &mut text);
        let result = self.loaded_string(scope, s, &text);
        self.text = text;
        result
    }

    /// Writes `s`, whose UTF-8 (lone surrogates replaced) is `text`.
    fn loaded_string(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        s: v8::Local<'s, v8::String>,
        text: &[u8],
    ) -> Result<()> {
        if text.is_ascii() {
            self.buf.push(b'"');
            self.varint(text.len() as u32);
            self.buf.extend_from_slice(text);
            return Ok(());
        }
        // U+FFFD may stand for a lone surrogate: ask for the code units.
        let exact = match std::str::from_utf8(text) {
            Ok(text) if !text.contains('\u{fffd}') => Some(text),
            _ => None,
        };
        let Some(text) = exact else {
            let codes = self.string_codes(scope, s)?;
            self.utf16_string(&codes);
            return Ok(());
        };
        if text.chars().all(|c| (c as u32) <= 0xff) {
            self.buf.push(b'"');
            self.varint(text.chars().count() as u32);
            self.buf.extend(text.chars().map(|c| c as u32 as u8));
            return Ok(());
        }
        let codes: Vec<u16> = text.encode_utf16().collect();
        self.two_byte_string(&codes);
        Ok(())
    }

    fn string_codes(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        s: v8::Local<'s, v8::String>,
    ) -> Result<Vec<u16>> {
        let undefined = v8::undefined(scope).into();
        let codes = call(scope, &self.intrinsics.string_codes, undefined, &[s.into()])?;
        let codes = v8::Local::<v8::ArrayBufferView>::try_from(codes).map_err(|_| thrown())?;
        let mut bytes = vec![0u8; codes.byte_length()];
        let n = codes.copy_contents(&mut bytes);
        Ok(bytes[..n]
            .chunks_exact(2)
            .map(|pair| u16::from_ne_bytes([pair[0], pair[1]]))
            .collect())
    }

    /// One-byte `"` when every code unit fits Latin-1, else two-byte.
    fn utf16_string(&mut self, codes: &[u16]) {
        if codes.iter().all(|&c| c <= 0xff) {
            self.buf.push(b'"');
            self.varint(codes.len() as u32);
            self.buf.extend(codes.iter().map(|&c| c as u8));
        } else {
            self.two_byte_string(codes);
        }
    }

    /// `c` (UTF-16LE), preceded by a `\0` padding tag when needed to 2-align
    /// the character data.
    fn two_byte_string(&mut self, codes: &[u16]) {
        let byte_length = (codes.len() * 2) as u32;
        let varint_size = match byte_length {
            0..=0x7f => 1,
            0x80..=0x3fff => 2,
            0x4000..=0x1f_ffff => 3,
            0x20_0000..=0xfff_ffff => 4,
            _ => 5,
        };
        if (self.buf.len() + 1 + varint_size) & 1 == 1 {
            self.buf.push(0);
        }
        self.buf.push(b'c');
        self.varint(byte_length);
        for &c in codes {
            self.buf.extend_from_slice(&c.to_le_bytes());
        }
    }

    /// Bitfield (byteLength << 1 | sign) then the magnitude as 64-bit LE
    /// digits.
    fn bigint_body(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        b: v8::Local<'s, v8::Value>,
    ) -> Result<()> {
        let undefined = v8::undefined(scope).into();
        let hex = call(scope, &self.intrinsics.bigint_hex, undefined, &[b])?;
        let hex = rust_string(scope, hex);
        let (negative, digits) = match hex.strip_prefix('-') {
            Some(digits) => (true, digits),
            None => (false, hex.as_str()),
        };
        let digits = digits.trim_start_matches('0').as_bytes();
        let byte_length = digits.len().div_ceil(16) * 8;
        let bitfield = u32::try_from(byte_length * 2 + usize::from(negative)).map_err(|_| {
            WireError::Refused {
                class: ErrorClass::RangeError,
                message: "BigInt too big to serialize".into(),
            }
        })?;
        self.varint(bitfield);
        let nibble = |c: u8| -> u8 {
            match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => 0,
            }
        };
        // Little-endian: two hex digits per byte, from the last digit.
        let mut end = digits.len();
        for _ in 0..byte_length {
            let lo = if end > 0 { nibble(digits[end - 1]) } else { 0 };
            let hi = if end > 1 { nibble(digits[end - 2]) } else { 0 };
            self.buf.push(hi << 4 | lo);
            end = end.saturating_sub(2);
        }
        Ok(())
    }

    /// Property keys that are array indices are written as numbers, like
    /// V8's KeyAccumulator does (Smi when <= 2^31-1, HeapNumber above).
    fn key(&mut self, scope: &mut v8::PinScope<'s, '_>, k: v8::Local<'s, v8::Value>) -> Result<()> {
        if let Ok(n) = v8::Local::<v8::Number>::try_from(k) {
            let n = n.value();
            if (0.0..=f64::from(u32::MAX - 1)).contains(&n) && n.fract() == 0.0 {
                self.index_key(n as u32);
            } else {
                self.double(b'N', n);
            }
            return Ok(());
        }
        let s = v8::Local::<v8::String>::try_from(k).map_err(|_| thrown())?;
        let mut text = std::mem::take(&mut self.text);
        read_utf8(scope, s, &mut text);
        let result = match array_index(&text) {
            Some(index) => {
                self.index_key(index);
                Ok(())
            }
            None => self.loaded_string(scope, s, &text),
        };
        self.text = text;
        result
    }

    fn index_key(&mut self, index: u32) {
        if index <= 0x7fff_ffff {
            self.buf.push(b'I');
            self.varint(index * 2);
        } else {
            self.double(b'N', f64::from(index));
        }
    }

    /// The own enumerable string-keyed property names of `object`, in order.
    fn keys(
        &self,
        scope: &v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
    ) -> Result<v8::Local<'s, v8::Array>> {
        let args = v8::GetPropertyNamesArgs {
            mode: v8::KeyCollectionMode::OwnOnly,
            property_filter: v8::PropertyFilter::ONLY_ENUMERABLE | v8::PropertyFilter::SKIP_SYMBOLS,
            index_filter: v8::IndexFilter::IncludeIndices,
            key_conversion: v8::KeyConversionMode::KeepNumbers,
        };
        object
            .get_own_property_names(scope, args)
            .ok_or_else(thrown)
    }

    /// Writes `keys[start..]` with their values; a key whose property
    /// vanished meanwhile (a getter deleted it) is skipped. Returns the count
    /// written.
    fn properties(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
        keys: v8::Local<'s, v8::Array>,
        start: u32,
    ) -> Result<u32> {
        let mut count = 0;
        for i in start..keys.length() {
            let k = keys.get_index(scope, i).ok_or_else(thrown)?;
            let v = object.get(scope, k).ok_or_else(thrown)?;
            if v.is_undefined() {
                let name: v8::Local<v8::Name> = match v8::Local::<v8::String>::try_from(k) {
                    Ok(s) => s.into(),
                    Err(_) => k.to_string(scope).ok_or_else(thrown)?.into(),
                };
                if !object.has_own_property(scope, name).ok_or_else(thrown)? {
                    continue;
                }
            }
            self.key(scope, k)?;
            self.value(scope, v)?;
            count += 1;
        }
        Ok(count)
    }

    /// V8 writes packed arrays densely (`A`) and holey or frozen/sealed
    /// ones sparsely (`a`).
    /// The elements kind is history, not content; this follows an array built
    /// in index order (push, literals of computed values): V8 >= 15 keeps
    /// undefined in (holey) double elements, so an undefined met while every
    /// earlier element was a number makes the array holey for good. A packed
    /// array of numbers with any non-Smi has double elements: all written as
    /// `N`.
    fn array(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        a: v8::Local<'s, v8::Object>,
    ) -> Result<()> {
        let shape = self.array_shape(scope, a)?;
        if shape.sparse {
            self.buf.push(b'a');
            self.varint(shape.length);
            let count = self.properties(scope, a, shape.keys, 0)?;
            self.end(b'@', count, Some(shape.length));
            return Ok(());
        }
        self.buf.push(b'A');
        self.varint(shape.length);
        if shape.doubles {
            for e in shape.elements {
                let n = e.number_value(scope).ok_or_else(thrown)?;
                self.double(b'N', n);
            }
        } else {
            for e in shape.elements {
                self.value(scope, e)?;
            }
        }
        let count = self.properties(scope, a, shape.keys, shape.length)?;
        self.end(b'$', count, Some(shape.length));
        Ok(())
    }

    /// How V8 would write array `a` (see [`Encoder::array`]), with its
    /// elements when it is dense.
    fn array_shape(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        a: v8::Local<'s, v8::Object>,
    ) -> Result<ArrayShape<'s>> {
        let length = match v8::Local::<v8::Array>::try_from(a) {
            Ok(array) => array.length(),
            Err(_) => {
                // a proxy for an array
                let key = v8::String::new(scope, "length").ok_or_else(thrown)?;
                let length = a.get(scope, key.into()).ok_or_else(thrown)?;
                length.number_value(scope).ok_or_else(thrown)? as u32
            }
        };
        if (length as usize).saturating_add(self.buf.len()) > self.limit {
            // Too long to write densely. Before listing its keys (millions
            // of them), count its elements up to what could still fit.
            // The scan is bounded: a dense array is found too large within
            // `room + 1` probes; a sparse one (few elements, a huge length)
            // stops after a few times `room` probes and is written from its
            // keys, which are few.
            let room = self.limit.saturating_sub(self.buf.len());
            let probes = (length as usize).min(room.saturating_mul(4).saturating_add(1024));
            let mut present = 0usize;
            for i in 0..probes as u32 {
                if a.has_index(scope, i).ok_or_else(thrown)? {
                    present += 1;
                    if present > room {
                        return Err(WireError::TooLarge);
                    }
                }
            }
        }
        let keys = self.keys(scope, a)?;
        // Frozen, sealed and non-extensible arrays have elements kinds V8
        // does not count as fast: written sparsely whatever they hold.
        let mut sparse =
            keys.length() < length || !self.is(scope, &self.intrinsics.is_extensible, a)?;
        let mut only_numbers = true;
        let mut any_double = false;
        let mut elements = Vec::new();
        let mut i = 0;
        while !sparse && i < length {
            let e = a.get_index(scope, i).ok_or_else(thrown)?;
            if let Ok(n) = v8::Local::<v8::Number>::try_from(e) {
                if !any_double && !is_smi(n.value()) {
                    any_double = true;
                }
            } else {
                if e.is_undefined()
                    && (only_numbers || !a.has_index(scope, i).ok_or_else(thrown)?)
                {
                    sparse = true;
                }
                only_numbers = false;
            }
            elements.push(e);
            i += 1;
        }
        Ok(ArrayShape {
            length,
            keys,
            sparse,
            doubles: only_numbers && any_double,
            elements,
        })
    }

    /// `V` subtag offset length flags, right after its buffer (written or
    /// `^`).
    fn view(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        view: v8::Local<'s, v8::Object>,
        hash: i32,
    ) -> Result<()> {
        let undefined = v8::undefined(scope).into();
        let info = call(scope, &self.intrinsics.view_info, undefined, &[view.into()])?;
        let info = v8::Local::<v8::Array>::try_from(info).map_err(|_| thrown())?;
        let mut fields = [0f64; 4];
        for (i, field) in fields.iter_mut().enumerate() {
            let v = info.get_index(scope, i as u32 + 1).ok_or_else(thrown)?;
            *field = v.number_value(scope).ok_or_else(thrown)?;
        }
        let buffer = info.get_index(scope, 0).ok_or_else(thrown)?;
        self.value(scope, buffer)?;
        self.assign_id(hash, view);
        let [tag, offset, byte_length, flags] = fields;
        if flags < 0.0 {
            return Err(self.refused(scope, ErrorClass::TypeError, view.into()));
        }
        self.buf.push(b'V');
        self.buf.push(tag as u8);
        self.varint(offset as u32);
        self.varint(byte_length as u32);
        self.varint(flags as u32);
        Ok(())
    }

    /// Brand-checks `object` against a known prototype: its kind and the
    /// brand call's result, or [`Kind::Plain`] when it is not really one.
    fn brand(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
        entry: &ProtoKind,
    ) -> Result<(Kind, Option<v8::Local<'s, v8::Value>>)> {
        let Some(brand) = &entry.brand else {
            return Ok((entry.kind, None));
        };
        // An error whose prototype has its own toStringTag (DOMException)
        // fails the tag-based check but is an error all the same.
        if entry.kind == Kind::Error && object.is_native_error() {
            return Ok((Kind::Error, None));
        }
        let brand = v8::Local::new(scope, brand);
        let token = v8::Local::new(scope, &self.intrinsics.brand_token);
        v8::tc_scope!(let scope, scope);
        match brand.call(scope, object.into(), &[token]) {
            Some(inner) => Ok((entry.kind, Some(inner))),
            None if scope.has_terminated() => Err(thrown()),
            None => Ok((Kind::Plain, None)),
        }
    }

    /// The kind of an object, and the value its brand check gave. Receivers
    /// that are not arrays or views are found by walking the prototype
    /// chain, then confirmed with a brand check (a failed brand check means
    /// "ordinary object", as in V8).
    fn classify(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
    ) -> Result<(Kind, Option<v8::Local<'s, v8::Value>>)> {
        let intrinsics = self.intrinsics;
        if object.is_array()
            || (object.is_proxy() && self.is(scope, &intrinsics.is_array, object)?)
        {
            return Ok((Kind::Array, None));
        }
        if object.is_typed_array() || self.is(scope, &intrinsics.is_view, object)? {
            return Ok((Kind::View, None));
        }
        let mut kind = Kind::Plain;
        let mut inner = None;
        let mut proto = object.get_prototype(scope).ok_or_else(thrown)?;
        // (a proxy can make the chain endless)
        for _ in 0..100_000 {
            let Ok(p) = v8::Local::<v8::Object>::try_from(proto) else {
                break;
            };
            if let Some(entry) = intrinsics.kind_of_proto(scope, p) {
                if entry.kind != Kind::Plain {
                    (kind, inner) = self.brand(scope, object, entry)?;
                }
                break;
            }
            proto = p.get_prototype(scope).ok_or_else(thrown)?;
        }
        if kind == Kind::Plain {
            // Slots outlive a changed prototype; the builtin tag also spots
            // `arguments` (and Boolean/Number/String.prototype, which are
            // wrappers themselves).
            let tag = call(scope, &intrinsics.obj_to_string, object.into(), &[])?;
            let plain_tag = v8::Local::new(scope, &intrinsics.object_object_tag);
            if !tag.same_value(plain_tag) {
                let tag = rust_string(scope, tag);
                let tagged = match tag.as_str() {
                    "[object Arguments]" => Some(Kind::Reject),
                    "[object Date]" => Some(Kind::Date),
                    "[object RegExp]" => Some(Kind::RegExp),
                    "[object Error]" => Some(Kind::Error),
                    "[object Boolean]" => Some(Kind::Boolean),
                    "[object Number]" => Some(Kind::Number),
                    "[object String]" => Some(Kind::String),
                    _ => None,
                };
                if tagged == Some(Kind::Reject) {
                    return Ok((Kind::Reject, None));
                }
                if let Some(entry) = tagged.and_then(|k| intrinsics.proto_of_kind(k)) {
                    (kind, inner) = self.brand(scope, object, entry)?;
                }
            }
            if intrinsics.is_global(scope, object) {
                return Ok((Kind::Reject, None));
            }
        }
        Ok((kind, inner))
    }

    /// `o` properties `{` count.
    fn plain_object(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
    ) -> Result<()> {
        self.buf.push(b'o');
        let keys = self.keys(scope, object)?;
        let count = self.properties(scope, object, keys, 0)?;
        self.end(b'{', count, None);
        Ok(())
    }

    /// `;` entries `:` count, or `'` values `,` count. The entries are
    /// snapshotted first: serializing them may run getters that mutate.
    fn collection(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
        is_map: bool,
    ) -> Result<()> {
        let intrinsics = self.intrinsics;
        let (snapshot, start, end) = if is_map {
            (&intrinsics.map_entries, b';', b':')
        } else {
            (&intrinsics.set_values, b'\'', b',')
        };
        // (each entry takes at least a byte per key and value)
        let expected = if let Ok(map) = v8::Local::<v8::Map>::try_from(object) {
            Some(map.size() * 2)
        } else {
            v8::Local::<v8::Set>::try_from(object)
                .ok()
                .map(|set| set.size())
        };
        if let Some(expected) = expected {
            self.reserve(expected)?;
        }
        let undefined = v8::undefined(scope).into();
        let entries = call(scope, snapshot, undefined, &[object.into()])?;
        let entries = v8::Local::<v8::Array>::try_from(entries).map_err(|_| thrown())?;
        // A snapshot cut short (QuickJS ran out of its JavaScript stack in
        // the middle of it without throwing) must not be written as a
        // smaller collection.
        if expected.is_some_and(|expected| expected != entries.length() as usize) {
            return Err(WireError::Refused {
                class: ErrorClass::RangeError,
                message: "Maximum call stack size exceeded".into(),
            });
        }
        self.buf.push(start);
        let count = entries.length();
        for i in 0..count {
            let e = entries.get_index(scope, i).ok_or_else(thrown)?;
            self.value(scope, e)?;
        }
        self.end(end, count, None);
        Ok(())
    }

    /// A receiver that holds no other value (or a refused one).
    fn leaf_receiver(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
        kind: Kind,
        inner: Option<v8::Local<'s, v8::Value>>,
    ) -> Result<()> {
        let intrinsics = self.intrinsics;
        let undefined: v8::Local<v8::Value> = v8::undefined(scope).into();
        let inner = inner.unwrap_or(undefined);
        match kind {
            Kind::Date => {
                let time = inner.number_value(scope).ok_or_else(thrown)?;
                self.double(b'D', time);
            }
            Kind::RegExp => {
                let flags = call(scope, &intrinsics.regexp_flags, undefined, &[object.into()])?;
                let flags = flags.number_value(scope).ok_or_else(thrown)? as u32;
                self.buf.push(b'R');
                let source = v8::Local::<v8::String>::try_from(inner).map_err(|_| thrown())?;
                self.string(scope, source)?;
                self.varint(flags);
            }
            Kind::ArrayBuffer => self.array_buffer(scope, object, inner)?,
            Kind::Number => {
                let n = inner.number_value(scope).ok_or_else(thrown)?;
                self.double(b'n', n);
            }
            Kind::String => {
                self.buf.push(b's');
                let s = v8::Local::<v8::String>::try_from(inner).map_err(|_| thrown())?;
                self.string(scope, s)?;
            }
            Kind::Boolean => self.buf.push(if inner.is_true() { b'y' } else { b'x' }),
            Kind::BigInt => {
                self.buf.push(b'z');
                self.bigint_body(scope, inner)?;
            }
            // Deno refuses SharedArrayBuffers for storage with a plain Error.
            Kind::SharedArrayBuffer => {
                return Err(self.refused(scope, ErrorClass::Error, object.into()))
            }
            Kind::Plain
            | Kind::Map
            | Kind::Set
            | Kind::Error
            | Kind::Array
            | Kind::View
            | Kind::Reject => {
                return Err(self.refused(scope, ErrorClass::TypeError, object.into()))
            }
        }
        Ok(())
    }

    /// `B` length bytes, or `~` length maxLength bytes when resizable.
    fn array_buffer(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
        byte_length: v8::Local<'s, v8::Value>,
    ) -> Result<()> {
        let undefined = v8::undefined(scope).into();
        let info = call(
            scope,
            &self.intrinsics.array_buffer_info,
            undefined,
            &[object.into(), byte_length],
        )?;
        let Ok(info) = v8::Local::<v8::Array>::try_from(info) else {
            return Err(WireError::Refused {
                class: ErrorClass::TypeError,
                message: "An ArrayBuffer is detached and could not be cloned.".into(),
            });
        };
        let resizable = info.get_index(scope, 0).ok_or_else(thrown)?.is_true();
        let max = info.get_index(scope, 1).ok_or_else(thrown)?;
        let max = max.number_value(scope).ok_or_else(thrown)? as u32;
        let length = byte_length.number_value(scope).ok_or_else(thrown)? as usize;
        if resizable {
            self.buf.push(b'~');
            self.varint(length as u32);
            self.varint(max);
        } else {
            self.buf.push(b'B');
            self.varint(length as u32);
        }
        if length == 0 {
            return Ok(());
        }
        // SAFETY: `object` passed the ArrayBuffer brand check (the
        // `ArrayBuffer.prototype.byteLength` getter accepted it).
        let buffer = unsafe { v8::Local::<v8::ArrayBuffer>::cast_unchecked(object) };
        let data = buffer.data().filter(|_| buffer.byte_length() >= length);
        let Some(data) = data else {
            return Err(WireError::Refused {
                class: ErrorClass::TypeError,
                message: "An ArrayBuffer is detached and could not be cloned.".into(),
            });
        };
        // SAFETY: the buffer holds at least `length` bytes, and no JavaScript
        // runs while they are copied.
        let bytes = unsafe { std::slice::from_raw_parts(data.as_ptr() as *const u8, length) };
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// `r` [prototype subtag] [`m` message] [`s` stack] [`c` cause] `.`
    /// (format 16 writes the stack before the cause; 15 wrote the cause
    /// first).
    fn error(
        &mut self,
        scope: &mut v8::PinScope<'s, '_>,
        e: v8::Local<'s, v8::Object>,
    ) -> Result<()> {
        let undefined = v8::undefined(scope).into();
        let parts = call(scope, &self.intrinsics.error_parts, undefined, &[e.into()])?;
        let parts = v8::Local::<v8::Array>::try_from(parts).map_err(|_| thrown())?;
        let mut fields = [undefined; 5];
        for (i, field) in fields.iter_mut().enumerate() {
            *field = parts.get_index(scope, i as u32).ok_or_else(thrown)?;
        }
        let [tag, message, stack, has_cause, cause] = fields;
        let tag = tag.number_value(scope).ok_or_else(thrown)? as u8;
        self.buf.push(b'r');
        if tag != 0 {
            self.buf.push(tag);
        }
        if let Ok(message) = v8::Local::<v8::String>::try_from(message) {
            self.buf.push(b'm');
            self.string(scope, message)?;
        }
        if let Ok(stack) = v8::Local::<v8::String>::try_from(stack) {
            self.buf.push(b's');
            self.string(scope, stack)?;
        }
        if has_cause.is_true() {
            self.buf.push(b'c');
            self.value(scope, cause)?;
        }
        self.buf.push(b'.');
        Ok(())
    }
}
