//! Builtins the codec needs beyond the engine API, captured once per realm
//! from the object `intrinsics.js` evaluates to, and kept in a slot of the
//! context. The shim keeps that object, so a realm restored from a snapshot
//! captures them again without evaluating the script.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use deno_core::v8;

use super::WireError;

const SOURCE: &str = include_str!("intrinsics.js");

/// The kind of an object; receivers that are not arrays or views are
/// numbered as in `intrinsics.js`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// An ordinary object, written as `o`.
    Plain,
    /// `Map`.
    Map,
    /// `Set`.
    Set,
    /// `Date`.
    Date,
    /// `RegExp`.
    RegExp,
    /// `ArrayBuffer`.
    ArrayBuffer,
    /// A `Number` wrapper.
    Number,
    /// A `String` wrapper.
    String,
    /// A `Boolean` wrapper.
    Boolean,
    /// A `BigInt` wrapper.
    BigInt,
    /// An error.
    Error,
    /// Something structured clone refuses with a `TypeError`.
    Reject,
    /// A `SharedArrayBuffer` (refused with a plain `Error`).
    SharedArrayBuffer,
    /// An array (not from a prototype: `Array.isArray`).
    Array,
    /// An ArrayBufferView (not from a prototype: `ArrayBuffer.isView`).
    View,
}

impl Kind {
    fn from_number(n: u32) -> Option<Kind> {
        Some(match n {
            0 => Kind::Plain,
            1 => Kind::Map,
            2 => Kind::Set,
            3 => Kind::Date,
            4 => Kind::RegExp,
            5 => Kind::ArrayBuffer,
            6 => Kind::Number,
            7 => Kind::String,
            8 => Kind::Boolean,
            9 => Kind::BigInt,
            10 => Kind::Error,
            11 => Kind::Reject,
            12 => Kind::SharedArrayBuffer,
            _ => return None,
        })
    }
}

/// A known prototype: the kind of receivers that have it (first in their
/// chain) and the function that confirms it (`None`: the prototype decides).
pub(super) struct ProtoKind {
    pub(super) proto: v8::Global<v8::Object>,
    pub(super) kind: Kind,
    pub(super) brand: Option<v8::Global<v8::Function>>,
}

/// The builtins and helpers of `intrinsics.js` (see there for each one).
pub(super) struct Intrinsics {
    pub(super) kinds: Vec<ProtoKind>,
    /// `kinds` indexed by the identity hash of their prototype.
    by_hash: HashMap<i32, Vec<usize>>,
    pub(super) global_object: v8::Global<v8::Object>,
    pub(super) global_hash: i32,
    pub(super) object_object_tag: v8::Global<v8::Value>,
    pub(super) brand_token: v8::Global<v8::Value>,
    /// `Symbol.for("Deno.core.hostObject")`.
    pub(super) host_object_brand: v8::Global<v8::Value>,
    /// Turns a host object's snapshot back into the object (`undefined` for
    /// an unknown type); set by the shim, see [`install`].
    pub(super) host_object_reader: RefCell<Option<v8::Global<v8::Function>>>,
    pub(super) obj_to_string: v8::Global<v8::Function>,
    pub(super) is_view: v8::Global<v8::Function>,
    pub(super) is_array: v8::Global<v8::Function>,
    pub(super) is_extensible: v8::Global<v8::Function>,
    pub(super) describe: v8::Global<v8::Function>,
    pub(super) map_entries: v8::Global<v8::Function>,
    pub(super) set_values: v8::Global<v8::Function>,
    pub(super) new_map: v8::Global<v8::Function>,
    pub(super) new_set: v8::Global<v8::Function>,
    pub(super) map_set: v8::Global<v8::Function>,
    pub(super) set_add: v8::Global<v8::Function>,
    pub(super) new_date: v8::Global<v8::Function>,
    pub(super) new_regexp: v8::Global<v8::Function>,
    pub(super) new_array_buffer: v8::Global<v8::Function>,
    pub(super) regexp_flags: v8::Global<v8::Function>,
    pub(super) array_buffer_info: v8::Global<v8::Function>,
    pub(super) view_info: v8::Global<v8::Function>,
    pub(super) error_parts: v8::Global<v8::Function>,
    pub(super) set_hidden: v8::Global<v8::Function>,
    pub(super) string_from_codes: v8::Global<v8::Function>,
    pub(super) string_codes: v8::Global<v8::Function>,
    pub(super) bigint_hex: v8::Global<v8::Function>,
    pub(super) bigint_from_hex: v8::Global<v8::Function>,
    /// Error constructors by prototype subtag (0: `Error`).
    pub(super) error_ctors: Vec<(u32, v8::Global<v8::Function>)>,
    /// View constructors by subtag, with their element size.
    pub(super) view_ctors: Vec<(u32, v8::Global<v8::Function>, u32)>,
}

