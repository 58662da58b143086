// Installs the globals and the `Deno` namespace that kvrt scripts and test
// suites see: the web platform from deno_web, Deno KV from kv_ext, and the
// runtime's own helpers. Evaluated once, as this extension's entry point,
// at build time into the start-up snapshot (build.rs); what belongs to one
// process (its arguments, pid, the ops' state) is set by `start` below,
// which every runtime calls before user code runs (src/worker.rs).

import { core, internals } from "ext:core/mod.js";
import {
  op_kvrt_args,
  op_kvrt_build_target,
  op_kvrt_env_delete,
  op_kvrt_env_get,
  op_kvrt_env_set,
  op_kvrt_env_to_object,
  op_kvrt_exit,
  op_kvrt_process_info,
  op_kvrt_set_exit_code,
  op_kvrt_test_output,
} from "ext:core/ops";
import * as testRunner from "ext:kvrt_runtime/test_runner.js";
import * as globalEvents from "ext:kvrt_runtime/global_events.js";
import * as kv from "ext:kv_ext/01_kv.js";
import { rebrandCryptoKeys } from "ext:kvrt_runtime/crypto_key_brand.js";
import { op_kv_deserialize, op_kv_serialize } from "ext:core/ops";

/** deno_core's bootstrap data, hidden from user code once bootstrap ends. */
const bootstrapData = globalThis.__bootstrap;
let internalsHidden = false;

/**
 * Loads an extension's lazily loaded script (deno_web, deno_crypto,
 * deno_fetch, deno_net): every lazy load goes through here. Their code reads
 * `__bootstrap` while it evaluates, so once that global is hidden it comes
 * back for this synchronous moment only (no user code runs in between).
 * `specifier` is `ext:<extension>/<file>`; a bare name is a deno_web script.
 */
function load(specifier) {
  if (!specifier.startsWith("ext:")) specifier = `ext:deno_web/${specifier}.js`;
  const after = AFTER_LOAD[specifier];
  if (after !== undefined) delete AFTER_LOAD[specifier];
  let module;
  if (!internalsHidden) {
    module = core.loadExtScript(specifier);
  } else {
    Object.defineProperty(globalThis, "__bootstrap", {
      value: bootstrapData,
      writable: true,
      configurable: true,
    });
    try {
      module = core.loadExtScript(specifier);
    } finally {
      delete globalThis.__bootstrap;
    }
  }
  after?.(module);
  return module;
}

/** Work done once, right after a lazily loaded script first loads. */
const AFTER_LOAD = {
  __proto__: null,
  "ext:deno_crypto/00_crypto.js": rebrandCryptoKeys,
};
testRunner.init(() => load("ext:kvrt_runtime/permissions.js"));
globalEvents.install(load);
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

// deno_fetch's fetch() reads Deno's OpenTelemetry hooks from `internals`
// (Deno's deno_telemetry extension installs them). kvrt has no
// OpenTelemetry export, which is Deno's own state without `OTEL_DENO=true`:
// tracing is off, so fetch() creates no span and only brackets its work with
// enterSpan/exitSpan, which have nothing to do.
const DID_NOT_ENTER = Symbol("DID_NOT_ENTER");
internals.__telemetry ??= {
  TRACING_ENABLED: false,
  METRICS_ENABLED: false,
  PROPAGATORS: [],
  DID_NOT_ENTER,
  enterSpan: () => DID_NOT_ENTER,
  exitSpan: () => {},
  builtinTracer() {
    throw new Error("OpenTelemetry tracing is not available in kvrt");
  },
  ContextManager: { active: () => undefined },
};
// With tracing off there is never a span to update.
internals.__telemetryUtil ??= {
  updateSpanFromRequest() {},
  updateSpanFromClientResponse() {},
  updateSpanFromError() {},
};

