// Interop: writes a known data set to the database Deno.args[0] (a KV
// Connect URL or a file); read.ts dumps it.
const kv = await Deno.openKv(Deno.args[0]);
const data: [Deno.KvKey, unknown][] = [
  [["interop", "string"], "text ünïcödé"],
  [["interop", "number"], -0.5],
  [["interop", "bigint"], -(2n ** 70n)],
  [["interop", "object"], { list: [1, 2, { deep: new Map([[1, new Set(["x"])]]) }] }],
  [["interop", "date"], new Date(1700000000000)],
  [["interop", "bytes"], new Uint8Array([255, 0, 127])],
  [["interop", "u64"], new Deno.KvU64(18446744073709551615n)],
  [["interop", 7n, new Uint8Array([9])], [true, false]],
];
for (const [key, value] of data) await kv.set(key, value);
await kv.atomic().sum(["interop", "counter"], 40n).sum(["interop", "counter"], 2n).commit();
await kv.delete(["interop", "number"]);
await kv.set(["interop", "number"], 1e100);
kv.close();
console.log("written");
