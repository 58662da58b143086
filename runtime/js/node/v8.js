// node:v8's `serialize` and `deserialize`: V8's wire format as Deno writes
// it for node:v8 (typed arrays and Buffers in Node's host-object layout, the
// header labelled format 15), through kv_ext's native codec.

import { core, primordials } from "ext:core/mod.js";
import { op_node_v8_deserialize, op_node_v8_serialize } from "ext:core/ops";

const { Buffer } = core.createLazyLoader("node:buffer")();

const {
  ArrayBufferIsView,
  SymbolSpecies,
  TypeError,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetByteOffset,
} = primordials;

/** Buffer's own class (Node's FastBuffer), which deserialized Buffers get. */
const FastBuffer = Buffer[SymbolSpecies];

/** `v8.serialize(value)`: a Buffer of the value's wire bytes. */
function serialize(value) {
  const bytes = op_node_v8_serialize(value, Buffer);
  return new FastBuffer(
    TypedArrayPrototypeGetBuffer(bytes),
    TypedArrayPrototypeGetByteOffset(bytes),
    TypedArrayPrototypeGetByteLength(bytes),
  );
}

/** `v8.deserialize(buffer)`: the value `serialize` wrote. */
function deserialize(buffer) {
  if (!ArrayBufferIsView(buffer)) {
    throw new TypeError("buffer must be a TypedArray or a DataView");
  }
  return op_node_v8_deserialize(buffer, FastBuffer);
}

export default { deserialize, serialize };
export { deserialize, serialize };
