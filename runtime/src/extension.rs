//! The `kvrt_runtime` extension: the runtime's own ops and JavaScript (the
//! globals and `Deno` namespace of runtime/js/bootstrap.js, the test runner,
//! the node: modules). Declared apart from src/worker.rs because build.rs
//! declares it too, to evaluate its JavaScript into the start-up snapshot:
//! this file and the modules it names (src/ops, src/permissions.rs,
//! src/test/ops.rs, src/test/event.rs) may use only other crates and each
//! other.

deno_core::extension!(
  kvrt_runtime,
  deps = [deno_webidl, deno_web, deno_io, deno_fs, deno_webstorage, deno_crypto, deno_net, deno_fetch, kv_ext],
  ops = [
    crate::ops::process::op_kvrt_args,
    crate::ops::process::op_kvrt_exit,
    crate::ops::process::op_kvrt_env_get,
    crate::ops::process::op_kvrt_env_set,
    crate::ops::process::op_kvrt_env_delete,
    crate::ops::process::op_kvrt_env_to_object,
    crate::ops::process::op_kvrt_set_exit_code,
    crate::ops::process::op_kvrt_process_info,
    crate::ops::process::op_kvrt_build_target,
    crate::ops::lifecycle::op_kvrt_lifecycle_install,
    crate::ops::permissions::op_kvrt_permission_query,
    crate::ops::permissions::op_kvrt_permission_request,
    crate::ops::permissions::op_kvrt_permission_revoke,
    crate::ops::permissions::op_kvrt_permissions_pledge,
    crate::ops::permissions::op_kvrt_permissions_restore,
    crate::test::ops::op_kvrt_test_mode,
    crate::test::ops::op_kvrt_test_install,
    crate::test::ops::op_kvrt_test_register,
    crate::test::ops::op_kvrt_test_step_wait,
    crate::test::ops::op_kvrt_test_step_result,
    crate::test::ops::op_kvrt_test_output,
    crate::ops::memory::op_node_memory_usage,
    crate::ops::memory::op_node_rss,
    crate::ops::v8::op_node_v8_serialize,
    crate::ops::v8::op_node_v8_deserialize,
    crate::ops::zlib::op_node_zlib_deflate,
    crate::ops::zlib::op_node_zlib_inflate,
    crate::ops::zlib::op_node_brotli_compress,
    crate::ops::zlib::op_node_brotli_decompress,
    crate::ops::zlib::op_node_zlib_crc32,
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
  options = {
    args: Vec<String>,
    main_module: String,
    permissions: crate::permissions::CurrentPermissions,
    build_target: &'static str,
  },
  state = |state, options| {
    state.put(crate::ops::process::ScriptArgs(options.args));
    state.put(crate::ops::process::MainModule(options.main_module));
    state.put(crate::ops::process::BuildTarget(options.build_target));
    state.put(crate::ops::process::ExitCode::default());
    // deno_fetch, deno_net and kvrt's ops check these.
    options.permissions.install(state);
  },
);
