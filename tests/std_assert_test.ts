// Exercises every export of the built-in `@std/assert`: the passing path,
// the failing path and its message.

import {
  assert,
  assertAlmostEquals,
  assertArrayIncludes,
  assertEquals,
  assertExists,
  assertFalse,
  assertGreater,
  assertGreaterOrEqual,
  assertInstanceOf,
  AssertionError,
  assertIsError,
  assertLess,
  assertLessOrEqual,
  assertMatch,
  assertNotEquals,
  assertNotInstanceOf,
  assertNotMatch,
  assertNotStrictEquals,
  assertObjectMatch,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
  equal,
  fail,
  unimplemented,
  unreachable,
} from "@std/assert";

/** Runs `fn`, which must fail with an AssertionError; returns its message. */
function failureOf(fn: () => unknown): string {
  const err = assertThrows(fn, AssertionError) as AssertionError;
  return err.message;
}

/** The diff section @std/assert appends to `Values are not equal.`. */
function diffSection(lines: string[]): string {
  return `\n\n\n    [Diff] Actual / Expected\n\n\n${lines.join("\n")}\n`;
}

Deno.test("AssertionError is an Error named AssertionError", () => {
  const err = new AssertionError("boom");
  assert(err instanceof Error);
  assertStrictEquals(err.name, "AssertionError");
  assertStrictEquals(err.message, "boom");
  const cause = new Error("cause");
  assertStrictEquals(new AssertionError("x", { cause }).cause, cause);
});

Deno.test("assert", () => {
  assert(true);
  assert(1);
  assert("x");
  assert({});
  assertStrictEquals(failureOf(() => assert(false)), "");
  assertStrictEquals(failureOf(() => assert(0, "zero")), "zero");
  assertStrictEquals(failureOf(() => assert(null)), "");
});

Deno.test("assertFalse", () => {
  assertFalse(false);
  assertFalse(0);
  assertFalse("");
  assertFalse(null);
  assertFalse(undefined);
  assertStrictEquals(failureOf(() => assertFalse(true)), "");
  assertStrictEquals(failureOf(() => assertFalse(1, "one")), "one");
});

Deno.test("equal: primitives", () => {
  assert(equal(1, 1));
  assert(equal("a", "a"));
  assert(equal(NaN, NaN));
  assert(equal(0, -0));
  assert(equal(null, null));
  assert(equal(undefined, undefined));
  assert(equal(10n, 10n));
  const sym = Symbol("s");
  assert(equal(sym, sym));
  assertFalse(equal(Symbol("s"), Symbol("s")));
  assertFalse(equal(1, "1"));
  assertFalse(equal(null, undefined));
  assertFalse(equal(0, null));
  assertFalse(equal(1, {}));
  assertFalse(equal(() => {}, () => {}));
});

Deno.test("equal: objects and arrays", () => {
  assert(equal({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }));
  assertFalse(equal({ a: 1 }, { a: 2 }));
  assertFalse(equal({ a: 1 }, { a: 1, b: 2 }));
  assertFalse(equal({ a: undefined }, {}));
  assertFalse(equal({}, { a: undefined }));
  assert(equal([1, [2, 3]], [1, [2, 3]]));
  assertFalse(equal([1, 2], [2, 1]));
  assertFalse(equal([1], [1, 2]));
  // deno-lint-ignore no-sparse-arrays
  assertFalse(equal([1, , 3], [1, undefined, 3]));
  assertFalse(equal([], {}));
  assert(equal(Object.create(null), {}));
  const s = Symbol("k");
  assert(equal({ [s]: 1 }, { [s]: 1 }));
  assertFalse(equal({ [s]: 1 }, { [s]: 2 }));
  assertFalse(equal({ [s]: 1 }, {}));
  // Plain objects compare their own enumerable keys only (as @std/assert
  // 1.0.19 under Deno 2.9.6).
  const hidden = {};
  Object.defineProperty(hidden, "x", { value: 1, enumerable: false });
  assert(equal(hidden, {}));
  assertFalse(equal({ x: 1 }, hidden));
});

