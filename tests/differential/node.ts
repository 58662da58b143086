// Differential scenario for the node: modules kvrt provides (node:v8,
// node:buffer, node:zlib, node:process, node:console) and the `Buffer` and
// `process` globals. Run by tests/differential.rs under real Deno and under
// kvrt; outputs must be identical. Bytes are printed as hex.
import v8 from "node:v8";
import { deserialize, serialize } from "node:v8";
import * as bufferModule from "node:buffer";
import { Buffer } from "node:buffer";
import { Buffer as BareBuffer } from "buffer";
import zlib from "node:zlib";
import * as zlibModule from "node:zlib";
import process from "node:process";
import * as processModule from "node:process";
import nodeConsole, { Console } from "node:console";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const show = (label: string, value: unknown) => console.log(label, Deno.inspect(value, { depth: 6 }));
/** Shows `fn()`'s result, or the class, code and message of what it threw. */
function attempt(label: string, fn: () => unknown) {
  try {
    const result = fn();
    show(label, result instanceof Uint8Array ? hex(result) : result);
  } catch (e) {
    const err = e as Error & { code?: string; errno?: number };
    console.log(label, "threw", err.constructor.name, err.name, err.code, err.errno, JSON.stringify(err.message));
  }
}

// ---- node:v8 -----------------------------------------------------------------
const plainError = new RangeError("bad range");
delete (plainError as { stack?: string }).stack;
const cyclic: Record<string, unknown> = { name: "c" };
cyclic.self = cyclic;
const v8Values: Record<string, unknown> = {
  undef: undefined, nul: null, bool: true, int: 42, negative: -7, double: 3.25, big: 2n ** 70n,
  str: "hello", latin1: "caf\u00e9", utf16: "\u{1F600}", arr: [1, "two", [3]], sparse: [1, , 3],
  obj: { a: 1, nested: { b: [true] } }, map: new Map([[1, "one"]]), set: new Set(["x"]),
  date: new Date(1700000000000), re: /a+b/gi, u8: new Uint8Array([1, 2, 3]),
  i16: new Int16Array([-1, 300]), f64: new Float64Array([1.5]), big64: new BigInt64Array([-5n]),
  dv: new DataView(new ArrayBuffer(4), 1, 2), ab: new ArrayBuffer(3),
  buffer: Buffer.from("buf"), subarray: new Uint8Array([9, 8, 7, 6]).subarray(1, 3),
  sharedView: (() => { const u = new Uint8Array([5, 6]); return [u, u]; })(),
  error: plainError, frozen: Object.freeze([1, 2]), cyclic,
  boxed: [new Number(1), new String("s"), new Boolean(false)],
  blob: new Blob(["not a host object for node:v8"]),
};
for (const [name, value] of Object.entries(v8Values)) {
  const bytes = serialize(value);
  const back = deserialize(bytes);
  console.log("v8", name, Buffer.isBuffer(bytes), hex(bytes));
  show(`v8 back ${name}`, back);
  if (ArrayBuffer.isView(back)) console.log("v8 view", name, back.constructor.name, Buffer.isBuffer(back));
}
console.log("v8 default", v8.serialize === serialize, v8.deserialize === deserialize);
attempt("v8 function", () => serialize(() => 1));
attempt("v8 symbol", () => serialize(Symbol("s")));
attempt("v8 deserialize string", () => deserialize("nope" as unknown as Uint8Array));
attempt("v8 deserialize garbage", () => deserialize(new Uint8Array([1, 2, 3])));
attempt("v8 reads KV's format 16", () => deserialize(new Uint8Array([0xff, 0x10, 0x49, 0x54])));

