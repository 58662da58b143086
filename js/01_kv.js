// Deno KV's public API (`Deno.openKv`, `Deno.Kv`, `Deno.AtomicOperation`,
// `Deno.KvU64`, `Deno.KvListIterator`) over the kv_ext ops. Keys travel as
// arrays of parts, values as (encoding, bytes) pairs; the V8 wire codec and
// the entries that reads return are native (ext/src/wire, ext/src/ops).

import { core, primordials } from "ext:core/mod.js";
import {
  op_kv_atomic_write,
  op_kv_backoff_schedule,
  op_kv_check_delay,
  op_kv_check_mutation,
  op_kv_decode_value,
  op_kv_dequeue_next_message,
  op_kv_encode_cursor,
  op_kv_encode_u64,
  op_kv_deserialize,
  op_kv_finish_dequeued_message,
  op_kv_init,
  op_kv_intrinsics,
  op_kv_database_open,
  op_kv_set,
  op_kv_serialize,
  op_kv_snapshot_read,
  op_kv_get,
  op_kv_list_read,
  op_kv_snapshot_key,
  op_kv_snapshot_read_async,
  op_kv_take_read,
  op_kv_void_async,
  op_kv_watch,
  op_kv_watch_next,
} from "ext:core/ops";

// Built-ins captured before user code runs (deno_core's primordials): a
// script that patches `Array.prototype.map`, `Object.is`, `Promise.resolve`,
// the `Uint8Array` global... cannot change what KV does. Objects handed to
// the ops have a null prototype, and options are read from own properties
// only, so inherited properties (a getter on `Object.prototype`) are never
// seen, here or by the ops' deserializers.
const {
  ArrayBufferPrototypeGetByteLength,
  ArrayIsArray,
  ArrayPrototypeJoin,
  BigIntPrototypeToString,
  DataViewPrototypeGetBuffer,
  DataViewPrototypeGetByteLength,
  DataViewPrototypeGetByteOffset,
  DateNow,
  Error,
  MathMin,
  NumberIsInteger,
  ObjectFreeze,
  ObjectHasOwn,
  ObjectPrototypeIsPrototypeOf,
  PromisePrototypeThen,
  PromiseReject,
  PromiseResolve,
  RangeError,
  Symbol,
  SymbolAsyncIterator,
  SymbolFor,
  SymbolToStringTag,
  TypeError,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetByteOffset,
  TypedArrayPrototypeGetSymbolToStringTag,
  Uint8Array,
} = primordials;
const SymbolDispose = globalThis.Symbol.dispose;

/** `object[name]` if it is an own property of `object` (an object or
 * function), else `undefined`: inherited properties are not options. */
function own(object, name) {
  return isObject(object) && ObjectHasOwn(object, name) ? object[name] : undefined;
}

/** Whether `value` is an object or a function (it can have properties). */
function isObject(value) {
  // (the common `undefined` first: `typeof` comparisons are not free)
  if (value === undefined || value === null) return false;
  const type = typeof value;
  return type === "object" || type === "function";
}

/** Whether `object` has an own property `name`. */
function hasOwn(object, name) {
  return isObject(object) && ObjectHasOwn(object, name);
}

/** The `Uint8Array` tag of a typed array, `undefined` for anything else. */
function typedArrayTag(value) {
  return TypedArrayPrototypeGetSymbolToStringTag(value);
}

// Reads are synchronous ops (no thread hop), so a loop of awaited reads
// never lets the event loop run on its own: timers would starve. A "slice"
// starts with the first read after the event loop last turned; once a slice
// has run `SLICE_MS` (5 ms), the next read first yields to the event loop.
const SLICE_MS = 5;
let sliceStart = -1;

function endSlice() {
  sliceStart = -1;
}

/** Whether reads have run for `SLICE_MS` without the event loop turning. */
function sliceExpired() {
  const now = DateNow();
  if (sliceStart < 0) {
    sliceStart = now;
    // (resolves on the event loop's next turn, whoever causes it)
    PromisePrototypeThen(op_kv_void_async(), endSlice);
    return false;
  }
  return now - sliceStart >= SLICE_MS;
}

/** The result of `op_kv_snapshot_read`, or a promise of it when the slice
 * is used up or the backend cannot answer at once (a file locked by another
 * process, a remote database): then read asynchronously. The ops read the
 * ranges' keys and check `consistency`. */
