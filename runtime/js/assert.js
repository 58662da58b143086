// The `@std/assert` module (v1 API), served for `@std/assert` and
// `jsr:@std/assert` imports. Messages follow @std/assert's wording; diffs
// are built from `Deno.inspect` output, without colors.

/** Error thrown when an assertion fails. */
export class AssertionError extends Error {
  /** Creates an assertion error with the given message. */
  constructor(message, options) {
    super(message, options);
    this.name = "AssertionError";
  }
}

// ---------------------------------------------------------------------------
// Formatting and diffing

/** Formats a value the way @std/assert does for diffs and messages. */
function format(value) {
  const inspect = globalThis.Deno?.inspect;
  if (typeof inspect !== "function") {
    return `"${String(value).replace(/(?=["\\])/g, "\\")}"`;
  }
  return inspect(value, {
    depth: Infinity,
    sorted: true,
    trailingComma: true,
    compact: false,
    iterableLimit: Infinity,
    getters: true,
    strAbbreviateSize: Infinity,
  });
}

/** Most steps a diff explores before giving up (under a second here). */
const MAX_DIFF_STEPS = 200_000;
const TOO_MANY_STEPS = Symbol("too many diff steps");

/**
 * Line diff of `a` (actual) against `b` (expected): a list of
 * `{ type: "common" | "removed" | "added", value }`. The algorithm is the one
 * @std/assert uses (an O(NP) shortest edit script after the common prefix,
 * Wu, Manber, Myers and Miller 1990), with the same choices between equally
 * short scripts, so that the hunks come out in the same order.
 */
function diff(a, b) {
  let prefix = 0;
  if (a.length > 0 && b.length > 0) {
    while (
      prefix < a.length && prefix < b.length && a[prefix] !== undefined &&
      a[prefix] === b[prefix]
    ) prefix++;
  }
  const common = a.slice(0, prefix).map((value) => ({ type: "common", value }));
  // `long` is the longer remainder; `swapped` when that is the expected one.
  let long = a.slice(prefix);
  let short = b.slice(prefix);
  const swapped = short.length > long.length;
  if (swapped) [long, short] = [short, long];
  const fromLong = swapped ? "added" : "removed";
  const fromShort = swapped ? "removed" : "added";
  const M = long.length;
  const N = short.length;
  if (M === 0 && N === 0 && prefix === 0) return [];
  if (N === 0) {
    return [...common, ...long.map((value) => ({ type: fromLong, value }))];
  }

  // The edit graph's paths, as a tree of steps: step i came from
  // `previous[i]` by `step[i]` (0 for the root).
  const LONG = 1;
  const SHORT = 2;
  const BOTH = 3;
  const previous = [0];
  const step = [0];
  const addStep = (from, kind) => {
    if (previous.length >= MAX_DIFF_STEPS) throw TOO_MANY_STEPS;
    previous.push(from);
    step.push(kind);
    return previous.length - 1;
  };
  const offset = N;
  const delta = M - N;
  // furthest[k + offset]: the furthest point reached on diagonal k
  // (x = y + k in `long`, y in `short`), or y -1 when not reached yet.
  const furthest = Array.from({ length: M + N + 1 }, () => ({ y: -1, id: -1 }));

  const reach = (k) => {
    const fromLeft = furthest[k + offset - 1];
    const fromRight = furthest[k + offset + 1];
    let point;
    if (fromLeft?.y === -1 && fromRight?.y === -1) {
      point = { y: 0, id: 0 };
    } else {
      // Take an element of `long` (coming from diagonal k - 1) unless
      // diagonal k + 1 reaches at least as far.
      const takeLong = fromRight?.y === -1 || k === M ||
        (fromLeft?.y ?? 0) > (fromRight?.y ?? 0) + 1;
      if (fromLeft && takeLong) {
        point = { y: fromLeft.y, id: addStep(fromLeft.id, LONG) };
      } else if (fromRight && !takeLong) {
        point = { y: fromRight.y + 1, id: addStep(fromRight.id, SHORT) };
      } else {
        throw new Error("diff: no path to extend");
      }
    }
    while (
      point.y + k < M && point.y < N && long[point.y + k] === short[point.y]
    ) {
      point.id = addStep(point.id, BOTH);
      point.y++;
    }
    furthest[k + offset] = point;
  };

  try {
    for (let p = 0; furthest[delta + offset].y < N; p++) {
      for (let k = -p; k < delta; k++) reach(k);
      for (let k = delta + p; k > delta; k--) reach(k);
      reach(delta);
    }
  } catch (e) {
    if (e !== TOO_MANY_STEPS) throw e;
    // Too different to diff in reasonable time here: everything changed.
    return [
      ...common,
      ...a.slice(prefix).map((value) => ({ type: "removed", value })),
      ...b.slice(prefix).map((value) => ({ type: "added", value })),
    ];
  }

  const edits = [];
  let x = M - 1;
  let y = N - 1;
  for (let id = furthest[delta + offset].id; step[id] !== 0; id = previous[id]) {
    if (step[id] === LONG) {
      edits.push({ type: fromLong, value: long[x--] });
    } else if (step[id] === SHORT) {
      edits.push({ type: fromShort, value: short[y--] });
    } else {
      edits.push({ type: "common", value: long[x--] });
      y--;
    }
  }
  return [...common, ...edits.reverse()];
}

