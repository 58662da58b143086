// KV Connect scenario, run under Deno and kvrt against a fresh denokv server
// (URL in Deno.args[0], token in DENO_KV_ACCESS_TOKEN): every public
// operation, with outputs compared after versionstamps are ranked.
const kv = await Deno.openKv(Deno.args[0]);
const show = (label: string, value: unknown) => console.log(label, Deno.inspect(value, { depth: 6 }));
const attempt = async (label: string, f: () => Promise<unknown> | unknown) => {
  try {
    show(label, await f());
  } catch (error) {
    const e = error as Error;
    console.log(label, "throws", e.constructor.name, e.message);
  }
};

const values: [string, unknown][] = [
  ["string", "hello"],
  ["number", 42.5],
  ["bigint", 12345678901234567890n],
  ["boolean", true],
  ["null", null],
  ["undefined", undefined],
  ["array", [1, "two", [3]]],
  ["object", { a: 1, nested: { b: [true, null] } }],
  ["map", new Map([["k", 1]])],
  ["set", new Set([1, 2])],
  ["date", new Date(0)],
  ["regexp", /ab+c/gi],
  ["bytes", new Uint8Array([1, 2, 3])],
  ["u64", new Deno.KvU64(7n)],
];
for (const [name, value] of values) {
  const result = await kv.set(["values", name], value);
  console.log("set", name, result.ok, /^[0-9a-f]{20}$/.test(result.versionstamp));
}
for (const [name] of values) {
  const entry = await kv.get(["values", name]);
  show(`get ${name}`, entry);
}
show("missing", await kv.get(["values", "missing"]));
show("getMany", await kv.getMany([["values", "string"], ["values", "nope"], ["values", "u64"]]));
await attempt("eventual get", () => kv.get(["values", "number"], { consistency: "eventual" }));

// Keys of every part type, listed in order.
const keys: Deno.KvKey[] = [
  ["keys", 1], ["keys", 2.5], ["keys", -1], ["keys", 3n], ["keys", "a"], ["keys", "b"],
  ["keys", new Uint8Array([0, 1])], ["keys", false], ["keys", true], ["keys", "a", "nested"],
];
for (const key of keys) await kv.set(key, key.length);
const list = async (label: string, selector: Deno.KvListSelector, options?: Deno.KvListOptions) => {
  const out = [];
  for await (const entry of kv.list(selector, options)) out.push(entry.key);
  show(label, out);
};
await list("list prefix", { prefix: ["keys"] });
await list("list reverse limit", { prefix: ["keys"] }, { reverse: true, limit: 3 });
await list("list start/end", { start: ["keys", "a"], end: ["keys", 2.5] });
await list("list batch", { prefix: ["keys"] }, { batchSize: 2 });
const iter = kv.list({ prefix: ["keys"] }, { limit: 2 });
for await (const _ of iter) { /* drain */ }
show("cursor", iter.cursor);
await list("list from cursor", { prefix: ["keys"] }, { cursor: iter.cursor, limit: 3 });

// Atomic operations: checks, sum/min/max, delete, versionstamped keys.
const first = await kv.get(["values", "string"]);
show("atomic ok", (await kv.atomic().check(first).set(["values", "string"], "changed").commit()).ok);
show("atomic stale check", await kv.atomic().check(first).set(["values", "string"], "again").commit());
show("atomic absent check", (await kv.atomic().check({ key: ["nothing"], versionstamp: null }).set(["nothing"], 1).commit()).ok);
await kv.atomic().sum(["counter"], 5n).sum(["counter"], 10n).commit();
await kv.atomic().max(["high"], 3n).max(["high"], 9n).max(["high"], 4n).commit();
await kv.atomic().min(["low"], 3n).min(["low"], 9n).min(["low"], 1n).commit();
show("sum", (await kv.get(["counter"])).value);
show("max", (await kv.get(["high"])).value);
show("min", (await kv.get(["low"])).value);
await attempt("sum on non-u64", () => kv.atomic().sum(["values", "string"], 1n).commit());
await kv.delete(["values", "number"]);
show("deleted", await kv.get(["values", "number"]));
const stamped = await kv.atomic().set(["stamped", kv.commitVersionstamp()], "v").commit();
for await (const entry of kv.list({ prefix: ["stamped"] })) {
  console.log("versionstamped key", entry.key[1] === stamped.versionstamp, entry.value);
}
await kv.set(["expiring"], "soon", { expireIn: 60_000 });
show("expiring", (await kv.get(["expiring"])).value);

// Errors raised before any request (the op layer's limits), and by the server.
await attempt("key too large", () => kv.set(["x".repeat(3000)], 1));
await attempt("value too large", () => kv.set(["big"], new Uint8Array(70_000)));
await attempt("empty key", () => kv.set([], 1));
await attempt("too many ranges", () => kv.getMany(Array.from({ length: 11 }, (_, i) => [i])));
await attempt("bad consistency", () => kv.get(["x"], { consistency: "bogus" as Deno.KvConsistencyLevel }));
await attempt("enqueue", () => kv.enqueue("message"));
await attempt("atomic enqueue", () => kv.atomic().enqueue("message").commit());

// Watch: the current state, then one chunk per change.
const stream = kv.watch([["watched", "a"], ["watched", "b"]]);
const reader = stream.getReader();
const chunk = async () => {
  const { value } = await reader.read();
  return value!.map((e) => [e.key, e.value, e.versionstamp === null ? null : "vs"]);
};
show("watch 1", await chunk());
await kv.set(["watched", "a"], 1);
show("watch 2", await chunk());
await kv.set(["watched", "b"], 2);
show("watch 3", await chunk());
await kv.delete(["watched", "a"]);
show("watch 4", await chunk());
await reader.cancel();

// listenQueue: KV Connect has no queues, the listener just waits. (After
// close Deno's never settles and keeps the process alive, hence the exit;
// kvrt's resolves, as for a local database.)
let delivered = 0;
const listening = kv.listenQueue(() => { delivered++; });
const race = await Promise.race([listening.then(() => "ended"), new Promise((r) => setTimeout(() => r("waiting"), 300))]);
console.log("listenQueue before close", race, delivered);
kv.close();
await attempt("get after close", () => kv.get(["values", "string"]));
Deno.exit(0);
