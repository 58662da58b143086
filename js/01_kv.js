// Deno KV's public API (`Deno.openKv`, `Deno.Kv`, `Deno.AtomicOperation`,
// `Deno.KvU64`, `Deno.KvListIterator`) over the kv_ext ops. Keys travel as
// arrays of parts, values as (encoding, bytes) pairs; the V8 wire codec and
// the entries that reads return are native (ext/src/wire, ext/src/ops).

import { core } from "ext:core/mod.js";
import {
  op_kv_atomic_write,
  op_kv_dequeue_next_message,
  op_kv_encode_cursor,
  op_kv_deserialize,
  op_kv_finish_dequeued_message,
  op_kv_init,
  op_kv_database_open,
  op_kv_set,
  op_kv_serialize,
  op_kv_snapshot_read,
  op_kv_watch_next,
  op_kv_watch_open,
} from "ext:core/ops";

const customInspect = Symbol.for("Deno.customInspect");
const commitVersionstampSymbol = Symbol("KvCommitVersionstamp");
const constructKey = Symbol("Deno.Kv");
const KEY_PART_ERROR = "expected string, number, bigint, ArrayBufferView, boolean";
const U64_MAX = 0xffffffffffffffffn;

// Value encodings of the `v_encoding` column.
const ENCODING_V8 = 1;
const ENCODING_U64 = 2;
const ENCODING_BYTES = 3;

/** Deno's error for a key that is not an array, which depends on where
 * the key is used: `read`, `check` or `write`. */
function nonArrayKeyError(key, use) {
  if (key === null || key === undefined) {
    if (use === "read") return new TypeError("Invalid range");
    if (use === "write") {
      return new TypeError(`Cannot read properties of ${key} (reading 'length')`);
    }
    return new TypeError(`serde_v8 error: invalid type; expected: array, got: ${key}`);
  }
  let got;
  switch (typeof key) {
    case "string":
    case "bigint":
      got = typeof key;
      break;
    case "number":
      got = "Number";
      break;
    case "boolean":
      got = "Boolean";
      break;
    default:
      got = ArrayBuffer.isView(key) ? key[Symbol.toStringTag] : "unknown";
  }
  return new TypeError(`serde_v8 error: invalid type; expected: array, got: ${got}`);
}

/** Converts a key to the form the ops take; a trailing
 * `kv.commitVersionstamp()` becomes `appendVersionstamp` when allowed. */
function keyToOp(key, allowVersionstamp = false, use = "read") {
  if (!Array.isArray(key)) throw nonArrayKeyError(key, use);
  const parts = new Array(key.length);
  let appendVersionstamp = false;
  for (let i = 0; i < key.length; i++) {
    const part = key[i];
    switch (typeof part) {
      case "string":
      case "boolean":
        parts[i] = part;
        break;
      case "number":
        parts[i] = Object.is(part, -0) ? { negativeZero: true } : part;
        break;
      case "bigint":
        parts[i] = { bigint: part.toString() };
        break;
      default:
        if (ArrayBuffer.isView(part)) {
          parts[i] = { bytes: new Uint8Array(part.buffer, part.byteOffset, part.byteLength) };
        } else if (
          part === commitVersionstampSymbol && allowVersionstamp && i === key.length - 1
        ) {
          parts.length = i;
          appendVersionstamp = true;
        } else {
          throw new TypeError(KEY_PART_ERROR);
        }
    }
  }
  return { parts, appendVersionstamp };
}

/** Key parts for a read (no versionstamp placeholder allowed). */
function readKey(key) {
  return keyToOp(key).parts;
}

/** Encodes a value for storage: exact Uint8Array -> raw bytes, KvU64 ->
 * 8 bytes little-endian, anything else -> V8 serialization. */
function encodeValue(value) {
  if (ArrayBuffer.isView(value) && value[Symbol.toStringTag] === "Uint8Array") {
    return { encoding: ENCODING_BYTES, bytes: value };
  }
  if (value instanceof KvU64) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, value.value, true);
    return { encoding: ENCODING_U64, bytes };
  }
  return { encoding: ENCODING_V8, bytes: op_kv_serialize(value) };
}

