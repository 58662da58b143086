// The notes service's own suite: runs unchanged under `deno test` and `kvrt test`.
import { createHandler } from "./notes.ts";

function assertEquals(actual: unknown, expected: unknown) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

async function setup() {
  const kv = await Deno.openKv(":memory:");
  return { kv, handle: await createHandler(kv, "test secret") };
}

Deno.test("greets through the jsr package", async () => {
  const { kv, handle } = await setup();
  const response = await handle(new Request("http://app/hello?name=ada"));
  assertEquals(response.status, 200);
  assertEquals(await response.text(), "hello ADA (1.1.0, greet-1)");
  kv.close();
});

Deno.test("stores, signs and reads a note", async () => {
  const { kv, handle } = await setup();
  const created = await handle(new Request("http://app/notes", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: "buy milk" }),
  }));
  assertEquals(created.status, 201);
  const { id, signature } = await created.json();
  // sha256("buy milk"), first 8 bytes (from `printf "buy milk" | sha256sum`).
  assertEquals(id, "933260194ce59178");
  assertEquals(signature.length, 64);
  const read = await handle(new Request(`http://app/notes/${id}`));
  assertEquals(await read.json(), { id, text: "buy milk" });
  assertEquals(read.headers.get("x-signature"), signature);
  kv.close();
});

Deno.test("rejects bad input and duplicates", async (t) => {
  const { kv, handle } = await setup();
  const post = (body: unknown) =>
    handle(new Request("http://app/notes", { method: "POST", body: JSON.stringify(body) }));
  await t.step("empty text", async () => {
    const response = await post({ text: "" });
    assertEquals(response.status, 400);
    assertEquals((await response.json()).error.length, 1);
  });
  await t.step("duplicate", async () => {
    assertEquals((await post({ text: "once" })).status, 201);
    assertEquals((await post({ text: "once" })).status, 409);
  });
  const list = await (await handle(new Request("http://app/notes"))).json();
  assertEquals(list.count, 1);
  kv.close();
});
