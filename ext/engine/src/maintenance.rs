//! Whole-database work on files: online backup, restore and statistics
//! (what `kvrt kv backup`, `restore` and `stats` run).
//!
//! These functions work on a database file by path, with connections of
//! their own, so they can run beside other processes that have the database
//! open (Deno or kvrt). None of them creates or migrates a database that
//! does not exist yet, except [`restore`], which creates its target.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::connection::{access_cause, classify, is_busy};
use crate::error::EngineError;
use crate::schema;

/// Pages copied per backup step (4 MiB with SQLite's default page size):
/// the granularity of progress reports.
const PAGES_PER_STEP: i32 = 1024;
/// Pause when a backup step finds the destination or source locked.
const BUSY_PAUSE: Duration = Duration::from_millis(10);
/// How long the open of an existing database waits for another process
/// holding a lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How far a backup or restore is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupProgress {
    /// Pages copied so far.
    pub done_pages: u64,
    /// Pages in the source database.
    pub total_pages: u64,
}

/// Statistics of a database file, read in one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Entries a read would return (not expired).
    pub entries: u64,
    /// Bytes of the encoded keys of those entries.
    pub key_bytes: u64,
    /// Bytes of the stored values of those entries.
    pub value_bytes: u64,
    /// Entries whose expiration time has passed but that are still stored
    /// (reads hide them; a collector or the next open deletes them).
    pub expired_not_collected: u64,
    /// Earliest pending expiration time (ms since the epoch), if any.
    pub next_expiration_ms: Option<i64>,
    /// Queue messages ready for delivery now.
    pub queue_ready: u64,
    /// Queue messages whose delay has not passed yet.
    pub queue_delayed: u64,
    /// Queue messages being handled by a listener (or whose handler died
    /// and that wait for their deadline).
    pub queue_running: u64,
    /// Version of the last commit (`data_version.version`).
    pub version: i64,
    /// Size of the database file.
    pub file_bytes: u64,
    /// Size of its write-ahead log (`-wal` file), 0 when there is none.
    pub wal_bytes: u64,
    /// SQLite page size.
    pub page_size: u64,
    /// Pages in the database.
    pub page_count: u64,
    /// Unused pages (space a `VACUUM` would give back).
    pub free_pages: u64,
}

impl Stats {
    /// Queue depth: every message not yet delivered successfully.
    pub fn queue_depth(&self) -> u64 {
        self.queue_ready + self.queue_delayed + self.queue_running
    }
}

