//! node:v8's `serialize` / `deserialize`: the wire format as Deno's node
//! compatibility layer writes it (`DefaultSerializer`: ArrayBufferViews as
//! host objects in Node's layout, the header labelled format 15), for
//! runtimes that provide node:v8 over this codec.

use deno_core::v8;

use super::decode::Deserializer;
use super::encode::serialize_with;
use super::{ErrorClass, HostObjects, WireError};

/// Node's type index of a `Buffer` (`FastBuffer`).
pub(super) const BUFFER_INDEX: u32 = 10;

/// Node's type indices of ArrayBufferViews (`arrayBufferViewTypeToIndex`),
/// by V8 view subtag.
const VIEW_INDICES: [(u32, u32); 13] = [
    (0x62, 0),  // Int8Array
    (0x42, 1),  // Uint8Array
    (0x43, 2),  // Uint8ClampedArray
    (0x77, 3),  // Int16Array
    (0x57, 4),  // Uint16Array
    (0x64, 5),  // Int32Array
    (0x44, 6),  // Uint32Array
    (0x66, 7),  // Float32Array
    (0x46, 8),  // Float64Array
    (0x3f, 9),  // DataView
    (0x71, 11), // BigInt64Array
    (0x51, 12), // BigUint64Array
    (0x68, 13), // Float16Array
];

/// Node's type index of a view with V8 subtag `tag`.
pub(super) fn view_index(tag: u32) -> Option<u32> {
    VIEW_INDICES
        .iter()
        .find(|(t, _)| *t == tag)
        .map(|(_, i)| *i)
}

/// The V8 view subtag of Node's type index `index` (not [`BUFFER_INDEX`]).
pub(super) fn view_tag(index: u32) -> Option<u32> {
    VIEW_INDICES
        .iter()
        .find(|(_, i)| *i == index)
        .map(|(t, _)| *t)
}

/// The largest output: the format's lengths are 32-bit.
const NODE_LIMIT: usize = u32::MAX as usize;

/// node:v8's `serialize(value)`: the bytes Deno's `v8.serialize` gives.
/// `buffer` is node:buffer's `Buffer` class (its instances get Node's
/// `Buffer` type index). On failure the error (Deno's class and message) is
/// thrown in `scope` and `None` returned.
pub fn node_serialize<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
    buffer: Option<v8::Local<'s, v8::Function>>,
) -> Option<Vec<u8>> {
    let host = HostObjects::Node {
        buffer,
        source: None,
    };
    match serialize_with(scope, value, NODE_LIMIT, host) {
        Ok(bytes) => Some(bytes),
        // node:v8's DataCloneError is a plain Error.
        Err(WireError::Refused {
            class: ErrorClass::TypeError,
            message,
        }) => {
            WireError::Refused {
                class: ErrorClass::Error,
                message,
            }
            .throw(scope);
            None
        }
        Err(WireError::TooLarge) => {
            let message = v8::String::new(scope, "Array buffer allocation failed")?;
            let error = v8::Exception::range_error(scope, message);
            scope.throw_exception(error);
            None
        }
        Err(err) => {
            err.throw(scope);
            None
        }
    }
}

/// node:v8's `deserialize(input)`: reads what [`node_serialize`] (or Deno
/// KV, or Node) wrote from the bytes of the view `input`; a `Buffer` (type
/// index 10) is made with `buffer`, and typed arrays are views on `input`'s
/// buffer, as in Deno. Malformed input throws V8's `Error` in `scope` and
/// gives `None`.
pub fn node_deserialize<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    input: v8::Local<'s, v8::ArrayBufferView>,
    buffer: Option<v8::Local<'s, v8::Function>>,
) -> Option<v8::Local<'s, v8::Value>> {
    let mut bytes = vec![0u8; input.byte_length()];
    let copied = input.copy_contents(&mut bytes);
    bytes.truncate(copied);
    let host = HostObjects::Node {
        buffer,
        source: input.buffer(scope).map(|ab| (ab, input.byte_offset())),
    };
    let result = Deserializer::new(scope).and_then(|r| r.read_with(scope, &bytes, host));
    match result {
        Ok(value) => Some(value),
        Err(WireError::Malformed(what)) => {
            let message = if what.contains("version") {
                "Unable to deserialize cloned data due to invalid or unsupported version."
            } else {
                "Unable to deserialize cloned data."
            };
            let message = v8::String::new(scope, message)?;
            let error = v8::Exception::error(scope, message);
            scope.throw_exception(error);
            None
        }
        Err(err) => {
            err.throw(scope);
            None
        }
    }
}
