//! The store: one database (in memory or a file) and its connections.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

use crate::clock::now_ms;
use crate::connection::{self, lock, name_file, retry_busy, Access};
use crate::error::EngineError;
use crate::schema;

/// Where a store keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A private in-memory database, gone when the store is dropped.
    Memory,
    /// An SQLite file laid out like Deno's (created if missing).
    File(PathBuf),
}

/// The reader connection of a file store and what it last saw of the
/// data version.
pub(crate) struct Reader {
    /// Connection used only for reads; WAL lets it run beside the writer.
    pub(crate) conn: Connection,
    /// `(PRAGMA data_version, data_version.version)` at the last
    /// [`Store::data_version`] call.
    seen: Option<(i64, i64)>,
}

/// A Deno KV database.
///
/// All methods take `&self`; the store is `Send + Sync`. Writes go through
/// one writer connection in `BEGIN IMMEDIATE` transactions; file stores read
/// from a second connection so reads are not queued behind writes.
pub struct Store {
    /// The file, or `None` in memory.
    path: Option<PathBuf>,
    /// The read-only connection of a file store. Declared (so dropped)
    /// before the writer: the last connection to close checkpoints the WAL
    /// into the file and removes it, and a read-only one cannot.
    reader: Option<Mutex<Reader>>,
    /// The connection every write (and, in memory, every read) uses.
    writer: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Runs Deno's migrations on `conn` in one write transaction.
fn migrate(conn: &Connection, path: &Path) -> Result<(), EngineError> {
    retry_busy(|| {
        let tx = WriteTx::begin(conn)?;
        schema::migrate(conn).map_err(|p| schema::problem_to_error(p, path))?;
        tx.commit()?;
        Ok(())
    })
    .map_err(|e| name_file(e, Some(path)))
}

/// A write transaction on the writer, begun and committed with statements
/// prepared once per connection (rusqlite's `Transaction` prepares `BEGIN`
/// and `COMMIT` again at every commit: about 3% of an in-memory `set`).
/// Rolls back unless committed, also when a panic unwinds through it.
struct WriteTx<'c> {
    conn: &'c Connection,
    committed: bool,
}

impl<'c> WriteTx<'c> {
    fn begin(conn: &'c Connection) -> Result<WriteTx<'c>, rusqlite::Error> {
        conn.prepare_cached("begin immediate")?.execute([])?;
        Ok(WriteTx {
            conn,
            committed: false,
        })
    }

    fn commit(mut self) -> Result<(), rusqlite::Error> {
        self.conn.prepare_cached("commit")?.execute([])?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        // (a failed COMMIT, e.g. busy, leaves the transaction open)
        if !self.committed && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("rollback");
        }
    }
}