/// The side file SQLite keeps next to `path` (`-wal`, `-shm`, `-journal`).
fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn io_error(what: &'static str, path: &Path, source: std::io::Error) -> EngineError {
    EngineError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// Opens an existing Deno KV database file without creating or migrating
/// anything, and checks that it is laid out like one.
fn open_existing(path: &Path) -> Result<Connection, EngineError> {
    if !path.is_file() {
        return Err(EngineError::NotFound {
            path: path.to_path_buf(),
        });
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|source| EngineError::Open {
        path: path.to_path_buf(),
        cause: access_cause(path),
        source,
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| classify(e, Some(path)))?;
    conn.pragma_update(None, "query_only", true)
        .map_err(|e| classify(e, Some(path)))?;
    schema::validate(&conn).map_err(|p| schema::problem_to_error(p, path))?;
    let version: Option<i64> = conn
        .query_row(
            "select version from migration_state where k = 0",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| classify(e, Some(path)))?;
    match version {
        Some(v) if v > schema::SCHEMA_VERSION => Err(EngineError::SchemaMismatch {
            path: path.to_path_buf(),
            reason: format!(
                "schema version {v} is newer than the supported version {}",
                schema::SCHEMA_VERSION
            ),
        }),
        _ => Ok(conn),
    }
}

/// Runs `PRAGMA quick_check` and turns anything but `ok` into a corruption
/// error naming `path`.
fn quick_check(conn: &Connection, path: &Path) -> Result<(), EngineError> {
    let result: String = conn
        .query_row("pragma quick_check", [], |row| row.get(0))
        .map_err(|e| classify(e, Some(path)))?;
    if result != "ok" {
        return Err(EngineError::Corrupt {
            path: path.to_path_buf(),
            reason: result,
        });
    }
    Ok(())
}

/// Copies every page from `from` to `to` in steps, reporting progress, and
/// waiting while a lock is held elsewhere.
fn copy_pages(
    from: &Connection,
    to: &mut Connection,
    progress: &mut dyn FnMut(BackupProgress),
) -> Result<(), rusqlite::Error> {
    let backup = Backup::new(from, to)?;
    loop {
        let step = backup.step(PAGES_PER_STEP)?;
        let p = backup.progress();
        let total = u64::try_from(p.pagecount).unwrap_or(0);
        let remaining = u64::try_from(p.remaining).unwrap_or(0);
        progress(BackupProgress {
            done_pages: total.saturating_sub(remaining),
            total_pages: total,
        });
        match step {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked => thread::sleep(BUSY_PAUSE),
            // StepResult is non-exhaustive: treat anything new as "try again".
            _ => thread::sleep(BUSY_PAUSE),
        }
    }
}

/// Makes a consistent copy of the database at `src` in the new file `dest`,
/// while other connections and processes keep reading and writing `src`.
///
/// The copy is the state of one commit: the source is read inside a single
/// read transaction (in WAL mode writers carry on meanwhile), through
/// SQLite's online backup API, every table included (entries, queue,
/// running queue, versions). It is written to a temporary file beside
/// `dest`, checked (`PRAGMA quick_check`), switched to WAL like Deno's
/// files, synced, and only then moved to `dest`: a failed backup leaves no
/// `dest`. Refuses to replace an existing `dest` unless `overwrite`.
/// Returns the size of the copy in bytes.
pub fn backup(
    src: &Path,
    dest: &Path,
    overwrite: bool,
    progress: &mut dyn FnMut(BackupProgress),
) -> Result<u64, EngineError> {
    if !overwrite && dest.exists() {
        return Err(io_error(
            "refusing to overwrite",
            dest,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the file exists (use --force to replace it)",
            ),
        ));
    }
    let source = open_existing(src)?;
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".to_string());
    let tmp = dir.join(format!(".{file_name}.kvrt-tmp-{}", std::process::id()));
    let result = write_backup(&source, src, &tmp, progress).and_then(|size| {
        place(&tmp, dest, overwrite)?;
        sync_dir(&dir);
        Ok(size)
    });
    if result.is_err() {
        for path in [
            tmp.clone(),
            side_file(&tmp, "-journal"),
            side_file(&tmp, "-wal"),
            side_file(&tmp, "-shm"),
        ] {
            let _ = std::fs::remove_file(path);
        }
    }
    result
}

/// Writes the copy of `source` to `tmp` and syncs it; returns its size.
fn write_backup(
    source: &Connection,
    src: &Path,
    tmp: &Path,
    progress: &mut dyn FnMut(BackupProgress),
) -> Result<u64, EngineError> {
    let _ = std::fs::remove_file(tmp);
    let mut target = Connection::open(tmp).map_err(|source| EngineError::Open {
        path: tmp.to_path_buf(),
        cause: access_cause(tmp),
        source,
    })?;
    // One read transaction for the whole copy: every step sees the same
    // snapshot, so writes by others never restart or tear the copy.
    source
        .execute_batch("begin")
        .map_err(|e| classify(e, Some(src)))?;
    let pinned = source
        .query_row("select count(*) from sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(|e| classify(e, Some(src)))
        .and_then(|_| copy_pages(source, &mut target, progress).map_err(EngineError::from));
    let ended = source.execute_batch("commit");
    pinned?;
    ended.map_err(|e| classify(e, Some(src)))?;
    quick_check(&target, tmp)?;
    let mode: String = target
        .query_row("pragma journal_mode = wal", [], |row| row.get(0))
        .map_err(EngineError::from)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(EngineError::SchemaMismatch {
            path: tmp.to_path_buf(),
            reason: format!("could not switch the copy to WAL journal mode (got '{mode}')"),
        });
    }
    target.close().map_err(|(_, e)| classify(e, Some(tmp)))?;
    let file =
        std::fs::File::open(tmp).map_err(|e| io_error("cannot reopen the backup", tmp, e))?;
    file.sync_all()
        .map_err(|e| io_error("cannot sync the backup", tmp, e))?;
    let size = file
        .metadata()
        .map_err(|e| io_error("cannot read the backup", tmp, e))?
        .len();
    Ok(size)
}

/// Moves the finished copy into place: a rename when replacing is allowed,
/// otherwise a hard link (which fails if `dest` appeared meanwhile).
fn place(tmp: &Path, dest: &Path, overwrite: bool) -> Result<(), EngineError> {
    if overwrite {
        return std::fs::rename(tmp, dest)
            .map_err(|e| io_error("cannot move the backup into place at", dest, e));
    }
    match std::fs::hard_link(tmp, dest) {
        Ok(()) => {
            let _ = std::fs::remove_file(tmp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(io_error("refusing to overwrite", dest, e))
        }
        // File systems without hard links.
        Err(_) => std::fs::rename(tmp, dest)
            .map_err(|e| io_error("cannot move the backup into place at", dest, e)),
    }
}

/// Syncs a directory so that a rename in it is durable (best effort).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Replaces the contents of the database at `db` (created if missing) with
/// those of the backup file `backup`.
///
/// The backup is checked first (a Deno KV layout, `PRAGMA quick_check`
/// ok). The database must not be in use: this takes SQLite's exclusive lock
/// on `db` (`locking_mode = EXCLUSIVE`, then `BEGIN EXCLUSIVE`) without
/// waiting. Every connection that has a WAL database open holds a shared
/// lock on it for as long as it stays open (Deno and kvrt keep their
/// connections open while a database is open, even when idle), so the lock
/// is refused exactly when another connection or process has the database
/// open: then this returns [`EngineError::InUse`] and changes nothing. While
/// the lock is held nobody else can open the database; the pages are copied
/// in one write transaction of `db`, so an interrupted restore leaves the
/// old contents.
pub fn restore(
    backup: &Path,
    db: &Path,
    progress: &mut dyn FnMut(BackupProgress),
) -> Result<(), EngineError> {
    if let (Ok(a), Ok(b)) = (backup.canonicalize(), db.canonicalize()) {
        if a == b {
            return Err(io_error(
                "cannot restore",
                db,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the backup and the database are the same file",
                ),
            ));
        }
    }
    let source = open_existing(backup)?;
    quick_check(&source, backup)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut target =
        Connection::open_with_flags(db, flags).map_err(|source| EngineError::Open {
            path: db.to_path_buf(),
            cause: access_cause(db),
            source,
        })?;
    let lock = (|| {
        target.busy_timeout(Duration::ZERO)?;
        target.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        target.execute_batch("begin exclusive; commit")
    })();
    if let Err(e) = lock {
        return Err(if is_busy(&e) {
            EngineError::InUse {
                path: db.to_path_buf(),
            }
        } else {
            classify(e, Some(db))
        });
    }
    copy_pages(&source, &mut target, progress).map_err(|e| {
        if is_busy(&e) {
            EngineError::InUse {
                path: db.to_path_buf(),
            }
        } else {
            classify(e, Some(db))
        }
    })?;
    let mode: String = target
        .query_row("pragma journal_mode = wal", [], |row| row.get(0))
        .map_err(|e| classify(e, Some(db)))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(EngineError::SchemaMismatch {
            path: db.to_path_buf(),
            reason: format!("could not switch to WAL journal mode (got '{mode}')"),
        });
    }
    schema::validate(&target).map_err(|p| schema::problem_to_error(p, db))?;
    target.close().map_err(|(_, e)| classify(e, Some(db)))?;
    Ok(())
}

