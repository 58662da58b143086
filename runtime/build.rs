//! Records the target triple for `Deno.build.target`, and builds the start-up
//! snapshot (`$OUT_DIR/snapshot.rs`, included by src/worker.rs).

use std::path::Path;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=KVRT_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let code = snapshot::build(Path::new(&out_dir));
    std::fs::write(Path::new(&out_dir).join("snapshot.rs"), code)
        .expect("cannot write snapshot.rs to OUT_DIR");
}

/// Without QuickJS (a V8 build) there is no snapshot: every extension's
/// JavaScript is evaluated at start-up.
#[cfg(not(feature = "quickjs"))]
mod snapshot {
    pub fn build(_out_dir: &std::path::Path) -> String {
        "static SNAPSHOT: Option<&[u8]> = None;\n\
         static RESIDUAL_LAZY_JS: &[(&str, &str)] = &[];\n\
         static RESIDUAL_LAZY_ESM: &[(&str, &str)] = &[];\n"
            .to_string()
    }
}

// The runtime's extensions, from the files the runtime compiles them from
// (src/extension.rs says what they may use). Items only the runtime uses are
// dead here.
#[cfg(feature = "quickjs")]
#[path = "src/extension.rs"]
mod extension;
#[cfg(feature = "quickjs")]
#[allow(dead_code)]
#[path = "src/ops/mod.rs"]
mod ops;
#[cfg(feature = "quickjs")]
#[allow(dead_code)]
#[path = "src/permissions.rs"]
mod permissions;
#[cfg(feature = "quickjs")]
#[allow(dead_code)]
#[path = "src/test"]
mod test {
    pub mod event;
    pub mod ops;
}
#[cfg(feature = "quickjs")]
#[path = "src/snapshot_extensions.rs"]
mod snapshot_extensions;

#[cfg(feature = "quickjs")]
mod snapshot {
    use std::fmt::Write;
    use std::path::Path;

    use deno_core::snapshot::{create_snapshot, CreateSnapshotOptions};
    use deno_core::{ExtensionFileSource, ExtensionFileSourceCode};

    /// The lazily loaded scripts the snapshot holds evaluated, so that
    /// asking for them costs nothing: those runtime/js/bootstrap.js loads at
    /// every start, and those most scripts use: `performance`, Deno's fs API
    /// (with the event, abort and io scripts they load) and TextEncoder /
    /// TextDecoder. Parsing a script on QuickJS costs about fifteen times
    /// what reading it back from the snapshot does. Measured (instructions):
    /// the scripts of performance and fs add 5M to every start and save 89M
    /// to a script using both; TextEncoder's add 0.4M and save 10M; streams
    /// and fetch would add 9M to every start (a one-line script runs 56M) to
    /// save 100M to 200M to their users, so they stay lazy.
    const EAGER_SCRIPTS: &[&str] = &[
        "ext:deno_web/01_console.js",
        "ext:deno_web/02_timers.js",
        "ext:deno_web/15_performance.js",
        "ext:deno_fs/30_fs.js",
        "ext:deno_web/08_text_encoding.js",
    ];

    /// Creates the snapshot in `out_dir` and returns the Rust code that
    /// includes it, with the sources of the lazily loaded scripts and modules
    /// the snapshot does not hold (they load from these on first use).
    pub fn build(out_dir: &Path) -> String {
        for path in [
            "src/snapshot_extensions.rs",
            "src/extension.rs",
            "src/ops",
            "src/permissions.rs",
            "src/test/event.rs",
            "src/test/ops.rs",
            "js",
        ] {
            println!("cargo:rerun-if-changed={path}");
        }
        let warm_up: String = EAGER_SCRIPTS
            .iter()
            .map(|script| format!("Deno.core.loadExtScript({script:?});\n"))
            .collect();
        let output = create_snapshot(
            CreateSnapshotOptions {
                cargo_manifest_dir: env!("CARGO_MANIFEST_DIR"),
                startup_snapshot: None,
                skip_op_registration: false,
                extensions: extensions(),
                extension_transpiler: None,
                with_runtime_cb: Some(Box::new(move |runtime| {
                    runtime
                        .execute_script("[kvrt snapshot]", warm_up.clone())
                        .expect("the snapshot's eager scripts must evaluate");
                })),
            },
            None,
        )
        .expect("the start-up snapshot must build");
        for path in &output.files_loaded_during_snapshot {
            println!("cargo:rerun-if-changed={}", path.display());
        }
        let snapshot_path = out_dir.join("snapshot.bin");
        std::fs::write(&snapshot_path, &output.output).expect("cannot write the snapshot");

        let mut lazy_js = Vec::new();
        let mut lazy_esm = Vec::new();
        let extensions = extensions();
        for extension in &extensions {
            let consumed = |file: &&ExtensionFileSource| {
                output
                    .consumed_lazy_specifiers
                    .iter()
                    .any(|specifier| specifier == file.specifier)
            };
            lazy_js.extend(
                extension
                    .lazy_loaded_js_files
                    .iter()
                    .filter(|f| !consumed(f)),
            );
            lazy_esm.extend(
                extension
                    .lazy_loaded_esm_files
                    .iter()
                    .filter(|f| !consumed(f)),
            );
        }

        let mut code = String::new();
        writeln!(
            code,
            "static SNAPSHOT: Option<&[u8]> = Some(include_bytes!({:?}));",
            snapshot_path.display().to_string()
        )
        .unwrap();
        write_table(&mut code, "RESIDUAL_LAZY_JS", lazy_js);
        write_table(&mut code, "RESIDUAL_LAZY_ESM", lazy_esm);
        code
    }

    /// The runtime's extensions; their options are the runtime's business
    /// (each runtime passes its own), so any do here.
    fn extensions() -> Vec<deno_core::Extension> {
        let permissions =
            crate::permissions::CurrentPermissions::new(crate::permissions::allow_all());
        super::snapshot_extensions::snapshot_extensions(
            kv_ext::KvConfig::default(),
            None,
            None,
            crate::extension::kvrt_runtime::init(Vec::new(), String::new(), permissions, ""),
        )
    }

    /// A `(specifier, source)` table sorted by specifier, as deno_core
    /// looks sources up in it; each source is compiled into the binary.
    fn write_table(code: &mut String, name: &str, mut files: Vec<&ExtensionFileSource>) {
        files.sort_by_key(|file| file.specifier);
        writeln!(code, "static {name}: &[(&str, &str)] = &[").unwrap();
        for file in files {
            let ExtensionFileSourceCode::LoadedFromFsDuringSnapshot(path) = &file.code else {
                panic!("{}: expected a source file on disk", file.specifier);
            };
            println!("cargo:rerun-if-changed={path}");
            writeln!(code, "    ({:?}, include_str!({path:?})),", file.specifier).unwrap();
        }
        writeln!(code, "];").unwrap();
    }
}
