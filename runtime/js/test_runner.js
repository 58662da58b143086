// `Deno.test` for `kvrt test`: registers tests with the test command (ops
// in runtime/src/test/ops.rs) and runs one when the command calls
// `runTest(id)`, reporting its steps as they run. The command owns
// filtering, ordering, sanitizers and every reporter.

import {
  op_kvrt_permissions_pledge,
  op_kvrt_permissions_restore,
  op_kvrt_test_install,
  op_kvrt_test_mode,
  op_kvrt_test_register,
  op_kvrt_test_step_result,
  op_kvrt_test_step_wait,
} from "ext:core/ops";

// Built-ins captured before user code runs, so that patching them cannot
// change how tests run or are reported.
const DateNow = Date.now;
const StringFn = String;
const MapCtor = Map;
const MapGet = Map.prototype.get;
const MapSet = Map.prototype.set;
const ArrayPush = Array.prototype.push;
const ReflectApply = Reflect.apply;

/** The `Deno` namespace, captured before user code can replace it. */
const DenoNs = globalThis.Deno;

/** Registered tests by id: `{ fn, name, site, sanitizeExit }`. */
const registered = new MapCtor();

/** Whether `runTest` has been handed to the command. */
let installed = false;

/** Called instead of exiting while a test with `sanitizeExit` runs. */
let exitHandler = null;

/** Loads permissions.js (bootstrap's lazy loader, handed over by `init`). */
let loadPermissions = null;

/** Receives what this module needs from bootstrap. */
export function init(permissionsLoader) {
  loadPermissions = permissionsLoader;
}

/** The handler `Deno.exit` must call instead of exiting, if any. */
export function currentExitHandler() {
  return exitHandler;
}

/**
 * This module's location as stack traces write it (`import.meta.url` is not
 * set by every embedder), to skip the runner's own frames.
 */
const SELF_URL = selfLocation() ?? import.meta.url;

/** The location of the first frame of a fresh stack trace, without line and column. */
function selfLocation() {
  const stack = new Error().stack;
  if (typeof stack !== "string") return undefined;
  for (const line of stack.split("\n")) {
    const location = frameLocation(line);
    if (location !== undefined) return location.replace(/(:\d+){1,2}$/, "");
  }
  return undefined;
}