impl Store {
    /// Opens (creating and migrating if needed) the database at `location`.
    ///
    /// A file that is not an SQLite database, is damaged, or is laid out
    /// differently from Deno KV's gives an error naming the file. Opening a
    /// file deletes the keys whose expiration time has passed.
    pub fn open(location: StoreLocation) -> Result<Store, EngineError> {
        match location {
            StoreLocation::Memory => {
                let conn = connection::open_memory()?;
                migrate(&conn, Path::new(":memory:"))?;
                Ok(Store {
                    path: None,
                    writer: Mutex::new(conn),
                    reader: None,
                })
            }
            StoreLocation::File(path) => {
                let writer = connection::open_file(&path, Access::ReadWrite)?;
                migrate(&writer, &path)?;
                let reader = connection::open_file(&path, Access::ReadOnly)?;
                // Reads run on the caller's thread (a JavaScript event loop):
                // they must not sleep in SQLite's busy handler. A locked read
                // is reported at once (see `Store::try_read`).
                reader
                    .busy_timeout(std::time::Duration::ZERO)
                    .map_err(EngineError::from)?;
                let store = Store {
                    path: Some(path),
                    writer: Mutex::new(writer),
                    reader: Some(Mutex::new(Reader {
                        conn: reader,
                        seen: None,
                    })),
                };
                store.collect_expired(now_ms())?;
                Ok(store)
            }
        }
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Makes an error produced by `?` name the file if it is corruption.
    pub(crate) fn fix_error(&self, e: EngineError) -> EngineError {
        name_file(
            e,
            Some(self.path.as_deref().unwrap_or(Path::new(":memory:"))),
        )
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction on the writer and commits,
    /// retrying the whole transaction while the database is locked by another
    /// connection. Any error rolls everything back.
    pub(crate) fn write_tx<T>(
        &self,
        mut f: impl FnMut(&Connection) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let conn = lock(&self.writer);
        retry_busy(|| {
            let tx = WriteTx::begin(&conn)?;
            let out = f(&conn)?;
            tx.commit()?;
            Ok(out)
        })
        .map_err(|e| self.fix_error(e))
    }

    /// Runs `f` on the read connection (the writer in memory), retrying while
    /// the database is locked. `f` decides whether it needs a transaction.
    pub(crate) fn with_reader<T>(
        &self,
        mut f: impl FnMut(&mut Connection) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let result = match &self.reader {
            // (the read connection is shared with the JavaScript thread's
            // reads: it is never held while waiting for a lock)
            Some(reader) => {
                retry_busy(|| connection::without_sleeping(|| f(&mut lock(reader).conn)))
            }
            None => {
                let mut conn = lock(&self.writer);
                retry_busy(|| f(&mut conn))
            }
        };
        result.map_err(|e| self.fix_error(e))
    }

    /// Runs `f` once on the read connection (the writer in memory), without
    /// waiting for locks: `Ok(None)` when another connection holds one (see
    /// [`Store::wait_readable`]).
    pub(crate) fn try_with_reader<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, EngineError>,
    ) -> Result<Option<T>, EngineError> {
        let result = match &self.reader {
            Some(reader) => connection::without_sleeping(|| f(&mut lock(reader).conn)),
            None => f(&mut lock(&self.writer)),
        };
        match result {
            Err(EngineError::Database(e)) if connection::is_busy(&e) => Ok(None),
            other => other.map(Some).map_err(|e| self.fix_error(e)),
        }
    }

    /// Waits (sleeping, without holding the read connection) until a read
    /// transaction can start, up to [`connection::lock_timeout`]; then
    /// fails with [`EngineError::Locked`]. For a thread that may block.
    pub fn wait_readable(&self) -> Result<(), EngineError> {
        let mut delay = std::time::Duration::from_millis(1);
        let deadline = std::time::Instant::now() + connection::lock_timeout();
        loop {
            let attempt = self.try_with_reader(|conn| {
                conn.query_row("select 1 from data_version where k = 0", [], |_| Ok(()))
                    .map_err(EngineError::from)
            })?;
            if attempt.is_some() {
                return Ok(());
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Err(EngineError::Locked {
                    path: self
                        .path
                        .clone()
                        .unwrap_or_else(|| std::path::PathBuf::from(":memory:")),
                    waited: connection::lock_timeout(),
                });
            }
            std::thread::sleep(delay.min(deadline - now));
            delay = (delay * 2).min(std::time::Duration::from_millis(50));
        }
    }

    /// The version of the last commit (`data_version.version`), including
    /// commits by other connections and processes. Cheap: on a file it only
    /// reads the table when SQLite's `PRAGMA data_version` says another
    /// connection committed since the last call.
    pub fn data_version(&self) -> Result<i64, EngineError> {
        const SELECT: &str = "select version from data_version where k = 0";
        let result = match &self.reader {
            Some(reader) => retry_busy(|| {
                connection::without_sleeping(|| {
                    let mut reader = lock(reader);
                    let pragma: i64 = reader
                        .conn
                        .query_row("pragma data_version", [], |row| row.get(0))?;
                    if let Some((seen_pragma, version)) = reader.seen {
                        if seen_pragma == pragma {
                            return Ok(version);
                        }
                    }
                    let version: i64 = reader
                        .conn
                        .prepare_cached(SELECT)?
                        .query_row([], |row| row.get(0))?;
                    reader.seen = Some((pragma, version));
                    Ok(version)
                })
            }),
            None => {
                let conn = lock(&self.writer);
                retry_busy(|| {
                    Ok(conn
                        .prepare_cached(SELECT)?
                        .query_row([], |row| row.get(0))?)
                })
            }
        };
        result.map_err(|e| self.fix_error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn store_is_send_sync() {
        assert_send_sync::<Store>();
    }

    #[test]
    fn memory_store_opens() {
        let store = Store::open(StoreLocation::Memory).unwrap();
        assert_eq!(store.data_version().unwrap(), 0);
        assert!(store.path().is_none());
    }

    fn schema_of(path: &Path) -> Vec<(String, Option<String>)> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("select name, sql from sqlite_master order by name")
            .unwrap();
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows
    }

    #[test]
    fn file_schema_is_denos() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = Store::open(StoreLocation::File(path.clone())).unwrap();
        drop(store);
        let schema = schema_of(&path);
        let kv = schema.iter().find(|(n, _)| n == "kv").unwrap();
        // Text as `sqlite3 file .schema` prints it for a file written by Deno 2.9.6.
        assert_eq!(
            kv.1.as_deref().unwrap(),
            "CREATE TABLE kv (\n  k blob primary key,\n  v blob not null,\n  v_encoding integer not null,\n  version integer not null\n, seq integer not null default 0, expiration_ms integer not null default -1) without rowid"
        );
        let dv = schema.iter().find(|(n, _)| n == "data_version").unwrap();
        assert_eq!(
            dv.1.as_deref().unwrap(),
            "CREATE TABLE data_version (\n  k integer primary key,\n  version integer not null\n, seq integer not null default 0)"
        );
        let ms = schema.iter().find(|(n, _)| n == "migration_state").unwrap();
        assert_eq!(
            ms.1.as_deref().unwrap(),
            "CREATE TABLE migration_state(\n  k integer not null primary key,\n  version integer not null\n)"
        );
        let names: Vec<&str> = schema.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "data_version",
                "kv",
                "kv_expiration_ms_idx",
                "migration_state",
                "queue",
                "queue_running",
                "sqlite_autoindex_queue_1",
                "sqlite_autoindex_queue_running_1"
            ]
        );
        let conn = Connection::open(&path).unwrap();
        let mode: String = conn
            .query_row("pragma journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let (k, v): (i64, i64) = conn
            .query_row("select k, version from migration_state", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((k, v), (0, 3));
        // Reopening applies nothing twice.
        drop(Store::open(StoreLocation::File(path.clone())).unwrap());
        assert_eq!(schema_of(&path).len(), 8);
    }

    fn expect_named_error(path: &Path) -> EngineError {
        let err =
            Store::open(StoreLocation::File(path.to_path_buf())).expect_err("opening must fail");
        let msg = err.to_string();
        assert!(
            msg.contains(&path.display().to_string()),
            "error does not name the file: {msg}"
        );
        err
    }

    #[test]
    fn garbage_file_is_a_named_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("garbage");
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(&[0x5a; 8192]).unwrap();
        drop(f);
        let err = expect_named_error(&path);
        assert!(matches!(err, EngineError::Corrupt { .. }), "{err:?}");
    }

