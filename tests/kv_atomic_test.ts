// kv.atomic(): checks, mutations, sum/min/max, limits, all-or-nothing commits.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";

Deno.test("check-and-set succeeds once per versionstamp", async () => {
  using kv = await Deno.openKv(":memory:");
  await kv.set(["counter"], 0);
  const entry = await kv.get<number>(["counter"]);
  const first = await kv.atomic().check(entry).set(["counter"], 1).commit();
  assert(first.ok);
  const second = await kv.atomic().check(entry).set(["counter"], 2).commit();
  assertEquals(second, { ok: false });
  assertEquals((await kv.get(["counter"])).value, 1);
});

Deno.test("check null means the key must not exist", async () => {
  using kv = await Deno.openKv(":memory:");
  const create = () => kv.atomic().check({ key: ["u"], versionstamp: null }).set(["u"], "x").commit();
  assert((await create()).ok);
  assertEquals(await create(), { ok: false });
});

Deno.test("all mutations of a commit share one versionstamp", async () => {
  using kv = await Deno.openKv(":memory:");
  const res = await kv.atomic().set(["a"], 1).set(["b"], 2).delete(["c"]).commit();
  assert(res.ok);
  const [a, b] = await kv.getMany([["a"], ["b"]]);
  assertEquals(a.versionstamp, res.versionstamp);
  assertEquals(b.versionstamp, res.versionstamp);
});

Deno.test("sum, min and max on KvU64", async () => {
  using kv = await Deno.openKv(":memory:");
  await kv.atomic().sum(["s"], 5n).min(["mn"], 7n).max(["mx"], 7n).commit();
  await kv.atomic().sum(["s"], 10n).min(["mn"], 3n).max(["mx"], 9n).commit();
  await kv.atomic().min(["mn"], 4n).max(["mx"], 8n).commit();
  const [s, mn, mx] = await kv.getMany<Deno.KvU64[]>([["s"], ["mn"], ["mx"]]);
  assertEquals([s.value.value, mn.value.value, mx.value.value], [15n, 3n, 9n]);
  await kv.atomic().sum(["s"], 2n ** 64n - 1n).commit();
  assertEquals((await kv.get<Deno.KvU64>(["s"])).value!.value, 14n, "sum wraps modulo 2^64");
  await kv.atomic().mutate({ key: ["m"], type: "sum", value: new Deno.KvU64(4n) }).commit();
  assertEquals((await kv.get<Deno.KvU64>(["m"])).value!.value, 4n);
});

Deno.test("a failing sum leaves the whole commit unapplied", async () => {
  using kv = await Deno.openKv(":memory:");
  await kv.set(["str"], "not a number");
  await assertRejects(
    () => kv.atomic().set(["written"], 1).sum(["str"], 1n).commit(),
    TypeError,
    "Failed to perform 'sum' mutation on a non-U64 value in the database",
  );
  assertEquals((await kv.get(["written"])).versionstamp, null);
  await assertRejects(() => kv.atomic().min(["str"], 1n).commit(), TypeError, "Failed to perform 'min' mutation on a non-U64 value in the database");
  await assertRejects(() => kv.atomic().max(["str"], 1n).commit(), TypeError, "Failed to perform 'max' mutation on a non-U64 value in the database");
  await assertRejects(
    // deno-lint-ignore no-explicit-any
    () => kv.atomic().mutate({ key: ["x"], type: "min", value: 1 } as any).commit(),
    TypeError,
    "Failed to perform 'min' mutation on a non-U64 operand",
  );
});

