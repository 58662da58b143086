// `kvrt kv` commands that need stored values as JavaScript values: export,
// import, get, list, set, delete. They run over the public KV API
// (`Deno.openKv`), so values go through kvrt's V8 wire codec and every limit
// and error message is Deno's.
//
// The JSON form is the one of Deno's `@deno/kv-utils` (`entryToJSON`,
// `toEntry`, `keyToJSON`, `valueToJSON`), written here from its documented
// rules: every key part and value is `{ type, value }`; bytes are URL-safe
// base64 without padding; bigint and KvU64 are decimal strings; special
// numbers are the strings "NaN", "Infinity", "-Infinity"; Date is its ISO
// string; RegExp is `String(re)`; errors are `{ message, cause?, stack? }`
// under their class name; Map is a list of [key, value] pairs; `undefined` is
// `{ "type": "undefined" }`. Differences, all on values the library cannot
// round-trip: `-0` is written as the JSON number `-0` (the library's
// `JSON.stringify` gives 0; `JSON.parse` reads `-0` back), typed arrays are
// their own bytes (the library takes the whole underlying buffer), array
// holes are `undefined`, and a circular value is an error (the library
// recurses forever).

import {
  op_kvcli_progress,
  op_kvcli_read_lines,
  op_kvcli_write,
} from "ext:core/ops";

/** Entries per import commit, and the input characters that end a batch early. */
const BATCH_ENTRIES = 500;
const BATCH_CHARS = 256 * 1024;
/** Lines per output write and per input read. */
const IO_LINES = 1000;

const TYPED_ARRAYS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};
if (typeof globalThis.Float16Array === "function") {
  TYPED_ARRAYS.Float16Array = globalThis.Float16Array;
}
const ERROR_TYPES = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

