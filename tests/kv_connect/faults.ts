// Faults: writes keys one by one (printing each acknowledged write) until
// one fails, then prints the failure and how long it took. Then waits for
// the file Deno.args[1] (the server is back) and runs one more write and read.
const kv = await Deno.openKv(Deno.args[0]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < 100_000; i++) {
  const started = Date.now();
  try {
    await kv.set(["fault", i], i);
    console.log("acked", i);
  } catch (error) {
    const e = error as Error;
    console.log("failed", i, e.constructor.name, JSON.stringify(e.message), "after", Date.now() - started, "ms");
    break;
  }
  await sleep(20);
}
for (;;) {
  try {
    await Deno.readTextFile(Deno.args[1]);
    break;
  } catch {
    await sleep(50);
  }
}
await kv.set(["fault", "after"], "restart");
console.log("after restart", (await kv.get(["fault", "after"])).value);
kv.close();
