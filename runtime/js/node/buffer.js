// node:buffer: Node's `Buffer` (a Uint8Array subclass, as in Node and Deno)
// with its encodings (utf8, hex, base64, base64url, latin1/binary, ascii,
// ucs2/utf16le), comparisons, integer/float reads and writes, and Node's
// error codes and messages. Loaded when a script first imports node:buffer
// or reads the `Buffer` global.

import { core, internals, primordials } from "ext:core/mod.js";

// (Other modules come through lazy loaders, not imports: an import of a
// module already linked does not resolve on the QuickJS backend.)
const { load } = internals.kvrtRuntime;
const { ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, NodeError } = core.createLazyLoader(
  "ext:kvrt_runtime/node/errors.js",
)();

const {
  ArrayBufferIsView,
  ArrayIsArray,
  ArrayPrototypeJoin,
  ArrayPrototypePush,
  DataViewPrototypeGetBigInt64,
  DataViewPrototypeGetBigUint64,
  DataViewPrototypeGetFloat32,
  DataViewPrototypeGetFloat64,
  DataViewPrototypeSetBigInt64,
  DataViewPrototypeSetBigUint64,
  DataViewPrototypeSetFloat32,
  DataViewPrototypeSetFloat64,
  DataView,
  MathFloor,
  MathMin,
  MathMax,
  MathTrunc,
  NumberIsInteger,
  NumberIsNaN,
  ObjectDefineProperty,
  ObjectEntries,
  ObjectKeys,
  ObjectSetPrototypeOf,
  RangeError,
  ReflectOwnKeys,
  StringFromCharCode,
  StringPrototypeCharCodeAt,
  StringPrototypeIncludes,
  StringPrototypeReplace,
  StringPrototypeToLowerCase,
  SymbolFor,
  SymbolSpecies,
  SymbolToPrimitive,
  TypedArrayPrototypeFill,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetByteOffset,
  TypedArrayPrototypeGetLength,
  TypedArrayPrototypeGetSymbolToStringTag,
  TypedArrayPrototypeSet,
  TypedArrayPrototypeSlice,
  TypedArrayPrototypeSubarray,
  TypeError,
  Uint16Array,
  Uint8Array,
} = primordials;

const { isAnyArrayBuffer, isArrayBuffer, isSharedArrayBuffer } = core;

const kMaxLength = 2 ** 53 - 1;
const kStringMaxLength = 536870888;
const INSPECT_MAX_BYTES = 50;

const isUint8Array = (v) => TypedArrayPrototypeGetSymbolToStringTag(v) === "Uint8Array";

// --- encodings -------------------------------------------------------------

/** Node's canonical name of an encoding, or undefined when unknown. */
function normalizeEncoding(enc) {
  if (enc === undefined || enc === null || enc === "utf8" || enc === "utf-8") return "utf8";
  switch (StringPrototypeToLowerCase(`${enc}`)) {
    case "utf8":
    case "utf-8":
      return "utf8";
    case "ucs2":
    case "ucs-2":
    case "utf16le":
    case "utf-16le":
      return "utf16le";
    case "latin1":
    case "binary":
      return "latin1";
    case "base64":
      return "base64";
    case "base64url":
      return "base64url";
    case "hex":
      return "hex";
    case "ascii":
      return "ascii";
    case "":
      return "utf8";
    default:
      return undefined;
  }
}

function encodingOrThrow(enc) {
  const normalized = normalizeEncoding(enc);
  if (normalized === undefined) {
    throw new NodeError(TypeError, "ERR_UNKNOWN_ENCODING", `Unknown encoding: ${enc}`);
  }
  return normalized;
}

let utf8Decoder;
function utf8Slice(bytes) {
  // Node keeps a leading BOM; invalid sequences become U+FFFD.
  utf8Decoder ??= new (load("08_text_encoding").TextDecoder)("utf-8", { ignoreBOM: true });
  return utf8Decoder.decode(bytes);
}

const HEX = "0123456789abcdef";
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Code units to a string, in chunks that stay below argument limits. */
function fromCodes(codes) {
  let out = "";
  for (let i = 0; i < codes.length; i += 4096) {
    out += StringFromCharCode(...TypedArrayPrototypeSubarray(codes, i, MathMin(i + 4096, codes.length)));
  }
  return out;
}

