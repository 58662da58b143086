//! `Deno.openKv`.

use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{op2, CancelHandle, OpState, ResourceId};
use kv_engine::StoreLocation;

use crate::backend::remote::RemoteBackend;
use crate::backend::sqlite::SqliteBackend;
use crate::backend::KvBackend;
use crate::config::{KvConfig, OpenTarget};
use crate::database::DatabaseResource;
use crate::error::KvError;
use crate::location::{opens_default, resolve_location, Location};

/// Opens (creating if needed) the database at `path` and returns its resource
/// id. Named as in Deno, whose test sanitizer reports it by this name.
#[op2]
#[smi]
pub async fn op_kv_database_open(
    state: Rc<RefCell<OpState>>,
    #[string] path: Option<String>,
) -> Result<ResourceId, KvError> {
    let config = state.borrow().borrow::<KvConfig>().clone();
    let backend: Rc<dyn KvBackend> = match &config.handler {
        Some(handler) => handler.open(path).await?,
        None => match resolve_location(path.as_deref(), &config)? {
            Location::Local(location) => {
                let target = match &location {
                    StoreLocation::Memory => OpenTarget::Memory,
                    StoreLocation::File(file) if opens_default(path.as_deref(), &config) => {
                        OpenTarget::Default(file)
                    }
                    StoreLocation::File(file) => OpenTarget::File(file),
                };
                config.permissions.check_open(target)?;
                Rc::new(SqliteBackend::open(location).await?)
            }
            Location::Remote(url) => Rc::new(
                RemoteBackend::open(&url, config.permissions.clone(), &config.remote).await?,
            ),
        },
    };
    let resource = DatabaseResource {
        backend,
        cancel: CancelHandle::new_rc(),
    };
    Ok(state.borrow_mut().resource_table.add(resource))
}
