//! Process-level ops: arguments, environment (behind env permission), exit.

use std::collections::HashMap;

use deno_core::{op2, OpState};
use deno_error::JsErrorBox;
use deno_permissions::{PermissionState, PermissionsContainer};

/// Arguments after the script name, as `Deno.args` exposes them.
#[derive(Clone, Default)]
pub struct ScriptArgs(pub Vec<String>);

/// Returns `Deno.args`.
#[op2]
#[serde]
pub fn op_kvrt_args(state: &mut OpState) -> Vec<String> {
    state.borrow::<ScriptArgs>().0.clone()
}

/// Exits the process at once with `code`, flushing standard streams first.
#[op2(fast)]
pub fn op_kvrt_exit(code: i32) {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}

/// Checks the name, then env access to it (Deno's order).
fn check_env(state: &OpState, key: &str) -> Result<(), JsErrorBox> {
    check_env_key(key)?;
    state
        .borrow::<PermissionsContainer>()
        .check_env(key)
        .map_err(JsErrorBox::from_err)
}

fn check_env_key(key: &str) -> Result<(), JsErrorBox> {
    if key.is_empty() {
        return Err(JsErrorBox::type_error("Key is an empty string."));
    }
    if key.contains('=') || key.contains('\0') {
        return Err(JsErrorBox::type_error(format!(
            "Key contains invalid characters: {key:?}"
        )));
    }
    Ok(())
}

/// Returns the environment variable `key`, if set.
#[op2]
#[string]
pub fn op_kvrt_env_get(
    state: &mut OpState,
    #[string] key: String,
) -> Result<Option<String>, JsErrorBox> {
    check_env(state, &key)?;
    Ok(std::env::var(&key).ok())
}

/// Sets the environment variable `key` to `value`.
#[op2(fast)]
pub fn op_kvrt_env_set(
    state: &mut OpState,
    #[string] key: String,
    #[string] value: String,
) -> Result<(), JsErrorBox> {
    check_env(state, &key)?;
    if value.contains('\0') {
        return Err(JsErrorBox::type_error(format!(
            "Value contains invalid characters: {value:?}"
        )));
    }
    // SAFETY: the runtime's JS thread is the only one touching the environment
    // while scripts run; background threads never read it.
    unsafe { std::env::set_var(key, value) };
    Ok(())
}

/// Removes the environment variable `key`.
#[op2(fast)]
pub fn op_kvrt_env_delete(state: &mut OpState, #[string] key: String) -> Result<(), JsErrorBox> {
    check_env(state, &key)?;
    // SAFETY: see `op_kvrt_env_set`.
    unsafe { std::env::remove_var(key) };
    Ok(())
}

/// Returns the whole environment as an object. As in Deno, it needs env
/// access to every variable, except that variables denied by `--deny-env`
/// under a global grant are left out.
#[op2]
#[serde]
pub fn op_kvrt_env_to_object(state: &mut OpState) -> Result<HashMap<String, String>, JsErrorBox> {
    let permissions = state.borrow::<PermissionsContainer>();
    let partial = permissions.query_env(None) == PermissionState::GrantedPartial;
    if !partial {
        permissions.check_env_all().map_err(JsErrorBox::from_err)?;
    }
    Ok(std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| !partial || permissions.query_env(Some(k)) == PermissionState::Granted)
        .collect())
}

/// `Deno.exitCode`: the code the process exits with when its event loop
/// ends (or on `Deno.exit()` without a code).
#[derive(Clone, Copy, Default)]
pub struct ExitCode(pub i32);

/// Sets `Deno.exitCode` (the shim validates it).
#[op2(fast)]
pub fn op_kvrt_set_exit_code(state: &mut OpState, code: i32) {
    state.put(ExitCode(code));
}

/// Facts about the process: `[pid, ppid, execPath, mainModule, noColor]`.
#[op2]
#[serde]
pub fn op_kvrt_process_info(state: &mut OpState) -> (u32, u32, String, String, bool) {
    let exec_path = std::env::current_exe()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let main_module = state.borrow::<MainModule>().0.clone();
    (
        std::process::id(),
        std::os::unix::process::parent_id(),
        exec_path,
        main_module,
        std::env::var_os("NO_COLOR").is_some(),
    )
}

/// The URL of the module the runtime was started for (`Deno.mainModule`).
#[derive(Clone, Default)]
pub struct MainModule(pub String);

/// The target triple this binary was compiled for (build.rs records it).
#[derive(Clone, Copy)]
pub struct BuildTarget(pub &'static str);

/// `Deno.build` and the engine of `Deno.version.v8`: the target triple,
/// architecture and OS this binary was compiled for, and the engine version
/// (V8's API version, marked `-quickjs` on the QuickJS backend).
#[op2]
#[serde]
pub fn op_kvrt_build_target(
    state: &mut OpState,
) -> (&'static str, &'static str, &'static str, String) {
    let engine = if cfg!(feature = "quickjs") {
        format!("{}-quickjs", deno_core::v8::VERSION_STRING)
    } else {
        deno_core::v8::VERSION_STRING.to_string()
    };
    (
        state.borrow::<BuildTarget>().0,
        std::env::consts::ARCH,
        std::env::consts::OS,
        engine,
    )
}
