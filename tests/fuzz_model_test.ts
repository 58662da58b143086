// Model-based fuzz of the Deno.Kv API against ":memory:".
//
// A seeded generator issues random calls (get, getMany, set with and without
// expireIn, delete, list with every selector form / limit / reverse / cursor /
// batchSize / paging, atomic() with check/set/delete/sum/min/max/mutate, and
// new Deno.KvU64) with valid and invalid keys, values, selectors, options,
// cursors and versionstamps, and limits at and past their bounds. An in-JS
// model of the database computes, for every call, either the result (values
// deep-equal, list order, cursors, check semantics, sum wraparound, min/max,
// versionstamps that only increase) or the exact error Deno 2.9.6 throws:
// class, message and phase ("sync" = thrown by the call itself, "async" =
// rejected promise / failing `next()`). The expected errors were taken from
// the real Deno binary (run this file under it, see below, to re-check the model).
//
// Every call is bounded by a timeout; a hang counts as a mismatch. On a
// mismatch the model is rebuilt from the database so one bug is counted once
// rather than cascading. Prints: seed, calls, successes, expected errors,
// mismatches (by category, with one example each); the test fails on any
// mismatch or hang.
//
// Environment:
//   KV_FUZZ_SEED=<n>       replay a run (the seed is printed)
//   KV_FUZZ_CALLS=<n>      number of calls (default 10000)
//   KV_FUZZ_REFERENCE=deno the model of Deno itself, for running this file under
//                          the real deno (`deno test --unstable-kv -A`): entries
//                          written with expireIn 0 stay visible there and a commit
//                          failing midway keeps its earlier mutations, so the
//                          generator avoids the first and the model resyncs after
//                          the second. Without it the model is kvrt's documented
//                          behaviour (both "Behaviour beyond Deno" in README.md).

// ---------------------------------------------------------------- settings

const SEED = Number(Deno.env.get("KV_FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 31));
const CALLS = Number(Deno.env.get("KV_FUZZ_CALLS") ?? 10000);
const DENO_REFERENCE = Deno.env.get("KV_FUZZ_REFERENCE") === "deno";
const CALL_TIMEOUT_MS = 10_000;
const EXAMPLES_PER_CATEGORY = Number(Deno.env.get("KV_FUZZ_EXAMPLES") ?? 1);

// ---------------------------------------------------------------- random

let rngState = SEED >>> 0;
/** mulberry32: a small, good-enough seeded PRNG. */
function rand(): number {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number) => Math.floor(rand() * n);
const chance = (p: number) => rand() < p;
function pick<T>(items: readonly T[]): T {
  return items[int(items.length)];
}

// ---------------------------------------------------------------- key codec (KV_SPEC §2)

const utf8 = new TextEncoder();

function concat(...arrays: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function escaped(tag: number, bytes: Uint8Array): number[] {
  const out = [tag];
  for (const b of bytes) {
    out.push(b);
    if (b === 0) out.push(0xff);
  }
  out.push(0);
  return out;
}

/** Encodes one canonical part; returns null for a bigint over 255 bytes. */
function encodePart(part: unknown): number[] | null {
  if (part instanceof Uint8Array) return escaped(0x01, part);
  if (typeof part === "string") return escaped(0x02, utf8.encode(part));
  if (typeof part === "bigint") {
    if (part === 0n) return [0x14];
    const negative = part < 0n;
    let hex = (negative ? -part : part).toString(16);
    if (hex.length % 2) hex = "0" + hex;
    const mag = hex.match(/../g)!.map((h) => parseInt(h, 16));
    if (mag.length > 255) return null;
    if (negative) {
      const inv = mag.map((b) => b ^ 0xff);
      return mag.length > 8 ? [0x0b, mag.length ^ 0xff, ...inv] : [0x14 - mag.length, ...inv];
    }
    return mag.length > 8 ? [0x1d, mag.length, ...mag] : [0x14 + mag.length, ...mag];
  }
  if (typeof part === "number") {
    const view = new DataView(new ArrayBuffer(8));
    if (Number.isNaN(part)) view.setBigUint64(0, 0x7ff8000000000000n);
    else view.setFloat64(0, part);
    let bits = view.getBigUint64(0);
    const SIGN = 0x8000000000000000n;
    bits = bits & SIGN ? ~bits & 0xffffffffffffffffn : bits ^ SIGN;
    view.setBigUint64(0, bits);
    return [0x21, ...new Uint8Array(view.buffer)];
  }
  if (part === false) return [0x26];
  if (part === true) return [0x27];
  throw new Error(`model: not a key part: ${String(part)}`);
}

function encodeKey(parts: readonly unknown[]): Uint8Array | null {
  const out: number[] = [];
  for (const part of parts) {
    const enc = encodePart(part);
    if (enc === null) return null;
    for (const b of enc) out.push(b);
  }
  return Uint8Array.from(out);
}

// base64url with padding, strict like Rust's base64 URL_SAFE engine.
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
function b64urlEncode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : "=";
    out += i + 2 < bytes.length ? B64[n & 63] : "=";
  }
  return out;
}
function b64urlDecode(s: string): Uint8Array | null {
  if (s.length % 4 !== 0) return null;
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  const body = s.slice(0, s.length - pad);
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of body) {
    const v = B64.indexOf(c);
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return null; // non-canonical trailing bits
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------- deep equality

function sameValue(a: any, b: any, seen = new Map<any, any>()): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a !== "object" || a === null || b === null) return Object.is(a, b);
  if (seen.has(a)) return seen.get(a) === b;
  seen.set(a, b);
  if (a instanceof Deno.KvU64) return b instanceof Deno.KvU64 && a.value === b.value;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array((b as ArrayBufferView).buffer, b.byteOffset, b.byteLength);
    return compareBytes(x, y) === 0;
  }
  if (a instanceof ArrayBuffer) return compareBytes(new Uint8Array(a), new Uint8Array(b)) === 0;
  if (a instanceof Date) return Object.is(a.getTime(), b.getTime());
  if (a instanceof RegExp) return a.source === b.source && a.flags === b.flags;
  if (a instanceof Error) return a.name === b.name && a.message === b.message;
  if (a instanceof Number || a instanceof String || a instanceof Boolean) {
    return Object.is(a.valueOf(), b.valueOf());
  }
  if (a instanceof Map) {
    if (a.size !== b.size) return false;
    const ea = [...a];
    const eb = [...b];
    return ea.every(([k, v], i) => sameValue(k, eb[i][0], seen) && sameValue(v, eb[i][1], seen));
  }
  if (a instanceof Set) {
    if (a.size !== b.size) return false;
    const eb = [...b];
    return [...a].every((v, i) => sameValue(v, eb[i], seen));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || (Array.isArray(a) && a.length !== b.length)) return false;
  return ka.every((k, i) => k === kb[i] && sameValue(a[k], b[k], seen));
}

function show(v: unknown): string {
  const s = Deno.inspect(v, { depth: 4, colors: false, compact: true, breakLength: Infinity });
  return s.length > 300 ? s.slice(0, 300) + "…" : s;
}

// ---------------------------------------------------------------- generators

const BIG_STRING_PART = (n: number) => "k".repeat(n);
const HUGE_BIGINT = 2n ** 2040n; // needs 256 bytes: not encodable

const STRING_PARTS = ["", "a", "b", "ab", "a\0", "\0", "é", "😀", "zz"];
const NUMBER_PARTS = [0, -0, 1, -1, 0.5, 1e300, -Infinity, Infinity, NaN, 2 ** 53];
const BIGINT_PARTS = [0n, 1n, -1n, 255n, 256n, 2n ** 64n, -(2n ** 64n), 2n ** 100n];
const BYTES_PARTS = [[], [0], [0, 255], [1], [255], [1, 0, 2]];

function genPart(): unknown {
  switch (int(5)) {
    case 0:
      return pick(STRING_PARTS);
    case 1:
      return pick(NUMBER_PARTS);
    case 2:
      return pick(BIGINT_PARTS);
    case 3:
      return new Uint8Array(pick(BYTES_PARTS));
    default:
      return chance(0.5);
  }
}

/** A valid key from a small universe, so that keys collide often. */
function genKey(): unknown[] {
  const first = chance(0.85) ? pick(["p", "q", 1n, true]) : genPart();
  const key = [first];
  const more = int(3);
  for (let i = 0; i < more; i++) key.push(genPart());
  if (chance(0.03)) key[key.length - 1] = new Int16Array([1, -1]); // an ArrayBufferView other than Uint8Array
  return key;
}

/** Canonical form of a valid key: what Deno decodes it back to. */
function canonicalKey(key: readonly unknown[]): unknown[] {
  return key.map((p) =>
    ArrayBuffer.isView(p) ? new Uint8Array(p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength)) : p
  );
}

// A key that Deno rejects, with the reason, per operation (from the real deno binary).
type KeyFault =
  | { kind: "nonarray"; value: unknown; serdeType: string; nullish: "null" | "undefined" | null }
  | { kind: "badpart" }
  | { kind: "huge" }
  | { kind: "vsymbol" };

const NOT_A_PART = [
  () => null,
  () => undefined,
  () => ({}),
  () => [],
  () => Symbol("s"),
  () => function f() {},
  () => new Date(0),
  () => new ArrayBuffer(1),
];
const NON_ARRAY_KEYS: [() => unknown, string][] = [
  [() => "ab", "string"],
  [() => 5, "Number"],
  [() => true, "Boolean"],
  [() => 5n, "bigint"],
  [() => ({}), "unknown"],
  [() => new Uint8Array([1]), "Uint8Array"],
  [() => null, "null"],
  [() => undefined, "undefined"],
];

