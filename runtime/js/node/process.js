// node:process basics: env, argv, exit/exitCode, platform/arch, version(s),
// pid/ppid, cwd, nextTick (deno_core's tick queue, drained after the
// microtasks as in Deno), hrtime (and hrtime.bigint), memoryUsage,
// emitWarning and stdout/stderr `write`. Also the `process` global, loaded on first use.

import { core, internals, primordials } from "ext:core/mod.js";
import {
  op_kvrt_args,
  op_kvrt_build_target,
  op_fs_cwd,
  op_kvrt_env_delete,
  op_kvrt_env_get,
  op_kvrt_env_set,
  op_kvrt_env_to_object,
  op_kvrt_process_info,
  op_kvrt_test_output,
  op_node_memory_usage,
  op_node_rss,
} from "ext:core/ops";

const { exit: denoExit, exitCode: exitCodeOf, load, setExitCode } = internals.kvrtRuntime;
const { ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE } = core.createLazyLoader(
  "ext:kvrt_runtime/node/errors.js",
)();

const {
  ArrayIsArray,
  BigInt,
  MathFloor,
  Number,
  NumberIsInteger,
  ObjectDefineProperty,
  ObjectFreeze,
  Proxy,
  ReflectOwnKeys,
  String,
  StringPrototypeSlice,
  StringPrototypeStartsWith,
  SymbolToStringTag,
  decodeURIComponent,
} = primordials;

const [pid, ppid, execPath, mainModule] = op_kvrt_process_info();
const [, arch, os, engine] = op_kvrt_build_target();

/** Node's names: x64, arm64; darwin, linux, win32. */
const nodeArch = { x86_64: "x64", aarch64: "arm64" }[arch] ?? arch;
const platform = os === "windows" ? "win32" : os;

const mainPath = StringPrototypeStartsWith(mainModule, "file://")
  ? decodeURIComponent(StringPrototypeSlice(mainModule, 7))
  : mainModule;
const argv = [execPath, mainPath, ...op_kvrt_args()];

// What Deno 2.9.6 reports: the Node release its compatibility layer follows
// and its components, with Deno's own versions (v8: the engine running).
const version = "v26.3.0";
const versions = ObjectFreeze({
  node: "26.3.0",
  uv: "1.52.1",
  zlib: "1.3.1-e00f703",
  brotli: "1.2.0",
  ares: "1.34.6",
  modules: "147",
  nghttp2: "1.69.0",
  napi: "10",
  llhttp: "9.4.1",
  openssl: "3.0.7+quic",
  cldr: "48.0",
  icu: "78.3",
  tz: "2026b",
  unicode: "17.0",
  ngtcp2: "",
  nghttp3: "",
  sqlite: "3.53.1",
  deno: "2.9.6",
  v8: engine,
  typescript: "6.0.3",
});

let warnedEnvValue = false;

function emitWarning(warning, type = "Warning", code) {
  if (typeof type === "object" && type !== null) {
    code = type.code;
    type = type.type ?? "Warning";
  }
  const message = typeof warning === "object" && warning !== null ? warning.message : `${warning}`;
  const name = typeof warning === "object" && warning !== null ? warning.name : type;
  write(`(node:${pid}) ${code ? `[${code}] ` : ""}${name}: ${message}\n`, true);
}

/** `process.env`: the environment, values stored as strings. */
const env = new Proxy({}, {
  get(_target, key) {
    if (typeof key !== "string") return undefined;
    return op_kvrt_env_get(key) ?? undefined;
  },
  set(_target, key, value) {
    if (typeof key !== "string") return false;
    if (typeof value !== "string" && !warnedEnvValue) {
      warnedEnvValue = true;
      emitWarning(
        "Assigning any value other than a string, number, or boolean to a process.env property is deprecated. Please make sure to convert the value to a string before setting process.env with it.",
        "DeprecationWarning",
        "DEP0104",
      );
    }
    op_kvrt_env_set(key, String(value));
    return true;
  },
  has(_target, key) {
    return typeof key === "string" && op_kvrt_env_get(key) !== null;
  },
  deleteProperty(_target, key) {
    if (typeof key === "string") op_kvrt_env_delete(key);
    return true;
  },
  ownKeys() {
    return ReflectOwnKeys(op_kvrt_env_to_object());
  },
  getOwnPropertyDescriptor(_target, key) {
    if (typeof key !== "string") return undefined;
    const value = op_kvrt_env_get(key);
    return value === null ? undefined : { value, writable: true, enumerable: true, configurable: true };
  },
  defineProperty(_target, key, descriptor) {
    if (typeof key !== "string" || !("value" in descriptor)) return false;
    op_kvrt_env_set(key, String(descriptor.value));
    return true;
  },
});

