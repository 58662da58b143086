// The errors of Deno.openKv for KV Connect URLs that do not open, printed
// as class and message; compared between Deno and kvrt against the same
// fixture server (base URL in KV_FIXTURE_URL, closed port in KV_CLOSED_URL).
const base = Deno.env.get("KV_FIXTURE_URL")!;
const closed = Deno.env.get("KV_CLOSED_URL")!;
const good = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const cases: [string, string, string | undefined][] = [
  ["invalid format", `${base}/kv_remote_authorize_invalid_format`, good],
  ["invalid version", `${base}/kv_remote_authorize_invalid_version`, good],
  ["not found", `${base}/not_a_kv_endpoint`, good],
  ["server error", `${base}/kv_server_error`, good],
  ["not json", `${base}/kv_not_json`, good],
  ["unreachable", closed, good],
  ["wrong token", `${base}/kv_remote_authorize`, "wrong-token-wrong-token"],
  ["missing token", `${base}/kv_remote_authorize`, undefined],
  ["not a url", "http://[oops", good],
];
Deno.env.set("DENO_KV_ACCESS_TOKEN", good);
{
  // Deno's "remote backend" test: the fixture stores nothing.
  const kv = await Deno.openKv(`${base}/kv_remote_authorize`);
  console.log("remote backend set", Deno.inspect(await kv.set(["some-key"], 1)));
  console.log("remote backend get", Deno.inspect(await kv.get(["some-key"])));
  kv.close();
}
for (const [name, url, token] of cases) {
  if (token === undefined) Deno.env.delete("DENO_KV_ACCESS_TOKEN");
  else Deno.env.set("DENO_KV_ACCESS_TOKEN", token);
  try {
    const kv = await Deno.openKv(url);
    console.log(name, "opened");
    kv.close();
  } catch (error) {
    const e = error as Error;
    console.log(name, e.constructor.name, JSON.stringify(e.message));
  }
}
