// expireIn: expired entries are never returned and are collected.
import { assert, assertEquals, assertRejects } from "@std/assert";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("expired entries disappear from get, getMany and list", async () => {
  using kv = await Deno.openKv(":memory:");
  await kv.set(["e", 1], "short", { expireIn: 50 });
  await kv.atomic().set(["e", 2], "short2", { expireIn: 50 }).commit();
  await kv.set(["e", 3], "long", { expireIn: 60_000 });
  assertEquals((await kv.get(["e", 1])).value, "short");
  await sleep(120);
  assertEquals((await kv.get(["e", 1])).value, null);
  assertEquals((await kv.getMany([["e", 2], ["e", 3]])).map((e) => e.value), [null, "long"]);
  assertEquals((await Array.fromAsync(kv.list({ prefix: ["e"] }))).map((e) => e.value), ["long"]);
});

Deno.test("overwriting resets the expiry", async () => {
  using kv = await Deno.openKv(":memory:");
  await kv.set(["k"], 1, { expireIn: 50 });
  await kv.set(["k"], 2);
  await sleep(100);
  assertEquals((await kv.get(["k"])).value, 2);
});

Deno.test("an expired key counts as absent for checks", async () => {
  using kv = await Deno.openKv(":memory:");
  await kv.set(["k"], 1, { expireIn: 30 });
  await sleep(80);
  const res = await kv.atomic().check({ key: ["k"], versionstamp: null }).set(["k"], 2).commit();
  assert(res.ok);
});

Deno.test("expireIn validation", async () => {
  using kv = await Deno.openKv(":memory:");
  await assertRejects(() => kv.set(["k"], 1, { expireIn: -1 }), TypeError, "expireIn must be a non-negative integer: received -1");
  await assertRejects(() => kv.set(["k"], 1, { expireIn: 1.5 }), TypeError, "expireIn must be a non-negative integer: received 1.5");
  await assertRejects(() => kv.set(["k"], 1, { expireIn: 2 ** 53 - 1 }), TypeError, "expireIn is too large");
  await kv.set(["k"], 1, { expireIn: 0 });
});

Deno.test("expired keys stay gone after reopening a file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/db`;
  {
    using kv = await Deno.openKv(path);
    await kv.set(["gone"], 1, { expireIn: 20 });
    await kv.set(["kept"], 2);
  }
  await sleep(60);
  using kv = await Deno.openKv(path);
  assertEquals((await Array.fromAsync(kv.list({ prefix: [] }))).map((e) => e.key), [["kept"]]);
  await Deno.remove(dir, { recursive: true });
});
