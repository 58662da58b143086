// Interop: dumps every entry of the database Deno.args[0].
const kv = await Deno.openKv(Deno.args[0]);
for await (const { key, value, versionstamp } of kv.list({ prefix: [] })) {
  console.log(Deno.inspect(key), Deno.inspect(value, { depth: 8 }), versionstamp);
}
kv.close();
