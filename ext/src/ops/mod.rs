//! The KV ops: thin translations between the JS shim and the engine.

pub mod listen_queue;
pub mod open;
pub mod read;
pub mod value;
pub mod watch;
pub mod write;
pub mod write_args;

use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{OpState, ResourceId};

use crate::config::KvLimits;
use crate::database::DatabaseResource;
use crate::error::KvError;

/// Database `rid` and the limits its reads and writes obey.
fn database(
    state: &Rc<RefCell<OpState>>,
    rid: ResourceId,
) -> Result<(Rc<DatabaseResource>, KvLimits), KvError> {
    let state = state.borrow();
    let db = state.resource_table.get::<DatabaseResource>(rid)?;
    Ok((db, *state.borrow::<KvLimits>()))
}