    #[test]
    fn truncated_file_is_a_named_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let store = Store::open(StoreLocation::File(path.clone())).unwrap();
            let conn = lock(&store.writer);
            conn.execute_batch(
                "insert into kv (k, v, v_encoding, version) \
                 select randomblob(40), zeroblob(3000), 1, 1 from \
                 (with recursive c(x) as (select 1 union all select x + 1 from c where x < 200) select x from c)",
            )
            .unwrap();
        }
        // Closing the last connection checkpointed the WAL into the file.
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 100_000);
        for (i, cut) in [bytes.len() / 2, 100, 5000].into_iter().enumerate() {
            let p = dir.path().join(format!("cut{i}"));
            std::fs::write(&p, &bytes[..cut]).unwrap();
            // Either opening fails, or reading the damaged part does; both name the file.
            let err = match Store::open(StoreLocation::File(p.clone())) {
                Err(e) => e,
                Ok(store) => {
                    let range = crate::range_read::ReadRange {
                        start: vec![],
                        end: vec![0xff],
                        limit: 1000,
                        reverse: false,
                    };
                    store.read(&[range], 0).expect_err("reading must fail")
                }
            };
            assert!(
                err.to_string().contains(&p.display().to_string()),
                "error does not name the file: {err}"
            );
            assert!(
                matches!(
                    err,
                    EngineError::Corrupt { .. } | EngineError::SchemaMismatch { .. }
                ),
                "{err:?}"
            );
        }
    }

    #[test]
    fn wrong_schema_is_a_named_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("create table kv (a, b); create table other (x)")
                .unwrap();
        }
        let err = expect_named_error(&path);
        assert!(matches!(err, EngineError::SchemaMismatch { .. }), "{err:?}");

        let newer = dir.path().join("newer.sqlite");
        drop(Store::open(StoreLocation::File(newer.clone())).unwrap());
        {
            let conn = Connection::open(&newer).unwrap();
            conn.execute_batch("update migration_state set version = 4")
                .unwrap();
        }
        let err = expect_named_error(&newer);
        assert!(err.to_string().contains("newer"), "{err}");
    }

    #[test]
    fn missing_directory_is_a_named_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/db");
        let err = expect_named_error(&path);
        assert!(matches!(err, EngineError::Open { .. }), "{err:?}");
    }

    #[test]
    fn empty_file_becomes_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty");
        std::fs::write(&path, b"").unwrap();
        let store = Store::open(StoreLocation::File(path)).unwrap();
        assert_eq!(store.data_version().unwrap(), 0);
    }
}
