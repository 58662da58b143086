//! What the shim hands the extension at load (`op_kv_init`), kept per
//! realm: JavaScript operations the engine API cannot do exactly (on the
//! QuickJS backend its conversions swallow what a `valueOf` throws, and its
//! brand checks of views call the realm's patchable `toString`), made
//! before user code runs so that patched built-ins cannot change them; and
//! the `kv.commitVersionstamp()` symbol.

use std::rc::Rc;

use deno_core::v8;

use crate::error::KvError;

/// The shim's functions, in a context slot of their realm.
pub struct ShimHelpers {
    less_than: v8::Global<v8::Function>,
    to_text: v8::Global<v8::Function>,
    view_bytes: v8::Global<v8::Function>,
    view_tag: v8::Global<v8::Function>,
    commit_versionstamp: v8::Global<v8::Value>,
}

/// Why a check that may run JavaScript failed.
pub enum Fault {
    /// An error of the op.
    Kv(KvError),
    /// JavaScript threw; the exception is pending and must stay the one thrown.
    Thrown,
}

impl From<KvError> for Fault {
    fn from(err: KvError) -> Self {
        Fault::Kv(err)
    }
}

/// The op's result for `result`: an op error is thrown by the op, an
/// exception already thrown stays (the op returns `thrown` meanwhile).
pub fn settle<T>(result: Result<T, Fault>, thrown: T) -> Result<T, KvError> {
    match result {
        Ok(value) => Ok(value),
        Err(Fault::Kv(err)) => Err(err),
        Err(Fault::Thrown) => Ok(thrown),
    }
}

/// Keeps `helpers` (an object of the shim's functions, see
/// `shimHelpers` in `01_kv.js`) for the current realm.
pub fn install<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    helpers: v8::Local<'s, v8::Object>,
) -> Result<(), Fault> {
    let helpers = ShimHelpers {
        less_than: function(scope, helpers, "lessThan")?,
        to_text: function(scope, helpers, "toText")?,
        view_bytes: function(scope, helpers, "viewBytes")?,
        view_tag: function(scope, helpers, "viewTag")?,
        commit_versionstamp: {
            let symbol = field(scope, helpers, "commitVersionstamp")?;
            v8::Global::new(scope, symbol)
        },
    };
    scope.get_current_context().set_slot(Rc::new(helpers));
    Ok(())
}

/// `object[name]`, for the objects the shim makes (null-prototype, data
/// properties only: no user code runs).
pub fn field<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    object: v8::Local<'s, v8::Object>,
    name: &str,
) -> Result<v8::Local<'s, v8::Value>, Fault> {
    let key = v8::String::new(scope, name).ok_or(Fault::Thrown)?;
    object.get(scope, key.into()).ok_or(Fault::Thrown)
}

fn function<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    helpers: v8::Local<'s, v8::Object>,
    name: &str,
) -> Result<v8::Global<v8::Function>, Fault> {
    let f = v8::Local::<v8::Function>::try_from(field(scope, helpers, name)?)
        .map_err(|_| Fault::Kv(KvError::ShimNotLoaded))?;
    Ok(v8::Global::new(scope, f))
}

/// The current realm's helpers.
fn helpers(scope: &mut v8::PinScope<'_, '_>) -> Result<Rc<ShimHelpers>, Fault> {
    scope
        .get_current_context()
        .get_slot::<ShimHelpers>()
        .ok_or(Fault::Kv(KvError::ShimNotLoaded))
}

fn call<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    f: &v8::Global<v8::Function>,
    args: &[v8::Local<'s, v8::Value>],
) -> Result<v8::Local<'s, v8::Value>, Fault> {
    let undefined = v8::undefined(scope).into();
    v8::Local::new(scope, f)
        .call(scope, undefined, args)
        .ok_or(Fault::Thrown)
}

/// `a < b`, as JavaScript evaluates it.
pub fn less_than<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    a: v8::Local<'s, v8::Value>,
    b: v8::Local<'s, v8::Value>,
) -> Result<bool, Fault> {
    let f = helpers(scope)?;
    Ok(call(scope, &f.less_than, &[a, b])?.is_true())
}

/// `a > b`, as JavaScript evaluates it.
pub fn greater_than<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    a: v8::Local<'s, v8::Value>,
    b: v8::Local<'s, v8::Value>,
) -> Result<bool, Fault> {
    less_than(scope, b, a)
}

/// `` `${value}` ``, as JavaScript evaluates it.
pub fn to_text<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Result<String, Fault> {
    let f = helpers(scope)?;
    let text = call(scope, &f.to_text, &[value])?;
    Ok(text.to_rust_string_lossy(scope))
}

/// The bytes of an `ArrayBufferView` (a copy), `None` for anything else;
/// a view over a SharedArrayBuffer throws (Deno's `TypeError`).
pub fn view_bytes<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Result<Option<Vec<u8>>, Fault> {
    let f = helpers(scope)?;
    let bytes = call(scope, &f.view_bytes, &[value])?;
    let Ok(bytes) = v8::Local::<v8::Uint8Array>::try_from(bytes) else {
        return Ok(None);
    };
    let mut copy = vec![0; bytes.byte_length()];
    bytes.copy_contents(&mut copy);
    Ok(Some(copy))
}

/// The `Symbol.toStringTag` of a typed array, `"DataView"` for a DataView,
/// `None` for anything else (brand checks, no user code).
pub fn view_tag<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Result<Option<String>, Fault> {
    let f = helpers(scope)?;
    let tag = call(scope, &f.view_tag, &[value])?;
    Ok(tag.is_string().then(|| tag.to_rust_string_lossy(scope)))
}

/// Whether `value` is the `kv.commitVersionstamp()` symbol.
pub fn is_commit_versionstamp<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Result<bool, Fault> {
    let f = helpers(scope)?;
    Ok(v8::Local::new(scope, &f.commit_versionstamp).strict_equals(value))
}
