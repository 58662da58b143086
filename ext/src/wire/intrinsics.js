// Intrinsics of the V8 wire codec (ext/src/wire): evaluated once per realm,
// before user code can patch the globals, as a script whose completion value
// is an object of builtins and small helpers. The Rust codec does everything
// it can through the engine API and calls these for what the API cannot see
// (brand checks, regexp flags, resizable buffers, lone surrogates, ...).
// Plain ECMAScript, pure ASCII.
(() => {
  "use strict";
  const apply = Reflect.apply;
  const getProto = Object.getPrototypeOf;
  const getOwnDesc = Object.getOwnPropertyDescriptor;
  const ObjectProto = Object.prototype;
  const objToString = ObjectProto.toString;
  const fnToString = Function.prototype.toString;
  const symToString = Symbol.prototype.toString;
  const toStringTagSym = Symbol.toStringTag;
  const fromCharCode = String.fromCharCode;
  const charCodeAt = String.prototype.charCodeAt;
  const bigintToString = BigInt.prototype.toString;
  const BigIntFn = BigInt;
  const mapForEach = Map.prototype.forEach;
  const setForEach = Set.prototype.forEach;
  const mapSet = Map.prototype.set;
  const setAdd = Set.prototype.add;

  function getter(proto, name) {
    const d = getOwnDesc(proto, name);
    return d === undefined ? undefined : d.get;
  }
  function ctor(name) {
    const c = globalThis[name];
    return typeof c === "function" ? c : undefined;
  }

  const TypedArrayProto = getProto(Uint8Array.prototype);
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

  // [getter, V8 JSRegExp::Flags bit]; `l` (linear) is not a standard flag.
  const RE_FLAGS = [
    ["hasIndices", 128], ["global", 1], ["ignoreCase", 2], ["multiline", 4],
    ["dotAll", 32], ["unicode", 16], ["unicodeSets", 256], ["sticky", 8],
  ]
    .map(([name, bit]) => [getter(RegExp.prototype, name), bit])
    .filter((f) => f[0] !== undefined);

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
      const c = dataProp(v, "constructor");
      if (typeof c === "function") {
        const name = dataProp(c, "name");
        if (typeof name === "string" && name !== "") return "#<" + name + ">";
      }
    }
    const tag = dataProp(v, toStringTagSym);
    return "[object " + (typeof tag === "string" ? tag : "Object") + "]";
  }

  // `e.stack`, as V8 sees it: an engine whose Error.prototype has a `stack`
  // accessor (QuickJS) shows one even after `delete e.stack`; V8 has none.
  const protoStack = getOwnDesc(Error.prototype, "stack");
  function stackOf(e) {
    for (let p = e; p !== null; p = getProto(p)) {
      const d = getOwnDesc(p, "stack");
      if (d === undefined) continue;
      if (p === Error.prototype && protoStack !== undefined && d.get === protoStack.get) return undefined;
      const stack = e.stack;
      return typeof stack === "string" ? stack : undefined;
    }
    return undefined;
  }

  function isResizable(ab) {
    return abResizable !== undefined && abResizable.call(ab);
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

  // Receiver kinds (the Rust codec's `Kind`), found by walking the prototype
  // chain and then confirmed with a brand check: [prototype, kind, brand].
  // A brand is a function that throws unless `this` really is one (its
  // result is the value the codec writes); `undefined` lets the prototype
  // decide, when no side-effect-free brand check exists.
  const K_PLAIN = 0, K_MAP = 1, K_SET = 2, K_DATE = 3, K_REGEXP = 4, K_AB = 5,
    K_NUMBER = 6, K_STRING = 7, K_BOOLEAN = 8, K_BIGINT = 9, K_ERROR = 10,
    K_REJECT = 11, K_SAB = 12;
  const kinds = [
    ObjectProto, K_PLAIN, undefined,
    Map.prototype, K_MAP, getter(Map.prototype, "size"),
    Set.prototype, K_SET, getter(Set.prototype, "size"),
    Date.prototype, K_DATE, Date.prototype.getTime,
    RegExp.prototype, K_REGEXP, getter(RegExp.prototype, "source"),
    ArrayBuffer.prototype, K_AB, abByteLength,
    Number.prototype, K_NUMBER, Number.prototype.valueOf,
    String.prototype, K_STRING, String.prototype.valueOf,
    Boolean.prototype, K_BOOLEAN, Boolean.prototype.valueOf,
    BigInt.prototype, K_BIGINT, BigInt.prototype.valueOf,
    Error.prototype, K_ERROR, function () {
      if (objToString.call(this) !== "[object Error]") throw new TypeError("not an Error");
    },
    Symbol.prototype, K_REJECT, Symbol.prototype.valueOf,
    Promise.prototype, K_REJECT, undefined,
    getProto(getProto([][Symbol.iterator]())), K_REJECT, undefined, // iterators, generators
    getProto(getProto((async function* () {}).prototype)), K_REJECT, undefined, // async ones
  ];
  for (const [name, k, brand] of [
    ["WeakMap", K_REJECT, "has"], ["WeakSet", K_REJECT, "has"], ["WeakRef", K_REJECT, "deref"],
    ["FinalizationRegistry", K_REJECT, "unregister"], ["SharedArrayBuffer", K_SAB, "byteLength"],
  ]) {
    const c = ctor(name);
    if (c !== undefined) kinds.push(c.prototype, k, getter(c.prototype, brand) || c.prototype[brand]);
  }

  // ArrayBufferView subtags: [constructor name, V8 tag, element size].
  const VIEWS = [
    ["Int8Array", 0x62, 1], ["Uint8Array", 0x42, 1], ["Uint8ClampedArray", 0x43, 1],
    ["Int16Array", 0x77, 2], ["Uint16Array", 0x57, 2], ["Int32Array", 0x64, 4],
    ["Uint32Array", 0x44, 4], ["Float16Array", 0x68, 2], ["Float32Array", 0x66, 4],
    ["Float64Array", 0x46, 8], ["BigInt64Array", 0x71, 8], ["BigUint64Array", 0x51, 8],
  ];
  const taTag = getter(TypedArrayProto, toStringTagSym);
  const VIEW_TAG = {};
  const viewCtors = []; // flat: [tag, constructor, element size, ...]
  for (const [name, tag, size] of VIEWS) {
    VIEW_TAG[name] = [tag, size];
    const c = ctor(name);
    if (c !== undefined) viewCtors.push(tag, c, size);
  }
  viewCtors.push(0x3f, DataView, 1);

  const CHUNK = 4096;

  return {
    kinds,
    viewCtors,
    globalObject: globalThis,
    objectObjectTag: "[object Object]",
    objToString,
    isView: ArrayBuffer.isView,
    isArray: Array.isArray,
    isExtensible: Object.isExtensible,
    brandToken: {},
    // deno_core's `core.hostObjectBrand`: what makes an object a host object.
    hostObjectBrand: Symbol.for("Deno.core.hostObject"),
    describe,

    // Map entries as [k0, v0, k1, v1, ...] / Set values, snapshotted first:
    // serializing them may run getters that mutate the collection.
    mapEntries(m) {
      const r = [];
      apply(mapForEach, m, [(v, k) => { r[r.length] = k; r[r.length] = v; }]);
      return r;
    },
    setValues(s) {
      const r = [];
      apply(setForEach, s, [(v) => { r[r.length] = v; }]);
      return r;
    },
    newMap: Map,
    newSet: Set,
    mapSet,
    setAdd,
    newDate: Date,
    newRegExp: RegExp,
    newArrayBuffer: ArrayBuffer,
    errorCtors: [
      Error, 0, EvalError, 0x45, RangeError, 0x52, ReferenceError, 0x46,
      SyntaxError, 0x53, TypeError, 0x54, URIError, 0x55,
    ],

    // The V8 JSRegExp::Flags bits of a regexp.
    regexpFlags(re) {
      let flags = 0;
      for (let i = 0; i < RE_FLAGS.length; i++) if (RE_FLAGS[i][0].call(re)) flags |= RE_FLAGS[i][1];
      return flags;
    },

    // [resizable, maxByteLength] of an ArrayBuffer; null when it is detached.
    arrayBufferInfo(ab, byteLength) {
      // A detached buffer reports length 0; slicing it is what throws.
      if (byteLength === 0) {
        try {
          abSlice.call(ab, 0, 0);
        } catch (_) {
          return null;
        }
      }
      return isResizable(ab) ? [true, abMaxByteLength.call(ab)] : [false, byteLength];
    },

    // [buffer, tag, offset, byteLength, flags] of a view, flags -1 when it is
    // out of bounds. Flags (format >= 14): bit 0 length-tracking, bit 1 backed
    // by a resizable buffer; length-tracking views store byteLength 0.
    viewInfo(view) {
      const name = taTag.call(view);
      const isDataView = name === undefined;
      const info = isDataView ? undefined : VIEW_TAG[name];
      const ab = isDataView ? dvBuffer.call(view) : taBuffer.call(view);
      const tag = isDataView ? 0x3f : info[0];
      // A SharedArrayBuffer is refused when the buffer is written (Deno:
      // "#<SharedArrayBuffer> could not be cloned.").
      try {
        apply(abByteLength, ab, []);
      } catch (_) {
        return [ab, tag, 0, 0, 0];
      }
      let flags = 0;
      if (isResizable(ab)) {
        if (isOutOfBounds(view, isDataView)) return [ab, tag, 0, 0, -1];
        flags = 2;
      }
      const offset = (isDataView ? dvByteOffset : taByteOffset).call(view);
      let byteLength = (isDataView ? dvByteLength : taByteLength).call(view);
      if (flags !== 0 && tracksLength(view, isDataView, ab, offset, byteLength, isDataView ? 1 : info[1])) {
        flags = 3;
        byteLength = 0;
      }
      return [ab, tag, offset, byteLength, flags];
    },

    // The parts of an error: [prototype subtag or 0, message (string) or
    // undefined, stack (string) or undefined, has cause, cause].
    errorParts(e) {
      const message = getOwnDesc(e, "message");
      const cause = getOwnDesc(e, "cause");
      const name = `${e.name}`;
      let tag = 0;
      switch (name) {
        case "EvalError": tag = 0x45; break;
        case "RangeError": tag = 0x52; break;
        case "ReferenceError": tag = 0x46; break;
        case "SyntaxError": tag = 0x53; break;
        case "TypeError": tag = 0x54; break;
        case "URIError": tag = 0x55; break;
      }
      const text = message !== undefined && "value" in message ? `${message.value}` : undefined;
      const hasCause = cause !== undefined && "value" in cause;
      return [tag, text, stackOf(e), hasCause, hasCause ? cause.value : undefined];
    },

    // Defines a non-enumerable own data property (an error's stack and cause).
    setHidden(o, key, value) {
      Object.defineProperty(o, key, { value, writable: true, enumerable: false, configurable: true });
    },

    // UTF-16 code units <-> strings, for strings with lone surrogates (which
    // the engine API cannot carry).
    stringFromCodes(codes) {
      const n = codes.length;
      if (n <= CHUNK) return fromCharCode.apply(null, codes);
      let s = "";
      for (let i = 0; i < n; i += CHUNK) s += fromCharCode.apply(null, codes.subarray(i, n - i > CHUNK ? i + CHUNK : n));
      return s;
    },
    stringCodes(s) {
      const n = s.length;
      const codes = new Uint16Array(n);
      for (let i = 0; i < n; i++) codes[i] = charCodeAt.call(s, i);
      return codes;
    },

    // bigint <-> hex digits (with a `-` sign when negative).
    bigintHex(b) {
      return bigintToString.call(b, 16);
    },
    bigintFromHex(hex, negative) {
      const magnitude = BigIntFn("0x" + hex);
      return negative ? -magnitude : magnitude;
    },
  };
})()
