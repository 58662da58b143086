// V8 ValueSerializer wire format (the bytes Deno KV stores with v_encoding 1),
// written in plain ECMAScript: no host APIs, pure ASCII source.
// Layout: 0xFF <version varint> <value>. Integers that are V8 Smis (int32)
// are `I` + zigzag varint, other numbers `N` + float64 LE; receivers get ids in
// pre-order so that `^` back-references keep cycles and shared identity.

const FORMAT_VERSION = 16;
const MIN_READ_VERSION = 13;

// ---- intrinsics captured at load time (user code may patch the globals) ----
const ObjectProto = Object.prototype;
const getProto = Object.getPrototypeOf;
const objectKeys = Object.keys;
const getOwnDesc = Object.getOwnPropertyDescriptor;
const defineProp = Object.defineProperty;
const hasOwn = ObjectProto.hasOwnProperty;
const objToString = ObjectProto.toString;
const isArray = Array.isArray;
const isView = ArrayBuffer.isView;
const fnToString = Function.prototype.toString;
const symToString = Symbol.prototype.toString;
const fromCharCode = String.fromCharCode;
const toStringTagSym = Symbol.toStringTag;

function getter(proto, name) {
  const d = getOwnDesc(proto, name);
  return d === undefined ? undefined : d.get;
}

const TypedArrayProto = getProto(Uint8Array.prototype);
const taTag = getter(TypedArrayProto, toStringTagSym);
const taBuffer = getter(TypedArrayProto, "buffer");
const taByteOffset = getter(TypedArrayProto, "byteOffset");
const taByteLength = getter(TypedArrayProto, "byteLength");
const taAt = TypedArrayProto.at;
const dvBuffer = getter(DataView.prototype, "buffer");
const dvByteOffset = getter(DataView.prototype, "byteOffset");
const dvByteLength = getter(DataView.prototype, "byteLength");
const abByteLength = getter(ArrayBuffer.prototype, "byteLength");
const abResizable = getter(ArrayBuffer.prototype, "resizable");
const abMaxByteLength = getter(ArrayBuffer.prototype, "maxByteLength");
const abResize = ArrayBuffer.prototype.resize;
const abSlice = ArrayBuffer.prototype.slice;
const mapSize = getter(Map.prototype, "size");
const mapForEach = Map.prototype.forEach;
const setSize = getter(Set.prototype, "size");
const setForEach = Set.prototype.forEach;
const reSource = getter(RegExp.prototype, "source");
// [getter, V8 JSRegExp::Flags bit]; `l` (linear) is not a standard flag.
const RE_FLAGS = [
  ["hasIndices", 128], ["global", 1], ["ignoreCase", 2], ["multiline", 4],
  ["dotAll", 32], ["unicode", 16], ["unicodeSets", 256], ["sticky", 8],
]
  .map(([name, bit]) => [getter(RegExp.prototype, name), bit])
  .filter((f) => f[0] !== undefined);
const RE_FLAG_CHARS = [[128, "d"], [1, "g"], [2, "i"], [4, "m"], [32, "s"], [16, "u"], [256, "v"], [8, "y"]];
const RE_VALID_FLAGS = 0x1bf; // kFlagCount = 9 bits, minus kLinear (64)

// Receiver kinds, found by walking the prototype chain and then confirmed
// with a brand check (a failed brand check means "ordinary object", as in V8).
const K_PLAIN = 0, K_MAP = 1, K_SET = 2, K_DATE = 3, K_REGEXP = 4, K_AB = 5,
  K_NUMBER = 6, K_STRING = 7, K_BOOLEAN = 8, K_BIGINT = 9, K_ERROR = 10,
  K_REJECT = 11, K_SAB = 12;
