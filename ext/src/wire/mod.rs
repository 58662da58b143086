//! The V8 ValueSerializer wire format (the bytes Deno KV stores with
//! `v_encoding` 1), read and written directly on `deno_core::v8` values.
//!
//! Layout: `0xFF <version varint> <value>`. Integers that are V8 Smis (int32)
//! are `I` + zigzag varint, other numbers `N` + float64 LE; receivers get ids
//! in pre-order so that `^` back-references keep cycles and shared identity.
//! Writes format 16 exactly as Deno does (where V8 internals such as elements
//! kinds are invisible, with the same rules as the original JavaScript codec);
//! reads formats 13 to 16.
//!
//! Host objects (`\`) come in two dialects, see [`HostObjects`]: Deno's
//! (KV values, `structuredClone`) and node:v8's.
//!
//! Only the engine API shared by V8 and the QuickJS facade is used. What that
//! API cannot see (brand checks, regexp flags, resizable buffers, strings with
//! lone surrogates) goes through [`intrinsics`], builtins captured once per
//! realm.

mod decode;
mod encode;
mod intrinsics;
mod keys;
mod node;

use deno_core::v8;

pub(crate) use decode::{deserialize, Deserializer};
pub(crate) use encode::serialize;
pub(crate) use intrinsics::{evaluate as evaluate_intrinsics, install as install_intrinsics};
pub(crate) use keys::internalize;
pub use node::{node_deserialize, node_serialize};

/// How host objects (tag `\`) are written and read.
#[derive(Clone, Copy)]
pub(crate) enum HostObjects<'s> {
    /// Deno's: an object (or error) with a `Symbol.for("Deno.core.hostObject")`
    /// method is written as `\`, varint 0xFFFFFFFF, then the value that
    /// method returns (a snapshot such as `{ type: "Blob", ... }`); reading
    /// hands the snapshot to the deserializer registered for its `type`
    /// (`core.registerCloneableResource`). Format 16.
    Deno,
    /// node:v8's `DefaultSerializer`: every ArrayBufferView is written as
    /// `\`, its type index, byte length and bytes (Node's layout), and
    /// brands mean nothing. `buffer` is node:buffer's `Buffer` (type index
    /// 10). Deno relabels the header as format 15 (the bytes after it are
    /// the same below 4 GiB).
    Node {
        buffer: Option<v8::Local<'s, v8::Function>>,
        /// When reading: the ArrayBuffer the input bytes are in and their
        /// offset in it. Views read then share it (when aligned), as
        /// node:v8's `DefaultDeserializer` makes them.
        source: Option<(v8::Local<'s, v8::ArrayBuffer>, usize)>,
    },
}

impl HostObjects<'_> {
    /// The format version in the header.
    fn header_version(&self) -> u32 {
        match self {
            HostObjects::Deno => FORMAT_VERSION,
            HostObjects::Node { .. } => NODE_FORMAT_VERSION,
        }
    }
}

/// The error for a JavaScript exception already pending in the scope.
fn thrown() -> WireError {
    WireError::Exception
}

/// Calls `f` with `this` and `args`; an exception it throws stays pending.
fn call<'s>(
    scope: &v8::PinScope<'s, '_>,
    f: &v8::Global<v8::Function>,
    this: v8::Local<'s, v8::Value>,
    args: &[v8::Local<'s, v8::Value>],
) -> Result<v8::Local<'s, v8::Value>, WireError> {
    v8::Local::new(scope, f)
        .call(scope, this, args)
        .ok_or_else(thrown)
}

/// The format version written.
const FORMAT_VERSION: u32 = 16;
/// The format version node:v8's `serialize` labels its output with.
const NODE_FORMAT_VERSION: u32 = 15;
/// The oldest format version read.
const MIN_READ_VERSION: u32 = 13;
/// How deeply values may nest (objects in arrays in maps...) when written:
/// deeper values are refused with an error rather than risking the native
/// stack.
const MAX_DEPTH: u32 = 1000;

/// How deeply stored values may nest when read: Deno writes values up to
/// ~3,500 levels and reads them back, so reads allow more than that (and
/// never more than the native stack, see [`stack_exhausted`]). A higher
/// bound only made malformed deep input slow to refuse (the vector fuzz
/// went from 11 s to 16 min at 100,000).
const MAX_READ_DEPTH: u32 = 5_000;

