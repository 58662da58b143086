// kv.list: selectors, limit, reverse, cursors, batchSize and their errors.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";

async function seeded(): Promise<Deno.Kv> {
  const kv = await Deno.openKv(":memory:");
  await kv.set(["a"], "a");
  for (const c of ["a", "b", "c", "d", "e"]) await kv.set(["a", c], c);
  await kv.set(["b", "x"], "bx");
  return kv;
}

const values = (entries: Deno.KvEntry<unknown>[]) => entries.map((e) => e.value);

Deno.test("prefix excludes the prefix key itself", async () => {
  using kv = await seeded();
  assertEquals(values(await Array.fromAsync(kv.list({ prefix: ["a"] }))), ["a", "b", "c", "d", "e"]);
  assertEquals(values(await Array.fromAsync(kv.list({ prefix: [] }))), ["a", "a", "b", "c", "d", "e", "bx"]);
});

Deno.test("prefix with start, prefix with end, start and end", async () => {
  using kv = await seeded();
  assertEquals(values(await Array.fromAsync(kv.list({ prefix: ["a"], start: ["a", "c"] }))), ["c", "d", "e"]);
  assertEquals(values(await Array.fromAsync(kv.list({ prefix: ["a"], end: ["a", "c"] }))), ["a", "b"]);
  assertEquals(values(await Array.fromAsync(kv.list({ start: ["a", "b"], end: ["a", "d"] }))), ["b", "c"]);
  assertEquals(values(await Array.fromAsync(kv.list({ start: ["a", "b"], end: ["a", "b"] }))), []);
});

Deno.test("limit and reverse", async () => {
  using kv = await seeded();
  assertEquals(values(await Array.fromAsync(kv.list({ prefix: ["a"] }, { limit: 2 }))), ["a", "b"]);
  assertEquals(values(await Array.fromAsync(kv.list({ prefix: ["a"] }, { reverse: true }))), ["e", "d", "c", "b", "a"]);
  assertEquals(
    values(await Array.fromAsync(kv.list({ prefix: ["a"] }, { reverse: true, limit: 2 }))),
    ["e", "d"],
  );
});

Deno.test("cursor resumes forward and reverse", async () => {
  using kv = await seeded();
  const it = kv.list({ prefix: ["a"] }, { limit: 2 });
  assertThrows(() => it.cursor, Error, "Cannot get cursor before first iteration");
  assertEquals(values(await Array.fromAsync(it)), ["a", "b"]);
  assertEquals(it.cursor, "AmIA");
  const rest = kv.list({ prefix: ["a"] }, { cursor: it.cursor });
  assertEquals(values(await Array.fromAsync(rest)), ["c", "d", "e"]);
  assertEquals(rest.cursor, "");

  const rev = kv.list({ prefix: ["a"] }, { limit: 2, reverse: true });
  assertEquals(values(await Array.fromAsync(rev)), ["e", "d"]);
  assertEquals(rev.cursor, "AmQA");
  assertEquals(
    values(await Array.fromAsync(kv.list({ prefix: ["a"] }, { reverse: true, cursor: rev.cursor }))),
    ["c", "b", "a"],
  );
});

Deno.test("cursor on an empty listing is empty", async () => {
  using kv = await seeded();
  const it = kv.list({ prefix: ["nothing"] });
  assertEquals(await it.next(), { done: true, value: undefined });
  assertEquals(it.cursor, "");
});

Deno.test("small batch sizes still return everything in order", async () => {
  using kv = await Deno.openKv(":memory:");
  for (let i = 0; i < 25; i++) await kv.set(["n", i], i);
  for (const batchSize of [1, 2, 7, 25, 100]) {
    const got = values(await Array.fromAsync(kv.list({ prefix: ["n"] }, { batchSize })));
    assertEquals(got, Array.from({ length: 25 }, (_, i) => i), `batchSize ${batchSize}`);
    const limited = values(await Array.fromAsync(kv.list({ prefix: ["n"] }, { batchSize, limit: 11 })));
    assertEquals(limited.length, 11);
  }
});

Deno.test("list beyond one batch of 500", async () => {
  using kv = await Deno.openKv(":memory:");
  const op = kv.atomic();
  for (let i = 0; i < 900; i++) op.set(["many", i], i);
  assert((await op.commit()).ok);
  const all = await Array.fromAsync(kv.list({ prefix: ["many"] }));
  assertEquals(all.length, 900);
  assertEquals(all[899].value, 899);
});

