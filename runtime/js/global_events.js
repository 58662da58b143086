// Global events, as in Deno: `globalThis` is an EventTarget
// (addEventListener, removeEventListener, dispatchEvent, and the onload,
// onbeforeunload, onunload, onerror and onunhandledrejection handlers), with
// `load`, `beforeunload` and `unload` around the main module's run (see
// runtime/src/run.rs), `error` for uncaught exceptions and
// `unhandledrejection` / `rejectionhandled` for promises.
//
// deno_web's event code loads on the first use of one of these globals:
// until then no listener can exist, so there is nothing to dispatch and
// errors take deno_core's default path.

import { core } from "ext:core/mod.js";
import { op_kvrt_lifecycle_install } from "ext:core/ops";

const ObjectDefineProperty = Object.defineProperty;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const SymbolFor = Symbol.for;
const SymbolToStringTag = Symbol.toStringTag;

const METHODS = ["addEventListener", "removeEventListener", "dispatchEvent"];
const HANDLERS = ["load", "beforeunload", "unload", "error", "unhandledrejection"];
const UNLOAD_DISPATCHED = SymbolFor("Deno.isUnloadDispatched");

/** deno_web's 02_event.js once loaded, else null. */
let events = null;
/** Bootstrap's lazy script loader. */
let loadScript = null;

/** Loads the event code and makes `globalThis` the EventTarget Deno's is. */
export function ensureEvents() {
  if (events !== null) return events;
  const mod = loadScript("02_event");
  for (const name of HANDLERS) delete globalThis[`on${name}`];
  mod.saveGlobalThisReference(globalThis);
  mod.setEventTargetData(globalThis);
  // EventTarget's methods check Web IDL's brand on their receiver.
  const { brand } = loadScript("ext:deno_webidl/00_webidl.js");
  ObjectDefineProperty(globalThis, brand, { value: brand, configurable: true });
  // Deno's globalThis is a Window, whose prototype chain holds EventTarget.
  const windowPrototype = Object.create(mod.EventTarget.prototype);
  ObjectDefineProperty(windowPrototype, SymbolToStringTag, {
    value: "Window",
    configurable: true,
  });
  ObjectSetPrototypeOf(globalThis, windowPrototype);
  for (const name of HANDLERS) mod.defineEventHandler(globalThis, name);
  events = mod;
  return mod;
}

function dispatch(event) {
  return globalThis.dispatchEvent(event);
}

/**
 * Called by the runtime (through the op below) for `load`, `beforeunload`
 * and `unload`; returns whether a `beforeunload` listener asked to stay.
 */
function dispatchLifecycle(type) {
  if (events === null) return false;
  if (type === "unload" && globalThis[UNLOAD_DISPATCHED]) return false;
  const event = new events.Event(type, { cancelable: type === "beforeunload" });
  dispatch(event);
  return event.defaultPrevented;
}

/** `Deno.exit` dispatches `unload` first, as in Deno. */
export function dispatchUnloadBeforeExit() {
  dispatchLifecycle("unload");
}

/** Installs the lazy globals and the error and rejection hooks. */
export function install(load) {
  loadScript = load;
  // The methods are inherited, as from Deno's Window.prototype: until the
  // event code loads, a prototype of stubs stands in for it.
  const stubs = Object.create(ObjectGetPrototypeOf(globalThis));
  for (const name of METHODS) {
    ObjectDefineProperty(stubs, name, {
      get() {
        ensureEvents();
        return globalThis[name];
      },
      set(value) {
        ensureEvents();
        globalThis[name] = value;
      },
      enumerable: true,
      configurable: true,
    });
  }
  ObjectSetPrototypeOf(globalThis, stubs);
  for (const name of HANDLERS) {
    ObjectDefineProperty(globalThis, `on${name}`, {
      get() {
        ensureEvents();
        return globalThis[`on${name}`];
      },
      set(value) {
        ensureEvents();
        globalThis[`on${name}`] = value;
      },
      enumerable: true,
      configurable: true,
    });
  }
  // Uncaught exceptions (timers, microtasks, listeners) are `error` events
  // first; one that no listener cancels ends the program, as before.
  core.setReportExceptionCallback((error) => {
    if (events === null) core.reportUnhandledException(error);
    else events.reportException(error);
  });
  // A rejection nobody handles is an `unhandledrejection` event; a listener
  // that calls preventDefault() keeps the program running.
  core.setUnhandledPromiseRejectionHandler((promise, reason) => {
    if (events === null) return false;
    const event = new events.PromiseRejectionEvent("unhandledrejection", {
      cancelable: true,
      promise,
      reason,
    });
    dispatch(event);
    return event.defaultPrevented;
  });
  core.setHandledPromiseRejectionHandler((promise, reason) => {
    if (events === null) return;
    dispatch(new events.PromiseRejectionEvent("rejectionhandled", { promise, reason }));
  });
}

/** Hands the runtime the lifecycle dispatcher (at every start). */
export function start() {
  op_kvrt_lifecycle_install(dispatchLifecycle);
}
