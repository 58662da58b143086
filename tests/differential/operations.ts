// Differential scenario: get/getMany/set/delete/list/atomic and their errors.
const kv = await Deno.openKv(":memory:");
const show = (label: string, value: unknown) => console.log(label, Deno.inspect(value, { depth: 6 }));
async function attempt(label: string, fn: () => unknown) {
  try {
    show(label, await fn());
  } catch (e) {
    console.log(label, "threw", (e as Error).constructor.name, (e as Error).message);
  }
}
const keys: Deno.KvKey[] = [
  ["k", new Uint8Array([0, 1])], ["k", "a"], ["k", "a\u0000"], ["k", "b"], ["k", -1n], ["k", 0n],
  ["k", 2n ** 70n], ["k", -Infinity], ["k", -0], ["k", 0], ["k", 1.5], ["k", false], ["k", true],
];
for (const [i, key] of keys.entries()) await kv.set(key, i);
show("list", await Array.fromAsync(kv.list({ prefix: ["k"] })));
show("reverse", (await Array.fromAsync(kv.list({ prefix: ["k"] }, { reverse: true }))).map((e) => e.key));
const it = kv.list({ prefix: ["k"] }, { limit: 3 });
show("page1", (await Array.fromAsync(it)).map((e) => e.value));
show("cursor", it.cursor);
show("page2", (await Array.fromAsync(kv.list({ prefix: ["k"] }, { cursor: it.cursor, limit: 3 }))).map((e) => e.value));
const rit = kv.list({ prefix: ["k"] }, { limit: 2, reverse: true });
show("rpage1", (await Array.fromAsync(rit)).map((e) => e.value));
show("rcursor", rit.cursor);
show("range", (await Array.fromAsync(kv.list({ start: ["k", "a"], end: ["k", 0] }))).map((e) => e.value));
show("prefix+start", (await Array.fromAsync(kv.list({ prefix: ["k"], start: ["k", 0] }))).map((e) => e.value));
show("prefix+end", (await Array.fromAsync(kv.list({ prefix: ["k"], end: ["k", "b"] }))).map((e) => e.value));
show("batch", (await Array.fromAsync(kv.list({ prefix: ["k"] }, { batchSize: 2 }))).length);
show("getMany", await kv.getMany([["k", "b"], ["nope"], ["k", true]]));
show("get missing", await kv.get(["missing"]));
show("delete", await kv.delete(["k", "b"]));
show("after delete", await kv.get(["k", "b"]));
const entry = await kv.get(["k", "a"]);
show("cas ok", (await kv.atomic().check(entry).set(["k", "a"], "new").commit()).ok);
show("cas stale", await kv.atomic().check(entry).set(["k", "a"], "newer").commit());
show("create", (await kv.atomic().check({ key: ["fresh"], versionstamp: null }).set(["fresh"], 1).commit()).ok);
await kv.atomic().sum(["c"], 10n).max(["m"], 5n).min(["n"], 5n).commit();
await kv.atomic().sum(["c"], 2n ** 64n - 1n).max(["m"], 3n).min(["n"], 3n).commit();
show("u64", await kv.getMany([["c"], ["m"], ["n"]]));
await attempt("sum on string", () => kv.atomic().sum(["k", "a"], 1n).commit());
await attempt("bad key", () => kv.get([{} as unknown as string]));
await attempt("empty set", () => kv.set([], 1));
await attempt("big key", () => kv.set(["x".repeat(2100)], 1));
await attempt("big value", () => kv.set(["x"], "x".repeat(70000)));
await attempt("too many", () => kv.getMany(Array.from({ length: 11 }, (_, i) => [i])));
await attempt("limit 0", () => kv.list({ prefix: [] }, { limit: 0 }));
await attempt("bad selector", () => kv.list({ start: ["a"] } as Deno.KvListSelector));
await attempt("start>end", () => Array.fromAsync(kv.list({ start: ["b"], end: ["a"] })));
await attempt("outside prefix", () => Array.fromAsync(kv.list({ prefix: ["a"], start: ["b"] })));
await attempt("bad cursor", () => Array.fromAsync(kv.list({ prefix: ["k"] }, { cursor: "@@" })));
await attempt("expireIn", () => kv.set(["x"], 1, { expireIn: -5 }));
await attempt("mutate", () => kv.atomic().mutate({ key: ["x"], type: "nope" } as unknown as Deno.KvMutation));
await attempt("check", () => kv.atomic().check({ key: ["x"], versionstamp: "bad" }).commit());
await attempt("u64", () => new Deno.KvU64(-3n));
await attempt("then", () => (kv.atomic() as unknown as { then(): void }).then());
show("inspect", Deno.inspect(kv.atomic().set(["a"], 1).delete(["b"]).sum(["c"], 1n)));
// watch: which error wins (Deno converts the key parts first, then looks
// at the database, the count, then each key's encoding and size), and
// arguments that are not arrays.
const watched = (keys: unknown) => {
  kv.watch(keys as Deno.KvKey[]).cancel();
  return "opened";
};
await attempt("watch 11 bad parts", () => watched(Array(11).fill([null])));
await attempt("watch 11 keys", () => watched(Array.from({ length: 11 }, (_, i) => ["k", i])));
await attempt("watch 11, huge bigint", () => watched([...Array(10).fill(["a"]), [2n ** 10000n]]));
await attempt("watch 11, one long", () => watched([...Array(10).fill(["a"]), ["x".repeat(3000)]]));
await attempt("watch bad part", () => watched([["a"], [{}]]));
await attempt("watch long key", () => watched([["x".repeat(3000)]]));
for (const keys of [5, null, undefined, "abc", { length: 1, 0: ["a"] }, new Proxy([["a"]], {}), 5n, true, new Uint8Array(2), {}]) {
  await attempt(`watch(${typeof keys})`, () => watched(keys));
}
const vs = await kv.set(["log", kv.commitVersionstamp()], "entry");
show("versionstamped key", (await kv.get(["log", vs.versionstamp])).value);
kv.close();
await attempt("closed", () => kv.get(["a"]));
await attempt("closed watch, bad part", () => watched([[null]]));
await attempt("closed watch, 11 keys", () => watched(Array(11).fill(["a"])));