const BRAND_TOKEN = {};
// Object.prototype.toString builtin tags that come from internal slots.
const TAG_PROTO = new Map([
  ["[object Date]", Date.prototype], ["[object RegExp]", RegExp.prototype],
  ["[object Error]", Error.prototype], ["[object Boolean]", Boolean.prototype],
  ["[object Number]", Number.prototype], ["[object String]", String.prototype],
]);
const PROTO_KIND = new Map(); // prototype -> kind
const BRAND_OF = new Map(); // prototype -> function that throws unless `this` is one
function kind(proto, k, brand) {
  PROTO_KIND.set(proto, k);
  BRAND_OF.set(proto, brand);
}
kind(ObjectProto, K_PLAIN, undefined);
kind(Map.prototype, K_MAP, mapSize);
kind(Set.prototype, K_SET, setSize);
kind(Date.prototype, K_DATE, Date.prototype.getTime);
kind(RegExp.prototype, K_REGEXP, reSource);
kind(ArrayBuffer.prototype, K_AB, abByteLength);
kind(Number.prototype, K_NUMBER, Number.prototype.valueOf);
kind(String.prototype, K_STRING, String.prototype.valueOf);
kind(Boolean.prototype, K_BOOLEAN, Boolean.prototype.valueOf);
kind(BigInt.prototype, K_BIGINT, BigInt.prototype.valueOf);
kind(Error.prototype, K_ERROR, function () {
  if (objToString.call(this) !== "[object Error]") throw new TypeError("not an Error");
});
kind(Symbol.prototype, K_REJECT, Symbol.prototype.valueOf);
// No side-effect-free brand check exists for these: the prototype decides.
const anyBrand = function () {};
kind(Promise.prototype, K_REJECT, anyBrand);
kind(getProto(getProto([][Symbol.iterator]())), K_REJECT, anyBrand); // iterators, generators
kind(getProto(getProto((async function* () {}).prototype)), K_REJECT, anyBrand); // async ones
for (const [name, k, brand] of [
  ["WeakMap", K_REJECT, "has"], ["WeakSet", K_REJECT, "has"], ["WeakRef", K_REJECT, "deref"],
  ["FinalizationRegistry", K_REJECT, "unregister"], ["SharedArrayBuffer", K_SAB, "byteLength"],
]) {
  const ctor = globalThis[name];
  if (typeof ctor === "function") kind(ctor.prototype, k, getter(ctor.prototype, brand) || ctor.prototype[brand]);
}

// ArrayBufferView subtags: [typed array name, V8 tag, element size].
const VIEWS = [
  ["Int8Array", 0x62, 1], ["Uint8Array", 0x42, 1], ["Uint8ClampedArray", 0x43, 1],
  ["Int16Array", 0x77, 2], ["Uint16Array", 0x57, 2], ["Int32Array", 0x64, 4],
  ["Uint32Array", 0x44, 4], ["Float16Array", 0x68, 2], ["Float32Array", 0x66, 4],
  ["Float64Array", 0x46, 8], ["BigInt64Array", 0x71, 8], ["BigUint64Array", 0x51, 8],
];
const VIEW_TAG = {}; // name -> [tag, size]
const VIEW_CTOR = []; // tag -> [ctor, size]
for (const [name, tag, size] of VIEWS) {
  VIEW_TAG[name] = [tag, size];
  if (typeof globalThis[name] === "function") VIEW_CTOR[tag] = [globalThis[name], size];
}
const DATA_VIEW_TAG = 0x3f;

const ERROR_CTOR = []; // error prototype subtag -> constructor
const ERROR_TAG = new Map(); // error name -> prototype subtag
for (const [ctor, tag] of [
  [EvalError, 0x45], [RangeError, 0x52], [ReferenceError, 0x46],
  [SyntaxError, 0x53], [TypeError, 0x54], [URIError, 0x55],
]) {
  ERROR_CTOR[tag] = ctor;
  ERROR_TAG.set(ctor.name, tag);
}

// ---------------------------------------------------------------- writer ----

let buf = new Uint8Array(1024);
let dv = new DataView(buf.buffer);
let pos = 0;
let ids = null; // Map receiver -> id
let nextId = 0;
let writing = false;

// Reserve n more bytes (hot paths inline the test and call grow directly).
function need(n) {
  if (pos + n > buf.length) grow(n);
}
function grow(n) {
  let cap = buf.length * 2;
  while (cap < pos + n) cap *= 2;
  const nb = new Uint8Array(cap);
  nb.set(buf.subarray(0, pos));
  buf = nb;
  dv = new DataView(nb.buffer);
}

// Unsigned LEB128 of a uint32; caller reserved 5 bytes.
function writeVarint(u) {
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
}

function writeDouble(tag, d) {
  need(9);
  buf[pos++] = tag;
  dv.setFloat64(pos, d, true);
  pos += 8;
}

// V8's kDataCloneError text: "<NoSideEffectsToString(value)> could not be cloned."
function dataProp(o, key) {
  for (let p = o; p !== null; p = getProto(p)) {
    const d = getOwnDesc(p, key);
    if (d !== undefined) return "value" in d ? d.value : undefined;
  }
  return undefined;
}
function describe(v) {
  if (typeof v === "function") return fnToString.call(v);
  if (typeof v === "symbol") return symToString.call(v);
  if (dataProp(v, "toString") === objToString) {
    const ctor = dataProp(v, "constructor");
    if (typeof ctor === "function") {
      const name = dataProp(ctor, "name");
      if (typeof name === "string" && name !== "") return "#<" + name + ">";
    }
  }
  const tag = dataProp(v, toStringTagSym);
  return "[object " + (typeof tag === "string" ? tag : "Object") + "]";
}
function cloneError(v) {
  return new TypeError(describe(v) + " could not be cloned.");
}

