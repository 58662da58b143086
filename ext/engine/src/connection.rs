//! Opening SQLite connections, classifying their errors and retrying when
//! another connection holds the write lock.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::EngineError;

/// How long SQLite itself waits for a lock before reporting `SQLITE_BUSY`
/// (after which [`retry_busy`] waits and tries again, up to
/// [`lock_timeout`] in all).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Default of [`lock_timeout`]: twice Deno's 5 s, for writers that queue
/// behind a slow checkpoint or backup.
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an operation waits, in all, for a lock another connection
/// holds before failing with [`EngineError::Locked`]: `KVRT_LOCK_TIMEOUT_MS`
/// (milliseconds) when set, else 10 s.
pub fn lock_timeout() -> Duration {
    static TIMEOUT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *TIMEOUT.get_or_init(|| {
        std::env::var("KVRT_LOCK_TIMEOUT_MS")
            .ok()
            .and_then(|ms| ms.trim().parse::<u64>().ok())
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_LOCK_TIMEOUT)
    })
}
/// First pause of [`retry_busy`].
const RETRY_DELAY_MIN: Duration = Duration::from_millis(1);
/// Longest pause of [`retry_busy`].
const RETRY_DELAY_MAX: Duration = Duration::from_millis(50);
/// Statements kept prepared per connection.
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// Whether `e` means "another connection holds a lock": worth retrying.
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    ) || is_lock_protocol(e)
}

/// SQLITE_PROTOCOL: a WAL lock stayed contended through all of SQLite's
/// retries (at once under [`without_sleeping`]).
fn is_lock_protocol(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::FileLockingProtocolFailed)
    )
}

/// Whether `e` means the file is damaged or not a database.
fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

/// Whether `e` means the file cannot be written or opened (permissions, a
/// read-only file or directory).
fn is_access_denied(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied)
    )
}

/// Why the file system refuses `path` as a database: a missing directory,
/// a directory where no file can be created (SQLite needs its `-wal` and
/// `-shm` files there), or a file that cannot be written. `None` when
/// neither explains it.
pub(crate) fn access_cause(path: &Path) -> Option<String> {
    use std::io::ErrorKind;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Some(format!("the directory '{}' does not exist", dir.display()));
    }
    if path.exists() {
        if let Err(e) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
        {
            if e.kind() == ErrorKind::PermissionDenied {
                return Some("permission denied: the file is read-only".to_string());
            }
        }
    }
    // Probe the directory with a file of our own, removed at once.
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let probe = dir.join(format!(".{name}.{}.kvrt-probe", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e) if e.kind() == ErrorKind::PermissionDenied => Some(format!(
            "permission denied: no file can be created in the directory '{}'",
            dir.display()
        )),
        Err(_) => None,
    }
}

/// Converts an SQLite error, naming the file when it is damaged or cannot
/// be written.
pub(crate) fn classify(e: rusqlite::Error, path: Option<&Path>) -> EngineError {
    match path {
        Some(path) if is_corrupt(&e) => EngineError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
        Some(path) if is_busy(&e) => EngineError::Locked {
            path: path.to_path_buf(),
            waited: lock_timeout(),
        },
        Some(path) if is_access_denied(&e) => EngineError::Open {
            path: path.to_path_buf(),
            cause: access_cause(path),
            source: e,
        },
        _ => EngineError::Database(e),
    }
}

/// Re-classifies an engine error produced by `?` on an SQLite error, so that
/// corruption found mid-operation still names the file.
pub(crate) fn name_file(e: EngineError, path: Option<&Path>) -> EngineError {
    match e {
        EngineError::Database(inner) => classify(inner, path),
        other => other,
    }
}

/// Runs `f` until it returns something other than a busy/locked error,
/// pausing (with growing delays) between attempts. `f` must be safe to repeat:
/// every attempt runs in its own transaction.
pub(crate) fn retry_busy<T>(
    mut f: impl FnMut() -> Result<T, EngineError>,
) -> Result<T, EngineError> {
    let mut delay = RETRY_DELAY_MIN;
    let deadline = std::time::Instant::now() + lock_timeout();
    loop {
        match without_sleeping(&mut f) {
            Err(EngineError::Database(e)) if is_busy(&e) => {
                let now = std::time::Instant::now();
                if now >= deadline {
                    // (named after the file by the store's error mapping)
                    return Err(EngineError::Database(e));
                }
                thread::sleep(delay.min(deadline - now));
                delay = (delay * 2).min(RETRY_DELAY_MAX);
            }
            other => return other,
        }
    }
}

/// Locks a mutex, recovering from poisoning: every use of a connection runs
/// in a transaction that rolls back if a panic interrupted it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Settings shared by every connection.
fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(BUSY_TIMEOUT.min(lock_timeout()))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