/** An error tied to an input line. */
class LineError extends Error {
  constructor(line, message) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

// ---- base64url -------------------------------------------------------------

function encodeBase64Url(bytes) {
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

function decodeBase64Url(text, what) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*={0,2}$/.test(text)) {
    throw new TypeError(`${what}: the value must be URL-safe base64 text`);
  }
  let b64 = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (b64.length % 4 === 1) {
    throw new TypeError(`${what}: the value is not valid base64 (bad length)`);
  }
  b64 += "=".repeat((4 - (b64.length % 4)) % 4);
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function viewBytes(view) {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

// ---- to JSON ---------------------------------------------------------------

/** Stands for `-0` until the line is stringified (JSON.stringify drops the sign). */
const NEG_ZERO = "\u0000kvrt:-0";
const NEG_ZERO_JSON = '{"type":"number","value":"\\u0000kvrt:-0"}';
let sawNegativeZero = false;

function numberToJSON(value) {
  if (Number.isNaN(value)) return { type: "number", value: "NaN" };
  if (value === Infinity) return { type: "number", value: "Infinity" };
  if (value === -Infinity) return { type: "number", value: "-Infinity" };
  if (Object.is(value, -0)) {
    sawNegativeZero = true;
    return { type: "number", value: NEG_ZERO };
  }
  return { type: "number", value };
}

function keyPartToJSON(part) {
  switch (typeof part) {
    case "bigint":
      return { type: "bigint", value: String(part) };
    case "boolean":
      return { type: "boolean", value: part };
    case "number":
      return numberToJSON(part);
    case "string":
      return { type: "string", value: part };
    case "object":
      if (part instanceof Uint8Array) {
        return { type: "Uint8Array", value: encodeBase64Url(part) };
      }
  }
  throw new TypeError("Unable to serialize key part.");
}

function keyToJSON(key) {
  return key.map(keyPartToJSON);
}

function valueToJSON(value, seen) {
  switch (typeof value) {
    case "bigint":
      return { type: "bigint", value: String(value) };
    case "boolean":
      return { type: "boolean", value };
    case "number":
      return numberToJSON(value);
    case "string":
      return { type: "string", value };
    case "undefined":
      return { type: "undefined" };
    case "object":
      break;
    default:
      throw new TypeError(
        `a value of type ${typeof value} cannot be written in the JSON form`,
      );
  }
  if (value === null) return { type: "null", value: null };
  if (seen.has(value)) {
    throw new TypeError(
      "the value contains a circular reference, which the JSON form cannot represent",
    );
  }
  seen.add(value);
  try {
    return objectToJSON(value, seen);
  } finally {
    seen.delete(value);
  }
}

function errorToJSON(error, seen) {
  const { message, stack, cause } = error;
  const value = { message: String(message ?? "") };
  if (cause !== undefined) value.cause = valueToJSON(cause, seen);
  if (stack) value.stack = String(stack);
  for (const name of Object.keys(ERROR_TYPES)) {
    if (name !== "Error" && error instanceof ERROR_TYPES[name]) {
      return { type: name, value };
    }
  }
  return { type: "Error", value };
}

function objectToJSON(value, seen) {
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = valueToJSON(value[i], seen);
    return { type: "Array", value: out };
  }
  if (value instanceof DataView) {
    return { type: "DataView", value: encodeBase64Url(viewBytes(value)) };
  }
  if (ArrayBuffer.isView(value)) {
    const name = value[Symbol.toStringTag];
    if (!(name in TYPED_ARRAYS)) {
      throw new TypeError(`a ${name} cannot be written in the JSON form`);
    }
    return { type: name, value: encodeBase64Url(viewBytes(value)) };
  }
  if (value instanceof ArrayBuffer) {
    return { type: "ArrayBuffer", value: encodeBase64Url(new Uint8Array(value)) };
  }
  if (value instanceof Date) return { type: "Date", value: value.toJSON() };
  if (value instanceof Deno.KvU64) {
    return { type: "KvU64", value: String(value.value) };
  }
  if (value instanceof Error) return errorToJSON(value, seen);
  if (value instanceof Map) {
    const pairs = [];
    for (const [k, v] of value) {
      pairs.push([valueToJSON(k, seen), valueToJSON(v, seen)]);
    }
    return { type: "Map", value: pairs };
  }
  if (value instanceof RegExp) return { type: "RegExp", value: String(value) };
  if (value instanceof Set) {
    const items = [];
    for (const v of value) items.push(valueToJSON(v, seen));
    return { type: "Set", value: items };
  }
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, k, {
      value: valueToJSON(v, seen),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { type: "object", value: out };
}

/** `JSON.stringify` of the JSON form made by `entryToJSON`, restoring `-0`. */
function stringify(json) {
  const text = JSON.stringify(json);
  return sawNegativeZero
    ? text.replaceAll(NEG_ZERO_JSON, '{"type":"number","value":-0}')
    : text;
}

function entryToJSON(entry) {
  sawNegativeZero = false;
  return {
    key: keyToJSON(entry.key),
    value: valueToJSON(entry.value, new Set()),
    versionstamp: entry.versionstamp,
  };
}

function entryLine(entry) {
  try {
    return stringify(entryToJSON(entry));
  } catch (err) {
    throw new Error(
      `the entry ${Deno.inspect(entry.key)} cannot be exported: ${messageOf(err)}`,
    );
  }
}

// ---- from JSON -------------------------------------------------------------

function describe(json) {
  let text;
  try {
    text = JSON.stringify(json);
  } catch {
    text = String(json);
  }
  return text === undefined
    ? "undefined"
    : text.length > 80
    ? text.slice(0, 77) + "..."
    : text;
}

function expectString(json, what) {
  if (typeof json.value !== "string") {
    throw new TypeError(`${what} needs a string "value", found ${describe(json.value)}`);
  }
  return json.value;
}

function integerText(json, what, unsigned) {
  const text = expectString(json, what);
  if (!(unsigned ? /^\d+$/ : /^-?\d+$/).test(text)) {
    throw new TypeError(`${what}: "${text}" is not an integer`);
  }
  return BigInt(text);
}

function toNumber(json) {
  const v = json.value;
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  throw new TypeError(`number needs a numeric "value", found ${describe(v)}`);
}

function checkTyped(json, what) {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new TypeError(
      `expected a typed ${what} like {"type":"string","value":"a"}, found ${describe(json)}`,
    );
  }
  if (typeof json.type !== "string") {
    throw new TypeError(`the ${what} ${describe(json)} has no "type"`);
  }
}

function toKeyPart(json) {
  checkTyped(json, "key part");
  switch (json.type) {
    case "Uint8Array":
      return decodeBase64Url(json.value, "Uint8Array key part");
    case "bigint":
      return integerText(json, "bigint", false);
    case "boolean":
      if (typeof json.value !== "boolean") {
        throw new TypeError(`boolean needs true or false, found ${describe(json.value)}`);
      }
      return json.value;
    case "string":
      return expectString(json, "string");
    case "number":
      return toNumber(json);
    default:
      throw new TypeError(`Unexpected key part type: "${json.type}".`);
  }
}

/** A key given as JSON: an array of plain parts or typed parts. */
function toKey(json) {
  if (!Array.isArray(json)) {
    throw new TypeError(`a key must be a JSON array, found ${describe(json)}`);
  }
  return json.map((part) => {
    switch (typeof part) {
      case "string":
      case "number":
      case "boolean":
        return part;
      default:
        return toKeyPart(part);
    }
  });
}

function toError(json) {
  const v = json.value;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new TypeError(`${json.type} needs a {"message": ...} value`);
  }
  const options = v.cause !== undefined ? { cause: toValue(v.cause) } : undefined;
  const error = new ERROR_TYPES[json.type](String(v.message ?? ""), options);
  if (v.stack) {
    Object.defineProperty(error, "stack", {
      value: String(v.stack),
      writable: false,
      enumerable: false,
      configurable: true,
    });
  }
  return error;
}