function hexValue(c) {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function base64Value(c) {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c === 43 || c === 45) return 62; // + -
  if (c === 47 || c === 95) return 63; // / _
  return -1;
}

/** The bytes of `string` in `encoding` (a normalized name). */
function encode(string, encoding) {
  const n = string.length;
  switch (encoding) {
    case "utf8":
      return core.encode(string);
    case "latin1":
    case "ascii": {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = StringPrototypeCharCodeAt(string, i) & 0xff;
      return out;
    }
    case "utf16le": {
      const out = new Uint8Array(n * 2);
      for (let i = 0; i < n; i++) {
        const c = StringPrototypeCharCodeAt(string, i);
        out[i * 2] = c & 0xff;
        out[i * 2 + 1] = c >> 8;
      }
      return out;
    }
    case "hex": {
      const out = new Uint8Array(n >>> 1);
      let i = 0;
      for (; i < out.length; i++) {
        const hi = hexValue(StringPrototypeCharCodeAt(string, i * 2));
        const lo = hexValue(StringPrototypeCharCodeAt(string, i * 2 + 1));
        if (hi < 0 || lo < 0) break;
        out[i] = hi * 16 + lo;
      }
      return TypedArrayPrototypeSubarray(out, 0, i);
    }
    default: {
      // base64 and base64url decode alike: both alphabets, whitespace and
      // other characters skipped, up to the first "=".
      const out = new Uint8Array(((n + 3) >>> 2) * 3);
      let bits = 0;
      let count = 0;
      let length = 0;
      for (let i = 0; i < n; i++) {
        const c = StringPrototypeCharCodeAt(string, i);
        if (c === 61) break;
        const v = base64Value(c);
        if (v < 0) continue;
        bits = (bits << 6) | v;
        count += 6;
        if (count >= 8) {
          count -= 8;
          out[length++] = (bits >> count) & 0xff;
        }
      }
      return TypedArrayPrototypeSubarray(out, 0, length);
    }
  }
}

/** `bytes` as a string in `encoding` (a normalized name). */
function decode(bytes, encoding) {
  const n = TypedArrayPrototypeGetLength(bytes);
  switch (encoding) {
    case "utf8":
      return utf8Slice(bytes);
    case "latin1":
      return fromCodes(bytes);
    case "ascii": {
      const codes = new Uint8Array(n);
      for (let i = 0; i < n; i++) codes[i] = bytes[i] & 0x7f;
      return fromCodes(codes);
    }
    case "utf16le": {
      const codes = new Uint16Array(n >>> 1);
      for (let i = 0; i < codes.length; i++) codes[i] = bytes[i * 2] | (bytes[i * 2 + 1] << 8);
      return fromCodes(codes);
    }
    case "hex": {
      let out = "";
      for (let i = 0; i < n; i++) out += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
      return out;
    }
    default: {
      const alphabet = encoding === "base64url" ? B64URL : B64;
      let out = "";
      let i = 0;
      for (; i + 2 < n; i += 3) {
        const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        out += alphabet[v >> 18] + alphabet[(v >> 12) & 63] + alphabet[(v >> 6) & 63] + alphabet[v & 63];
      }
      if (i < n) {
        const v = (bytes[i] << 16) | ((i + 1 < n ? bytes[i + 1] : 0) << 8);
        out += alphabet[v >> 18] + alphabet[(v >> 12) & 63];
        out += i + 1 < n ? alphabet[(v >> 6) & 63] : "";
        if (encoding === "base64") out += i + 1 < n ? "=" : "==";
      }
      return out;
    }
  }
}

/** `Buffer.byteLength` of a string. */
function stringByteLength(string, encoding) {
  switch (encoding) {
    case "utf8":
      return TypedArrayPrototypeGetLength(core.encode(string));
    case "utf16le":
      return string.length * 2;
    case "latin1":
    case "ascii":
      return string.length;
    case "hex":
      return string.length >>> 1;
    default: {
      // Node's estimate: 3/4 of the characters, "=" padding left out.
      let n = string.length;
      if (n > 0 && StringPrototypeCharCodeAt(string, n - 1) === 61) n--;
      if (n > 1 && StringPrototypeCharCodeAt(string, n - 1) === 61) n--;
      return (n * 3) >>> 2;
    }
  }
}

// --- argument checks (Node's messages) ---------------------------------------

