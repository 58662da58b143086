// node:zlib's one-shot functions: deflate/inflate, deflateRaw/inflateRaw,
// gzip/gunzip, unzip and brotliCompress/brotliDecompress, as `*Sync` and in
// callback form (`fn(buffer, [options], callback)`), plus crc32 and the
// constants. The codecs are Rust (runtime/src/ops/zlib.rs); their output
// is Deno's byte for byte. Stream classes (createGzip, ...) are not
// provided: kvrt has no node:stream.

import { core, primordials } from "ext:core/mod.js";
import {
  op_node_brotli_compress,
  op_node_brotli_decompress,
  op_node_zlib_crc32,
  op_node_zlib_deflate,
  op_node_zlib_inflate,
} from "ext:core/ops";

const { Buffer } = core.createLazyLoader("node:buffer")();
const process = core.createLazyLoader("node:process")().default;
const { ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE } = core.createLazyLoader(
  "ext:kvrt_runtime/node/errors.js",
)();

const {
  ArrayBufferIsView,
  Error,
  NumberIsFinite,
  ObjectDefineProperty,
  ObjectFreeze,
  StringPrototypeIndexOf,
  StringPrototypeSlice,
  SymbolSpecies,
  Uint8Array,
} = primordials;

const { isAnyArrayBuffer } = core;

const FastBuffer = Buffer[SymbolSpecies];

const constants = ObjectFreeze({
  Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
  Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3,
  Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
  Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1,
  Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0,
  ZLIB_VERNUM: 4865,
  DEFLATE: 1, INFLATE: 2, GZIP: 3, GUNZIP: 4, DEFLATERAW: 5, INFLATERAW: 6, UNZIP: 7,
  BROTLI_DECODE: 8, BROTLI_ENCODE: 9,
  Z_MIN_WINDOWBITS: 8, Z_MAX_WINDOWBITS: 15, Z_DEFAULT_WINDOWBITS: 15,
  Z_MIN_CHUNK: 64, Z_MAX_CHUNK: Infinity, Z_DEFAULT_CHUNK: 16384,
  Z_MIN_MEMLEVEL: 1, Z_MAX_MEMLEVEL: 9, Z_DEFAULT_MEMLEVEL: 8,
  Z_MIN_LEVEL: -1, Z_MAX_LEVEL: 9, Z_DEFAULT_LEVEL: -1,
  BROTLI_OPERATION_PROCESS: 0, BROTLI_OPERATION_FLUSH: 1, BROTLI_OPERATION_FINISH: 2,
  BROTLI_OPERATION_EMIT_METADATA: 3,
  BROTLI_PARAM_MODE: 0, BROTLI_MODE_GENERIC: 0, BROTLI_MODE_TEXT: 1, BROTLI_MODE_FONT: 2,
  BROTLI_DEFAULT_MODE: 0, BROTLI_PARAM_QUALITY: 1, BROTLI_MIN_QUALITY: 0, BROTLI_MAX_QUALITY: 11,
  BROTLI_DEFAULT_QUALITY: 11, BROTLI_PARAM_LGWIN: 2, BROTLI_MIN_WINDOW_BITS: 10,
  BROTLI_MAX_WINDOW_BITS: 24, BROTLI_LARGE_MAX_WINDOW_BITS: 30, BROTLI_DEFAULT_WINDOW: 22,
  BROTLI_PARAM_LGBLOCK: 3, BROTLI_MIN_INPUT_BLOCK_BITS: 16, BROTLI_MAX_INPUT_BLOCK_BITS: 24,
  BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING: 4, BROTLI_PARAM_SIZE_HINT: 5,
  BROTLI_PARAM_LARGE_WINDOW: 6, BROTLI_PARAM_NPOSTFIX: 7, BROTLI_PARAM_NDIRECT: 8,
});

