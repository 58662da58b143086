//! Leases of queue messages whose handlers are running in this process.
//!
//! A dequeued message sits in `queue_running` until its deadline; if the
//! process dies, any process reading the queue puts it back after that. While
//! the handler runs, a keepalive task pushes the deadline forward, so a slow
//! handler never has its message delivered a second time.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kv_engine::{now_ms, Store};
use tokio::sync::oneshot;

/// How long a dequeued message stays leased without a keepalive.
pub const LEASE_MS: i64 = 5_000;

/// How often a running handler's lease is extended.
const KEEPALIVE_INTERVAL: Duration = Duration::from_millis(1_000);

/// The running messages of one database handle.
#[derive(Default)]
pub struct Leases {
    running: RefCell<HashMap<String, oneshot::Sender<()>>>,
}

impl Leases {
    /// Keeps message `id` leased until [`Leases::release`] (or close).
    pub fn hold(&self, store: Arc<Store>, id: String) {
        let (stop, mut stopped) = oneshot::channel();
        self.running.borrow_mut().insert(id.clone(), stop);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = tokio::time::sleep(KEEPALIVE_INTERVAL) => {}
                }
                let (store, id) = (store.clone(), id.clone());
                let extended = tokio::task::spawn_blocking(move || {
                    store.extend_lease(&id, now_ms() + LEASE_MS)
                })
                .await;
                match extended {
                    Ok(Ok(true)) => {}
                    // The message was settled or taken back meanwhile.
                    Ok(Ok(false)) => return,
                    Ok(Err(err)) => eprintln!("kvrt: queue keepalive: {err}"),
                    Err(err) => eprintln!("kvrt: queue keepalive task: {err}"),
                }
            }
        });
    }

    /// Stops extending the lease of message `id`.
    pub fn release(&self, id: &str) {
        self.running.borrow_mut().remove(id);
    }

    /// Stops every keepalive (the database is closing).
    pub fn release_all(&self) {
        self.running.borrow_mut().clear();
    }
}