/** Decodes a stored value (reads get theirs decoded by the op). */
function decodeValue(encoding, bytes) {
  switch (encoding) {
    case ENCODING_V8:
      return op_kv_deserialize(bytes);
    case ENCODING_U64:
      return new KvU64(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    case ENCODING_BYTES:
      return bytes;
    default:
      throw new TypeError(`Unknown value encoding: ${encoding}`);
  }
}

function checkConsistency(options) {
  const consistency = options?.consistency;
  if (consistency !== undefined && consistency !== "strong" && consistency !== "eventual") {
    throw new TypeError(
      `unknown variant \`${consistency}\`, expected \`strong\` or \`eventual\``,
    );
  }
}

function validateExpireIn(expireIn) {
  if (expireIn === undefined) return;
  if (!Number.isInteger(expireIn) || expireIn < 0) {
    throw new TypeError(`expireIn must be a non-negative integer: received ${expireIn}`);
  }
}

function validateDelay(delay) {
  if (delay === undefined) return 0;
  if (Number.isNaN(delay)) throw new TypeError("Delay cannot be NaN");
  if (delay < 0) throw new TypeError(`Delay must be >= 0: received ${delay}`);
  if (delay > 30 * 24 * 60 * 60 * 1000) {
    throw new TypeError(`Delay cannot be greater than 30 days: received ${delay}`);
  }
  return delay;
}

function validateBackoffSchedule(schedule) {
  if (schedule === undefined) return null;
  if (schedule.length > 5) {
    throw new TypeError("Invalid backoffSchedule, max 5 intervals allowed");
  }
  for (let i = 0; i < schedule.length; i++) {
    const interval = schedule[i];
    if (!Number.isInteger(interval) || interval < 0 || interval > 3600000) {
      throw new TypeError(`Invalid backoffSchedule, interval at index ${i} is invalid`);
    }
  }
  return schedule;
}

/** Builds the op form of an enqueue, validating its options. */
function enqueueToOp(value, options = {}) {
  const delay = validateDelay(options.delay);
  const backoffSchedule = validateBackoffSchedule(options.backoffSchedule);
  const keysIfUndelivered = (options.keysIfUndelivered ?? []).map(readKey);
  return { payload: op_kv_serialize(value), delay, keysIfUndelivered, backoffSchedule };
}

/** Commits one write; resolves to the versionstamp or null (check failed).
 * Keys are converted here, so a bad key rejects rather than throws. */
async function atomicWrite(rid, checks, mutations, enqueues) {
  return await op_kv_atomic_write(
    rid,
    checks.map((check) => ({
      key: keyToOp(check.key, false, "check").parts,
      versionstamp: check.versionstamp,
    })),
    mutations.map(keyMutation),
    enqueues,
  );
}

/** A mutation for the write op. The value is serialized now (an
 * unclonable value throws at once, as in Deno); the key is converted by
 * `keyMutation` at commit, where a bad key rejects. */
function mutationToOp(key, type, value, expireIn) {
  return {
    key,
    type,
    value: type === "delete" ? null : encodeValue(value),
    expireIn: expireIn ?? null,
    appendVersionstamp: false,
  };
}

/** Converts the key of a mutation built by `mutationToOp`. */
function keyMutation(mutation) {
  const { parts, appendVersionstamp } = keyToOp(
    mutation.key,
    mutation.type === "set",
    "write",
  );
  return { ...mutation, key: parts, appendVersionstamp };
}

/** `Deno.KvU64`: an unsigned 64-bit integer stored as encoding 2. */
class KvU64 {
  value;

  constructor(value) {
    if (typeof value !== "bigint") {
      throw new TypeError(`Value must be a bigint: received ${typeof value}`);
    }
    if (value < 0n) {
      throw new RangeError(`Value must be a positive bigint: received ${value}`);
    }
    if (value > U64_MAX) {
      throw new RangeError("Value must fit in a 64-bit unsigned integer");
    }
    this.value = value;
    Object.freeze(this);
  }

  valueOf() {
    return this.value;
  }

  toString() {
    return this.value.toString();
  }

  get [Symbol.toStringTag]() {
    return "Deno.KvU64";
  }

  [customInspect](inspect, options) {
    return `[Deno.KvU64: ${inspect(this.value, options)}]`;
  }
}

// Reads build `Deno.KvU64` values natively.
op_kv_init(KvU64);

/** `Deno.AtomicOperation`: checks, mutations and enqueues committed together. */
class AtomicOperation {
  #rid;
  #checks = [];
  #mutations = [];
  #enqueues = [];
  // What `Deno.inspect` shows: one [method, args] pair per operation.
  #log = [];

  constructor(rid) {
    this.#rid = rid;
  }

  check(...checks) {
    for (const check of checks) {
      this.#checks.push({ key: check.key, versionstamp: check.versionstamp ?? null });
      this.#log.push(["check", [{ key: check.key, versionstamp: check.versionstamp }]]);
    }
    return this;
  }

  mutate(...mutations) {
    for (const mutation of mutations) {
      const { key, type, value, expireIn } = mutation;
      switch (type) {
        case "delete":
          // Deno tests truthiness here: `value: 0` or `null` is accepted.
          if (value) throw new TypeError("Invalid mutation 'delete' with value");
          break;
        case "set":
        case "sum":
        case "min":
        case "max":
          if (!("value" in mutation)) {
            throw new TypeError(`Invalid mutation '${type}' without value`);
          }
          break;
        default:
          throw new TypeError("Invalid mutation type");
      }
      // Deno only looks at expireIn of a `set`, and only when it is a number.
      const expires = type === "set" && typeof expireIn === "number" ? expireIn : undefined;
      validateExpireIn(expires);
      this.#mutations.push(mutationToOp(key, type, value, expires));
      const args = type === "delete" ? [key] : [key, value];
      if (expireIn !== undefined) args.push({ expireIn });
      this.#log.push([type, args]);
    }
    return this;
  }

  set(key, value, options) {
    const expireIn = options?.expireIn;
    validateExpireIn(expireIn);
    this.#mutations.push(mutationToOp(key, "set", value, expireIn));
    this.#log.push(["set", options?.expireIn === undefined ? [key, value] : [key, value, { expireIn }]]);
    return this;
  }

  delete(key) {
    this.#mutations.push(mutationToOp(key, "delete"));
    this.#log.push(["delete", [key]]);
    return this;
  }

  sum(key, n) {
    return this.#u64("sum", key, n);
  }

  min(key, n) {
    return this.#u64("min", key, n);
  }

  max(key, n) {
    return this.#u64("max", key, n);
  }

  #u64(type, key, n) {
    const value = new KvU64(n);
    this.#mutations.push(mutationToOp(key, type, value));
    this.#log.push([type, [key, value]]);
    return this;
  }

  enqueue(value, options) {
    this.#enqueues.push(enqueueToOp(value, options));
    this.#log.push(["enqueue", options === undefined ? [value] : [value, options]]);
    return this;
  }

  async commit() {
    const versionstamp = await atomicWrite(
      this.#rid,
      this.#checks,
      this.#mutations,
      this.#enqueues,
    );
    return versionstamp === null ? { ok: false } : { ok: true, versionstamp };
  }

  then() {
    throw new TypeError(
      "'Deno.AtomicOperation' is not a promise: did you forget to call 'commit()'",
    );
  }

  [customInspect](inspect, options) {
    if (this.#log.length === 0) return "AtomicOperation (empty)";
    const lines = this.#log.map(([method, args]) =>
      `  ${method}(${args.map((arg) => inspect(arg, options)).join(", ")})`
    );
    return `AtomicOperation\n${lines.join("\n")}`;
  }
}