/** Makes whitespace control characters and line breaks visible. */
function unescape(text) {
  return text
    .replaceAll("\b", "\\b")
    .replaceAll("\f", "\\f")
    .replaceAll("\t", "\\t")
    .replaceAll("\v", "\\v")
    .replace(
      /\r\n|\r|\n/g,
      (s) => s === "\r" ? "\\r" : s === "\n" ? "\\n\n" : "\\r\\n\r\n",
    );
}

/** Splits text into lines that keep their line terminator. */
function tokenizeLines(text) {
  const tokens = [];
  const parts = text.split(/(\n|\r\n)/).filter((part) => part);
  for (let i = 0; i < parts.length; i++) {
    if (i % 2) tokens[tokens.length - 1] += parts[i];
    else tokens.push(parts[i]);
  }
  return tokens;
}

const SIGNS = { common: "    ", removed: "-   ", added: "+   " };

/** Builds the `[Diff] Actual / Expected` section for two values. */
function buildDiffMessage(actual, expected) {
  const stringDiff = typeof actual === "string" && typeof expected === "string";
  const lines = stringDiff
    ? diff(
      tokenizeLines(`${unescape(actual)}\n`),
      tokenizeLines(`${unescape(expected)}\n`),
    )
    : diff(format(actual).split("\n"), format(expected).split("\n"));
  const diffLines = lines.map(({ type, value }) => SIGNS[type] + value);
  return [
    "",
    "",
    "    [Diff] Actual / Expected",
    "",
    "",
    ...(stringDiff ? [diffLines.join("")] : diffLines),
    "",
  ].join("\n");
}

/** Suffix @std/assert appends to its messages: `: msg` or `.`. */
function suffix(msg) {
  return msg ? `: ${msg}` : ".";
}

const ANSI_PATTERN = new RegExp(
  [
    "[\\u001B\\u009B][[\\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]+)*|[a-zA-Z\\d]+(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]*)*)?\\u0007)",
    "(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PR-TXZcf-nq-uy=><~]))",
  ].join("|"),
  "g",
);

/** Removes ANSI escape codes from a string. */
function stripAnsiCode(text) {
  return text.replace(ANSI_PATTERN, "");
}

// ---------------------------------------------------------------------------
// Deep equality

/** True for values compared by identity only. */
function isPrimitive(x) {
  return x == null || (typeof x !== "object" && typeof x !== "function");
}

/** SameValueZero: `===` plus NaN equal to itself. */
function sameValueZero(a, b) {
  return a === b || (a !== a && b !== b);
}

/** Same prototype, treating `Object.prototype` and `null` as equal. */
function prototypesEqual(a, b) {
  const pa = Object.getPrototypeOf(a);
  const pb = Object.getPrototypeOf(b);
  return pa === pb ||
    (pa === Object.prototype && pb === null) ||
    (pa === null && pb === Object.prototype);
}