Deno.test("list option and selector errors", async () => {
  using kv = await seeded();
  assertThrows(() => kv.list({ prefix: [] }, { limit: 0 }), Error, "Limit must be a positive integer: received 0");
  assertThrows(() => kv.list({ prefix: [] }, { limit: 1.5 }), Error, "Limit must be a positive integer: received 1.5");
  assertThrows(() => kv.list({ prefix: [] }, { batchSize: 0 }), Error, "batchSize must be a positive integer: received 0");
  await assertRejects(() => Array.fromAsync(kv.list({ prefix: [] }, { batchSize: 1001 })), TypeError, "Too many entries (max 1000)");
  // deno-lint-ignore no-explicit-any
  assertThrows(() => kv.list({} as any), TypeError, "Selector must specify either 'prefix' or both 'start' and 'end' key");
  // deno-lint-ignore no-explicit-any
  assertThrows(() => kv.list({ start: ["a"] } as any), TypeError, "Selector must specify either 'prefix' or both 'start' and 'end' key");
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => kv.list({ prefix: ["a"], start: ["a", 1], end: ["a", 2] } as any),
    TypeError,
    "Selector can not specify both 'start' and 'end' key when specifying 'prefix'",
  );
  await assertRejects(() => Array.fromAsync(kv.list({ prefix: ["a"], start: ["b"] })), TypeError, "Start key is not in the keyspace defined by prefix");
  await assertRejects(() => Array.fromAsync(kv.list({ prefix: ["a"], end: ["b"] })), TypeError, "End key is not in the keyspace defined by prefix");
  await assertRejects(() => Array.fromAsync(kv.list({ start: ["b"], end: ["a"] })), TypeError, "Start key is greater than end key");
  await assertRejects(() => Array.fromAsync(kv.list({ prefix: ["a"] }, { cursor: "!!!" })), TypeError, "invalid cursor");
  await assertRejects(
    () => Array.fromAsync(kv.list({ start: ["a", "b"], end: ["a", "d"] }, { cursor: "AA==" })),
    TypeError,
    "cursor out of bounds",
  );
  // A limit above 1000 is fine: it is served in several batches.
  assertEquals((await Array.fromAsync(kv.list({ prefix: [] }, { limit: 2000 }))).length, 7);
});

Deno.test("iterator protocol and instanceof", async () => {
  using kv = await seeded();
  const it = kv.list({ prefix: ["a"] }, { limit: 1 });
  assert(it instanceof Deno.KvListIterator);
  const first = await it.next();
  assertEquals(first.done, false);
  assertEquals(await it.next(), { done: true, value: undefined });
  let n = 0;
  for await (const entry of kv.list({ prefix: ["a"] })) {
    assert(/^[0-9a-f]{20}$/.test(entry.versionstamp));
    n++;
  }
  assertEquals(n, 5);
});

Deno.test("entries of one list are independent objects", async () => {
  using kv = await Deno.openKv(":memory:");
  // (one commit: one versionstamp; same prefix, same value keys)
  const op = kv.atomic();
  for (let i = 0; i < 4; i++) op.set(["p", "q", i], { n: i, name: `v${i}`, "é": i });
  await op.commit();
  const entries = await Array.fromAsync(kv.list<{ n: number }>({ prefix: ["p"] }));
  (entries[0].key as unknown[]).push("x");
  (entries[0].key as unknown[])[1] = "changed";
  entries[0].value.n = 100;
  delete (entries[0].value as Record<string, unknown>).name;
  (entries[0].value as Record<string, unknown>).extra = 1;
  assertEquals(entries.slice(1).map((e) => e.key), [["p", "q", 1], ["p", "q", 2], ["p", "q", 3]]);
  assertEquals(entries.slice(1).map((e) => e.value), [1, 2, 3].map((i) => ({ n: i, name: `v${i}`, "é": i })));
  assertEquals(new Set(entries.map((e) => e.versionstamp)).size, 1);
  for (const e of entries.slice(1)) assertEquals(Object.getPrototypeOf(e.value), Object.prototype);
  // (a later list reads the same keys again)
  const again = await Array.fromAsync(kv.list({ prefix: ["p"] }));
  assertEquals(again.map((e) => e.value), [0, 1, 2, 3].map((i) => ({ n: i, name: `v${i}`, "é": i })));
});