Deno.test("equal: class instances need the same prototype", () => {
  class A {
    x: number;
    constructor(x: number) {
      this.x = x;
    }
  }
  class B {
    x: number;
    constructor(x: number) {
      this.x = x;
    }
  }
  assert(equal(new A(1), new A(1)));
  assertFalse(equal(new A(1), new A(2)));
  assertFalse(equal(new A(1), new B(1)));
  assertFalse(equal(new A(1), { x: 1 }));
  class WithGetter {
    #v: number;
    constructor(v: number) {
      this.#v = v;
    }
    get v() {
      return this.#v;
    }
  }
  assert(equal(new WithGetter(1), new WithGetter(1)));
  assertFalse(equal(new WithGetter(1), new WithGetter(2)));
});

Deno.test("equal: Map and Set ignore order", () => {
  assert(equal(new Map([["a", 1], ["b", 2]]), new Map([["b", 2], ["a", 1]])));
  assertFalse(equal(new Map([["a", 1]]), new Map([["a", 2]])));
  assertFalse(equal(new Map([["a", 1]]), new Map([["b", 1]])));
  assertFalse(equal(new Map([["a", 1]]), new Map([["a", 1], ["b", 2]])));
  assert(equal(new Map([[{ k: 1 }, "x"]]), new Map([[{ k: 1 }, "x"]])));
  assertFalse(equal(new Map([[{ k: 1 }, "x"]]), new Map([[{ k: 2 }, "x"]])));
  assert(equal(new Set([1, 2, 3]), new Set([3, 2, 1])));
  assertFalse(equal(new Set([1, 2]), new Set([1, 3])));
  assertFalse(equal(new Set([1]), new Set([1, 2])));
  assert(equal(new Set([{ a: 1 }, { b: 2 }]), new Set([{ b: 2 }, { a: 1 }])));
  assertFalse(equal(new Set([{ a: 1 }]), new Set([{ a: 2 }])));
  assertFalse(equal(new Set([1]), new Map([[1, 1]])));
});

Deno.test("equal: Date, RegExp, URL", () => {
  assert(equal(new Date(2020, 1, 1), new Date(2020, 1, 1)));
  assertFalse(equal(new Date(2020, 1, 1), new Date(2020, 1, 2)));
  assert(equal(new Date(NaN), new Date(NaN)));
  assert(equal(/a+/gi, /a+/gi));
  assertFalse(equal(/a+/g, /a+/i));
  assertFalse(equal(/a/, /b/));
  if (typeof URL === "function") {
    assert(
      equal(new URL("https://example.com/a"), new URL("https://example.com/a")),
    );
    assertFalse(
      equal(new URL("https://example.com/a"), new URL("https://example.com/b")),
    );
  }
});