function validateNumber(value, name) {
  if (typeof value !== "number") throw new ERR_INVALID_ARG_TYPE(name, "number", value);
}

/** An offset for a `size`-byte access into a buffer of `length` bytes. */
function checkOffset(offset, size, length) {
  validateNumber(offset, "offset");
  if (!NumberIsInteger(offset)) throw new ERR_OUT_OF_RANGE("offset", "an integer", offset);
  if (length - size < 0) {
    throw new NodeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", "Attempt to access memory outside buffer bounds");
  }
  if (offset < 0 || offset > length - size) {
    throw new ERR_OUT_OF_RANGE("offset", `>= 0 and <= ${length - size}`, offset);
  }
}

function checkInt(value, min, max, size, unsigned) {
  validateNumber(value, "value");
  if (value > max || value < min) {
    let range;
    if (size > 4) {
      const bits = size * 8;
      range = unsigned || min === 0
        ? `>= 0 and < 2 ** ${bits}`
        : `>= -(2 ** ${bits - 1}) and < 2 ** ${bits - 1}`;
      if (bits === 48 && !unsigned) range = `>= -(2 ** 47) and < 2 ** 47`;
    } else {
      range = `>= ${min} and <= ${max}`;
    }
    throw new ERR_OUT_OF_RANGE("value", range, value);
  }
}

function checkByteLength(byteLength) {
  validateNumber(byteLength, "byteLength");
  if (!NumberIsInteger(byteLength) || byteLength < 1 || byteLength > 6) {
    throw new ERR_OUT_OF_RANGE("byteLength", ">= 1 and <= 6", byteLength);
  }
}

function dataView(buf) {
  return new DataView(
    TypedArrayPrototypeGetBuffer(buf),
    TypedArrayPrototypeGetByteOffset(buf),
    TypedArrayPrototypeGetByteLength(buf),
  );
}

// --- Buffer ------------------------------------------------------------------

/** The class of Buffer instances (Node's FastBuffer). */
class FastBuffer extends Uint8Array {}

let warnedDeprecated = false;

/**
 * `Buffer(arg, encodingOrOffset, length)`: deprecated, as in Node (a
 * warning once); `Buffer.from`/`alloc` are the supported ways.
 */
function Buffer(arg, encodingOrOffset, length) {
  if (!warnedDeprecated) {
    warnedDeprecated = true;
    core.print(
      `(node:${Deno.pid}) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues. Please use the Buffer.alloc(), Buffer.allocUnsafe(), or Buffer.from() methods instead.\n(Use \`node --trace-deprecation ...\` to show where the warning was created)\n`,
      true,
    );
  }
  if (typeof arg === "number") {
    if (typeof encodingOrOffset === "string") {
      throw new ERR_INVALID_ARG_TYPE("string", "string", arg);
    }
    return alloc(arg);
  }
  return from(arg, encodingOrOffset, length);
}
ObjectDefineProperty(Buffer, "prototype", { value: FastBuffer.prototype, writable: false });
ObjectDefineProperty(FastBuffer.prototype, "constructor", {
  value: Buffer,
  writable: true,
  enumerable: false,
  configurable: true,
});
ObjectSetPrototypeOf(Buffer, Uint8Array);
ObjectDefineProperty(Buffer, SymbolSpecies, { get: () => FastBuffer, configurable: true });

const BufferPrototype = FastBuffer.prototype;

function isBuffer(value) {
  return value instanceof Buffer;
}

function validateSize(size) {
  validateNumber(size, "size");
  if (!(size >= 0 && size <= kMaxLength)) {
    throw new ERR_OUT_OF_RANGE("size", `>= 0 && <= ${kMaxLength}`, size);
  }
}

function alloc(size, fill, encoding) {
  validateSize(size);
  const buf = new FastBuffer(size);
  if (fill !== undefined && fill !== 0 && size > 0) {
    bufferFill(buf, fill, 0, size, encoding);
  }
  return buf;
}

function allocUnsafe(size) {
  validateSize(size);
  return new FastBuffer(size);
}

function fromArrayLike(list) {
  const n = list.length >>> 0;
  const buf = new FastBuffer(n);
  for (let i = 0; i < n; i++) buf[i] = list[i];
  return buf;
}

const FROM_TYPES = "string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object";

