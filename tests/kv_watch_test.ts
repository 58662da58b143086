// kv.watch: initial state, one chunk per change, raw, limits, cancel, expiry.
import { assert, assertEquals, assertThrows } from "@std/assert";

const values = (chunk: Deno.KvEntryMaybe<unknown>[]) => chunk.map((e) => e.value);

Deno.test("first chunk is the current state, then one per change", async () => {
  const kv = await Deno.openKv(":memory:");
  await kv.set(["a"], 1);
  const reader = kv.watch([["a"], ["b"]]).getReader();
  const first = await reader.read();
  assertEquals(first.value, [
    { key: ["a"], value: 1, versionstamp: (await kv.get(["a"])).versionstamp },
    { key: ["b"], value: null, versionstamp: null },
  ]);
  await kv.set(["b"], 2);
  assertEquals(values((await reader.read()).value!), [1, 2]);
  await kv.delete(["a"]);
  assertEquals(values((await reader.read()).value!), [null, 2]);
  await reader.cancel();
  kv.close();
});

/** Whether `next` stays pending for `ms` milliseconds. */
async function staysPending(next: Promise<unknown>, ms: number): Promise<boolean> {
  const quiet = Symbol("quiet");
  let timer: number | undefined;
  const timeout = new Promise((resolve) => timer = setTimeout(() => resolve(quiet), ms));
  const first = await Promise.race([next, timeout]);
  clearTimeout(timer);
  return first === quiet;
}

Deno.test("writes to other keys do not produce chunks, raw or not", async () => {
  const kv = await Deno.openKv(":memory:");
  const reader = kv.watch([["watched"]]).getReader();
  await reader.read();
  await kv.set(["other"], 1);
  await kv.set(["watched"], "now");
  assertEquals(values((await reader.read()).value!), ["now"]);
  await reader.cancel();

  // `raw` only keeps chunks whose versionstamps did not change; a write to
  // another key still produces nothing (Deno 2.9.6: no chunk within 3 s).
  const rawReader = kv.watch([["watched"]], { raw: true }).getReader();
  await rawReader.read();
  await kv.set(["other"], 2);
  const next = rawReader.read();
  assert(await staysPending(next, 1000), "raw watch emitted for a write to another key");
  await kv.set(["watched"], "later");
  assertEquals(values((await next).value!), ["later"]);
  await rawReader.cancel();
  kv.close();
});

Deno.test("raw: a write to a watched key emits even if nothing changed", async () => {
  const kv = await Deno.openKv(":memory:");
  // Deleting a missing key leaves its (null) versionstamp as it was: only a
  // raw watch reports it (as Deno 2.9.6 does).
  const reader = kv.watch([["ghost"]]).getReader();
  await reader.read();
  const next = reader.read();
  await kv.delete(["ghost"]);
  assert(await staysPending(next, 500), "a watch without raw emitted an unchanged state");
  await reader.cancel();

  const rawReader = kv.watch([["ghost"]], { raw: true }).getReader();
  await rawReader.read();
  await kv.delete(["ghost"]);
  assertEquals((await rawReader.read()).value, [{ key: ["ghost"], value: null, versionstamp: null }]);
  await rawReader.cancel();
  kv.close();
});

Deno.test("too many keys", async () => {
  const kv = await Deno.openKv(":memory:");
  assertThrows(() => kv.watch(Array.from({ length: 11 }, (_, i) => [i])), TypeError, "Too many keys (max 10)");
  kv.watch(Array.from({ length: 10 }, (_, i) => [i])).cancel();
  kv.close();
});

Deno.test("closing the database ends the stream", async () => {
  const kv = await Deno.openKv(":memory:");
  const reader = kv.watch([["k"]]).getReader();
  await reader.read();
  const next = reader.read();
  kv.close();
  assertEquals(await next, { done: true, value: undefined });
});

Deno.test("for await over a watch stream", async () => {
  const kv = await Deno.openKv(":memory:");
  const seen: unknown[] = [];
  setTimeout(async () => {
    await kv.set(["n"], 1);
    await kv.set(["n"], 2);
  }, 10);
  for await (const [entry] of kv.watch([["n"]])) {
    seen.push(entry.value);
    if (entry.value === 2) break;
  }
  assertEquals(seen.at(0), null);
  assertEquals(seen.at(-1), 2);
  kv.close();
});

Deno.test("another handle's write wakes the watcher", async () => {
  const dir = await Deno.makeTempDir();
  const a = await Deno.openKv(`${dir}/db`);
  const b = await Deno.openKv(`${dir}/db`);
  const reader = a.watch([["shared"]]).getReader();
  await reader.read();
  const start = performance.now();
  await b.set(["shared"], "from b");
  assertEquals(values((await reader.read()).value!), ["from b"]);
  assert(performance.now() - start < 1000);
  await reader.cancel();
  a.close();
  b.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("expiry of a watched key produces a chunk without it", async () => {
  const kv = await Deno.openKv(":memory:");
  await kv.set(["temp"], "soon gone", { expireIn: 100 });
  const reader = kv.watch([["temp"]]).getReader();
  assertEquals(values((await reader.read()).value!), ["soon gone"]);
  assertEquals(values((await reader.read()).value!), [null]);
  await reader.cancel();
  kv.close();
});