// ---- node:buffer ---------------------------------------------------------------
console.log("buffer exports", Object.keys(bufferModule).sort().join(","));
console.log("buffer constants", bufferModule.kMaxLength, bufferModule.kStringMaxLength, bufferModule.INSPECT_MAX_BYTES);
console.log("bare buffer", BareBuffer === Buffer, globalThis.Buffer === Buffer);
const text = "h\u00e9llo w\u00f6rld \u{1F600} \u4e2d";
for (const enc of ["utf8", "utf-8", "hex", "base64", "base64url", "latin1", "binary", "ascii", "ucs2", "utf16le"] as const) {
  const b = Buffer.from(text, enc === "hex" || enc.startsWith("base64") ? "utf8" : enc);
  console.log("encode", enc, hex(b), b.toString(enc), Buffer.byteLength(text, enc));
}
attempt("from hex", () => Buffer.from("abcg12", "hex"));
attempt("from base64 lenient", () => Buffer.from("zz gg  aGVsbG8=", "base64"));
attempt("from base64url", () => Buffer.from("aGVsbG8-_w", "base64url"));
attempt("from base64 unpadded", () => Buffer.from("YQ", "base64"));
attempt("from lone surrogate", () => Buffer.from("\ud800x"));
attempt("from array", () => Buffer.from([1, 256, -1, 3.7, "5", null] as unknown as number[]));
attempt("from Uint16Array", () => Buffer.from(new Uint16Array([256, 1, 0x1234])));
attempt("from ArrayBuffer view", () => {
  const ab = new Uint8Array([1, 2, 3, 4]).buffer;
  const view = Buffer.from(ab, 1, 2);
  new Uint8Array(ab)[1] = 9;
  return view;
});
attempt("from json", () => Buffer.from({ type: "Buffer", data: [1, 2] } as unknown as string));
attempt("from number", () => Buffer.from(5 as unknown as string));
attempt("from object", () => Buffer.from({} as unknown as string));
attempt("unknown encoding", () => Buffer.from("ab", "nope" as BufferEncoding));
attempt("toString unknown", () => Buffer.from("ab").toString("nope" as BufferEncoding));
attempt("decode invalid utf8", () => Buffer.from([0xef, 0xbb, 0xbf, 0x41, 0xff, 0xc3, 0x28]).toString());
attempt("decode ascii", () => Buffer.from([0x80, 0x41, 0xff]).toString("ascii"));
attempt("toString range", () => Buffer.from("abcdef").toString("utf8", 1, 4));
attempt("toString clamp", () => Buffer.from("abc").toString("utf8", -1, 100));
attempt("alloc", () => Buffer.alloc(5));
attempt("alloc fill", () => Buffer.alloc(5, "ab"));
attempt("alloc fill hex", () => Buffer.alloc(4, "a1b2", "hex"));
attempt("alloc negative", () => Buffer.alloc(-1));
attempt("alloc string", () => Buffer.alloc("3" as unknown as number));
attempt("allocUnsafe length", () => Buffer.allocUnsafe(7).length);
attempt("concat", () => Buffer.concat([Buffer.from("a"), new Uint8Array([98]), Buffer.from("cd")]));
attempt("concat total", () => Buffer.concat([Buffer.from("abc"), Buffer.from("de")], 4));
attempt("concat padded", () => Buffer.concat([Buffer.from("a")], 3));
attempt("concat bad", () => Buffer.concat(["a" as unknown as Uint8Array]));
attempt("compare", () => [Buffer.compare(Buffer.from("a"), Buffer.from("b")), Buffer.from("b").compare(Buffer.from("a")), Buffer.from("ab").compare(Buffer.from("ab"))]);
attempt("compare ranges", () => Buffer.from("abcd").compare(Buffer.from("xbcx"), 1, 3, 1, 3));
attempt("equals", () => [Buffer.from("abc").equals(new Uint8Array([97, 98, 99])), Buffer.from("abc").equals(Buffer.from("abd"))]);
attempt("equals string", () => Buffer.from("abc").equals("abc" as unknown as Uint8Array));
attempt("isBuffer", () => [Buffer.isBuffer(Buffer.alloc(1)), Buffer.isBuffer(new Uint8Array(1)), Buffer.isBuffer("x")]);
attempt("isEncoding", () => ["utf8", "UTF-8", "hex", "nope", ""].map((e) => Buffer.isEncoding(e)));
attempt("byteLength", () => [Buffer.byteLength("\u20ac"), Buffer.byteLength("abcd", "base64"), Buffer.byteLength(new Uint16Array(3))]);
const ints = Buffer.alloc(16);
attempt("write ints", () => [
  ints.writeUInt8(255, 0), ints.writeInt8(-2, 1), ints.writeUInt16LE(0x1234, 2), ints.writeUInt16BE(0x1234, 4),
  ints.writeInt32LE(-123456, 6), ints.writeUInt32BE(0xdeadbeef, 10), ints.writeInt16BE(-300, 14), hex(ints),
]);
attempt("read ints", () => [
  ints.readUInt8(0), ints.readInt8(1), ints.readUInt16LE(2), ints.readUInt16BE(4), ints.readInt32LE(6),
  ints.readUInt32BE(10), ints.readInt16BE(14), ints.readUint32LE(10), ints.readUIntBE(10, 3), ints.readIntLE(6, 6),
]);
attempt("write uint48", () => { const b = Buffer.alloc(6); b.writeUIntBE(0x123456789abc, 0, 6); return b; });
attempt("write int48", () => { const b = Buffer.alloc(6); b.writeIntLE(-0x123456789a, 0, 6); return b; });
attempt("bigint", () => { const b = Buffer.alloc(16); b.writeBigInt64LE(-2n, 0); b.writeBigUInt64BE(2n ** 64n - 1n, 8); return [hex(b), b.readBigInt64LE(0), b.readBigUInt64BE(8)]; });
attempt("floats", () => { const b = Buffer.alloc(12); b.writeFloatLE(1.5, 0); b.writeDoubleBE(-0.1, 4); return [hex(b), b.readFloatLE(0), b.readDoubleBE(4)]; });
attempt("read past end", () => Buffer.from("ab").readUInt8(2));
attempt("read16 past end", () => Buffer.from("ab").readUInt16LE(1));
attempt("read fractional offset", () => Buffer.from("ab").readUInt8(1.5));
attempt("read string offset", () => Buffer.from("ab").readUInt8("1" as unknown as number));
attempt("read empty", () => Buffer.alloc(0).readUInt8(0));
attempt("write too big", () => Buffer.from("ab").writeUInt8(256, 0));
attempt("write int16 too big", () => Buffer.from("ab").writeInt16LE(40000, 0));
attempt("write uint32 too big", () => Buffer.alloc(4).writeUInt32LE(2 ** 32, 0));
attempt("write bigint range", () => Buffer.alloc(8).writeBigUInt64LE(-1n, 0));
attempt("byteLength range", () => Buffer.alloc(8).readUIntLE(0, 7));
const sliced = Buffer.from("abcdef");
attempt("slice shares", () => { const s = sliced.slice(1, 3); s[0] = 0x5a; return [s.toString(), sliced.toString(), Buffer.isBuffer(s)]; });
attempt("subarray", () => [sliced.subarray(-2).toString(), sliced.subarray(4, 2).length, Buffer.isBuffer(sliced.subarray(1))]);
attempt("copy", () => { const t = Buffer.alloc(6, "."); const n = Buffer.from("xyz").copy(t, 2, 1); return [n, t.toString()]; });
attempt("write string", () => { const b = Buffer.alloc(6); return [b.write("h\u00e9llo", 1), hex(b), b.write("zz", "latin1"), b.write("\u20ac\u20ac", 3)]; });
attempt("fill", () => [Buffer.alloc(5).fill("ab", 1).toString(), Buffer.alloc(3).fill(257), Buffer.alloc(4).fill("")]);
attempt("indexOf", () => {
  const b = Buffer.from("abcabc");
  return [b.indexOf("c"), b.indexOf("c", 3), b.lastIndexOf("a"), b.indexOf(98), b.includes("ca"), b.indexOf(Buffer.from("bc"), -3), b.indexOf("z")];
});
attempt("swap", () => [Buffer.from([1, 2, 3, 4]).swap16(), Buffer.from([1, 2, 3, 4]).swap32(), Buffer.from([1, 2, 3]).swap16()]);
attempt("toJSON", () => JSON.stringify(Buffer.from("hi")));
attempt("inspect", () => Deno.inspect({ short: Buffer.from("hi"), long: Buffer.alloc(60, 1) }));
attempt("class", () => [Buffer.name, Buffer.from("a") instanceof Uint8Array, Buffer.from("a").constructor === Buffer, Object.getPrototypeOf(Buffer.prototype) === Uint8Array.prototype]);
attempt("of", () => Buffer.of(1, 2, 3));
attempt("transcode", () => bufferModule.transcode(Buffer.from("h\u00e9"), "utf8", "latin1"));
attempt("isUtf8", () => [bufferModule.isUtf8(Buffer.from("\u00e9")), bufferModule.isUtf8(new Uint8Array([0xff]))]);
attempt("isAscii", () => [bufferModule.isAscii(Buffer.from("abc")), bufferModule.isAscii(Buffer.from("\u00e9"))]);
attempt("atob/btoa", () => [bufferModule.btoa("hi"), bufferModule.atob("aGk=")]);

