// Regenerates tests/value_codec_vectors.json from real Deno (the oracle):
//   DENO_NO_UPDATE_CHECK=1 deno run --unstable-kv -A tests/tools/gen_value_vectors.ts
// Each vector's `js` expression is evaluated in a fresh worker isolate (V8's
// hidden-class state would otherwise leak between vectors), stored with
// kv.set, and the raw `v` column is read back from the SQLite file. Values
// Deno refuses are recorded as `error: "<Class>: <message>"` instead of `hex`.
// `known_mismatch` marks vectors whose bytes depend on V8 internals that
// plain JavaScript cannot observe (elements kinds, field representations).

type Vector = { name: string; js: string; known_mismatch?: string };

const VECTORS: Vector[] = [
  // primitives and numbers
  { name: "undefined", js: "undefined" },
  { name: "null", js: "null" },
  { name: "true", js: "true" },
  { name: "false", js: "false" },
  { name: "int 0", js: "0" },
  { name: "int 1000", js: "1000" },
  { name: "int -1", js: "-1" },
  { name: "int 2^30-1", js: "2 ** 30 - 1" },
  { name: "int 2^30", js: "2 ** 30" },
  { name: "int -2^30", js: "-(2 ** 30)" },
  { name: "int -2^30-1", js: "-(2 ** 30) - 1" },
  { name: "int 2^31-1", js: "2 ** 31 - 1" },
  { name: "double 2^31", js: "2 ** 31" },
  { name: "int -2^31", js: "-(2 ** 31)" },
  { name: "double -2^31-1", js: "-(2 ** 31) - 1" },
  { name: "double 2^53", js: "2 ** 53" },
  { name: "double -0", js: "-0" },
  { name: "double NaN", js: "NaN" },
  { name: "double Infinity", js: "Infinity" },
  { name: "double -Infinity", js: "-Infinity" },
  { name: "double 1.5", js: "1.5" },
  { name: "double 0.1", js: "0.1" },
  { name: "double MIN_VALUE", js: "Number.MIN_VALUE" },
  { name: "double MAX_VALUE", js: "Number.MAX_VALUE" },
  // bigints
  { name: "bigint 0", js: "0n" },
  { name: "bigint 10", js: "10n" },
  { name: "bigint -1", js: "-1n" },
  { name: "bigint 2^63", js: "2n ** 63n" },
  { name: "bigint 2^64", js: "2n ** 64n" },
  { name: "bigint -(2^64)-1", js: "-(2n ** 64n) - 1n" },
  { name: "bigint huge", js: "2n ** 200n + 12345n" },
  { name: "bigint huge negative", js: "-(10n ** 40n)" },
  // strings
  { name: "string empty", js: '""' },
  { name: "string ascii", js: '"abc"' },
  { name: "string latin1", js: '"caf\\u00e9 \\u00ff\\u0080"' },
  { name: "string nul", js: '"a\\u0000b"' },
  { name: "string two-byte", js: '"\\u20ac"' },
  { name: "string mixed two-byte", js: '"a\\u20ac"' },
  { name: "string emoji", js: '"smile \\ud83d\\ude00!"' },
  { name: "string lone surrogate", js: '"\\ud800x\\udc00"' },
  { name: "string long latin1", js: '"x\\u00e9".repeat(150)' },
  { name: "string long two-byte", js: '"\\u4e2d\\u6587".repeat(100)' },
  { name: "string padding in array", js: '["a", "\\u20ac", "bc", "\\u20ac\\u20ac"]' },
  { name: "string padding as key", js: '({ "\\u20ac": 1, ab: "\\u0101", c: "xy\\u0101" })' },
  { name: "string padding long length varint", js: '["ab", "\\u0101".repeat(64)]' },
  // objects
  { name: "object empty", js: "({})" },
  { name: "object user", js: '({ i: 0, name: "user0" })' },
  { name: "object key order", js: "({ b: 1, a: 2, c: 3 })" },
  { name: "object nested", js: '({ a: { b: { c: [1, { d: null }] } }, e: "f" })' },
  {
    name: "object numeric keys",
    js: '({ z: 1, 0: "a", 10: "b", "-1": "c", "1.5": "d", "01": "e", "4294967294": "f", "4294967295": "g", "2147483647": "h", "2147483648": "i", "1e3": "j" })',
  },
  { name: "object __proto__ key", js: 'JSON.parse(\'{"__proto__": 1, "x": 2}\')' },
  { name: "object null prototype", js: "Object.assign(Object.create(null), { a: 1, b: [2] })" },
  { name: "object class instance", js: "new (class P { constructor() { this.x = 1; this.y = 'two'; } get z() { return 3; } })()" },
  { name: "object getter", js: "({ get g() { return 5; }, h: 1 })" },
  { name: "object non-enumerable and symbol", js: 'Object.defineProperty({ a: 1, [Symbol("s")]: 2 }, "b", { value: 2, enumerable: false })' },
  { name: "object prototype-only Map", js: "Object.create(Map.prototype)" },
  { name: "object prototype-only Date", js: "Object.assign(Object.create(Date.prototype), { x: 1 })" },
  { name: "object prototypes", js: "[Object.prototype, Map.prototype, TypeError.prototype, Date.prototype]" },
  { name: "wrapper prototypes", js: "[Boolean.prototype, Number.prototype, String.prototype]" },
  { name: "date re-prototyped", js: "Object.setPrototypeOf(new Date(3), Object.prototype)" },
  { name: "error re-prototyped", js: '(() => { const e = new Error("m"); e.stack = "S"; return Object.setPrototypeOf(e, null); })()' },
  { name: "date and regexp subclasses", js: '[new (class D extends Date {})(5), new (class R extends RegExp {})("a", "g")]' },
  // arrays
  { name: "array empty", js: "[]" },
  { name: "array smi", js: "[1, 2, 3]" },
  { name: "array doubles", js: "[1.5, 2]" },
  { name: "array mixed smi", js: '[1, "a"]' },
  { name: "array mixed double", js: '[1.5, "a", 2]' },
  { name: "array -0", js: "[-0, 1]" },
  { name: "array NaN", js: "[NaN, 2 ** 31]" },
  { name: "array oddballs", js: "[null, true, false, undefined]" },
  {
    name: "array constant literal after undefined",
    js: "[undefined, null, true, false]",
    known_mismatch: "a literal whose constants are not numbers starts with object elements, so its undefined does not make it holey",
  },
  { name: "array nested", js: "[[1], [2, [3, []]], {}]" },
  { name: "array hole", js: "[1, , 3]" },
  { name: "array only hole", js: "[,]" },
  { name: "array new Array(5)", js: "new Array(5)" },
  { name: "array filled", js: "new Array(3).fill(0)" },
  { name: "array deleted element", js: "(() => { const a = [1, 2, 3]; delete a[2]; return a; })()" },
  { name: "array extra props", js: '(() => { const a = [1, 2]; a.x = 5; a["-1"] = "n"; return a; })()' },
  { name: "array sparse big index", js: '(() => { const a = []; a[5] = 1; a[3000000000] = 2; a.x = 1; return a; })()' },
  { name: "array sparse extra props", js: '(() => { const a = [1, , "x"]; a.p = [a.length]; return a; })()' },
  { name: "array of undefined", js: "Array.from({ length: 3 })" },
  { name: "array frozen", js: "Object.freeze([1, 2])" },
  { name: "array sealed", js: 'Object.seal(["a", { b: 1 }])' },
  { name: "array non-extensible", js: "Object.preventExtensions([1.5])" },
  { name: "array frozen empty", js: "Object.freeze([])" },
  { name: "array undefined only", js: "[undefined]" },
  { name: "array smi and undefined", js: "[1, undefined, -7]" },
  { name: "array double and undefined", js: "[1.5, undefined, 2]" },
  { name: "array pushed undefined", js: "(() => { const a = []; a.push(undefined); return a; })()" },
  { name: "array undefined and string", js: '["a", undefined]' },
  { name: "array undefined then object", js: "(() => { const a = []; a.push(undefined, {}); return a; })()" },
  { name: "array object then undefined", js: "(() => { const a = []; a.push({}, undefined); return a; })()" },
  { name: "array computed undefined then null", js: "(() => { const u = undefined, n = null; return [u, n]; })()" },
  {
    name: "array holey but full",
    js: "(() => { const a = new Array(3); a[0] = 1; a[1] = 2; a[2] = 3; return a; })()",
    known_mismatch: "holey elements kind with no actual hole: V8 picks the sparse form",
  },
  {
    name: "array double field representation",
    js: "[{ a: 1.5 }, { a: 2 }]",
    known_mismatch: "the shared hidden class stores field a as a double, so V8 writes 2 as N",
  },
  // Map / Set
  { name: "map empty", js: "new Map()" },
  { name: "map mixed", js: 'new Map([[1, "a"], ["b", {}], [null, [1]], [NaN, -0], [10n, true]])' },
  { name: "set empty", js: "new Set()" },
  { name: "set mixed", js: 'new Set([1, "a", null, 1.5, { x: 1 }, [2]])' },
  { name: "map subclass", js: "new (class M extends Map {})([[1, 2]])" },
  // Date
  { name: "date epoch", js: "new Date(0)" },
  { name: "date now-ish", js: "new Date(1700000000123)" },
  { name: "date negative", js: "new Date(-1e14)" },
  { name: "date invalid", js: "new Date(NaN)" },
  { name: "date shared", js: "(() => { const d = new Date(5); return [d, d]; })()" },
  // RegExp
  { name: "regexp simple", js: "/abc/" },
  { name: "regexp all flags", js: "/a\\/b/dgimsuy" },
  { name: "regexp v flag", js: "/[\\p{L}--[a-z]]/v" },
  { name: "regexp empty", js: 'new RegExp("")' },
  { name: "regexp escaped source", js: 'new RegExp("a/b\\n[/]")' },
  { name: "regexp two-byte source", js: "/\u20ac|\\u00e9/giu" },
  // ArrayBuffer and views
  { name: "arraybuffer empty", js: "new ArrayBuffer(0)" },
  { name: "arraybuffer bytes", js: "new Uint8Array([1, 2, 3, 255]).buffer" },
  { name: "arraybuffer resizable", js: "(() => { const b = new ArrayBuffer(4, { maxByteLength: 16 }); new Uint8Array(b).set([9, 8, 7, 6]); return b; })()" },
  { name: "uint8array nested", js: "({ u: new Uint8Array([1, 2, 3]) })" },
  { name: "uint8array nested offset", js: "({ u: new Uint8Array(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer, 2, 3) })" },
  ...[
    ["Int8Array", 1], ["Uint8ClampedArray", 1], ["Int16Array", 2], ["Uint16Array", 2],
    ["Int32Array", 4], ["Uint32Array", 4], ["Float16Array", 2], ["Float32Array", 4],
    ["Float64Array", 8], ["BigInt64Array", 8], ["BigUint64Array", 8],
  ].map(([type, size]) => ({
    name: `typed ${type} window`,
    js: `(() => { const b = new Uint8Array(64).map((_, i) => i * 7).buffer; return new ${type}(b, ${
      2 * (size as number)
    }, 3); })()`,
  })),
  { name: "typed Float64Array whole", js: "new Float64Array([1.5, -0, NaN])" },
  { name: "dataview window", js: "new DataView(new Uint8Array([1, 2, 3, 4, 5]).buffer, 1, 3)" },
  { name: "views sharing a buffer", js: "(() => { const b = new ArrayBuffer(8); return [new Uint8Array(b), new Uint16Array(b, 2, 2), b, new DataView(b)]; })()" },
  { name: "view twice", js: "(() => { const u = new Int8Array(2); return { a: u, b: u }; })()" },
  { name: "view length-tracking on resizable", js: "({ u: new Uint16Array(new ArrayBuffer(7, { maxByteLength: 16 }), 2) })" },
  { name: "view length-tracking at max", js: "({ u: new Uint8Array(new ArrayBuffer(8, { maxByteLength: 8 }), 3) })" },
  { name: "view fixed on resizable", js: "({ u: new Uint8Array(new ArrayBuffer(4, { maxByteLength: 16 }), 1, 2) })" },
  { name: "view fixed on resizable at end", js: "({ u: new Uint8Array(new ArrayBuffer(4, { maxByteLength: 4 }), 1, 3) })" },
  { name: "dataview length-tracking", js: "({ d: new DataView(new ArrayBuffer(8, { maxByteLength: 16 }), 2) })" },
  // boxed primitives
  { name: "boxed number", js: "new Number(1)" },
  { name: "boxed -0", js: "new Number(-0)" },
  { name: "boxed string", js: 'new String("ab")' },
  { name: "boxed two-byte string", js: 'new String("\\u20ac")' },
  { name: "boxed true", js: "new Boolean(true)" },
  { name: "boxed false", js: "new Boolean(false)" },
  { name: "boxed bigint", js: "Object(-5n)" },
  { name: "boxed shared", js: '(() => { const s = new String("x"); return [s, s, new Number(2)]; })()' },
  // errors (stacks pinned so that the bytes do not depend on the engine)
  { name: "error plain", js: '(() => { const e = new Error("boom"); e.stack = "Error: boom\\n    at x"; return e; })()' },
  { name: "error type with cause", js: '(() => { const e = new TypeError("t", { cause: 5 }); e.stack = "S"; return e; })()' },
  { name: "error range object cause", js: '(() => { const e = new RangeError("r", { cause: { code: 1, list: [1] } }); e.stack = "S"; return e; })()' },
  { name: "error no stack", js: '(() => { const e = new RangeError("r"); delete e.stack; return e; })()' },
  { name: "error eval no message", js: '(() => { const e = new EvalError(); e.stack = "S"; return e; })()' },
  { name: "error syntax", js: '(() => { const e = new SyntaxError("x"); e.stack = "S"; return e; })()' },
  { name: "error reference", js: '(() => { const e = new ReferenceError("x"); e.stack = "S"; return e; })()' },
  { name: "error uri", js: '(() => { const e = new URIError("\\u20ac"); e.stack = "\\u20ac"; return e; })()' },
  { name: "error aggregate", js: '(() => { const e = new AggregateError([1], "x"); e.stack = "S"; return e; })()' },
  { name: "error subclass", js: '(() => { class MyErr extends Error {} const e = new MyErr("x"); e.stack = "S"; e.extra = 1; return e; })()' },
  { name: "error renamed", js: '(() => { const e = new Error("x"); e.name = "TypeError"; e.stack = "S"; return e; })()' },
  { name: "error numeric message", js: '(() => { const e = new Error("x"); e.message = 42; e.stack = "S"; return e; })()' },
  { name: "error undefined cause", js: '(() => { const e = new Error("x", { cause: undefined }); e.stack = "S"; return e; })()' },
  { name: "error cause cycle", js: '(() => { const e = new Error("x"); e.stack = "S"; e.cause = e; return e; })()' },
  { name: "error shared", js: '(() => { const e = new Error("x"); e.stack = "S"; return { a: e, b: [e] }; })()' },
  // cycles and shared references
  { name: "cycle self", js: "(() => { const o = {}; o.self = o; return o; })()" },
  { name: "cycle mutual", js: "(() => { const a = { n: 1 }; const b = { a }; a.b = b; return [a, b]; })()" },
  { name: "cycle array", js: "(() => { const a = [1]; a.push(a); return a; })()" },
  { name: "cycle map", js: "(() => { const m = new Map(); m.set(m, m); m.set(\"k\", [m]); return m; })()" },
  { name: "cycle set", js: "(() => { const s = new Set(); s.add(s); s.add({ s }); return s; })()" },
  { name: "shared object", js: "(() => { const s = { v: 1 }; return { a: s, b: s, c: [s] }; })()" },
  // refused values
  { name: "reject function", js: "(function () {})" },
  { name: "reject host object brand that is not a function", js: '({ [Symbol.for("Deno.core.hostObject")]: "ReadableStream" })' },
  { name: "reject host object brand that throws", js: '({ [Symbol.for("Deno.core.hostObject")]() { throw new RangeError("no snapshot"); } })' },
  { name: "reject named function", js: "(function foo(a) { return a; })" },
  { name: "reject arrow", js: "(() => 1)" },
  { name: "reject nested function", js: "({ a: 1, f: function g() {} })" },
  { name: "reject symbol", js: 'Symbol("x")' },
  { name: "reject symbol no description", js: "Symbol()" },
  { name: "reject boxed symbol", js: 'Object(Symbol("q"))' },
  { name: "reject weakmap", js: "new WeakMap()" },
  { name: "reject weakset", js: "new WeakSet()" },
  { name: "reject weakref", js: "new WeakRef({})" },
  { name: "reject finalization registry", js: "new FinalizationRegistry(() => {})" },
  { name: "reject promise", js: "Promise.resolve(1)" },
  { name: "reject weakmap subclass", js: "new (class Foo extends WeakMap {})()" },
  { name: "reject generator", js: "(function* () {})()" },
  { name: "reject arguments", js: "(function () { return arguments; })(1, 2)" },
  { name: "reject shared array buffer", js: "new SharedArrayBuffer(4)" },
  { name: "reject detached buffer", js: "(() => { const b = new ArrayBuffer(2); if (b.transfer) b.transfer(); else structuredClone(b, { transfer: [b] }); return [b]; })()" },
  { name: "reject out-of-bounds view", js: "(() => { const b = new ArrayBuffer(8, { maxByteLength: 8 }); const u = new Int8Array(b, 4, 2); b.resize(2); return { u }; })()" },
  { name: "reject out-of-bounds dataview", js: "(() => { const b = new ArrayBuffer(8, { maxByteLength: 8 }); const d = new DataView(b, 4, 2); b.resize(2); return { d }; })()" },
];