// deno_crypto stamps every CryptoKey with symbols its script hands to Rust
// when it loads: the WebIDL brand, node:crypto's `kKeyObject` (which Deno's
// node extension puts in `internals`) and the host-object brand by which
// structuredClone and KV store a key. Without node:crypto, kKeyObject is a
// symbol of its own; without any, keys get no brands and are stored as {}.
internals.kKeyObject ??= Symbol("kKeyObject");

// Errors that Rust ops (deno_crypto, deno_fetch, deno_web) raise with a
// `DOMException<Name>` class become DOMExceptions of that name, as Deno's
// runtime registers them. DOMException itself loads on the first such error.
for (
  const name of [
    "AbortError", "DataError", "IndexSizeError", "InvalidAccessError",
    "InvalidCharacterError", "InvalidStateError", "NetworkError", "NotSupportedError",
    "OperationError", "QuotaExceededError", "SyntaxError", "TypeMismatchError",
  ]
) {
  core.registerErrorBuilder(`DOMException${name}`, function (msg) {
    const mod = load("01_dom_exception");
    // QuotaExceededError has a DOMException subclass of its own.
    if (name === "QuotaExceededError") return new mod.QuotaExceededError(msg);
    return new mod.DOMException(msg, name);
  });
}

for (
  const [name, value] of Object.entries({
    console,
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
// half of a script's start-up time on QuickJS. A bare name is a deno_web
// script; other extensions' scripts are named by their full specifier.
const LAZY_GLOBALS = {
  "00_url": ["URL", "URLSearchParams"],
  "01_dom_exception": ["DOMException", "QuotaExceededError"],
  "02_event": [
    "Event", "EventTarget", "CustomEvent", "ErrorEvent", "MessageEvent",
    "PromiseRejectionEvent", "ProgressEvent", "reportError",
  ],
  "03_abort_signal": ["AbortController", "AbortSignal"],
  "05_base64": ["atob", "btoa"],
  "06_streams": [
    "ReadableStream", "ReadableStreamDefaultReader", "WritableStream", "TransformStream",
    "ByteLengthQueuingStrategy", "CountQueuingStrategy",
  ],
  "08_text_encoding": ["TextEncoder", "TextDecoder", "TextEncoderStream", "TextDecoderStream"],
  "09_file": ["Blob", "File"],
  "15_performance": ["Performance", "performance"],
  // Web Crypto from deno_crypto: getRandomValues, randomUUID and subtle.
  "ext:deno_crypto/00_crypto.js": ["crypto", "Crypto", "CryptoKey", "SubtleCrypto"],
  // fetch and its classes from deno_fetch (which loads deno_net's TLS
  // script for Deno.createHttpClient support on first use of Request).
  "ext:deno_fetch/20_headers.js": ["Headers"],
  "ext:deno_fetch/21_formdata.js": ["FormData"],
  "ext:deno_fetch/23_request.js": ["Request"],
  "ext:deno_fetch/23_response.js": ["Response"],
  "ext:deno_fetch/26_fetch.js": ["fetch"],
  "ext:deno_fetch/27_eventsource.js": ["EventSource"],
};
// Web Storage from deno_webstorage: `localStorage` and `sessionStorage` are
// getters (the storage opens on first use), as in Deno.
Object.defineProperty(globalThis, "Storage", {
  get() {
    const value = load("ext:deno_webstorage/01_webstorage.js").Storage;
    define(globalThis, "Storage", value);
    return value;
  },
  set(value) {
    define(globalThis, "Storage", value);
  },
  enumerable: false,
  configurable: true,
});
for (const name of ["localStorage", "sessionStorage"]) {
  Object.defineProperty(globalThis, name, {
    get() {
      return load("ext:deno_webstorage/01_webstorage.js")[name]();
    },
    enumerable: true,
    configurable: true,
  });
}

for (const [script, names] of Object.entries(LAZY_GLOBALS)) {
  for (const name of names) {
    Object.defineProperty(globalThis, name, {
      get() {
        // globalThis is itself an EventTarget once the event code is loaded.
        if (script === "02_event") globalEvents.ensureEvents();
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

// Host objects in KV values and structuredClone (Blob, File, DOMException,
// CryptoKey) come back through the deserializer their class registers when
// its script loads: load it when a value needs it first.
const CLONEABLE_SCRIPTS = {
  __proto__: null,
  Blob: "09_file",
  File: "09_file",
  DOMException: "01_dom_exception",
  CryptoKey: "ext:deno_crypto/00_crypto.js",
};
kv.setCloneableLoader((type) => {
  const script = CLONEABLE_SCRIPTS[type];
  if (script !== undefined) load(script);
});

// Node's `process` and `Buffer` globals, as in Deno: node:process and
// node:buffer load on first use.
for (const [name, specifier, exportName] of [
  ["process", "node:process", "default"],
  ["Buffer", "node:buffer", "Buffer"],
]) {
  const loadModule = core.createLazyLoader(specifier);
  let loaded = false;
  let value;
  // (accessors for good, as in Deno)
  Object.defineProperty(globalThis, name, {
    get() {
      if (!loaded) {
        value = loadModule()[exportName];
        loaded = true;
      }
      return value;
    },
    set(newValue) {
      value = newValue;
      loaded = true;
    },
    enumerable: true,
    configurable: true,
  });
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

const env = {
  get: (key) => op_kvrt_env_get(String(key)) ?? undefined,
  set: (key, value) => {
    op_kvrt_env_set(String(key), String(value));
  },
  delete: (key) => {
    op_kvrt_env_delete(String(key));
  },
  has: (key) => op_kvrt_env_get(String(key)) !== null,
  toObject: () => op_kvrt_env_to_object(),
};

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
    globalEvents.dispatchUnloadBeforeExit();
    op_kvrt_exit(code | 0);
  },
  test: testRunner.test,
  // (Deno KV's classes are on Deno already: kv_ext's 00_install.js puts them there)
};
for (const [name, value] of Object.entries(denoNs)) {
  define(globalThis.Deno, name, value, true);
}
// The rest of the namespace loads on first use, from the script that
// defines it: Deno's fs API (deno_fs), the standard streams and SeekMode
// (deno_io), and the permissions API.
const LAZY_DENO = {
  "ext:deno_fs/30_fs.js": [
    "chdir", "chmod", "chmodSync", "chown", "chownSync", "copyFile", "copyFileSync",
    "create", "createSync", "cwd", "FsFile", "link", "linkSync", "lstat", "lstatSync",
    "makeTempDir", "makeTempDirSync", "makeTempFile", "makeTempFileSync", "mkdir",
    "mkdirSync", "open", "openSync", "readDir", "readDirSync", "readFile", "readFileSync",
    "readLink", "readLinkSync", "readTextFile", "readTextFileSync", "realPath",
    "realPathSync", "remove", "removeSync", "rename", "renameSync", "stat", "statSync",
    "symlink", "symlinkSync", "truncate", "truncateSync", "umask", "utime", "utimeSync",
    "writeFile", "writeFileSync", "writeTextFile", "writeTextFileSync",
  ],
  "ext:deno_io/12_io.js": ["SeekMode", "stdin", "stdout", "stderr"],
  "ext:kvrt_runtime/permissions.js": ["permissions", "Permissions", "PermissionStatus"],
};
/**
 * QuickJS calls an async iterator's `return()` after its `next()` rejected
 * in `for await` (the spec and V8 do not), and deno_fs's `readDir` iterator
 * then rejects a second time from `return()`, which nothing handles. This
 * `readDir` skips `return()` once `next()` has failed.
 */
function closeOnlyIfOpen(readDir) {
  return function readDirChecked(path) {
    const iterable = readDir(path);
    return {
      [Symbol.asyncIterator]() {
        const inner = iterable[Symbol.asyncIterator]();
        let failed = false;
        return {
          async next() {
            try {
              return await inner.next();
            } catch (err) {
              failed = true;
              throw err;
            }
          },
          return(value) {
            return failed ? Promise.resolve({ value, done: true }) : inner.return(value);
          },
          [Symbol.asyncIterator]() {
            return this;
          },
        };
      },
    };
  };
}
const LAZY_DENO_WRAPPERS = { readDir: closeOnlyIfOpen };
for (const [script, names] of Object.entries(LAZY_DENO)) {
  for (const name of names) {
    Object.defineProperty(globalThis.Deno, name, {
      get() {
        let value = load(script)[name];
        if (Object.hasOwn(LAZY_DENO_WRAPPERS, name)) value = LAZY_DENO_WRAPPERS[name](value);
        define(globalThis.Deno, name, value, true);
        return value;
      },
      set(value) {
        define(globalThis.Deno, name, value, true);
      },
      enumerable: true,
      configurable: true,
    });
  }
}
Object.defineProperty(globalThis.Deno, "exitCode", {
  get: () => exitCode,
  set: setExitCode,
  enumerable: true,
  configurable: true,
});

/** The process's own part of the namespace: `Deno.args`, `Deno.pid`, ... */
function defineProcessFacts() {
  // Deno.build from the target this binary was compiled for.
  const [target, arch, os, engine] = op_kvrt_build_target();
  const [, vendor = "unknown", , targetEnv = ""] = target.split("-");
  const [pid, ppid, execPath, mainModule, noColor] = op_kvrt_process_info();
  const facts = {
    args: Object.freeze(op_kvrt_args()),
    build: Object.freeze({ target, arch, os, vendor, env: targetEnv, standalone: false }),
    // Deno.version: `deno` and `typescript` are those of the Deno release
    // whose API kvrt follows; `v8` names the JavaScript engine running.
    version: Object.freeze({ deno: "2.9.6", v8: engine, typescript: "6.0.3" }),
    noColor,
    pid,
    ppid,
    mainModule,
    execPath: () => execPath,
  };
  for (const [name, value] of Object.entries(facts)) {
    define(globalThis.Deno, name, value, true);
  }
}

// Properties added to built-in prototypes do not survive the QuickJS
// snapshot (v8x restores those objects from the engine, so they come back
// without them): v8x's Temporal polyfill adds `Date.prototype.toTemporalInstant`
// (which Deno has). Captured here, at build time, and put back by `start`.
const toTemporalInstant = Date.prototype.toTemporalInstant;

const START = Symbol.for("kvrt.start");
/**
 * Starts this process's runtime, once, before user code: the ops receive
 * what they call back (their state is not part of the snapshot), the
 * namespace gets the process's facts, and the internals are hidden.
 */
function start() {
  delete globalThis[START];
  if (typeof toTemporalInstant === "function") {
    define(Date.prototype, "toTemporalInstant", toTemporalInstant);
  }
  // Deno KV's ops learn the shim's classes and this process's size limit.
  kv.init();
  globalEvents.start();
  // `performance.timeOrigin` is this process's start, as in Deno (the
  // snapshot holds the script evaluated, see EAGER_SCRIPTS in build.rs).
  load("15_performance").setTimeOrigin();
  defineProcessFacts();
  // Internals stay private, as in Deno: scripts see neither `Deno.core`
  // (the raw ops) nor `__bootstrap` (primordials and internals). Extension
  // code keeps the references it captured from `ext:core/mod.js`.
  delete globalThis.Deno.core;
  delete globalThis.__bootstrap;
  internalsHidden = true;
}
define(globalThis, START, start);

// For the node: modules (runtime/js/node/), which build on the runtime's
// console, lazy loading and exit handling. (Through `internals`, not
// imports: an import of this already linked module from a module loaded
// later does not resolve on the QuickJS backend.)
internals.kvrtRuntime = {
  console,
  exit: denoNs.exit,
  exitCode: () => exitCode,
  load,
  setExitCode,
};