// ---- node:zlib ------------------------------------------------------------------
const plain = Buffer.from("hello hello hello hello world, this is a test of zlib compression ".repeat(50));
const inputs: Record<string, Uint8Array | string> = {
  empty: "",
  short: "x",
  text: plain,
  binary: Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251),
};
for (const [name, input] of Object.entries(inputs)) {
  const deflated = zlib.deflateSync(input);
  const raw = zlib.deflateRawSync(input);
  const gzipped = zlib.gzipSync(input);
  const brotli = zlib.brotliCompressSync(input);
  console.log("zlib deflate", name, hex(deflated));
  console.log("zlib deflateRaw", name, hex(raw));
  console.log("zlib gzip", name, hex(gzipped));
  console.log("zlib brotli", name, hex(brotli));
  console.log(
    "zlib round trips",
    name,
    hex(zlib.inflateSync(deflated)) === hex(Buffer.from(input)),
    hex(zlib.inflateRawSync(raw)) === hex(Buffer.from(input)),
    hex(zlib.gunzipSync(gzipped)) === hex(Buffer.from(input)),
    hex(zlib.unzipSync(gzipped)) === hex(zlib.unzipSync(deflated)),
    hex(zlib.brotliDecompressSync(brotli)) === hex(Buffer.from(input)),
  );
}
for (const level of [0, 1, 5, 9, -1]) console.log("zlib level", level, hex(zlib.deflateSync(plain, { level })));
for (const windowBits of [8, 9, 12]) console.log("zlib windowBits", windowBits, hex(zlib.deflateSync(plain, { windowBits })));
console.log("zlib memLevel 9", hex(zlib.deflateSync(plain, { memLevel: 9 })));
// Larger input (zlib's output is written 16 KiB at a time, as Node does);
// printed by length and a checksum.
const large = new Uint8Array(1_000_000);
for (let i = 0, x = 12345; i < large.length; i++) {
  x = (x * 1103515245 + 12345) & 0x7fffffff;
  large[i] = 97 + ((x >> 16) % 7) + (i % 64 === 0 ? 1 : 0);
}
const digest = (b: Uint8Array) => `${b.length}/${zlib.crc32(b)}`;
for (const level of [1, 2, 3, 4, 5, 6, 9]) console.log("zlib large level", level, digest(zlib.deflateRawSync(large, { level })));
console.log("zlib large chunkSize 1024", digest(zlib.deflateRawSync(large, { chunkSize: 1024 })));
console.log("zlib large brotli quality 5", digest(zlib.brotliCompressSync(large, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } })));
console.log("zlib large round trip", zlib.crc32(zlib.inflateRawSync(zlib.deflateRawSync(large))) === zlib.crc32(large));
for (const strategy of [1, 2, 3, 4]) console.log("zlib strategy", strategy, hex(zlib.deflateSync(plain, { strategy })));
console.log("zlib gzip level 9 header", hex(zlib.gzipSync("abc", { level: 9 }).subarray(0, 10)));
console.log("zlib gzip level 1 header", hex(zlib.gzipSync("abc", { level: 1 }).subarray(0, 10)));
for (const quality of [0, 4, 9, 11]) {
  console.log("zlib brotli quality", quality, hex(zlib.brotliCompressSync(plain, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality } })));
}
console.log("zlib brotli text mode", hex(zlib.brotliCompressSync(plain, { params: { [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT, [zlib.constants.BROTLI_PARAM_LGWIN]: 16 } })));
const member = zlib.gzipSync("hello world");
attempt("gunzip two members", () => zlib.gunzipSync(Buffer.concat([member, member])).toString());
attempt("gunzip trailing junk", () => zlib.gunzipSync(Buffer.concat([member, Buffer.from("junk")])));
attempt("gunzip garbage", () => zlib.gunzipSync(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])));
attempt("inflate garbage", () => zlib.inflateSync(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])));
attempt("inflateRaw bad block", () => zlib.inflateRawSync(new Uint8Array([0xff, 0xff, 0xff])));
attempt("gunzip truncated", () => zlib.gunzipSync(member.subarray(0, 10)));
attempt("inflate truncated", () => zlib.inflateSync(zlib.deflateSync("hello").subarray(0, 5)));
attempt("brotli truncated", () => zlib.brotliDecompressSync(zlib.brotliCompressSync("hello world hello").subarray(0, 5)));
attempt("deflate level 12", () => zlib.deflateSync("abc", { level: 12 }));
attempt("deflate number", () => zlib.deflateSync(123 as unknown as string));
attempt("deflate ArrayBuffer", () => zlib.deflateSync(new Uint8Array([1, 2]).buffer));
attempt("crc32", () => [zlib.crc32("hello"), zlib.crc32("world", zlib.crc32("hello ")), zlib.crc32(new Uint8Array([1, 2, 3]))]);
attempt("gzip without callback", () => zlib.gzip("x", undefined as unknown as () => void));
console.log("zlib exports", ["gzip", "gunzip", "deflate", "inflate", "deflateRaw", "inflateRaw", "unzip", "brotliCompress", "brotliDecompress", "gzipSync", "crc32", "constants"].map((k) => typeof (zlibModule as Record<string, unknown>)[k]).join(","));
await new Promise<void>((resolve) => {
  zlib.gzip(plain, (err, result) => {
    console.log("zlib gzip callback", err, hex(zlib.gunzipSync(result)) === hex(plain), hex(result) === hex(zlib.gzipSync(plain)));
    zlib.inflate(new Uint8Array([1, 2, 3]), (err2) => {
      const e = err2 as Error & { code?: string };
      console.log("zlib inflate callback error", e?.constructor.name, e?.code, e?.message);
      zlib.brotliCompress("abc", {}, (err3, out) => {
        console.log("zlib brotli callback", err3, hex(out));
        resolve();
      });
    });
  });
});