function snapshotRead(rid, ranges, consistency) {
  if (!sliceExpired()) {
    const result = op_kv_snapshot_read(rid, ranges, consistency);
    if (result !== null) return result;
    return asyncSnapshotRead(rid, ranges, consistency);
  }
  return slowSnapshotRead(rid, ranges, consistency);
}

async function slowSnapshotRead(rid, ranges, consistency) {
  await op_kv_void_async();
  const result = op_kv_snapshot_read(rid, ranges, consistency);
  if (result !== null) return result;
  return asyncSnapshotRead(rid, ranges, consistency);
}

async function asyncSnapshotRead(rid, ranges, consistency) {
  return op_kv_take_read(await op_kv_snapshot_read_async(rid, ranges, consistency));
}

/** The entries of one batch of a list from `op_kv_list_read`, which takes
 * the range's fields as arguments (no range object); or a promise of them,
 * read as a range, when the slice is used up or the backend cannot answer
 * at once. */
function listRead(rid, prefix, start, end, cursor, limit, batchSize, reverse, consistency) {
  if (!sliceExpired()) {
    const entries = op_kv_list_read(
      rid,
      prefix,
      start,
      end,
      cursor,
      limit,
      batchSize,
      reverse,
      consistency,
    );
    if (entries !== null) return entries;
  }
  return rangeListRead(rid, {
    __proto__: null,
    key: null,
    prefix,
    start,
    end,
    cursor,
    limit,
    // An oversized batch is rejected by the op, after selector errors.
    batchSize,
    reverse,
  }, consistency);
}

async function rangeListRead(rid, range, consistency) {
  const ranges = await snapshotRead(rid, [range], consistency);
  return ranges[0];
}

/** The entry of one key (`undefined`: none), read as the key's range. */
async function rangePointRead(rid, key, consistency) {
  const ranges = await snapshotRead(rid, [keyRange(key)], consistency);
  return ranges[0][0];
}

/** The read range of one key, as `op_kv_snapshot_read` takes it. */
function keyRange(key) {
  return {
    __proto__: null,
    key,
    prefix: null,
    start: null,
    end: null,
    cursor: null,
    limit: 1,
    reverse: false,
  };
}

const customInspect = SymbolFor("Deno.customInspect");
const commitVersionstampSymbol = Symbol("KvCommitVersionstamp");
const constructKey = Symbol("Deno.Kv");
const U64_MAX = 0xffffffffffffffffn;

/** Whether `value` is a `DataView` (brand check, no user-visible lookups). */
function isDataView(value) {
  if (value === null || typeof value !== "object") return false;
  try {
    DataViewPrototypeGetByteLength(value);
    return true;
  } catch {
    return false;
  }
}

/** Whether `buffer` (an ArrayBuffer or SharedArrayBuffer) is shared. */
function isShared(buffer) {
  try {
    ArrayBufferPrototypeGetByteLength(buffer);
    return false;
  } catch {
    return true;
  }
}

/** Deno's error for a view over a SharedArrayBuffer where bytes are
 * expected (a key part, a raw `Uint8Array` value). */
function sharedBufferError(tag) {
  return new TypeError(`serde_v8 error: invalid type; expected: buffer, got: ${tag}`);
}

/** The bytes of an ArrayBufferView (a key part) as a `Uint8Array` over the
 * same memory, or `undefined` when `part` is not a view. */
function viewBytes(part) {
  const tag = typedArrayTag(part);
  if (tag !== undefined) {
    const buffer = TypedArrayPrototypeGetBuffer(part);
    if (isShared(buffer)) throw sharedBufferError(tag);
    return new Uint8Array(
      buffer,
      TypedArrayPrototypeGetByteOffset(part),
      TypedArrayPrototypeGetByteLength(part),
    );
  }
  if (isDataView(part)) {
    const buffer = DataViewPrototypeGetBuffer(part);
    if (isShared(buffer)) throw sharedBufferError("DataView");
    return new Uint8Array(
      buffer,
      DataViewPrototypeGetByteOffset(part),
      DataViewPrototypeGetByteLength(part),
    );
  }
  return undefined;
}

/** The tag of a typed array, `"DataView"` for a DataView, else `undefined`. */
function viewTag(value) {
  return typedArrayTag(value) ?? (isDataView(value) ? "DataView" : undefined);
}