/// Opens the in-memory database's only connection.
pub(crate) fn open_memory() -> Result<Connection, EngineError> {
    let conn = Connection::open_in_memory()?;
    configure(&conn)?;
    Ok(conn)
}

/// Name of the VFS of read connections: the default (unix) VFS whose
/// `xSleep` returns at once on a thread inside [`without_sleeping`].
const NO_SLEEP_VFS: &std::ffi::CStr = c"kvrt-nosleep";

thread_local! {
    /// Set while this thread must not sleep inside SQLite.
    static NO_SLEEP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The default VFS's `xSleep`, called by [`nosleep_x_sleep`] elsewhere.
type XSleep = unsafe extern "C" fn(
    *mut rusqlite::ffi::sqlite3_vfs,
    std::os::raw::c_int,
) -> std::os::raw::c_int;
static DEFAULT_SLEEP: std::sync::OnceLock<Option<XSleep>> = std::sync::OnceLock::new();

unsafe extern "C" fn nosleep_x_sleep(
    vfs: *mut rusqlite::ffi::sqlite3_vfs,
    microseconds: std::os::raw::c_int,
) -> std::os::raw::c_int {
    if NO_SLEEP.with(|flag| flag.get()) {
        // SQLite's WAL reader retries a contended lock ~100 times with
        // growing sleeps (~10 s in all): without the sleeps it reports
        // SQLITE_PROTOCOL at once, which callers treat as busy.
        return microseconds;
    }
    match DEFAULT_SLEEP.get().copied().flatten() {
        // SAFETY: the default VFS's own xSleep, with its own arguments.
        Some(sleep) => unsafe { sleep(vfs, microseconds) },
        None => {
            thread::sleep(Duration::from_micros(microseconds.max(0) as u64));
            microseconds
        }
    }
}

/// Registers [`NO_SLEEP_VFS`] (once); false when it could not be.
fn nosleep_vfs() -> bool {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *REGISTERED.get_or_init(|| {
        // SAFETY: the default VFS outlives the process; the copy is leaked
        // (a registered VFS must live forever) and differs only by name
        // and xSleep, which forwards to the default's.
        unsafe {
            let default = rusqlite::ffi::sqlite3_vfs_find(std::ptr::null());
            if default.is_null() {
                return false;
            }
            let _ = DEFAULT_SLEEP.set((*default).xSleep);
            let mut copy: rusqlite::ffi::sqlite3_vfs = *default;
            copy.zName = NO_SLEEP_VFS.as_ptr();
            copy.pNext = std::ptr::null_mut();
            copy.xSleep = Some(nosleep_x_sleep);
            let copy = Box::leak(Box::new(copy));
            rusqlite::ffi::sqlite3_vfs_register(copy, 0) == rusqlite::ffi::SQLITE_OK
        }
    })
}

/// Runs `f` with SQLite's sleeps on this thread turned off (connections
/// opened on [`NO_SLEEP_VFS`] then never sleep waiting for a lock).
pub(crate) fn without_sleeping<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            NO_SLEEP.with(|flag| flag.set(self.0));
        }
    }
    let _reset = Reset(NO_SLEEP.with(|flag| flag.replace(true)));
    f()
}

/// What a connection may do to its file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read and write, creating the file if needed.
    ReadWrite,
    /// Read only (SQLite refuses writes); the file must exist.
    ReadOnly,
}

/// Opens a connection to the file at `path`, in WAL mode with
/// `synchronous=FULL`, on [`NO_SLEEP_VFS`] when it is available (waits for
/// locks are then [`retry_busy`]'s, bounded by [`lock_timeout`]).
pub(crate) fn open_file(path: &PathBuf, access: Access) -> Result<Connection, EngineError> {
    let flags = OpenFlags::SQLITE_OPEN_NO_MUTEX
        | match access {
            Access::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            Access::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
        };
    let opened = if nosleep_vfs() {
        Connection::open_with_flags_and_vfs(path, flags, NO_SLEEP_VFS)
    } else {
        Connection::open_with_flags(path, flags)
    };
    let conn = opened.map_err(|source| EngineError::Open {
        path: path.clone(),
        cause: access_cause(path),
        source,
    })?;
    let setup = || -> Result<(), EngineError> {
        configure(&conn)?;
        retry_busy(|| {
            // Reading the mode back makes SQLite touch the file: garbage is
            // reported here (as corruption) rather than later.
            let mode: String = conn.query_row("pragma journal_mode = wal", [], |row| row.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(EngineError::SchemaMismatch {
                    path: path.clone(),
                    reason: format!("could not switch to WAL journal mode (got '{mode}')"),
                });
            }
            Ok(())
        })?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(())
    };
    setup().map_err(|e| name_file(e, Some(path)))?;
    Ok(conn)
}
