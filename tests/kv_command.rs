//! `kvrt kv …`: backup under concurrent writers, export/import round trips,
//! interchange of the @deno/kv-utils JSON form with real Deno code, and bad
//! input. Scripts are written into a temporary directory by each test; the
//! real Deno 2.9.6 comes from `KVRT_DENO_BIN` or `node_modules/` (see
//! `common::deno_bin`). No network is used.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use kv_engine::{decode_key, KeyPart};
use rusqlite::Connection;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kvrt-kvcmd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn kvrt_command(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kvrt"));
    c.current_dir(dir).env("KVRT_DIR", dir.join("kvrt-home"));
    c
}

/// Runs `kvrt <args>` in `dir`; checks that it did not panic.
fn kvrt(dir: &Path, args: &[&str]) -> Output {
    let out = kvrt_command(dir).args(args).output().expect("kvrt runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "kvrt {args:?} panicked: {stderr}"
    );
    out
}

/// Runs `kvrt <args>` and requires success; returns stdout.
fn kvrt_ok(dir: &Path, args: &[&str]) -> String {
    let out = kvrt(dir, args);
    assert!(
        out.status.success(),
        "kvrt {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `kvrt <args>`, requires failure; returns stderr.
fn kvrt_fails(dir: &Path, args: &[&str]) -> String {
    let out = kvrt(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "kvrt {args:?} should fail; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains("error: "), "no error message: {stderr}");
    stderr
}

/// Runs a script under the real Deno; returns stdout.
fn deno_ok(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(common::deno_bin())
        .args(["run", "--unstable-kv", "-A"])
        .args(args)
        .current_dir(dir)
        .env("DENO_NO_UPDATE_CHECK", "1")
        .env("NO_COLOR", "1")
        .output()
        .expect("deno runs");
    assert!(
        out.status.success(),
        "deno {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path
}

/// Entries of an NDJSON export as JSON values without their versionstamps
/// (which are reported, not imported).
fn export_entries(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("export line is JSON");
            let obj = v.as_object_mut().expect("export line is an object");
            let vs = obj.remove("versionstamp").expect("versionstamp reported");
            assert!(
                vs.as_str().is_some_and(|s| s.len() == 20),
                "bad versionstamp {vs}"
            );
            v
        })
        .collect()
}

/// The number of rows of `table` in the database file.
fn rows(path: &Path, table: &str) -> i64 {
    let conn = Connection::open(path).expect("open");
    conn.query_row(&format!("select count(*) from {table}"), [], |r| r.get(0))
        .expect("count")
}

// ---------------------------------------------------------------------------
// Backup while 4 processes write

/// Writer: atomic pairs `["pair", id, "a"]` / `["pair", id, "b"]` (same
/// value, one commit) plus a delayed queue message now and then, until the
/// stop file exists. Prints "started" after its first commit.
const WRITER: &str = r#"
const [path, id, stop] = Deno.args;
const kv = await Deno.openKv(path);
const pad = "x".repeat(300);
for (let i = 1; ; i++) {
  const op = kv.atomic()
    .set(["pair", id, "a"], { i, pad })
    .set(["pair", id, "b"], { i, pad })
    .set(["log", id, i], pad);
  if (i % 10 === 1) op.enqueue({ id, i }, { delay: 3_600_000 });
  const res = await op.commit();
  if (!res.ok) throw new Error("commit failed");
  if (i === 1) console.log("started");
  if (i % 5 === 0) {
    try { Deno.readTextFileSync(stop); break; } catch { /* keep writing */ }
  }
}
kv.close();
"#;

/// Prefills a database with `n` entries of 1 KiB so that a backup takes many steps.
const PREFILL: &str = r#"
const [path, n] = Deno.args;
const kv = await Deno.openKv(path);
const big = "y".repeat(1024);
for (let i = 0; i < Number(n); i += 500) {
  const op = kv.atomic();
  for (let j = i; j < Math.min(i + 500, Number(n)); j++) op.set(["fill", j], big);
  await op.commit();
}
kv.close();
"#;

/// Prints every entry (key and value as JSON), then the count: run by both
/// Deno and kvrt on the same file.
const DUMP_JSON: &str = r#"
const kv = await Deno.openKv(Deno.args[0]);
const lines = [];
let n = 0;
for await (const e of kv.list({ prefix: [] })) {
  // Long strings as their length: the comparison stays exact but cheap.
  lines.push(JSON.stringify([e.key, e.value, e.versionstamp], (_k, v) =>
    typeof v === "string" && v.length > 20 ? `${v[0]}*${v.length}` : v));
  n++;
}
lines.push(`count ${n}`);
console.log(lines.join("\n"));
kv.close();
"#;

fn spawn_writer(dir: &Path, db: &Path, id: usize, stop: &Path) -> Child {
    kvrt_command(dir)
        .args(["run", "-A", "writer.ts"])
        .arg(db)
        .arg(format!("w{id}"))
        .arg(stop)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("writer starts")
}

#[test]
fn backup_while_four_processes_write_is_consistent_and_opens_in_deno() {
    let dir = temp_dir("backup");
    write(&dir, "writer.ts", WRITER);
    write(&dir, "prefill.ts", PREFILL);
    write(&dir, "dump.ts", DUMP_JSON);
    let db = dir.join("live.sqlite");
    let stop = dir.join("stop");
    kvrt_ok(&dir, &["run", "-A", "prefill.ts", "live.sqlite", "12000"]);

    let mut writers: Vec<Child> = (0..4).map(|i| spawn_writer(&dir, &db, i, &stop)).collect();
    for w in &mut writers {
        let mut line = String::new();
        let stdout = w.stdout.as_mut().expect("stdout");
        BufReader::new(stdout).read_line(&mut line).expect("read");
        assert_eq!(line.trim(), "started");
    }
    // Several backups while the writers keep committing.
    let mut backups = Vec::new();
    for n in 0..3 {
        let name = format!("backup{n}.sqlite");
        let started = Instant::now();
        kvrt_ok(&dir, &["kv", "backup", "live.sqlite", &name]);
        eprintln!("backup {n}: {:?}", started.elapsed());
        backups.push(dir.join(name));
        std::thread::sleep(Duration::from_millis(200));
    }
    std::fs::write(&stop, "").expect("stop file");
    for mut w in writers {
        let out = w.wait().expect("writer exits");
        let mut stderr = String::new();
        if let Some(mut e) = w.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        assert!(out.success(), "writer failed: {stderr}");
    }

    for backup in &backups {
        let conn = Connection::open(backup).expect("backup opens");
        let check: String = conn
            .query_row("pragma integrity_check", [], |r| r.get(0))
            .expect("integrity_check");
        assert_eq!(check, "ok", "{}", backup.display());
        let mode: String = conn
            .query_row("pragma journal_mode", [], |r| r.get(0))
            .expect("journal_mode");
        assert_eq!(mode, "wal");
        // Pairs: both halves present with the same value and version.
        let mut pairs: BTreeMap<(String, String), (Vec<u8>, i64)> = BTreeMap::new();
        let mut stmt = conn
            .prepare("select k, v, version from kv")
            .expect("prepare");
        let mut rows_iter = stmt.query([]).expect("query");
        while let Some(row) = rows_iter.next().expect("row") {
            let k: Vec<u8> = row.get(0).expect("k");
            let parts = decode_key(&k).expect("key decodes");
            if let [KeyPart::String(p), KeyPart::String(id), KeyPart::String(half)] = &parts[..] {
                if p == "pair" {
                    pairs.insert(
                        (id.clone(), half.clone()),
                        (row.get(1).expect("v"), row.get(2).expect("version")),
                    );
                }
            }
        }
        for id in 0..4 {
            let a = pairs.get(&(format!("w{id}"), "a".into()));
            let b = pairs.get(&(format!("w{id}"), "b".into()));
            assert!(
                a.is_some() && b.is_some(),
                "writer {id}: a pair half is missing"
            );
            assert_eq!(
                a,
                b,
                "writer {id}: the pair is torn in {}",
                backup.display()
            );
        }
        drop(rows_iter);
        drop(stmt);
        // Queue messages were copied too.
        assert!(rows(backup, "queue") > 0, "queue table empty in the backup");
        drop(conn);
        // The same entries in real Deno and in kvrt.
        let name = backup.file_name().and_then(|n| n.to_str()).expect("name");
        let in_deno = deno_ok(&dir, &["dump.ts", name]);
        let in_kvrt = kvrt_ok(&dir, &["run", "-A", "dump.ts", name]);
        assert_eq!(in_deno, in_kvrt, "Deno and kvrt read different entries");
        let count: i64 = in_deno
            .lines()
            .last()
            .and_then(|l| l.strip_prefix("count "))
            .and_then(|n| n.parse().ok())
            .expect("count line");
        assert_eq!(count, rows(backup, "kv"));
        assert!(count >= 12_000 + 12);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// Export -> import round trip

/// Every value and key type Deno KV stores.
const SEED_ALL_TYPES: &str = r#"
const kv = await Deno.openKv(Deno.args[0]);
const err = new RangeError("out of range", { cause: new Error("inner") });
const nested = { a: [1, { b: new Map([[1n, new Set(["x", null])]]) }], "__proto__x": true };
const shared = { s: 1 };
const buf = new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]).buffer;
const values = {
  string: "héllo \u0000 wörld 🎉",
  empty: "",
  int: 42,
  float: -1.5e300,
  negzero: -0,
  nan: NaN,
  inf: Infinity,
  ninf: -Infinity,
  big: 123456789012345678901234567890n,
  negbig: -5n,
  t: true,
  f: false,
  nul: null,
  undef: undefined,
  u8: new Uint8Array([0, 1, 2, 255]),
  u8empty: new Uint8Array(0),
  i16: new Int16Array([-1, 2, 300]),
  f64: new Float64Array([Math.PI, -0]),
  bi64: new BigInt64Array([-1n, 2n]),
  clamped: new Uint8ClampedArray([1, 255]),
  ab: buf,
  dv: new DataView(new Uint8Array([1, 2, 3]).buffer),
  u64: new Deno.KvU64(18446744073709551615n),
  u64zero: new Deno.KvU64(0n),
  date: new Date("2024-02-29T12:34:56.789Z"),
  regexp: /a\/b[c]+$/gimsuy,
  map: new Map([["k", 1], [2, "two"], [{ o: 1 }, [3]]]),
  set: new Set([1, "1", 1n]),
  error: err,
  typeError: new TypeError("bad type"),
  evalError: new EvalError("e"),
  syntaxError: new SyntaxError("s"),
  referenceError: new ReferenceError("r"),
  uriError: new URIError("u"),
  array: [1, "two", [3, [4]], { five: 5 }],
  nested,
  sharedTwice: [shared, shared],
  emptyObject: {},
  emptyArray: [],
};
for (const [name, value] of Object.entries(values)) await kv.set(["v", name], value);
const keys = [
  [new Uint8Array([0, 0, 255])],
  [new Uint8Array(0)],
  ["", "nested", "path"],
  [1n],
  [-(2n ** 70n)],
  [0],
  [-0],
  [-1.25],
  [NaN],
  [Infinity],
  [false],
  [true],
  ["mixed", 1, 2n, true, new Uint8Array([1])],
];
for (const [i, key] of keys.entries()) await kv.set(["k", ...key], i);
await kv.set(["ttl"], "expires later", { expireIn: 3_600_000 });
kv.close();
"#;

#[test]
fn export_import_round_trip_of_every_value_type_is_identical() {
    let dir = temp_dir("roundtrip");
    write(&dir, "seed.ts", SEED_ALL_TYPES);
    kvrt_ok(&dir, &["run", "-A", "seed.ts", "one.sqlite"]);
    kvrt_ok(&dir, &["kv", "export", "one.sqlite", "--out", "one.ndjson"]);
    let out = kvrt(&dir, &["kv", "import", "two.sqlite", "one.ndjson"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = std::fs::read_to_string(dir.join("one.ndjson")).expect("export");
    let entries = export_entries(&first);
    assert!(
        stderr.contains(&format!("imported {} entries", entries.len())),
        "{stderr}"
    );
    kvrt_ok(&dir, &["kv", "export", "two.sqlite", "--out", "two.ndjson"]);
    let second = std::fs::read_to_string(dir.join("two.ndjson")).expect("export");
    assert_eq!(entries, export_entries(&second));
    // The export to stdout is the same as to a file.
    let stdout = kvrt_ok(&dir, &["kv", "export", "two.sqlite", "-q"]);
    assert_eq!(stdout, second);
    // Spot checks of the typed form.
    let find = |name: &str| -> serde_json::Value {
        entries
            .iter()
            .find(|e| e["key"][1]["value"] == name && e["key"][0]["value"] == "v")
            .map(|e| e["value"].clone())
            .unwrap_or_else(|| panic!("no entry {name}"))
    };
    assert_eq!(
        find("u64"),
        serde_json::json!({"type": "KvU64", "value": "18446744073709551615"})
    );
    assert_eq!(
        find("u8"),
        serde_json::json!({"type": "Uint8Array", "value": "AAEC_w"})
    );
    assert_eq!(
        find("date"),
        serde_json::json!({"type": "Date", "value": "2024-02-29T12:34:56.789Z"})
    );
    assert_eq!(
        find("regexp"),
        serde_json::json!({"type": "RegExp", "value": "/a\\/b[c]+$/gimsuy"})
    );
    assert_eq!(
        find("nan"),
        serde_json::json!({"type": "number", "value": "NaN"})
    );
    assert_eq!(find("undef"), serde_json::json!({"type": "undefined"}));
    assert_eq!(find("error")["type"], "RangeError");
    assert_eq!(find("error")["value"]["cause"]["type"], "Error");
    assert!(first.contains(r#"{"type":"number","value":-0}"#));
    // Both databases read the same in kvrt (inspect formatting).
    assert_eq!(
        kvrt_ok(&dir, &["kv", "list", "one.sqlite"]),
        kvrt_ok(&dir, &["kv", "list", "two.sqlite"])
    );
    // --prefix exports a part.
    let part = kvrt_ok(
        &dir,
        &["kv", "export", "one.sqlite", "--prefix", r#"["k"]"#],
    );
    assert_eq!(export_entries(&part).len(), 13);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// Interchange with Deno code that uses the @deno/kv-utils JSON form

/// The JSON form, written from the documentation of `@deno/kv-utils`
/// (`keyPartToJSON`, `valueToJSON`, `entryToJSON`, `toKeyPart`, `toValue`,
/// `toEntry`) for this test: URL-safe base64 without padding for bytes,
/// strings for bigint/KvU64 and special numbers, ISO dates, `String(regexp)`,
/// errors as `{ message, cause?, stack? }` under their class name.
const DENO_JSON_FORM: &str = r#"
const b64 = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64 = (s) => {
  s = s.replace(/-/g, "+").replace(/_/g, "/");
  s += "=".repeat((4 - s.length % 4) % 4);
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
};
const TYPED = { Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
  Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array };
const ERRORS = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

function keyPartToJSON(v) {
  switch (typeof v) {
    case "bigint": return { type: "bigint", value: String(v) };
    case "boolean": return { type: "boolean", value: v };
    case "number":
      if (Number.isNaN(v)) return { type: "number", value: "NaN" };
      if (v === Infinity) return { type: "number", value: "Infinity" };
      if (v === -Infinity) return { type: "number", value: "-Infinity" };
      return { type: "number", value: v };
    case "string": return { type: "string", value: v };
    case "object": if (v instanceof Uint8Array) return { type: "Uint8Array", value: b64(v) };
  }
  throw new TypeError("Unable to serialize value.");
}
function valueToJSON(v) {
  switch (typeof v) {
    case "bigint": case "boolean": case "number": case "string": return keyPartToJSON(v);
    case "undefined": return { type: "undefined" };
  }
  if (Array.isArray(v)) return { type: "Array", value: v.map(valueToJSON) };
  if (v instanceof DataView) return { type: "DataView", value: b64(new Uint8Array(v.buffer)) };
  if (ArrayBuffer.isView(v)) return { type: v[Symbol.toStringTag], value: b64(new Uint8Array(v.buffer)) };
  if (v instanceof ArrayBuffer) return { type: "ArrayBuffer", value: b64(new Uint8Array(v)) };
  if (v instanceof Date) return { type: "Date", value: v.toJSON() };
  if (v instanceof Deno.KvU64) return { type: "KvU64", value: String(v) };
  if (v instanceof Error) {
    const value = { message: v.message };
    if (v.cause) value.cause = valueToJSON(v.cause);
    if (v.stack) value.stack = v.stack;
    const type = Object.keys(ERRORS).find((n) => v instanceof ERRORS[n]) ?? "Error";
    return { type, value };
  }
  if (v instanceof Map) return { type: "Map", value: [...v].map(([k, x]) => [valueToJSON(k), valueToJSON(x)]) };
  if (v === null) return { type: "null", value: null };
  if (v instanceof RegExp) return { type: "RegExp", value: String(v) };
  if (v instanceof Set) return { type: "Set", value: [...v].map(valueToJSON) };
  return { type: "object", value: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, valueToJSON(x)])) };
}
function toKeyPart(j) {
  switch (j.type) {
    case "Uint8Array": return unb64(j.value);
    case "bigint": return BigInt(j.value);
    case "boolean": case "string": return j.value;
    case "number":
      return j.value === "NaN" ? NaN : j.value === "Infinity" ? Infinity : j.value === "-Infinity" ? -Infinity : j.value;
  }
  throw new TypeError(`Unexpected key part type: "${j.type}".`);
}
function toValue(j) {
  switch (j.type) {
    case "Array": return j.value.map(toValue);
    case "Map": return new Map(j.value.map(([k, v]) => [toValue(k), toValue(v)]));
    case "object": return Object.fromEntries(Object.entries(j.value).map(([k, v]) => [k, toValue(v)]));
    case "Set": return new Set(j.value.map(toValue));
    case "null": return null;
    case "undefined": return undefined;
    case "ArrayBuffer": return unb64(j.value).buffer;
    case "DataView": return new DataView(unb64(j.value).buffer);
    case "Date": return new Date(j.value);
    case "KvU64": return new Deno.KvU64(BigInt(j.value));
    case "RegExp": {
      const parts = j.value.split("/");
      const flags = parts.pop();
      const [, ...pattern] = parts;
      return new RegExp(pattern.join("/"), flags);
    }
    case "bigint": case "boolean": case "number": case "string": return toKeyPart(j);
  }
  if (j.type in TYPED) return j.type === "Uint8Array" ? unb64(j.value) : new TYPED[j.type](unb64(j.value).buffer);
  if (j.type === "Error" || j.type in ERRORS) {
    const C = j.type === "Error" ? Error : ERRORS[j.type];
    const e = new C(j.value.message, j.value.cause ? { cause: toValue(j.value.cause) } : undefined);
    if (j.value.stack) Object.defineProperty(e, "stack", { value: j.value.stack, writable: false, enumerable: false, configurable: true });
    return e;
  }
  throw new TypeError(`Unexpected value type: "${j.type}"`);
}
const entryToJSON = ({ key, value, versionstamp }) => ({ key: key.map(keyPartToJSON), value: valueToJSON(value), versionstamp });
const toEntry = ({ key, value, versionstamp }) => ({ key: key.map(toKeyPart), value: toValue(value), versionstamp });

const [mode, a, b] = Deno.args;
if (mode === "seed") {
  const kv = await Deno.openKv(a);
  const values = [
    "text ✓", 7, -2.5, NaN, -Infinity, 99n, true, null, undefined,
    new Uint8Array([1, 2, 3]), new Int32Array([-7, 8]), new Uint8Array([5, 6]).buffer,
    new Deno.KvU64(12345n), new Date(86_400_000), /x\/y/g,
    new Map([["m", new Set([1, 2])]]), new Set(["a", 3n]),
    new TypeError("typed", { cause: "why" }), new Error("plain"),
    { deep: { deeper: [1, { deepest: "yes" }] } }, [[], {}],
  ];
  for (const [i, v] of values.entries()) await kv.set(["deno", i], v);
  await kv.set([new Uint8Array([0, 255]), 3n, false, 1.5, "s"], "all key part types");
  kv.close();
} else if (mode === "export") {
  const kv = await Deno.openKv(a);
  const lines = [];
  for await (const e of kv.list({ prefix: [] })) lines.push(JSON.stringify(entryToJSON(e)));
  await Deno.writeTextFile(b, lines.join("\n") + "\n");
  kv.close();
} else if (mode === "import") {
  const kv = await Deno.openKv(b);
  for (const line of (await Deno.readTextFile(a)).split("\n")) {
    if (!line.trim()) continue;
    const e = toEntry(JSON.parse(line));
    await kv.set(e.key, e.value);
  }
  kv.close();
} else if (mode === "dump") {
  const kv = await Deno.openKv(a);
  for await (const e of kv.list({ prefix: [] })) console.log(Deno.inspect([e.key, e.value], { depth: 100 }));
  kv.close();
}
"#;

#[test]
fn deno_json_form_files_import_into_kvrt_and_back() {
    let dir = temp_dir("interchange");
    write(&dir, "form.ts", DENO_JSON_FORM);
    // Deno writes a database and exports it with the library's JSON form.
    deno_ok(&dir, &["form.ts", "seed", "deno.sqlite"]);
    deno_ok(&dir, &["form.ts", "export", "deno.sqlite", "deno.ndjson"]);
    // kvrt imports that file ...
    kvrt_ok(&dir, &["kv", "import", "kvrt.sqlite", "deno.ndjson"]);
    // ... and real Deno reads the same values from kvrt's database.
    let original = deno_ok(&dir, &["form.ts", "dump", "deno.sqlite"]);
    assert!(original.lines().count() >= 22, "{original}");
    assert_eq!(deno_ok(&dir, &["form.ts", "dump", "kvrt.sqlite"]), original);
    // kvrt's export is the same JSON as Deno's ...
    kvrt_ok(
        &dir,
        &["kv", "export", "kvrt.sqlite", "--out", "kvrt.ndjson"],
    );
    let from_deno = std::fs::read_to_string(dir.join("deno.ndjson")).expect("read");
    let from_kvrt = std::fs::read_to_string(dir.join("kvrt.ndjson")).expect("read");
    assert_eq!(export_entries(&from_deno), export_entries(&from_kvrt));
    // ... and Deno code imports kvrt's file back to the same values.
    deno_ok(&dir, &["form.ts", "import", "kvrt.ndjson", "back.sqlite"]);
    assert_eq!(deno_ok(&dir, &["form.ts", "dump", "back.sqlite"]), original);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// Inspection commands and --default

#[test]
fn get_list_set_delete_and_default_database() {
    let dir = temp_dir("inspect");
    kvrt_ok(
        &dir,
        &[
            "kv",
            "set",
            "db.sqlite",
            r#"["users","alice"]"#,
            r#"{"age":30,"tags":["a"]}"#,
        ],
    );
    kvrt_ok(
        &dir,
        &[
            "kv",
            "set",
            "db.sqlite",
            r#"["n",{"type":"bigint","value":"5"}]"#,
            r#"{"type":"KvU64","value":"7"}"#,
            "--typed",
        ],
    );
    assert_eq!(
        kvrt_ok(&dir, &["kv", "get", "db.sqlite", r#"["users","alice"]"#]),
        "{ age: 30, tags: [ \"a\" ] }\n"
    );
    assert_eq!(
        kvrt_ok(
            &dir,
            &[
                "kv",
                "get",
                "db.sqlite",
                r#"["n",{"type":"bigint","value":"5"}]"#
            ]
        ),
        "[Deno.KvU64: 7n]\n"
    );
    let json = kvrt_ok(
        &dir,
        &["kv", "get", "db.sqlite", r#"["users","alice"]"#, "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        v["value"]["value"]["age"],
        serde_json::json!({"type":"number","value":30})
    );
    assert_eq!(
        kvrt_ok(&dir, &["kv", "list", "db.sqlite"]),
        "[ \"n\", 5n ]: [Deno.KvU64: 7n]\n[ \"users\", \"alice\" ]: { age: 30, tags: [ \"a\" ] }\n"
    );
    assert_eq!(
        kvrt_ok(
            &dir,
            &["kv", "list", "db.sqlite", "--reverse", "--limit", "1"]
        ),
        "[ \"users\", \"alice\" ]: { age: 30, tags: [ \"a\" ] }\n"
    );
    kvrt_ok(&dir, &["kv", "delete", "db.sqlite", r#"["users","alice"]"#]);
    let err = kvrt_fails(&dir, &["kv", "get", "db.sqlite", r#"["users","alice"]"#]);
    assert!(err.contains("key not found"), "{err}");
    let stats = kvrt_ok(&dir, &["kv", "stats", "db.sqlite", "--json"]);
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("stats json");
    assert_eq!(stats["entries"], 1);
    assert_eq!(stats["queueDepth"], 0);

    // --default: the database `Deno.openKv()` opens in a script.
    write(
        &dir,
        "app.ts",
        "const kv = await Deno.openKv();\nawait kv.set([\"visits\"], 3);\nconsole.log((await kv.get([\"from-cli\"])).value);\nkv.close();\n",
    );
    // (The default database needs no permission, as in Deno.)
    assert_eq!(kvrt_ok(&dir, &["run", "app.ts"]), "null\n");
    assert_eq!(
        kvrt_ok(&dir, &["kv", "get", "--default", "app.ts", r#"["visits"]"#]),
        "3\n"
    );
    kvrt_ok(
        &dir,
        &[
            "kv",
            "set",
            "--default",
            "app.ts",
            r#"["from-cli"]"#,
            r#""hi""#,
        ],
    );
    assert_eq!(kvrt_ok(&dir, &["run", "app.ts"]), "hi\n");
    let stats = kvrt_ok(&dir, &["kv", "stats", "--default", "app.ts"]);
    assert!(stats.contains("entries:                2"), "{stats}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_subcommand_has_help() {
    let dir = temp_dir("help");
    let all = kvrt_ok(&dir, &["kv", "--help"]);
    for sub in [
        "backup", "restore", "export", "import", "get", "list", "set", "delete", "stats",
    ] {
        assert!(all.contains(sub), "{sub} missing from kv --help");
        let help = kvrt_ok(&dir, &["kv", sub, "--help"]);
        assert!(help.contains("Usage: kvrt kv"), "{sub}: {help}");
        assert!(help.contains("--default <SCRIPT>"), "{sub}: {help}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// Bad input

/// A valid export line for key ["good", i].
fn good_line(i: usize) -> String {
    format!(
        r#"{{"key":[{{"type":"string","value":"good"}},{{"type":"number","value":{i}}}],"value":{{"type":"string","value":"v{i}"}},"versionstamp":"00000000000000010000"}}"#
    )
}

fn entry_count(dir: &Path, db: &str) -> u64 {
    let out = kvrt_ok(dir, &["kv", "stats", db, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("stats json");
    v["entries"].as_u64().expect("entries")
}

#[test]
fn malformed_lines_stop_the_import_after_the_last_whole_batch() {
    let dir = temp_dir("malformed");
    kvrt_ok(&dir, &["kv", "set", "db.sqlite", r#"["keep"]"#, "1"]);
    // A bad line in the first batch: nothing is written.
    let mut text = String::new();
    for i in 0..3 {
        text.push_str(&good_line(i));
        text.push('\n');
    }
    text.push_str("{\"key\": [1], \"value\": \n");
    write(&dir, "bad.ndjson", &text);
    let err = kvrt_fails(&dir, &["kv", "import", "db.sqlite", "bad.ndjson"]);
    assert!(err.contains("line 4: SyntaxError: malformed JSON"), "{err}");
    assert!(err.contains("0 entries"), "{err}");
    assert_eq!(entry_count(&dir, "db.sqlite"), 1);

    // A bad line after two full batches (500 entries each): those stay, the
    // batch holding the bad line and everything after it are not written.
    let mut text = String::new();
    for i in 0..1200 {
        text.push_str(&good_line(i));
        text.push('\n');
    }
    text.push_str(r#"{"key":[{"type":"string","value":"x"}],"value":{"type":"Bogus","value":1}}"#);
    text.push('\n');
    for i in 1200..1300 {
        text.push_str(&good_line(i));
        text.push('\n');
    }
    write(&dir, "late.ndjson", &text);
    let err = kvrt_fails(&dir, &["kv", "import", "db.sqlite", "late.ndjson"]);
    assert!(
        err.contains("line 1201: TypeError: Unexpected value type: \"Bogus\""),
        "{err}"
    );
    assert!(err.contains("1000 entries (input lines 1-1000)"), "{err}");
    assert_eq!(entry_count(&dir, "db.sqlite"), 1001);

    // Other malformed lines, each named.
    for (line, expected) in [
        ("[1, 2]", "expected an entry"),
        (
            r#"{"value":{"type":"null","value":null}}"#,
            "has no \"key\"",
        ),
        (
            r#"{"key":"a","value":{"type":"null","value":null}}"#,
            "a key must be a JSON array",
        ),
        (
            r#"{"key":[{"type":"Date","value":"x"}],"value":{"type":"null","value":null}}"#,
            "Unexpected key part type",
        ),
        (
            r#"{"key":["a"],"value":{"type":"KvU64","value":"-1"}}"#,
            "is not an integer",
        ),
        (
            r#"{"key":["a"],"value":{"type":"Uint8Array","value":"***"}}"#,
            "base64",
        ),
        (
            r#"{"key":["a"],"value":{"type":"Int32Array","value":"AQID"}}"#,
            "whole number",
        ),
        (
            r#"{"key":["a"],"value":{"type":"KvU64","value":"18446744073709551616"}}"#,
            "64-bit",
        ),
        (
            r#"{"key":[],"value":{"type":"null","value":null}}"#,
            "key cannot be empty",
        ),
    ] {
        write(
            &dir,
            "one.ndjson",
            &format!("{}\n{line}\n", good_line(5000)),
        );
        let err = kvrt_fails(&dir, &["kv", "import", "db.sqlite", "one.ndjson"]);
        assert!(err.contains("line 2: "), "{line}: {err}");
        assert!(err.contains(expected), "{line}: {err}");
    }
    // Not UTF-8.
    let mut bytes = good_line(6000).into_bytes();
    bytes.extend_from_slice(b"\n{\"key\":[\"\xff\xfe\"]}\n");
    std::fs::write(dir.join("binary.ndjson"), bytes).expect("write");
    let err = kvrt_fails(&dir, &["kv", "import", "db.sqlite", "binary.ndjson"]);
    assert!(err.contains("line 2: not valid UTF-8"), "{err}");
    assert_eq!(entry_count(&dir, "db.sqlite"), 1001);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_and_values_over_the_limits_are_named_by_line() {
    let dir = temp_dir("limits");
    let long = "k".repeat(3000);
    let big = "v".repeat(70_000);
    let text = format!(
        "{}\n{}\n{{\"key\":[\"{long}\"],\"value\":{{\"type\":\"null\",\"value\":null}}}}\n",
        good_line(1),
        good_line(2)
    );
    write(&dir, "key.ndjson", &text);
    let err = kvrt_fails(&dir, &["kv", "import", "db.sqlite", "key.ndjson"]);
    assert!(
        err.contains("line 3: TypeError: Key too large for write (max 2048 bytes)"),
        "{err}"
    );
    let text = format!(
        "{}\n{{\"key\":[\"big\"],\"value\":{{\"type\":\"string\",\"value\":\"{big}\"}}}}\n",
        good_line(1)
    );
    write(&dir, "value.ndjson", &text);
    let err = kvrt_fails(&dir, &["kv", "import", "db.sqlite", "value.ndjson"]);
    assert!(
        err.contains("line 2: TypeError: Value too large (max 65536 bytes)"),
        "{err}"
    );
    assert_eq!(entry_count(&dir, "db.sqlite"), 0);
    // Many large values: batches are split to fit a commit, all imported.
    let value = "z".repeat(60_000);
    let mut text = String::new();
    for i in 0..40 {
        text.push_str(&format!(
            "{{\"key\":[\"large\",{i}],\"value\":{{\"type\":\"string\",\"value\":\"{value}\"}}}}\n"
        ));
    }
    write(&dir, "large.ndjson", &text);
    kvrt_ok(&dir, &["kv", "import", "db.sqlite", "large.ndjson"]);
    assert_eq!(entry_count(&dir, "db.sqlite"), 40);
    // Bad keys on the command line.
    for key in ["not json", r#"{"a":1}"#, r#"[null]"#] {
        let err = kvrt_fails(&dir, &["kv", "get", "db.sqlite", key]);
        assert!(err.contains("key"), "{key}: {err}");
    }
    let err = kvrt_fails(
        &dir,
        &["kv", "set", "db.sqlite", &format!("[\"{long}\"]"), "1"],
    );
    assert!(err.contains("Key too large"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_files_are_clear_errors_and_create_nothing() {
    let dir = temp_dir("missing");
    let err = kvrt_fails(&dir, &["kv", "import", "db.sqlite", "nope.ndjson"]);
    assert!(err.contains("cannot open 'nope.ndjson'"), "{err}");
    assert!(!dir.join("db.sqlite").exists());
    for args in [
        vec!["kv", "export", "absent.sqlite"],
        vec!["kv", "get", "absent.sqlite", r#"["a"]"#],
        vec!["kv", "list", "absent.sqlite"],
        vec!["kv", "delete", "absent.sqlite", r#"["a"]"#],
        vec!["kv", "stats", "absent.sqlite"],
        vec!["kv", "backup", "absent.sqlite", "copy.sqlite"],
        vec!["kv", "restore", "absent.sqlite", "target.sqlite"],
    ] {
        let err = kvrt_fails(&dir, &args);
        assert!(err.contains("does not exist"), "{args:?}: {err}");
    }
    for name in ["absent.sqlite", "copy.sqlite", "target.sqlite"] {
        assert!(!dir.join(name).exists(), "{name} was created");
    }
    let err = kvrt_fails(&dir, &["kv", "get", "--default", "nope.ts", r#"["a"]"#]);
    assert!(err.contains("script not found"), "{err}");
    // A failed export to a file leaves no file.
    write(&dir, "garbage.sqlite", &"g".repeat(8192));
    let err = kvrt_fails(
        &dir,
        &["kv", "export", "garbage.sqlite", "--out", "out.ndjson"],
    );
    assert!(err.contains("garbage.sqlite"), "{err}");
    let leftovers: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("out.ndjson"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Holds a database open (idle) until the stop file appears.
const HOLD: &str = r#"
const [path, stop] = Deno.args;
const kv = await Deno.openKv(path);
console.log("open");
for (;;) {
  try { Deno.readTextFileSync(stop); break; } catch { await new Promise((r) => setTimeout(r, 20)); }
}
kv.close();
"#;

#[test]
fn restore_refuses_a_database_in_use_and_backup_keeps_existing_files() {
    let dir = temp_dir("restore");
    write(&dir, "hold.ts", HOLD);
    kvrt_ok(&dir, &["kv", "set", "db.sqlite", r#"["v"]"#, "1"]);
    kvrt_ok(&dir, &["kv", "backup", "db.sqlite", "saved.sqlite"]);
    kvrt_ok(&dir, &["kv", "set", "db.sqlite", r#"["v"]"#, "2"]);
    // Refuses to overwrite an existing backup file.
    let before = std::fs::read(dir.join("saved.sqlite")).expect("read");
    let err = kvrt_fails(&dir, &["kv", "backup", "db.sqlite", "saved.sqlite"]);
    assert!(err.contains("refusing to overwrite"), "{err}");
    assert_eq!(
        std::fs::read(dir.join("saved.sqlite")).expect("read"),
        before
    );

    // In use by a kvrt process, then by a Deno process: refused, untouched.
    let stop = dir.join("stop");
    for deno in [false, true] {
        let _ = std::fs::remove_file(&stop);
        let mut holder = if deno {
            Command::new(common::deno_bin())
                .args(["run", "--unstable-kv", "-A", "hold.ts", "db.sqlite"])
                .arg(&stop)
                .env("DENO_NO_UPDATE_CHECK", "1")
                .current_dir(&dir)
                .stdout(Stdio::piped())
                .spawn()
                .expect("deno starts")
        } else {
            kvrt_command(&dir)
                .args(["run", "-A", "hold.ts", "db.sqlite"])
                .arg(&stop)
                .stdout(Stdio::piped())
                .spawn()
                .expect("kvrt starts")
        };
        let mut line = String::new();
        BufReader::new(holder.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("read");
        assert_eq!(line.trim(), "open");
        let err = kvrt_fails(&dir, &["kv", "restore", "saved.sqlite", "db.sqlite"]);
        assert!(
            err.contains("is in use by another process"),
            "deno={deno}: {err}"
        );
        std::fs::File::create(&stop)
            .and_then(|mut f| f.write_all(b""))
            .expect("stop");
        assert!(holder.wait().expect("holder exits").success());
        assert_eq!(
            kvrt_ok(&dir, &["kv", "get", "db.sqlite", r#"["v"]"#]),
            "2\n"
        );
    }
    // A file that is not a backup: refused, untouched.
    write(&dir, "junk.sqlite", &"j".repeat(10_000));
    let err = kvrt_fails(&dir, &["kv", "restore", "junk.sqlite", "db.sqlite"]);
    assert!(err.contains("junk.sqlite"), "{err}");
    assert_eq!(
        kvrt_ok(&dir, &["kv", "get", "db.sqlite", r#"["v"]"#]),
        "2\n"
    );
    // Once closed, the restore goes through.
    kvrt_ok(&dir, &["kv", "restore", "saved.sqlite", "db.sqlite"]);
    assert_eq!(
        kvrt_ok(&dir, &["kv", "get", "db.sqlite", r#"["v"]"#]),
        "1\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
