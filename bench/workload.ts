// One benchmark row of Deno KV, runnable unchanged under both runtimes:
//
//   kvrt run bench/workload.ts <row> <file|memory> [options]
//   deno run --unstable-kv -A bench/workload.ts <row> <file|memory> [options]
//
// Prints one JSON line: {"row","db","runtime","value","unit","ops","elapsed_ms",...}.
// Throughput rows report ops/s (unit "ops/s" or "entries/s"); latency rows report
// the mean latency of one operation in ms (unit "ms", lower is better).
//
// Rows: set, set_concurrent, set_concurrent_5000, oversized, get, get_many,
// list_full, list_page, atomic_cas, atomic_sum, delete, queue, watch, startup,
// list_1m (plus the helper mode `populate`, which writes the database
// list_1m reads). The driver's `hello` row runs bench/hello.js instead.
//
// Options:
//   --ms T         time box of the measured loop in ms (default 2000)
//   --max-ops N    stop the measured loop after N ops (default: unlimited)
//   --warmup-ms T  untimed warm-up run of the same loop first (default 200)
//   --path P       list_1m / populate: the database file to read / write
//   --entries N    populate: number of entries (default 1,000,000)
//
// "file" opens a fresh database in a new temp dir (Deno.makeTempDir) that is
// removed at the end; "memory" opens ":memory:"; "remote" opens the KV
// Connect URL in KVRT_BENCH_KV_URL. Only APIs both runtimes have
// are used (no Deno.Command, Deno.memoryUsage, Deno.readDir, ...).

const USAGE = "usage: workload.ts <row> <file|memory|remote> [--ms T] [--max-ops N] " +
  "[--warmup-ms T] [--path P] [--entries N]";

function fail(message: string): never {
  console.error(`workload: ${message}\n${USAGE}`);
  Deno.exit(2);
}

