// Entry point of the kv_ext extension: puts Deno KV's public API on the
// global `Deno` namespace (creating it in runtimes that have none).

import * as kv from "ext:kv_ext/01_kv.js";

const deno = globalThis.Deno ?? (globalThis.Deno = {});
for (const name of ["openKv", "Kv", "AtomicOperation", "KvU64", "KvListIterator"]) {
  Object.defineProperty(deno, name, {
    value: kv[name],
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
