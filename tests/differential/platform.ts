// Differential scenario for the web platform KV code uses: crypto.subtle,
// CryptoKey, Headers, Request, Response, FormData and fetch. Run under kvrt
// and under Deno by tests/platform.rs, which passes the URL of an HTTP server
// it runs on 127.0.0.1 as Deno.args[0]; the two outputs must be identical.
// Only deterministic results are printed (random keys by their shape).

const base = Deno.args[0];
const enc = new TextEncoder();
const hex = (b: ArrayBuffer | Uint8Array) =>
  Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
const show = (label: string, value: unknown) => console.log(label, Deno.inspect(value, { depth: 5 }));
/** Runs `fn` and shows its result, or the class and message of what it threw. */
async function attempt(label: string, fn: () => unknown) {
  try {
    show(label, await fn());
  } catch (e) {
    const err = e as Error;
    console.log(label, "threw", err.constructor.name, err.name, JSON.stringify(err.message));
  }
}
const data = enc.encode("KV values and their signatures");

// crypto.subtle
for (const alg of ["SHA-1", "SHA-256", "SHA-384", "SHA-512"]) {
  console.log("digest", alg, hex(await crypto.subtle.digest(alg, data)));
}
await attempt("digest MD5", () => crypto.subtle.digest("MD5", data));
await attempt("digest no data", () => (crypto.subtle.digest as (a: string) => unknown)("SHA-256"));

const hmac = await crypto.subtle.importKey("raw", enc.encode("secret"), { name: "HMAC", hash: "SHA-256" }, true, [
  "sign",
  "verify",
]);
show("hmac key", [hmac.type, hmac.extractable, hmac.algorithm, hmac.usages]);
const sig = await crypto.subtle.sign("HMAC", hmac, data);
console.log("hmac sig", hex(sig));
console.log("hmac verify", await crypto.subtle.verify("HMAC", hmac, sig, data));
show("hmac jwk", await crypto.subtle.exportKey("jwk", hmac));
await attempt("hmac encrypt", () => crypto.subtle.encrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, hmac, data));
await attempt("hmac no usages", () => crypto.subtle.importKey("raw", enc.encode("k"), { name: "HMAC", hash: "SHA-256" }, true, []));

const aesBytes = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
const aes = await crypto.subtle.importKey("raw", aesBytes, "AES-GCM", true, ["encrypt", "decrypt"]);
show("aes key", [aes.type, aes.extractable, aes.algorithm, aes.usages]);
const iv = Uint8Array.from({ length: 12 }, (_, i) => 255 - i);
const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode("kv") }, aes, data);
console.log("aes ct", hex(ct));
console.log(
  "aes pt",
  new TextDecoder().decode(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: enc.encode("kv") }, aes, ct)),
);
await attempt("aes bad tag", () => crypto.subtle.decrypt({ name: "AES-GCM", iv }, aes, ct));
await attempt("aes bad length", () => crypto.subtle.importKey("raw", new Uint8Array(15), "AES-GCM", true, ["encrypt"]));
show("aes jwk", await crypto.subtle.exportKey("jwk", aes));
const gen = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt"]);
show("generated", [gen.type, gen.extractable, gen.algorithm, gen.usages]);
await attempt("export non-extractable", () => crypto.subtle.exportKey("raw", gen));
const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, ["sign", "verify"]);
show("ecdsa", [pair.publicKey.algorithm, pair.publicKey.usages, pair.privateKey.usages]);
const pubJwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
show("ecdsa jwk shape", [pubJwk.kty, pubJwk.crv, pubJwk.x?.length, pubJwk.y?.length, pubJwk.d]);
show("instanceof", [hmac instanceof CryptoKey, crypto.subtle instanceof SubtleCrypto, crypto instanceof Crypto]);
await attempt("new CryptoKey", () => new (CryptoKey as unknown as new () => unknown)());
console.log("uuid shape", /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()));
await attempt("getRandomValues float", () => crypto.getRandomValues(new Float32Array(1) as unknown as Uint8Array));

