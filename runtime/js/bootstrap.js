// Installs the globals and the `Deno` namespace that kvrt scripts and test
// suites see: the web platform from deno_web, Deno KV from kv_ext, and the
// runtime's own helpers. Runs once, as this extension's entry point.

import { core } from "ext:core/mod.js";
import {
  op_kvrt_args,
  op_kvrt_build_target,
  op_kvrt_cwd,
  op_kvrt_env_delete,
  op_kvrt_env_get,
  op_kvrt_env_set,
  op_kvrt_env_to_object,
  op_kvrt_exit,
  op_kvrt_make_temp_dir,
  op_kvrt_make_temp_file,
  op_kvrt_process_info,
  op_kvrt_random_fill,
  op_kvrt_read_text_file,
  op_kvrt_remove,
  op_kvrt_set_exit_code,
  op_kvrt_test_output,
  op_kvrt_write_text_file,
} from "ext:core/ops";
import * as testRunner from "ext:kvrt_runtime/test_runner.js";
import * as kv from "ext:kv_ext/01_kv.js";
import { op_kv_deserialize, op_kv_serialize } from "ext:core/ops";

/** deno_core's bootstrap data, hidden from user code once bootstrap ends. */
const bootstrapData = globalThis.__bootstrap;
let internalsHidden = false;

/**
 * Loads a deno_web script. Its code reads `__bootstrap` while it evaluates,
 * so once that global is hidden it comes back for this synchronous moment
 * only (no user code runs in between).
 */
function load(name) {
  if (!internalsHidden) return core.loadExtScript(`ext:deno_web/${name}.js`);
  Object.defineProperty(globalThis, "__bootstrap", {
    value: bootstrapData,
    writable: true,
    configurable: true,
  });
  try {
    return core.loadExtScript(`ext:deno_web/${name}.js`);
  } finally {
    delete globalThis.__bootstrap;
  }
}
const consoleMod = load("01_console");
const timers = load("02_timers");

/** Defines `value` on `target` the way Web IDL globals are defined. */
function define(target, name, value, enumerable = false) {
  Object.defineProperty(target, name, {
    value,
    writable: true,
    enumerable,
    configurable: true,
  });
}

// console: warn/error (level > 1) go to stderr. No colors, like deno with
// redirected output.
consoleMod.setNoColorFns(() => true, () => true);
// Under `kvrt test` output goes to the test reporters, which frame it.
const console = new consoleMod.Console((msg, level) => {
  if (!op_kvrt_test_output(msg)) core.print(msg, level > 1);
});

// crypto: only the randomness part of Web Crypto.
const INTEGER_ARRAYS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array,
  Int32Array, Uint32Array, BigInt64Array, BigUint64Array,
];
const crypto = {
  getRandomValues(array) {
    if (!INTEGER_ARRAYS.some((C) => array instanceof C)) {
      throw new (load("01_dom_exception").DOMException)(
        "The provided ArrayBufferView is not an integer array type",
        "TypeMismatchError",
      );
    }
    if (array.byteLength > 65536) {
      throw new (load("01_dom_exception").DOMException)(
        `The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`,
        "QuotaExceededError",
      );
    }
    op_kvrt_random_fill(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return array;
  },
  randomUUID() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  },
};

for (
  const [name, value] of Object.entries({
    console,
    crypto,
    setTimeout: timers.setTimeout,
    setInterval: timers.setInterval,
    clearTimeout: timers.clearTimeout,
    clearInterval: timers.clearInterval,
  })
) {
  define(globalThis, name, value);
}

// The rest of the web platform loads on first use: parsing deno_web's
// scripts (the streams implementation alone is 8,500 lines) was more than
// half of a script's start-up time on QuickJS.
const LAZY_GLOBALS = {
  "00_url": ["URL", "URLSearchParams"],
  "01_dom_exception": ["DOMException"],
  "02_event": ["Event", "EventTarget", "CustomEvent", "ErrorEvent", "MessageEvent"],
  "03_abort_signal": ["AbortController", "AbortSignal"],
  "05_base64": ["atob", "btoa"],
  "06_streams": [
    "ReadableStream", "ReadableStreamDefaultReader", "WritableStream", "TransformStream",
    "ByteLengthQueuingStrategy", "CountQueuingStrategy",
  ],
  "08_text_encoding": ["TextEncoder", "TextDecoder"],
  "09_file": ["Blob", "File"],
  "15_performance": ["Performance", "performance"],
};
for (const [script, names] of Object.entries(LAZY_GLOBALS)) {
  for (const name of names) {
    Object.defineProperty(globalThis, name, {
      get() {
        const value = load(script)[name];
        define(globalThis, name, value);
        return value;
      },
      set(value) {
        define(globalThis, name, value);
      },
      enumerable: false,
      configurable: true,
    });
  }
}

