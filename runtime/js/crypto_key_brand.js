// Gives every CryptoKey a host-object brand that works on the QuickJS
// backend, so that structuredClone and Deno KV store keys as Deno does.
//
// deno_crypto's Rust code stamps each key with a brand function whose
// snapshot lives in a FunctionTemplate's `data`; on the QuickJS backend
// (v8x 149.4.0-rc.4) that data is not kept reliably: some keys' brands
// return an empty object (an AES key from importKey, always), so the key
// would be stored as `{}`. This replaces the brand on the keys that the
// key-producing methods return with one that builds the same snapshot,
// `{ type, keyType, extractable, usages, algorithm, keyData }`, from the
// key itself (keyData is the key's `kKeyObject` slot, which deno_crypto
// fills with the same value).

import { core, internals, primordials } from "ext:core/mod.js";

const {
  ObjectDefineProperty,
  ObjectPrototypeIsPrototypeOf,
  PromisePrototypeThen,
  ReflectApply,
} = primordials;

/** Re-brands the keys deno_crypto's module (`crypto`) creates. */
export function rebrandCryptoKeys(crypto) {
  const CryptoKeyPrototype = crypto.CryptoKey.prototype;
  const kKeyObject = internals.kKeyObject;

  function brand(key) {
    if (!ObjectPrototypeIsPrototypeOf(CryptoKeyPrototype, key)) return;
    const keyData = key[kKeyObject];
    ObjectDefineProperty(key, core.hostObjectBrand, {
      value: () => ({
        type: "CryptoKey",
        keyType: key.type,
        extractable: key.extractable,
        usages: key.usages,
        algorithm: key.algorithm,
        keyData,
      }),
      writable: false,
      enumerable: false,
      configurable: true,
    });
  }

  /** Brands a key or both keys of a pair; returns `value`. */
  function brandResult(value) {
    if (value !== null && typeof value === "object") {
      brand(value);
      if (value.publicKey !== undefined) brand(value.publicKey);
      if (value.privateKey !== undefined) brand(value.privateKey);
    }
    return value;
  }

  function wrap(target, name, isAsync) {
    const original = target[name];
    if (typeof original !== "function") return;
    const wrapper = {
      [name](...args) {
        const result = ReflectApply(original, this, args);
        return isAsync ? PromisePrototypeThen(result, brandResult) : brandResult(result);
      },
    }[name];
    ObjectDefineProperty(wrapper, "length", { value: original.length, configurable: true });
    ObjectDefineProperty(target, name, {
      value: wrapper,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }

  const subtle = crypto.SubtleCrypto.prototype;
  for (const name of ["generateKey", "importKey", "deriveKey", "unwrapKey"]) wrap(subtle, name, true);
  // (keys read back from KV or structuredClone)
  wrap(crypto.CryptoKey, "fromCloneData", false);
}
