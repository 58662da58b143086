// Reads one key N times at once (N in Deno.args[0]) from the fixture's
// replicated database (base URL in KV_FIXTURE_URL); prints how many reads
// returned each value. Run by tests/kv_connect_fixture.rs.
const base = Deno.env.get("KV_FIXTURE_URL")!;
Deno.env.set("DENO_KV_ACCESS_TOKEN", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
const kv = await Deno.openKv(`${base}/kv_remote_authorize_replicated`);
const n = Number(Deno.args[0]);
const entries = await Promise.all(Array.from({ length: n }, () => kv.get(["a"])));
const counts = new Map<unknown, number>();
for (const entry of entries) counts.set(entry.value, (counts.get(entry.value) ?? 0) + 1);
for (const [value, count] of counts) console.log(`${count} ${value}`);
kv.close();