function genBadKey(kv: Deno.Kv | null): { key: any; fault: KeyFault } {
  switch (int(4)) {
    case 0: {
      const [make, serdeType] = pick(NON_ARRAY_KEYS);
      const value = make();
      const nullish = value === null ? "null" : value === undefined ? "undefined" : null;
      return { key: value, fault: { kind: "nonarray", value, serdeType, nullish } };
    }
    case 1: {
      const key: unknown[] = genKey();
      key.splice(int(key.length + 1), 0, pick(NOT_A_PART)());
      return { key, fault: { kind: "badpart" } };
    }
    case 2:
      return { key: ["p", chance(0.5) ? HUGE_BIGINT : -HUGE_BIGINT], fault: { kind: "huge" } };
    default:
      // commitVersionstamp() anywhere but the last part of a set key.
      return { key: ["p", kv!.commitVersionstamp(), "x"], fault: { kind: "vsymbol" } };
  }
}

const PART_ERROR = "expected string, number, bigint, ArrayBufferView, boolean";
const BIGUINT = "BigUint requires more than 255 bytes to be represented";

type Expected = { cls: string; msg: string };
type Op = "read" | "write" | "check";

/** Deno's error for a faulty key used by `op` (read = get/getMany/list). */
function keyFaultError(fault: KeyFault, op: Op, api: "get" | "getMany" | "kvwrite" | "atomic"): Expected {
  switch (fault.kind) {
    case "nonarray":
      if (fault.nullish !== null) {
        if (op === "read") return { cls: "TypeError", msg: "Invalid range" };
        if (op === "check") {
          return { cls: "TypeError", msg: `serde_v8 error: invalid type; expected: array, got: ${fault.nullish}` };
        }
        return { cls: "TypeError", msg: `Cannot read properties of ${fault.nullish} (reading 'length')` };
      }
      void api;
      return { cls: "TypeError", msg: `serde_v8 error: invalid type; expected: array, got: ${fault.serdeType}` };
    case "badpart":
    case "vsymbol":
      return { cls: "TypeError", msg: PART_ERROR };
    case "huge":
      if (op === "read") return { cls: "TypeError", msg: BIGUINT };
      if (op === "check") return { cls: "TypeError", msg: "Invalid check" };
      return { cls: "TypeError", msg: `Invalid mutation: ${BIGUINT}` };
  }
}

/** Keys whose encoding is exactly `len` bytes (len >= 3): one string part. */
function keyOfSize(len: number): unknown[] {
  return [BIG_STRING_PART(len - 2)];
}

const FUNCTIONS = [() => 1, function named() {}, async () => {}];

/** A storable value (structured clone), small unless asked. */
function genValue(depth = 0): unknown {
  const r = int(depth > 1 ? 12 : 22);
  switch (r) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return chance(0.5);
    case 3:
      return pick([0, -0, 1.5, NaN, Infinity, -1e300, 2 ** 31, -(2 ** 31) - 1, 42]);
    case 4:
      return pick(["", "héllo", "😀 emoji", "a\0b", "x".repeat(1000), "plain"]);
    case 5:
      return pick([0n, -1n, 2n ** 100n, -(2n ** 70n)]);
    case 6:
      return new Uint8Array(Array.from({ length: int(40) }, () => int(256)));
    case 7:
      return new Deno.KvU64(pick([0n, 1n, 7n, 2n ** 63n, 2n ** 64n - 1n]));
    case 8:
      return pick([new Date(0), new Date(1700000000000), new Date(NaN)]);
    case 9:
      return pick([/a+b/gi, /x/, new RegExp("^\\d{2}$", "m")]);
    case 10:
      return new Int16Array([1, -2, 3]);
    case 11:
      return new Float64Array([0.5, -0, NaN]);
    case 12:
      return new Map<unknown, unknown>([["a", genValue(depth + 1)], [1, genValue(depth + 1)]]);
    case 13:
      return new Set([1, "two", genValue(depth + 1)]);
    case 14:
      return Array.from({ length: int(4) }, () => genValue(depth + 1));
    case 15:
      return { a: genValue(depth + 1), b: { c: genValue(depth + 1) } };
    case 16: {
      const o: any = { name: "cyclic" };
      o.self = o;
      o.list = [o, 1];
      return o;
    }
    case 17:
      return pick([new RangeError("bad range"), new TypeError("bad type"), new Error("plain")]);
    case 18:
      return new ArrayBuffer(3);
    case 19:
      return [1, , 3]; // sparse
    case 20:
      return pick([new Number(5), new String("boxed"), new Boolean(false)]);
    default:
      return new DataView(new Uint8Array([9, 8, 7]).buffer);
  }
}

/** A value that cannot be stored, with Deno's message. */
function genBadValue(): { value: unknown; error: Expected } {
  switch (int(5)) {
    case 0: {
      const fn = pick(FUNCTIONS);
      return { value: fn, error: { cls: "TypeError", msg: `${String(fn)} could not be cloned.` } };
    }
    case 1: {
      const sym = Symbol("s");
      return { value: sym, error: { cls: "TypeError", msg: "Symbol(s) could not be cloned." } };
    }
    case 2: {
      const fn = pick(FUNCTIONS);
      return { value: { nested: [1, { fn }] }, error: { cls: "TypeError", msg: `${String(fn)} could not be cloned.` } };
    }
    case 3:
      return { value: new WeakMap(), error: { cls: "TypeError", msg: "#<WeakMap> could not be cloned." } };
    default:
      return {
        value: chance(0.5) ? new Uint8Array(65537) : "x".repeat(70000),
        error: { cls: "TypeError", msg: "Value too large (max 65536 bytes)" },
      };
  }
}

const TOO_LARGE_VALUE: Expected = { cls: "TypeError", msg: "Value too large (max 65536 bytes)" };

/** A valid expireIn: long enough never to pass during the run, or (kvrt only) 0. */
function genValidExpireIn(): { expireIn: number; zero?: boolean } {
  if (!DENO_REFERENCE && chance(0.3)) return { expireIn: 0, zero: true };
  return { expireIn: pick([3_600_000, 86_400_000, 2 ** 40, 2 ** 52]) };
}

/** An expireIn Deno rejects: at once (`sync`, not an integer >= 0) or at commit (too large). */
function genBadExpireIn(): { expireIn: unknown; sync?: Expected; commit?: Expected } {
  if (chance(0.7)) {
    const bad = pick([-1, 1.5, NaN, Infinity, -Infinity, "5", null, true]);
    return {
      expireIn: bad,
      sync: { cls: "TypeError", msg: `expireIn must be a non-negative integer: received ${String(bad)}` },
    };
  }
  const big = pick([1e16, 2 ** 60, Number.MAX_SAFE_INTEGER, 9e15]);
  return {
    expireIn: big,
    commit: { cls: "TypeError", msg: `Invalid mutation: expireIn is too large: ${BigInt(big)}` },
  };
}

/** How a stored value reads back: structured clone turns a KvU64 nested in
 * another value into a plain `{ value }` object (only a top-level KvU64 keeps
 * its class, encoding 2). */
function storedForm(value: unknown): unknown {
  if (value instanceof Deno.KvU64) return value;
  const seen = new Map<unknown, unknown>();
  const walk = (v: any): any => {
    if (typeof v !== "object" || v === null) return v;
    if (seen.has(v)) return seen.get(v);
    if (v instanceof Deno.KvU64) return { value: v.value };
    if (Array.isArray(v)) {
      const out: any[] = new Array(v.length);
      seen.set(v, out);
      for (const k of Object.keys(v)) out[k as any] = walk(v[k as any]);
      return out;
    }
    if (v instanceof Map) {
      const out = new Map();
      seen.set(v, out);
      for (const [k, x] of v) out.set(walk(k), walk(x));
      return out;
    }
    if (v instanceof Set) {
      const out = new Set();
      seen.set(v, out);
      for (const x of v) out.add(walk(x));
      return out;
    }
    if (Object.getPrototypeOf(v) === Object.prototype) {
      const out: any = {};
      seen.set(v, out);
      for (const k of Object.keys(v)) out[k] = walk(v[k]);
      return out;
    }
    return v;
  };
  return walk(value);
}

// ---------------------------------------------------------------- the model

interface Entry {
  key: unknown[];
  bytes: Uint8Array;
  value: unknown;
  versionstamp: string;
}

class Model {
  #entries = new Map<string, Entry>();
  #sorted: Entry[] | null = null;
  #list: Entry[] | null = null;
  lastVersionstamp = "";
  seenVersionstamps: string[] = [];

  /** The entries by hex of the encoded key (read-only: use put/remove/replace). */
  get entries(): ReadonlyMap<string, Entry> {
    return this.#entries;
  }

  get(bytes: Uint8Array): Entry | undefined {
    return this.#entries.get(hexOf(bytes));
  }

  put(entry: Entry) {
    this.#entries.set(hexOf(entry.bytes), entry);
    this.#sorted = this.#list = null;
  }

  remove(bytes: Uint8Array) {
    this.#entries.delete(hexOf(bytes));
    this.#sorted = this.#list = null;
  }

  replace(entries: Map<string, Entry>) {
    this.#entries = entries;
    this.#sorted = this.#list = null;
  }

  /** Entries in key order (cached until the next change). */
  sorted(): Entry[] {
    this.#sorted ??= [...this.#entries.values()].sort((a, b) => compareBytes(a.bytes, b.bytes));
    return this.#sorted;
  }

