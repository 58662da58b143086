// Reads with each consistency from a database whose metadata lists a strong
// endpoint and a read replica (the fixture's values say which endpoint
// answered), a write, and an eventual read whose replica is down. Run by
// tests/kv_connect_fixture.rs, base URL in KV_FIXTURE_URL.
const base = Deno.env.get("KV_FIXTURE_URL")!;
Deno.env.set("DENO_KV_ACCESS_TOKEN", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");

const show = (entry: Deno.KvEntryMaybe<unknown>) =>
  `${JSON.stringify(entry.key)} ${JSON.stringify(entry.value)} ${entry.versionstamp}`;

async function read(kv: Deno.Kv, consistency: Deno.KvConsistencyLevel) {
  console.log(`${consistency} get: ${show(await kv.get(["a"], { consistency }))}`);
  const many = await kv.getMany([["a"], ["b"]], { consistency });
  console.log(`${consistency} getMany: ${many.map(show).join(" | ")}`);
  const listed = [];
  for await (const entry of kv.list({ prefix: ["a"] }, { consistency })) {
    listed.push(show(entry));
  }
  console.log(`${consistency} list: ${listed.join(" | ")}`);
}

{
  const kv = await Deno.openKv(`${base}/kv_remote_authorize_replicated`);
  await read(kv, "strong");
  await read(kv, "eventual");
  console.log(`set: ${(await kv.set(["a"], "x")).ok}`);
  kv.close();
}
{
  const kv = await Deno.openKv(`${base}/kv_remote_authorize_replica_down`);
  const entry = await kv.get(["a"], { consistency: "eventual" });
  console.log(`fallback get: ${show(entry)}`);
  kv.close();
}
