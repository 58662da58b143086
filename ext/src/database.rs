//! An open database as a `deno_core` resource: its backend, and the handle
//! that cancels the waits of the ops using it when it closes.

use std::borrow::Cow;
use std::rc::Rc;

use deno_core::{CancelHandle, Resource};

use crate::backend::KvBackend;

/// What `Deno.openKv` returns a resource id for.
pub struct DatabaseResource {
    /// Where the data lives.
    pub backend: Rc<dyn KvBackend>,
    /// Cancelled when the database closes, ending pending waits.
    pub cancel: Rc<CancelHandle>,
}

impl Resource for DatabaseResource {
    fn name(&self) -> Cow<'_, str> {
        "database".into()
    }

    fn close(self: Rc<Self>) {
        self.cancel.cancel();
        self.backend.close();
    }
}
