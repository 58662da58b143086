//! What the shim hands the extension at load (`op_kv_init`), kept per
//! realm: JavaScript operations the engine API cannot do exactly (on the
//! QuickJS backend its conversions swallow what a `valueOf` throws), made
//! before user code runs so that patched built-ins cannot change them.

use std::rc::Rc;

use deno_core::v8;

use crate::error::KvError;

/// The shim's functions, in a context slot of their realm.
pub struct ShimHelpers {
    less_than: v8::Global<v8::Function>,
    to_text: v8::Global<v8::Function>,
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
pub fn install(
    scope: &mut v8::PinScope<'_, '_>,
    helpers: v8::Local<v8::Object>,
) -> Result<(), Fault> {
    let function = |name: &str| -> Result<v8::Global<v8::Function>, Fault> {
        let key = v8::String::new(scope, name).ok_or(Fault::Thrown)?;
        let value = helpers.get(scope, key.into()).ok_or(Fault::Thrown)?;
        let f = v8::Local::<v8::Function>::try_from(value)
            .map_err(|_| Fault::Kv(KvError::ShimNotLoaded))?;
        Ok(v8::Global::new(scope, f))
    };
    let helpers = ShimHelpers {
        less_than: function("lessThan")?,
        to_text: function("toText")?,
    };
    scope.get_current_context().set_slot(Rc::new(helpers));
    Ok(())
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
