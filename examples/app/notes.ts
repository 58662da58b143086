// A small notes service over Deno KV: a request handler (Request ->
// Response) that validates input with zod (npm), derives each note's id with
// crypto.subtle, signs it with HMAC, and greets through @kvrt/greet (jsr).
import { z } from "zod";
import { greet } from "@kvrt/greet";

const NoteInput = z.object({ text: z.string().min(1).max(500) });

/** Hex of bytes. */
function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The handler of one KV database, signing ids with `secret`. */
export async function createHandler(kv: Deno.Kv, secret: string) {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
  const sign = async (id: string) =>
    hex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(id)));

  return async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/hello") {
      return new Response(greet(url.searchParams.get("name") ?? "world"));
    }
    if (request.method === "POST" && url.pathname === "/notes") {
      const parsed = NoteInput.safeParse(await request.json().catch(() => null));
      if (!parsed.success) {
        return Response.json({ error: parsed.error.issues.map((i) => i.message) }, { status: 400 });
      }
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parsed.data.text));
      const id = hex(digest).slice(0, 16);
      const result = await kv.atomic()
        .check({ key: ["notes", id], versionstamp: null })
        .set(["notes", id], { text: parsed.data.text, created: new Date(0) })
        .sum(["stats", "notes"], 1n)
        .commit();
      if (!result.ok) return Response.json({ error: "duplicate" }, { status: 409 });
      return Response.json({ id, signature: await sign(id) }, { status: 201 });
    }
    const match = url.pathname.match(/^\/notes\/([0-9a-f]{16})$/);
    if (request.method === "GET" && match) {
      const entry = await kv.get<{ text: string }>(["notes", match[1]]);
      if (entry.value === null) return new Response("not found", { status: 404 });
      return Response.json({ id: match[1], text: entry.value.text }, {
        headers: { "x-signature": await sign(match[1]) },
      });
    }
    if (request.method === "GET" && url.pathname === "/notes") {
      const ids = [];
      for await (const entry of kv.list({ prefix: ["notes"] })) ids.push(entry.key[1]);
      const count = (await kv.get<Deno.KvU64>(["stats", "notes"])).value?.value ?? 0n;
      return Response.json({ ids, count: Number(count) });
    }
    return new Response("not found", { status: 404 });
  };
}
