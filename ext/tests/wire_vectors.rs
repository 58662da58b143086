//! The V8 wire codec (`ext/src/wire`) on the QuickJS backend, through the
//! ops kv_ext registers (`op_kv_serialize`, `op_kv_deserialize`): every
//! vector of `tests/value_codec_vectors.json` (bytes written by real Deno),
//! refused values, older formats, malformed, truncated and random input,
//! nesting limits and a seeded round-trip fuzz. The checks themselves are
//! `tests/tools/check_value_codec.mjs`, run in a deno_core runtime.

mod common;

const CHECKER: &str = include_str!("../../tests/tools/check_value_codec.mjs");
const VECTORS: &str = include_str!("../../tests/value_codec_vectors.json");

/// Evaluates `code` as the main module; returns `globalThis.wireReport`.
fn run_module(code: String) -> String {
    common::run_module(
        kv_ext::KvConfig::default(),
        "wire_vectors_main.mjs",
        code,
        "wireReport",
    )
}

/// Runs `f` on a thread with room for deep recursion in debug builds.
fn on_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("test thread");
}

/// What `tests/value_codec_vectors.json` (written from real Deno) holds:
/// (value vectors, of which `known_mismatch`, refusal vectors).
fn vector_kinds() -> (usize, usize, usize) {
    let mut values = 0;
    let mut known = 0;
    let mut refusals = 0;
    // One vector per object; each has "name", "js" and "hex" or "error".
    for vector in VECTORS.split("\"name\":").skip(1) {
        if vector.contains("\"error\":") {
            refusals += 1;
        } else {
            values += 1;
            if vector.contains("\"known_mismatch\":") {
                known += 1;
            }
        }
    }
    (values, known, refusals)
}

#[test]
fn vectors_and_fuzz() {
    on_big_stack(|| {
        // The checker module, then a driver that runs it on the codec ops.
        let checker = CHECKER.replace("export function runChecks", "function runChecks");
        let code = format!(
            "{checker}\n\
             const lines = [];\n\
             const codec = {{\n\
               serializeValue: Deno.core.ops.op_kv_serialize,\n\
               deserializeValue: Deno.core.ops.op_kv_deserialize,\n\
             }};\n\
             const r = runChecks(codec, {VECTORS}, {{ log: (line) => lines.push(line) }});\n\
             globalThis.wireReport = [r.failures, r.exact, r.refused, r.knownMismatch, r.skipped].join(\" \")\n\
               + \"\\n\" + lines.join(\"\\n\");\n"
        );
        let report = run_module(code);
        let (counts, lines) = report.split_once('\n').unwrap_or((&report, ""));
        println!("{lines}");
        let counts: Vec<usize> = counts
            .split(' ')
            .map(|n| n.parse().expect("count"))
            .collect();
        let [failures, exact, refused, known, skipped] = counts[..] else {
            panic!("report: {counts:?}");
        };
        let (values, known_vectors, refusals) = vector_kinds();
        assert_eq!(
            values + refusals,
            VECTORS.matches("\"js\":").count(),
            "vectors in the file"
        );
        assert_eq!(failures, 0, "{lines}");
        assert_eq!(skipped, 0, "vectors not evaluated on this engine: {lines}");
        assert_eq!(
            exact,
            values - known_vectors,
            "byte-identical value vectors: {lines}"
        );
        assert_eq!(refused, refusals, "refusals identical to Deno's: {lines}");
        assert_eq!(
            known, known_vectors,
            "known V8-internal mismatches: {lines}"
        );
        println!(
            "{exact} of {values} values byte-identical, {refused} of {refusals} refusals identical"
        );
    });
}

#[test]
fn serialize_errors_carry_their_class() {
    on_big_stack(|| {
        let report = run_module(
            r#"
            const { op_kv_serialize: serialize, op_kv_deserialize: deserialize } = Deno.core.ops;
            const out = [];
            const describe = (f) => {
              try {
                f();
                return "no exception";
              } catch (e) {
                return `${e.constructor.name}: ${e.message}`;
              }
            };
            out.push(describe(() => serialize(()=>1)));
            out.push(describe(() => serialize({ a: [Symbol("x")] })));
            out.push(describe(() => serialize(new SharedArrayBuffer(1))));
            out.push(describe(() => serialize({ get boom() { throw new URIError("from getter"); } })));
            out.push(describe(() => deserialize(new Uint8Array([0xff, 0x10, 0x6f]))));
            out.push(describe(() => deserialize(new Uint8Array([]))));
            globalThis.wireReport = out.join("\n");
            "#
            .to_string(),
        );
        assert_eq!(
            report,
            "TypeError: ()=>1 could not be cloned.\n\
             TypeError: Symbol(x) could not be cloned.\n\
             Error: #<SharedArrayBuffer> could not be cloned.\n\
             URIError: from getter\n\
             Error: Unable to deserialize value: unexpected end of data\n\
             Error: Unable to deserialize value: missing version header"
        );
    });
}