// ---- node:process ---------------------------------------------------------------
console.log("process", process === processModule.default, process === globalThis.process, Object.prototype.toString.call(process));
console.log("process platform", process.platform, process.arch, process.version, processModule.platform);
console.log("process versions", Object.keys(process.versions).join(","), process.versions.node, process.versions.deno);
console.log("process argv", process.argv.length, process.argv.slice(2), process.argv[1].endsWith("node.ts"));
console.log("process cwd", process.cwd() === Deno.cwd(), process.pid === Deno.pid, process.ppid === Deno.ppid);
process.env.KVRT_NODE_TEST = "1";
console.log("process env", process.env.KVRT_NODE_TEST, Deno.env.get("KVRT_NODE_TEST"), "KVRT_NODE_TEST" in process.env, Object.keys(process.env).includes("KVRT_NODE_TEST"));
process.env.KVRT_NODE_TEST_NUM = 5 as unknown as string;
console.log("process env number", typeof process.env.KVRT_NODE_TEST_NUM, process.env.KVRT_NODE_TEST_NUM);
delete process.env.KVRT_NODE_TEST;
console.log("process env deleted", process.env.KVRT_NODE_TEST, Deno.env.get("KVRT_NODE_TEST"), process.env.KVRT_NOT_SET);
const t0 = process.hrtime();
const big = process.hrtime.bigint();
console.log("process hrtime", t0.length, typeof t0[0], typeof big, process.hrtime(t0)[0] >= 0, process.hrtime.bigint() >= big);
const memory = process.memoryUsage();
console.log("process memoryUsage", Object.keys(memory).join(","), memory.rss > 0, memory.heapUsed > 0, memory.heapTotal >= memory.heapUsed, memory.arrayBuffers, process.memoryUsage.rss() > 0);
console.log("process exitCode", process.exitCode);
attempt("process exitCode bad", () => { process.exitCode = 1.5; });
const order: string[] = [];
Promise.resolve().then(() => order.push("promise"));
process.nextTick((a: string, b: string) => order.push(`tick ${a}${b}`), "x", "y");
queueMicrotask(() => order.push("microtask"));
await new Promise((r) => setTimeout(r, 0));
console.log("process nextTick order", order.join(","));
attempt("process nextTick not a function", () => process.nextTick(1 as unknown as () => void));