/** True for plain objects, null-prototype objects and arrays. */
function isBasicObjectOrArray(obj) {
  const proto = Object.getPrototypeOf(obj);
  return proto === null || proto === Object.prototype ||
    proto === Array.prototype;
}

/**
 * V8's private symbols are invisible to scripts; the QuickJS backend (v8x)
 * emulates them as ordinary symbols described `v82jsc_private:<name>` (e.g.
 * deno_core's `call_site_evals` on every error), which would make any two
 * errors unequal. They are left out, so that `equal` sees what it sees on V8.
 */
function isEnginePrivate(key) {
  return typeof key === "symbol" &&
    key.description?.startsWith("v82jsc_private:") === true;
}

/** Own string and symbol keys, enumerable or not. */
function ownKeys(obj) {
  return [
    ...Object.getOwnPropertyNames(obj),
    ...Object.getOwnPropertySymbols(obj).filter((key) => !isEnginePrivate(key)),
  ];
}

/**
 * Own and inherited keys up to `Object.prototype`/`Array.prototype`, so
 * that getters of class instances are compared too (an error's `stack`
 * included, as @std/assert does).
 */
function getKeysDeep(obj) {
  const keys = new Set();
  for (
    let o = obj;
    o != null && o !== Object.prototype && o !== Array.prototype;
    o = Object.getPrototypeOf(o)
  ) {
    for (const key of ownKeys(o)) keys.add(key);
  }
  return keys;
}

/** Prototypes whose instances are equal when their `String()` forms are. */
const stringComparablePrototypes = new Set(
  [
    RegExp,
    globalThis.URL,
    globalThis.URLSearchParams,
    globalThis.Intl?.Locale,
    ...[
      "Duration",
      "Instant",
      "PlainDate",
      "PlainDateTime",
      "PlainTime",
      "PlainYearMonth",
      "PlainMonthDay",
      "ZonedDateTime",
    ].map((name) => globalThis.Temporal?.[name]),
  ].filter((ctor) => typeof ctor === "function").map((ctor) => ctor.prototype),
);

const TypedArray = Object.getPrototypeOf(Uint8Array);

/** Element-wise SameValueZero comparison of two typed arrays. */
function compareTypedArrays(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!sameValueZero(a[i], b[i])) return false;
  }
  return true;
}

/**
 * Deep equality as used by `assertEquals`: primitives by SameValueZero
 * (`NaN` equals `NaN`, `0` equals `-0`), objects by prototype and keys
 * (plain objects and arrays: own enumerable string and symbol keys; other
 * objects: all own and inherited keys, so getters and an error's `stack`
 * count), Maps and
 * Sets regardless of order, Dates by time, RegExps and URLs by their string
 * form, typed arrays and ArrayBuffers by content; cycles are handled.
 * Throws a TypeError for WeakMap and WeakSet instances.
 */