function writeValue(v) {
  switch (typeof v) {
    case "number":
      if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
        if (pos + 6 > buf.length) grow(6);
        buf[pos++] = 0x49; // 'I'
        writeVarint(((v << 1) ^ (v >> 31)) >>> 0);
      } else {
        writeDouble(0x4e, v); // 'N'
      }
      return;
    case "string":
      writeString(v);
      return;
    case "boolean":
      need(1);
      buf[pos++] = v ? 0x54 : 0x46; // 'T' / 'F'
      return;
    case "undefined":
      need(1);
      buf[pos++] = 0x5f; // '_'
      return;
    case "bigint":
      need(1);
      buf[pos++] = 0x5a; // 'Z'
      writeBigIntBody(v);
      return;
    case "object":
      if (v === null) {
        need(1);
        buf[pos++] = 0x30; // '0'
        return;
      }
      break;
    default:
      throw cloneError(v); // function, symbol
  }
  const id = ids.get(v);
  if (id !== undefined) {
    need(6);
    buf[pos++] = 0x5e; // '^'
    writeVarint(id);
  } else if (isArray(v)) {
    ids.set(v, nextId++);
    writeArray(v);
  } else if (isView(v)) {
    writeView(v); // the buffer takes the id before the view
  } else {
    ids.set(v, nextId++);
    writeReceiver(v);
  }
}

function varintSize(u) {
  return u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5;
}

// One-byte `"` when every code unit fits Latin-1, else two-byte `c` (UTF-16LE)
// preceded by a `\0` padding tag when needed to 2-align the character data.
function writeString(s) {
  const n = s.length;
  if (pos + 2 * n + 12 > buf.length) grow(2 * n + 12);
  const start = pos;
  buf[pos++] = 0x22;
  if (n < 0x80) buf[pos++] = n;
  else writeVarint(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) {
      pos = start;
      writeTwoByteString(s, n);
      return;
    }
    buf[pos++] = c;
  }
}
function writeTwoByteString(s, n) {
  const byteLength = 2 * n;
  if ((pos + 1 + varintSize(byteLength)) & 1) buf[pos++] = 0;
  buf[pos++] = 0x63;
  writeVarint(byteLength);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    buf[pos++] = c;
    buf[pos++] = c >> 8;
  }
}

// Bitfield (byteLength << 1 | sign) then the magnitude as 64-bit LE digits.
function writeBigIntBody(b) {
  const negative = b < 0n;
  const hex = b === 0n ? "" : (negative ? -b : b).toString(16);
  const byteLength = Math.ceil(hex.length / 16) * 8;
  need(byteLength + 5);
  writeVarint(byteLength * 2 + (negative ? 1 : 0));
  for (let end = hex.length, i = 0; i < byteLength; i += 4, end -= 8) {
    dv.setUint32(pos, end > 0 ? parseInt(hex.slice(end > 8 ? end - 8 : 0, end), 16) : 0, true);
    pos += 4;
  }
}

// Property keys that are array indices are written as numbers, like V8's
// KeyAccumulator does (Smi when <= 2^31-1, HeapNumber above).
function writeKey(k) {
  const c = k.charCodeAt(0);
  if (c >= 0x30 && c <= 0x39) {
    const n = +k;
    if ((n >>> 0) === n && n !== 4294967295 && "" + n === k) {
      if (n <= 0x7fffffff) {
        need(6);
        buf[pos++] = 0x49;
        writeVarint(n * 2);
      } else {
        writeDouble(0x4e, n);
      }
      return;
    }
  }
  writeString(k);
}

// Writes keys[start..] with their values; a key whose property vanished
// meanwhile (a getter deleted it) is skipped. Returns the count written.
function writeProperties(o, keys, start) {
  let count = 0;
  for (let i = start; i < keys.length; i++) {
    const k = keys[i];
    const v = o[k];
    if (v === undefined && !hasOwn.call(o, k)) continue;
    writeKey(k);
    writeValue(v);
    count++;
  }
  return count;
}

function writeEnd(tag, count, length) {
  need(11);
  buf[pos++] = tag;
  writeVarint(count);
  if (length >= 0) writeVarint(length);
}