Deno.test("equal: typed arrays and ArrayBuffer", () => {
  assert(equal(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
  assertFalse(equal(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
  assertFalse(equal(new Uint8Array([1, 2]), new Uint16Array([1, 2])));
  assertFalse(equal(new Uint8Array([1]), new Uint8Array([1, 0])));
  assert(equal(new Float64Array([NaN]), new Float64Array([NaN])));
  assert(equal(new Uint8Array([1, 2]).buffer, new Uint8Array([1, 2]).buffer));
  assertFalse(
    equal(new Uint8Array([1, 2]).buffer, new Uint8Array([1, 3]).buffer),
  );
});

Deno.test("equal: cycles", () => {
  // deno-lint-ignore no-explicit-any
  const a: any = { x: 1 };
  a.self = a;
  // deno-lint-ignore no-explicit-any
  const b: any = { x: 1 };
  b.self = b;
  assert(equal(a, b));
  // deno-lint-ignore no-explicit-any
  const c: any = { x: 2 };
  c.self = c;
  assertFalse(equal(a, c));
});

Deno.test("equal: errors compare by class, message and stack", () => {
  // Two errors made at different places differ by their stack (as
  // @std/assert 1.0.19 under Deno 2.9.6).
  assertFalse(equal(new Error("x"), new Error("x")));
  const a = new Error("x");
  const b = new Error("x");
  b.stack = a.stack;
  assert(equal(a, b));
  const c = new Error("y");
  c.stack = a.stack;
  assertFalse(equal(a, c));
  assertFalse(equal(new TypeError("x"), new RangeError("x")));
});

Deno.test("equal: WeakMap and WeakSet cannot be compared", () => {
  assertThrows(
    () => equal(new WeakMap(), new WeakMap()),
    TypeError,
    "Cannot compare WeakMap instances",
  );
  assertThrows(
    () => equal(new WeakSet(), new WeakSet()),
    TypeError,
    "Cannot compare WeakSet instances",
  );
  const wm = new WeakMap();
  assert(equal(wm, wm));
  assertFalse(equal(new WeakMap(), new Map()));
});

Deno.test("assertEquals", () => {
  assertEquals(1, 1);
  assertEquals({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] });
  assertEquals(new Map([[1, new Set([2])]]), new Map([[1, new Set([2])]]));
  assertEquals(NaN, NaN);
  assertEquals(0, -0);
  assertStrictEquals(
    failureOf(() => assertEquals(1, 2)),
    `Values are not equal.${diffSection(["-   1", "+   2"])}`,
  );
  assertStrictEquals(
    failureOf(() => assertEquals(1, 2, "custom")),
    `Values are not equal: custom${diffSection(["-   1", "+   2"])}`,
  );
  assertStrictEquals(
    failureOf(() => assertEquals("foo", "bar")),
    "Values are not equal.\n\n\n    [Diff] Actual / Expected\n\n\n-   foo\n+   bar\n\n",
  );
  assertStrictEquals(
    failureOf(() => assertEquals("a\nb", "a\nc")),
    "Values are not equal.\n\n\n    [Diff] Actual / Expected\n\n\n    a\\n\n-   b\n+   c\n\n",
  );
  const message = failureOf(() => assertEquals({ a: 1, b: 2 }, { a: 1, b: 3 }));
  assertStringIncludes(message, "Values are not equal.\n");
  assertStringIncludes(message, "    [Diff] Actual / Expected");
  assertStringIncludes(message, "-     b: 2,\n+     b: 3,\n");
  assertStringIncludes(message, "      a: 1,\n");
  // Hunks come out as @std/assert 1.0.19's diff orders them under Deno 2.9.6:
  // here the added lines before the removed ones.
  assertStrictEquals(
    failureOf(() => assertEquals({ a: 1, b: "2", c: 3 }, { a: 1, b: 2, c: [3] })),
    `Values are not equal.${
      diffSection([
        "    {",
        "      a: 1,",
        "+     b: 2,",
        "+     c: [",
        "+       3,",
        "+     ],",
        '-     b: "2",',
        "-     c: 3,",
        "    }",
      ])
    }`,
  );
  assertStrictEquals(
    failureOf(() => assertEquals([1, 2, 3, 4], [1, 3, 5])),
    `Values are not equal.${
      diffSection([
        "    [",
        "      1,",
        "-     2,",
        "      3,",
        "-     4,",
        "+     5,",
        "    ]",
      ])
    }`,
  );
});

Deno.test("assertNotEquals", () => {
  assertNotEquals(1, 2);
  assertNotEquals({ a: 1 }, { a: 2 });
  assertStrictEquals(
    failureOf(() => assertNotEquals(1, 1)),
    "Expected actual: 1 not to be: 1.",
  );
  assertStrictEquals(
    failureOf(() => assertNotEquals(1, 1, "same")),
    "Expected actual: 1 not to be: 1: same",
  );
});

Deno.test("assertStrictEquals", () => {
  const obj = { a: 1 };
  assertStrictEquals(obj, obj);
  assertStrictEquals(NaN, NaN);
  assertStrictEquals("x", "x");
  assertStrictEquals(
    failureOf(() => assertStrictEquals(1, 2)),
    `Values are not strictly equal.${diffSection(["-   1", "+   2"])}`,
  );
  assertStrictEquals(
    failureOf(() => assertStrictEquals(0, -0, "zero")),
    `Values are not strictly equal: zero${diffSection(["-   0", "+   -0"])}`,
  );
  const same = failureOf(() => assertStrictEquals({ a: 1 }, { a: 1 }));
  assertStringIncludes(
    same,
    "Values have the same structure but are not reference-equal.\n\n    {\n",
  );
});

Deno.test("assertNotStrictEquals", () => {
  assertNotStrictEquals(1, 2);
  assertNotStrictEquals({}, {});
  assertStrictEquals(
    failureOf(() => assertNotStrictEquals(1, 1)),
    'Expected "actual" to not be strictly equal to: 1.\n',
  );
  assertStrictEquals(
    failureOf(() => assertNotStrictEquals(1, 1, "m")),
    'Expected "actual" to not be strictly equal to: 1: m\n',
  );
});

Deno.test("assertExists", () => {
  assertExists(0);
  assertExists("");
  assertExists(false);
  assertStrictEquals(
    failureOf(() => assertExists(null)),
    'Expected actual: "null" to not be null or undefined.',
  );
  assertStrictEquals(
    failureOf(() => assertExists(undefined, "m")),
    'Expected actual: "undefined" to not be null or undefined: m',
  );
});

Deno.test("assertInstanceOf", () => {
  assertInstanceOf(new TypeError(), Error);
  assertInstanceOf(new Date(), Date);
  assertStrictEquals(
    failureOf(() => assertInstanceOf(new RangeError(), TypeError)),
    'Expected object to be an instance of "TypeError" but was "RangeError".',
  );
  assertStrictEquals(
    failureOf(() => assertInstanceOf(null, Date, "m")),
    'Expected object to be an instance of "Date" but was "null": m',
  );
  assertStrictEquals(
    failureOf(() => assertInstanceOf(5, Date)),
    'Expected object to be an instance of "Date" but was "number".',
  );
  assertStrictEquals(
    failureOf(() => assertInstanceOf(() => {}, Date)),
    'Expected object to be an instance of "Date" but was not an instanced object.',
  );
});

Deno.test("assertNotInstanceOf", () => {
  assertNotInstanceOf(new Date(), Map);
  assertNotInstanceOf("x", String);
  assertStrictEquals(
    failureOf(() => assertNotInstanceOf(new Date(), Date)),
    'Expected object to not be an instance of "function".',
  );
});

Deno.test("assertMatch and assertNotMatch", () => {
  assertMatch("hello", /ell/);
  assertNotMatch("hello", /xyz/);
  assertStrictEquals(
    failureOf(() => assertMatch("hello", /xyz/)),
    'Expected actual: "hello" to match: "/xyz/".',
  );
  assertStrictEquals(
    failureOf(() => assertNotMatch("hello", /ell/, "m")),
    'Expected actual: "hello" to not match: "/ell/": m',
  );
});

Deno.test("assertStringIncludes", () => {
  assertStringIncludes("hello world", "o w");
  assertStrictEquals(
    failureOf(() => assertStringIncludes("hello", "bye")),
    'Expected actual: "hello" to contain: "bye".',
  );
});

Deno.test("assertArrayIncludes", () => {
  assertArrayIncludes([1, 2, 3], [3, 1]);
  assertArrayIncludes([{ a: 1 }, { b: 2 }], [{ b: 2 }]);
  assertArrayIncludes("abc", ["b"]);
  const message = failureOf(() => assertArrayIncludes([1, 2], [2, 3]));
  assertStringIncludes(message, 'Expected actual: "');
  assertStringIncludes(message, '" to include: "');
  assertStringIncludes(message, '".\nmissing: ');
});

Deno.test("assertObjectMatch", () => {
  assertObjectMatch({ a: 1, b: 2, c: { d: 3, e: 4 } }, { a: 1, c: { d: 3 } });
  assertObjectMatch({ list: [{ a: 1, b: 2 }, { a: 2 }] }, { list: [{ a: 1 }] });
  assertObjectMatch({ m: new Map([["k", { x: 1, y: 2 }]]) }, {
    m: new Map([["k", { x: 1 }]]),
  });
  assertObjectMatch({ s: new Set([1, 2]) }, { s: new Set([1]) });
  assertObjectMatch({ re: /x/g }, { re: /x/g });
  // Dates are compared whole, and a `__proto__` key is a key (as @std/assert
  // 1.0.19 under Deno 2.9.6).
  assertObjectMatch({ t: new Date(1000), x: 1 }, { t: new Date(1000) });
  failureOf(() => assertObjectMatch({ t: new Date(1000) }, { t: new Date(2000) }));
  const protoA = { ["__proto__"]: { polluted: true } };
  assertObjectMatch(protoA, { ["__proto__"]: { polluted: true } });
  assertStringIncludes(
    failureOf(() => assertObjectMatch(protoA, { ["__proto__"]: { polluted: false } })),
    "-       polluted: true,\n+       polluted: false,",
  );
  const message = failureOf(() => assertObjectMatch({ a: 1, b: 2 }, { a: 2 }));
  assertStringIncludes(message, "Values are not equal.");
  assertStringIncludes(message, "-     a: 1,\n+     a: 2,");
  assertStringIncludes(
    failureOf(() => assertObjectMatch({ a: 1 }, { a: 2 }, "custom")),
    "Values are not equal: custom",
  );
});

Deno.test("assertAlmostEquals", () => {
  assertAlmostEquals(0.1 + 0.2, 0.3);
  assertAlmostEquals(1, 1.05, 0.1);
  assertAlmostEquals(Infinity, Infinity);
  assertAlmostEquals(NaN, NaN);
  assertStrictEquals(
    failureOf(() => assertAlmostEquals(1, 2, 0.5)),
    'Expected actual: "1" to be close to "2": delta "1" is greater than "5e-1".',
  );
  assertStringIncludes(
    failureOf(() => assertAlmostEquals(1, 1.1, undefined, "m")),
    ": m",
  );
});

Deno.test("assertGreater, assertGreaterOrEqual, assertLess, assertLessOrEqual", () => {
  assertGreater(2, 1);
  assertGreaterOrEqual(2, 2);
  assertLess(1, 2);
  assertLessOrEqual(2, 2);
  assertStrictEquals(failureOf(() => assertGreater(1, 2)), "Expect 1 > 2");
  assertStrictEquals(
    failureOf(() => assertGreaterOrEqual(1, 2)),
    "Expect 1 >= 2",
  );
  assertStrictEquals(failureOf(() => assertLess(2, 1)), "Expect 2 < 1");
  assertStrictEquals(failureOf(() => assertLessOrEqual(3, 2)), "Expect 3 <= 2");
  assertStrictEquals(failureOf(() => assertGreater(1, 2, "custom")), "custom");
});

Deno.test("assertIsError", () => {
  assertIsError(new TypeError("bad input"));
  assertIsError(new TypeError("bad input"), TypeError, "input");
  assertIsError(new TypeError("bad input"), Error, /b.d/);
  assertStrictEquals(
    failureOf(() => assertIsError("nope")),
    'Expected "error" to be an Error object.',
  );
  assertStrictEquals(
    failureOf(() => assertIsError(new RangeError("x"), TypeError)),
    'Expected error to be instance of "TypeError", but was "RangeError".',
  );
  assertStrictEquals(
    failureOf(() => assertIsError(new Error("bar"), Error, "foo")),
    'Expected error message to include "foo", but got "bar".',
  );
  assertStrictEquals(
    failureOf(() => assertIsError(new Error("bar"), Error, /foo/, "m")),
    'Expected error message to include /foo/, but got "bar": m',
  );
});

Deno.test("assertThrows", () => {
  const thrown = new RangeError("out of range");
  assertStrictEquals(
    assertThrows(() => {
      throw thrown;
    }),
    thrown,
  );
  assertStrictEquals(
    assertThrows(() => {
      throw "str";
    }),
    "str",
  );
  assertStrictEquals(
    assertThrows(
      () => {
        throw thrown;
      },
      RangeError,
      "of range",
    ),
    thrown,
  );
  assertThrows(() => {
    throw thrown;
  }, Error);
  assertStrictEquals(
    failureOf(() => assertThrows(() => {})),
    "Expected function to throw.",
  );
  assertStrictEquals(
    failureOf(() => assertThrows(() => {}, "custom")),
    "Expected function to throw: custom",
  );
  assertStrictEquals(
    failureOf(() => assertThrows(() => {}, TypeError, "x", "custom")),
    "Expected function to throw: custom",
  );
  assertStrictEquals(
    failureOf(() =>
      assertThrows(() => {
        throw thrown;
      }, TypeError)
    ),
    'Expected error to be instance of "TypeError", but was "RangeError".',
  );
  assertStrictEquals(
    failureOf(() =>
      assertThrows(
        () => {
          throw new TypeError("bar");
        },
        TypeError,
        "foo",
      )
    ),
    'Expected error message to include "foo", but got "bar".',
  );
  assertStrictEquals(
    failureOf(() =>
      assertThrows(() => {
        throw "str";
      }, Error)
    ),
    "A non-Error object was thrown.",
  );
});

Deno.test("assertRejects", async () => {
  const rejected = new TypeError("nope");
  assertStrictEquals(
    await assertRejects(() => Promise.reject(rejected)),
    rejected,
  );
  assertStrictEquals(
    await assertRejects(
      async () => {
        await Promise.resolve();
        throw rejected;
      },
      TypeError,
      "no",
    ),
    rejected,
  );
  assertStrictEquals(await assertRejects(() => Promise.reject("str")), "str");
  const messageOf = async (fn: () => Promise<unknown>) => {
    const err = await assertRejects(fn, AssertionError) as AssertionError;
    return err.message;
  };
  assertStrictEquals(
    await messageOf(() => assertRejects(() => Promise.resolve())),
    "Expected function to reject.",
  );
  assertStrictEquals(
    await messageOf(() => assertRejects(() => Promise.resolve(), "custom")),
    "Expected function to reject: custom",
  );
  assertStrictEquals(
    await messageOf(() =>
      assertRejects(
        (() => {
          throw rejected;
        }) as () => Promise<void>,
      )
    ),
    "Function throws when expected to reject.",
  );
  assertStrictEquals(
    await messageOf(() =>
      assertRejects((() => 1) as unknown as () => Promise<void>)
    ),
    "Function throws when expected to reject.",
  );
  assertStrictEquals(
    await messageOf(() =>
      assertRejects(() => Promise.reject(rejected), RangeError)
    ),
    'Expected error to be instance of "RangeError", but was "TypeError".',
  );
  assertStrictEquals(
    await messageOf(() =>
      assertRejects(() => Promise.reject(rejected), TypeError, "yes")
    ),
    'Expected error message to include "yes", but got "nope".',
  );
  assertStrictEquals(
    await messageOf(() => assertRejects(() => Promise.reject("str"), Error)),
    "A non-Error object was rejected.",
  );
});

Deno.test("fail, unreachable, unimplemented", () => {
  assertStrictEquals(failureOf(() => fail()), "Failed assertion.");
  assertStrictEquals(failureOf(() => fail("why")), "Failed assertion: why");
  assertStrictEquals(failureOf(() => unreachable()), "Unreachable.");
  assertStrictEquals(failureOf(() => unreachable("why")), "Unreachable: why");
  assertStrictEquals(failureOf(() => unimplemented()), "Unimplemented.");
  assertStrictEquals(
    failureOf(() => unimplemented("why")),
    "Unimplemented: why",
  );
});

Deno.test("test context and steps", async (t) => {
  assertStrictEquals(t.name, "test context and steps");
  assertStringIncludes(t.origin, "std_assert_test.ts");
  let ran = false;
  const ok = await t.step("a step", (inner) => {
    assertStrictEquals(inner.name, "a step");
    assertStrictEquals(inner.parent, t);
    ran = true;
  });
  assert(ok);
  assert(ran);
  assertFalse(
    await t.step({ name: "ignored step", ignore: true, fn: () => fail() }),
  );
});