  /** A random stored key, or a new one. */
  keyOrNew(p: number): unknown[] {
    if (!chance(p) || this.#entries.size === 0) return genKey();
    this.#list ??= [...this.#entries.values()];
    return pick(this.#list).key;
  }

  committed(versionstamp: string) {
    this.lastVersionstamp = versionstamp;
    this.seenVersionstamps.push(versionstamp);
  }
}

// ---------------------------------------------------------------- running calls

class Hang extends Error {}

type Outcome =
  | { ok: true; value: any }
  | { ok: false; phase: "sync" | "async"; cls: string; msg: string }
  | { hang: true };

function describeError(e: any): { cls: string; msg: string } {
  if (e instanceof Error) return { cls: e.constructor.name, msg: e.message };
  return { cls: "non-Error", msg: String(e) };
}

function bounded<T>(p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hang()), CALL_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function attempt(f: () => any): Promise<Outcome> {
  let r;
  try {
    r = f();
  } catch (e) {
    return { ok: false, phase: "sync", ...describeError(e) };
  }
  try {
    return { ok: true, value: await bounded(Promise.resolve(r)) };
  } catch (e) {
    if (e instanceof Hang) return { hang: true };
    return { ok: false, phase: "async", ...describeError(e) };
  }
}

// ---------------------------------------------------------------- statistics

const stats = {
  calls: 0,
  successes: 0,
  expectedErrors: 0,
  mismatches: 0,
  hangs: 0,
  byCall: new Map<string, number>(),
  msByCall: new Map<string, number>(),
  categories: new Map<string, { count: number; examples: string[] }>(),
};

let resyncNeeded = false;

/** Records a mismatch; `resync` when the model may no longer match the database. */
function mismatch(category: string, detail: string | (() => string), resync = true) {
  stats.mismatches++;
  if (resync) resyncNeeded = true;
  const c = stats.categories.get(category) ?? { count: 0, examples: [] };
  c.count++;
  // Describing a call can be costly (large values): only for kept examples.
  if (c.examples.length < EXAMPLES_PER_CATEGORY) c.examples.push(typeof detail === "string" ? detail : detail());
  stats.categories.set(category, c);
}

/** Compares an outcome with an expected error (or with success, checked by `onOk`). */
function judge(
  category: string,
  describeCall: string | (() => string),
  outcome: Outcome,
  expected: ({ phase: "sync" | "async" } & Expected) | null,
  onOk?: (value: any) => string | null,
) {
  const call = () => (typeof describeCall === "string" ? describeCall : describeCall());
  // A read that fails differently leaves the database as it was.
  const wrote = !["get", "getMany", "list", "list.cursor", "paging", "KvU64"].includes(category);
  if ("hang" in outcome) {
    stats.hangs++;
    mismatch(`${category}: hang`, () => `${call()}: no answer within ${CALL_TIMEOUT_MS} ms`);
    return;
  }
  const got = () => outcome.ok ? `ok ${show(outcome.value)}` : `${outcome.phase} ${outcome.cls}: ${outcome.msg}`;
  if (expected) {
    const want = `${expected.phase} ${expected.cls}: ${expected.msg}`;
    if (!outcome.ok && got() === want) stats.expectedErrors++;
    else mismatch(`${category}: expected ${want.length > 120 ? want.slice(0, 120) + "…" : want}`, () => `${call()}\n      want: ${want}\n      got:  ${got()}`, wrote);
    return;
  }
  if (!outcome.ok) {
    mismatch(`${category}: unexpected error ${outcome.cls}: ${outcome.msg.slice(0, 100)}`, () => `${call()}\n      want: success\n      got:  ${got()}`, wrote);
    return;
  }
  const problem = onOk ? onOk(outcome.value) : null;
  if (problem === null) stats.successes++;
  else mismatch(`${category}: wrong result`, () => `${call()}\n      ${problem}`);
}

function checkVersionstamp(model: Model, vs: unknown): string | null {
  if (typeof vs !== "string" || !/^[0-9a-f]{20}$/.test(vs)) return `bad versionstamp ${show(vs)}`;
  if (!(vs > model.lastVersionstamp)) return `versionstamp ${vs} not above the previous ${model.lastVersionstamp}`;
  return null;
}

function entryProblem(
  got: any,
  expectedKey: unknown[],
  entry: Entry | undefined,
): string | null {
  const want = entry
    ? { key: entry.key, value: entry.value, versionstamp: entry.versionstamp }
    : { key: expectedKey, value: null, versionstamp: null };
  if (
    got === null || typeof got !== "object" || !sameValue(got.key, want.key) ||
    !sameValue(got.value, want.value) || got.versionstamp !== want.versionstamp
  ) {
    return `want ${show(want)}\n      got  ${show(got)}`;
  }
  return null;
}

// ---------------------------------------------------------------- the calls

type Ctx = { kv: Deno.Kv; model: Model };

const CONSISTENCY_BAD = (c: string) => ({
  cls: "TypeError",
  msg: `unknown variant \`${c}\`, expected \`strong\` or \`eventual\``,
});

async function callGet({ kv, model }: Ctx) {
  let key: any = genKey();
  let options: any = chance(0.4) ? { consistency: pick(["strong", "eventual"]) } : undefined;
  let expected: Expected | null = null;
  const r = int(24);
  if (r === 0) {
    const bad = genBadKey(kv);
    key = bad.key;
    expected = keyFaultError(bad.fault, "read", "get");
  } else if (r === 1) {
    const len = pick([2048, 2049, 2050]); // a point read reads [key, key\0): max 2048
    key = keyOfSize(len);
    if (len > 2048) expected = READ_TOO_LARGE;
  } else if (r === 2) {
    key = [];
  } else if (r === 3) {
    const bad = pick(["weak", "STRONG", ""]);
    options = { consistency: bad };
    expected = CONSISTENCY_BAD(bad);
  }
  const call = () => `get(${show(key)}, ${show(options)})`;
  const outcome = await attempt(() => kv.get(key, options));
  judge("get", call, outcome, expected && { phase: "async", ...expected }, (got) => {
    const entry = key.length ? model.get(encodeKey(canonicalKey(key))!) : undefined;
    return entryProblem(got, entry ? entry.key : key, entry);
  });
}

async function callGetMany({ kv, model }: Ctx) {
  let options: any = chance(0.4) ? { consistency: pick(["strong", "eventual"]) } : undefined;
  const r = int(20);
  const n = r === 0 ? 11 : int(11);
  const keys: any[] = Array.from({ length: n }, () => (chance(0.05) ? [] : genKey()));
  let expected: Expected | null = null;
  if (n > 10) expected = { cls: "TypeError", msg: "Too many ranges (max 10)" };
  else if (r === 1 && n > 0) {
    const bad = genBadKey(kv);
    keys[int(n)] = bad.key;
    expected = keyFaultError(bad.fault, "read", "getMany");
  } else if (r === 2 && n > 0) {
    keys[int(n)] = keyOfSize(2049);
    expected = READ_TOO_LARGE;
  } else if (r === 3) {
    const bad = pick(["weak", "STRONG", ""]);
    options = { consistency: bad };
    expected = CONSISTENCY_BAD(bad);
  }
  const call = () => `getMany(${show(keys)}, ${show(options)})`;
  const outcome = await attempt(() => kv.getMany(keys, options));
  judge("getMany", call, outcome, expected && { phase: "async", ...expected }, (got) => {
    if (!Array.isArray(got) || got.length !== keys.length) return `want ${keys.length} entries, got ${show(got)}`;
    for (let i = 0; i < keys.length; i++) {
      const entry = keys[i].length ? model.get(encodeKey(canonicalKey(keys[i]))!) : undefined;
      const p = entryProblem(got[i], entry ? entry.key : keys[i], entry);
      if (p) return `entry ${i}: ${p}`;
    }
    return null;
  });
}

async function callSet({ kv, model }: Ctx) {
  let key: any = genKey();
  let value: unknown = genValue();
  let options: any = undefined;
  let zero = false;
  if (chance(0.3)) {
    const exp = genValidExpireIn();
    options = { expireIn: exp.expireIn };
    zero = !!exp.zero;
  }
  let expected: Expected | null = null;
  let stampKey = false;
  const r = int(26);
  if (r === 0) {
    const bad = genBadKey(kv);
    key = bad.key;
    expected = keyFaultError(bad.fault, "write", "kvwrite");
  } else if (r === 1) {
    key = [];
    expected = { cls: "TypeError", msg: "key cannot be empty" };
  } else if (r === 2) {
    const len = pick([2048, 2049]);
    key = keyOfSize(len);
    if (len > 2048) expected = { cls: "TypeError", msg: "Key too large for write (max 2048 bytes)" };
  } else if (r === 3 || r === 4) {
    const bad = genBadValue();
    value = bad.value;
    expected = bad.error;
  } else if (r === 5) {
    value = new Uint8Array(65536); // exactly the limit
  } else if (r === 6) {
    key = [...genKey(), kv.commitVersionstamp()];
    stampKey = true;
  } else if (r === 7 || r === 8) {
    const bad = genBadExpireIn();
    options = { expireIn: bad.expireIn };
    zero = false;
    expected = (bad.sync ?? bad.commit)!;
  }
  const call = () => `set(${show(key)}, ${show(value)}, ${show(options)})`;
  const outcome = await attempt(() => kv.set(key, value, options));
  judge("set", call, outcome, expected && { phase: "async", ...expected }, (got) => {
    if (!got || got.ok !== true) return `want { ok: true, versionstamp }, got ${show(got)}`;
    const p = checkVersionstamp(model, got.versionstamp);
    if (p) return p;
    model.committed(got.versionstamp);
    const parts = canonicalKey(stampKey ? [...key.slice(0, -1), got.versionstamp] : key);
    const bytes = encodeKey(parts)!;
    if (zero) model.remove(bytes);
    else model.put({ key: parts, bytes, value: storedForm(value), versionstamp: got.versionstamp });
    return null;
  });
}

async function callDelete({ kv, model }: Ctx) {
  let key: any = genKey();
  let expected: Expected | null = null;
  const r = int(12);
  if (r === 0) {
    const bad = genBadKey(kv);
    key = bad.key;
    expected = keyFaultError(bad.fault, "write", "kvwrite");
  } else if (r === 1) {
    key = [];
    expected = { cls: "TypeError", msg: "key cannot be empty" };
  } else if (r === 2) {
    key = keyOfSize(2049);
    expected = { cls: "TypeError", msg: "Key too large for write (max 2048 bytes)" };
  } else if (r < 6) {
    const existing = model.sorted();
    if (existing.length) key = pick(existing).key;
  }
  const call = () => `delete(${show(key)})`;
  const outcome = await attempt(() => kv.delete(key));
  judge("delete", call, outcome, expected && { phase: "async", ...expected }, (got) => {
    if (got !== undefined) return `want undefined, got ${show(got)}`;
    model.remove(encodeKey(canonicalKey(key))!);
    return null;
  });
}

// ---- list

interface ListPlan {
  selector: any;
  options: any;
  syncError?: Expected;
  asyncError?: Expected;
  range?: { start: Uint8Array; end: Uint8Array; common: Uint8Array };
}

const pastCursors: { selector: any; cursor: string; reverse: boolean }[] = [];
const READ_TOO_LARGE: Expected = { cls: "TypeError", msg: "Key too large for read (max 2049 bytes)" };

/** A valid selector (which may still be rejected for its key order or keyspace). */
function genSelector(): any {
  const prefix = () => (chance(0.85) ? genKey().slice(0, 1 + int(2)) : chance(0.5) ? [] : genKey());
  const kind = int(4);
  if (kind === 0) return { prefix: prefix() };
  if (kind === 1) {
    const p = prefix();
    return { prefix: p, start: chance(0.85) ? [...p, genPart()] : chance(0.5) ? p : genKey() };
  }
  if (kind === 2) {
    const p = prefix();
    return { prefix: p, end: chance(0.85) ? [...p, genPart()] : chance(0.5) ? p : genKey() };
  }
  const a = genKey();
  const b = chance(0.3) ? [...a.slice(0, 1), genPart()] : genKey();
  if (chance(0.2)) return { start: a, end: b };
  const ordered = compareBytes(encodeKey(canonicalKey(a))!, encodeKey(canonicalKey(b))!) <= 0;
  return ordered ? { start: a, end: b } : { start: b, end: a };
}

/** A selector Deno rejects before reading (`sync`: in list(); else at next()). */
function genBadSelector(kv: Deno.Kv): { selector: any; sync?: Expected; async?: Expected } {
  const MUST = "Selector must specify either 'prefix' or both 'start' and 'end' key";
  switch (int(6)) {
    case 0:
      return { selector: pick([{}, { start: genKey() }, { end: genKey() }]), sync: { cls: "TypeError", msg: MUST } };
    case 1: {
      const p = genKey().slice(0, 1);
      return {
        selector: { prefix: p, start: [...p, "a"], end: [...p, "b"] },
        sync: { cls: "TypeError", msg: "Selector can not specify both 'start' and 'end' key when specifying 'prefix'" },
      };
    }
    case 2: {
      const which = pick(["prefix", "start", "end"]);
      const selector: any = which === "prefix" ? { prefix: null } : { start: ["p"], end: ["q"], [which]: null };
      return { selector, sync: { cls: "TypeError", msg: "Cannot convert undefined or null to object" } };
    }
    case 3: {
      let bad = genBadKey(kv);
      while (bad.fault.kind === "nonarray") bad = genBadKey(kv); // Deno lists odd things for those
      const which = pick(["prefix", "start", "end"]);
      const selector: any = which === "prefix" ? { prefix: bad.key } : { start: ["p"], end: ["q"], [which]: bad.key };
      return { selector, async: keyFaultError(bad.fault, "read", "get") };
    }
    default:
      // Oversized endpoints (a prefix of n bytes reads up to prefix + 0xff);
      // the model works out which are too large.
      return {
        selector: pick([
          { prefix: keyOfSize(2048) },
          { prefix: keyOfSize(2049) },
          { start: ["a"], end: keyOfSize(2049) },
          { start: ["a"], end: keyOfSize(2050) },
          { start: keyOfSize(2049), end: [1n] },
          { prefix: ["x"], start: ["x", BIG_STRING_PART(2045)] },
        ]),
      };
  }
}

/** A cursor: from an earlier listing (of this selector or another one), or made up. */
function genCursor(selector: any): string {
  const r = int(10);
  if (r < 4) {
    const same = pastCursors.filter((c) => c.selector === selector);
    const from = same.length && chance(0.7) ? same : pastCursors;
    if (from.length) return pick(from).cursor;
  }
  if (r < 7) {
    return b64urlEncode(Uint8Array.from({ length: int(12) }, () => pick([0, 1, 2, 0x21, 0x61, 0xff, int(256)])));
  }
  if (r < 9) return pick(["", "!!!", "AmI", "AmJ=", "a", "====", " AmIA", "+/+/", "AA==", "_w==", "AmIA"]);
  return b64urlEncode(utf8.encode("x".repeat(pick([2040, 2047, 2048, 3000]))));
}

/** Plans a list call: its options and what Deno does with them. At most one
 * of selector, limit, batchSize, consistency and cursor is made faulty. */
function planList(kv: Deno.Kv): ListPlan {
  const faulty = chance(0.3) ? pick(["selector", "limit", "batchSize", "consistency", "cursor"]) : null;
  let selector: any;
  let syncError: Expected | undefined;
  let asyncError: Expected | undefined;
  if (faulty === "selector") {
    const bad = genBadSelector(kv);
    selector = bad.selector;
    syncError = bad.sync;
    asyncError = bad.async;
  } else {
    selector = genSelector();
  }
  const options: any = {};
  // Resume an earlier listing where it stopped.
  const resume = !faulty && pastCursors.length && chance(0.25) ? pick(pastCursors) : null;
  if (resume) {
    selector = resume.selector;
    options.cursor = resume.cursor;
  }
  if (faulty === "limit") {
    options.limit = pick([0, -1, 1.5, NaN, "2", null]);
    syncError = { cls: "Error", msg: `Limit must be a positive integer: received ${String(options.limit)}` };
  } else if (chance(0.5)) {
    options.limit = chance(0.8) ? 1 + int(5) : pick([1000, 1001, 5000]);
  }
  if (faulty === "batchSize") {
    options.batchSize = pick([0, -2, 2.5, NaN, 1001]);
    // 1001: rejected at the first read, after the selector and cursor checks (below).
    if (options.batchSize !== 1001) {
      syncError = { cls: "Error", msg: `batchSize must be a positive integer: received ${String(options.batchSize)}` };
    }
  } else if (chance(0.4)) {
    options.batchSize = pick([1, 2, 3, 1000, null]); // null: the default
  }
  if (resume) options.reverse = resume.reverse;
  else if (chance(0.4)) options.reverse = chance(0.5);
  if (faulty === "consistency") {
    options.consistency = pick(["weak", "STRONG", ""]);
    asyncError = CONSISTENCY_BAD(options.consistency);
  } else if (chance(0.3)) {
    options.consistency = pick(["strong", "eventual"]);
  }
  if (faulty === "cursor") options.cursor = genCursor(selector);
  const plan: ListPlan = { selector, options, syncError, asyncError };
  if (syncError || asyncError) return plan;
  // Resolve the byte range like Deno: selector, cursor, then the read key limits.
  const enc = (k: unknown[]) => encodeKey(canonicalKey(k))!;
  const P = selector.prefix !== undefined ? enc(selector.prefix) : null;
  const S = selector.start !== undefined ? enc(selector.start) : null;
  const E = selector.end !== undefined ? enc(selector.end) : null;
  const inside = (k: Uint8Array) => k.length > P!.length && compareBytes(k.subarray(0, P!.length), P!) === 0;
  if (P && S && !inside(S)) {
    plan.asyncError = { cls: "TypeError", msg: "Start key is not in the keyspace defined by prefix" };
    return plan;
  }
  if (P && E && !inside(E)) {
    plan.asyncError = { cls: "TypeError", msg: "End key is not in the keyspace defined by prefix" };
    return plan;
  }
  if (!P && compareBytes(S!, E!) > 0) {
    plan.asyncError = { cls: "TypeError", msg: "Start key is greater than end key" };
    return plan;
  }
  const rangeStart = S ?? concat(P!, Uint8Array.of(0));
  const rangeEnd = E ?? concat(P!, Uint8Array.of(0xff));
  let common: Uint8Array;
  if (P) common = P;
  else {
    let n = 0;
    while (n < S!.length && n < E!.length && S![n] === E![n]) n++;
    common = S!.subarray(0, n);
  }
  let start = rangeStart;
  let end = rangeEnd;
  if (options.cursor) { // Deno ignores an empty cursor
    const raw = b64urlDecode(options.cursor);
    if (raw === null) {
      plan.asyncError = { cls: "TypeError", msg: "invalid cursor" };
      return plan;
    }
    if (options.reverse) end = concat(common, raw);
    else start = concat(common, raw, Uint8Array.of(0));
    if ((S && compareBytes(start, S) < 0) || (E && compareBytes(end, E) > 0)) {
      plan.asyncError = { cls: "TypeError", msg: "cursor out of bounds" };
      return plan;
    }
  }
  if (start.length > 2049 || end.length > 2049) {
    plan.asyncError = READ_TOO_LARGE;
    return plan;
  }
  // batchSize defaults to limit ?? 100, clamped to 500 only when absent
  // (null goes through `??` unclamped); each read asks for one batch.
  const batch = options.batchSize === undefined
    ? Math.min(options.limit ?? 100, 500)
    : options.batchSize ?? options.limit ?? 100;
  if (batch > 1000) {
    plan.asyncError = { cls: "TypeError", msg: "Too many entries (max 1000)" };
    return plan;
  }
  plan.range = { start, end, common };
  return plan;
}

function listModel(model: Model, plan: ListPlan): { entries: Entry[]; cursor: string } {
  const { start, end, common } = plan.range!;
  let entries = model.sorted().filter((e) => compareBytes(e.bytes, start) >= 0 && compareBytes(e.bytes, end) < 0);
  if (plan.options.reverse) entries.reverse();
  const limit = plan.options.limit;
  const limited = limit !== undefined && entries.length >= limit;
  if (limited) entries = entries.slice(0, limit);
  const last = entries[entries.length - 1];
  const cursor = limited ? b64urlEncode(last.bytes.subarray(common.length)) : "";
  return { entries, cursor };
}

async function callList(ctx: Ctx) {
  const { kv, model } = ctx;
  const plan = planList(kv);
  const call = () => `list(${show(plan.selector)}, ${show(plan.options)})`;
  let it: Deno.KvListIterator<unknown>;
  try {
    it = kv.list(plan.selector, plan.options);
  } catch (e) {
    judge("list", call, { ok: false, phase: "sync", ...describeError(e) }, plan.syncError ? { phase: "sync", ...plan.syncError } : plan.asyncError ? { phase: "async", ...plan.asyncError } : null);
    return;
  }
  if (plan.syncError) {
    judge("list", call, { ok: true, value: "an iterator" }, { phase: "sync", ...plan.syncError });
    return;
  }
  if (chance(0.05)) {
    // The cursor getter before the first next(): the cursor option, if any.
    const o = await attempt(() => it.cursor);
    const given = plan.options.cursor;
    judge("list.cursor", () => `${call()}.cursor`, o, given ? null : { phase: "sync", cls: "Error", msg: "Cannot get cursor before first iteration" }, (c) => c === given ? null : `want ${show(given)}, got ${show(c)}`);
  }
  const collected: any[] = [];
  const outcome = await attempt(async () => {
    const cap = 1200;
    while (collected.length < cap) {
      const r = await bounded(it.next());
      if (r.done) break;
      collected.push(r.value);
    }
    return collected;
  });
  judge("list", call, outcome, plan.asyncError ? { phase: "async", ...plan.asyncError } : null, () => {
    const want = listModel(model, plan);
    if (want.entries.length !== collected.length) {
      return `want ${want.entries.length} entries ${show(want.entries.map((e) => e.key))}\n      got  ${collected.length} ${show(collected.map((e) => e.key))}`;
    }
    for (let i = 0; i < collected.length; i++) {
      const p = entryProblem(collected[i], want.entries[i].key, want.entries[i]);
      if (p) return `entry ${i}: ${p}`;
    }
    let cursor;
    try {
      cursor = it.cursor;
    } catch (e) {
      return `cursor getter threw ${describeError(e).msg}`;
    }
    if (cursor !== want.cursor) return `want cursor ${show(want.cursor)}, got ${show(cursor)}`;
    if (cursor) pastCursors.push({ selector: plan.selector, cursor, reverse: !!plan.options.reverse });
    if (pastCursors.length > 50) pastCursors.shift();
    return null;
  });
}

/** Pages through a prefix with a small limit and checks that the pages add up. */
async function callPaging({ kv, model }: Ctx) {
  const prefix = chance(0.8) ? [pick(["p", "q", 1n, true])] : [];
  const limit = prefix.length ? 2 + int(6) : 50 + int(100);
  const reverse = chance(0.5);
  const call = () => `paging(${show(prefix)}, limit ${limit}, reverse ${reverse})`;
  const pages: any[] = [];
  const outcome = await attempt(async () => {
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const it = kv.list({ prefix }, { limit, reverse, cursor });
      const got = [];
      for (let r = await bounded(it.next()); !r.done; r = await bounded(it.next())) got.push(r.value);
      pages.push(...got);
      cursor = it.cursor;
      if (!cursor) break;
    }
    return pages;
  });
  judge("paging", call, outcome, null, () => {
    const P = encodeKey(prefix)!;
    let want = model.sorted().filter((e) => e.bytes.length > P.length && compareBytes(e.bytes.subarray(0, P.length), P) === 0);
    if (reverse) want = want.reverse();
    if (want.length !== pages.length) return `want ${want.length} entries, got ${pages.length}`;
    for (let i = 0; i < want.length; i++) {
      const p = entryProblem(pages[i], want[i].key, want[i]);
      if (p) return `entry ${i}: ${p}`;
    }
    return null;
  });
}

// ---- atomic

type AtomicStep =
  | { m: "check"; checks: any[] }
  | { m: "set"; key: any; value: unknown; options?: any }
  | { m: "delete"; key: any }
  | { m: "sum" | "min" | "max"; key: any; n: unknown }
  | { m: "mutate"; mutation: any }
  | { m: "then" };

interface AtomicPlan {
  steps: AtomicStep[];
  syncError?: Expected;
  commitError?: Expected;
  // Applied to the model when the commit succeeds.
  writes: { key: any; stamped: boolean; op: string; value?: unknown; zero?: boolean }[];
  checks: { bytes: Uint8Array; versionstamp: string | null }[];
}

const U64_MAX = 2n ** 64n - 1n;

function genVersionstampFor(model: Model, bytes: Uint8Array | null): { vs: any; fault?: Expected } {
  const current = bytes ? model.get(bytes)?.versionstamp ?? null : null;
  const r = int(20);
  if (r < 9) return { vs: current };
  if (r < 11) return { vs: null };
  if (r < 13 && model.seenVersionstamps.length) return { vs: pick(model.seenVersionstamps) };
  if (r === 13 && current) return { vs: current.toUpperCase() }; // Deno accepts either case
  if (r === 14) return { vs: undefined }; // same as null
  if (r === 15) return { vs: "0".repeat(19) + "1" };
  if (r === 16) {
    return { vs: pick(["zz", "0".repeat(19), "0".repeat(21), "g".repeat(20), ""]), fault: { cls: "TypeError", msg: "Invalid check" } };
  }
  if (r === 17) {
    return { vs: 5, fault: { cls: "TypeError", msg: "serde_v8 error: invalid type; expected: string, got: Number" } };
  }
  return { vs: current };
}

/** An operand the sum/min/max methods reject (they wrap it in a KvU64). */
function u64Operand(): { n: unknown; sync: Expected } {
  const r = int(3);
  if (r === 0) return { n: 5, sync: { cls: "TypeError", msg: "Value must be a bigint: received number" } };
  if (r === 1) return { n: -1n, sync: { cls: "RangeError", msg: "Value must be a positive bigint: received -1" } };
  return { n: 2n ** 64n, sync: { cls: "RangeError", msg: "Value must fit in a 64-bit unsigned integer" } };
}

const U64_OPERANDS = [0n, 1n, 2n, 10n, U64_MAX, U64_MAX - 1n, 2n ** 63n];

/** Operands for mutate() sum/min/max: KvU64s, and the numbers, bigints and
 * other values whose handling Deno decides when the mutation is applied. */
function mutateOperand(): unknown {
  return pick<unknown>([
    new Deno.KvU64(pick([0n, 1n, 5n, U64_MAX])),
    new Deno.KvU64(3n),
    pick([1, 2.5, -3, NaN]),
    pick([1n, -2n, 2n ** 70n]),
    pick(["s", null, undefined, true, { a: 1 }]),
  ]);
}

/** Plans a commit of 0-2 checks and 0-4 mutations; 30% of them get exactly
 * one fault (a bad key, versionstamp, value, expireIn, operand or mutation). */
function planAtomic(ctx: Ctx): AtomicPlan {
  const { kv, model } = ctx;
  if (chance(0.02)) return planAtomicLimits(int(8));
  const plan: AtomicPlan = { steps: [], writes: [], checks: [] };
  const nChecks = chance(0.5) ? int(3) : 0;
  const nMutations = int(5);
  const slots = nChecks + nMutations;
  const faultSlot = slots > 0 && chance(0.3) ? int(slots) : -1;
  const existingOrNew = (p: number) => model.keyOrNew(p);

  for (let i = 0; i < nChecks; i++) {
    let key: any = existingOrNew(0.6);
    let bytes: Uint8Array | null = encodeKey(canonicalKey(key));
    let { vs, fault: vsFault } = genVersionstampFor(model, bytes);
    if (vsFault) vs = null;
    if (i === faultSlot) {
      const r = int(4);
      if (r === 0) {
        const bad = genBadKey(kv);
        key = bad.key;
        plan.commitError = keyFaultError(bad.fault, "check", "atomic");
      } else if (r === 1) {
        key = [];
        plan.commitError = { cls: "TypeError", msg: "key cannot be empty" };
      } else if (r === 2) {
        key = keyOfSize(2049); // checks use the write limit
        plan.commitError = { cls: "TypeError", msg: "Key too large for write (max 2048 bytes)" };
      } else {
        let bad = genVersionstampFor(model, bytes);
        while (!bad.fault) bad = genVersionstampFor(model, bytes);
        vs = bad.vs;
        plan.commitError = bad.fault;
      }
      if (r < 3) bytes = null;
    }
    const current = bytes ? model.get(bytes)?.versionstamp ?? null : undefined;
    const check = chance(0.1) && vs === current
      ? { key, versionstamp: vs, value: "ignored" } // a get() result works as a check
      : { key, versionstamp: vs };
    plan.steps.push({ m: "check", checks: [check] });
    if (bytes) plan.checks.push({ bytes, versionstamp: typeof vs === "string" ? vs.toLowerCase() : null });
  }

  for (let j = 0; j < nMutations; j++) {
    const faulty = nChecks + j === faultSlot;
    const method = pick(["set", "set", "delete", "sum", "min", "max", "mutate", "mutate"]);
    const type = method === "mutate" ? pick(["set", "delete", "sum", "sum", "min", "max"]) : method;
    let key: any = existingOrNew(0.5);
    if (chance(0.05)) key = keyOfSize(2048);
    // Pick the fault: key faults fit every mutation, the others depend on it.
    const faults = ["key", "key"];
    if (type === "set") faults.push("value", "value", "expireIn");
    if (method === "mutate") faults.push(type === "delete" ? "deleteValue" : "noValue", "bogusType");
    if (method === "sum" || method === "min" || method === "max") faults.push("operand", "operand");
    const fault = faulty ? pick(faults) : null;
    if (fault === "key") {
      const r = int(3);
      if (r === 0) {
        const bad = genBadKey(kv);
        key = bad.key;
        plan.commitError = keyFaultError(bad.fault, "write", "atomic");
      } else if (r === 1) {
        key = [];
        plan.commitError = { cls: "TypeError", msg: "key cannot be empty" };
      } else {
        key = keyOfSize(2049);
        plan.commitError = { cls: "TypeError", msg: "Key too large for write (max 2048 bytes)" };
      }
    }
    if (fault === "bogusType") {
      plan.steps.push({ m: "mutate", mutation: { key, type: "bogus", value: 1 } });
      plan.syncError = { cls: "TypeError", msg: "Invalid mutation type" };
      continue;
    }
    if (fault === "noValue") {
      plan.steps.push({ m: "mutate", mutation: { key, type } });
      plan.syncError = { cls: "TypeError", msg: `Invalid mutation '${type}' without value` };
      continue;
    }
    if (type === "set") {
      let value: unknown = genValue();
      let expireIn: unknown = undefined;
      let zero = false;
      if (fault === "value") {
        const bad = genBadValue();
        value = bad.value;
        if (bad.error.msg === TOO_LARGE_VALUE.msg) plan.commitError = bad.error;
        else plan.syncError = bad.error;
      } else if (fault === "expireIn") {
        const bad = genBadExpireIn();
        expireIn = bad.expireIn;
        // mutate() checks expireIn only when it is a number; other types are ignored.
        if (method === "mutate" && typeof expireIn !== "number") { /* accepted, no expiry */ }
        else if (bad.sync) plan.syncError = bad.sync;
        else plan.commitError = bad.commit;
      } else if (chance(0.25)) {
        const exp = genValidExpireIn();
        expireIn = exp.expireIn;
        zero = !!exp.zero;
      }
      let stamped = false;
      if (method === "set" && !fault && chance(0.08) && encodeKey(canonicalKey(key))!.length < 100) {
        key = [...key, kv.commitVersionstamp()];
        stamped = true;
      }
      const options = expireIn === undefined ? undefined : { expireIn };
      plan.steps.push(
        method === "set" ? { m: "set", key, value, options } : { m: "mutate", mutation: { key, type: "set", value, ...options } },
      );
      plan.writes.push({ key, stamped, op: "set", value: storedForm(value), zero });
    } else if (type === "delete") {
      if (method === "mutate") {
        const mutation: any = { key, type: "delete" };
        if (fault === "deleteValue") {
          mutation.value = pick([1, "x", {}, true]);
          plan.syncError = { cls: "TypeError", msg: "Invalid mutation 'delete' with value" };
        } else if (chance(0.2)) {
          mutation.value = pick([0, null, "", false, undefined]); // falsy: accepted
        }
        plan.steps.push({ m: "mutate", mutation });
      } else {
        plan.steps.push({ m: "delete", key });
      }
      plan.writes.push({ key, stamped: false, op: "delete" });
    } else if (method === "mutate") {
      const value = mutateOperand();
      const mutation: any = { key, type, value };
      // Deno ignores expireIn on sum/min/max mutations, whatever its value.
      if (chance(0.1)) mutation.expireIn = pick([0, -1, "x", 3_600_000, 1e16]);
      plan.steps.push({ m: "mutate", mutation });
      plan.writes.push({ key, stamped: false, op: type, value });
    } else {
      let n: unknown = pick(U64_OPERANDS);
      if (fault === "operand") {
        const bad = u64Operand();
        n = bad.n;
        plan.syncError = bad.sync;
      }
      plan.steps.push({ m: method as "sum", key, n });
      if (typeof n === "bigint" && n >= 0n && n <= U64_MAX) {
        plan.writes.push({ key, stamped: false, op: method, value: new Deno.KvU64(n) });
      }
    }
  }
  if (chance(0.01)) plan.steps.push({ m: "then" });
  return plan;
}

/** Commits at and past the count and size limits (only Uint8Array values and
 * sums, whose sizes the model knows exactly). */
function planAtomicLimits(which: number): AtomicPlan {
  const plan: AtomicPlan = { steps: [], writes: [], checks: [] };
  const k12 = (i: number) => ["L", i]; // 12 bytes
  switch (which) {
    case 0:
    case 1: {
      const n = which === 0 ? 100 : 101;
      plan.steps.push({ m: "check", checks: Array.from({ length: n }, (_, i) => ({ key: ["Lc", i], versionstamp: null })) });
      if (n > 100) plan.commitError = { cls: "TypeError", msg: "Too many checks (max 100)" };
      else for (let i = 0; i < n; i++) plan.checks.push({ bytes: encodeKey(["Lc", i])!, versionstamp: null });
      break;
    }
    case 2:
    case 3: {
      const n = which === 2 ? 1000 : 1001;
      for (let i = 0; i < n; i++) plan.steps.push({ m: "sum", key: ["Lm", i % 7], n: 1n });
      if (n > 1000) plan.commitError = { cls: "TypeError", msg: "Too many mutations (max 1000)" };
      else for (let i = 0; i < n; i++) plan.writes.push({ key: ["Lm", i % 7], stamped: false, op: "sum", value: new Deno.KvU64(1n) });
      break;
    }
    case 4:
    case 5: {
      // Total mutation size: keys of checks and mutations, plus key and value
      // again for every mutation with a value. 12 sets of 65536 + one of x.
      const over = which === 5 ? 1 : 0;
      const base = 12 * (12 + 12 + 65536) + 12 + 12 + 12; // + the check's key
      const x = 819200 - base + over;
      plan.steps.push({ m: "check", checks: [{ key: k12(99), versionstamp: null }] });
      plan.checks.push({ bytes: encodeKey(k12(99))!, versionstamp: null });
      for (let i = 0; i <= 12; i++) {
        const value = new Uint8Array(i < 12 ? 65536 : x);
        plan.steps.push({ m: "set", key: k12(i), value });
        plan.writes.push({ key: k12(i), stamped: false, op: "set", value });
      }
      if (over) plan.commitError = { cls: "TypeError", msg: "Total mutation size too large (max 819200 bytes)" };
      break;
    }
    default: {
      // Total key size counts the keys of mutations with a value: 40 x 2048 = 81920.
      const over = which === 7;
      for (let i = 0; i < 40; i++) {
        const key = [BIG_STRING_PART(2037), i]; // 2039 + 9 = 2048 bytes
        const value = new Uint8Array(0);
        plan.steps.push({ m: "set", key, value });
        plan.writes.push({ key, stamped: false, op: "set", value });
      }
      plan.steps.push({ m: "delete", key: [BIG_STRING_PART(2037), 99] }); // deletes do not count
      plan.writes.push({ key: [BIG_STRING_PART(2037), 99], stamped: false, op: "delete" });
      if (over) {
        plan.steps.push({ m: "sum", key: [true], n: 1n });
        plan.commitError = { cls: "TypeError", msg: "Total key size too large (max 81920 bytes)" };
      }
    }
  }
  return plan;
}

function runSteps(op: Deno.AtomicOperation, steps: AtomicStep[]) {
  for (const s of steps) {
    switch (s.m) {
      case "check":
        op.check(...s.checks);
        break;
      case "set":
        op.set(s.key, s.value, s.options);
        break;
      case "delete":
        op.delete(s.key);
        break;
      case "sum":
        op.sum(s.key, s.n as bigint);
        break;
      case "min":
        op.min(s.key, s.n as bigint);
        break;
      case "max":
        op.max(s.key, s.n as bigint);
        break;
      case "mutate":
        op.mutate(s.mutation);
        break;
      case "then":
        (op as any).then();
        break;
    }
  }
}

const isU64 = (v: unknown) => v instanceof Deno.KvU64;

/** Deno's sum/min/max on the current value; returns the new value or an error message. */
function combine(op: string, current: Entry | undefined, operand: unknown): { value: unknown } | { error: string } {
  const cur = current?.value;
  if (op !== "sum") {
    if (!isU64(operand)) return { error: `Failed to perform '${op}' mutation on a non-U64 operand` };
    if (!current) return { value: operand };
    if (!isU64(cur)) return { error: `Failed to perform '${op}' mutation on a non-U64 value in the database` };
    const a = (cur as Deno.KvU64).value;
    const b = (operand as Deno.KvU64).value;
    return { value: new Deno.KvU64(op === "min" ? (a < b ? a : b) : a > b ? a : b) };
  }
  if (isU64(operand)) {
    if (!current) return { value: operand };
    if (!isU64(cur)) return { error: "Failed to perform 'sum' mutation on a non-U64 value in the database" };
    return { value: new Deno.KvU64(((cur as Deno.KvU64).value + (operand as Deno.KvU64).value) & U64_MAX) };
  }
  if (typeof operand !== "number" && typeof operand !== "bigint") {
    return { error: "Some of the parameters are not valid V8 values" };
  }
  if (!current) return { value: operand };
  const opName = typeof operand === "number" ? "Number" : "BigInt";
  if (isU64(cur)) {
    if (typeof operand === "bigint" && operand >= 0n && operand <= U64_MAX) {
      return { value: new Deno.KvU64(((cur as Deno.KvU64).value + operand) & U64_MAX) };
    }
    return { error: `Cannot sum KvU64 with ${opName}` };
  }
  if (typeof cur === "number") {
    return typeof operand === "number" ? { value: cur + operand } : { error: "Cannot sum Number with BigInt" };
  }
  if (typeof cur === "bigint") {
    return typeof operand === "bigint" ? { value: cur + operand } : { error: "Cannot sum BigInt with Number" };
  }
  return { error: "unsupported value type" };
}

async function callAtomic(ctx: Ctx) {
  const { kv, model } = ctx;
  const plan = planAtomic(ctx);
  const call = () => `atomic ${show(plan.steps.map((s) => s.m === "check" && s.checks.length > 3 ? { m: "check", n: s.checks.length } : s.m === "sum" && plan.steps.length > 50 ? "sum" : s))}`.slice(0, 600);
  let op: Deno.AtomicOperation;
  let syncOutcome: Outcome | null = null;
  try {
    op = kv.atomic();
    if (plan.steps.some((s) => s.m === "then") && !plan.syncError) {
      plan.syncError = { cls: "TypeError", msg: "'Deno.AtomicOperation' is not a promise: did you forget to call 'commit()'" };
    }
    runSteps(op, plan.steps);
  } catch (e) {
    syncOutcome = { ok: false, phase: "sync", ...describeError(e) };
  }
  if (plan.syncError || syncOutcome) {
    judge("atomic", call, syncOutcome ?? { ok: true, value: "no synchronous error" }, plan.syncError ? { phase: "sync", ...plan.syncError } : null);
    return;
  }
  const commitError = plan.commitError;
  // Expected result from the model: checks, then mutations in order.
  let checkFailed = false;
  for (const c of plan.checks) {
    const cur = model.get(c.bytes)?.versionstamp ?? null;
    if (cur !== c.versionstamp) checkFailed = true;
  }
  const scratch = new Map(model.entries);
  let stateError: string | null = null;
  let appliedBeforeError = 0;
  const pending: { write: AtomicPlan["writes"][number]; value?: unknown }[] = [];
  if (!commitError && !checkFailed) {
    for (const w of plan.writes) {
      if (w.stamped) {
        pending.push({ write: w, value: w.value });
        appliedBeforeError++;
        continue;
      }
      const parts = canonicalKey(w.key);
      const hex = hexOf(encodeKey(parts)!);
      if (w.op === "set") {
        if (w.zero) scratch.delete(hex);
        else scratch.set(hex, { key: parts, bytes: encodeKey(parts)!, value: w.value, versionstamp: "pending" });
      } else if (w.op === "delete") {
        scratch.delete(hex);
      } else {
        const r = combine(w.op, scratch.get(hex), w.value);
        if ("error" in r) {
          stateError = r.error;
          break;
        }
        scratch.set(hex, { key: parts, bytes: encodeKey(parts)!, value: r.value, versionstamp: "pending" });
      }
      appliedBeforeError++;
    }
  }
  const expected = commitError ?? (stateError ? { cls: "TypeError", msg: stateError } : null);
  const outcome = await attempt(() => op.commit());
  judge("atomic", call, outcome, expected && { phase: "async", ...expected }, (got) => {
    if (checkFailed) {
      return got && got.ok === false && Object.keys(got).length === 1 ? null : `want { ok: false } (a check fails), got ${show(got)}`;
    }
    if (!got || got.ok !== true) return `want { ok: true, versionstamp }, got ${show(got)}`;
    const p = checkVersionstamp(model, got.versionstamp);
    if (p) return p;
    model.committed(got.versionstamp);
    for (const [hex, e] of scratch) {
      if (e.versionstamp === "pending") scratch.set(hex, { ...e, versionstamp: got.versionstamp });
    }
    for (const { write, value } of pending) {
      const parts = canonicalKey([...write.key.slice(0, -1), got.versionstamp]);
      const bytes = encodeKey(parts)!;
      // expireIn 0: expired at once, like unstamped writes above.
      if (write.zero) scratch.delete(hexOf(bytes));
      else scratch.set(hexOf(bytes), { key: parts, bytes, value, versionstamp: got.versionstamp });
    }
    model.replace(scratch);
    return null;
  });
  if (stateError && DENO_REFERENCE && appliedBeforeError > 0) resyncNeeded = true; // Deno kept the earlier mutations
}

async function callKvU64(_ctx: Ctx) {
  const r = int(10);
  const cases: [unknown, Expected | null][] = [
    [0n, null],
    [1n, null],
    [U64_MAX, null],
    [12345678901234567890n, null],
    [5, { cls: "TypeError", msg: "Value must be a bigint: received number" }],
    ["5", { cls: "TypeError", msg: "Value must be a bigint: received string" }],
    [undefined, { cls: "TypeError", msg: "Value must be a bigint: received undefined" }],
    [-1n, { cls: "RangeError", msg: "Value must be a positive bigint: received -1" }],
    [2n ** 64n, { cls: "RangeError", msg: "Value must fit in a 64-bit unsigned integer" }],
    [-(2n ** 70n), { cls: "RangeError", msg: `Value must be a positive bigint: received ${-(2n ** 70n)}` }],
  ];
  const [arg, error] = cases[r];
  const outcome = await attempt(() => new Deno.KvU64(arg as bigint));
  judge("KvU64", () => `new Deno.KvU64(${show(arg)})`, outcome, error && { phase: "sync", ...error }, (u) => {
    const n = arg as bigint;
    if (!(u instanceof Deno.KvU64)) return "not a KvU64";
    if (u.value !== n || u.valueOf() !== n || u.toString() !== String(n)) return `value ${show(u.value)}`;
    if ((u as any) + 1n !== n + 1n) return "valueOf arithmetic";
    if (!Object.isFrozen(u)) return "not frozen";
    if (Deno.inspect(u) !== `[Deno.KvU64: ${n}n]`) return `inspect ${Deno.inspect(u)}`;
    return null;
  });
}

// ---------------------------------------------------------------- driver

async function resync(ctx: Ctx) {
  const entries = new Map<string, Entry>();
  try {
    for await (const e of ctx.kv.list({ prefix: [] })) {
      const key = e.key as unknown[];
      const bytes = encodeKey(key)!;
      entries.set(hexOf(bytes), { key, bytes, value: e.value, versionstamp: e.versionstamp });
      if (e.versionstamp > ctx.model.lastVersionstamp) ctx.model.lastVersionstamp = e.versionstamp;
    }
    ctx.model.replace(entries);
  } catch (e) {
    mismatch("resync: list of everything failed", String(e));
  }
}

const CALL_TABLE: [number, string, (ctx: Ctx) => Promise<void>][] = [
  [15, "get", callGet],
  [9, "getMany", callGetMany],
  [20, "set", callSet],
  [8, "delete", callDelete],
  [16, "list", callList],
  [2, "paging", callPaging],
  [25, "atomic", callAtomic],
  [5, "KvU64", callKvU64],
];
const TOTAL_WEIGHT = CALL_TABLE.reduce((n, [w]) => n + w, 0);

function pickCall(): [string, (ctx: Ctx) => Promise<void>] {
  let r = int(TOTAL_WEIGHT);
  for (const [w, name, fn] of CALL_TABLE) {
    if (r < w) return [name, fn];
    r -= w;
  }
  throw new Error("unreachable");
}

Deno.test({
  name: `model-based fuzz: ${CALLS} random calls against :memory: (seed ${SEED})`,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    console.log(`fuzz seed ${SEED} (replay: KV_FUZZ_SEED=${SEED}), ${CALLS} calls, model: ${DENO_REFERENCE ? "Deno" : "kvrt"}`);
    const started = performance.now();
    const kv = await Deno.openKv(":memory:");
    const ctx: Ctx = { kv, model: new Model() };
    try {
      for (let i = 0; i < CALLS; i++) {
        const [name, fn] = pickCall();
        stats.byCall.set(name, (stats.byCall.get(name) ?? 0) + 1);
        stats.calls++;
        const t0 = performance.now();
        await fn(ctx);
        const t1 = performance.now();
        stats.msByCall.set(name, (stats.msByCall.get(name) ?? 0) + t1 - t0);
        if (resyncNeeded) {
          resyncNeeded = false;
          await resync(ctx);
          stats.msByCall.set("resync", (stats.msByCall.get("resync") ?? 0) + performance.now() - t1);
        }
      }
      // Final cross-check of the whole database against the model.
      const before = ctx.model.entries;
      await resync(ctx);
      const a = [...before.keys()].sort();
      const b = [...ctx.model.entries.keys()].sort();
      if (a.join() !== b.join() || a.some((k) => !sameValue(before.get(k)!.value, ctx.model.entries.get(k)!.value))) {
        mismatch("final state", `model has ${a.length} keys, database ${b.length}`);
      } else {
        // Each entry carries the versionstamp of the commit that wrote it last,
        // as that commit returned it, so their order is the commits' order.
        const stale = a.filter((k) => before.get(k)!.versionstamp !== ctx.model.entries.get(k)!.versionstamp);
        if (stale.length > 0) {
          const k = stale[0];
          mismatch(
            "final state: versionstamps",
            `${stale.length} of ${a.length} keys differ, e.g. ${show(before.get(k)!.key)}: ` +
              `model ${before.get(k)!.versionstamp}, database ${ctx.model.entries.get(k)!.versionstamp}`,
          );
        }
      }
      // The versionstamps returned by successful commits strictly increase.
      const stamps = ctx.model.seenVersionstamps;
      const backwards = stamps.findIndex((vs, i) => i > 0 && !(vs > stamps[i - 1]));
      if (backwards > 0) {
        mismatch("versionstamps not increasing", `${stamps[backwards - 1]} then ${stamps[backwards]}`);
      }
      if (stamps.length === 0) mismatch("versionstamps", "no commit succeeded");
    } finally {
      kv.close();
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `fuzz: seed ${SEED}, calls ${stats.calls} (${[...stats.byCall].map(([k, v]) => `${k} ${v}`).join(", ")}), ` +
        `successes ${stats.successes}, expected errors ${stats.expectedErrors}, mismatches ${stats.mismatches}, ` +
        `hangs ${stats.hangs}, final keys ${ctx.model.entries.size}, ${seconds} s`,
    );
    console.log(`  time by call (ms): ${[...stats.msByCall].map(([k, v]) => `${k} ${Math.round(v)}`).join(", ")}`);
    if (stats.categories.size) {
      console.log(`mismatch categories (${stats.categories.size}):`);
      const sorted = [...stats.categories].sort((x, y) => y[1].count - x[1].count);
      for (const [category, { count, examples }] of sorted) {
        console.log(`  [${count}] ${category}`);
        for (const ex of examples) console.log(`      e.g. ${ex}`);
      }
    }
    if (stats.mismatches !== 0 || stats.hangs !== 0) {
      throw new Error(`${stats.mismatches} mismatches (${stats.hangs} hangs) with seed ${SEED}; see the categories above`);
    }
  },
});