export function equal(a, b) {
  const seen = new Map();
  return (function compare(a, b) {
    if (sameValueZero(a, b)) return true;
    if (isPrimitive(a) || isPrimitive(b)) return false;
    if (a instanceof Date && b instanceof Date) {
      return Object.is(a.getTime(), b.getTime());
    }
    if (typeof a !== "object" || typeof b !== "object") return false;
    if (!prototypesEqual(a, b)) return false;
    if (a instanceof TypedArray) return compareTypedArrays(a, b);
    if (
      a instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer === "function" &&
        a instanceof SharedArrayBuffer)
    ) {
      return compareTypedArrays(new Uint8Array(a), new Uint8Array(b));
    }
    if (a instanceof WeakMap) {
      throw new TypeError("Cannot compare WeakMap instances");
    }
    if (a instanceof WeakSet) {
      throw new TypeError("Cannot compare WeakSet instances");
    }
    if (typeof WeakRef === "function" && a instanceof WeakRef) {
      return compare(a.deref(), b.deref());
    }
    if (seen.get(a) === b) return true;
    if (Object.keys(a).length !== Object.keys(b).length) return false;
    seen.set(a, b);
    if (
      (a instanceof Map || a instanceof Set) &&
      (b instanceof Map || b instanceof Set)
    ) {
      if (a.size !== b.size) return false;
      const aKeys = [...a.keys()];
      if (aKeys.every(isPrimitive)) {
        if (a instanceof Set) return aKeys.every((key) => b.has(key));
        return aKeys.every((key) =>
          b.has(key) && compare(a.get(key), b.get(key))
        );
      }
      let unmatched = a.size;
      for (const [aKey, aValue] of a.entries()) {
        for (const [bKey, bValue] of b.entries()) {
          if (!compare(aKey, bKey)) continue;
          if ((aKey === aValue && bKey === bValue) || compare(aValue, bValue)) {
            unmatched--;
            break;
          }
        }
      }
      return unmatched === 0;
    }
    let keys;
    if (isBasicObjectOrArray(a)) {
      // Plain objects and arrays: their own enumerable keys only.
      keys = ownKeys({ ...a, ...b });
    } else if (stringComparablePrototypes.has(Object.getPrototypeOf(a))) {
      return String(a) === String(b);
    } else {
      keys = getKeysDeep(a);
      for (const key of getKeysDeep(b)) keys.add(key);
    }
    for (const key of keys) {
      if (!compare(a[key], b[key])) return false;
      if ((key in a) !== (key in b)) return false;
    }
    return true;
  })(a, b);
}

// ---------------------------------------------------------------------------
// Assertions

/** Asserts that `expr` is truthy. */
export function assert(expr, msg = "") {
  if (!expr) throw new AssertionError(msg);
}

/** Asserts that `expr` is falsy. */
export function assertFalse(expr, msg = "") {
  if (expr) throw new AssertionError(msg);
}

/** Asserts that `actual` and `expected` are deeply equal (see `equal`). */
export function assertEquals(actual, expected, msg) {
  if (equal(actual, expected)) return;
  throw new AssertionError(
    `Values are not equal${suffix(msg)}\n${buildDiffMessage(actual, expected)}`,
  );
}

/** Asserts that `actual` and `expected` are not deeply equal. */
export function assertNotEquals(actual, expected, msg) {
  if (!equal(actual, expected)) return;
  throw new AssertionError(
    `Expected actual: ${format(actual)} not to be: ${format(expected)}${
      suffix(msg)
    }`,
  );
}

/** Asserts that `actual` and `expected` are the same value (`Object.is`). */
export function assertStrictEquals(actual, expected, msg) {
  if (Object.is(actual, expected)) return;
  const actualString = format(actual);
  if (actualString === format(expected)) {
    const indented = actualString.split("\n").map((line) => `    ${line}`)
      .join("\n");
    throw new AssertionError(
      `Values have the same structure but are not reference-equal${
        suffix(msg)
      }\n\n${indented}\n`,
    );
  }
  throw new AssertionError(
    `Values are not strictly equal${suffix(msg)}\n${
      buildDiffMessage(actual, expected)
    }`,
  );
}

/** Asserts that `actual` and `expected` are not the same value (`Object.is`). */
export function assertNotStrictEquals(actual, expected, msg) {
  if (!Object.is(actual, expected)) return;
  throw new AssertionError(
    `Expected "actual" to not be strictly equal to: ${format(actual)}${
      suffix(msg)
    }\n`,
  );
}

/** Asserts that `actual` is neither `null` nor `undefined`. */
export function assertExists(actual, msg) {
  if (actual === undefined || actual === null) {
    throw new AssertionError(
      `Expected actual: "${actual}" to not be null or undefined${suffix(msg)}`,
    );
  }
}

