// The runtime: TypeScript modules, globals, console formatting, timers.
import { assert, assertEquals, assertInstanceOf, assertMatch, assertRejects, assertThrows } from "@std/assert";
import { greet, isMain, Mood, url } from "./fixtures/greeter.ts";

Deno.test("TypeScript imports, enums and import.meta", () => {
  assertEquals(greet("kv", Mood.Sad).text, "hello kv (sad)");
  assertEquals(isMain, false);
  assert(url.startsWith("file://") && url.endsWith("/tests/fixtures/greeter.ts"));
});

Deno.test("dynamic import and top-level await modules", async () => {
  const mod = await import("./fixtures/greeter.ts");
  assertEquals(mod.greet("x").text, "hello x (happy)");
});

Deno.test("console formatting matches Deno", () => {
  const cases: [unknown, string][] = [
    [{ a: 1, b: "two", c: [1, 2, 3] }, '{ a: 1, b: "two", c: [ 1, 2, 3 ] }'],
    [new Map([["a", 1]]), 'Map(1) { "a" => 1 }'],
    [new Set([1, 2]), "Set(2) { 1, 2 }"],
    [new Uint8Array([1, 2]), "Uint8Array(2) [ 1, 2 ]"],
    [10n, "10n"],
    [new Date(0), "1970-01-01T00:00:00.000Z"],
    [null, "null"],
    [undefined, "undefined"],
    [[undefined, null], "[ undefined, null ]"],
    [{ nested: { deep: { deeper: { deepest: 1 } } } }, "{\n  nested: { deep: { deeper: { deepest: 1 } } }\n}"],
  ];
  for (const [value, expected] of cases) assertEquals(Deno.inspect(value), expected);
  class Point {
    constructor(public x: number, public y: number) {}
  }
  assertEquals(Deno.inspect(new Point(1, 2)), "Point { x: 1, y: 2 }");
  const cyclic: Record<string, unknown> = { name: "c" };
  cyclic.self = cyclic;
  assertEquals(Deno.inspect(cyclic), '<ref *1> { name: "c", self: [Circular *1] }');
  assertEquals(Deno.inspect("str"), '"str"');
});

Deno.test("timers fire in order", async () => {
  const order: string[] = [];
  await new Promise<void>((resolve) => {
    setTimeout(() => order.push("t20"), 20);
    setTimeout(() => order.push("t0"), 0);
    queueMicrotask(() => order.push("micro"));
    Promise.resolve().then(() => order.push("promise"));
    setTimeout(() => {
      order.push("t40");
      resolve();
    }, 40);
    order.push("sync");
  });
  assertEquals(order, ["sync", "micro", "promise", "t0", "t20", "t40"]);
});

Deno.test("setInterval and clear*", async () => {
  let ticks = 0;
  await new Promise<void>((resolve) => {
    const id = setInterval(() => {
      if (++ticks === 3) {
        clearInterval(id);
        resolve();
      }
    }, 5);
  });
  assertEquals(ticks, 3);
  let fired = false;
  clearTimeout(setTimeout(() => (fired = true), 1));
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(fired, false);
});

Deno.test("Temporal, with Date.prototype.toTemporalInstant", () => {
  assertEquals(Temporal.PlainDate.from("2024-02-29").add({ years: 1 }).toString(), "2025-02-28");
  assertEquals(Object.prototype.toString.call(Temporal), "[object Temporal]");
  const instant = new Date(1_000).toTemporalInstant();
  assertInstanceOf(instant, Temporal.Instant);
  assertEquals(instant.epochMilliseconds, 1_000);
  assertThrows(() => Date.prototype.toTemporalInstant.call({}), TypeError);
});

Deno.test("performance.timeOrigin is this process's start", () => {
  // performance.now() counts from the time origin, which is wall-clock time.
  assertEquals(typeof performance.timeOrigin, "number");
  const drift = performance.timeOrigin + performance.now() - Date.now();
  assert(Math.abs(drift) < 1000, `time origin off by ${drift} ms`);
});

Deno.test("web globals exist and work", async () => {
  assertEquals(new TextDecoder().decode(new TextEncoder().encode("h\u00e9")), "h\u00e9");
  assertEquals(atob(btoa("hello")), "hello");
  assertEquals(new URL("../x?y=1", "http://a.b/c/d").href, "http://a.b/x?y=1");
  const clone = structuredClone({ m: new Map([[1, 2]]), d: new Date(5) });
  assertEquals(clone.m.get(1), 2);
  assertEquals(clone.d.getTime(), 5);
  assertMatch(crypto.randomUUID(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  assert(bytes.some((b) => b !== 0));
  assert(typeof performance.now() === "number");
  const controller = new AbortController();
  let aborted = false;
  controller.signal.addEventListener("abort", () => (aborted = true));
  controller.abort();
  assert(aborted && controller.signal.aborted);
  const target = new EventTarget();
  let got = "";
  target.addEventListener("ping", (e) => (got = e.type));
  target.dispatchEvent(new Event("ping"));
  assertEquals(got, "ping");
  const stream = new ReadableStream({
    start(c) {
      c.enqueue(1);
      c.enqueue(2);
      c.close();
    },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assertEquals(chunks, [1, 2]);
  assertEquals(await new Blob(["ab", "c"]).text(), "abc");
  assertInstanceOf(new DOMException("x", "AbortError"), Error);
  const { promise, resolve } = Promise.withResolvers<number>();
  resolve(3);
  assertEquals(await promise, 3);
  assertEquals(await Array.fromAsync((async function* () { yield 1; yield 2; })()), [1, 2]);
});

Deno.test("Deno namespace helpers", async () => {
  Deno.env.set("KVRT_TEST_VAR", "v");
  assertEquals(Deno.env.get("KVRT_TEST_VAR"), "v");
  assertEquals(Deno.env.toObject().KVRT_TEST_VAR, "v");
  Deno.env.delete("KVRT_TEST_VAR");
  assertEquals(Deno.env.get("KVRT_TEST_VAR"), undefined);
  assertEquals(Deno.build.os, "linux");
  assert(Deno.cwd().startsWith("/"));
  assert(Array.isArray(Deno.args));
  const dir = await Deno.makeTempDir({ prefix: "kvrt" });
  const file = await Deno.makeTempFile({ dir, suffix: ".txt" });
  await Deno.writeTextFile(file, "hello");
  assertEquals(await Deno.readTextFile(file), "hello");
  await Deno.remove(file);
  await assertRejects(() => Deno.readTextFile(file), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
  assertThrows(() => Deno.readTextFileSync(`${dir}/none`), Deno.errors.NotFound);
  for (const name of ["NotFound", "BadResource", "AlreadyExists", "PermissionDenied", "InvalidData"]) {
    assert(typeof (Deno.errors as Record<string, unknown>)[name] === "function", name);
  }
});
