// Node's error codes for the node: modules (`err.code`, and messages worded
// as Node and Deno word them): ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE and
// any other code through NodeError.

import { primordials } from "ext:core/mod.js";

const {
  JSONStringify,
  MathAbs,
  NumberIsInteger,
  ObjectDefineProperty,
  ObjectIs,
  RangeError,
  StringPrototypeEndsWith,
  StringPrototypeIncludes,
  StringPrototypeReplaceAll,
  StringPrototypeSlice,
  String,
  TypeError,
} = primordials;

/** An error of class `Base` (TypeError, RangeError, ...) with Node's `code`. */
class NodeError {
  constructor(Base, code, message) {
    const error = new Base(message);
    ObjectDefineProperty(error, "code", { value: code, writable: true, enumerable: true, configurable: true });
    ObjectDefineProperty(error, "toString", {
      value() {
        return `${this.name} [${code}]: ${this.message}`;
      },
      writable: true,
      enumerable: false,
      configurable: true,
    });
    return error;
  }
}

/** Node's short description of a value: `type string ('x')`, `an instance of Foo`. */
function describeReceived(value) {
  if (value === null || value === undefined) return `${value}`;
  if (typeof value === "function") return value.name ? `function ${value.name}` : "function";
  if (typeof value === "object") {
    const name = value.constructor?.name;
    return name ? `an instance of ${name}` : "[Object: null prototype]";
  }
  let shown;
  if (typeof value === "string") {
    shown = StringPrototypeIncludes(value, "'")
      ? (StringPrototypeIncludes(value, '"') ? JSONStringify(value) : `"${value}"`)
      : `'${StringPrototypeReplaceAll(value, "\n", "\\n")}'`;
  } else if (typeof value === "bigint") {
    shown = `${value}n`;
  } else if (typeof value === "number" && ObjectIs(value, -0)) {
    shown = "-0";
  } else {
    shown = String(value);
  }
  if (shown.length > 28) shown = `${StringPrototypeSlice(shown, 0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

class ERR_INVALID_ARG_TYPE {
  /**
   * `expected` is a type name ("number") or, with `raw`, the whole phrase
   * ("an instance of Buffer or Uint8Array").
   */
  constructor(name, expected, actual, raw = false) {
    const subject = StringPrototypeEndsWith(name, " argument") ? `The ${name}` : `The "${name}" argument`;
    const what = raw ? expected : `of type ${expected}`;
    return new NodeError(
      TypeError,
      "ERR_INVALID_ARG_TYPE",
      `${subject} must be ${what}. Received ${describeReceived(actual)}`,
    );
  }
}

/** Digits grouped by `_` as Node shows large numbers: 4_294_967_296. */
function separated(text) {
  let out = "";
  let i = text.length;
  const start = text[0] === "-" ? 1 : 0;
  for (; i >= start + 4; i -= 3) out = `_${StringPrototypeSlice(text, i - 3, i)}${out}`;
  return `${StringPrototypeSlice(text, 0, i)}${out}`;
}

class ERR_OUT_OF_RANGE {
  constructor(name, range, received) {
    let shown;
    if (typeof received === "number" && NumberIsInteger(received) && MathAbs(received) > 2 ** 32) {
      shown = separated(String(received));
    } else if (typeof received === "bigint") {
      shown = `${received > 2n ** 32n || received < -(2n ** 32n) ? separated(String(received)) : received}n`;
    } else {
      shown = typeof received === "string" ? describeReceived(received) : String(received);
    }
    return new NodeError(
      RangeError,
      "ERR_OUT_OF_RANGE",
      `The value of "${name}" is out of range. It must be ${range}. Received ${shown}`,
    );
  }
}

export { ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, NodeError };