/** What the extension tells the shim at load (`op_kv_init`): the largest
 * value size, the value encodings (`encodingV8`, `encodingU64`,
 * `encodingBytes`) and `list`'s default batch size and its clamp. */
let shimInfo;
/** What stands for a value whose serialization went past the largest value
 * Deno KV stores (`op_kv_serialize` gave up and returned null): bytes one
 * past the limit, so that the ops report "Value too large" / "enqueue
 * payload too large" in Deno's order of checks. Never stored; made on the
 * first oversized value. */
let oversized = null;

/** V8 wire bytes of `value`, or the oversized stand-in. */
function serializeValue(value) {
  return op_kv_serialize(value) ??
    (oversized ??= new Uint8Array(shimInfo.maxValueSize + 1));
}

/** Encodes a value for storage: exact Uint8Array -> raw bytes, KvU64 ->
 * its stored bytes, anything else -> V8 serialization. */
function encodeValue(value) {
  if (typedArrayTag(value) === "Uint8Array") {
    if (isShared(TypedArrayPrototypeGetBuffer(value))) throw sharedBufferError("Uint8Array");
    return { __proto__: null, encoding: shimInfo.encodingBytes, bytes: value };
  }
  if (isKvU64(value)) {
    return {
      __proto__: null,
      encoding: shimInfo.encodingU64,
      bytes: op_kv_encode_u64(value.value),
    };
  }
  return { __proto__: null, encoding: shimInfo.encodingV8, bytes: serializeValue(value) };
}

function validateExpireIn(expireIn) {
  if (expireIn === undefined) return;
  if (!NumberIsInteger(expireIn) || expireIn < 0) {
    throw new TypeError(`expireIn must be a non-negative integer: received ${expireIn}`);
  }
}

/** Builds the op form of an enqueue, its options checked by the ops. */
function enqueueToOp(value, options) {
  const delay = own(options, "delay");
  op_kv_check_delay(delay);
  const backoffSchedule = op_kv_backoff_schedule(own(options, "backoffSchedule"));
  // (copies of the keys, taken now: a bad key throws here, as in Deno)
  const undelivered = own(options, "keysIfUndelivered") ?? [];
  const keysIfUndelivered = [];
  for (let i = 0; i < undelivered.length; i++) {
    keysIfUndelivered[i] = op_kv_snapshot_key(undelivered[i]);
  }
  return {
    __proto__: null,
    payload: serializeValue(value),
    delay: delay === undefined ? 0 : delay,
    keysIfUndelivered,
    backoffSchedule,
  };
}

/** Commits one write; resolves to the versionstamp or null (check failed).
 * The op reads the keys, so a bad key rejects rather than throws. */
async function atomicWrite(rid, checks, mutations, enqueues) {
  return await op_kv_atomic_write(rid, checks, mutations, enqueues);
}

/** A mutation for the write op. The value is serialized now (an
 * unclonable value throws at once, as in Deno); the key is read by the op
 * at commit, where a bad key rejects. */
function mutationToOp(key, type, value, expireIn) {
  return {
    __proto__: null,
    key,
    type,
    value: type === "delete" ? null : encodeValue(value),
    expireIn: expireIn ?? null,
  };
}

function isKvU64(value) {
  return value !== null && typeof value === "object" &&
    ObjectPrototypeIsPrototypeOf(KvU64Prototype, value);
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
    ObjectFreeze(this);
  }

  valueOf() {
    return this.value;
  }

  toString() {
    return BigIntPrototypeToString(this.value);
  }

  get [SymbolToStringTag]() {
    return "Deno.KvU64";
  }

  [customInspect](inspect, options) {
    return `[Deno.KvU64: ${inspect(this.value, options)}]`;
  }
}
const KvU64Prototype = KvU64.prototype;

// Host objects (Blob, File, DOMException, CryptoKey, ...) are stored as the
// snapshot their `core.hostObjectBrand` method gives, as in Deno, and read
// back through the deserializer registered for the snapshot's `type`
// (`core.registerCloneableResource`). A runtime whose web platform classes
// load lazily registers `cloneableLoader` (see `setCloneableLoader`) to load
// the class whose deserializer is missing.
const cloneableDeserializers = core.getCloneableDeserializers();
let cloneableLoader = null;
function readHostObject(snapshot) {
  const type = own(snapshot, "type");
  if (typeof type !== "string") return undefined;
  let deserialize = cloneableDeserializers[type];
  if (deserialize === undefined && cloneableLoader !== null) {
    cloneableLoader(type);
    deserialize = cloneableDeserializers[type];
  }
  return typeof deserialize === "function" ? deserialize(snapshot) : undefined;
}

