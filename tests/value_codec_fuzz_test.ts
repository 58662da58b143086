// Value codec fuzz through the KV API: random structured-clone values (every
// storable type, nested, with shared references and cycles, strings with lone
// surrogates, typed-array views sharing buffers, boxed primitives, errors)
// are written with kv.set / atomic().set and read back with get, getMany and
// list, in memory and in a file that is then reopened; each value read back
// must be equivalent to the original (same types, same contents, same
// identity structure). The codec itself is internal to the extension, so this
// drives it the way user code does; tests/tools/check_value_codec.mjs (run
// under Node by scripts/test.sh) fuzzes it directly, with garbage input too.
//
// Seeded: KV_CODEC_SEED replays a run (the seed is printed); KV_CODEC_VALUES
// sets the number of values (default 3000). Runs under the real deno too
// (`deno test --unstable-kv -A`), which checks the checker.

const SEED = Number(Deno.env.get("KV_CODEC_SEED") ?? Math.floor(Math.random() * 2 ** 31));
const VALUES = Number(Deno.env.get("KV_CODEC_VALUES") ?? 3000);

let state = SEED >>> 0;
function rand(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];

// ---------------------------------------------------------------- generator

const covered = new Map<string, number>();
function cover(kind: string) {
  covered.set(kind, (covered.get(kind) ?? 0) + 1);
}

function randomString(): string {
  switch (int(7)) {
    case 0:
      return "";
    case 1:
      return Array.from({ length: int(20) }, () => String.fromCharCode(32 + int(95))).join("");
    case 2:
      return Array.from({ length: int(20) }, () => String.fromCharCode(int(256))).join(""); // Latin-1, NUL included
    case 3:
      return Array.from({ length: int(12) }, () => pick(["😀", "é", "中", "\u{10FFFF}", "a", "\0"])).join("");
    case 4:
      return pick(["\ud800", "a\udc00b", "\udfff\ud800", "x\ud83d"]); // lone surrogates
    case 5:
      return "long".repeat(500 + int(1000));
    default:
      return pick(["key", "value", "0", "01", "-1", "__proto__", "constructor"]);
  }
}

const NUMBERS = [
  0, -0, 1, -1, 42, 0.1, -1.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 2 ** 53,
  2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, 5e-324, NaN, Infinity, -Infinity, 1e21, 123456.789,
];
const BIGINTS = [0n, 1n, -1n, 255n, -256n, 2n ** 63n, 2n ** 64n, -(2n ** 64n), 2n ** 200n + 7n, -(3n ** 150n)];
const TYPED = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const;
const ERRORS = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError];

function typedArray(buffer?: ArrayBuffer): ArrayBufferView {
  const Ctor = pick(TYPED);
  const size = Ctor.BYTES_PER_ELEMENT;
  const length = int(9);
  if (buffer) {
    const max = Math.floor(buffer.byteLength / size);
    const offset = int(Math.max(1, max - 1));
    return new Ctor(buffer, offset * size, Math.min(length, max - offset));
  }
  const view = new Ctor(length);
  const bytes = new Uint8Array(view.buffer);
  for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
  return view;
}

function leaf(): unknown {
  switch (int(14)) {
    case 0:
      cover("undefined/null");
      return pick([undefined, null]);
    case 1:
      cover("boolean");
      return rand() < 0.5;
    case 2:
    case 3:
      cover("number");
      return rand() < 0.7 ? pick(NUMBERS) : (rand() - 0.5) * 10 ** int(30);
    case 4:
      cover("bigint");
      return pick(BIGINTS);
    case 5:
    case 6:
      cover("string");
      return randomString();
    case 7:
      cover("Date");
      return new Date(pick([0, -1, 1e12, 8.64e15, -8.64e15, NaN, Date.UTC(2024, 1, 29)]));
    case 8:
      cover("RegExp");
      return new RegExp(pick(["a+b", "^\\d{2,}$", "[\\u{1F600}]", "(?<year>\\d{4})", "\\/", ""]), pick(["", "g", "gi", "imsy", "u", "d"]));
    case 9:
      cover("typed array");
      return typedArray();
    case 10: {
      cover("ArrayBuffer");
      const b = new Uint8Array(int(12)).map(() => int(256));
      return b.buffer;
    }
    case 11: {
      cover("DataView");
      const b = new Uint8Array(8 + int(8)).map(() => int(256));
      return new DataView(b.buffer, int(4), int(4));
    }
    case 12: {
      cover("boxed primitive");
      return pick([new Number(pick(NUMBERS)), new String(randomString()), new Boolean(rand() < 0.5), Object(pick(BIGINTS))]);
    }
    default: {
      cover("Error");
      const E = pick(ERRORS);
      return new E(randomString().slice(0, 40));
    }
  }
}

