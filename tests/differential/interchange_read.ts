// Interchange scenario: dumps every live entry of the file given as Deno.args[0].
await new Promise((r) => setTimeout(r, 20));
const kv = await Deno.openKv(Deno.args[0]);
for await (const { key, value, versionstamp } of kv.list({ prefix: [] })) {
  const shown = value instanceof Error ? `${value.name}: ${value.message}` : Deno.inspect(value, { depth: 6, breakLength: Infinity });
  console.log(Deno.inspect(key), shown, versionstamp);
}
kv.close();
