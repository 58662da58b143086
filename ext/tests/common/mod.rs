//! Helpers shared by kv_ext's integration tests.

use std::rc::Rc;

use deno_core::{v8, JsRuntime, ModuleSpecifier, RuntimeOptions};

/// Evaluates `code` as the main module `file:///<name>` of a runtime with
/// only deno_webidl, deno_web and kv_ext (configured by `config`), runs its
/// event loop to the end, and returns the global `report` as a string.
pub fn run_module(config: kv_ext::KvConfig, name: &str, code: String, report: &str) -> String {
    let mut runtime = JsRuntime::new(RuntimeOptions {
        module_loader: Some(Rc::new(deno_core::NoopModuleLoader)),
        extensions: vec![
            deno_webidl::deno_webidl::init(),
            deno_web::deno_web::init(
                deno_web::BlobStore::default_arc(),
                None,
                false,
                Default::default(),
            ),
            kv_ext::kv_ext::init(config),
        ],
        ..Default::default()
    });
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    tokio.block_on(async {
        let specifier = ModuleSpecifier::parse(&format!("file:///{name}")).expect("url");
        let id = runtime
            .load_main_es_module_from_code(&specifier, code)
            .await
            .expect("module loads");
        let evaluation = runtime.mod_evaluate(id);
        runtime
            .run_event_loop(Default::default())
            .await
            .expect("event loop");
        evaluation.await.expect("module evaluates");
    });
    let report = runtime
        .execute_script("<report>", format!("globalThis.{report}"))
        .expect("report");
    deno_core::scope!(scope, runtime);
    let report = v8::Local::new(scope, report);
    report.to_rust_string_lossy(scope)
}
