//! kvrt's permission model: Deno's own, from `deno_permissions`. Every
//! runtime holds a [`PermissionsContainer`] built from the `--allow-*` /
//! `--deny-*` flags (default: nothing granted, as in Deno); Deno's extension
//! crates (`deno_fetch`, `deno_net`) read it from the op state, kvrt's ops
//! check it, and Deno KV asks it through [`KvPermissionsHook`].
//!
//! Prompts are Deno's: with prompting on (`kvrt run` without `--no-prompt`
//! or `DENO_NO_PROMPT`) a check that is not decided by the flags asks on the
//! terminal when both stdin and stderr are one, and is denied otherwise.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

use deno_core::OpState;
use deno_error::JsErrorBox;
use deno_permissions::{
    OpenAccessKind, Permissions, PermissionsContainer, PermissionsOptions,
    RuntimePermissionDescriptorParser,
};
use kv_ext::{KvPermissions, OpenTarget};

/// Builds the container the flags describe. Paths in the flags are resolved
/// against the working directory, as Deno does.
pub fn from_options(options: &PermissionsOptions) -> Result<PermissionsContainer, String> {
    let parser = RuntimePermissionDescriptorParser::new(sys_traits::impls::RealSys);
    let permissions = Permissions::from_options(&parser, options).map_err(|err| err.to_string())?;
    Ok(PermissionsContainer::new(Arc::new(parser), permissions))
}

/// A container granting everything, for `kvrt kv`, whose command line
/// names the database it works on.
pub fn allow_all() -> PermissionsContainer {
    PermissionsContainer::allow_all(Arc::new(RuntimePermissionDescriptorParser::new(
        sys_traits::impls::RealSys,
    )))
}

/// The permissions in force in one runtime. The op state holds the
/// container Deno's crates read; this handle shares it with code that has no
/// op state (the KV hook), and [`CurrentPermissions::replace`] swaps both, as
/// a test with its own `permissions` option does.
#[derive(Clone)]
pub struct CurrentPermissions(Arc<Mutex<PermissionsContainer>>);

impl CurrentPermissions {
    /// A handle on `container`, to [`install`](Self::install) in a runtime.
    pub fn new(container: PermissionsContainer) -> Self {
        Self(Arc::new(Mutex::new(container)))
    }

    /// Puts the container (and this handle) in the op state.
    pub fn install(&self, state: &mut OpState) {
        state.put(self.get());
        state.put(self.clone());
    }

    /// The container in force.
    pub fn get(&self) -> PermissionsContainer {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Makes `container` the one in force; returns the one it replaces.
    pub fn replace(
        &self,
        state: &mut OpState,
        container: PermissionsContainer,
    ) -> PermissionsContainer {
        state.put(container.clone());
        std::mem::replace(
            &mut *self.0.lock().unwrap_or_else(PoisonError::into_inner),
            container,
        )
    }
}

/// Deno KV's permission checks, as in Deno 2.9: a database file needs read
/// and then write access to its path, a KV Connect URL net access to its
/// host, the access token env access; `:memory:` and the script's default
/// database (`Deno.openKv()` without a path) need nothing.
pub struct KvPermissionsHook(pub CurrentPermissions);

/// The API name Deno's permission prompts show for KV.
const OPEN_KV: &str = "Deno.openKv()";

impl KvPermissions for KvPermissionsHook {
    fn check_open(&self, target: OpenTarget<'_>) -> Result<(), JsErrorBox> {
        let permissions = self.0.get();
        match target {
            OpenTarget::Memory | OpenTarget::Default(_) => Ok(()),
            OpenTarget::File(path) => permissions
                .check_open(
                    Cow::Borrowed(path),
                    OpenAccessKind::ReadWriteNoFollow,
                    Some(OPEN_KV),
                )
                .map(drop)
                .map_err(JsErrorBox::from_err),
            OpenTarget::Remote(url) => {
                let url = deno_core::url::Url::parse(url).map_err(|err| {
                    JsErrorBox::type_error(format!("Invalid database URL '{url}': {err}"))
                })?;
                let mut permissions = permissions;
                permissions
                    .check_net_url(&url, OPEN_KV)
                    .map_err(JsErrorBox::from_err)
            }
        }
    }

    fn check_env(&self, name: &str) -> Result<(), JsErrorBox> {
        self.0.get().check_env(name).map_err(JsErrorBox::from_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn hook(options: PermissionsOptions) -> KvPermissionsHook {
        let container = from_options(&options).expect("valid options");
        KvPermissionsHook(CurrentPermissions::new(container))
    }

    #[test]
    fn kv_targets_need_what_deno_asks() {
        let none = hook(PermissionsOptions::default());
        assert!(none.check_open(OpenTarget::Memory).is_ok());
        assert!(none
            .check_open(OpenTarget::Default(Path::new("/x/kv.sqlite3")))
            .is_ok());
        let err = none
            .check_open(OpenTarget::File(Path::new("x.db")))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Requires read access to \"x.db\", run again with the --allow-read flag"
        );
        let err = none
            .check_open(OpenTarget::Remote("https://example.com/db"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Requires net access to \"example.com:443\", run again with the --allow-net flag"
        );
        let err = none.check_env("DENO_KV_ACCESS_TOKEN").unwrap_err();
        assert!(err
            .to_string()
            .contains("Requires env access to \"DENO_KV_ACCESS_TOKEN\""));

        let net = hook(PermissionsOptions {
            allow_net: Some(vec!["example.com".into()]),
            allow_env: Some(vec!["DENO_KV_ACCESS_TOKEN".into()]),
            ..Default::default()
        });
        assert!(net
            .check_open(OpenTarget::Remote("https://example.com/db"))
            .is_ok());
        assert!(net
            .check_open(OpenTarget::Remote("https://other.com/db"))
            .is_err());
        assert!(net.check_env("DENO_KV_ACCESS_TOKEN").is_ok());
    }
}
