// What a script sees in the kv-embed runtime (examples/embed/src/main.rs):
// one allowed open, one denied open and one limit hit.
const print = (line) => Deno.core.print(line + "\n");

const kv = await Deno.openKv("data/notes.sqlite3");
await kv.set(["note", 1], "hello from an embedded runtime");
print(`allowed: ${(await kv.get(["note", 1])).value}`);

for (const path of ["../outside.sqlite3", "/tmp/kv-embed.sqlite3", "https://kv.example.com"]) {
  try {
    await Deno.openKv(path);
    print(`opened ${path}`);
  } catch (error) {
    print(`denied: ${error.name}: ${error.message}`);
  }
}

try {
  await kv.set(["note", 2], "x".repeat(2000));
} catch (error) {
  print(`limit: ${error.name}: ${error.message}`);
}
kv.close();