/** `Deno.KvListIterator`: pulls `list` results in batches. */
class KvListIterator {
  #rid;
  #selector;
  #reverse;
  #limit;
  #batchSize;
  #buffer = [];
  #lastBatch = false;
  #done = false;
  #count = 0;
  #started = false;
  #consistency;
  // The selector in the ops' form, built by the first pull.
  #opSelector = null;
  // The `cursor` option, until an entry has been returned.
  #startCursor;
  // Key of the last returned entry; its cursor is computed on demand.
  #lastKey = null;

  constructor(rid, selector, options) {
    this.#rid = rid;
    this.#selector = selector;
    this.#reverse = options.reverse;
    this.#limit = options.limit;
    this.#batchSize = options.batchSize;
    this.#startCursor = options.cursor;
    this.#consistency = options.consistency;
  }

  /** The cursor after the last returned entry (`""` when exhausted). */
  get cursor() {
    if (!this.#started && this.#startCursor === null) {
      throw new Error("Cannot get cursor before first iteration");
    }
    if (this.#done) return "";
    if (this.#lastKey === null) return this.#startCursor ?? "";
    const { prefix, start, end } = this.#opSelector;
    return op_kv_encode_cursor(prefix, start, end, readKey(this.#lastKey));
  }

  /** The next entry; buffered entries resolve without another op call. */
  next() {
    this.#started = true;
    if (this.#done || (this.#limit !== undefined && this.#count >= this.#limit)) {
      return Promise.resolve({ done: true, value: undefined });
    }
    if (this.#buffer.length === 0 && !this.#lastBatch) return this.#pull();
    try {
      return Promise.resolve(this.#take());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #pull() {
    if (this.#opSelector === null) {
      const { prefix, start, end } = this.#selector;
      this.#opSelector = {
        prefix: prefix === undefined ? null : readKey(prefix),
        start: start === undefined ? null : readKey(start),
        end: end === undefined ? null : readKey(end),
      };
      checkConsistency({ consistency: this.#consistency });
    }
    const want = this.#limit === undefined
      ? this.#batchSize
      : Math.min(this.#batchSize, this.#limit - this.#count);
    const { prefix, start, end } = this.#opSelector;
    const cursor = this.#lastKey === null
      ? this.#startCursor
      : op_kv_encode_cursor(prefix, start, end, readKey(this.#lastKey));
    const entries = (await op_kv_snapshot_read(this.#rid, [{
      prefix,
      start,
      end,
      cursor,
      // An oversized batch is rejected by the op, after selector errors.
      limit: this.#batchSize > 1000 ? this.#batchSize : want,
      reverse: this.#reverse,
    }]))[0];
    if (entries.length < want) this.#lastBatch = true;
    entries.reverse();
    this.#buffer = entries;
    return this.#take();
  }

  #take() {
    const entry = this.#buffer.pop();
    if (entry === undefined) {
      this.#done = true;
      return { done: true, value: undefined };
    }
    this.#lastKey = entry.key;
    this.#count++;
    return { done: false, value: entry };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

function validatePositiveInteger(value, message) {
  if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
    throw new Error(`${message}: received ${value}`);
  }
}

/** `ReadableStream`, from deno_web (loaded on first use). */
function readableStream() {
  return core.loadExtScript("ext:deno_web/06_streams.js").ReadableStream;
}

/** `Deno.Kv`: a handle to an open database. */
class Kv {
  #rid;
  #closed = false;

  constructor(rid, key) {
    if (key !== constructKey) {
      throw new TypeError("Deno.Kv can not be constructed: use Deno.openKv instead");
    }
    this.#rid = rid;
  }

  atomic() {
    return new AtomicOperation(this.#rid);
  }

  commitVersionstamp() {
    return commitVersionstampSymbol;
  }

  async get(key, options) {
    const parts = readKey(key);
    checkConsistency(options);
    const ranges = await op_kv_snapshot_read(this.#rid, [{
      key: parts,
      limit: 1,
      reverse: false,
    }]);
    return entryOf(key, ranges[0][0]);
  }

  async getMany(keys, options) {
    const ranges = keys.map((key) => ({ key: readKey(key), limit: 1, reverse: false }));
    checkConsistency(options);
    const results = await op_kv_snapshot_read(this.#rid, ranges);
    return results.map((entries, i) => entryOf(keys[i], entries[0]));
  }

  async set(key, value, options) {
    const expireIn = options?.expireIn;
    validateExpireIn(expireIn);
    // The hot path: a dedicated op with positional arguments (same checks
    // and order as `atomic().set()`: value first, then key).
    const encoded = encodeValue(value);
    const { parts, appendVersionstamp } = keyToOp(key, true, "write");
    const versionstamp = await op_kv_set(
      this.#rid,
      parts,
      encoded.encoding,
      encoded.bytes,
      expireIn ?? -1,
      appendVersionstamp,
    );
    return { ok: true, versionstamp };
  }

  async delete(key) {
    await atomicWrite(this.#rid, [], [mutationToOp(key, "delete")], []);
  }

  list(selector, options = {}) {
    if (options.limit !== undefined) {
      validatePositiveInteger(options.limit, "Limit must be a positive integer");
    }
    const batchSize = options.batchSize ?? undefined;
    validatePositiveInteger(batchSize, "batchSize must be a positive integer");
    if (selector.prefix === null || selector.start === null || selector.end === null) {
      throw new TypeError("Cannot convert undefined or null to object");
    }
    const hasPrefix = selector.prefix !== undefined;
    const hasStart = selector.start !== undefined;
    const hasEnd = selector.end !== undefined;
    if (hasPrefix && hasStart && hasEnd) {
      throw new TypeError(
        "Selector can not specify both 'start' and 'end' key when specifying 'prefix'",
      );
    }
    if (!hasPrefix && !(hasStart && hasEnd)) {
      throw new TypeError(
        "Selector must specify either 'prefix' or both 'start' and 'end' key",
      );
    }
    // Key parts and consistency are checked by the first `next()`, as in Deno.
    return new KvListIterator(this.#rid, selector, {
      limit: options.limit,
      // Deno clamps the default to 500 only when batchSize is absent; an
      // explicit null falls back to the limit unclamped.
      batchSize: options.batchSize === undefined
        ? Math.min(options.limit ?? 100, 500)
        : batchSize ?? options.limit ?? 100,
      reverse: !!options.reverse,
      cursor: options.cursor || null,
      consistency: options.consistency,
    });
  }

  async enqueue(value, options) {
    const versionstamp = await atomicWrite(this.#rid, [], [], [enqueueToOp(value, options)]);
    return { ok: true, versionstamp };
  }

  /** Delivers queue messages to `handler` until the database closes. */
  async listenQueue(handler) {
    if (this.#closed) throw new Error("Queue already closed");
    const rid = this.#rid;
    while (true) {
      const next = await op_kv_dequeue_next_message(rid);
      if (next === null) break;
      deliver(rid, handler, next);
    }
  }

  /** A stream of the entries of `keys`: the current state, then one chunk
   * per change (every commit with `raw`). */
  watch(keys, options = {}) {
    if (keys.length > 10) throw new TypeError("Too many keys (max 10)");
    const raw = !!options.raw;
    const opKeys = keys.map(readKey);
    const rid = this.#rid;
    const watchRid = op_kv_watch_open();
    const isClosed = () => this.#closed;
    let last = null;
    const ReadableStream = readableStream();
    return new ReadableStream({
      async pull(controller) {
        let entries;
        try {
          entries = await op_kv_watch_next(rid, watchRid, opKeys, last, raw);
        } catch (error) {
          core.tryClose(watchRid);
          // A database closed before this pull started ends the stream too.
          if (isClosed()) controller.close();
          else controller.error(error);
          return;
        }
        if (entries === null) {
          core.tryClose(watchRid);
          controller.close();
          return;
        }
        last = entries.map((entry) => entry?.versionstamp ?? null);
        controller.enqueue(entries.map((entry, i) => watchedEntry(keys[i], entry)));
      },
      cancel() {
        core.tryClose(watchRid);
      },
    });
  }

  close() {
    core.close(this.#rid);
    this.#closed = true;
  }

  [Symbol.dispose]() {
    core.tryClose(this.#rid);
    this.#closed = true;
  }
}

/** Runs the queue handler on one message, then settles the message. */
async function deliver(rid, handler, { payload, id }) {
  let success = false;
  try {
    const result = handler(op_kv_deserialize(payload));
    if (result && typeof result.then === "function") await result;
    success = true;
  } catch (error) {
    console.error("Exception in queue handler", error);
  } finally {
    // After close the message stays leased and is redelivered later.
    await op_kv_finish_dequeued_message(rid, id, success).catch(() => {});
  }
}

/** The entry of a single-key read: the op leaves its `key` to the caller's. */
/** The entry of a single-key read. A missing entry keeps the caller's key;
 * a found one has typed array parts as the `Uint8Array` of their bytes (Deno
 * returns the stored key). */
function entryOf(key, entry) {
  if (entry === undefined) return { key, value: null, versionstamp: null };
  if (key.some((part) => ArrayBuffer.isView(part))) {
    key = key.map((part) =>
      ArrayBuffer.isView(part)
        ? new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength))
        : part
    );
  }
  entry.key = key;
  return entry;
}

/** An entry of a watch chunk, from its encoded value (or null). */
function watchedEntry(key, raw) {
  if (raw == null) return { key, value: null, versionstamp: null };
  return { key, value: decodeValue(raw.encoding, raw.value), versionstamp: raw.versionstamp };
}

/** `Deno.openKv(path?)`. */
async function openKv(path) {
  const rid = await op_kv_database_open(path ?? null);
  return new Kv(rid, constructKey);
}

export { AtomicOperation, Kv, KvListIterator, KvU64, openKv };
