//! Builds the `JsRuntime` every kvrt command uses.

use std::path::PathBuf;
use std::rc::Rc;

use deno_core::error::CoreError;
use deno_core::{Extension, JsRuntime, ModuleSpecifier, RuntimeOptions};
use deno_permissions::PermissionsContainer;

use crate::extension::kvrt_runtime;
use crate::module_loader::TsModuleLoader;
use crate::permissions;
use crate::resolver::Resolver;
use crate::snapshot_extensions::snapshot_extensions;

// kvrt's start-up snapshot and the sources of the lazily loaded scripts it
// does not hold, made by build.rs.
include!(concat!(env!("OUT_DIR"), "/snapshot.rs"));

/// Where `Deno.openKv()` without a path keeps each script's database: like
/// Deno, a directory per main module URL under the data directory.
pub fn default_kv_dir(main_module: &ModuleSpecifier) -> PathBuf {
    kv_ext::default_database_dir(main_module.as_str())
}

/// Creates a runtime for `main_module` with `args` as `Deno.args`, whose
/// module graph resolves specifiers with `resolver`, under `permissions`;
/// `extensions` come after kvrt's own (a command's ops and script). The one
/// builder of kvrt's runtimes: `run`, `test` and the `kv` commands. The
/// start-up snapshot holds kvrt's own extensions only, so a runtime with
/// `extensions` evaluates every extension's JavaScript instead.
pub fn create_runtime(
    main_module: &ModuleSpecifier,
    args: Vec<String>,
    resolver: Resolver,
    permissions: PermissionsContainer,
    extensions: Vec<Extension>,
) -> Result<JsRuntime, CoreError> {
    let permissions = permissions::CurrentPermissions::new(permissions);
    let roots = crate::tls::root_certs();
    let kv = kv_ext::KvConfig::builder()
        .default_dir(default_kv_dir(main_module))
        .env_overrides(true)
        .permissions(permissions::KvPermissionsHook(permissions.clone()))
        .remote(kv_ext::RemoteOptions {
            root_certificates: Some(roots.clone()),
            ..Default::default()
        })
        .build();
    let kvrt = kvrt_runtime::init(
        args,
        main_module.to_string(),
        permissions,
        env!("KVRT_TARGET"),
    );
    let snapshot = if extensions.is_empty() {
        SNAPSHOT
    } else {
        None
    };
    // localStorage lives beside the default database, as in Deno.
    let mut all = snapshot_extensions(kv, Some(default_kv_dir(main_module)), Some(roots), kvrt);
    all.extend(extensions);
    let mut runtime = JsRuntime::try_new(RuntimeOptions {
        module_loader: Some(Rc::new(TsModuleLoader::new(resolver))),
        extensions: all,
        startup_snapshot: snapshot,
        // The snapshot's functions already call every op.
        skip_op_registration: snapshot.is_some(),
        residual_lazy_js_sources: if snapshot.is_some() {
            RESIDUAL_LAZY_JS
        } else {
            &[]
        },
        residual_lazy_esm_sources: if snapshot.is_some() {
            RESIDUAL_LAZY_ESM
        } else {
            &[]
        },
        ..Default::default()
    })?;
    start(&mut runtime)?;
    Ok(runtime)
}

/// Runs the process's own part of the bootstrap (`start` in
/// runtime/js/bootstrap.js), once, in a runtime with the `kvrt_runtime`
/// extension, before any user code.
fn start(runtime: &mut JsRuntime) -> Result<(), CoreError> {
    runtime.execute_script(
        "ext:kvrt_runtime/start.js",
        "globalThis[Symbol.for(\"kvrt.start\")]()",
    )?;
    Ok(())
}
