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

// Host objects: Deno's KV unit tests "set and get Blob value" and friends,
// and structuredClone of the same values. (A Blob's bytes stay in the
// process's blob store: only the reference is stored, as in Deno.)
const aes = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
const hmacKey = await crypto.subtle.importKey("raw", new Uint8Array([1, 2, 3]), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
const hosts: Record<string, unknown> = {
  blob: new Blob(["Hello, world!"], { type: "text/plain" }),
  emptyBlob: new Blob([]),
  file: new File(["contents"], "name.txt", { type: "text/plain", lastModified: 12345 }),
  domException: new DOMException("oops", "DataCloneError"),
  domExceptionDefault: new DOMException("plain"),
  aes,
  hmac: hmacKey,
  nested: { blobs: [new Blob(["a"]), new Blob(["b"])], key: aes },
};
async function describe(v: unknown): Promise<string> {
  if (v instanceof File) return `File ${v.name} ${v.type} ${v.size} ${v.lastModified} ${await v.text()}`;
  if (v instanceof Blob) return `Blob ${JSON.stringify(v.type)} ${v.size} ${await v.text()}`;
  if (v instanceof DOMException) return `DOMException ${v.name} ${v.message} ${v.code}`;
  if (v instanceof CryptoKey) return `CryptoKey ${Deno.inspect([v.type, v.extractable, v.algorithm, v.usages])}`;
  if (v && typeof v === "object") {
    const parts = [];
    for (const [k, x] of Object.entries(v)) parts.push(`${k}: ${Array.isArray(x) ? (await Promise.all(x.map(describe))).join(", ") : await describe(x)}`);
    return `{ ${parts.join("; ")} }`;
  }
  return Deno.inspect(v);
}
for (const [name, value] of Object.entries(hosts)) {
  await kv.set(["host", name], value);
  const stored = (await kv.get(["host", name])).value;
  console.log("kv", name, await describe(stored));
  console.log("structuredClone", name, await describe(structuredClone(value)));
}
const readKey = (await kv.get<CryptoKey>(["host", "aes"])).value!;
const iv = new Uint8Array(12);
const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, new TextEncoder().encode("secret"));
console.log("key read back decrypts", new TextDecoder().decode(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, readKey, sealed)));
for (const bad of [{ [Symbol.for("Deno.core.hostObject")]: "ReadableStream" }]) {
  try {
    await kv.set(["bad"], bad);
  } catch (e) {
    console.log("host brand not a function:", (e as Error).constructor.name, (e as Error).message);
  }
}
kv.close();