Deno.test("mutate validates synchronously", async () => {
  using kv = await Deno.openKv(":memory:");
  // deno-lint-ignore no-explicit-any
  const bad = (m: any) => () => kv.atomic().mutate(m);
  assertThrows(bad({ key: ["a"], type: "delete", value: 1 }), TypeError, "Invalid mutation 'delete' with value");
  assertThrows(bad({ key: ["a"], type: "set" }), TypeError, "Invalid mutation 'set' without value");
  assertThrows(bad({ key: ["a"], type: "sum" }), TypeError, "Invalid mutation 'sum' without value");
  assertThrows(bad({ key: ["a"], type: "foo", value: 1 }), TypeError, "Invalid mutation type");
  assertThrows(() => kv.atomic().set(["a"], 1, { expireIn: -1 }), TypeError, "expireIn must be a non-negative integer: received -1");
  // deno-lint-ignore no-explicit-any
  assertThrows(() => kv.atomic().sum(["a"], 1 as any), TypeError, "Value must be a bigint: received number");
  assertThrows(() => kv.atomic().sum(["a"], -1n), RangeError, "Value must be a positive bigint: received -1");
  assertThrows(() => kv.atomic().set(["a"], () => 1), TypeError, "could not be cloned");
  await assertRejects(() => kv.atomic().check({ key: ["a"], versionstamp: "xyz" }).commit(), TypeError, "Invalid check");
});

Deno.test("atomic limits", async () => {
  using kv = await Deno.openKv(":memory:");
  const checks = kv.atomic();
  for (let i = 0; i < 101; i++) checks.check({ key: [i], versionstamp: null });
  await assertRejects(() => checks.commit(), TypeError, "Too many checks (max 100)");
  const muts = kv.atomic();
  for (let i = 0; i < 1001; i++) muts.set([i], 1);
  await assertRejects(() => muts.commit(), TypeError, "Too many mutations (max 1000)");
  const total = kv.atomic();
  for (let i = 0; i < 13; i++) total.set([i], "x".repeat(65000));
  await assertRejects(() => total.commit(), TypeError, "Total mutation size too large (max 819200 bytes)");
  const keys = kv.atomic();
  for (let i = 0; i < 41; i++) keys.set([i, "k".repeat(2030)], 1);
  await assertRejects(() => keys.commit(), TypeError, "Total key size too large (max 81920 bytes)");
  const ok = kv.atomic();
  for (let i = 0; i < 1000; i++) ok.set([i], i);
  assert((await ok.commit()).ok);
});

Deno.test("an atomic operation is not a promise", async () => {
  using kv = await Deno.openKv(":memory:");
  const op = kv.atomic();
  assert(op instanceof Deno.AtomicOperation);
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => (op as any).then(),
    TypeError,
    "'Deno.AtomicOperation' is not a promise: did you forget to call 'commit()'",
  );
});

Deno.test("Deno.inspect of an atomic operation", async () => {
  using kv = await Deno.openKv(":memory:");
  assertEquals(Deno.inspect(kv.atomic()), "AtomicOperation (empty)");
  const op = kv.atomic()
    .check({ key: ["users", "alice"], versionstamp: "00000000000000010000" })
    .set(["temp", "data"], "temporary", { expireIn: 60000 })
    .sum(["counters", "visits"], 5n)
    .delete(["x"])
    .mutate({ key: ["q"], type: "set", value: { a: 1 } });
  assertEquals(
    Deno.inspect(op),
    [
      "AtomicOperation",
      '  check({ key: [ "users", "alice" ], versionstamp: "00000000000000010000" })',
      '  set([ "temp", "data" ], "temporary", { expireIn: 60000 })',
      '  sum([ "counters", "visits" ], [Deno.KvU64: 5n])',
      '  delete([ "x" ])',
      '  set([ "q" ], { a: 1 })',
    ].join("\n"),
  );
});

Deno.test("commitVersionstamp as the last key part", async () => {
  using kv = await Deno.openKv(":memory:");
  const vs = kv.commitVersionstamp();
  assertEquals(typeof vs, "symbol");
  assert(vs === kv.commitVersionstamp());
  const res = await kv.set(["log", vs], "first");
  const [entry] = await Array.fromAsync(kv.list({ prefix: ["log"] }));
  assertEquals(entry.key, ["log", res.versionstamp]);
  const res2 = await kv.atomic().set(["log", vs], "second").commit();
  assert(res2.ok);
  assertEquals((await kv.get(["log", res2.versionstamp])).value, "second");
  // deno-lint-ignore no-explicit-any
  await assertRejects(() => kv.set([vs as any, "a"], 1), TypeError);
  // deno-lint-ignore no-explicit-any
  await assertRejects(() => kv.get(["log", vs as any]), TypeError);
});
