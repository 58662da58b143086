// Deno.Kv basics: get/getMany/set/delete, keys of every type, values of every
// storable type, KvU64, versionstamps, close and dispose.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";

async function withKv(fn: (kv: Deno.Kv) => Promise<void>) {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(kv);
  } finally {
    kv.close();
  }
}

Deno.test("get of a missing key", () =>
  withKv(async (kv) => {
    assertEquals(await kv.get(["missing"]), { key: ["missing"], value: null, versionstamp: null });
    assertEquals(await kv.get([]), { key: [], value: null, versionstamp: null });
  }));

Deno.test("set then get returns the value and versionstamp", () =>
  withKv(async (kv) => {
    const result = await kv.set(["users", "alice"], { name: "Alice", age: 30 });
    assertEquals(result.ok, true);
    assert(/^[0-9a-f]{20}$/.test(result.versionstamp));
    const entry = await kv.get(["users", "alice"]);
    assertEquals(entry, {
      key: ["users", "alice"],
      value: { name: "Alice", age: 30 },
      versionstamp: result.versionstamp,
    });
  }));

Deno.test("versionstamps strictly increase", () =>
  withKv(async (kv) => {
    let last = "";
    for (let i = 0; i < 20; i++) {
      const { versionstamp } = await kv.set(["n"], i);
      assert(versionstamp > last, `${versionstamp} > ${last}`);
      last = versionstamp;
    }
  }));

Deno.test("delete removes and is idempotent", () =>
  withKv(async (kv) => {
    await kv.set(["a"], 1);
    assertEquals(await kv.delete(["a"]), undefined);
    assertEquals((await kv.get(["a"])).value, null);
    await kv.delete(["a"]);
  }));

Deno.test("key part types round-trip through list", () =>
  withKv(async (kv) => {
    const keys: Deno.KvKey[] = [
      ["k", new Uint8Array([1, 0, 2])],
      ["k", ""],
      ["k", "a\u0000b"],
      ["k", "\u00e9\u{1F600}"],
      ["k", -(2n ** 70n)],
      ["k", -5n],
      ["k", 0n],
      ["k", 255n],
      ["k", 2n ** 64n],
      ["k", -Infinity],
      ["k", -1.5],
      ["k", -0],
      ["k", 0],
      ["k", 1],
      ["k", Infinity],
      ["k", false],
      ["k", true],
    ];
    for (const [i, key] of keys.entries()) await kv.set(key, i);
    const listed = await Array.fromAsync(kv.list({ prefix: ["k"] }));
    assertEquals(listed.map((e) => e.value), keys.map((_, i) => i));
    for (const [i, entry] of listed.entries()) {
      assertEquals(entry.key, keys[i]);
    }
    assert(Object.is(listed[11].key[1], -0));
    assert(Object.is(listed[12].key[1], 0));
  }));

Deno.test("typed array key parts are stored as their bytes", () =>
  withKv(async (kv) => {
    await kv.set(["t", new Uint16Array([1])], "u16");
    const entry = await kv.get(["t", new Uint8Array([1, 0])]);
    assertEquals(entry.value, "u16");
  }));

Deno.test("invalid key parts reject with TypeError", () =>
  withKv(async (kv) => {
    const message = "expected string, number, bigint, ArrayBufferView, boolean";
    for (const part of [null, undefined, {}, new Date(), ["nested"], new ArrayBuffer(2), Symbol("s")]) {
      // deno-lint-ignore no-explicit-any
      await assertRejects(() => kv.get([part as any]), TypeError, message);
      // deno-lint-ignore no-explicit-any
      await assertRejects(() => kv.set([part as any], 1), TypeError, message);
    }
    // deno-lint-ignore no-explicit-any
    await assertRejects(() => kv.get("a" as any), TypeError);
    await assertRejects(() => kv.set([], 1), TypeError, "key cannot be empty");
    await assertRejects(() => kv.delete([]), TypeError, "key cannot be empty");
  }));