/** The input as bytes: a string (UTF-8), ArrayBuffer or ArrayBufferView. */
function toBytes(buffer) {
  if (typeof buffer === "string") return Buffer.from(buffer);
  if (ArrayBufferIsView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (isAnyArrayBuffer(buffer)) return new Uint8Array(buffer);
  throw new ERR_INVALID_ARG_TYPE(
    "buffer",
    "string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer",
    buffer,
  );
}

/** `options[name]` checked against zlib's range, or its default. */
function option(options, name, min, max, fallback) {
  const value = options?.[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number") throw new ERR_INVALID_ARG_TYPE(`options.${name}`, "number", value);
  if (!NumberIsFinite(value) || value < min || value > max) {
    throw new ERR_OUT_OF_RANGE(`options.${name}`, `>= ${min} and <= ${max}`, value);
  }
  return value;
}

/** Makes the `code|errno|message` an op failed with Node's zlib error. */
function zlibError(err) {
  const text = `${err?.message}`;
  const first = StringPrototypeIndexOf(text, "|");
  const second = first < 0 ? -1 : StringPrototypeIndexOf(text, "|", first + 1);
  if (second < 0) return err;
  const error = new Error(StringPrototypeSlice(text, second + 1));
  ObjectDefineProperty(error, "errno", {
    value: +StringPrototypeSlice(text, first + 1, second),
    writable: true,
    enumerable: true,
    configurable: true,
  });
  ObjectDefineProperty(error, "code", {
    value: StringPrototypeSlice(text, 0, first),
    writable: true,
    enumerable: true,
    configurable: true,
  });
  return error;
}

function run(op, ...args) {
  let bytes;
  try {
    bytes = op(...args);
  } catch (err) {
    throw zlibError(err);
  }
  return new FastBuffer(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function deflateWith(mode) {
  return function (buffer, options) {
    const bytes = toBytes(buffer);
    return run(
      op_node_zlib_deflate,
      bytes,
      mode,
      option(options, "level", -1, 9, -1),
      option(options, "windowBits", 8, 15, 15),
      option(options, "memLevel", 1, 9, 8),
      option(options, "strategy", 0, 4, 0),
      option(options, "chunkSize", 64, 2 ** 32 - 1, 16384),
    );
  };
}

function inflateWith(mode) {
  return function (buffer, _options) {
    return run(op_node_zlib_inflate, toBytes(buffer), mode);
  };
}

function brotliCompressSync(buffer, options) {
  const bytes = toBytes(buffer);
  const params = options?.params ?? {};
  const quality = params[constants.BROTLI_PARAM_QUALITY] ?? constants.BROTLI_DEFAULT_QUALITY;
  const lgwin = params[constants.BROTLI_PARAM_LGWIN] ?? constants.BROTLI_DEFAULT_WINDOW;
  const mode = params[constants.BROTLI_PARAM_MODE] ?? constants.BROTLI_MODE_GENERIC;
  for (const [name, value, min, max] of [["quality", quality, 0, 11], ["lgwin", lgwin, 10, 24], ["mode", mode, 0, 2]]) {
    if (typeof value !== "number" || value < min || value > max) {
      throw new ERR_OUT_OF_RANGE(`options.params[${name}]`, `>= ${min} and <= ${max}`, value);
    }
  }
  return run(op_node_brotli_compress, bytes, quality | 0, lgwin | 0, mode | 0);
}

function brotliDecompressSync(buffer, _options) {
  return run(op_node_brotli_decompress, toBytes(buffer));
}

/** The callback form of a `*Sync` function: the result comes later. */
function withCallback(sync) {
  return function (buffer, options, callback) {
    if (typeof options === "function") {
      callback = options;
      options = {};
    }
    if (typeof callback !== "function") throw new ERR_INVALID_ARG_TYPE("callback", "function", callback);
    let result;
    try {
      result = sync(buffer, options);
    } catch (err) {
      if (err?.code === "ERR_INVALID_ARG_TYPE" || err?.code === "ERR_OUT_OF_RANGE") throw err;
      process.nextTick(callback, err);
      return;
    }
    process.nextTick(callback, null, result);
  };
}

const deflateSync = deflateWith("zlib");
const deflateRawSync = deflateWith("raw");
const gzipSync = deflateWith("gzip");
const inflateSync = inflateWith("zlib");
const inflateRawSync = inflateWith("raw");
const gunzipSync = inflateWith("gzip");
const unzipSync = inflateWith("auto");

const deflate = withCallback(deflateSync);
const deflateRaw = withCallback(deflateRawSync);
const gzip = withCallback(gzipSync);
const inflate = withCallback(inflateSync);
const inflateRaw = withCallback(inflateRawSync);
const gunzip = withCallback(gunzipSync);
const unzip = withCallback(unzipSync);
const brotliCompress = withCallback(brotliCompressSync);
const brotliDecompress = withCallback(brotliDecompressSync);

/** `crc32(data, value = 0)`: a string is hashed as UTF-8. */
function crc32(data, value = 0) {
  const bytes = typeof data === "string" ? Buffer.from(data) : ArrayBufferIsView(data) ? toBytes(data) : undefined;
  if (bytes === undefined) throw new ERR_INVALID_ARG_TYPE("data", "string or an instance of Buffer, TypedArray, or DataView", data);
  if (typeof value !== "number") throw new ERR_INVALID_ARG_TYPE("value", "number", value);
  return op_node_zlib_crc32(bytes, value >>> 0);
}

const codes = ObjectFreeze({
  Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3,
  Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
  "0": "Z_OK", "1": "Z_STREAM_END", "2": "Z_NEED_DICT", "-1": "Z_ERRNO", "-2": "Z_STREAM_ERROR",
  "-3": "Z_DATA_ERROR", "-4": "Z_MEM_ERROR", "-5": "Z_BUF_ERROR", "-6": "Z_VERSION_ERROR",
});

const defaultExport = {
  brotliCompress,
  brotliCompressSync,
  brotliDecompress,
  brotliDecompressSync,
  codes,
  constants,
  crc32,
  deflate,
  deflateRaw,
  deflateRawSync,
  deflateSync,
  gunzip,
  gunzipSync,
  gzip,
  gzipSync,
  inflate,
  inflateRaw,
  inflateRawSync,
  inflateSync,
  unzip,
  unzipSync,
};

export default defaultExport;
export {
  brotliCompress,
  brotliCompressSync,
  brotliDecompress,
  brotliDecompressSync,
  codes,
  constants,
  crc32,
  deflate,
  deflateRaw,
  deflateRawSync,
  deflateSync,
  gunzip,
  gunzipSync,
  gzip,
  gzipSync,
  inflate,
  inflateRaw,
  inflateRawSync,
  inflateSync,
  unzip,
  unzipSync,
};
