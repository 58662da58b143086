//! `Deno.permissions`: query, request and revoke over the runtime's
//! [`PermissionsContainer`], and the swap behind `Deno.test`'s
//! `permissions` option.

use deno_core::{op2, OpState};
use deno_error::JsErrorBox;
use deno_permissions::{ChildPermissionsArg, PermissionState, PermissionsContainer};
use serde::{Deserialize, Serialize};

use crate::permissions::CurrentPermissions;

/// A permission descriptor as scripts pass it (`{ name: "read", path }`).
#[derive(Deserialize)]
pub struct Descriptor {
    name: String,
    path: Option<String>,
    host: Option<String>,
    variable: Option<String>,
    kind: Option<String>,
    command: Option<String>,
}

/// A `PermissionStatus`'s fields.
#[derive(Serialize)]
pub struct Status {
    state: &'static str,
    partial: bool,
}

impl From<PermissionState> for Status {
    fn from(state: PermissionState) -> Self {
        let (state, partial) = match state {
            PermissionState::Granted => ("granted", false),
            PermissionState::GrantedPartial => ("granted", true),
            PermissionState::Prompt => ("prompt", false),
            PermissionState::Denied | PermissionState::Ignored => ("denied", false),
            PermissionState::DeniedPartial => ("denied", true),
        };
        Status { state, partial }
    }
}

/// What to do with a descriptor.
#[derive(Clone, Copy)]
enum Action {
    Query,
    Request,
    Revoke,
}

fn apply(
    permissions: &PermissionsContainer,
    action: Action,
    desc: &Descriptor,
) -> Result<Status, JsErrorBox> {
    use Action::*;
    // Deno reports a host it cannot parse as a `URIError`.
    let uri = |err: deno_permissions::NetDescriptorParseError| {
        JsErrorBox::new("URIError", err.to_string())
    };
    let path = desc.path.as_deref();
    let host = desc.host.as_deref();
    let variable = desc.variable.as_deref();
    let kind = desc.kind.as_deref();
    let command = desc.command.as_deref();
    let state = match (desc.name.as_str(), action) {
        ("read", Query) => permissions.query_read(path).map_err(JsErrorBox::from_err)?,
        ("read", Request) => permissions
            .request_read(path)
            .map_err(JsErrorBox::from_err)?,
        ("read", Revoke) => permissions
            .revoke_read(path)
            .map_err(JsErrorBox::from_err)?,
        ("write", Query) => permissions
            .query_write(path)
            .map_err(JsErrorBox::from_err)?,
        ("write", Request) => permissions
            .request_write(path)
            .map_err(JsErrorBox::from_err)?,
        ("write", Revoke) => permissions
            .revoke_write(path)
            .map_err(JsErrorBox::from_err)?,
        ("ffi", Query) => permissions.query_ffi(path).map_err(JsErrorBox::from_err)?,
        ("ffi", Request) => permissions
            .request_ffi(path)
            .map_err(JsErrorBox::from_err)?,
        ("ffi", Revoke) => permissions.revoke_ffi(path).map_err(JsErrorBox::from_err)?,
        ("net", Query) => permissions.query_net(host).map_err(uri)?,
        ("net", Request) => permissions.request_net(host).map_err(uri)?,
        ("net", Revoke) => permissions.revoke_net(host).map_err(uri)?,
        ("import", Query) => permissions.query_import(host).map_err(uri)?,
        ("import", Request) => permissions.request_import(host).map_err(uri)?,
        ("import", Revoke) => permissions.revoke_import(host).map_err(uri)?,
        ("env", Query) => permissions.query_env(variable),
        ("env", Request) => permissions.request_env(variable),
        ("env", Revoke) => permissions.revoke_env(variable),
        ("sys", Query) => permissions.query_sys(kind).map_err(JsErrorBox::from_err)?,
        ("sys", Request) => permissions
            .request_sys(kind)
            .map_err(JsErrorBox::from_err)?,
        ("sys", Revoke) => permissions.revoke_sys(kind).map_err(JsErrorBox::from_err)?,
        ("run", Query) => permissions
            .query_run(command)
            .map_err(JsErrorBox::from_err)?,
        ("run", Request) => permissions
            .request_run(command)
            .map_err(JsErrorBox::from_err)?,
        ("run", Revoke) => permissions
            .revoke_run(command)
            .map_err(JsErrorBox::from_err)?,
        (name, _) => {
            return Err(JsErrorBox::type_error(format!(
                "The provided value \"{name}\" is not a valid permission name"
            )))
        }
    };
    Ok(state.into())
}

/// `Deno.permissions.querySync`.
#[op2]
#[serde]
pub fn op_kvrt_permission_query(
    state: &mut OpState,
    #[serde] desc: Descriptor,
) -> Result<Status, JsErrorBox> {
    apply(state.borrow::<PermissionsContainer>(), Action::Query, &desc)
}

/// `Deno.permissions.requestSync`: prompts on a terminal when prompting is on.
#[op2]
#[serde]
pub fn op_kvrt_permission_request(
    state: &mut OpState,
    #[serde] desc: Descriptor,
) -> Result<Status, JsErrorBox> {
    apply(
        state.borrow::<PermissionsContainer>(),
        Action::Request,
        &desc,
    )
}

/// `Deno.permissions.revokeSync`.
#[op2]
#[serde]
pub fn op_kvrt_permission_revoke(
    state: &mut OpState,
    #[serde] desc: Descriptor,
) -> Result<Status, JsErrorBox> {
    apply(
        state.borrow::<PermissionsContainer>(),
        Action::Revoke,
        &desc,
    )
}

/// The containers that tests with a `permissions` option replaced, innermost last.
#[derive(Default)]
struct SavedPermissions(Vec<PermissionsContainer>);

/// Starts a test's `permissions`: a child of the permissions in force (never
/// more than they grant: `Can't escalate parent thread permissions`) until
/// [`op_kvrt_permissions_restore`].
#[op2]
pub fn op_kvrt_permissions_pledge(
    state: &mut OpState,
    #[serde] args: ChildPermissionsArg,
) -> Result<(), JsErrorBox> {
    let current = state.borrow::<CurrentPermissions>().clone();
    let child = current
        .get()
        .create_child_permissions(args)
        .map_err(JsErrorBox::from_err)?;
    let parent = current.replace(state, child);
    let saved = match state.try_borrow_mut::<SavedPermissions>() {
        Some(saved) => saved,
        None => {
            state.put(SavedPermissions::default());
            state.borrow_mut::<SavedPermissions>()
        }
    };
    saved.0.push(parent);
    Ok(())
}

/// Ends the innermost [`op_kvrt_permissions_pledge`].
#[op2(fast)]
pub fn op_kvrt_permissions_restore(state: &mut OpState) {
    let parent = state
        .try_borrow_mut::<SavedPermissions>()
        .and_then(|saved| saved.0.pop());
    if let Some(parent) = parent {
        let current = state.borrow::<CurrentPermissions>().clone();
        current.replace(state, parent);
    }
}
