// Differential scenario: values of every storable type, written and read back.
// Run by tests/differential.rs under real Deno and under kvrt; outputs must match.
const kv = await Deno.openKv(":memory:");
const cyclic: Record<string, unknown> = { name: "c" };
cyclic.self = cyclic;
const values: Record<string, unknown> = {
  undef: undefined, nul: null, t: true, f: false, zero: 0, negzero: -0, int: 42,
  smiMax: 2 ** 30 - 1, big31: 2 ** 31, float: 3.25, nan: NaN, inf: -Infinity,
  bigint: -(2n ** 80n), str: "hello", latin1: "caf\u00e9", utf16: "\u{1F600} \u4e2d",
  arr: [1, "two", [3]], sparse: [1, , 3], obj: { a: 1, nested: { b: [true] } },
  numKeys: { 1: "a", b: 2, 0: "z" }, date: new Date(1700000000000), re: /a+b/gimsuy,
  map: new Map<unknown, unknown>([[1, "one"], ["k", { v: 2n }]]), set: new Set([1, "x", null]),
  u8: new Uint8Array([1, 2, 3]), i16: new Int16Array([-1, 300]), f32: new Float32Array([1.5]),
  big64: new BigInt64Array([-5n]), ab: new ArrayBuffer(3), dv: new DataView(new ArrayBuffer(2), 1),
  nestedU8: { bytes: new Uint8Array([9, 8]) }, cyclic, err: new RangeError("out of range"),
  boxed: [new Number(1), new String("s"), new Boolean(false)], u64: new Deno.KvU64(12345678901234n),
};
for (const [name, value] of Object.entries(values)) {
  await kv.set(["v", name], value);
}
for await (const entry of kv.list({ prefix: ["v"] })) {
  const v = entry.value;
  const shown = v instanceof Error ? `${v.name}: ${v.message}` : Deno.inspect(v, { depth: 6 });
  console.log(entry.key[1], shown);
}
for (const bad of [() => 1, Symbol("s"), new WeakMap(), { f() {} }]) {
  try {
    await kv.set(["bad"], bad);
    console.log("stored", typeof bad);
  } catch (e) {
    console.log((e as Error).constructor.name, (e as Error).message);
  }
}
console.log((await kv.get(["bad"])).versionstamp);
kv.close();