/** Asserts that `actual` is an instance of `expectedType`. */
export function assertInstanceOf(actual, expectedType, msg = "") {
  if (actual instanceof expectedType) return;
  const msgSuffix = suffix(msg);
  const expectedTypeStr = expectedType.name;
  let actualTypeStr;
  if (actual === null) actualTypeStr = "null";
  else if (actual === undefined) actualTypeStr = "undefined";
  else if (typeof actual === "object") {
    actualTypeStr = actual.constructor?.name ?? "Object";
  } else actualTypeStr = typeof actual;
  if (expectedTypeStr === actualTypeStr) {
    msg =
      `Expected object to be an instance of "${expectedTypeStr}"${msgSuffix}`;
  } else if (actualTypeStr === "function") {
    msg =
      `Expected object to be an instance of "${expectedTypeStr}" but was not an instanced object${msgSuffix}`;
  } else {
    msg =
      `Expected object to be an instance of "${expectedTypeStr}" but was "${actualTypeStr}"${msgSuffix}`;
  }
  throw new AssertionError(msg);
}

/** Asserts that `actual` is not an instance of `unexpectedType`. */
export function assertNotInstanceOf(actual, unexpectedType, msg) {
  assertFalse(
    actual instanceof unexpectedType,
    `Expected object to not be an instance of "${typeof unexpectedType}"${
      suffix(msg)
    }`,
  );
}

/** Asserts that `actual` matches the regular expression `expected`. */
export function assertMatch(actual, expected, msg) {
  if (expected.test(actual)) return;
  throw new AssertionError(
    `Expected actual: "${actual}" to match: "${expected}"${suffix(msg)}`,
  );
}

/** Asserts that `actual` does not match the regular expression `expected`. */
export function assertNotMatch(actual, expected, msg) {
  if (!expected.test(actual)) return;
  throw new AssertionError(
    `Expected actual: "${actual}" to not match: "${expected}"${suffix(msg)}`,
  );
}

/** Asserts that the string `actual` contains `expected`. */
export function assertStringIncludes(actual, expected, msg) {
  if (actual.includes(expected)) return;
  throw new AssertionError(
    `Expected actual: "${actual}" to contain: "${expected}"${suffix(msg)}`,
  );
}

/** Asserts that the array-like `actual` contains every element of `expected` (deep equality). */
export function assertArrayIncludes(actual, expected, msg) {
  const missing = [];
  for (let i = 0; i < expected.length; i++) {
    let found = false;
    for (let j = 0; j < actual.length; j++) {
      if (equal(expected[i], actual[j])) {
        found = true;
        break;
      }
    }
    if (!found) missing.push(expected[i]);
  }
  if (missing.length === 0) return;
  throw new AssertionError(
    `Expected actual: "${format(actual)}" to include: "${format(expected)}"${
      suffix(msg)
    }\nmissing: ${format(missing)}`,
  );
}

/** True for non-null objects. */
function isObject(value) {
  return typeof value === "object" && value !== null;
}

/** Defines an own data property (so that a `__proto__` key stays a key). */
function defineProperty(target, key, value) {
  return Object.defineProperty(target, key, {
    value,
    configurable: true,
    enumerable: true,
    writable: true,
  });
}

/** Intersection of two sets, in the order of `a`. */
function setIntersection(a, b) {
  return new Set([...a].filter((value) => b.has(value)));
}

/**
 * Projects `a` onto the shape of `b`: keeps only the keys (and array
 * indexes, map keys, set members) that `b` has, recursively.
 */