// V8 writes packed arrays densely (`A`) and holey ones sparsely (`a`). The
// elements kind is history, not content; this follows an array built in
// index order (push, literals of computed values): V8 >= 15 keeps undefined
// in (holey) double elements, so an undefined met while every earlier element
// was a number makes the array holey for good. A packed array of numbers with
// any non-Smi has double elements: all written as `N`.
function writeArray(a) {
  const length = a.length;
  const keys = objectKeys(a);
  let sparse = keys.length < length;
  let onlyNumbers = true;
  let anyDouble = false;
  for (let i = 0; !sparse && i < length; i++) {
    const e = a[i];
    if (typeof e === "number") {
      if (!anyDouble && ((e | 0) !== e || (e === 0 && 1 / e < 0))) anyDouble = true;
    } else {
      if (e === undefined && (onlyNumbers || !(i in a))) sparse = true;
      onlyNumbers = false;
    }
  }
  need(6);
  if (sparse) {
    buf[pos++] = 0x61; // 'a'
    writeVarint(length);
    writeEnd(0x40, writeProperties(a, keys, 0), length); // '@'
    return;
  }
  buf[pos++] = 0x41; // 'A'
  writeVarint(length);
  if (onlyNumbers && anyDouble) {
    for (let i = 0; i < length; i++) writeDouble(0x4e, a[i]);
  } else {
    for (let i = 0; i < length; i++) writeValue(a[i]);
  }
  writeEnd(0x24, writeProperties(a, keys, length), length); // '$'
}

// Brand-checks v against a known prototype: its kind (leaving the brand
// call's result in brandValue), or K_PLAIN when v is not really one.
let brandValue;
function brandKind(v, proto) {
  try {
    brandValue = BRAND_OF.get(proto).call(v, BRAND_TOKEN);
    return PROTO_KIND.get(proto);
  } catch (_) {
    return K_PLAIN;
  }
}

function writeReceiver(v) {
  let k = K_PLAIN;
  for (let p = getProto(v); p !== null; p = getProto(p)) {
    const found = PROTO_KIND.get(p);
    if (found === undefined) continue;
    if (found !== K_PLAIN) k = brandKind(v, p);
    break;
  }
  if (k === K_PLAIN) {
    // Slots outlive a changed prototype; builtinTag also spots `arguments`
    // (and Boolean/Number/String.prototype, which are wrappers themselves).
    const tag = objToString.call(v);
    if (tag !== "[object Object]") {
      if (tag === "[object Arguments]") throw cloneError(v);
      const proto = TAG_PROTO.get(tag);
      if (proto !== undefined) k = brandKind(v, proto);
    }
    if (v === globalThis) throw cloneError(v);
  }
  const inner = brandValue;
  brandValue = undefined;
  switch (k) {
    case K_PLAIN:
      need(1);
      buf[pos++] = 0x6f; // 'o'
      writeEnd(0x7b, writeProperties(v, objectKeys(v), 0), -1); // '{'
      return;
    case K_MAP:
    case K_SET: {
      // Snapshot first: serializing entries may run getters that mutate.
      const entries = [];
      if (k === K_MAP) mapForEach.call(v, (val, key) => { entries.push(key, val); });
      else setForEach.call(v, (val) => { entries.push(val); });
      need(1);
      buf[pos++] = k === K_MAP ? 0x3b : 0x27; // ';' / '\''
      for (let i = 0; i < entries.length; i++) writeValue(entries[i]);
      writeEnd(k === K_MAP ? 0x3a : 0x2c, entries.length, -1); // ':' / ','
      return;
    }
    case K_DATE:
      writeDouble(0x44, inner); // 'D'
      return;
    case K_REGEXP: {
      let flags = 0;
      for (let i = 0; i < RE_FLAGS.length; i++) if (RE_FLAGS[i][0].call(v)) flags |= RE_FLAGS[i][1];
      need(1);
      buf[pos++] = 0x52; // 'R'
      writeString(inner);
      need(5);
      writeVarint(flags);
      return;
    }
    case K_AB:
      writeArrayBuffer(v, inner);
      return;
    case K_NUMBER:
      writeDouble(0x6e, inner); // 'n'
      return;
    case K_STRING:
      need(1);
      buf[pos++] = 0x73; // 's'
      writeString(inner);
      return;
    case K_BOOLEAN:
      need(1);
      buf[pos++] = inner ? 0x79 : 0x78; // 'y' / 'x'
      return;
    case K_BIGINT:
      need(1);
      buf[pos++] = 0x7a; // 'z'
      writeBigIntBody(inner);
      return;
    case K_ERROR:
      writeError(v);
      return;
    case K_SAB: // Deno refuses SharedArrayBuffers for storage with a plain Error
      throw new Error(describe(v) + " could not be cloned.");
    default:
      throw cloneError(v);
  }
}

function isResizable(ab) {
  return abResizable !== undefined && abResizable.call(ab);
}

function writeArrayBuffer(ab, byteLength) {
  // A detached buffer reports length 0; slicing it is what throws.
  if (byteLength === 0) {
    try {
      abSlice.call(ab, 0, 0);
    } catch (_) {
      throw new TypeError("An ArrayBuffer is detached and could not be cloned.");
    }
  }
  need(byteLength + 11);
  if (isResizable(ab)) {
    buf[pos++] = 0x7e; // '~'
    writeVarint(byteLength);
    writeVarint(abMaxByteLength.call(ab));
  } else {
    buf[pos++] = 0x42; // 'B'
    writeVarint(byteLength);
  }
  buf.set(new Uint8Array(ab, 0, byteLength), pos);
  pos += byteLength;
}

