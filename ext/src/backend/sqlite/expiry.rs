//! The background collector that deletes expired entries.
//!
//! Reads never return expired entries whether or not they are collected;
//! the collector only reclaims space. It sleeps until the earliest pending
//! expiration and is re-armed when a write sets a nearer one.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kv_engine::{now_ms, Store};
use tokio::sync::Notify;

/// No pending expiration.
const NONE: i64 = i64::MAX;

/// Handle to a database's collector task.
#[derive(Clone)]
pub struct ExpiryCollector {
    shared: Arc<Shared>,
}

struct Shared {
    next_due_ms: AtomicI64,
    wake: Notify,
    stopped: AtomicBool,
}

impl ExpiryCollector {
    /// Starts collecting for `store` on the current tokio runtime.
    pub fn start(store: Arc<Store>) -> ExpiryCollector {
        let shared = Arc::new(Shared {
            next_due_ms: AtomicI64::new(0),
            wake: Notify::new(),
            stopped: AtomicBool::new(false),
        });
        tokio::spawn(run(store, shared.clone()));
        ExpiryCollector { shared }
    }

    /// Tells the collector an entry now expires at `expire_at_ms`.
    pub fn schedule(&self, expire_at_ms: i64) {
        let previous = self
            .shared
            .next_due_ms
            .fetch_min(expire_at_ms, Ordering::SeqCst);
        if expire_at_ms < previous {
            self.shared.wake.notify_one();
        }
    }

    /// Ends the collector task.
    pub fn stop(&self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }
}

async fn run(store: Arc<Store>, shared: Arc<Shared>) {
    while !shared.stopped.load(Ordering::SeqCst) {
        let due = shared.next_due_ms.load(Ordering::SeqCst);
        let now = now_ms();
        if due <= now {
            shared.next_due_ms.store(NONE, Ordering::SeqCst);
            let store = store.clone();
            let collected =
                tokio::task::spawn_blocking(move || store.collect_expired(now_ms())).await;
            match collected {
                Ok(Ok(Some(next))) => {
                    shared.next_due_ms.fetch_min(next, Ordering::SeqCst);
                }
                Ok(Ok(None)) => {}
                Ok(Err(err)) => {
                    eprintln!("kvrt: expiry collector: {err}");
                    // Retry later rather than spin on a failing database.
                    shared.next_due_ms.fetch_min(now + 1000, Ordering::SeqCst);
                }
                Err(err) => eprintln!("kvrt: expiry collector task: {err}"),
            }
            continue;
        }
        let wait = if due == NONE {
            Duration::from_secs(3600)
        } else {
            Duration::from_millis((due - now) as u64)
        };
        let _ = tokio::time::timeout(wait, shared.wake.notified()).await;
    }
}