/** Escapes control characters in a test name like Deno does. */
function escapeName(name) {
  // deno-lint-ignore no-control-regex
  return name.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => {
    switch (c) {
      case "\b":
        return "\\b";
      case "\t":
        return "\\t";
      case "\n":
        return "\\n";
      case "\v":
        return "\\v";
      case "\f":
        return "\\f";
      case "\r":
        return "\\r";
    }
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

/** True for stack locations inside the runtime rather than user code. */
function isInternal(location) {
  return (SELF_URL !== undefined && location.startsWith(SELF_URL)) ||
    location.startsWith("ext:") ||
    location.startsWith("node:") || location.startsWith("native");
}

/**
 * Finds the user code that called into the runner, from a fresh stack
 * trace: `{ url, line, column }` (column may be undefined), or undefined.
 */
function userCallSite() {
  const stack = new Error().stack;
  if (typeof stack !== "string") return undefined;
  for (const line of stack.split("\n")) {
    const location = frameLocation(line);
    if (location === undefined || isInternal(location)) continue;
    const m = /^(.+?):(\d+)(?::(\d+))?$/.exec(location);
    if (m) {
      return { url: m[1], line: Number(m[2]), column: m[3] && Number(m[3]) };
    }
  }
  return undefined;
}

/** The `url:line:column` part of a stack frame line, if it is one. */
function frameLocation(line) {
  return /^\s+at (?:.*\()?(.+?)\)?\s*$/.exec(line)?.[1];
}

/** Parses `Deno.test` arguments into a test description (Deno's rules). */
function describe(nameOrFnOrOptions, optionsOrFn, maybeFn, overrides) {
  let desc;
  if (typeof nameOrFnOrOptions === "string") {
    if (!nameOrFnOrOptions) throw new TypeError("The test name can't be empty");
    if (typeof optionsOrFn === "function") {
      desc = { fn: optionsOrFn, name: nameOrFnOrOptions };
    } else {
      if (!maybeFn || typeof maybeFn !== "function") {
        throw new TypeError("Missing test function");
      }
      if (optionsOrFn.fn != undefined) {
        throw new TypeError(
          "Unexpected 'fn' field in options, test function is already provided as the third argument",
        );
      }
      if (optionsOrFn.name != undefined) {
        throw new TypeError(
          "Unexpected 'name' field in options, test name is already provided as the first argument",
        );
      }
      desc = {
        ...optionsOrFn,
        fn: maybeFn,
        name: nameOrFnOrOptions,
      };
    }
  } else if (typeof nameOrFnOrOptions === "function") {
    if (!nameOrFnOrOptions.name) {
      throw new TypeError("The test function must have a name");
    }
    if (optionsOrFn != undefined) {
      throw new TypeError("Unexpected second argument to Deno.test()");
    }
    if (maybeFn != undefined) {
      throw new TypeError("Unexpected third argument to Deno.test()");
    }
    desc = { fn: nameOrFnOrOptions, name: nameOrFnOrOptions.name };
  } else {
    let fn;
    if (typeof optionsOrFn === "function") {
      fn = optionsOrFn;
      if (nameOrFnOrOptions.fn != undefined) {
        throw new TypeError(
          "Unexpected 'fn' field in options, test function is already provided as the second argument",
        );
      }
    } else {
      if (!nameOrFnOrOptions.fn || typeof nameOrFnOrOptions.fn !== "function") {
        throw new TypeError(
          "Expected 'fn' field in the first argument to be a test function",
        );
      }
      fn = nameOrFnOrOptions.fn;
    }
    const name = nameOrFnOrOptions.name ?? fn.name;
    if (!name) throw new TypeError("The test name can't be empty");
    desc = { ...nameOrFnOrOptions, fn, name };
  }
  return {
    name: escapeName(StringFn(desc.name)),
    fn: desc.fn,
    ignore: Boolean(overrides.ignore ?? desc.ignore),
    only: Boolean(overrides.only ?? desc.only),
    sanitizeOps: optionalBoolean(desc.sanitizeOps),
    sanitizeResources: optionalBoolean(desc.sanitizeResources),
    sanitizeExit: desc.sanitizeExit === undefined ? true : Boolean(desc.sanitizeExit),
    permissions: desc.permissions,
    site: userCallSite(),
  };
}

/** `undefined` stays unset (the command's flag decides); anything else is a boolean. */
function optionalBoolean(value) {
  return value === undefined ? null : Boolean(value);
}

/** Registers a test with the command. Outside `kvrt test` it does nothing, as in Deno. */
function register(nameOrFnOrOptions, optionsOrFn, maybeFn, overrides) {
  if (!op_kvrt_test_mode()) return;
  const desc = describe(nameOrFnOrOptions, optionsOrFn, maybeFn, overrides);
  if (!installed) {
    op_kvrt_test_install(runTest);
    installed = true;
  }
  const id = op_kvrt_test_register({
    name: desc.name,
    ignore: desc.ignore,
    only: desc.only,
    sanitizeOps: desc.sanitizeOps,
    sanitizeResources: desc.sanitizeResources,
    fileName: desc.site?.url ?? null,
    line: desc.site?.line ?? null,
    column: desc.site?.column ?? null,
  });
  ReflectApply(MapSet, registered, [id, desc]);
}

/**
 * Registers a test, like `Deno.test`: `(name, fn)`, `(fn)`, `(options, fn)`,
 * `(name, options, fn)` or `({ name, fn, ignore, only, ... })`.
 */
export function test(nameOrFnOrOptions, optionsOrFn, maybeFn) {
  register(nameOrFnOrOptions, optionsOrFn, maybeFn, {});
}

/** Registers an ignored test; same forms as `test`. */
test.ignore = function ignore(nameOrFnOrOptions, optionsOrFn, maybeFn) {
  register(nameOrFnOrOptions, optionsOrFn, maybeFn, { ignore: true });
};

/** Registers a test that runs exclusively (fails the run); same forms as `test`. */
test.only = function only(nameOrFnOrOptions, optionsOrFn, maybeFn) {
  register(nameOrFnOrOptions, optionsOrFn, maybeFn, { only: true });
};

// ---------------------------------------------------------------------------
// Errors

/**
 * The stack frames of an error (V8 stacks start with a header, QuickJS
 * stacks do not), without the runtime's own frames.
 */
function stackFrames(err, header) {
  const stack = typeof err.stack === "string" ? err.stack : "";
  let frames;
  if (stack.startsWith(header)) {
    frames = stack.slice(header.length);
  } else if (frameLocation(stack.split("\n")[0]) === undefined) {
    // A header written before the error's name or message changed.
    const message = String(err.message ?? "");
    const at = message ? stack.indexOf(message) : -1;
    const firstLineEnd = stack.includes("\n")
      ? stack.indexOf("\n")
      : stack.length;
    frames = stack.slice(at === -1 ? firstLineEnd : at + message.length);
  } else {
    frames = `\n${stack}`;
  }
  return frames.split("\n")
    .filter((line) => {
      const location = frameLocation(line);
      return location === undefined || !isInternal(location);
    })
    .join("\n")
    .trimEnd();
}

/** Formats a thrown value like Deno's test reporter (after `error: `). */
function formatError(err) {
  if (!(err instanceof Error)) {
    const inspect = globalThis.Deno?.inspect;
    return typeof inspect === "function" ? inspect(err) : String(err);
  }
  const name = String(err.name ?? "Error");
  const message = String(err.message ?? "");
  const header = message ? `${name}: ${message}` : name;
  let text = header + stackFrames(err, header);
  if (err.cause !== undefined) text += `\nCaused by: ${formatError(err.cause)}`;
  return text;
}

// ---------------------------------------------------------------------------
// Running

/** Makes the tree node of a test (no parent) or step. */
function makeNode(id, name, fn, parent) {
  return {
    id,
    name,
    fn,
    parent,
    level: parent ? parent.level + 1 : 0,
    children: [],
    completed: false,
    failed: false,
  };
}

/** Parses `t.step` arguments: `(name, fn)`, `(fn)` or `({ name, fn, ignore })`. */
function describeStep(nameOrFnOrOptions, maybeFn) {
  if (typeof nameOrFnOrOptions === "string") {
    if (typeof maybeFn !== "function") {
      throw new TypeError("Expected function for second argument");
    }
    return { name: nameOrFnOrOptions, fn: maybeFn, ignore: false };
  }
  if (typeof nameOrFnOrOptions === "function") {
    if (!nameOrFnOrOptions.name) {
      throw new TypeError("The step function must have a name");
    }
    if (maybeFn != undefined) {
      throw new TypeError("Unexpected second argument to TestContext.step()");
    }
    return {
      name: nameOrFnOrOptions.name,
      fn: nameOrFnOrOptions,
      ignore: false,
    };
  }
  if (typeof nameOrFnOrOptions === "object" && nameOrFnOrOptions !== null) {
    const { name, fn, ignore } = nameOrFnOrOptions;
    if (typeof name !== "string") {
      throw new TypeError(
        "Expected 'name' field in the step definition to be a string",
      );
    }
    return { name, fn, ignore: Boolean(ignore) };
  }
  throw new TypeError("Expected a test definition or name and function");
}

/** The `t` given to a test or step function. */
function makeContext(node, origin) {
  return {
    [Symbol.toStringTag]: "TestContext",
    name: node.name,
    parent: node.parent?.context,
    origin,
    /** Runs a sub-step; resolves to whether it passed. */
    async step(nameOrFnOrOptions, maybeFn) {
      if (node.completed) {
        throw new Error(
          "Cannot run test step after parent scope has finished execution. " +
            "Ensure any `.step(...)` calls are executed before their parent scope completes execution.",
        );
      }
      const def = describeStep(nameOrFnOrOptions, maybeFn);
      const site = userCallSite();
      const name = escapeName(def.name);
      const id = op_kvrt_test_step_wait({
        name,
        parentId: node.id,
        level: node.level + 1,
        fileName: site?.url ?? null,
        line: site?.line ?? null,
        column: site?.column ?? null,
      });
      const child = makeNode(id, name, def.fn, node);
      ReflectApply(ArrayPush, node.children, [child]);
      const start = DateNow();
      const outcome = def.ignore
        ? { kind: "ignored" }
        : await execute(child, origin);
      child.completed = true;
      if (child.reported) return false;
      reportStep(child, outcome, DateNow() - start);
      return outcome.kind === "ok";
    },
  };
}

/**
 * Runs a node's function and settles its children: resolves to
 * `{ kind: "ok" | "error" | "failedSteps" | "incompleteSteps", ... }`.
 */
async function execute(node, origin) {
  node.context = makeContext(node, origin);
  let outcome;
  try {
    await node.fn(node.context);
    outcome = { kind: "ok" };
  } catch (error) {
    outcome = { kind: "error", error: formatError(error) };
  }
  let failedSteps = 0;
  let incomplete = false;
  for (const child of node.children) {
    if (!child.completed) {
      incomplete = true;
      reportIncomplete(child);
    } else if (child.failed) failedSteps++;
  }
  node.completed = true;
  if (outcome.kind === "ok" && incomplete) return { kind: "incompleteSteps" };
  if (outcome.kind === "ok" && failedSteps) {
    return { kind: "failedSteps", count: failedSteps };
  }
  return outcome;
}

/** Reports a step and marks whether it failed. */
function reportStep(node, outcome, elapsed) {
  node.reported = true;
  node.failed = outcome.kind !== "ok" && outcome.kind !== "ignored";
  op_kvrt_test_step_result(node.id, outcome, elapsed);
}

/** Reports a step that its parent did not wait for, with its sub-steps. */
function reportIncomplete(node) {
  for (const child of node.children) {
    if (!child.reported) reportIncomplete(child);
  }
  node.completed = true;
  reportStep(node, { kind: "incomplete" }, 0);
}

/**
 * Runs registered test `id` (the command calls this): resolves to its
 * outcome. With `sanitizeExit`, `Deno.exit` throws instead of exiting.
 */
async function runTest(id) {
  const desc = ReflectApply(MapGet, registered, [id]);
  const node = makeNode(id, desc.name, desc.fn, null);
  if (desc.permissions !== undefined && desc.permissions !== null) {
    // As in Deno: the test (and its steps) runs with a subset of the
    // module's permissions; asking for more fails the test.
    const fn = node.fn;
    const option = desc.permissions;
    node.fn = async (t) => {
      op_kvrt_permissions_pledge(loadPermissions().serializePermissions(option));
      try {
        await fn(t);
      } finally {
        op_kvrt_permissions_restore();
      }
    };
  }
  if (desc.sanitizeExit) {
    exitHandler = (code) => {
      throw new Error(`Test case attempted to exit with exit code: ${code}`);
    };
    const fn = node.fn;
    node.fn = async (t) => {
      await fn(t);
      const code = DenoNs.exitCode;
      if (code !== 0) {
        // Reset, so that the next tests can run, and fail this one.
        DenoNs.exitCode = 0;
        throw new Error(`Test case finished with exit code set to ${code}`);
      }
    };
  }
  try {
    return await execute(node, desc.site?.url);
  } finally {
    exitHandler = null;
  }
}