function from(value, encodingOrOffset, length) {
  if (typeof value === "string") {
    return fromString(value, encodingOrOffset);
  }
  if (typeof value === "object" && value !== null) {
    if (isAnyArrayBuffer(value)) {
      return fromArrayBuffer(value, encodingOrOffset, length);
    }
    if (ArrayBufferIsView(value)) {
      if (isUint8Array(value)) {
        const copy = new FastBuffer(TypedArrayPrototypeGetLength(value));
        TypedArrayPrototypeSet(copy, value);
        return copy;
      }
      if (TypedArrayPrototypeGetSymbolToStringTag(value) !== undefined) return fromArrayLike(value);
    }
    const primitive = value.valueOf && value.valueOf();
    if (primitive != null && primitive !== value) {
      return from(primitive, encodingOrOffset, length);
    }
    if (typeof value.length === "number" || ArrayIsArray(value)) {
      return fromArrayLike(value);
    }
    if (value.type === "Buffer" && ArrayIsArray(value.data)) {
      return fromArrayLike(value.data);
    }
    if (typeof value[SymbolToPrimitive] === "function") {
      const p = value[SymbolToPrimitive]("string");
      if (typeof p === "string") return fromString(p, encodingOrOffset);
    }
  }
  throw new ERR_INVALID_ARG_TYPE("first argument", FROM_TYPES, value);
}

function fromString(string, encoding) {
  const bytes = encode(string, encodingOrThrow(encoding));
  const buf = new FastBuffer(TypedArrayPrototypeGetLength(bytes));
  TypedArrayPrototypeSet(buf, bytes);
  return buf;
}

function fromArrayBuffer(ab, byteOffset, length) {
  const abLength = isArrayBuffer(ab) || isSharedArrayBuffer(ab) ? ab.byteLength : 0;
  if (byteOffset === undefined) {
    byteOffset = 0;
  } else {
    byteOffset = +byteOffset;
    if (NumberIsNaN(byteOffset)) byteOffset = 0;
  }
  const maxLength = abLength - byteOffset;
  if (maxLength < 0) {
    throw new NodeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", '"offset" is outside of buffer bounds');
  }
  if (length === undefined) {
    length = maxLength;
  } else {
    length = +length;
    if (length > 0) {
      if (length > maxLength) {
        throw new NodeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", '"length" is outside of buffer bounds');
      }
    } else {
      length = 0;
    }
  }
  return new FastBuffer(ab, byteOffset, length);
}

function byteLength(value, encoding) {
  if (typeof value !== "string") {
    if (ArrayBufferIsView(value) || isAnyArrayBuffer(value)) return value.byteLength;
    throw new ERR_INVALID_ARG_TYPE("string", "string or an instance of Buffer or ArrayBuffer", value);
  }
  return stringByteLength(value, normalizeEncoding(encoding) ?? "utf8");
}