/// Why the intrinsics could not be loaded (the realm lacks a builtin).
fn unavailable() -> WireError {
    WireError::Refused {
        class: super::ErrorClass::Error,
        message: "the value codec's builtins are unavailable in this realm".into(),
    }
}

fn field<'s>(
    scope: &v8::PinScope<'s, '_>,
    object: v8::Local<'s, v8::Object>,
    name: &str,
) -> Result<v8::Local<'s, v8::Value>, WireError> {
    let key = v8::String::new(scope, name).ok_or_else(unavailable)?;
    object.get(scope, key.into()).ok_or_else(unavailable)
}

fn function<'s>(
    scope: &v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Result<v8::Global<v8::Function>, WireError> {
    let f = v8::Local::<v8::Function>::try_from(value).map_err(|_| unavailable())?;
    Ok(v8::Global::new(scope, f))
}

fn array<'s>(
    scope: &v8::PinScope<'s, '_>,
    object: v8::Local<'s, v8::Object>,
    name: &str,
) -> Result<(v8::Local<'s, v8::Array>, u32), WireError> {
    let value = field(scope, object, name)?;
    let array = v8::Local::<v8::Array>::try_from(value).map_err(|_| unavailable())?;
    let length = array.length();
    Ok((array, length))
}

fn index<'s>(
    scope: &v8::PinScope<'s, '_>,
    array: v8::Local<'s, v8::Array>,
    i: u32,
) -> Result<v8::Local<'s, v8::Value>, WireError> {
    array.get_index(scope, i).ok_or_else(unavailable)
}

fn small_number(
    scope: &v8::PinScope<'_, '_>,
    value: v8::Local<v8::Value>,
) -> Result<u32, WireError> {
    let n = value.number_value(scope).ok_or_else(unavailable)?;
    if (0.0..=f64::from(u32::MAX)).contains(&n) && n.fract() == 0.0 {
        Ok(n as u32)
    } else {
        Err(unavailable())
    }
}

/// Evaluates `intrinsics.js` in the current realm: the object of builtins
/// [`install`] captures.
pub(crate) fn evaluate<'s>(
    scope: &mut v8::PinScope<'s, '_>,
) -> Result<v8::Local<'s, v8::Object>, WireError> {
    v8::escapable_handle_scope!(let scope, scope);
    v8::tc_scope!(let scope, scope);
    let source = v8::String::new(scope, SOURCE).ok_or_else(unavailable)?;
    let script = v8::Script::compile(scope, source, None).ok_or_else(unavailable)?;
    let result = script.run(scope).ok_or_else(unavailable)?;
    let object = v8::Local::<v8::Object>::try_from(result).map_err(|_| unavailable())?;
    Ok(scope.escape(object))
}

