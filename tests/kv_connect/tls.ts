// Opens a KV Connect database and fetches a missing page from the HTTPS
// fixture (base URL in KV_FIXTURE_URL); prints what each gave, or the class
// and message of its error. Run by tests/kv_connect_fixture.rs.
const base = Deno.env.get("KV_FIXTURE_URL")!;
Deno.env.set("DENO_KV_ACCESS_TOKEN", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
const failure = (error: unknown) => {
  const e = error as Error;
  return `${e.constructor.name}: ${e.message}`;
};
try {
  const kv = await Deno.openKv(`${base}/kv_remote_authorize_replicated`);
  const entry = await kv.get(["a"]);
  console.log(`kv: ${JSON.stringify(entry.value)} ${(await kv.set(["a"], 1)).ok}`);
  kv.close();
} catch (error) {
  console.log(`kv: ${failure(error)}`);
}
try {
  const response = await fetch(`${base}/missing`);
  await response.body?.cancel();
  console.log(`fetch: ${response.status}`);
} catch (error) {
  console.log(`fetch: ${failure(error)}`);
}
