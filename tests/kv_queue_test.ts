// Queues: enqueue / listenQueue delivery, retries, undelivered keys, limits.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds or `ms` pass. */
async function until(cond: () => boolean | Promise<boolean>, ms = 3000) {
  const start = performance.now();
  while (!(await cond())) {
    if (performance.now() - start > ms) throw new Error("timed out waiting");
    await sleep(10);
  }
}

Deno.test("enqueue then listenQueue delivers the value", async () => {
  const kv = await Deno.openKv(":memory:");
  const got: unknown[] = [];
  const listening = kv.listenQueue((msg) => {
    got.push(msg);
  });
  const res = await kv.enqueue({ hello: "world", n: 1n, d: new Date(5) });
  assertEquals(res.ok, true);
  assert(/^[0-9a-f]{20}$/.test(res.versionstamp));
  await until(() => got.length === 1);
  assertEquals(got, [{ hello: "world", n: 1n, d: new Date(5) }]);
  kv.close();
  await listening;
});

Deno.test("async handlers and messages enqueued before listening", async () => {
  const kv = await Deno.openKv(":memory:");
  for (let i = 0; i < 5; i++) await kv.enqueue(i);
  const got: number[] = [];
  const listening = kv.listenQueue(async (msg) => {
    await sleep(5);
    got.push(msg as number);
  });
  await until(() => got.length === 5);
  assertEquals(got.sort(), [0, 1, 2, 3, 4]);
  kv.close();
  await listening;
});

Deno.test("delay holds a message back", async () => {
  const kv = await Deno.openKv(":memory:");
  const times: number[] = [];
  const start = performance.now();
  const listening = kv.listenQueue(() => {
    times.push(performance.now() - start);
  });
  await kv.enqueue("late", { delay: 300 });
  await sleep(150);
  assertEquals(times.length, 0);
  await until(() => times.length === 1);
  assert(times[0] >= 290, `delivered after ${times[0]}ms`);
  kv.close();
  await listening;
});

Deno.test("backoffSchedule [1] gives exactly two attempts, then keysIfUndelivered", async () => {
  const kv = await Deno.openKv(":memory:");
  let attempts = 0;
  const listening = kv.listenQueue(() => {
    attempts++;
    throw new Error("handler fails on purpose");
  });
  await kv.enqueue({ job: 7 }, { backoffSchedule: [1], keysIfUndelivered: [["dead", 1], ["dead", 2]] });
  await until(async () => (await kv.get(["dead", 2])).value !== null);
  assertEquals((await kv.get(["dead", 1])).value, { job: 7 });
  assertEquals((await kv.get(["dead", 2])).value, { job: 7 });
  await sleep(100);
  assertEquals(attempts, 2);
  kv.close();
  await listening;
});

Deno.test("default backoff retries a failed message", async () => {
  const kv = await Deno.openKv(":memory:");
  const seen: string[] = [];
  const listening = kv.listenQueue((msg) => {
    seen.push(msg as string);
    if (seen.length === 1) throw new Error("first attempt fails");
  });
  await kv.enqueue("retry me");
  await until(() => seen.length === 2, 2000);
  assertEquals(seen, ["retry me", "retry me"]);
  kv.close();
  await listening;
});

Deno.test("a failing handler does not stop the listener", async () => {
  const kv = await Deno.openKv(":memory:");
  const ok: unknown[] = [];
  const listening = kv.listenQueue((msg) => {
    if (msg === "bad") throw new Error("bad message");
    ok.push(msg);
  });
  await kv.enqueue("bad", { backoffSchedule: [] });
  await kv.enqueue("good");
  await until(() => ok.length === 1);
  assertEquals(ok, ["good"]);
  kv.close();
  await listening;
});

