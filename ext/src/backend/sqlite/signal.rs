//! Commit notifications: wakes watchers and queue listeners when a commit
//! lands, at once for handles in this process and by polling SQLite's
//! `data_version` (every [`POLL_INTERVAL`]) for other processes.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::watch;

/// How often waiters look for commits made by other processes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How many recent commits' written keys are remembered for raw watches.
const TOUCHED_LOG: usize = 1024;

/// A commit's number and the encoded keys it wrote.
type Touched = (u64, Arc<[Vec<u8>]>);

/// A counter bumped on every local commit to one database, with the keys
/// the recent commits wrote.
pub struct CommitSignal {
    sender: watch::Sender<u64>,
    /// `(commit number, encoded keys written)`, oldest first.
    touched: Mutex<VecDeque<Touched>>,
}

impl CommitSignal {
    fn new() -> CommitSignal {
        CommitSignal {
            sender: watch::Sender::new(0),
            touched: Mutex::new(VecDeque::new()),
        }
    }

    /// Announces a commit that wrote no key (queue bookkeeping).
    pub fn notify(&self) {
        self.notify_keys(Vec::new());
    }

    /// Announces a commit that wrote `keys` (encoded) to every waiter.
    pub fn notify_keys(&self, keys: Vec<Vec<u8>>) {
        let mut log = self.touched.lock().unwrap_or_else(|e| e.into_inner());
        self.sender.send_modify(|n| {
            *n = n.wrapping_add(1);
            log.push_back((*n, keys.into()));
        });
        while log.len() > TOUCHED_LOG {
            log.pop_front();
        }
    }

    /// A receiver that sees commits announced after this call.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.sender.subscribe()
    }

    /// Whether a commit numbered after `since` (up to the current one) wrote
    /// one of `keys`; true when those commits are no longer all remembered.
    pub fn touched_since(&self, since: u64, keys: &[Vec<u8>]) -> bool {
        let log = self.touched.lock().unwrap_or_else(|e| e.into_inner());
        let current = *self.sender.borrow();
        if current == since {
            return false;
        }
        match log.front() {
            Some((oldest, _)) if *oldest <= since.wrapping_add(1) => {}
            _ => return true,
        }
        log.iter()
            .filter(|(n, _)| *n > since)
            .any(|(_, written)| written.iter().any(|key| keys.contains(key)))
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
        let since = *rx.borrow();
        a.notify_keys(vec![b"x".to_vec()]);
        assert!(!b.touched_since(since, &[b"y".to_vec()]));
        assert!(b.touched_since(since, &[b"x".to_vec()]));
        assert!(!b.touched_since(since + 1, &[b"x".to_vec()]));
        std::fs::remove_dir_all(&dir).ok();
    }
}
