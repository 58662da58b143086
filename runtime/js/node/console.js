// node:console: the global console's methods, and Node's `Console` class
// writing to the streams it is given (anything with a `write(string)`).

import { core, internals, primordials } from "ext:core/mod.js";

const { console, load } = internals.kvrtRuntime;
const { ERR_INVALID_ARG_TYPE } = core.createLazyLoader("ext:kvrt_runtime/node/errors.js")();

const { ObjectDefineProperty, ObjectKeys, ObjectPrototypeHasOwnProperty } = primordials;

/**
 * `new Console(stdout, stderr)` or `new Console({ stdout, stderr })`:
 * Deno's console formatting, each line written to `stdout` (log, info,
 * debug, ...) or `stderr` (warn, error, trace).
 */
function Console(options, stderrArg) {
  if (!new.target) return new Console(options, stderrArg);
  const isOptions = options !== null && typeof options === "object" && typeof options.write !== "function";
  const stdout = isOptions ? options.stdout : options;
  const stderr = (isOptions ? options.stderr : stderrArg) ?? stdout;
  if (stdout === null || typeof stdout !== "object" || typeof stdout.write !== "function") {
    throw new ERR_INVALID_ARG_TYPE("stdout", "an instance of Writable", stdout, true);
  }
  if (stderr === null || typeof stderr !== "object" || typeof stderr.write !== "function") {
    throw new ERR_INVALID_ARG_TYPE("stderr", "an instance of Writable", stderr, true);
  }
  const DenoConsole = load("01_console").Console;
  const instance = new DenoConsole((msg, level) => (level > 1 ? stderr : stdout).write(msg));
  for (const key of ObjectKeys(instance)) {
    ObjectDefineProperty(this, key, {
      value: instance[key],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}

const methods = {};
for (const key of ObjectKeys(console)) {
  if (ObjectPrototypeHasOwnProperty(console, key) && typeof console[key] === "function") {
    methods[key] = console[key];
  }
}
const defaultExport = { ...methods, Console };

export const {
  assert,
  clear,
  count,
  countReset,
  debug,
  dir,
  dirxml,
  error,
  group,
  groupCollapsed,
  groupEnd,
  info,
  log,
  profile,
  profileEnd,
  table,
  time,
  timeEnd,
  timeLog,
  timeStamp,
  trace,
  warn,
} = methods;
export { Console, defaultExport as default };