/** A random value; `pool` collects objects so later ones can be shared or cyclic. */
function value(depth: number, pool: object[]): unknown {
  if (pool.length > 0 && rand() < 0.06) {
    cover("shared reference / cycle");
    return pick(pool);
  }
  if (depth >= 4 || rand() < 0.45) return leaf();
  switch (int(6)) {
    case 0: {
      cover("Array");
      const a: unknown[] = [];
      pool.push(a);
      const n = int(6);
      for (let i = 0; i < n; i++) a.push(value(depth + 1, pool));
      if (rand() < 0.15) {
        cover("sparse Array");
        a[n + 3 + int(5)] = value(depth + 1, pool);
      }
      return a;
    }
    case 1:
    case 2: {
      cover("Object");
      const o: Record<string, unknown> = {};
      pool.push(o);
      const n = int(6);
      for (let i = 0; i < n; i++) {
        const key = rand() < 0.2 ? String(int(20)) : randomString().slice(0, 12);
        // defineProperty: an own "__proto__" key must stay a plain property.
        Object.defineProperty(o, key, { value: value(depth + 1, pool), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
    case 3: {
      cover("Map");
      const m = new Map<unknown, unknown>();
      pool.push(m);
      const n = int(5);
      for (let i = 0; i < n; i++) m.set(value(depth + 1, pool), value(depth + 1, pool));
      return m;
    }
    case 4: {
      cover("Set");
      const s = new Set<unknown>();
      pool.push(s);
      const n = int(5);
      for (let i = 0; i < n; i++) s.add(value(depth + 1, pool));
      return s;
    }
    default: {
      cover("views sharing one buffer");
      const buffer = new Uint8Array(32).map(() => int(256)).buffer;
      return [buffer, typedArray(buffer), typedArray(buffer), new DataView(buffer, 4, 8)];
    }
  }
}

/** A top-level value: mostly a tree, sometimes the types stored specially. */
function topValue(): unknown {
  const r = rand();
  if (r < 0.05) {
    cover("top-level KvU64");
    return new Deno.KvU64(pick([0n, 1n, 2n ** 64n - 1n, 123456789n]));
  }
  if (r < 0.1) {
    cover("top-level Uint8Array");
    return new Uint8Array(int(100)).map(() => int(256));
  }
  return value(0, []);
}

// ---------------------------------------------------------------- equivalence

function tag(v: object): string {
  return Object.prototype.toString.call(v);
}

/** Structured-clone equivalence of `a` (original) and `b` (read back):
 * returns the path of the first difference, or null. Identity structure
 * (shared references, cycles, shared buffers) must be the same. A KvU64
 * below the top level reads back as a plain `{ value }` object. */
function difference(a: any, b: any, top = true, ab = new Map(), ba = new Map(), path = "$"): string | null {
  if (typeof a !== "object" || a === null) {
    if (typeof a !== typeof b) return `${path}: ${typeof a} vs ${typeof b}`;
    return Object.is(a, b) ? null : `${path}: ${String(a)} vs ${String(b)}`;
  }
  if (typeof b !== "object" || b === null) return `${path}: object vs ${String(b)}`;
  if (ab.has(a) || ba.has(b)) return ab.get(a) === b && ba.get(b) === a ? null : `${path}: identity structure differs`;
  ab.set(a, b);
  ba.set(b, a);
  if (a instanceof Deno.KvU64) {
    if (top) return b instanceof Deno.KvU64 && a.value === b.value ? null : `${path}: KvU64 ${a.value} vs ${String(b)}`;
    return tag(b) === "[object Object]" && Object.keys(b).join() === "value" && b.value === a.value
      ? null
      : `${path}: nested KvU64 should read back as { value }`;
  }
  if (tag(a) !== tag(b)) return `${path}: ${tag(a)} vs ${tag(b)}`;
  if (a instanceof Error) {
    return a.name === b.name && a.message === b.message && Object.getPrototypeOf(a) === Object.getPrototypeOf(b)
      ? null
      : `${path}: ${a.name}: ${a.message} vs ${b.name}: ${b.message}`;
  }
  if (ArrayBuffer.isView(a)) {
    const bv = b as ArrayBufferView;
    if (a.byteOffset !== bv.byteOffset || a.byteLength !== bv.byteLength) return `${path}: view window differs`;
    return difference(a.buffer, bv.buffer, false, ab, ba, `${path}.buffer`);
  }
  if (a instanceof ArrayBuffer) {
    const x = new Uint8Array(a);
    const y = new Uint8Array(b);
    return x.length === y.length && x.every((v, i) => v === y[i]) ? null : `${path}: buffer bytes differ`;
  }
  if (a instanceof Date) return Object.is(a.getTime(), b.getTime()) ? null : `${path}: date ${a.getTime()} vs ${b.getTime()}`;
  if (a instanceof RegExp) return a.source === b.source && a.flags === b.flags ? null : `${path}: ${a} vs ${b}`;
  if (a instanceof Number || a instanceof String || a instanceof Boolean || tag(a) === "[object BigInt]") {
    return Object.is(a.valueOf(), b.valueOf()) ? null : `${path}: boxed ${String(a)} vs ${String(b)}`;
  }
  if (a instanceof Map) {
    const ea = [...a];
    const eb = [...b];
    if (ea.length !== eb.length) return `${path}: Map size ${ea.length} vs ${eb.length}`;
    for (let i = 0; i < ea.length; i++) {
      const d = difference(ea[i][0], eb[i][0], false, ab, ba, `${path}<key ${i}>`) ??
        difference(ea[i][1], eb[i][1], false, ab, ba, `${path}<value ${i}>`);
      if (d) return d;
    }
    return null;
  }
  if (a instanceof Set) {
    const ea = [...a];
    const eb = [...b];
    if (ea.length !== eb.length) return `${path}: Set size ${ea.length} vs ${eb.length}`;
    for (let i = 0; i < ea.length; i++) {
      const d = difference(ea[i], eb[i], false, ab, ba, `${path}<${i}>`);
      if (d) return d;
    }
    return null;
  }
  if (Array.isArray(a) && a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join("\u0000") !== kb.join("\u0000")) return `${path}: keys ${JSON.stringify(ka)} vs ${JSON.stringify(kb)}`;
  for (const k of ka) {
    const d = difference(a[k], b[k], false, ab, ba, `${path}[${JSON.stringify(k)}]`);
    if (d) return d;
  }
  return null;
}

// ---------------------------------------------------------------- the test

Deno.test({
  name: `value codec fuzz: ${VALUES} random values through set/get/getMany/list, memory and file (seed ${SEED})`,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    console.log(`value codec fuzz: seed ${SEED} (replay: KV_CODEC_SEED=${SEED}), ${VALUES} values`);
    const started = performance.now();
    const values: unknown[] = Array.from({ length: VALUES }, topValue);
    const failures: string[] = [];
    const check = (where: string, i: number, got: unknown) => {
      const d = difference(values[i], got);
      if (d && failures.length < 20) failures.push(`${where} #${i}: ${d}`);
      else if (d) failures.push("");
    };
    let rejected = 0;

    const dir = await Deno.makeTempDir();
    const file = `${dir}/codec.sqlite`;
    const memory = await Deno.openKv(":memory:");
    const disk = await Deno.openKv(file);
    try {
      for (let i = 0; i < values.length; i++) {
        for (const kv of [memory, disk]) {
          try {
            if (i % 2) await kv.set(["v", i], values[i]);
            else await kv.atomic().set(["v", i], values[i]).commit();
          } catch (e) {
            // Only the size limit may refuse a storable value.
            if (!(e instanceof TypeError) || !e.message.startsWith("Value too large")) {
              failures.push(`set #${i}: ${e}`);
            }
            rejected++;
            values[i] = undefined;
            await kv.set(["v", i], undefined);
          }
        }
        check("get (memory)", i, (await memory.get(["v", i])).value);
      }
      for (let i = 0; i < values.length; i += 10) {
        const keys = Array.from({ length: Math.min(10, values.length - i) }, (_, j) => ["v", i + j]);
        const entries = await disk.getMany(keys);
        entries.forEach((e, j) => check("getMany (file)", i + j, e.value));
      }
      disk.close();
      const reopened = await Deno.openKv(file);
      let n = 0;
      for await (const entry of reopened.list({ prefix: ["v"] }, { batchSize: 250 })) {
        check("list (file, reopened)", entry.key[1] as number, entry.value);
        n++;
      }
      reopened.close();
      if (n !== values.length) failures.push(`list returned ${n} of ${values.length} entries`);
    } finally {
      memory.close();
      try {
        disk.close();
      } catch { /* closed above */ }
      await Deno.remove(dir, { recursive: true });
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const kinds = [...covered].sort((x, y) => y[1] - x[1]).map(([k, c]) => `${k} ${c}`).join(", ");
    console.log(
      `value codec fuzz: seed ${SEED}: ${VALUES} values x (memory + file) written, read back by get, getMany, ` +
        `list after reopening; ${rejected / 2} over the size limit; mismatches ${failures.length}; ${seconds} s`,
    );
    console.log(`  covered: ${kinds}`);
    if (failures.length) {
      throw new Error(`${failures.length} values read back differently (seed ${SEED}):\n${failures.filter(Boolean).join("\n")}`);
    }
  },
});