Deno.test("values of every storable type round-trip", () =>
  withKv(async (kv) => {
    const cyclic: Record<string, unknown> = { name: "self" };
    cyclic.self = cyclic;
    const shared = { s: 1 };
    const values: unknown[] = [
      undefined, null, true, false, 0, -0, 1, -1, 2 ** 31, 1.5, NaN, Infinity, -Infinity,
      0n, -123n, 2n ** 100n, "", "text", "\u00e9\u{1F600}", [], [1, "a", [2]], {},
      { a: { b: [1, 2, { c: 3 }] } }, new Date(0), new Date(1700000000000), /ab+c/gi,
      new Map<unknown, unknown>([[1, "a"], ["b", { c: 2 }]]), new Set([1, "a", 3n]),
      new Uint8Array([1, 2, 3]), new Int32Array([-1, 2]), new Float64Array([1.5]),
      new BigUint64Array([1n]), new ArrayBuffer(4), new DataView(new ArrayBuffer(2)),
      { bytes: new Uint8Array([9]) }, [shared, shared], new Error("boom"),
      new TypeError("bad type"), new RangeError("range"),
    ];
    for (const [i, value] of values.entries()) {
      await kv.set(["v", i], value);
      const got = (await kv.get(["v", i])).value;
      if (value instanceof Error) {
        assertInstanceOf(got, value.constructor as typeof Error);
        assertEquals((got as Error).message, value.message);
      } else {
        assertEquals(got, value, `value #${i}`);
      }
    }
    await kv.set(["cyclic"], cyclic);
    const got = (await kv.get<Record<string, unknown>>(["cyclic"])).value!;
    assert(got.self === got);
    await kv.set(["shared"], [shared, shared]);
    const pair = (await kv.get<unknown[]>(["shared"])).value!;
    assert(pair[0] === pair[1]);
    assert(Object.is((await kv.get(["v", 5])).value, -0));
  }));

Deno.test("exact Uint8Array values come back as Uint8Array", () =>
  withKv(async (kv) => {
    await kv.set(["b"], new Uint8Array(new ArrayBuffer(8), 2, 3).fill(7));
    const value = (await kv.get(["b"])).value;
    assertInstanceOf(value, Uint8Array);
    assertEquals(value, new Uint8Array([7, 7, 7]));
  }));

Deno.test("unsupported values reject and write nothing", () =>
  withKv(async (kv) => {
    await assertRejects(() => kv.set(["f"], () => 1), TypeError, "could not be cloned");
    await assertRejects(() => kv.set(["f"], Symbol("x")), TypeError, "could not be cloned");
    await assertRejects(() => kv.set(["f"], new WeakMap()), TypeError, "#<WeakMap> could not be cloned.");
    await assertRejects(() => kv.set(["f"], { nested: () => 1 }), TypeError);
    assertEquals((await kv.get(["f"])).versionstamp, null);
  }));

Deno.test("getMany returns entries in request order", () =>
  withKv(async (kv) => {
    await kv.set(["a"], 1);
    await kv.set(["c"], 3);
    const entries = await kv.getMany([["c"], ["b"], ["a"]]);
    assertEquals(entries.map((e) => e.value), [3, null, 1]);
    assertEquals(entries.map((e) => e.key), [["c"], ["b"], ["a"]]);
    assertEquals(await kv.getMany([]), []);
    await assertRejects(
      () => kv.getMany(Array.from({ length: 11 }, (_, i) => [i])),
      TypeError,
      "Too many ranges (max 10)",
    );
  }));

Deno.test("KvU64", async () => {
  const u = new Deno.KvU64(5n);
  assertEquals(u.value, 5n);
  assertEquals(u.valueOf() + 1n, 6n);
  assertEquals(String(u), "5");
  assert(Object.isFrozen(u));
  assertEquals(Deno.inspect(u), "[Deno.KvU64: 5n]");
  assertEquals(Object.prototype.toString.call(u), "[object Deno.KvU64]");
  // deno-lint-ignore no-explicit-any
  assertThrows(() => new Deno.KvU64(1 as any), TypeError, "Value must be a bigint: received number");
  assertThrows(() => new Deno.KvU64(-1n), RangeError, "Value must be a positive bigint: received -1");
  assertThrows(() => new Deno.KvU64(2n ** 64n), RangeError, "Value must fit in a 64-bit unsigned integer");
  await withKv(async (kv) => {
    await kv.set(["u"], new Deno.KvU64(2n ** 64n - 1n));
    const value = (await kv.get(["u"])).value;
    assertInstanceOf(value, Deno.KvU64);
    assertEquals((value as Deno.KvU64).value, 2n ** 64n - 1n);
  });
});

Deno.test("Deno.Kv cannot be constructed", () => {
  // deno-lint-ignore no-explicit-any
  assertThrows(() => new (Deno.Kv as any)(), TypeError, "Deno.Kv can not be constructed: use Deno.openKv instead");
});

Deno.test("openKv rejects bad file names", async () => {
  await assertRejects(() => Deno.openKv(""), TypeError, "Filename cannot be empty");
  await assertRejects(
    () => Deno.openKv(":foo"),
    TypeError,
    "Filename cannot start with ':' unless prefixed with './'",
  );
});

Deno.test("operations after close reject with BadResource", async () => {
  const kv = await Deno.openKv(":memory:");
  kv.close();
  await assertRejects(() => kv.get(["a"]), Deno.errors.BadResource);
  await assertRejects(() => kv.set(["a"], 1), Deno.errors.BadResource);
  await assertRejects(() => kv.delete(["a"]), Deno.errors.BadResource);
  await assertRejects(() => kv.atomic().set(["a"], 1).commit(), Deno.errors.BadResource);
  await assertRejects(() => Array.fromAsync(kv.list({ prefix: [] })), Deno.errors.BadResource);
  assertThrows(() => kv.close(), Deno.errors.BadResource);
});

