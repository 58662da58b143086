// Deno's remote-backend unit tests (tests/unit/kv_test.ts of the deno repo,
// "remote backend*"), pointed at the fixture server of
// tests/kv_connect_fixture.rs (its base URL in KV_FIXTURE_URL, a closed
// port's URL in KV_CLOSED_URL) instead of Deno's test server.
import { assertEquals, assertRejects } from "@std/assert";

Deno.env.set("DENO_KV_ACCESS_TOKEN", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
const base = Deno.env.get("KV_FIXTURE_URL")!;
const closed = Deno.env.get("KV_CLOSED_URL")!;

Deno.test({
  name: "remote backend",
  async fn() {
    const db = await Deno.openKv(`${base}/kv_remote_authorize`);
    try {
      await db.set(["some-key"], 1);
      const entry = await db.get(["some-key"]);
      assertEquals(entry.value, null);
      assertEquals(entry.versionstamp, null);
    } finally {
      db.close();
    }
  },
});

Deno.test({
  name: "remote backend invalid format",
  async fn() {
    await assertRejects(
      async () => {
        await Deno.openKv(`${base}/kv_remote_authorize_invalid_format`);
      },
      Error,
      "Could not open Deno KV database",
    );
  },
});

Deno.test({
  name: "remote backend invalid version",
  async fn() {
    await assertRejects(
      async () => {
        await Deno.openKv(`${base}/kv_remote_authorize_invalid_version`);
      },
      Error,
      "unsupported KV Connect metadata version 1000",
    );
  },
});

Deno.test({
  name: "remote backend invalid url",
  async fn() {
    await assertRejects(
      async () => {
        await Deno.openKv(`${base}/not_a_kv_endpoint`);
      },
      Error,
      "responded with status 404",
    );
  },
});

Deno.test({
  name: "remote backend unreachable",
  async fn() {
    await assertRejects(
      async () => {
        await Deno.openKv(closed);
      },
      Error,
      "failed to connect to",
    );
  },
});