// structuredClone through kv_ext's V8 wire codec, the one KV values go
// through: Deno's results and messages for errors, cycles and values that
// cannot be cloned. deno_web's (QuickJS's serializer, which refuses Error
// objects) only runs for transfers.
function structuredClone(value, options) {
  if (arguments.length === 0) {
    throw new TypeError(
      "Failed to execute 'structuredClone': 1 argument required, but only 0 present",
    );
  }
  if (options?.transfer?.length) {
    return load("02_structured_clone").structuredClone(value, options);
  }
  let bytes;
  try {
    bytes = op_kv_serialize(value);
  } catch (err) {
    throw new (load("01_dom_exception").DOMException)(err.message, "DataCloneError");
  }
  return op_kv_deserialize(bytes);
}
define(globalThis, "structuredClone", structuredClone);

// On the QuickJS backend, V8's private properties (which deno_core puts on
// an error when its stack is read) are symbols; reflection must not list
// them, as V8 never does, or an Error whose stack was read stops comparing
// equal to its copy.
const symbolDescription = Object.getOwnPropertyDescriptor(Symbol.prototype, "description").get;
const isEnginePrivate = (key) =>
  typeof key === "symbol" &&
  (symbolDescription.call(key) ?? "").startsWith("v82jsc_private:");
const withoutPrivates = (keys) => keys.filter((key) => !isEnginePrivate(key));
const reflectOwnKeys = Reflect.ownKeys;
const getOwnPropertySymbols = Object.getOwnPropertySymbols;
const getOwnPropertyDescriptors = Object.getOwnPropertyDescriptors;
define(Reflect, "ownKeys", {
  ownKeys(target) {
    return withoutPrivates(reflectOwnKeys(target));
  },
}.ownKeys);
define(Object, "getOwnPropertySymbols", {
  getOwnPropertySymbols(object) {
    return withoutPrivates(getOwnPropertySymbols(object));
  },
}.getOwnPropertySymbols);
define(Object, "getOwnPropertyDescriptors", {
  getOwnPropertyDescriptors(object) {
    const descriptors = getOwnPropertyDescriptors(object);
    for (const key of getOwnPropertySymbols(descriptors)) {
      if (isEnginePrivate(key)) delete descriptors[key];
    }
    return descriptors;
  },
}.getOwnPropertyDescriptors);

// Language features QuickJS may lack.
if (typeof Promise.withResolvers !== "function") {
  define(Promise, "withResolvers", function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  });
}
if (typeof Array.fromAsync !== "function") {
  define(Array, "fromAsync", async function fromAsync(items, mapFn, thisArg) {
    const out = [];
    if (items[Symbol.asyncIterator] || items[Symbol.iterator]) {
      for await (const item of items) {
        out.push(mapFn ? await mapFn.call(thisArg, item, out.length) : item);
      }
    } else {
      for (let i = 0; i < items.length; i++) {
        const item = await items[i];
        out.push(mapFn ? await mapFn.call(thisArg, item, i) : item);
      }
    }
    return out;
  });
}

// Deno.errors, mapped from the error classes Rust ops report.
function errorClass(name) {
  const cls = class extends Error {
    constructor(msg, options) {
      super(msg, options);
      this.name = name;
    }
  };
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}
const errors = {
  BadResource: core.BadResource,
  Interrupted: core.Interrupted,
  NotCapable: core.NotCapable,
};
for (
  const name of [
    "NotFound", "PermissionDenied", "ConnectionRefused", "ConnectionReset",
    "ConnectionAborted", "NotConnected", "AddrInUse", "AddrNotAvailable",
    "BrokenPipe", "AlreadyExists", "InvalidData", "TimedOut", "WriteZero",
    "WouldBlock", "UnexpectedEof", "Http", "Busy", "NotSupported",
    "FilesystemLoop", "IsADirectory", "NetworkUnreachable", "NotADirectory",
  ]
) {
  errors[name] = errorClass(name);
  core.registerErrorClass(name, errors[name]);
}

