//! Commit notifications: wakes watchers and queue listeners when a commit
//! lands, at once for handles in this process and by polling SQLite's
//! `data_version` (every [`POLL_INTERVAL`]) for other processes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::watch;

/// How often waiters look for commits made by other processes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A counter bumped on every local commit to one database.
pub struct CommitSignal {
    sender: watch::Sender<u64>,
}

impl CommitSignal {
    fn new() -> CommitSignal {
        CommitSignal {
            sender: watch::Sender::new(0),
        }
    }

    /// Announces a commit to every waiter.
    pub fn notify(&self) {
        self.sender.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees commits announced after this call.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.sender.subscribe()
    }
}

type Registry = Mutex<HashMap<PathBuf, Weak<CommitSignal>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// The signal shared by every handle of this process on the file at `path`
/// (`None`: an in-memory database, which only its own handle sees).
pub fn signal_for(path: Option<&Path>) -> Arc<CommitSignal> {
    let Some(path) = path else {
        return Arc::new(CommitSignal::new());
    };
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut map = registry().lock().unwrap_or_else(|e| e.into_inner());
    map.retain(|_, signal| signal.strong_count() > 0);
    if let Some(signal) = map.get(&key).and_then(Weak::upgrade) {
        return signal;
    }
    let signal = Arc::new(CommitSignal::new());
    map.insert(key, Arc::downgrade(&signal));
    signal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_of_one_file_share_a_signal() {
        let dir = std::env::temp_dir().join(format!("kvrt-signal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("db");
        std::fs::write(&file, b"").unwrap();
        let a = signal_for(Some(&file));
        let b = signal_for(Some(&dir.join("./db")));
        let rx = b.subscribe();
        a.notify();
        assert!(rx.has_changed().unwrap());
        let memory = signal_for(None);
        assert!(!Arc::ptr_eq(&memory, &a));
        std::fs::remove_dir_all(&dir).ok();
    }
}