// Headers, Request, Response, FormData
const headers = new Headers([["B", "2"], ["a", "1"], ["Set-Cookie", "x=1"], ["set-cookie", "y=2"], ["a", "3"]]);
show("headers", [...headers]);
show("getSetCookie", headers.getSetCookie());
await attempt("bad header", () => new Headers({ "a b": "1" }));
await attempt("bad header value", () => new Headers({ a: "x\0y" }));
const req = new Request(`${base}/echo?x=1`, { method: "put", headers: { "X-Kv": "yes" }, body: "payload" });
show("request", [req.method, req.url, [...req.headers], req.bodyUsed, req.redirect, req.cache, req.mode]);
console.log("request text", await req.text());
await attempt("request reuse", () => req.text());
await attempt("request GET body", () => new Request(base, { body: "x", method: "GET" }));
await attempt("request bad method", () => new Request(base, { method: "CONNECT" }));
const res = Response.json({ list: [1, 2], nested: { ok: true } }, { status: 202, statusText: "Accepted" });
show("response", [res.status, res.statusText, res.ok, res.type, res.url, res.redirected, [...res.headers]]);
console.log("response json", JSON.stringify(await res.json()));
await attempt("response status", () => new Response(null, { status: 600 }));
await attempt("response null body status", () => new Response("x", { status: 304 }));
show("redirect", [...Response.redirect(`${base}/a`, 307).headers]);
const form = new FormData();
form.append("k", "v");
form.append("f", new Blob(["abc"], { type: "text/csv" }), "data.csv");
const entries: unknown[] = [];
for (const [k, v] of form) entries.push([k, typeof v === "string" ? v : [v.name, v.type, v.size]]);
show("form", entries);
const roundTrip = await new Response(form).formData();
show("form round trip", [roundTrip.get("k"), (roundTrip.get("f") as File).name, await (roundTrip.get("f") as File).text()]);

// fetch against the test's server
const echo = await fetch(`${base}/echo?q=1`, {
  method: "POST",
  headers: { "X-Test": "42", "Content-Type": "application/json" },
  body: JSON.stringify({ hello: "server" }),
});
show("echo", [echo.status, echo.statusText, echo.ok, echo.url, echo.headers.get("content-type")]);
show("echo body", await echo.json());
const text = await fetch(`${base}/text`);
show("text", [text.status, text.headers.get("content-length"), await text.text()]);
const missing = await fetch(`${base}/missing`);
show("missing", [missing.status, missing.statusText, missing.ok, await missing.text()]);
const redirected = await fetch(`${base}/redirect`);
show("redirected", [redirected.status, redirected.redirected, redirected.url, await redirected.text()]);
const manual = await fetch(`${base}/redirect`, { redirect: "manual" });
show("manual", [manual.status, manual.headers.get("location"), manual.redirected]);
await manual.body?.cancel();
const bytes = await fetch(`${base}/bytes`);
const body = new Uint8Array(await bytes.arrayBuffer());
show("bytes", [body.length, body[0], body[255], hex(await crypto.subtle.digest("SHA-256", body))]);
const chunked = await fetch(`${base}/chunked`);
let chunks = "";
const reader = chunked.body!.getReader();
for (let r = await reader.read(); !r.done; r = await reader.read()) chunks += new TextDecoder().decode(r.value);
show("chunked", [chunked.headers.get("transfer-encoding"), chunks]);
const formPost = await fetch(`${base}/echo`, { method: "POST", body: new URLSearchParams({ a: "1", b: "two words" }) });
show("urlencoded", await formPost.json());
const controller = new AbortController();
controller.abort();
await attempt("aborted fetch", () => fetch(`${base}/text`, { signal: controller.signal }));
await attempt("fetch unknown scheme", () => fetch("bogus://x/"));