/** Wraps a synchronous op in a promise-returning function (errors reject). */
const asyncOf = (fn) => (...args) => {
  try {
    return Promise.resolve(fn(...args));
  } catch (err) {
    return Promise.reject(err);
  }
};
const pathOf = (path) => (path instanceof URL ? decodeURIComponent(path.pathname) : String(path));
const tempArgs = (options = {}) => [options.dir ?? null, options.prefix ?? null, options.suffix ?? null];
const makeTempFileSync = (options) => op_kvrt_make_temp_file(...tempArgs(options));
const makeTempDirSync = (options) => op_kvrt_make_temp_dir(...tempArgs(options));
const removeSync = (path, options = {}) => op_kvrt_remove(pathOf(path), !!options.recursive);
const readTextFileSync = (path) => op_kvrt_read_text_file(pathOf(path));
const writeTextFileSync = (path, data, options = {}) =>
  op_kvrt_write_text_file(pathOf(path), String(data), !!options.append);

const env = {
  get: (key) => op_kvrt_env_get(String(key)) ?? undefined,
  set: (key, value) => op_kvrt_env_set(String(key), String(value)),
  delete: (key) => op_kvrt_env_delete(String(key)),
  has: (key) => op_kvrt_env_get(String(key)) !== null,
  toObject: () => op_kvrt_env_to_object(),
};

// Deno.build from the target this binary was compiled for.
const [target, arch, os, engine] = op_kvrt_build_target();
const [, vendor = "unknown", , targetEnv = ""] = target.split("-");
const build = Object.freeze({ target, arch, os, vendor, env: targetEnv, standalone: false });

// Deno.version: `deno` and `typescript` are those of the Deno release whose
// API kvrt follows; `v8` names the JavaScript engine actually running.
const version = Object.freeze({
  deno: "2.9.6",
  v8: engine,
  typescript: "6.0.3",
});

const [pid, ppid, execPath, mainModule, noColor] = op_kvrt_process_info();

/** `Deno.exitCode`: the code the process exits with when it ends normally. */
let exitCode = 0;
function setExitCode(value) {
  if (typeof value !== "number") {
    throw new TypeError(`Exit code must be a number, got: ${value} (${typeof value})`);
  }
  if (!Number.isInteger(value)) {
    throw new RangeError(`Exit code must be an integer, got: ${value}`);
  }
  exitCode = value;
  op_kvrt_set_exit_code(value);
}

const denoNs = {
  args: Object.freeze(op_kvrt_args()),
  build,
  version,
  noColor,
  pid,
  ppid,
  mainModule,
  execPath: () => execPath,
  env,
  errors,
  inspect: consoleMod.inspect,
  customInspect: Symbol.for("Deno.customInspect"),
  exit(code) {
    // As in Deno: a numeric code becomes Deno.exitCode first; without one,
    // Deno.exitCode is the code.
    if (typeof code === "number") setExitCode(code | 0);
    else code = exitCode;
    // Inside a test with `sanitizeExit`, exiting is an error of that test.
    const handler = testRunner.currentExitHandler();
    if (handler !== null) handler(code | 0);
    op_kvrt_exit(code | 0);
  },
  cwd: () => op_kvrt_cwd(),
  makeTempFileSync,
  makeTempFile: asyncOf(makeTempFileSync),
  makeTempDirSync,
  makeTempDir: asyncOf(makeTempDirSync),
  removeSync,
  remove: asyncOf(removeSync),
  readTextFileSync,
  readTextFile: asyncOf(readTextFileSync),
  writeTextFileSync,
  writeTextFile: asyncOf(writeTextFileSync),
  test: testRunner.test,
  openKv: kv.openKv,
  Kv: kv.Kv,
  AtomicOperation: kv.AtomicOperation,
  KvU64: kv.KvU64,
  KvListIterator: kv.KvListIterator,
};
for (const [name, value] of Object.entries(denoNs)) {
  define(globalThis.Deno, name, value, true);
}
Object.defineProperty(globalThis.Deno, "exitCode", {
  get: () => exitCode,
  set: setExitCode,
  enumerable: true,
  configurable: true,
});

// Internals stay private, as in Deno: scripts see neither `Deno.core` (the
// raw ops) nor `__bootstrap` (primordials and internals). Extension code
// keeps the references it captured from `ext:core/mod.js`.
delete globalThis.Deno.core;
delete globalThis.__bootstrap;
internalsHidden = true;