function filterLike(a, b) {
  const seen = new WeakMap();

  function filterValue(value, subset) {
    // RegExps and Dates are kept whole (their pattern or time is no key).
    if (value instanceof RegExp || value instanceof Date) return value;
    if (Array.isArray(value) && Array.isArray(subset)) {
      return filterArray(value, subset);
    }
    if (isObject(value) && isObject(subset)) {
      if (value instanceof Map && subset instanceof Map) {
        return new Map(
          [...value].filter(([k]) => subset.has(k)).map(([k, v]) => {
            const v2 = subset.get(k);
            return [k, isObject(v) && isObject(v2) ? filterObject(v, v2) : v];
          }),
        );
      }
      if (value instanceof Set && subset instanceof Set) {
        return setIntersection(value, subset);
      }
      return filterObject(value, subset);
    }
    return value;
  }

  function filterObject(a, b) {
    if (isObject(a) && seen.get(a) === b) return a;
    try {
      seen.set(a, b);
    } catch (err) {
      if (err instanceof TypeError) {
        throw new TypeError(
          `Cannot assertObjectMatch ${a === null ? null : `type ${typeof a}`}`,
        );
      }
    }
    const filtered = {};
    const keysA = Reflect.ownKeys(a);
    const keysB = Reflect.ownKeys(b);
    const common = keysA.filter((key) => keysB.includes(key));
    if (keysA.length && keysB.length && !common.length) {
      for (const key of keysA) defineProperty(filtered, key, a[key]);
      return filtered;
    }
    for (const key of common) {
      defineProperty(filtered, key, filterValue(a[key], b[key]));
    }
    return filtered;
  }

  function filterArray(a, b) {
    if (seen.get(a) === b) return a;
    seen.set(a, b);
    const filtered = [];
    const count = Math.min(a.length, b.length);
    for (let i = 0; i < count; i++) filtered.push(filterValue(a[i], b[i]));
    return filtered;
  }

  return filterObject(a, b);
}

/** Asserts that `actual` contains (recursively) the properties of `expected`. */
export function assertObjectMatch(actual, expected, msg) {
  return assertEquals(
    filterLike(actual, expected),
    filterLike(expected, expected),
    msg,
  );
}

/**
 * Asserts that `actual` is within `tolerance` of `expected` (default: 1e-7
 * relative to `expected`, or 1e-7 absolute for non-finite `expected`).
 */
export function assertAlmostEquals(actual, expected, tolerance, msg) {
  if (Object.is(actual, expected)) return;
  const delta = Math.abs(expected - actual);
  if (tolerance === undefined) {
    tolerance = isFinite(expected) ? Math.abs(expected * 1e-7) : 1e-7;
  }
  if (delta <= tolerance) return;
  const f = (n) => Number.isInteger(n) ? n : n.toExponential();
  throw new AssertionError(
    `Expected actual: "${f(actual)}" to be close to "${f(expected)}": delta "${
      f(delta)
    }" is greater than "${f(tolerance)}"${suffix(msg)}`,
  );
}

/** Asserts that `actual > expected`. */
export function assertGreater(actual, expected, msg) {
  if (actual > expected) return;
  throw new AssertionError(
    msg ?? `Expect ${format(actual)} > ${format(expected)}`,
  );
}

/** Asserts that `actual >= expected`. */
export function assertGreaterOrEqual(actual, expected, msg) {
  if (actual >= expected) return;
  throw new AssertionError(
    msg ?? `Expect ${format(actual)} >= ${format(expected)}`,
  );
}

/** Asserts that `actual < expected`. */
export function assertLess(actual, expected, msg) {
  if (actual < expected) return;
  throw new AssertionError(
    msg ?? `Expect ${format(actual)} < ${format(expected)}`,
  );
}

/** Asserts that `actual <= expected`. */
export function assertLessOrEqual(actual, expected, msg) {
  if (actual <= expected) return;
  throw new AssertionError(
    msg ?? `Expect ${format(actual)} <= ${format(expected)}`,
  );
}

/**
 * Asserts that `error` is an Error, optionally an instance of `ErrorClass`
 * whose message includes the string (or matches the RegExp) `msgMatches`.
 */
export function assertIsError(error, ErrorClass, msgMatches, msg) {
  const msgSuffix = suffix(msg);
  if (!(error instanceof Error)) {
    throw new AssertionError(
      `Expected "error" to be an Error object${msgSuffix}`,
    );
  }
  if (ErrorClass && !(error instanceof ErrorClass)) {
    throw new AssertionError(
      `Expected error to be instance of "${ErrorClass.name}", but was "${error?.constructor?.name}"${msgSuffix}`,
    );
  }
  let msgCheck;
  if (typeof msgMatches === "string") {
    msgCheck = stripAnsiCode(error.message).includes(stripAnsiCode(msgMatches));
  }
  if (msgMatches instanceof RegExp) {
    msgCheck = msgMatches.test(stripAnsiCode(error.message));
  }
  if (msgMatches && !msgCheck) {
    throw new AssertionError(
      `Expected error message to include ${
        msgMatches instanceof RegExp
          ? msgMatches.toString()
          : JSON.stringify(msgMatches)
      }, but got ${JSON.stringify(error?.message)}${msgSuffix}`,
    );
  }
}