/**
 * Sets the function a runtime loads host object classes with: `loader(type)`
 * is called with a snapshot's `type` ("Blob", "CryptoKey", ...) when no
 * deserializer is registered for it yet.
 */
function setCloneableLoader(loader) {
  cloneableLoader = loader;
}

// What the ops run in JavaScript where the engine API cannot do it exactly
// (ext/src/shim.rs), and the versionstamp placeholder they recognize.
const shimHelpers = {
  __proto__: null,
  lessThan: (a, b) => a < b,
  toText: (value) => `${value}`,
  viewBytes,
  viewTag,
  commitVersionstamp: commitVersionstampSymbol,
};

// The value codec's builtins, captured now, before user code runs.
const intrinsics = op_kv_intrinsics();

/**
 * Hands the ops the `Deno.KvU64` class, the host object reader (reads build
 * `Deno.KvU64` values natively), the shim's helpers and the codec's builtins,
 * and learns the numbers the shim needs. Runs when this module evaluates; a
 * runtime started from a snapshot, whose ops' state the snapshot does not
 * hold, calls it again before user code.
 */
function init() {
  shimInfo = op_kv_init(KvU64, readHostObject, shimHelpers, intrinsics);
}
init();

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

  #record(method, args) {
    const log = this.#log;
    log[log.length] = { __proto__: null, method, args };
  }

  check(...checks) {
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i];
      const key = own(check, "key");
      const versionstamp = own(check, "versionstamp");
      const all = this.#checks;
      all[all.length] = { __proto__: null, key, versionstamp: versionstamp ?? null };
      this.#record("check", [{ key, versionstamp }]);
    }
    return this;
  }

  mutate(...mutations) {
    for (let i = 0; i < mutations.length; i++) {
      const mutation = mutations[i];
      const key = own(mutation, "key");
      const type = own(mutation, "type");
      const hasValue = hasOwn(mutation, "value");
      const value = hasValue ? mutation.value : undefined;
      const expireIn = own(mutation, "expireIn");
      op_kv_check_mutation(type, value, hasValue);
      // Deno only looks at expireIn of a `set`, and only when it is a number.
      const expires = type === "set" && typeof expireIn === "number" ? expireIn : undefined;
      validateExpireIn(expires);
      const all = this.#mutations;
      all[all.length] = mutationToOp(key, type, value, expires);
      const args = type === "delete" ? [key] : [key, value];
      if (expireIn !== undefined) args[args.length] = { expireIn };
      this.#record(type, args);
    }
    return this;
  }

  set(key, value, options) {
    const expireIn = own(options, "expireIn");
    validateExpireIn(expireIn);
    const all = this.#mutations;
    all[all.length] = mutationToOp(key, "set", value, expireIn);
    this.#record("set", expireIn === undefined ? [key, value] : [key, value, { expireIn }]);
    return this;
  }

  delete(key) {
    const all = this.#mutations;
    all[all.length] = mutationToOp(key, "delete");
    this.#record("delete", [key]);
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
    const all = this.#mutations;
    all[all.length] = mutationToOp(key, type, value);
    this.#record(type, [key, value]);
    return this;
  }

  enqueue(value, options) {
    const all = this.#enqueues;
    all[all.length] = enqueueToOp(value, options);
    this.#record("enqueue", options === undefined ? [value] : [value, options]);
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
    const log = this.#log;
    if (log.length === 0) return "AtomicOperation (empty)";
    const lines = [];
    for (let i = 0; i < log.length; i++) {
      const args = [];
      for (let j = 0; j < log[i].args.length; j++) args[j] = inspect(log[i].args[j], options);
      lines[i] = `  ${log[i].method}(${ArrayPrototypeJoin(args, ", ")})`;
    }
    return `AtomicOperation\n${ArrayPrototypeJoin(lines, "\n")}`;
  }
}

// A list iterator's progress, in the order it only moves forward.
const LIST_NEW = 0; // `next()` not called yet
const LIST_STARTED = 1; // `next()` called; the selector's keys not copied yet
const LIST_KEYED = 2; // the keys copied (by the first pull)
const LIST_LAST_BATCH = 3; // the last batch pulled
const LIST_DONE = 4; // exhausted