/// How much native stack the codec may use for nesting (beyond where it was
/// called) when the thread's stack bounds are unknown. (QuickJS itself
/// allows JavaScript 1 MiB.)
const STACK_BUDGET: usize = 1 << 20;

/// Stack kept free below the codec's deepest frame when the thread's stack
/// bounds are known: room for the engine calls made at that depth.
const STACK_RESERVE: usize = 512 << 10;

/// The current native stack position (approximately: a local's address).
fn stack_position() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// The lowest usable address of the current thread's stack (it grows
/// down), when the platform says.
#[cfg(target_os = "linux")]
fn stack_low() -> Option<usize> {
    thread_local! {
        static LOW: Option<usize> = {
            // SAFETY: `attr` is initialised by pthread_getattr_np before
            // it is read, and destroyed once.
            unsafe {
                let mut attr: libc::pthread_attr_t = std::mem::zeroed();
                if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
                    None
                } else {
                    let mut addr: *mut libc::c_void = std::ptr::null_mut();
                    let mut size: libc::size_t = 0;
                    let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
                    libc::pthread_attr_destroy(&mut attr);
                    // (the guard page sits at the low end)
                    (ok && !addr.is_null()).then(|| addr as usize + 64 * 1024)
                }
            }
        };
    }
    LOW.with(|low| *low)
}

#[cfg(not(target_os = "linux"))]
fn stack_low() -> Option<usize> {
    None
}

/// Whether nesting must stop: the stack is within [`STACK_RESERVE`] of the
/// thread's end or, with unknown bounds, has grown more than
/// [`STACK_BUDGET`] since `base`.
fn stack_exhausted(base: usize) -> bool {
    let here = stack_position();
    match stack_low() {
        Some(low) if here > low && base > low => here - low < STACK_RESERVE,
        _ => base.abs_diff(here) > STACK_BUDGET,
    }
}

/// The JavaScript class of an error the codec throws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorClass {
    /// `Error`.
    Error,
    /// `TypeError`.
    TypeError,
    /// `RangeError`.
    RangeError,
}

/// Why a value could not be serialized or deserialized.
#[derive(Debug)]
pub(crate) enum WireError {
    /// Malformed, truncated or unsupported bytes (an `Error`).
    Malformed(String),
    /// A value the format cannot hold, e.g. `()=>1 could not be cloned.`
    /// (a `TypeError`, or an `Error` for a `SharedArrayBuffer`), or a value
    /// nested too deeply (a `RangeError`).
    Refused {
        /// The class to throw.
        class: ErrorClass,
        /// The message, as V8 words it.
        message: String,
    },
    /// The serialized value would exceed the writer's limit (it was not
    /// written completely).
    TooLarge,
    /// JavaScript code run by the codec (a getter, a `toString`) threw: the
    /// exception is already thrown in the scope the codec was called from.
    Exception,
}

impl WireError {
    /// A malformed-input error: `Unable to deserialize value: <what>`.
    fn malformed(what: impl Into<String>) -> WireError {
        WireError::Malformed(what.into())
    }

    /// The class of JavaScript error this is thrown as.
    pub(crate) fn class(&self) -> ErrorClass {
        match self {
            WireError::Malformed(_) | WireError::Exception => ErrorClass::Error,
            WireError::TooLarge => ErrorClass::TypeError,
            WireError::Refused { class, .. } => *class,
        }
    }

    /// Throws this error into JavaScript. For [`WireError::Exception`] the
    /// exception is already pending and is left as it is.
    pub(crate) fn throw(&self, scope: &mut v8::PinScope<'_, '_>) {
        if matches!(self, WireError::Exception) {
            return;
        }
        let text = self.to_string();
        let message = v8::String::new(scope, &text).unwrap_or_else(|| v8::String::empty(scope));
        let exception = match self.class() {
            ErrorClass::Error => v8::Exception::error(scope, message),
            ErrorClass::TypeError => v8::Exception::type_error(scope, message),
            ErrorClass::RangeError => v8::Exception::range_error(scope, message),
        };
        scope.throw_exception(exception);
    }
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Malformed(what) => write!(f, "Unable to deserialize value: {what}"),
            WireError::Refused { message, .. } => f.write_str(message),
            WireError::Exception => f.write_str("exception thrown while (de)serializing a value"),
            WireError::TooLarge => f.write_str("value too large"),
        }
    }
}

impl std::error::Error for WireError {}