function nextTick(callback, ...args) {
  if (typeof callback !== "function") throw new ERR_INVALID_ARG_TYPE("callback", "function", callback);
  core.queueNextTick({
    callback,
    args: args.length === 0 ? undefined : args,
    snapshot: core.getAsyncContext(),
  });
}

let performance;
/** Monotonic nanoseconds since an arbitrary origin, as a bigint. */
function nowNanos() {
  performance ??= load("15_performance").performance;
  return BigInt(MathFloor(performance.now() * 1e6)) + 1_000_000_000n;
}

function hrtime(previous) {
  const now = nowNanos();
  let seconds = now / 1_000_000_000n;
  let nanos = now % 1_000_000_000n;
  if (previous !== undefined) {
    if (!ArrayIsArray(previous)) throw new ERR_INVALID_ARG_TYPE("time", "an instance of Array", previous, true);
    if (previous.length !== 2) throw new ERR_OUT_OF_RANGE("time", "2", previous.length);
    const diff = now - (BigInt(previous[0]) * 1_000_000_000n + BigInt(previous[1]));
    seconds = diff / 1_000_000_000n;
    nanos = diff % 1_000_000_000n;
  }
  return [Number(seconds), Number(nanos)];
}
hrtime.bigint = nowNanos;

/** Like Deno: the engine's heap figures; `arrayBuffers` is 0 in Deno too. */
function memoryUsage() {
  const [rss, heapTotal, heapUsed, external] = op_node_memory_usage();
  return { rss, heapTotal, heapUsed, external, arrayBuffers: 0 };
}
memoryUsage.rss = () => op_node_rss();

/** Writes `text` to stdout or stderr (through the test reporter under `kvrt test`). */
function write(text, toStderr) {
  if (!op_kvrt_test_output(text)) core.print(text, toStderr);
}

let utf8Decoder;
/** A stdout/stderr stream's `write(chunk, encoding?, callback?)`. */
function streamOf(fd, toStderr) {
  return {
    fd,
    isTTY: false,
    write(chunk, encoding, callback) {
      if (typeof encoding === "function") callback = encoding;
      if (typeof chunk !== "string") {
        utf8Decoder ??= new (load("08_text_encoding").TextDecoder)();
        chunk = utf8Decoder.decode(chunk);
      }
      write(chunk, toStderr);
      if (typeof callback === "function") nextTick(callback, null);
      return true;
    },
  };
}

function exit(code) {
  if (code !== undefined) process.exitCode = code;
  denoExit();
}

function validateExitCode(code) {
  if (code === undefined || code === null) return;
  if (typeof code === "string" && code !== "" && NumberIsInteger(+code)) return;
  if (typeof code !== "number") throw new ERR_INVALID_ARG_TYPE("code", "number", code);
  if (!NumberIsInteger(code)) throw new ERR_OUT_OF_RANGE("code", "an integer", code);
}

let exitCodeSet = false;

const process = {
  argv,
  argv0: execPath,
  arch: nodeArch,
  cwd: () => op_fs_cwd(),
  emitWarning,
  env,
  execArgv: [],
  execPath,
  exit,
  hrtime,
  memoryUsage,
  nextTick,
  pid,
  platform,
  ppid,
  release: ObjectFreeze({ name: "node" }),
  stderr: streamOf(2, true),
  stdout: streamOf(1, false),
  title: execPath,
  version,
  versions,
};
ObjectDefineProperty(process, "exitCode", {
  get: () => (exitCodeSet ? exitCodeOf() : undefined),
  set(code) {
    validateExitCode(code);
    exitCodeSet = code !== undefined && code !== null;
    setExitCode(exitCodeSet ? +code : 0);
  },
  enumerable: true,
  configurable: true,
});
ObjectDefineProperty(process, SymbolToStringTag, {
  value: "process",
  enumerable: false,
  configurable: true,
});

export default process;
export {
  argv,
  emitWarning,
  env,
  execPath,
  exit,
  hrtime,
  memoryUsage,
  nextTick,
  nodeArch as arch,
  pid,
  platform,
  ppid,
  version,
  versions,
};
export const { argv0, cwd, stderr, stdout } = process;