/** `Deno.KvListIterator`: pulls `list` results in batches. */
class KvListIterator {
  #rid;
  #state = LIST_NEW;
  // The selector's keys: as given (`undefined`: absent) until the first
  // pull, then copies in the ops' form (`null`: absent).
  #prefix;
  #start;
  #end;
  #reverse;
  #batchSize;
  #consistency;
  // How many entries the list may still pull: the limit minus the entries
  // pulled so far (`Infinity` without a limit).
  #remaining;
  // The `cursor` option, until an entry has been returned.
  #startCursor;
  // The current batch, in order; `#index` is the next entry to return.
  // (While an entry is buffered, the list is neither done nor at its
  // limit: a batch never holds more than the list may still return.)
  #buffer = [];
  #index = 0;
  // Key of the last returned entry; its cursor is computed on demand.
  #lastKey = null;

  constructor(rid, prefix, start, end, limit, batchSize, reverse, cursor, consistency) {
    this.#rid = rid;
    this.#prefix = prefix;
    this.#start = start;
    this.#end = end;
    this.#remaining = limit ?? Infinity;
    this.#batchSize = batchSize;
    this.#reverse = reverse;
    this.#startCursor = cursor;
    this.#consistency = consistency;
  }

  /** The cursor after the last returned entry (`""` when exhausted). */
  get cursor() {
    if (this.#state === LIST_NEW && this.#startCursor === null) {
      throw new Error("Cannot get cursor before first iteration");
    }
    if (this.#state === LIST_DONE) return "";
    if (this.#lastKey === null) return this.#startCursor ?? "";
    return op_kv_encode_cursor(this.#prefix, this.#start, this.#end, this.#lastKey);
  }

  /** The next entry; buffered entries resolve without another op call. */
  next() {
    const buffer = this.#buffer;
    const index = this.#index;
    // (buffered entries resolve at once: every 64th gives the event loop
    // its turn when the slice is used up)
    if (index < buffer.length && ((index & 63) !== 63 || !sliceExpired())) {
      const entry = buffer[index];
      this.#index = index + 1;
      this.#lastKey = entry.key;
      return PromiseResolve({ done: false, value: entry });
    }
    return this.#advance();
  }

  /** `next()` past the buffered entries, or yielding to the event loop. */
  #advance() {
    if (this.#state === LIST_NEW) this.#state = LIST_STARTED;
    if (this.#index < this.#buffer.length) {
      return PromisePrototypeThen(op_kv_void_async(), () => this.#take());
    }
    if (this.#state === LIST_DONE || this.#remaining <= 0) {
      return PromiseResolve({ done: true, value: undefined });
    }
    if (this.#state !== LIST_LAST_BATCH) return this.#pull();
    return PromiseResolve(this.#take());
  }

  async #pull() {
    if (this.#state < LIST_KEYED) {
      // (copies of the keys, taken at the first pull: later pulls and the
      // cursor use them; a bad key throws here)
      const prefix = this.#prefix === undefined ? null : op_kv_snapshot_key(this.#prefix);
      const start = this.#start === undefined ? null : op_kv_snapshot_key(this.#start);
      const end = this.#end === undefined ? null : op_kv_snapshot_key(this.#end);
      this.#prefix = prefix;
      this.#start = start;
      this.#end = end;
      this.#state = LIST_KEYED;
    }
    const want = MathMin(this.#batchSize, this.#remaining);
    const cursor = this.#lastKey === null
      ? this.#startCursor
      : op_kv_encode_cursor(this.#prefix, this.#start, this.#end, this.#lastKey);
    const entries = await listRead(
      this.#rid,
      this.#prefix,
      this.#start,
      this.#end,
      cursor,
      want,
      this.#batchSize,
      this.#reverse,
      this.#consistency,
    );
    if (entries.length < want) this.#state = LIST_LAST_BATCH;
    this.#remaining -= entries.length;
    this.#buffer = entries;
    this.#index = 0;
    return this.#take();
  }

  #take() {
    const index = this.#index;
    if (index >= this.#buffer.length) {
      this.#state = LIST_DONE;
      this.#buffer = [];
      return { done: true, value: undefined };
    }
    const entry = this.#buffer[index];
    this.#index = index + 1;
    this.#lastKey = entry.key;
    return { done: false, value: entry };
  }

  [SymbolAsyncIterator]() {
    return this;
  }
}

function validatePositiveInteger(value, message) {
  if (value !== undefined && (!NumberIsInteger(value) || value <= 0)) {
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

  /** Not `async`: a read `op_kv_get` answers at once (it takes only the
   * key: no range object) resolves without the extra turn an `await`
   * costs; errors still reject. When the slice is used up or the backend
   * cannot answer at once, the key is read as a range. */
  get(key, options) {
    try {
      const consistency = own(options, "consistency");
      const rid = this.#rid;
      if (!sliceExpired()) {
        const entry = op_kv_get(rid, key, consistency);
        if (entry !== null) return PromiseResolve(entryOf(key, entry));
      }
      return PromisePrototypeThen(
        rangePointRead(rid, key, consistency),
        (entry) => entryOf(key, entry),
      );
    } catch (error) {
      return PromiseReject(error);
    }
  }

  async getMany(keys, options) {
    const ranges = [];
    for (let i = 0; i < keys.length; i++) ranges[i] = keyRange(keys[i]);
    const consistency = own(options, "consistency");
    const results = await snapshotRead(this.#rid, ranges, consistency);
    const out = [];
    for (let i = 0; i < results.length; i++) out[i] = entryOf(keys[i], results[i][0]);
    return out;
  }

  async set(key, value, options) {
    const expireIn = own(options, "expireIn");
    validateExpireIn(expireIn);
    // The hot path: a dedicated op with positional arguments (same checks
    // and order as `atomic().set()`: value first, then key).
    const encoded = encodeValue(value);
    const versionstamp = await op_kv_set(
      this.#rid,
      key,
      encoded.encoding,
      encoded.bytes,
      expireIn ?? -1,
    );
    return { ok: true, versionstamp };
  }

  async delete(key) {
    await atomicWrite(this.#rid, [], [mutationToOp(key, "delete")], []);
  }

  list(selector, options) {
    // (own properties only, as `own` reads them, with the object check done
    // once for all the options)
    const given = isObject(options) ? options : null;
    const limit = given !== null && ObjectHasOwn(given, "limit") ? given.limit : undefined;
    if (limit !== undefined) {
      validatePositiveInteger(limit, "Limit must be a positive integer");
    }
    const givenBatchSize = given !== null && ObjectHasOwn(given, "batchSize")
      ? given.batchSize
      : undefined;
    const batchSize = givenBatchSize ?? undefined;
    validatePositiveInteger(batchSize, "batchSize must be a positive integer");
    if (selector === null || selector === undefined) {
      throw new TypeError(`Cannot read properties of ${selector} (reading 'prefix')`);
    }
    const keys = isObject(selector) ? selector : null;
    const prefix = keys !== null && ObjectHasOwn(keys, "prefix") ? keys.prefix : undefined;
    const start = keys !== null && ObjectHasOwn(keys, "start") ? keys.start : undefined;
    const end = keys !== null && ObjectHasOwn(keys, "end") ? keys.end : undefined;
    if (prefix === null || start === null || end === null) {
      throw new TypeError("Cannot convert undefined or null to object");
    }
    const hasPrefix = prefix !== undefined;
    const hasStart = start !== undefined;
    const hasEnd = end !== undefined;
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
    return new KvListIterator(
      this.#rid,
      prefix,
      start,
      end,
      limit,
      // Deno clamps the default only when batchSize is absent; an
      // explicit null falls back to the limit unclamped.
      givenBatchSize === undefined
        ? MathMin(limit ?? shimInfo.defaultListBatchSize, shimInfo.maxDefaultListBatchSize)
        : batchSize ?? limit ?? shimInfo.defaultListBatchSize,
      given !== null && ObjectHasOwn(given, "reverse") && !!given.reverse,
      (given !== null && ObjectHasOwn(given, "cursor") && given.cursor) || null,
      given !== null && ObjectHasOwn(given, "consistency") ? given.consistency : undefined,
    );
  }

  async enqueue(value, options) {
    const versionstamp = await atomicWrite(this.#rid, [], [], [enqueueToOp(value, options)]);
    return { ok: true, versionstamp };
  }

  /** Delivers queue messages to `handler` until the database closes
   * (also when the handler itself closes it). */
  async listenQueue(handler) {
    if (this.#closed) throw new Error("Queue already closed");
    const rid = this.#rid;
    while (!this.#closed) {
      let next;
      try {
        next = await op_kv_dequeue_next_message(rid);
      } catch (error) {
        if (this.#closed) break;
        throw error;
      }
      if (next === null) break;
      deliver(rid, handler, next.payload, next.id);
    }
  }

  /** A stream of the entries of `keys`: the current state, then one chunk
   * per change (every commit with `raw`). */
  watch(keys, options) {
    // The op checks the keys in Deno's order; when listing them failed
    // here, it only checks their count (and the database).
    const count = typeof keys?.length === "number" ? keys.length : 0;
    let raw, list, listError;
    try {
      raw = !!own(options, "raw");
      // (anything but a plain array goes to the op as it is, to be refused)
      if (ArrayIsArray(keys) && !core.isProxy(keys)) {
        list = [];
        for (let i = 0; i < keys.length; i++) list[i] = keys[i];
      } else {
        list = keys;
      }
    } catch (error) {
      listError = error;
    }
    const watchRid = op_kv_watch(this.#rid, count, list, listError === undefined);
    if (listError !== undefined) throw listError;
    const isClosed = () => this.#closed;
    // The encoded entries (or null) of the last chunk: an update marks the
    // unchanged ones. Each chunk decodes its own copies.
    const last = [];
    const ReadableStream = readableStream();
    // A null-prototype source: the stream's constructor must not find an
    // inherited `start` or `type`.
    return new ReadableStream({
      __proto__: null,
      async pull(controller) {
        while (true) {
          let updates;
          try {
            updates = await op_kv_watch_next(watchRid);
          } catch (error) {
            core.tryClose(watchRid);
            // A database closed before this pull started ends the stream too.
            if (isClosed()) controller.close();
            else controller.error(error);
            return;
          }
          if (updates === null) {
            core.tryClose(watchRid);
            controller.close();
            return;
          }
          let changed = false;
          for (let i = 0; i < keys.length; i++) {
            const update = updates[i];
            if (update === "unchanged") continue;
            const versionstamp = update?.versionstamp ?? null;
            if (i < last.length && versionstamp === (last[i]?.versionstamp ?? null)) continue;
            changed = true;
            last[i] = update;
          }
          // Deno's `raw` watch sees every update, even one changing nothing.
          if (!changed && !raw) continue;
          const chunk = [];
          for (let i = 0; i < last.length; i++) chunk[i] = watchedEntry(keys[i], last[i]);
          controller.enqueue(chunk);
          return;
        }
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

  [SymbolDispose]() {
    core.tryClose(this.#rid);
    this.#closed = true;
  }
}

/** Runs the queue handler on one message, then settles the message. Never
 * rejects: a handler error is logged, a settle after close is dropped. */
async function deliver(rid, handler, payload, id) {
  let success = false;
  try {
    await handler(op_kv_deserialize(payload));
    success = true;
  } catch (error) {
    globalThis.console.error("Exception in queue handler", error);
  }
  try {
    await op_kv_finish_dequeued_message(rid, id, success);
  } catch {
    // After close the message stays leased and is redelivered later.
  }
}

/** The entry of a single-key read. A missing entry keeps the caller's key;
 * a found one has typed array parts as the `Uint8Array` of their bytes (Deno
 * returns the stored key). */
function entryOf(key, entry) {
  if (entry === undefined) return { key, value: null, versionstamp: null };
  let copy = null;
  for (let i = 0; i < key.length; i++) {
    const part = key[i];
    // (only an object can be a byte view)
    if (typeof part !== "object" || part === null) continue;
    const bytes = viewBytes(part);
    if (bytes === undefined) continue;
    if (copy === null) {
      copy = [];
      for (let j = 0; j < key.length; j++) copy[j] = key[j];
    }
    copy[i] = new Uint8Array(bytes);
  }
  entry.key = copy ?? key;
  return entry;
}

/** An entry of a watch chunk, from its encoded value (or null). */
function watchedEntry(key, raw) {
  if (raw == null) return { key, value: null, versionstamp: null };
  return {
    key,
    value: op_kv_decode_value(raw.encoding, raw.value),
    versionstamp: raw.versionstamp,
  };
}

/** `Deno.openKv(path?)`. */
async function openKv(path) {
  const rid = await op_kv_database_open(path ?? null);
  return new Kv(rid, constructKey);
}

export { AtomicOperation, init, Kv, KvListIterator, KvU64, openKv, setCloneableLoader };