function isOutOfBounds(view, isDataView) {
  try {
    if (isDataView) dvByteLength.call(view);
    else taAt.call(view, 0);
    return false;
  } catch (_) {
    return true;
  }
}

// Whether a view on a resizable buffer tracks its length. No getter exposes
// that, so grow the buffer by one element (or, when it cannot grow, shrink it
// and restore the dropped bytes) and watch whether the view follows.
function tracksLength(view, isDataView, ab, offset, byteLength, size) {
  const getLength = isDataView ? dvByteLength : taByteLength;
  const abLength = abByteLength.call(ab);
  if (abLength - offset - byteLength >= size) return false;
  if (abMaxByteLength.call(ab) - abLength >= size) {
    abResize.call(ab, abLength + size);
    const grew = getLength.call(view) !== byteLength;
    abResize.call(ab, abLength);
    return grew;
  }
  if (byteLength === 0) return false; // indistinguishable without room to grow
  const tail = new Uint8Array(ab, abLength - size, size).slice();
  abResize.call(ab, abLength - size);
  const tracks = !isOutOfBounds(view, isDataView);
  abResize.call(ab, abLength);
  new Uint8Array(ab, abLength - size, size).set(tail);
  return tracks;
}

// `V` subtag offset length flags, right after its buffer (written or `^`).
// Flags (format >= 14): bit 0 length-tracking, bit 1 backed by a resizable
// buffer; length-tracking views store byteLength 0.
function writeView(view) {
  const name = taTag.call(view);
  const isDataView = name === undefined;
  const info = isDataView ? undefined : VIEW_TAG[name];
  const ab = isDataView ? dvBuffer.call(view) : taBuffer.call(view);
  writeValue(ab);
  ids.set(view, nextId++);
  let flags = 0;
  if (isResizable(ab)) {
    if (isOutOfBounds(view, isDataView)) throw cloneError(view);
    flags = 2;
  }
  const offset = (isDataView ? dvByteOffset : taByteOffset).call(view);
  let byteLength = (isDataView ? dvByteLength : taByteLength).call(view);
  if (flags !== 0 && tracksLength(view, isDataView, ab, offset, byteLength, isDataView ? 1 : info[1])) {
    flags = 3;
    byteLength = 0;
  }
  need(17);
  buf[pos++] = 0x56; // 'V'
  buf[pos++] = isDataView ? DATA_VIEW_TAG : info[0];
  writeVarint(offset);
  writeVarint(byteLength);
  writeVarint(flags);
}

// `r` [prototype subtag] [`m` message] [`s` stack] [`c` cause] `.`
// (format 16 writes the stack before the cause; 15 wrote the cause first).
function writeError(e) {
  const message = getOwnDesc(e, "message");
  const cause = getOwnDesc(e, "cause");
  const protoTag = ERROR_TAG.get(`${e.name}`);
  need(2);
  buf[pos++] = 0x72; // 'r'
  if (protoTag !== undefined) buf[pos++] = protoTag;
  if (message !== undefined && "value" in message) {
    need(1);
    buf[pos++] = 0x6d; // 'm'
    writeString(`${message.value}`);
  }
  const stack = e.stack;
  if (typeof stack === "string") {
    need(1);
    buf[pos++] = 0x73; // 's'
    writeString(stack);
  }
  if (cause !== undefined && "value" in cause) {
    need(1);
    buf[pos++] = 0x63; // 'c'
    writeValue(cause.value);
  }
  need(1);
  buf[pos++] = 0x2e; // '.'
}

/**
 * Serializes `value` exactly as V8's ValueSerializer does for Deno KV
 * (`Deno.core.serialize(value, { forStorage: true })`, format version 16).
 * Throws a TypeError "<value> could not be cloned." for values that structured
 * clone rejects (functions, symbols, WeakMap, Promise, ...), a plain Error for
 * a SharedArrayBuffer.
 * @param {unknown} value
 * @returns {Uint8Array}
 */
export function serializeValue(value) {
  const outer = writing ? [buf, dv, pos, ids, nextId] : null;
  if (outer !== null) {
    buf = new Uint8Array(256);
    dv = new DataView(buf.buffer);
  }
  writing = true;
  pos = 0;
  ids = new Map();
  nextId = 0;
  try {
    buf[pos++] = 0xff;
    buf[pos++] = FORMAT_VERSION;
    writeValue(value);
    return buf.slice(0, pos);
  } finally {
    if (outer !== null) {
      [buf, dv, pos, ids, nextId] = outer;
    } else {
      writing = false;
      ids = null;
      if (buf.length > 1 << 20) {
        buf = new Uint8Array(1024);
        dv = new DataView(buf.buffer);
      }
    }
  }
}

