//! The permissions that Deno's extension crates check (`deno_fetch`,
//! `deno_net`): they read a [`PermissionsContainer`] from the op state before
//! network or file access.
//!
//! kvrt's permission model is not yet implemented: every script runs as if
//! under `deno run -A`, so the container built here grants everything
//! (network, read, write, env, ...) and never prompts. Deno's `--allow-*` /
//! `--deny-*` semantics are to replace [`allow_all`] once the CLI parses
//! those flags.

use std::sync::Arc;

use deno_permissions::{PermissionsContainer, RuntimePermissionDescriptorParser};

/// A container granting every permission, with Deno's own descriptor parser
/// (paths resolved against the real working directory).
pub fn allow_all() -> PermissionsContainer {
    PermissionsContainer::allow_all(Arc::new(RuntimePermissionDescriptorParser::new(
        sys_traits::impls::RealSys,
    )))
}