/// Reads the statistics of the database at `path` (which must exist) as of
/// `now_ms`, in one read transaction.
pub fn stats(path: &Path, now_ms: i64) -> Result<Stats, EngineError> {
    let mut conn = open_existing(path)?;
    let mut stats = read_stats(&mut conn, now_ms).map_err(|e| classify(e, Some(path)))?;
    stats.file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    stats.wal_bytes = std::fs::metadata(side_file(path, "-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    Ok(stats)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn read_stats(conn: &mut Connection, now_ms: i64) -> Result<Stats, rusqlite::Error> {
    let tx = conn.transaction()?;
    let (entries, key_bytes, value_bytes): (i64, i64, i64) = tx.query_row(
        "select count(*), coalesce(sum(length(k)), 0), coalesce(sum(length(v)), 0) from kv \
         where expiration_ms < 0 or expiration_ms > ?1",
        [now_ms],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let expired: i64 = tx.query_row(
        "select count(*) from kv where expiration_ms >= 0 and expiration_ms <= ?1",
        [now_ms],
        |row| row.get(0),
    )?;
    let next_expiration_ms: Option<i64> = tx.query_row(
        "select min(expiration_ms) from kv where expiration_ms > ?1",
        [now_ms],
        |row| row.get(0),
    )?;
    let (ready, delayed): (i64, i64) = tx.query_row(
        "select coalesce(sum(ts <= ?1), 0), coalesce(sum(ts > ?1), 0) from queue",
        [now_ms],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let running: i64 = tx.query_row("select count(*) from queue_running", [], |row| row.get(0))?;
    let version: i64 = tx.query_row("select version from data_version where k = 0", [], |row| {
        row.get(0)
    })?;
    let page_size: i64 = tx.query_row("pragma page_size", [], |row| row.get(0))?;
    let page_count: i64 = tx.query_row("pragma page_count", [], |row| row.get(0))?;
    let free_pages: i64 = tx.query_row("pragma freelist_count", [], |row| row.get(0))?;
    tx.commit()?;
    Ok(Stats {
        entries: count(entries),
        key_bytes: count(key_bytes),
        value_bytes: count(value_bytes),
        expired_not_collected: count(expired),
        next_expiration_ms,
        queue_ready: count(ready),
        queue_delayed: count(delayed),
        queue_running: count(running),
        version,
        file_bytes: 0,
        wal_bytes: 0,
        page_size: count(page_size),
        page_count: count(page_count),
        free_pages: count(free_pages),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atomic::{AtomicWrite, Enqueue, Mutation, MutationKind};
    use crate::clock::now_ms;
    use crate::store::{Store, StoreLocation};
    use crate::value::KvValue;

    fn set(store: &Store, key: &[u8], v: u64, expire_at_ms: Option<i64>) {
        let write = AtomicWrite {
            mutations: vec![Mutation {
                key: key.to_vec(),
                kind: MutationKind::Set(KvValue::U64(v)),
                expire_at_ms,
                append_versionstamp: false,
            }],
            ..Default::default()
        };
        store.atomic_write(&write, 0).unwrap().unwrap();
    }

    fn all(store: &Store) -> Vec<(Vec<u8>, KvValue)> {
        let range = crate::range_read::ReadRange {
            start: vec![],
            end: vec![0xff],
            limit: 100_000,
            reverse: false,
        };
        store.read(&[range], 0).unwrap()[0]
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect()
    }

    #[test]
    fn backup_copies_everything_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("db");
        let dest = dir.path().join("copy");
        let store = Store::open(StoreLocation::File(src.clone())).unwrap();
        for i in 0..2000u64 {
            set(&store, format!("k{i:05}").as_bytes(), i, None);
        }
        let write = AtomicWrite {
            enqueues: vec![Enqueue {
                payload: vec![1, 2, 3],
                delay_ms: 0,
                keys_if_undelivered: vec![],
                backoff_schedule: None,
            }],
            ..Default::default()
        };
        store.atomic_write(&write, 0).unwrap().unwrap();
        let mut reports = 0;
        let size = backup(&src, &dest, false, &mut |p| {
            reports += 1;
            assert!(p.done_pages <= p.total_pages);
        })
        .unwrap();
        assert!(size > 0 && reports > 0);
        let copy = Store::open(StoreLocation::File(dest.clone())).unwrap();
        assert_eq!(all(&copy), all(&store));
        let s = stats(&dest, now_ms()).unwrap();
        assert_eq!(s.entries, 2000);
        assert_eq!(s.queue_depth(), 1);
        drop(copy);
        let err = backup(&src, &dest, false, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("refusing to overwrite"), "{err}");
        backup(&src, &dest, true, &mut |_| {}).unwrap();
        // Nothing left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("kvrt-tmp"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn backup_of_missing_or_foreign_files_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let err = backup(&missing, &dir.path().join("x"), false, &mut |_| {}).unwrap_err();
        assert!(matches!(err, EngineError::NotFound { .. }), "{err:?}");
        assert!(!missing.exists() && !dir.path().join("x").exists());
        let garbage = dir.path().join("garbage");
        std::fs::write(&garbage, [7u8; 5000]).unwrap();
        let err = backup(&garbage, &dir.path().join("y"), false, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("garbage"), "{err}");
        assert!(!dir.path().join("y").exists());
    }

    #[test]
    fn restore_refuses_a_database_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("db");
        let saved = dir.path().join("saved");
        let store = Store::open(StoreLocation::File(src.clone())).unwrap();
        set(&store, b"a", 1, None);
        backup(&src, &saved, false, &mut |_| {}).unwrap();
        set(&store, b"b", 2, None);
        let err = restore(&saved, &src, &mut |_| {}).unwrap_err();
        assert!(matches!(err, EngineError::InUse { .. }), "{err:?}");
        assert_eq!(all(&store).len(), 2);
        drop(store);
        restore(&saved, &src, &mut |_| {}).unwrap();
        let store = Store::open(StoreLocation::File(src.clone())).unwrap();
        assert_eq!(all(&store), vec![(b"a".to_vec(), KvValue::U64(1))]);
        // Writes after a restore work, into a WAL database.
        set(&store, b"c", 3, None);
        drop(store);
        let conn = Connection::open(&src).unwrap();
        let mode: String = conn
            .query_row("pragma journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let err = restore(&saved, &saved, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("same file"), "{err}");
        // Restoring into a new file creates it.
        let fresh = dir.path().join("fresh");
        restore(&saved, &fresh, &mut |_| {}).unwrap();
        let store = Store::open(StoreLocation::File(fresh)).unwrap();
        assert_eq!(all(&store).len(), 1);
    }

    #[test]
    fn restore_of_a_bad_backup_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let store = Store::open(StoreLocation::File(db.clone())).unwrap();
        set(&store, b"a", 1, None);
        drop(store);
        let garbage = dir.path().join("garbage");
        std::fs::write(&garbage, [7u8; 5000]).unwrap();
        assert!(restore(&garbage, &db, &mut |_| {}).is_err());
        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .unwrap()
            .execute_batch("create table t(x)")
            .unwrap();
        let err = restore(&other, &db, &mut |_| {}).unwrap_err();
        assert!(matches!(err, EngineError::SchemaMismatch { .. }), "{err:?}");
        let store = Store::open(StoreLocation::File(db)).unwrap();
        assert_eq!(all(&store).len(), 1);
    }

    #[test]
    fn stats_count_expired_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = Store::open(StoreLocation::File(path.clone())).unwrap();
        let now = now_ms();
        set(&store, b"a", 1, None);
        set(&store, b"bb", 2, Some(now + 3_600_000));
        set(&store, b"c", 3, Some(now + 1000));
        let s = stats(&path, now + 2000).unwrap();
        assert_eq!(s.entries, 2);
        assert_eq!(s.key_bytes, 3);
        assert_eq!(s.value_bytes, 16);
        assert_eq!(s.expired_not_collected, 1);
        assert_eq!(s.next_expiration_ms, Some(now + 3_600_000));
        assert!(s.page_count > 0 && s.page_size > 0 && s.file_bytes > 0);
        assert!(matches!(
            stats(&dir.path().join("nope"), now),
            Err(EngineError::NotFound { .. })
        ));
    }
}
