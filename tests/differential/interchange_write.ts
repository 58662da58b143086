// Interchange scenario: writes every kind of entry to the file given as
// Deno.args[0] and prints how many. Run by one runtime; interchange_read.ts
// then runs under both.
const kv = await Deno.openKv(Deno.args[0]);
const cyclic: Record<string, unknown> = { n: 1 };
cyclic.me = cyclic;
const entries: [Deno.KvKey, unknown][] = [
  [["str"], "caf\u00e9 \u{1F600}"], [["num"], 1000], [["float"], -0.5], [["big"], 2n ** 70n],
  [["obj"], { i: 0, name: "user0", tags: ["a", "b"] }], [["date"], new Date(0)],
  [["map"], new Map([["a", 1]])], [["set"], new Set([1, 2])], [["re"], /x/g],
  [["bytes"], new Uint8Array([1, 2, 3])], [["u16"], new Uint16Array([1, 65535])],
  [["u64"], new Deno.KvU64(18446744073709551615n)], [["cyclic"], cyclic], [["undef"], undefined],
  [["err"], new TypeError("typed")], [[new Uint8Array([7]), 1n, -2, true], "mixed key"],
  // host objects, stored as the snapshot their class gives of itself
  [["domex"], new DOMException("oops", "DataCloneError")],
  [["hmac"], await crypto.subtle.importKey("raw", new Uint8Array([1, 2, 3]), { name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"])],
  [["aes"], await crypto.subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["encrypt"])],
  [["frozen"], Object.freeze([1, 2])],
];
for (const [key, value] of entries) await kv.set(key, value);
await kv.set(["expiring"], "later", { expireIn: 3_600_000 });
kv.close();
// How many entries the file holds: the readers must list exactly these.
console.log(entries.length + 1);