// ---------------------------------------------------------------- error precedence

// The fuzz above puts at most one fault in a call. Which error wins when a
// call has several is part of Deno's behaviour too; these cases were run
// against the real deno 2.9.6, whose answers are the expectations.
const BIG_VALUE = new Uint8Array(70_000);
const LONG_KEY = ["x".repeat(3000)];
const PRECEDENCE: [string, (kv: Deno.Kv) => unknown, "sync" | "async", string, string][] = [
  ["atomic: a too large value, then an empty key", (kv) => kv.atomic().set(["v"], BIG_VALUE).set([], 1).commit(), "async", "TypeError", "key cannot be empty"],
  ["atomic: an empty key, then a too large value", (kv) => kv.atomic().set([], 1).set(["v"], BIG_VALUE).commit(), "async", "TypeError", "key cannot be empty"],
  ["atomic: a too long key, then an empty key", (kv) => kv.atomic().set(LONG_KEY, 1).set([], 1).commit(), "async", "TypeError", "Key too large for write (max 2048 bytes)"],
  ["atomic: an empty key, then a too long key", (kv) => kv.atomic().set([], 1).set(LONG_KEY, 1).commit(), "async", "TypeError", "key cannot be empty"],
  ["atomic: a check with a too long key, then an empty key", (kv) => kv.atomic().check({ key: LONG_KEY, versionstamp: null }).set([], 1).commit(), "async", "TypeError", "Key too large for write (max 2048 bytes)"],
  ["atomic: a bad versionstamp, then a too large value", (kv) => kv.atomic().check({ key: ["c"], versionstamp: "zz" }).set(["v"], BIG_VALUE).commit(), "async", "TypeError", "Invalid check"],
  ["atomic: a bad versionstamp, then a bad key part", (kv) => kv.atomic().check({ key: ["c"], versionstamp: "zz" }).set([null] as any, 1).commit(), "async", "TypeError", PART_ERROR],
  ["atomic: a bad key part, then a bad versionstamp", (kv) => kv.atomic().set([null] as any, 1).check({ key: ["c"], versionstamp: "zz" }).commit(), "async", "TypeError", PART_ERROR],
  ["atomic: 101 checks with bad keys and versionstamps", (kv) => {
    const op = kv.atomic();
    for (let i = 0; i < 101; i++) op.check({ key: [], versionstamp: "zz" });
    return op.commit();
  }, "async", "TypeError", "Too many checks (max 100)"],
  ["atomic: 1001 mutations with empty keys", (kv) => {
    const op = kv.atomic();
    for (let i = 0; i < 1001; i++) op.set([], 1);
    return op.commit();
  }, "async", "TypeError", "Too many mutations (max 1000)"],
  ["atomic: a too large expireIn, then an empty key", (kv) => kv.atomic().set(["a"], 1, { expireIn: 1e16 }).set([], 1).commit(), "async", "TypeError", "Invalid mutation: expireIn is too large: 10000000000000000"],
  ["atomic: a too large value, then a too large expireIn", (kv) => kv.atomic().set(["a"], BIG_VALUE).set(["b"], 1, { expireIn: 1e16 }).commit(), "async", "TypeError", "Invalid mutation: expireIn is too large: 10000000000000000"],
  ["set: a bad expireIn and an empty key", (kv) => kv.set([], 1, { expireIn: -1 }), "async", "TypeError", "expireIn must be a non-negative integer: received -1"],
  ["set: a bad expireIn and a function value", (kv) => kv.set(["a"], FUNCTIONS[0], { expireIn: -1 }), "async", "TypeError", "expireIn must be a non-negative integer: received -1"],
  ["set: a function value and an empty key", (kv) => kv.set([], FUNCTIONS[0]), "async", "TypeError", `${String(FUNCTIONS[0])} could not be cloned.`],
  ["set: a too large value and a too long key", (kv) => kv.set(LONG_KEY, BIG_VALUE), "async", "TypeError", "Key too large for write (max 2048 bytes)"],
  ["list: batchSize 1001 and start > end", (kv) => Array.fromAsync(kv.list({ start: ["b"], end: ["a"] }, { batchSize: 1001 })), "async", "TypeError", "Start key is greater than end key"],
  ["list: batchSize 1001 and a bad cursor", (kv) => Array.fromAsync(kv.list({ prefix: ["a"] }, { batchSize: 1001, cursor: "!" })), "async", "TypeError", "invalid cursor"],
  ["list: a bad consistency and batchSize 1001", (kv) => Array.fromAsync(kv.list({ prefix: ["a"] }, { batchSize: 1001, consistency: "x" as any })), "async", "TypeError", "unknown variant `x`, expected `strong` or `eventual`"],
  ["list: a bad limit and a bad selector", (kv) => Array.fromAsync(kv.list({} as any, { limit: 0 })), "sync", "Error", "Limit must be a positive integer: received 0"],
  ["list: a bad batchSize and a bad selector", (kv) => Array.fromAsync(kv.list({} as any, { batchSize: 0 })), "sync", "Error", "batchSize must be a positive integer: received 0"],
  ["list: a bad limit and a bad batchSize", (kv) => Array.fromAsync(kv.list({ prefix: [] }, { limit: 0, batchSize: 0 })), "sync", "Error", "Limit must be a positive integer: received 0"],
  ["list: a 2049-byte prefix and a bad cursor", (kv) => Array.fromAsync(kv.list({ prefix: ["x".repeat(2047)] }, { cursor: "!" })), "async", "TypeError", "invalid cursor"],
  ["list: a start outside the prefix and a bad cursor", (kv) => Array.fromAsync(kv.list({ prefix: ["a"], start: ["b"] }, { cursor: "!" })), "async", "TypeError", "Start key is not in the keyspace defined by prefix"],
  ["getMany: 11 keys, one with a bad part", (kv) => kv.getMany([...Array.from({ length: 10 }, (_, i) => [i]), [null]] as any), "async", "TypeError", PART_ERROR],
  ["getMany: a bad key part, then a too long key", (kv) => kv.getMany([[null], LONG_KEY] as any), "async", "TypeError", PART_ERROR],
  ["getMany: a too long key, then a bad key part", (kv) => kv.getMany([LONG_KEY, [null]] as any), "async", "TypeError", PART_ERROR],
  ["get: a bad consistency and a bad key part", (kv) => kv.get([null] as any, { consistency: "x" as any }), "async", "TypeError", PART_ERROR],
];

Deno.test({
  name: `error precedence: ${PRECEDENCE.length} calls with several faults fail like Deno`,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const kv = await Deno.openKv(":memory:");
    const wrong: string[] = [];
    try {
      for (const [what, call, phase, cls, msg] of PRECEDENCE) {
        const outcome = await attempt(() => call(kv));
        const got = "hang" in outcome
          ? "hang"
          : outcome.ok
          ? "success"
          : `${outcome.phase} ${outcome.cls}: ${outcome.msg}`;
        const want = `${phase} ${cls}: ${msg}`;
        if (got !== want) wrong.push(`${what}\n    want: ${want}\n    got:  ${got}`);
      }
    } finally {
      kv.close();
    }
    console.log(`error precedence: ${PRECEDENCE.length} cases, ${wrong.length} differ from Deno`);
    if (wrong.length) throw new Error(`${wrong.length} cases fail differently from Deno:\n${wrong.join("\n")}`);
  },
});