function expectArray(json) {
  if (!Array.isArray(json.value)) {
    throw new TypeError(`${json.type} needs an array "value", found ${describe(json.value)}`);
  }
  return json.value;
}

function toValue(json) {
  checkTyped(json, "value");
  const type = json.type;
  switch (type) {
    case "Array":
      return expectArray(json).map(toValue);
    case "Map":
      return new Map(expectArray(json).map((pair) => {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new TypeError(`a Map entry must be a [key, value] pair, found ${describe(pair)}`);
        }
        return [toValue(pair[0]), toValue(pair[1])];
      }));
    case "Set":
      return new Set(expectArray(json).map(toValue));
    case "object": {
      const v = json.value;
      if (v === null || typeof v !== "object" || Array.isArray(v)) {
        throw new TypeError(`object needs an object "value", found ${describe(v)}`);
      }
      const out = {};
      for (const [k, item] of Object.entries(v)) {
        Object.defineProperty(out, k, {
          value: toValue(item),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case "null":
      return null;
    case "undefined":
      return undefined;
    case "ArrayBuffer":
      return decodeBase64Url(json.value, "ArrayBuffer").buffer;
    case "DataView":
      return new DataView(decodeBase64Url(json.value, "DataView").buffer);
    case "Date": {
      if (json.value !== null && typeof json.value !== "string") {
        throw new TypeError(`Date needs an ISO date string, found ${describe(json.value)}`);
      }
      return new Date(json.value ?? NaN);
    }
    case "KvU64":
      return new Deno.KvU64(integerText(json, "KvU64", true));
    case "RegExp": {
      const text = expectString(json, "RegExp");
      const last = text.lastIndexOf("/");
      if (text[0] !== "/" || last < 1) {
        throw new TypeError(`RegExp needs "/pattern/flags", found ${describe(text)}`);
      }
      return new RegExp(text.slice(1, last), text.slice(last + 1));
    }
    case "bigint":
      return integerText(json, "bigint", false);
    case "boolean":
    case "number":
    case "string":
      return toKeyPart(json);
  }
  if (type in ERROR_TYPES) return toError(json);
  if (type in TYPED_ARRAYS) {
    const C = TYPED_ARRAYS[type];
    const bytes = decodeBase64Url(json.value, type);
    if (bytes.length % C.BYTES_PER_ELEMENT !== 0) {
      throw new TypeError(
        `${type}: ${bytes.length} bytes is not a whole number of ${C.BYTES_PER_ELEMENT}-byte elements`,
      );
    }
    return type === "Uint8Array" ? bytes : new C(bytes.buffer);
  }
  throw new TypeError(`Unexpected value type: "${type}"`);
}

/** One line of an export file: `{ key, value, versionstamp? }`. */
function parseEntryLine(text) {
  let json;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(`malformed JSON: ${messageOf(err)}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new TypeError(
      `expected an entry {"key": [...], "value": {...}}, found ${describe(json)}`,
    );
  }
  if (!("key" in json)) throw new TypeError('the entry has no "key"');
  if (!("value" in json)) throw new TypeError('the entry has no "value"');
  return { key: toKey(json.key), value: toValue(json.value) };
}

function parseCliKey(text, what = "key") {
  let json;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`the ${what} is not valid JSON (${messageOf(err)}): ${text}`);
  }
  return toKey(json);
}

function messageOf(err) {
  if (err instanceof Error) {
    return err.name && err.name !== "Error" && !(err instanceof LineError)
      ? `${err.name}: ${err.message}`
      : err.message;
  }
  return String(err);
}

// ---- commands --------------------------------------------------------------

const write = (text) => op_kvcli_write(text);

async function withKv(path, f) {
  const kv = await Deno.openKv(path);
  try {
    return await f(kv);
  } finally {
    kv.close();
  }
}

async function exportCommand(req) {
  const prefix = req.prefix == null ? [] : parseCliKey(req.prefix, "prefix");
  return await withKv(req.path, async (kv) => {
    let count = 0;
    let lines = [];
    for await (const entry of kv.list({ prefix }, { batchSize: 1000 })) {
      lines.push(entryLine(entry));
      count++;
      if (lines.length >= IO_LINES) {
        write(lines.join("\n") + "\n");
        lines = [];
        op_kvcli_progress(count);
      }
    }
    if (lines.length) write(lines.join("\n") + "\n");
    op_kvcli_progress(count);
    return { count };
  });
}

/** A never-written key and versionstamp: a check on them always fails. */
const PROBE_CHECK = {
  key: ["\u0000kvrt kv import probe"],
  versionstamp: "ffffffffffffffffffff",
};

/** Finds the entry of a failed batch that Deno KV refuses on its own. */
async function findRefusedEntry(kv, batch) {
  for (const entry of batch) {
    try {
      // The check fails, so nothing is written; limits are checked first.
      await kv.atomic().check(PROBE_CHECK).set(entry.key, entry.value).commit();
    } catch (err) {
      return { entry, err };
    }
  }
  return null;
}

async function commitBatch(kv, batch, state) {
  try {
    const op = kv.atomic();
    for (const entry of batch) op.set(entry.key, entry.value);
    const result = await op.commit();
    if (!result.ok) throw new Error("the commit was refused");
  } catch (err) {
    const message = messageOf(err);
    if (batch.length > 1 && /Total (mutation|key) size too large/.test(message)) {
      const half = batch.length >> 1;
      await commitBatch(kv, batch.slice(0, half), state);
      await commitBatch(kv, batch.slice(half), state);
      return;
    }
    const refused = await findRefusedEntry(kv, batch);
    if (refused) throw new LineError(refused.entry.line, messageOf(refused.err));
    throw new LineError(batch[0].line, message);
  }
  state.imported += batch.length;
  state.committedThrough = batch[batch.length - 1].line;
}

async function importCommand(req) {
  const state = { imported: 0, committedThrough: 0 };
  try {
    await withKv(req.path, async (kv) => {
      let line = 0;
      let batch = [];
      let chars = 0;
      for (;;) {
        const chunk = op_kvcli_read_lines(IO_LINES);
        if (chunk === "") break;
        const lines = chunk.split("\n");
        lines.pop();
        for (const text of lines) {
          line++;
          if (text.trim() === "") continue;
          let entry;
          try {
            entry = parseEntryLine(text);
          } catch (err) {
            throw new LineError(line, messageOf(err));
          }
          entry.line = line;
          batch.push(entry);
          chars += text.length;
          if (batch.length >= BATCH_ENTRIES || chars >= BATCH_CHARS) {
            await commitBatch(kv, batch, state);
            batch = [];
            chars = 0;
          }
        }
      }
      if (batch.length) await commitBatch(kv, batch, state);
      state.lines = line;
    });
  } catch (err) {
    return { ok: false, error: messageOf(err), ...state };
  }
  return state;
}

async function getCommand(req) {
  const key = parseCliKey(req.key);
  return await withKv(req.path, async (kv) => {
    const entry = await kv.get(key);
    if (entry.versionstamp === null) {
      return { ok: false, error: `key not found: ${Deno.inspect(key)}` };
    }
    write(
      (req.json ? entryLine(entry) : Deno.inspect(entry.value, { depth: 100 })) +
        "\n",
    );
    return {};
  });
}

async function listCommand(req) {
  const prefix = req.prefix == null ? [] : parseCliKey(req.prefix, "prefix");
  return await withKv(req.path, async (kv) => {
    const options = { reverse: req.reverse };
    if (req.limit != null) options.limit = req.limit;
    let lines = [];
    let count = 0;
    for await (const entry of kv.list({ prefix }, options)) {
      lines.push(
        req.json ? entryLine(entry) : `${Deno.inspect(entry.key)}: ${
          Deno.inspect(entry.value, { breakLength: Infinity, depth: 100 })
        }`,
      );
      count++;
      if (lines.length >= IO_LINES) {
        write(lines.join("\n") + "\n");
        lines = [];
      }
    }
    if (lines.length) write(lines.join("\n") + "\n");
    return { count };
  });
}

async function setCommand(req) {
  const key = parseCliKey(req.key);
  let json;
  try {
    json = JSON.parse(req.value);
  } catch (err) {
    throw new TypeError(`the value is not valid JSON (${messageOf(err)}): ${req.value}`);
  }
  const value = req.typed ? toValue(json) : json;
  return await withKv(req.path, async (kv) => {
    const options = req.expireIn != null ? { expireIn: req.expireIn } : undefined;
    const result = await kv.set(key, value, options);
    write(result.versionstamp + "\n");
    return { versionstamp: result.versionstamp };
  });
}

async function deleteCommand(req) {
  const key = parseCliKey(req.key);
  return await withKv(req.path, async (kv) => {
    const existed = (await kv.get(key)).versionstamp !== null;
    await kv.delete(key);
    return { existed };
  });
}

const COMMANDS = {
  export: exportCommand,
  import: importCommand,
  get: getCommand,
  list: listCommand,
  set: setCommand,
  delete: deleteCommand,
};

/** Runs the command `request` (JSON text); answers JSON text with `ok`. */
async function main(requestText) {
  try {
    const request = JSON.parse(requestText);
    const command = COMMANDS[request.command];
    if (!command) throw new Error(`unknown command ${request.command}`);
    const result = await command(request);
    return JSON.stringify({ ok: true, ...result });
  } catch (err) {
    return JSON.stringify({ ok: false, error: messageOf(err) });
  }
}

Object.defineProperty(globalThis, Symbol.for("kvrt.kv_command"), {
  value: main,
  enumerable: false,
  configurable: true,
});