Deno.test("several listeners share the messages", async () => {
  const kv = await Deno.openKv(":memory:");
  const a: number[] = [];
  const b: number[] = [];
  const la = kv.listenQueue((m) => {
    a.push(m as number);
  });
  const lb = kv.listenQueue((m) => {
    b.push(m as number);
  });
  for (let i = 0; i < 20; i++) await kv.enqueue(i);
  await until(() => a.length + b.length === 20);
  await sleep(50);
  assertEquals([...a, ...b].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
  // Shared, not all taken by one listener (Deno 2.9.6 splits them too).
  assert(a.length > 0 && b.length > 0, `listener a got ${a.length}, b got ${b.length}`);
  kv.close();
  await Promise.all([la, lb]);
});

Deno.test("atomic enqueue is part of the commit", async () => {
  const kv = await Deno.openKv(":memory:");
  const got: unknown[] = [];
  const listening = kv.listenQueue((m) => {
    got.push(m);
  });
  await kv.set(["guard"], 1);
  const failed = await kv.atomic().check({ key: ["guard"], versionstamp: null }).enqueue("no").commit();
  assertEquals(failed, { ok: false });
  const ok = await kv.atomic().set(["x"], 1).enqueue("yes").commit();
  assert(ok.ok);
  await until(() => got.length === 1);
  await sleep(50);
  assertEquals(got, ["yes"]);
  kv.close();
  await listening;
});

Deno.test("listenQueue resolves on close; afterwards it rejects", async () => {
  const kv = await Deno.openKv(":memory:");
  const listening = kv.listenQueue(() => {});
  kv.close();
  await listening;
  await assertRejects(() => kv.listenQueue(() => {}), Error, "Queue already closed");
});

Deno.test("enqueue validation", async () => {
  const kv = await Deno.openKv(":memory:");
  await assertRejects(() => kv.enqueue(1, { delay: -1 }), TypeError, "Delay must be >= 0: received -1");
  await assertRejects(
    () => kv.enqueue(1, { delay: 31 * 86400000 }),
    TypeError,
    "Delay cannot be greater than 30 days: received 2678400000",
  );
  await assertRejects(() => kv.enqueue(1, { delay: NaN }), TypeError, "Delay cannot be NaN");
  await assertRejects(
    () => kv.enqueue(1, { backoffSchedule: [1, 1, 1, 1, 1, 1] }),
    TypeError,
    "Invalid backoffSchedule, max 5 intervals allowed",
  );
  await assertRejects(
    () => kv.enqueue(1, { backoffSchedule: [1, 3600001] }),
    TypeError,
    "Invalid backoffSchedule, interval at index 1 is invalid",
  );
  await assertRejects(() => kv.enqueue("x".repeat(70000)), TypeError, "enqueue payload too large (max 65536 bytes)");
  await assertRejects(() => kv.enqueue(() => 1), TypeError, "could not be cloned");
  assertThrows(() => kv.atomic().enqueue(1, { delay: -1 }), TypeError, "Delay must be >= 0: received -1");
  kv.close();
});

Deno.test("delayed messages survive close and reopen", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/db`;
  {
    using kv = await Deno.openKv(path);
    await kv.enqueue("persisted", { delay: 200 });
  }
  const kv = await Deno.openKv(path);
  const got: unknown[] = [];
  const listening = kv.listenQueue((m) => {
    got.push(m);
  });
  await until(() => got.length === 1);
  assertEquals(got, ["persisted"]);
  kv.close();
  await listening;
  await Deno.remove(dir, { recursive: true });
});

Deno.test("enqueue on one handle, listen on another", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/db`;
  const producer = await Deno.openKv(path);
  const consumer = await Deno.openKv(path);
  const got: unknown[] = [];
  const listening = consumer.listenQueue((m) => {
    got.push(m);
  });
  const start = performance.now();
  await producer.enqueue("cross-handle");
  await until(() => got.length === 1, 1000);
  assert(performance.now() - start < 1000);
  producer.close();
  consumer.close();
  await listening;
  await Deno.remove(dir, { recursive: true });
});
