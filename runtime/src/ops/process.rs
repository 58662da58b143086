//! Process-level ops: arguments, environment, exit, working directory.

use std::collections::HashMap;

use deno_core::{op2, OpState};
use deno_error::JsErrorBox;

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
pub fn op_kvrt_env_get(#[string] key: String) -> Result<Option<String>, JsErrorBox> {
    check_env_key(&key)?;
    Ok(std::env::var(&key).ok())
}

/// Sets the environment variable `key` to `value`.
#[op2(fast)]
pub fn op_kvrt_env_set(#[string] key: String, #[string] value: String) -> Result<(), JsErrorBox> {
    check_env_key(&key)?;
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
pub fn op_kvrt_env_delete(#[string] key: String) -> Result<(), JsErrorBox> {
    check_env_key(&key)?;
    // SAFETY: see `op_kvrt_env_set`.
    unsafe { std::env::remove_var(key) };
    Ok(())
}

/// Returns the whole environment as an object.
#[op2]
#[serde]
pub fn op_kvrt_env_to_object() -> HashMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// Returns the current working directory.
#[op2]
#[string]
pub fn op_kvrt_cwd() -> Result<String, std::io::Error> {
    Ok(std::env::current_dir()?.to_string_lossy().into_owned())
}