// ---- node:console ---------------------------------------------------------------
console.log("console exports", ["log", "error", "warn", "info", "debug", "table", "time", "group", "assert", "dir"].map((k) => typeof (nodeConsole as unknown as Record<string, unknown>)[k]).join(","));
const out: string[] = [];
const err: string[] = [];
// (Deno's Console wants Node streams: event methods besides write)
const stream = (sink: string[]) => ({
  write: (s: string) => (sink.push(s), true),
  on() {},
  once() {},
  removeListener() {},
  listenerCount: () => 0,
});
const custom = new Console({ stdout: stream(out), stderr: stream(err) } as never);
custom.log("to %s", "stdout", { a: [1, 2] });
custom.error("to stderr", 42);
console.log("console captured", JSON.stringify(out), JSON.stringify(err));
const positional = new Console(stream(out) as never);
positional.warn("warned");
console.log("console positional", JSON.stringify(out.at(-1)));

// ---- globals and resolution -----------------------------------------------------
const descriptor = (name: string) => {
  const d = Object.getOwnPropertyDescriptor(globalThis, name);
  return d && [typeof d.get, typeof d.set, d.enumerable, d.configurable];
};
show("global descriptors", [descriptor("process"), descriptor("Buffer")]);
for (const specifier of ["node:nope", "node:buffer/x"]) {
  try {
    await import(specifier);
    console.log("import", specifier, "loaded");
  } catch (e) {
    console.log("import", specifier, "threw", (e as Error).constructor.name, (e as Error).message.split("\n")[0]);
  }
}
process.exitCode = 0;