impl Intrinsics {
    fn load(
        scope: &mut v8::PinScope<'_, '_>,
        o: v8::Local<v8::Object>,
    ) -> Result<Intrinsics, WireError> {
        let f = |name: &str| -> Result<v8::Global<v8::Function>, WireError> {
            function(scope, field(scope, o, name)?)
        };

        let (list, length) = array(scope, o, "kinds")?;
        let mut kinds = Vec::new();
        let mut by_hash: HashMap<i32, Vec<usize>> = HashMap::new();
        let mut i = 0;
        while i + 2 < length {
            let proto = v8::Local::<v8::Object>::try_from(index(scope, list, i)?)
                .map_err(|_| unavailable())?;
            let kind = Kind::from_number(small_number(scope, index(scope, list, i + 1)?)?)
                .ok_or_else(unavailable)?;
            let brand = index(scope, list, i + 2)?;
            let brand = if brand.is_undefined() {
                None
            } else {
                Some(function(scope, brand)?)
            };
            by_hash
                .entry(proto.get_identity_hash().get())
                .or_default()
                .push(kinds.len());
            kinds.push(ProtoKind {
                proto: v8::Global::new(scope, proto),
                kind,
                brand,
            });
            i += 3;
        }

        let (list, length) = array(scope, o, "errorCtors")?;
        let mut error_ctors = Vec::new();
        let mut i = 0;
        while i + 1 < length {
            let ctor = function(scope, index(scope, list, i)?)?;
            error_ctors.push((small_number(scope, index(scope, list, i + 1)?)?, ctor));
            i += 2;
        }

        let (list, length) = array(scope, o, "viewCtors")?;
        let mut view_ctors = Vec::new();
        let mut i = 0;
        while i + 2 < length {
            let tag = small_number(scope, index(scope, list, i)?)?;
            let ctor = function(scope, index(scope, list, i + 1)?)?;
            let size = small_number(scope, index(scope, list, i + 2)?)?;
            view_ctors.push((tag, ctor, size));
            i += 3;
        }

        let global = v8::Local::<v8::Object>::try_from(field(scope, o, "globalObject")?)
            .map_err(|_| unavailable())?;
        let object_object_tag = field(scope, o, "objectObjectTag")?;
        let brand_token = field(scope, o, "brandToken")?;
        let host_object_brand = field(scope, o, "hostObjectBrand")?;
        Ok(Intrinsics {
            kinds,
            by_hash,
            global_hash: global.get_identity_hash().get(),
            global_object: v8::Global::new(scope, global),
            object_object_tag: v8::Global::new(scope, object_object_tag),
            brand_token: v8::Global::new(scope, brand_token),
            host_object_brand: v8::Global::new(scope, host_object_brand),
            host_object_reader: RefCell::new(None),
            obj_to_string: f("objToString")?,
            is_view: f("isView")?,
            is_array: f("isArray")?,
            is_extensible: f("isExtensible")?,
            describe: f("describe")?,
            map_entries: f("mapEntries")?,
            set_values: f("setValues")?,
            new_map: f("newMap")?,
            new_set: f("newSet")?,
            map_set: f("mapSet")?,
            set_add: f("setAdd")?,
            new_date: f("newDate")?,
            new_regexp: f("newRegExp")?,
            new_array_buffer: f("newArrayBuffer")?,
            regexp_flags: f("regexpFlags")?,
            array_buffer_info: f("arrayBufferInfo")?,
            view_info: f("viewInfo")?,
            error_parts: f("errorParts")?,
            set_hidden: f("setHidden")?,
            string_from_codes: f("stringFromCodes")?,
            string_codes: f("stringCodes")?,
            bigint_hex: f("bigintHex")?,
            bigint_from_hex: f("bigintFromHex")?,
            error_ctors,
            view_ctors,
        })
    }

    /// The known prototype `proto` is, if any.
    pub(super) fn kind_of_proto(
        &self,
        scope: &v8::PinScope<'_, '_>,
        proto: v8::Local<v8::Object>,
    ) -> Option<&ProtoKind> {
        let candidates = self.by_hash.get(&proto.get_identity_hash().get())?;
        candidates
            .iter()
            .filter_map(|&i| self.kinds.get(i))
            .find(|entry| v8::Local::new(scope, &entry.proto) == proto)
    }

    /// The first known prototype of `kind`.
    pub(super) fn proto_of_kind(&self, kind: Kind) -> Option<&ProtoKind> {
        self.kinds.iter().find(|entry| entry.kind == kind)
    }

    /// Whether `object` is the realm's global object.
    pub(super) fn is_global(
        &self,
        scope: &v8::PinScope<'_, '_>,
        object: v8::Local<v8::Object>,
    ) -> bool {
        object.get_identity_hash().get() == self.global_hash
            && v8::Local::new(scope, &self.global_object) == object
    }
}

/// The intrinsics of the current realm, loaded on first use.
pub(super) fn get(scope: &mut v8::PinScope<'_, '_>) -> Result<Rc<Intrinsics>, WireError> {
    let context = scope.get_current_context();
    if let Some(intrinsics) = context.get_slot::<Intrinsics>() {
        return Ok(intrinsics);
    }
    let object = evaluate(scope)?;
    let intrinsics = Rc::new(Intrinsics::load(scope, object)?);
    context.set_slot(intrinsics.clone());
    Ok(intrinsics)
}

/// Captures the current realm's intrinsics from `object` (what [`evaluate`]
/// returned, before user code ran) now, and sets the function that turns a
/// Deno host object's snapshot back into the object: `reader(snapshot)`
/// returns it, or `undefined` when no deserializer knows the snapshot's
/// `type`.
pub(crate) fn install(
    scope: &mut v8::PinScope<'_, '_>,
    object: v8::Local<v8::Object>,
    reader: v8::Local<v8::Function>,
) -> Result<(), WireError> {
    let intrinsics = Intrinsics::load(scope, object)?;
    *intrinsics.host_object_reader.borrow_mut() = Some(v8::Global::new(scope, reader));
    scope.get_current_context().set_slot(Rc::new(intrinsics));
    Ok(())
}
