// `Deno.permissions`, `Deno.Permissions` and `Deno.PermissionStatus` with
// Deno's shape and messages, over kvrt's permission ops. Loaded on first use
// of one of them (bootstrap.js).

(function () {
const { core, primordials } = __bootstrap;
const {
  op_kvrt_permission_query,
  op_kvrt_permission_request,
  op_kvrt_permission_revoke,
} = core.ops;
const {
  ArrayIsArray,
  ArrayPrototypeIncludes,
  ArrayPrototypeMap,
  ArrayPrototypeSlice,
  FunctionPrototypeCall,
  ObjectCreate,
  PromiseReject,
  PromiseResolve,
  ReflectHas,
  SafeMap,
  MapPrototypeGet,
  MapPrototypeSet,
  Symbol,
  SymbolFor,
  TypeError,
} = primordials;

const { Event, EventTarget } = core.loadExtScript("ext:deno_web/02_event.js");
const { pathFromURL } = core.loadExtScript("ext:deno_web/00_infra.js");

const illegalConstructor = Symbol("illegalConstructor");

/** The permission names Deno 2.9 knows. */
const NAMES = ["read", "write", "net", "env", "sys", "run", "ffi", "import"];
/** The descriptor field each name is narrowed by. */
const FIELD = {
  read: "path",
  write: "path",
  ffi: "path",
  net: "host",
  import: "host",
  env: "variable",
  sys: "kind",
  run: "command",
};

class PermissionStatus extends EventTarget {
  /** `{ state, partial }`, updated when a later call sees a new state. */
  #status;
  onchange = null;

  constructor(status = null, key = null) {
    if (key !== illegalConstructor) throw new TypeError("Illegal constructor");
    super();
    this.#status = status;
  }

  get state() {
    return this.#status.state;
  }

  get partial() {
    return this.#status.partial;
  }

  /** Updates the state; dispatches `change` when it changed. */
  static update(status, next) {
    const current = status.#status;
    if (current.state === next.state && current.partial === next.partial) return;
    status.#status = next;
    status.dispatchEvent(new Event("change", { cancelable: false }));
  }

  dispatchEvent(event) {
    let dispatched = super.dispatchEvent(event);
    if (dispatched && this.onchange) {
      FunctionPrototypeCall(this.onchange, this, event);
      dispatched = !event.defaultPrevented;
    }
    return dispatched;
  }

  [SymbolFor("Deno.privateCustomInspect")](inspect) {
    const shown = { state: this.state, onchange: this.onchange };
    if (this.partial) shown.partial = this.partial;
    return `${this.constructor.name} ${inspect(shown)}`;
  }
}
const updateStatus = PermissionStatus.update;
delete PermissionStatus.update;

/** One PermissionStatus per descriptor, as in Deno: later calls update it. */
const statuses = new SafeMap();

function statusFor(desc, status) {
  const field = FIELD[desc.name];
  const key = desc[field] !== undefined && desc[field] !== null
    ? `${desc.name}-${desc[field]}&`
    : `${desc.name}$`;
  const cached = MapPrototypeGet(statuses, key);
  if (cached !== undefined) {
    updateStatus(cached, status);
    return cached;
  }
  const created = new PermissionStatus(status, illegalConstructor);
  MapPrototypeSet(statuses, key, created);
  return created;
}

/** Validates a descriptor and copies it (own fields, file URLs as paths) for the ops. */
function opDescriptor(desc) {
  const name = typeof desc === "object" && desc !== null ? desc.name : undefined;
  if (!ArrayPrototypeIncludes(NAMES, name)) {
    throw new TypeError(`The provided value "${name}" is not a valid permission name`);
  }
  const out = ObjectCreate(null);
  out.name = name;
  const field = FIELD[name];
  if (ReflectHas(desc, field) && desc[field] !== undefined && desc[field] !== null) {
    let value = desc[field];
    if (field === "path" || field === "command") {
      // Deno writes the path of a file URL back into the descriptor.
      value = pathFromURL(value);
      desc[field] = value;
    }
    out[field] = `${value}`;
  }
  return out;
}

function makeSync(op) {
  return function (desc) {
    const opDesc = opDescriptor(desc);
    return statusFor(opDesc, op(opDesc));
  };
}

function makeAsync(sync) {
  return function (desc) {
    try {
      return PromiseResolve(sync(desc));
    } catch (error) {
      return PromiseReject(error);
    }
  };
}

const querySync = makeSync(op_kvrt_permission_query);
const requestSync = makeSync(op_kvrt_permission_request);
const revokeSync = makeSync(op_kvrt_permission_revoke);
const query = makeAsync(querySync);
const request = makeAsync(requestSync);
const revoke = makeAsync(revokeSync);

class Permissions {
  constructor(key = null) {
    if (key !== illegalConstructor) throw new TypeError("Illegal constructor");
  }

  query(desc) {
    return query(desc);
  }

  querySync(desc) {
    return querySync(desc);
  }

  revoke(desc) {
    return revoke(desc);
  }

  revokeSync(desc) {
    return revokeSync(desc);
  }

  request(desc) {
    return request(desc);
  }

  requestSync(desc) {
    return requestSync(desc);
  }
}

const permissions = new Permissions(illegalConstructor);

/**
 * A `Deno.test` `permissions` option as the pledge op reads it: `"inherit"`,
 * `"none"`, or per name `true`/`false`/`"inherit"`/a list (file URLs in path
 * lists become paths).
 */
function serializePermissions(option) {
  if (typeof option !== "object" || option === null) return option;
  const out = ObjectCreate(null);
  for (const name of NAMES) {
    if (!ReflectHas(option, name)) continue;
    const value = option[name];
    if (ArrayIsArray(value)) {
      out[name] = FIELD[name] === "path" || name === "run"
        ? ArrayPrototypeMap(value, (item) => pathFromURL(item))
        : ArrayPrototypeSlice(value);
    } else {
      out[name] = value;
    }
  }
  return out;
}

return { permissions, Permissions, PermissionStatus, serializePermissions };
})();
