// A `deno test`-style runner: `test` is `Deno.test`, `runTests` runs the
// tests one module registered and `printSummary` closes the run, all
// printing the way `deno test` does without colors.

/** Tests registered since the last `runTests` call. */
const registry = [];

/** When the run started, for the summary's total duration. */
let runStart;

/** Notes the start of the run at the runner's first use. */
function markStart() {
  runStart ??= performance.now();
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

/**
 * Where a test or step was declared, as Deno prints it after `=>`: the file
 * label plus line and column when the call site is in that file.
 */
function locationLabel(site, fileLabel) {
  const path = fileLabel.replace(/^\.\//, "");
  if (site && (site.url === path || site.url.endsWith(`/${path}`))) {
    return site.column === undefined
      ? `${fileLabel}:${site.line}`
      : `${fileLabel}:${site.line}:${site.column}`;
  }
  return fileLabel;
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
    name: escapeName(String(desc.name)),
    fn: desc.fn,
    ignore: Boolean(overrides.ignore ?? desc.ignore),
    only: Boolean(overrides.only ?? desc.only),
    site: userCallSite(),
  };
}

/**
 * Registers a test, like `Deno.test`: `(name, fn)`, `(fn)`, `(options, fn)`,
 * `(name, options, fn)` or `({ name, fn, ignore, only, ... })`. Permission
 * and sanitizer options are accepted and ignored.
 */
export function test(nameOrFnOrOptions, optionsOrFn, maybeFn) {
  markStart();
  registry.push(describe(nameOrFnOrOptions, optionsOrFn, maybeFn, {}));
}

/** Registers an ignored test; same forms as `test`. */
test.ignore = function ignore(nameOrFnOrOptions, optionsOrFn, maybeFn) {
  markStart();
  registry.push(
    describe(nameOrFnOrOptions, optionsOrFn, maybeFn, { ignore: true }),
  );
};

/** Registers a test that runs exclusively (fails the run); same forms as `test`. */
test.only = function only(nameOrFnOrOptions, optionsOrFn, maybeFn) {
  markStart();
  registry.push(
    describe(nameOrFnOrOptions, optionsOrFn, maybeFn, { only: true }),
  );
};

// ---------------------------------------------------------------------------
// Output

/** Prints one line through the real `console.log`, even while it is wrapped. */
function print(line) {
  (savedConsole?.get("log") ?? console.log).call(console, line);
}

/** The reporter's state: the unfinished `name ...` line and the output block. */
const out = { pending: null, pendingNode: null, inOutput: false };

/** Ends the unfinished `name ...` line, if any, as a line of its own. */
function flushPending() {
  if (out.pending !== null) print(out.pending);
  out.pending = null;
  out.pendingNode = null;
}

/** Closes the test output block, if one is open. */
function outputEnd() {
  if (out.inOutput) print("----- output end -----");
  out.inOutput = false;
}

/** Starts the `name ...` line of a test or step. */
function reportWait(node) {
  outputEnd();
  flushPending();
  out.pending = `${"  ".repeat(node.level)}${node.name} ...`;
  out.pendingNode = node;
}

/** Finishes the `name ...` line of a test or step with its status. */
function reportResult(node, status) {
  outputEnd();
  if (out.pendingNode !== node) reportWait(node);
  print(`${out.pending} ${status}`);
  out.pending = null;
  out.pendingNode = null;
}

/** Console methods whose output is framed as test output. */
const CONSOLE_METHODS = [
  "log",
  "info",
  "debug",
  "warn",
  "error",
  "dir",
  "dirxml",
  "table",
  "trace",
  "group",
  "groupCollapsed",
  "count",
  "timeLog",
  "timeEnd",
  "assert",
];

/** Originals of the wrapped console methods while a test runs. */
let savedConsole = null;

/** Frames console output made by a test in `------- output -------` lines. */
function captureConsole() {
  savedConsole = new Map();
  for (const method of CONSOLE_METHODS) {
    const original = console[method];
    if (typeof original !== "function") continue;
    savedConsole.set(method, original);
    console[method] = function (...args) {
      if (!(method === "assert" && args[0]) && !out.inOutput) {
        flushPending();
        print("------- output -------");
        out.inOutput = true;
      }
      return original.apply(this, args);
    };
  }
}

/** Undoes `captureConsole`, closing any open output block. */
function restoreConsole() {
  outputEnd();
  for (const [method, original] of savedConsole) console[method] = original;
  savedConsole = null;
}

/** Deno's short duration: `12ms`, `3s`, `1m5s`. */
function humanElapsed(ms) {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60000) return `${Math.floor(ms / 1000)}s`;
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

/** A test's duration: microseconds below one millisecond. */
function testElapsed(ms) {
  return ms < 1
    ? `${Math.floor(ms * 1000)}\u00b5s`
    : humanElapsed(Math.floor(ms));
}

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

/** Deno's error for a step its parent did not wait for. */
const INCOMPLETE_MESSAGE =
  "Didn't complete before parent. Await step with `await t.step(...)`.";

/** Makes the tree node of a test (no parent) or step. */
function makeNode(name, fn, site, parent, file) {
  return {
    name,
    fn,
    site,
    parent,
    file,
    level: parent ? parent.level + 1 : 0,
    children: [],
    completed: false,
    reported: false,
    failed: false,
  };
}

/** `test ... step ... substep`, as listed in ERRORS and FAILURES. */
function fullName(node) {
  return node.parent ? `${fullName(node.parent)} ... ${node.name}` : node.name;
}

/** Records a failure for the ERRORS and FAILURES sections. */
function addFailure(node, error) {
  node.file.result.failures.push({
    name: fullName(node),
    location: locationLabel(node.site, node.file.fileLabel),
    error,
  });
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
function makeContext(node) {
  return {
    [Symbol.toStringTag]: "TestContext",
    name: node.name,
    parent: node.parent?.context,
    origin: node.file.origin ?? node.file.fileLabel,
    /** Runs a sub-step; resolves to whether it passed. */
    async step(nameOrFnOrOptions, maybeFn) {
      if (node.completed) {
        throw new Error(
          "Cannot run test step after parent scope has finished execution. " +
            "Ensure any `.step(...)` calls are executed before their parent scope completes execution.",
        );
      }
      const def = describeStep(nameOrFnOrOptions, maybeFn);
      const child = makeNode(
        escapeName(def.name),
        def.fn,
        userCallSite(),
        node,
        node.file,
      );
      node.children.push(child);
      reportWait(child);
      const start = performance.now();
      const outcome = def.ignore ? { kind: "ignored" } : await execute(child);
      child.completed = true;
      if (child.reported) return false;
      const elapsed = humanElapsed(Math.floor(performance.now() - start));
      report(child, outcome, elapsed);
      return outcome.kind === "ok";
    },
  };
}

/**
 * Runs a node's function and settles its children: resolves to
 * `{ kind: "ok" | "error" | "failedSteps" | "incompleteSteps", ... }`.
 */
async function execute(node) {
  node.context = makeContext(node);
  const fn = node.fn;
  let outcome;
  try {
    await fn(node.context);
    outcome = { kind: "ok" };
  } catch (error) {
    outcome = { kind: "error", error };
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

/** Reports a step that its parent did not wait for, with its sub-steps. */
function reportIncomplete(node) {
  for (const child of node.children) {
    if (!child.reported) reportIncomplete(child);
  }
  node.completed = true;
  report(node, { kind: "incomplete" }, null);
}

/** Prints a node's result line, counts it and records its failure. */
function report(node, outcome, elapsed) {
  node.reported = true;
  node.failed = outcome.kind !== "ok" && outcome.kind !== "ignored";
  const result = node.file.result;
  const isStep = node.level > 0;
  let status;
  switch (outcome.kind) {
    case "ok":
      status = "ok";
      break;
    case "ignored":
      status = "ignored";
      break;
    case "error":
      status = "FAILED";
      addFailure(node, formatError(outcome.error));
      break;
    case "failedSteps":
      status = `FAILED (due to ${outcome.count} failed step${
        outcome.count === 1 ? "" : "s"
      })`;
      break;
    case "incompleteSteps":
      status = "FAILED (due to incomplete steps)";
      break;
    case "incomplete":
      status = "INCOMPLETE";
      addFailure(node, INCOMPLETE_MESSAGE);
      break;
  }
  const counter = node.failed
    ? "failed"
    : outcome.kind === "ok"
    ? "passed"
    : "ignored";
  if (isStep) result[`${counter}Steps`]++;
  else result[counter]++;
  reportResult(node, elapsed === null ? status : `${status} (${elapsed})`);
}

/** Turns the `filter` option into a name predicate (`/re/` is a RegExp). */
function nameFilter(filter) {
  if (!filter) return () => true;
  if (filter.length > 1 && filter.startsWith("/") && filter.endsWith("/")) {
    const re = new RegExp(filter.slice(1, -1));
    return (name) => re.test(name);
  }
  return (name) => name.includes(filter);
}

/** A fresh per-file result. */
function emptyResult(fileLabel) {
  return {
    fileLabel,
    passed: 0,
    failed: 0,
    ignored: 0,
    filtered: 0,
    passedSteps: 0,
    failedSteps: 0,
    ignoredSteps: 0,
    onlyUsed: false,
    failures: [],
  };
}

/**
 * Runs the tests registered so far, in order, then clears the registry.
 * `filter` keeps names containing it (or matching it, written `/regex/`);
 * then, if any kept test is `only`, those run alone; `failFast` stops after
 * the first failing test.
 * Resolves to the file's result for `printSummary`:
 * `{ fileLabel, passed, failed, ignored, filtered, passedSteps, failedSteps,
 * ignoredSteps, onlyUsed, failures: [{ name, location, error }] }`.
 */
export async function runTests({ filter, failFast = false, fileLabel } = {}) {
  markStart();
  const registered = registry.splice(0);
  const result = emptyResult(fileLabel);
  const matches = nameFilter(filter);
  const matching = registered.filter((desc) => matches(desc.name));
  result.onlyUsed = matching.some((desc) => desc.only);
  const selected = result.onlyUsed
    ? matching.filter((desc) => desc.only)
    : matching;
  result.filtered = registered.length - selected.length;
  if (!filter || selected.length > 0) {
    const n = selected.length;
    print(`running ${n} test${n === 1 ? "" : "s"} from ${fileLabel}`);
  }
  for (const desc of selected) {
    const file = { fileLabel, origin: desc.site?.url, result };
    const node = makeNode(desc.name, desc.fn, desc.site, null, file);
    reportWait(node);
    if (desc.ignore) {
      report(node, { kind: "ignored" }, "0ms");
      continue;
    }
    captureConsole();
    const start = performance.now();
    let outcome;
    try {
      outcome = await execute(node);
    } finally {
      restoreConsole();
    }
    report(node, outcome, testElapsed(performance.now() - start));
    if (failFast && node.failed) break;
  }
  flushPending();
  return result;
}

/**
 * Records a module that threw while loading (or an error no test caught),
 * printing `Uncaught error from <file> FAILED` and dropping the tests it
 * registered; returns a per-file result for `printSummary` that counts it
 * as one failed test. `error` is a thrown value or an already formatted
 * message (a leading `error: Uncaught ` is dropped, as Deno does).
 */
export function uncaughtError(fileLabel, error) {
  markStart();
  registry.length = 0;
  print(`Uncaught error from ${fileLabel} FAILED`);
  const result = emptyResult(fileLabel);
  result.failed = 1;
  result.failures.push({
    name: `${fileLabel} (uncaught error)`,
    location: null,
    error: `${
      typeof error === "string"
        ? error.replace(/^(error: )?(Uncaught )?/, "")
        : formatError(error)
    }\n` +
      "This error was not caught from a test and caused the test runner to fail on the referenced module.\n" +
      "It most likely originated from a dangling promise, event/timeout handler or top-level code.",
  });
  return result;
}

/** ` (N steps)` after a count, or nothing for zero steps. */
function stepsText(n) {
  return n === 0 ? "" : ` (${n} step${n === 1 ? "" : "s"})`;
}

/**
 * Prints the end of the run from the per-file results: the ERRORS and
 * FAILURES sections, the `ok | ...` / `FAILED | ...` line, the error that
 * fails the run, and finally `<passed> passed, <failed> failed` alone on its
 * line. Returns the exit code: 1 if a test failed or `only` was used.
 */
export function printSummary(results) {
  markStart();
  const total = {
    passed: 0,
    failed: 0,
    ignored: 0,
    filtered: 0,
    passedSteps: 0,
    failedSteps: 0,
    ignoredSteps: 0,
  };
  const failures = [];
  let onlyUsed = false;
  for (const result of results) {
    for (const key of Object.keys(total)) total[key] += result[key] ?? 0;
    failures.push(...result.failures);
    onlyUsed ||= result.onlyUsed;
  }
  const title = (f) => f.location ? `${f.name} => ${f.location}` : f.name;
  if (failures.length > 0) {
    print("");
    print(" ERRORS ");
    print("");
    for (const failure of failures) {
      print(title(failure));
      print(`error: ${failure.error}`);
      print("");
    }
    print(" FAILURES ");
    print("");
    for (const failure of failures) print(title(failure));
  }
  let counts = `${total.passed} passed${
    stepsText(total.passedSteps)
  } | ${total.failed} failed${stepsText(total.failedSteps)}`;
  if (total.ignored > 0 || total.ignoredSteps > 0) {
    counts += ` | ${total.ignored} ignored${stepsText(total.ignoredSteps)}`;
  }
  if (total.filtered > 0) counts += ` | ${total.filtered} filtered out`;
  const failed = total.failed > 0;
  const elapsed = humanElapsed(Math.floor(performance.now() - runStart));
  print("");
  print(`${failed ? "FAILED" : "ok"} | ${counts} (${elapsed})`);
  print("");
  if (failed) print("error: Test failed");
  else if (onlyUsed) {
    print('error: Test failed because the "only" option was used');
  }
  print(`${total.passed} passed, ${total.failed} failed`);
  return failed || onlyUsed ? 1 : 0;
}
