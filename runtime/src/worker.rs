//! Builds the `JsRuntime` every kvrt command uses.

use std::path::PathBuf;
use std::rc::Rc;

use deno_core::{Extension, JsRuntime, ModuleSpecifier, RuntimeOptions};
use deno_permissions::PermissionsContainer;

use crate::module_loader::TsModuleLoader;
use crate::ops;
use crate::permissions;
use crate::resolver::Resolver;

deno_core::extension!(
  kvrt_runtime,
  deps = [deno_webidl, deno_web, deno_io, deno_fs, deno_webstorage, deno_crypto, deno_net, deno_fetch, kv_ext],
  ops = [
    ops::process::op_kvrt_args,
    ops::process::op_kvrt_exit,
    ops::process::op_kvrt_env_get,
    ops::process::op_kvrt_env_set,
    ops::process::op_kvrt_env_delete,
    ops::process::op_kvrt_env_to_object,
    ops::process::op_kvrt_set_exit_code,
    ops::process::op_kvrt_process_info,
    ops::process::op_kvrt_build_target,
    ops::lifecycle::op_kvrt_lifecycle_install,
    ops::permissions::op_kvrt_permission_query,
    ops::permissions::op_kvrt_permission_request,
    ops::permissions::op_kvrt_permission_revoke,
    ops::permissions::op_kvrt_permissions_pledge,
    ops::permissions::op_kvrt_permissions_restore,
    crate::test::ops::op_kvrt_test_mode,
    crate::test::ops::op_kvrt_test_install,
    crate::test::ops::op_kvrt_test_register,
    crate::test::ops::op_kvrt_test_step_wait,
    crate::test::ops::op_kvrt_test_step_result,
    crate::test::ops::op_kvrt_test_output,
    ops::memory::op_node_memory_usage,
    ops::memory::op_node_rss,
    ops::v8::op_node_v8_serialize,
    ops::v8::op_node_v8_deserialize,
    ops::zlib::op_node_zlib_deflate,
    ops::zlib::op_node_zlib_inflate,
    ops::zlib::op_node_brotli_compress,
    ops::zlib::op_node_brotli_decompress,
    ops::zlib::op_node_zlib_crc32,
  ],
  esm_entry_point = "ext:kvrt_runtime/bootstrap.js",
  esm = [dir "js", "test_runner.js", "crypto_key_brand.js", "global_events.js", "bootstrap.js"],
  // The node: modules kvrt provides, evaluated when first imported (or, for
  // node:buffer and node:process, when the `Buffer`/`process` globals are
  // first read); runtime/src/resolver.rs resolves node: specifiers.
  lazy_loaded_esm = [
    dir "js",
    "node/errors.js",
    "node:buffer" = "node/buffer.js",
    "node:console" = "node/console.js",
    "node:process" = "node/process.js",
    "node:v8" = "node/v8.js",
    "node:zlib" = "node/zlib.js",
  ],
  lazy_loaded_js = [dir "js", "permissions.js"],
  options = { args: Vec<String>, main_module: String, permissions: permissions::CurrentPermissions },
  state = |state, options| {
    state.put(ops::process::ScriptArgs(options.args));
    state.put(ops::process::MainModule(options.main_module));
    state.put(ops::process::ExitCode::default());
    // deno_fetch, deno_net and kvrt's ops check these.
    options.permissions.install(state);
  },
);

/// The `User-Agent` header of `fetch` requests (Deno sends `Deno/<version>`).
const USER_AGENT: &str = concat!("kvrt/", env!("CARGO_PKG_VERSION"));

/// Where `Deno.openKv()` without a path keeps each script's database: like
/// Deno, a directory per main module URL under the data directory.
pub fn default_kv_dir(main_module: &ModuleSpecifier) -> PathBuf {
    kv_ext::default_database_dir(main_module.as_str())
}

/// Creates a runtime for `main_module` with `args` as `Deno.args`, whose
/// module graph resolves specifiers with `resolver`, under `permissions`;
/// `extensions` come after kvrt's own (a command's ops and script). The one
/// builder of kvrt's runtimes: `run`, `test` and the `kv` commands.
pub fn create_runtime(
    main_module: &ModuleSpecifier,
    args: Vec<String>,
    resolver: Resolver,
    permissions: PermissionsContainer,
    extensions: Vec<Extension>,
) -> Result<JsRuntime, deno_core::error::CoreError> {
    let permissions = permissions::CurrentPermissions::new(permissions);
    let roots = crate::tls::root_certs();
    JsRuntime::try_new(RuntimeOptions {
        module_loader: Some(Rc::new(TsModuleLoader::new(resolver))),
        extensions: vec![
            deno_webidl::deno_webidl::init(),
            deno_web::deno_web::init(
                deno_web::BlobStore::default_arc(),
                None,
                false,
                Default::default(),
            ),
            // Deno.stdin/stdout/stderr are resources 0, 1 and 2, as in Deno.
            deno_io::deno_io::init(Some(deno_io::Stdio::default())),
            // The fs API, and fetch() of file: URLs, as in Deno.
            deno_fs::deno_fs::init(Rc::new(deno_fs::RealFs)),
            // localStorage lives beside the default database, as in Deno.
            deno_webstorage::deno_webstorage::init(Some(default_kv_dir(main_module))),
            deno_crypto::deno_crypto::init(None),
            deno_net::deno_net::init(Some(roots.clone()), None),
            deno_fetch::deno_fetch::init(deno_fetch::Options {
                user_agent: USER_AGENT.to_string(),
                file_fetch_handler: Rc::new(deno_fetch::FsFetchHandler),
                root_cert_store_provider: Some(roots.clone()),
                ..Default::default()
            }),
            kv_ext::kv_ext::init(
                kv_ext::KvConfig::builder()
                    .default_dir(default_kv_dir(main_module))
                    .env_overrides(true)
                    .permissions(permissions::KvPermissionsHook(permissions.clone()))
                    .remote(kv_ext::RemoteOptions {
                        root_certificates: Some(roots),
                        ..Default::default()
                    })
                    .build(),
            ),
            kvrt_runtime::init(args, main_module.to_string(), permissions),
        ]
        .into_iter()
        .chain(extensions)
        .collect(),
        ..Default::default()
    })
}