Deno.test("using disposes the database", async () => {
  let escaped: Deno.Kv;
  {
    using kv = await Deno.openKv(":memory:");
    escaped = kv;
    await kv.set(["a"], 1);
  }
  await assertRejects(() => escaped.get(["a"]), Deno.errors.BadResource);
});

Deno.test("limits on keys and values", () =>
  withKv(async (kv) => {
    await assertRejects(() => kv.set(["a".repeat(3000)], 1), TypeError, "Key too large for write (max 2048 bytes)");
    await assertRejects(() => kv.get(["a".repeat(3000)]), TypeError, "Key too large for read (max 2049 bytes)");
    await assertRejects(() => kv.set(["a"], "a".repeat(70000)), TypeError, "Value too large (max 65536 bytes)");
    // At the limits: a 2048-byte key and a 65536-byte value are accepted.
    await kv.set(["a".repeat(2046)], 1);
    await kv.set(["big"], new Uint8Array(65536));
  }));

Deno.test("consistency option", () =>
  withKv(async (kv) => {
    await kv.set(["a"], 1);
    assertEquals((await kv.get(["a"], { consistency: "eventual" })).value, 1);
    assertEquals((await kv.getMany([["a"]], { consistency: "strong" }))[0].value, 1);
    // deno-lint-ignore no-explicit-any
    await assertRejects(() => kv.get(["a"], { consistency: "foo" as any }), TypeError);
  }));

Deno.test("a file database persists across handles", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/db.sqlite`;
  const a = await Deno.openKv(path);
  const { versionstamp } = await a.set(["k"], { persisted: true });
  a.close();
  const b = await Deno.openKv(path);
  assertEquals(await b.get(["k"]), { key: ["k"], value: { persisted: true }, versionstamp });
  const c = await Deno.openKv(path);
  const second = await c.set(["k2"], 2);
  assertNotEquals(second.versionstamp, versionstamp);
  assert(second.versionstamp > versionstamp);
  assertEquals((await b.get(["k2"])).value, 2);
  b.close();
  c.close();
  await Deno.remove(dir, { recursive: true });
});

// Deno's own unit tests for host objects in values (tests/unit/kv_test.ts,
// "set and get Blob value" and the next three), unchanged but for withKv.
Deno.test("set and get Blob value", () =>
  withKv(async (db) => {
    const blob = new Blob(["Hello, world!"], { type: "text/plain" });
    await db.set(["a"], blob);
    const result = await db.get<Blob>(["a"]);
    assert(result.value instanceof Blob);
    assertEquals(result.value.type, "text/plain");
    assertEquals(await result.value.text(), "Hello, world!");
  }));

Deno.test("set and get File value", () =>
  withKv(async (db) => {
    const file = new File(["contents"], "name.txt", {
      type: "text/plain",
      lastModified: 12345,
    });
    await db.set(["a"], file);
    const result = await db.get<File>(["a"]);
    assert(result.value instanceof File);
    assertEquals(result.value.name, "name.txt");
    assertEquals(result.value.type, "text/plain");
    assertEquals(result.value.lastModified, 12345);
    assertEquals(await result.value.text(), "contents");
  }));

Deno.test("set and get DOMException value", () =>
  withKv(async (db) => {
    const ex = new DOMException("oops", "DataCloneError");
    await db.set(["a"], ex);
    const result = await db.get<DOMException>(["a"]);
    assert(result.value instanceof DOMException);
    assertEquals(result.value.name, "DataCloneError");
    assertEquals(result.value.message, "oops");
  }));

Deno.test("set and get CryptoKey value", () =>
  withKv(async (db) => {
    const key = await crypto.subtle.generateKey(
      { name: "AES-GCM", length: 256 },
      true,
      ["encrypt", "decrypt"],
    );
    await db.set(["a"], key);
    const result = await db.get<CryptoKey>(["a"]);
    assert(result.value instanceof CryptoKey);
    assertEquals(result.value.type, "secret");
    const algorithm = result.value.algorithm as AesKeyAlgorithm;
    assertEquals(algorithm.name, "AES-GCM");
    assertEquals(algorithm.length, 256);
  }));

// Deno itself panics reading these back (deno_core calls the missing
// deserializer); kvrt refuses them with an error.
Deno.test("a stored host object of an unknown type fails to read with an error", () =>
  withKv(async (db) => {
    const brand = Symbol.for("Deno.core.hostObject");
    await db.set(["a"], { [brand]: () => ({ type: "NoSuchClass", x: 1 }) });
    await db.set(["b"], { [brand]: () => 5 });
    for (const key of [["a"], ["b"]]) {
      await assertRejects(() => db.get(key), Error, "host object of an unknown type");
    }
    await assertRejects(() => db.set(["c"], { [brand]: "ReadableStream" }), TypeError, "Unsupported object type");
  }));