// ---------------------------------------------------------------- reader ----

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const CHUNK = 4096;

let rb = null; // input bytes
let rdv = null;
let rpos = 0;
let rend = 0;
let robjs = null; // id -> object (undefined while reserved)
let rversion = 0;

function fail(what) {
  throw new Error("Unable to deserialize value: " + what);
}

function readTag() {
  while (rpos < rend) {
    const t = rb[rpos++];
    if (t !== 0) return t; // skip padding
  }
  return fail("unexpected end of data");
}

// Next non-padding tag without consuming anything, or -1 at the end.
function peekTag() {
  let p = rpos;
  while (p < rend && rb[p] === 0) p++;
  return p < rend ? rb[p] : -1;
}

// uint32 LEB128, lenient like V8: bits past 32 are dropped and a sixth byte
// ends the varint.
function readVarint() {
  if (rpos < rend && rb[rpos] < 0x80) return rb[rpos++];
  let r = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (rpos >= rend) fail("unexpected end of data");
    const b = rb[rpos++];
    r |= (b & 0x7f) << shift;
    if (b < 0x80) return r >>> 0;
  }
  if (rpos >= rend) fail("unexpected end of data");
  rpos++;
  return r >>> 0;
}

function readLength() {
  const n = readVarint();
  if (n > rend - rpos) fail("length past end of data");
  return n;
}

function readDouble() {
  if (rend - rpos < 8) fail("unexpected end of data");
  const d = rdv.getFloat64(rpos, true);
  rpos += 8;
  return d;
}

function codesToString(codes, start, end) {
  if (end - start <= CHUNK) return fromCharCode.apply(null, codes.subarray(start, end));
  let s = "";
  for (let i = start; i < end; i += CHUNK) {
    s += fromCharCode.apply(null, codes.subarray(i, end - i > CHUNK ? i + CHUNK : end));
  }
  return s;
}

function readOneByteString() {
  const n = readLength();
  const p = rpos;
  rpos += n;
  switch (n) { // short keys: a direct call beats apply() on an interpreter
    case 0: return "";
    case 1: return fromCharCode(rb[p]);
    case 2: return fromCharCode(rb[p], rb[p + 1]);
    case 3: return fromCharCode(rb[p], rb[p + 1], rb[p + 2]);
    case 4: return fromCharCode(rb[p], rb[p + 1], rb[p + 2], rb[p + 3]);
    case 5: return fromCharCode(rb[p], rb[p + 1], rb[p + 2], rb[p + 3], rb[p + 4]);
    case 6: return fromCharCode(rb[p], rb[p + 1], rb[p + 2], rb[p + 3], rb[p + 4], rb[p + 5]);
    default: return codesToString(rb, p, rpos);
  }
}

function readTwoByteString() {
  const n = readLength();
  if (n & 1) fail("odd two-byte string length");
  const start = rpos;
  rpos += n;
  if (LITTLE_ENDIAN && ((rb.byteOffset + start) & 1) === 0) {
    return codesToString(new Uint16Array(rb.buffer, rb.byteOffset + start, n >> 1), 0, n >> 1);
  }
  const codes = new Uint16Array(n >> 1);
  for (let i = 0; i < codes.length; i++) codes[i] = rb[start + 2 * i] | (rb[start + 2 * i + 1] << 8);
  return codesToString(codes, 0, codes.length);
}

// UTF-8 with WHATWG replacement of malformed sequences (V8's decoder).
function readUtf8String() {
  const end = readLength() + rpos;
  const codes = new Uint16Array(end - rpos);
  let j = 0;
  while (rpos < end) {
    const b = rb[rpos++];
    if (b < 0x80) {
      codes[j++] = b;
      continue;
    }
    let more = 0, cp = 0, lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      more = 1;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      more = 2;
      cp = b & 0x0f;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      more = 3;
      cp = b & 0x07;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else {
      codes[j++] = 0xfffd;
      continue;
    }
    while (more > 0 && rpos < end && rb[rpos] >= lo && rb[rpos] <= hi) {
      cp = (cp << 6) | (rb[rpos++] & 0x3f);
      more--;
      lo = 0x80;
      hi = 0xbf;
    }
    if (more > 0) {
      codes[j++] = 0xfffd;
    } else if (cp >= 0x10000) {
      cp -= 0x10000;
      codes[j++] = 0xd800 | (cp >> 10);
      codes[j++] = 0xdc00 | (cp & 0x3ff);
    } else {
      codes[j++] = cp;
    }
  }
  return codesToString(codes, 0, j);
}

function readString() {
  const s = readValue();
  if (typeof s !== "string") fail("expected a string");
  return s;
}

const HEX = [];
for (let i = 0; i < 256; i++) HEX.push((i < 16 ? "0" : "") + i.toString(16));