const WORKER_NAME = "value-vector-worker";

if ((globalThis as { name?: string }).name === WORKER_NAME) {
  // Worker: store one vector, then report.
  (globalThis as unknown as Worker).onmessage = async (ev: MessageEvent) => {
    const { path, name, js } = ev.data;
    const kv = await Deno.openKv(path);
    let error: string | undefined;
    try {
      await kv.set([name], (0, eval)(js));
    } catch (e) {
      error = `${(e as Error).constructor.name}: ${(e as Error).message}`;
    }
    kv.close();
    (globalThis as unknown as Worker).postMessage({ error });
  };
} else {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/vectors.sqlite`;
  const errors = new Map<string, string>();
  for (const v of VECTORS) {
    const worker = new Worker(import.meta.url, { type: "module", name: WORKER_NAME });
    const done = new Promise<{ error?: string }>((resolve) => {
      worker.onmessage = (ev) => resolve(ev.data);
    });
    worker.postMessage({ path, name: v.name, js: v.js });
    const { error } = await done;
    worker.terminate();
    if (error !== undefined) errors.set(v.name, error);
  }
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path);
  const rows = db.prepare("SELECT k, v, v_encoding FROM kv").all() as {
    k: Uint8Array;
    v: Uint8Array;
    v_encoding: number;
  }[];
  db.close();
  const stored = new Map<string, string>();
  for (const row of rows) {
    // key ["name"]: 0x02 <utf-8> 0x00
    const name = new TextDecoder().decode(new Uint8Array(row.k).subarray(1, row.k.length - 1));
    if (row.v_encoding !== 1) throw new Error(`${name}: stored with v_encoding ${row.v_encoding}`);
    stored.set(name, Array.from(new Uint8Array(row.v), (b) => b.toString(16).padStart(2, "0")).join(""));
  }
  const out = VECTORS.map((v) => {
    const rec: Record<string, string> = { name: v.name, js: v.js };
    if (errors.has(v.name)) rec.error = errors.get(v.name)!;
    else rec.hex = stored.get(v.name)!;
    if (v.known_mismatch) rec.known_mismatch = v.known_mismatch;
    return rec;
  });
  const target = new URL("../value_codec_vectors.json", import.meta.url);
  await Deno.writeTextFile(target, JSON.stringify(out, null, 1) + "\n");
  await Deno.remove(dir, { recursive: true });
  console.log(`wrote ${out.length} vectors (${errors.size} refused) to ${target.pathname}`);
}
