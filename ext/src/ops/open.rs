//! `Deno.openKv`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use deno_core::{op2, CancelHandle, OpState, ResourceId};
use kv_engine::{Store, StoreLocation};

use crate::committer::Committer;
use crate::config::{KvConfig, OpenTarget};
use crate::database::DatabaseResource;
use crate::error::KvError;
use crate::expiry::ExpiryCollector;
use crate::location::{is_remote, opens_default, resolve_location};
use crate::queue::Leases;
use crate::signal::signal_for;

/// Opens (creating if needed) the database at `path` and returns its resource
/// id. Named as in Deno, whose test sanitizer reports it by this name.
#[op2]
#[smi]
pub async fn op_kv_database_open(
    state: Rc<RefCell<OpState>>,
    #[string] path: Option<String>,
) -> Result<ResourceId, KvError> {
    let config = state.borrow().borrow::<KvConfig>().clone();
    if let Some(url) = path.as_deref().filter(|p| is_remote(p)) {
        config.permissions.check_open(OpenTarget::Remote(url))?;
    }
    let location = resolve_location(path.as_deref(), &config)?;
    let target = match &location {
        StoreLocation::Memory => OpenTarget::Memory,
        StoreLocation::File(file) if opens_default(path.as_deref(), &config) => {
            OpenTarget::Default(file)
        }
        StoreLocation::File(file) => OpenTarget::File(file),
    };
    config.permissions.check_open(target)?;
    let store = tokio::task::spawn_blocking(move || Store::open(location))
        .await
        .map_err(|err| KvError::Generic(format!("database task failed: {err}")))??;
    let store = Arc::new(store);
    let resource = DatabaseResource {
        committer: Committer::start(store.clone())?,
        expiry: ExpiryCollector::start(store.clone()),
        signal: signal_for(store.path()),
        leases: Leases::default(),
        store,
        cancel: CancelHandle::new_rc(),
    };
    Ok(state.borrow_mut().resource_table.add(resource))
}