function readBigIntBody() {
  const bitfield = readVarint();
  const n = (bitfield >>> 1) & 0x3fffffff;
  if (n > rend - rpos) fail("length past end of data");
  let hex = "";
  for (let i = rpos + n - 1; i >= rpos; i--) hex += HEX[rb[i]];
  rpos += n;
  const magnitude = n === 0 ? 0n : BigInt("0x" + hex);
  return bitfield & 1 ? -magnitude : magnitude;
}

function readProperties(o, endTag) {
  for (let count = 0; ; count++) {
    if (rpos < rend && rb[rpos] === endTag) {
      rpos++;
      return count;
    }
    if (peekTag() === endTag) {
      readTag();
      return count;
    }
    const key = readValue();
    if (typeof key !== "string" && typeof key !== "number") fail("invalid property key");
    const value = readValue();
    if (hasOwn.call(o, key)) fail("duplicate property key");
    if (key === "__proto__") defineProp(o, key, { value, writable: true, enumerable: true, configurable: true });
    else o[key] = value;
  }
}

function readObject() {
  const o = pushed({});
  const count = readProperties(o, 0x7b);
  if (readVarint() !== count) fail("property count mismatch");
  return o;
}

function readDenseArray() {
  const length = readLength(); // each element takes at least one byte
  const a = [];
  robjs.push(a);
  for (let i = 0; i < length; i++) {
    const t = rpos < rend ? rb[rpos] : -1;
    if (t === 0x2d || (t === 0 && peekTag() === 0x2d)) readTag(); // '-': the hole
    else a[i] = readValue();
  }
  a.length = length;
  const count = readProperties(a, 0x24);
  if (readVarint() !== count || readVarint() !== length) fail("array length mismatch");
  return a;
}

function readSparseArray() {
  const length = readVarint();
  const a = [];
  a.length = length;
  robjs.push(a);
  const count = readProperties(a, 0x40);
  if (readVarint() !== count || readVarint() !== length) fail("array length mismatch");
  return a;
}

function readArrayBuffer(resizable) {
  const byteLength = readVarint();
  const maxByteLength = resizable ? readVarint() : byteLength;
  if (byteLength > rend - rpos || byteLength > maxByteLength) fail("invalid ArrayBuffer length");
  let ab;
  if (resizable) {
    ab = new ArrayBuffer(byteLength, { maxByteLength });
    new Uint8Array(ab).set(rb.subarray(rpos, rpos + byteLength));
  } else {
    ab = rb.slice(rpos, rpos + byteLength).buffer;
  }
  rpos += byteLength;
  robjs.push(ab);
  return ab;
}

function readView(ab) {
  const tag = readVarint();
  const offset = readVarint();
  const byteLength = readVarint();
  const abLength = abByteLength.call(ab);
  if (offset > abLength || byteLength > abLength - offset) fail("view out of bounds");
  const flags = rversion >= 14 ? readVarint() : 0;
  const tracking = (flags & 1) !== 0;
  const rab = isResizable(ab);
  if (((flags & 3) !== 0 && !rab) || (rab && (flags & 2) === 0)) fail("invalid view flags");
  let view;
  if (tag === DATA_VIEW_TAG) {
    view = tracking ? new DataView(ab, offset) : new DataView(ab, offset, byteLength);
  } else {
    const info = VIEW_CTOR[tag];
    if (info === undefined) fail("unknown view type");
    const size = info[1];
    if (offset % size !== 0 || byteLength % size !== 0) fail("misaligned view");
    view = tracking ? new info[0](ab, offset) : new info[0](ab, offset, byteLength / size);
  }
  robjs.push(view);
  return view;
}

function readRegExp() {
  const id = robjs.length;
  robjs.push(undefined);
  const pattern = readString();
  const bits = readVarint();
  if ((bits & ~RE_VALID_FLAGS) !== 0) fail("invalid regexp flags");
  let flags = "";
  for (let i = 0; i < RE_FLAG_CHARS.length; i++) if (bits & RE_FLAG_CHARS[i][0]) flags += RE_FLAG_CHARS[i][1];
  let re;
  try {
    re = new RegExp(pattern, flags);
  } catch (_) {
    fail("invalid regexp");
  }
  robjs[id] = re;
  return re;
}

function setHidden(o, key, value) {
  defineProp(o, key, { value, writable: true, enumerable: false, configurable: true });
}

