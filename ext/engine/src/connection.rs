//! Opening SQLite connections, classifying their errors and retrying when
//! another connection holds the write lock.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::EngineError;

/// How long SQLite itself waits for a lock before reporting `SQLITE_BUSY`
/// (after which [`retry_busy`] waits and tries again).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
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
fn access_cause(path: &Path) -> Option<String> {
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
    loop {
        match f() {
            Err(EngineError::Database(e)) if is_busy(&e) => {
                thread::sleep(delay);
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
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

/// Opens the in-memory database's only connection.
pub(crate) fn open_memory() -> Result<Connection, EngineError> {
    let conn = Connection::open_in_memory()?;
    configure(&conn)?;
    Ok(conn)
}

/// Opens a connection to the file at `path` (creating the file if needed),
/// in WAL mode with `synchronous=FULL`.
pub(crate) fn open_file(path: &PathBuf, read_only: bool) -> Result<Connection, EngineError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|source| EngineError::Open {
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
        if read_only {
            conn.pragma_update(None, "query_only", true)?;
        }
        Ok(())
    };
    setup().map_err(|e| name_file(e, Some(path)))?;
    Ok(conn)
}