/**
 * Sorts out the optional arguments of `assertThrows`/`assertRejects`: a
 * string second argument is the failure message; an Error class is
 * followed by the expected message text, then the failure message.
 */
function parseErrorArgs(errorClassOrMsg, msgIncludesOrMsg, msg) {
  if (typeof errorClassOrMsg === "string") {
    return {
      ErrorClass: undefined,
      msgIncludes: undefined,
      msg: errorClassOrMsg,
    };
  }
  if (
    errorClassOrMsg === undefined ||
    errorClassOrMsg?.prototype instanceof Error ||
    errorClassOrMsg?.prototype === Error.prototype
  ) {
    return { ErrorClass: errorClassOrMsg, msgIncludes: msgIncludesOrMsg, msg };
  }
  return {
    ErrorClass: undefined,
    msgIncludes: undefined,
    msg: msgIncludesOrMsg,
  };
}

/**
 * Asserts that `fn` throws; returns what it threw. Forms: `(fn, msg?)` and
 * `(fn, ErrorClass, msgIncludes?, msg?)`.
 */
export function assertThrows(fn, errorClassOrMsg, msgIncludesOrMsg, msg) {
  const args = parseErrorArgs(errorClassOrMsg, msgIncludesOrMsg, msg);
  const msgSuffix = suffix(args.msg);
  try {
    fn();
  } catch (error) {
    if (args.ErrorClass) {
      if (!(error instanceof Error)) {
        throw new AssertionError(`A non-Error object was thrown${msgSuffix}`);
      }
      assertIsError(error, args.ErrorClass, args.msgIncludes, args.msg);
    }
    return error;
  }
  throw new AssertionError(`Expected function to throw${msgSuffix}`);
}

/**
 * Asserts that the promise returned by `fn` rejects; resolves to the
 * rejection reason. Forms: `(fn, msg?)` and
 * `(fn, ErrorClass, msgIncludes?, msg?)`.
 */
export async function assertRejects(
  fn,
  errorClassOrMsg,
  msgIncludesOrMsg,
  msg,
) {
  const args = parseErrorArgs(errorClassOrMsg, msgIncludesOrMsg, msg);
  const msgSuffix = suffix(args.msg);
  let isPromiseReturned = false;
  try {
    const possiblePromise = fn();
    if (
      possiblePromise && typeof possiblePromise === "object" &&
      typeof possiblePromise.then === "function"
    ) {
      isPromiseReturned = true;
      await possiblePromise;
    }
  } catch (error) {
    if (!isPromiseReturned) {
      throw new AssertionError(
        `Function throws when expected to reject${msgSuffix}`,
      );
    }
    if (args.ErrorClass) {
      if (!(error instanceof Error)) {
        throw new AssertionError(`A non-Error object was rejected${msgSuffix}`);
      }
      assertIsError(error, args.ErrorClass, args.msgIncludes, args.msg);
    }
    return error;
  }
  if (!isPromiseReturned) {
    throw new AssertionError(
      `Function throws when expected to reject${msgSuffix}`,
    );
  }
  throw new AssertionError(`Expected function to reject${msgSuffix}`);
}

/** Throws an AssertionError: `Failed assertion`. */
export function fail(msg) {
  throw new AssertionError(`Failed assertion${suffix(msg)}`);
}

/** Throws an AssertionError: `Unreachable`. */
export function unreachable(msg) {
  throw new AssertionError(`Unreachable${suffix(msg)}`);
}

/** Throws an AssertionError: `Unimplemented`. */
export function unimplemented(msg) {
  throw new AssertionError(`Unimplemented${suffix(msg)}`);
}