const positional: string[] = [];
const flags: Record<string, string> = {};
{
  const args = Deno.args;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      if (eq >= 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1);
      else {
        if (i + 1 >= args.length) fail(`missing value for ${arg}`);
        flags[arg.slice(2)] = args[++i];
      }
    } else positional.push(arg);
  }
}
function numFlag(name: string, fallback: number): number {
  if (!(name in flags)) return fallback;
  const n = Number(flags[name]);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a non-negative number`);
  return n;
}

const row = positional[0];
const db = positional[1] ?? "memory";
if (!row) fail("missing row");
if (db !== "file" && db !== "memory" && db !== "remote") {
  fail(`database must be "file", "memory" or "remote", not "${db}"`);
}
const TIME_MS = numFlag("ms", 2000);
const MAX_OPS = numFlag("max-ops", Infinity);
const WARMUP_MS = numFlag("warmup-ms", 200);

// deno-lint-ignore no-explicit-any
const runtime = typeof (Deno as any).version?.deno === "string" ? "deno" : "kvrt";

type Kv = Deno.Kv;
type Key = Deno.KvKey;

const value = (i: number) => ({ i, name: "user" + i });

let tempDir: string | null = null;
async function open(): Promise<Kv> {
  if (db === "memory") return await Deno.openKv(":memory:");
  // A KV Connect server started by bench/run.py (token in DENO_KV_ACCESS_TOKEN).
  if (db === "remote") return await Deno.openKv(Deno.env.get("KVRT_BENCH_KV_URL"));
  tempDir = await Deno.makeTempDir({ prefix: "kvrt-bench-" });
  return await Deno.openKv(`${tempDir}/bench.sqlite3`);
}
async function cleanup(kv: Kv | null) {
  if (kv) {
    try {
      kv.close();
    } catch { /* already closed */ }
  }
  if (tempDir) await Deno.remove(tempDir, { recursive: true });
}

/** Writes `n` entries `[prefix, i]` = value(i), i in [from, from + n), in
 * atomic batches of `batch` sets. */
async function populate(kv: Kv, prefix: string, n: number, from = 0, batch = 1000) {
  for (let start = from; start < from + n; start += batch) {
    const op = kv.atomic();
    const end = Math.min(start + batch, from + n);
    for (let i = start; i < end; i++) op.set([prefix, i], value(i));
    const res = await op.commit();
    if (!res.ok) throw new Error("populate commit failed");
  }
}

interface Loop {
  ops: number;
  elapsed: number;
  samples?: number[];
}

/** Runs `op(i)` sequentially until `ms` elapse or `maxOps` ops are done; `op`
 * returns how many units it did (default 1). Time is checked after every op. */
async function timeBox(
  op: (i: number) => Promise<number | void>,
  ms: number,
  maxOps: number,
  first = 0,
): Promise<Loop> {
  let ops = 0;
  let i = first;
  const start = performance.now();
  let now = start;
  while (now - start < ms && ops < maxOps) {
    const n = await op(i++);
    ops += typeof n === "number" ? n : 1;
    now = performance.now();
  }
  return { ops, elapsed: now - start };
}

/** Same, recording the latency of each op (for latency rows). */
async function timeBoxLatency(
  op: (i: number) => Promise<void>,
  ms: number,
  maxOps: number,
  first = 0,
): Promise<Loop> {
  const samples: number[] = [];
  let i = first;
  const start = performance.now();
  let now = start;
  while (now - start < ms && samples.length < maxOps) {
    const t0 = performance.now();
    await op(i++);
    now = performance.now();
    samples.push(now - t0);
  }
  return { ops: samples.length, elapsed: now - start, samples };
}

/** A steady-state loop: warm up untimed, then measure. Indices keep counting
 * so warm-up ops and measured ops never reuse each other's keys. */
async function measure(op: (i: number) => Promise<number | void>): Promise<Loop> {
  const warm = WARMUP_MS > 0 ? await timeBox(op, WARMUP_MS, Infinity) : { ops: 0 };
  return await timeBox(op, TIME_MS, MAX_OPS, warm.ops + 1_000_000_000);
}
async function measureLatency(op: (i: number) => Promise<void>): Promise<Loop> {
  // Indices of the warm-up and the measured loop must not collide: the
  // measured loop starts far above anything the warm-up reaches.
  if (WARMUP_MS > 0) await timeBoxLatency(op, WARMUP_MS, Infinity, 0);
  return await timeBoxLatency(op, TIME_MS, MAX_OPS, 1_000_000_000);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function report(unit: string, loop: Loop, extra: Record<string, unknown> = {}) {
  const seconds = loop.elapsed / 1000;
  const latency = unit === "ms";
  const result: Record<string, unknown> = {
    row,
    db,
    runtime,
    value: latency ? loop.elapsed / loop.ops : loop.ops / seconds,
    unit,
    ops: loop.ops,
    elapsed_ms: Math.round(loop.elapsed * 1000) / 1000,
    ...extra,
  };
  if (loop.samples) {
    const sorted = [...loop.samples].sort((a, b) => a - b);
    result.p50_ms = percentile(sorted, 0.5);
    result.p99_ms = percentile(sorted, 0.99);
  }
  console.log(JSON.stringify(result));
}

const rows: Record<string, () => Promise<void>> = {
  // Sequential awaited `set` of a small object, a new key each time.
  async set() {
    const kv = await open();
    const loop = await measure(async (i) => {
      await kv.set(["u", i], value(i));
    });
    await cleanup(kv);
    report("ops/s", loop);
  },

  // 1000 `set`s in flight at once (Promise.all), repeated; total ops/s.
  async set_concurrent() {
    const kv = await open();
    const loop = await measure(async (b) => {
      const base = b * 1000;
      const writes = new Array(1000);
      for (let j = 0; j < 1000; j++) writes[j] = kv.set(["u", base + j], value(base + j));
      await Promise.all(writes);
      return 1000;
    });
    await cleanup(kv);
    report("ops/s", loop, { concurrency: 1000 });
  },

  // 5000 `set`s in flight at once (Promise.all), repeated; total ops/s.
  async set_concurrent_5000() {
    const kv = await open();
    const loop = await measure(async (b) => {
      const base = b * 5000;
      const writes = new Array(5000);
      for (let j = 0; j < 5000; j++) writes[j] = kv.set(["u", base + j], value(base + j));
      await Promise.all(writes);
      return 5000;
    });
    await cleanup(kv);
    report("ops/s", loop, { concurrency: 5000 });
  },

  // `set` of a 1e7-element array: far over the 64 KiB value limit, so it must
  // be rejected; the driver reports the process's peak RSS (value: ms taken).
  async oversized() {
    const kv = await open();
    const big = new Array(10_000_000).fill(1);
    const t0 = performance.now();
    let rejected = false;
    try {
      await kv.set(["big"], big);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      rejected = true;
    }
    const loop = { ops: 1, elapsed: performance.now() - t0 };
    await cleanup(kv);
    if (!rejected) throw new Error("an oversized value was accepted");
    report("ms", loop);
  },

  // Sequential `get` of existing keys (10,000 keys, visited in a stride order).
  async get() {
    const kv = await open();
    const N = 10_000;
    await populate(kv, "u", N);
    const loop = await measure(async (i) => {
      const k = (i * 7919) % N;
      const entry = await kv.get(["u", k]);
      if (entry.versionstamp === null) throw new Error(`missing key ${k}`);
    });
    await cleanup(kv);
    report("ops/s", loop);
  },

  // `getMany` of 10 existing keys; ops = getMany calls/s.
  async get_many() {
    const kv = await open();
    const N = 10_000;
    await populate(kv, "u", N);
    const loop = await measure(async (i) => {
      const keys: Key[] = new Array(10);
      for (let j = 0; j < 10; j++) keys[j] = ["u", ((i * 10 + j) * 7919) % N];
      const entries = await kv.getMany(keys);
      if (entries[9].versionstamp === null) throw new Error("missing key");
    });
    await cleanup(kv);
    report("calls/s", loop, { keys_per_call: 10 });
  },

  // Full `list` of a 10,000-entry prefix, repeated; ops = entries/s.
  async list_full() {
    const kv = await open();
    const N = 10_000;
    await populate(kv, "u", N);
    const loop = await measure(async () => {
      let n = 0;
      for await (const _ of kv.list({ prefix: ["u"] })) n++;
      if (n !== N) throw new Error(`listed ${n} entries, expected ${N}`);
      return n;
    });
    await cleanup(kv);
    report("entries/s", loop, { entries: N });
  },

  // One page: `list` with `limit: 10` over a 10,000-entry prefix; ms per page.
  async list_page() {
    const kv = await open();
    const N = 10_000;
    await populate(kv, "u", N);
    const loop = await measureLatency(async () => {
      let n = 0;
      for await (const _ of kv.list({ prefix: ["u"] }, { limit: 10 })) n++;
      if (n !== 10) throw new Error(`page of ${n} entries`);
    });
    await cleanup(kv);
    report("ms", loop);
  },

  // Check-and-set loop on one counter: get, then atomic().check(entry).set().commit().
  async atomic_cas() {
    const kv = await open();
    const key = ["counter"];
    await kv.set(key, 0);
    let failed = 0;
    const loop = await measure(async () => {
      const entry = await kv.get<number>(key);
      const res = await kv.atomic().check(entry).set(key, entry.value! + 1).commit();
      if (!res.ok) failed++;
    });
    await cleanup(kv);
    if (failed) throw new Error(`${failed} check-and-set commits failed`);
    report("ops/s", loop);
  },

  // atomic().sum(key, 1n).commit(), sequential.
  async atomic_sum() {
    const kv = await open();
    const key = ["sum"];
    const loop = await measure(async () => {
      const res = await kv.atomic().sum(key, 1n).commit();
      if (!res.ok) throw new Error("sum commit failed");
    });
    await cleanup(kv);
    report("ops/s", loop);
  },

  // Sequential `delete` of existing keys. Keys are written in untimed chunks
  // of 5000 (atomic batches); only the deletes are timed.
  async delete() {
    const kv = await open();
    const CHUNK = 5000;
    const phase = async (ms: number, maxOps: number): Promise<Loop> => {
      let ops = 0;
      let elapsed = 0;
      let base = 0;
      while (elapsed < ms && ops < maxOps) {
        await populate(kv, "d", CHUNK, base);
        const left = Math.min(CHUNK, maxOps - ops);
        const loop = await timeBox(async (i) => {
          await kv.delete(["d", i]);
        }, ms - elapsed, left, base);
        ops += loop.ops;
        elapsed += loop.elapsed;
        base += CHUNK;
      }
      return { ops, elapsed };
    };
    if (WARMUP_MS > 0) await phase(WARMUP_MS, Infinity);
    const loop = await phase(TIME_MS, MAX_OPS);
    const left = await kv.get(["d", 0]);
    await cleanup(kv);
    if (left.versionstamp !== null) throw new Error("delete did not delete");
    report("ops/s", loop);
  },

  // Queue round trip: enqueue one message, wait until the listenQueue handler
  // has it, repeat (one message in flight); mean ms per message.
  async queue() {
    const kv = await open();
    let waiting: ((n: number) => void) | null = null;
    const listening = kv.listenQueue((msg: unknown) => {
      const w = waiting;
      waiting = null;
      w?.(msg as number);
    });
    const loop = await measureLatency(async (i) => {
      const got = new Promise<number>((resolve) => waiting = resolve);
      await kv.enqueue(i);
      const n = await got;
      if (n !== i) throw new Error(`got message ${n}, expected ${i}`);
    });
    kv.close();
    await listening;
    await cleanup(null);
    report("ms", loop);
  },

  // Watch latency: set the watched key, time until the watch stream yields
  // the new value; mean ms per change.
  async watch() {
    const kv = await open();
    const key = ["watched"];
    await kv.set(key, -1);
    const reader = kv.watch([key]).getReader();
    await reader.read(); // the initial state
    const loop = await measureLatency(async (i) => {
      await kv.set(key, i);
      while (true) {
        const { value: chunk, done } = await reader.read();
        if (done) throw new Error("watch stream ended");
        if (chunk[0].value === i) break;
      }
    });
    await reader.cancel();
    await cleanup(kv);
    report("ms", loop);
  },

  // Process start + open + one get + exit: the driver times the whole process.
  async startup() {
    const t0 = performance.now();
    const kv = await open();
    await kv.get(["missing"]);
    await cleanup(kv);
    report("ms", { ops: 1, elapsed: performance.now() - t0 }, { note: "in-script open+get" });
  },

  // Streams every entry of an existing database file (--path; written by
  // `populate`): entries/s. The driver reports the process's peak RSS.
  async list_1m() {
    const path = flags.path;
    if (!path) fail("list_1m needs --path <populated database file>");
    const kv = await Deno.openKv(path);
    const t0 = performance.now();
    let n = 0;
    for await (const _ of kv.list({ prefix: ["e"] })) n++;
    const loop = { ops: n, elapsed: performance.now() - t0 };
    kv.close();
    const expected = numFlag("entries", 0);
    if (expected && n !== expected) throw new Error(`listed ${n} entries, expected ${expected}`);
    report("entries/s", loop, { entries: n });
  },

  // Writes --entries entries ["e", i] = small value into --path, in atomic
  // batches of 1000 sets.
  async populate() {
    const path = flags.path;
    if (!path) fail("populate needs --path <database file>");
    const entries = numFlag("entries", 1_000_000);
    const kv = await Deno.openKv(path);
    const t0 = performance.now();
    await populate(kv, "e", entries, 0, 1000);
    const loop = { ops: entries, elapsed: performance.now() - t0 };
    kv.close();
    report("entries/s", loop, { entries });
  },
};

const run = rows[row];
if (!run) fail(`unknown row "${row}"; rows: ${Object.keys(rows).join(", ")}`);
await run();
Deno.exit(0);