function readError() {
  const id = robjs.length;
  robjs.push(undefined); // reserved: a reference before creation is invalid
  let tag = readVarint();
  const Ctor = ERROR_CTOR[tag];
  if (Ctor !== undefined) tag = readVarint();
  let message;
  if (tag === 0x6d) {
    message = readString();
    tag = readVarint();
  }
  const e = message === undefined ? new (Ctor || Error)() : new (Ctor || Error)(message);
  robjs[id] = e;
  let stack;
  // Format 16 writes the stack before the cause, 15 after: accept both.
  if (tag === 0x73) {
    stack = readString();
    tag = readVarint();
  }
  if (tag === 0x63) {
    setHidden(e, "cause", readValue());
    tag = readVarint();
    if (tag === 0x73 && stack === undefined) {
      stack = readString();
      tag = readVarint();
    }
  }
  if (tag !== 0x2e) fail("invalid error tag");
  setHidden(e, "stack", stack);
  return e;
}

function readCollection(isMap) {
  const c = isMap ? new Map() : new Set();
  robjs.push(c);
  let count = 0;
  const endTag = isMap ? 0x3a : 0x2c;
  while (peekTag() !== endTag) {
    if (isMap) {
      const key = readValue();
      c.set(key, readValue());
      count += 2;
    } else {
      c.add(readValue());
      count++;
    }
  }
  readTag();
  if (readVarint() !== count) fail("collection size mismatch");
  return c;
}

function pushed(o) {
  robjs.push(o);
  return o;
}

function readInner() {
  let tag = rpos < rend ? rb[rpos] : 0;
  if (tag !== 0) rpos++;
  else tag = readTag();
  switch (tag) { // most frequent first: an interpreter tests cases in order
    case 0x22: return readOneByteString(); // '"'
    case 0x49: { // 'I' zigzag int32
      const u = readVarint();
      return (u >>> 1) ^ -(u & 1);
    }
    case 0x6f: return readObject(); // 'o'
    case 0x4e: return readDouble(); // 'N'
    case 0x41: return readDenseArray(); // 'A'
    case 0x54: return true; // 'T'
    case 0x46: return false; // 'F'
    case 0x30: return null; // '0'
    case 0x5f: return undefined; // '_'
    case 0x63: return readTwoByteString(); // 'c'
    case 0x5e: { // '^'
      const o = robjs[readVarint()];
      if (o === undefined) fail("invalid object reference");
      return o;
    }
    case 0x44: return pushed(new Date(readDouble())); // 'D'
    case 0x61: return readSparseArray(); // 'a'
    case 0x3b: return readCollection(true); // ';'
    case 0x27: return readCollection(false); // '\''
    case 0x5a: return readBigIntBody(); // 'Z'
    case 0x42: return readArrayBuffer(false); // 'B'
    case 0x55: return readVarint(); // 'U'
    case 0x53: return readUtf8String(); // 'S'
    case 0x79: return pushed(new Boolean(true)); // 'y'
    case 0x78: return pushed(new Boolean(false)); // 'x'
    case 0x6e: return pushed(new Number(readDouble())); // 'n'
    case 0x7a: return pushed(Object(readBigIntBody())); // 'z'
    case 0x73: { // 's'
      const id = robjs.length;
      robjs.push(undefined);
      return (robjs[id] = new String(readString()));
    }
    case 0x52: return readRegExp(); // 'R'
    case 0x7e: return readArrayBuffer(true); // '~'
    case 0x72: return readError(); // 'r'
    case 0x3f: // '?': object count to verify, ignored like V8 does
      readVarint();
      return readInner();
    default:
      return fail("unsupported tag at offset " + (rpos - 1));
  }
}

// A value; an ArrayBuffer followed by `V` is the buffer of a view.
function readValue() {
  const v = readInner();
  if (rpos < rend && (rb[rpos] === 0x56 || rb[rpos] === 0) && peekTag() === 0x56 && v instanceof ArrayBuffer) {
    readTag();
    return readView(v);
  }
  return v;
}

/**
 * Deserializes V8 ValueSerializer bytes (format versions 13 to 16) as written
 * by Deno KV for v_encoding 1. Throws an Error on malformed, truncated or
 * unsupported input (host objects, transferred or shared buffers, trailing
 * bytes).
 * @param {Uint8Array} bytes
 * @returns {unknown}
 */
export function deserializeValue(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("deserializeValue expects a Uint8Array");
  const outer = rb === null ? null : [rb, rdv, rpos, rend, robjs, rversion];
  rb = bytes;
  rdv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  rpos = 0;
  rend = bytes.length;
  robjs = [];
  try {
    if (rend === 0 || rb[0] !== 0xff) fail("missing version header");
    rpos = 1;
    rversion = readVarint();
    if (rversion < MIN_READ_VERSION || rversion > FORMAT_VERSION) fail("unsupported format version " + rversion);
    const value = readValue();
    if (peekTag() !== -1) fail("trailing bytes after value");
    return value;
  } finally {
    if (outer === null) {
      rb = rdv = robjs = null;
    } else {
      [rb, rdv, rpos, rend, robjs, rversion] = outer;
    }
  }
}