function compareBytes(a, b) {
  const n = MathMin(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function validateUint8Array(value, name) {
  if (!ArrayBufferIsView(value) || !isUint8Array(value)) {
    throw new ERR_INVALID_ARG_TYPE(name, "an instance of Buffer or Uint8Array", value, true);
  }
}

function compare(a, b) {
  validateUint8Array(a, "buf1");
  validateUint8Array(b, "buf2");
  return compareBytes(a, b);
}

function concat(list, totalLength) {
  if (!ArrayIsArray(list)) throw new ERR_INVALID_ARG_TYPE("list", "an instance of Array", list, true);
  if (list.length === 0) return new FastBuffer(0);
  if (totalLength === undefined) {
    totalLength = 0;
    for (let i = 0; i < list.length; i++) {
      validateUint8Array(list[i], `list[${i}]`);
      totalLength += list[i].length;
    }
  } else {
    validateNumber(totalLength, "length");
    if (!(totalLength >= 0)) throw new ERR_OUT_OF_RANGE("length", `>= 0 && <= ${kMaxLength}`, totalLength);
  }
  const out = new FastBuffer(totalLength);
  let pos = 0;
  for (let i = 0; i < list.length && pos < totalLength; i++) {
    const item = list[i];
    validateUint8Array(item, `list[${i}]`);
    const n = MathMin(item.length, totalLength - pos);
    TypedArrayPrototypeSet(out, n === item.length ? item : TypedArrayPrototypeSubarray(item, 0, n), pos);
    pos += n;
  }
  return out;
}

/** Clamps `start`/`end` like Node's `toString`/`slice`. */
function clampRange(length, start, end) {
  start = start === undefined ? 0 : MathTrunc(+start) || 0;
  end = end === undefined ? length : MathTrunc(+end);
  if (NumberIsNaN(end)) end = 0;
  if (start < 0) start = MathMax(length + start, 0);
  if (end < 0) end = MathMax(length + end, 0);
  return [MathMin(start, length), MathMin(end, length)];
}

function bufferFill(buf, value, offset, end, encoding) {
  if (typeof value === "string") {
    const bytes = encode(value, encodingOrThrow(encoding));
    const n = TypedArrayPrototypeGetLength(bytes);
    if (n === 0) {
      TypedArrayPrototypeFill(buf, 0, offset, end);
      return buf;
    }
    for (let i = offset; i < end; i++) buf[i] = bytes[(i - offset) % n];
    return buf;
  }
  if (ArrayBufferIsView(value)) {
    const n = value.byteLength;
    const bytes = new Uint8Array(value.buffer, value.byteOffset, n);
    for (let i = offset; i < end; i++) buf[i] = bytes[(i - offset) % n];
    return buf;
  }
  TypedArrayPrototypeFill(buf, typeof value === "boolean" ? +value : value & 255, offset, end);
  return buf;
}

function indexOfBytes(buf, needle, from, last) {
  const n = buf.length;
  const m = needle.length;
  if (m === 0) return last ? MathMin(from, n) : MathMin(from, n);
  if (last) {
    for (let i = MathMin(from, n - m); i >= 0; i--) {
      let j = 0;
      while (j < m && buf[i + j] === needle[j]) j++;
      if (j === m) return i;
    }
    return -1;
  }
  for (let i = from; i <= n - m; i++) {
    let j = 0;
    while (j < m && buf[i + j] === needle[j]) j++;
    if (j === m) return i;
  }
  return -1;
}

function bufferIndexOf(buf, value, byteOffset, encoding, last) {
  if (typeof byteOffset === "string") {
    encoding = byteOffset;
    byteOffset = undefined;
  }
  const n = buf.length;
  let from = byteOffset === undefined ? (last ? n : 0) : MathTrunc(+byteOffset) || 0;
  if (from < 0) from = MathMax(n + from, last ? -1 : 0);
  if (last && from < 0) return -1;
  let needle;
  if (typeof value === "number") {
    needle = [value & 255];
  } else if (typeof value === "string") {
    needle = encode(value, encodingOrThrow(encoding));
  } else if (ArrayBufferIsView(value) && isUint8Array(value)) {
    needle = value;
  } else {
    throw new ERR_INVALID_ARG_TYPE("value", "number or string or an instance of Buffer or Uint8Array", value);
  }
  return indexOfBytes(buf, needle, from, last);
}

/** Reads an unsigned big-endian/little-endian integer of 1 to 6 bytes. */
function readUInt(buf, offset, size, littleEndian) {
  checkOffset(offset, size, buf.length);
  let value = 0;
  for (let i = 0; i < size; i++) {
    const b = buf[offset + (littleEndian ? i : size - 1 - i)];
    value += b * 2 ** (8 * i);
  }
  return value;
}

function readInt(buf, offset, size, littleEndian) {
  const value = readUInt(buf, offset, size, littleEndian);
  const limit = 2 ** (8 * size - 1);
  return value >= limit ? value - limit * 2 : value;
}

function writeUInt(buf, value, offset, size, littleEndian, min, max) {
  checkInt(value, min, max, size, min === 0);
  checkOffset(offset, size, buf.length);
  let v = value < 0 ? value + 2 ** (8 * size) : value;
  for (let i = 0; i < size; i++) {
    buf[offset + (littleEndian ? i : size - 1 - i)] = v % 256;
    v = MathFloor(v / 256);
  }
  return offset + size;
}

const intMethods = {};
for (const [name, size, signed] of [
  ["UInt8", 1, false], ["UInt16", 2, false], ["UInt32", 4, false],
  ["Int8", 1, true], ["Int16", 2, true], ["Int32", 4, true],
]) {
  const max = signed ? 2 ** (8 * size - 1) - 1 : 2 ** (8 * size) - 1;
  const min = signed ? -(2 ** (8 * size - 1)) : 0;
  for (const [suffix, le] of size === 1 ? [["", false]] : [["LE", true], ["BE", false]]) {
    intMethods[`read${name}${suffix}`] = function (offset = 0) {
      return (signed ? readInt : readUInt)(this, offset, size, le);
    };
    intMethods[`write${name}${suffix}`] = function (value, offset = 0) {
      return writeUInt(this, value, offset, size, le, min, max);
    };
  }
}
for (const [suffix, le] of [["LE", true], ["BE", false]]) {
  intMethods[`readUInt${suffix}`] = function (offset, byteLength) {
    checkByteLength(byteLength);
    return readUInt(this, offset, byteLength, le);
  };
  intMethods[`readInt${suffix}`] = function (offset, byteLength) {
    checkByteLength(byteLength);
    return readInt(this, offset, byteLength, le);
  };
  intMethods[`writeUInt${suffix}`] = function (value, offset, byteLength) {
    checkByteLength(byteLength);
    return writeUInt(this, value, offset, byteLength, le, 0, 2 ** (8 * byteLength) - 1);
  };
  intMethods[`writeInt${suffix}`] = function (value, offset, byteLength) {
    checkByteLength(byteLength);
    const half = 2 ** (8 * byteLength - 1);
    return writeUInt(this, value, offset, byteLength, le, -half, half - 1);
  };
  for (const [type, size, get, set, isBig] of [
    ["Float", 4, DataViewPrototypeGetFloat32, DataViewPrototypeSetFloat32, false],
    ["Double", 8, DataViewPrototypeGetFloat64, DataViewPrototypeSetFloat64, false],
    ["BigInt64", 8, DataViewPrototypeGetBigInt64, DataViewPrototypeSetBigInt64, true],
    ["BigUInt64", 8, DataViewPrototypeGetBigUint64, DataViewPrototypeSetBigUint64, true],
  ]) {
    intMethods[`read${type}${suffix}`] = function (offset = 0) {
      checkOffset(offset, size, this.length);
      return get(dataView(this), offset, le);
    };
    intMethods[`write${type}${suffix}`] = function (value, offset = 0) {
      if (isBig) {
        if (typeof value !== "bigint") throw new ERR_INVALID_ARG_TYPE("value", "bigint", value);
        const unsigned = type === "BigUInt64";
        const lo = unsigned ? 0n : -(2n ** 63n);
        const hi = unsigned ? 2n ** 64n - 1n : 2n ** 63n - 1n;
        if (value < lo || value > hi) {
          throw new ERR_OUT_OF_RANGE(
            "value",
            unsigned ? ">= 0n and < 2n ** 64n" : ">= -(2n ** 63n) and < 2n ** 63n",
            value,
          );
        }
      } else {
        validateNumber(value, "value");
      }
      checkOffset(offset, size, this.length);
      set(dataView(this), offset, value, le);
      return offset + size;
    };
  }
}

const methods = {
  ...intMethods,

  toString(encoding, start, end) {
    if (arguments.length === 0) return utf8Slice(this);
    // Unlike slice, a negative start counts from 0, not from the end.
    const length = this.length;
    if (start === undefined || start <= 0) start = 0;
    else if (start >= length) return "";
    else start = MathTrunc(start) || 0;
    if (end === undefined || end > length) end = length;
    else end = MathTrunc(end) || 0;
    if (end <= start) return "";
    return decode(TypedArrayPrototypeSubarray(this, start, end), encodingOrThrow(encoding));
  },

  toJSON() {
    const data = [];
    for (let i = 0; i < this.length; i++) ArrayPrototypePush(data, this[i]);
    return { type: "Buffer", data };
  },

  toLocaleString(encoding, start, end) {
    return methods.toString.call(this, encoding, start, end);
  },

  equals(other) {
    validateUint8Array(other, "otherBuffer");
    return compareBytes(this, other) === 0;
  },

  compare(target, targetStart = 0, targetEnd = target?.length, sourceStart = 0, sourceEnd = this.length) {
    validateUint8Array(target, "target");
    return compareBytes(
      TypedArrayPrototypeSubarray(this, sourceStart, sourceEnd),
      TypedArrayPrototypeSubarray(target, targetStart, targetEnd),
    );
  },

  copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
    validateUint8Array(target, "target");
    targetStart = MathTrunc(+targetStart) || 0;
    sourceStart = MathTrunc(+sourceStart) || 0;
    sourceEnd = MathMin(MathTrunc(+sourceEnd) || 0, this.length);
    if (targetStart < 0) throw new ERR_OUT_OF_RANGE("targetStart", ">= 0", targetStart);
    if (sourceStart < 0 || sourceStart > this.length) {
      throw new ERR_OUT_OF_RANGE("sourceStart", `>= 0 && <= ${this.length}`, sourceStart);
    }
    const n = MathMin(sourceEnd - sourceStart, target.length - targetStart);
    if (n <= 0) return 0;
    TypedArrayPrototypeSet(target, TypedArrayPrototypeSlice(this, sourceStart, sourceStart + n), targetStart);
    return n;
  },

  slice(start, end) {
    const [s, e] = clampRange(this.length, start, end);
    return new FastBuffer(TypedArrayPrototypeGetBuffer(this), TypedArrayPrototypeGetByteOffset(this) + s, MathMax(e - s, 0));
  },

  subarray(start, end) {
    return methods.slice.call(this, start, end);
  },

  write(string, offset, length, encoding) {
    if (typeof string !== "string") throw new ERR_INVALID_ARG_TYPE("argument", "string", string);
    if (offset === undefined) {
      offset = 0;
    } else if (typeof offset === "string") {
      encoding = offset;
      offset = 0;
    } else if (typeof length === "string") {
      encoding = length;
      length = undefined;
    }
    if (offset !== 0) checkOffset(offset, 0, this.length);
    const room = this.length - offset;
    length = length === undefined ? room : MathMin(length, room);
    const enc = encodingOrThrow(encoding);
    let bytes = encode(string, enc);
    if (TypedArrayPrototypeGetLength(bytes) > length) {
      let n = length;
      // Node writes whole characters only (utf8) / whole units (utf16le).
      if (enc === "utf8") while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
      if (enc === "utf16le") n -= n % 2;
      bytes = TypedArrayPrototypeSubarray(bytes, 0, n);
    }
    TypedArrayPrototypeSet(this, bytes, offset);
    return TypedArrayPrototypeGetLength(bytes);
  },

  fill(value, offset, end, encoding) {
    if (typeof offset === "string") {
      encoding = offset;
      offset = 0;
      end = this.length;
    } else if (typeof end === "string") {
      encoding = end;
      end = this.length;
    }
    offset = offset === undefined ? 0 : offset;
    end = end === undefined ? this.length : end;
    validateNumber(offset, "offset");
    if (offset < 0 || offset > this.length) throw new ERR_OUT_OF_RANGE("offset", `>= 0 && <= ${this.length}`, offset);
    validateNumber(end, "end");
    if (end < 0 || end > this.length) throw new ERR_OUT_OF_RANGE("end", `>= 0 && <= ${this.length}`, end);
    if (end <= offset) return this;
    return bufferFill(this, value, offset, end, encoding);
  },

  indexOf(value, byteOffset, encoding) {
    return bufferIndexOf(this, value, byteOffset, encoding, false);
  },

  lastIndexOf(value, byteOffset, encoding) {
    return bufferIndexOf(this, value, byteOffset, encoding, true);
  },

  includes(value, byteOffset, encoding) {
    return bufferIndexOf(this, value, byteOffset, encoding, false) !== -1;
  },

  swap16() {
    return swap(this, 2, "16-bits");
  },
  swap32() {
    return swap(this, 4, "32-bits");
  },
  swap64() {
    return swap(this, 8, "64-bits");
  },

  [SymbolFor("Deno.customInspect")](inspect, options) {
    const max = INSPECT_MAX_BYTES;
    const shown = [];
    for (let i = 0; i < MathMin(this.length, max); i++) {
      ArrayPrototypePush(shown, HEX[this[i] >> 4] + HEX[this[i] & 15]);
    }
    let text = ArrayPrototypeJoin(shown, " ");
    if (this.length > max) text += ` ... ${this.length - max} more byte${this.length - max > 1 ? "s" : ""}`;
    return `<Buffer${text ? " " + text : ""}>`;
  },
};

function swap(buf, size, bits) {
  if (buf.length % size !== 0) {
    throw new RangeError(`Buffer size must be a multiple of ${bits}`);
  }
  for (let i = 0; i < buf.length; i += size) {
    for (let j = 0; j < size / 2; j++) {
      const t = buf[i + j];
      buf[i + j] = buf[i + size - 1 - j];
      buf[i + size - 1 - j] = t;
    }
  }
  return buf;
}

// Node's lowercase aliases (readUint8 for readUInt8, ...).
for (const name of ObjectKeys(intMethods)) {
  if (StringPrototypeIncludes(name, "UInt")) methods[StringPrototypeReplace(name, "UInt", "Uint")] = intMethods[name];
}
for (const key of ReflectOwnKeys(methods)) {
  ObjectDefineProperty(BufferPrototype, key, {
    value: methods[key],
    writable: true,
    enumerable: false,
    configurable: true,
  });
}
ObjectDefineProperty(BufferPrototype, "parent", {
  get() {
    return this instanceof FastBuffer ? TypedArrayPrototypeGetBuffer(this) : undefined;
  },
  enumerable: true,
  configurable: true,
});
ObjectDefineProperty(BufferPrototype, "offset", {
  get() {
    return this instanceof FastBuffer ? TypedArrayPrototypeGetByteOffset(this) : undefined;
  },
  enumerable: true,
  configurable: true,
});

const statics = {
  from,
  alloc,
  allocUnsafe,
  allocUnsafeSlow: allocUnsafe,
  isBuffer,
  isEncoding(encoding) {
    return typeof encoding === "string" && encoding.length !== 0 && normalizeEncoding(encoding) !== undefined;
  },
  byteLength,
  compare,
  concat,
  of(...items) {
    return fromArrayLike(items);
  },
  copyBytesFrom(view, offset = 0, length) {
    if (!ArrayBufferIsView(view) || TypedArrayPrototypeGetSymbolToStringTag(view) === undefined) {
      throw new ERR_INVALID_ARG_TYPE("view", "an instance of TypedArray", view, true);
    }
    const size = view.BYTES_PER_ELEMENT;
    const end = length === undefined ? view.length : MathMin(view.length, offset + length);
    const bytes = new Uint8Array(view.buffer, view.byteOffset + offset * size, MathMax(end - offset, 0) * size);
    return from(bytes);
  },
};
for (const [name, value] of ObjectEntries(statics)) {
  ObjectDefineProperty(Buffer, name, { value, writable: true, enumerable: false, configurable: true });
}
Buffer.poolSize = 8192;

/** Node's `SlowBuffer(size)` (deprecated): an uninitialised buffer. */
function SlowBuffer(size) {
  return allocUnsafe(size);
}

/** The bytes of `isUtf8`/`isAscii`'s input (a view or an ArrayBuffer), or
 * Node's ERR_INVALID_ARG_TYPE. */
function inputBytes(input) {
  const bytes = ArrayBufferIsView(input)
    ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
    : isAnyArrayBuffer(input)
    ? new Uint8Array(input)
    : undefined;
  if (bytes === undefined) {
    throw new ERR_INVALID_ARG_TYPE("input", "an instance of ArrayBuffer, Buffer, or TypedArray", input, true);
  }
  return bytes;
}

function isUtf8(input) {
  const bytes = inputBytes(input);
  try {
    new (load("08_text_encoding").TextDecoder)("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function isAscii(input) {
  const bytes = inputBytes(input);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 127) return false;
  return true;
}

function transcode(source, fromEnc, toEnc) {
  validateUint8Array(source, "source");
  const text = decode(source, encodingOrThrow(fromEnc));
  return fromString(text, toEnc);
}

function resolveObjectURL(url) {
  return load("09_file").blobFromObjectUrl(`${url}`) ?? undefined;
}

const { Blob, File } = load("09_file");
const { atob, btoa } = load("05_base64");
const constants = { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength };

const defaultExport = {
  Blob,
  Buffer,
  File,
  INSPECT_MAX_BYTES,
  SlowBuffer,
  atob,
  btoa,
  constants,
  isAscii,
  isUtf8,
  kMaxLength,
  kStringMaxLength,
  resolveObjectURL,
  transcode,
};

export {
  atob,
  Blob,
  btoa,
  Buffer,
  constants,
  defaultExport as default,
  File,
  INSPECT_MAX_BYTES,
  isAscii,
  isUtf8,
  kMaxLength,
  kStringMaxLength,
  resolveObjectURL,
  SlowBuffer,
  transcode,
};
