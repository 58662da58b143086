//! Deleting entries whose expiration time has passed.

use rusqlite::Connection;

use crate::error::EngineError;
use crate::store::Store;

/// Removes expired entries.
const DELETE_EXPIRED: &str = "delete from kv where expiration_ms >= 0 and expiration_ms <= ?1";
/// Earliest pending expiration.
const NEXT_EXPIRATION: &str = "select min(expiration_ms) from kv where expiration_ms >= 0";

/// Deletes entries expired at `now_ms` and returns the next pending expiration.
fn collect(conn: &Connection, now_ms: i64) -> Result<Option<i64>, EngineError> {
    conn.prepare_cached(DELETE_EXPIRED)?.execute([now_ms])?;
    Ok(conn
        .prepare_cached(NEXT_EXPIRATION)?
        .query_row([], |row| row.get(0))?)
}

impl Store {
    /// Deletes every entry whose expiration time is `<= now_ms` and returns
    /// the earliest expiration time still pending, if any. Reads already hide
    /// expired entries, so this only reclaims space. It does not start a
    /// new version (like Deno's collector).
    pub fn collect_expired(&self, now_ms: i64) -> Result<Option<i64>, EngineError> {
        self.write_tx(|tx| collect(tx, now_ms))
    }
}

#[cfg(test)]
mod tests {
    use crate::atomic::{AtomicWrite, Mutation, MutationKind};
    use crate::clock::now_ms;
    use crate::store::{Store, StoreLocation};
    use crate::value::KvValue;

    fn set_expiring(store: &Store, key: &[u8], expire_at_ms: Option<i64>) {
        let write = AtomicWrite {
            mutations: vec![Mutation {
                key: key.to_vec(),
                kind: MutationKind::Set(KvValue::U64(1)),
                expire_at_ms,
                append_versionstamp: false,
            }],
            ..Default::default()
        };
        store.atomic_write(&write, 0).unwrap().unwrap();
    }

    fn row_count(path: &std::path::Path) -> i64 {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row("select count(*) from kv", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn collect_deletes_and_reports_next() {
        let store = Store::open(StoreLocation::Memory).unwrap();
        assert_eq!(store.collect_expired(0).unwrap(), None);
        set_expiring(&store, b"a", Some(100));
        set_expiring(&store, b"b", Some(200));
        set_expiring(&store, b"c", None);
        let version = store.data_version().unwrap();
        assert_eq!(store.collect_expired(50).unwrap(), Some(100));
        assert_eq!(store.collect_expired(100).unwrap(), Some(200));
        assert_eq!(store.collect_expired(1000).unwrap(), None);
        assert_eq!(store.data_version().unwrap(), version);
    }

    #[test]
    fn reopen_removes_expired_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let now = now_ms();
        {
            let store = Store::open(StoreLocation::File(path.clone())).unwrap();
            set_expiring(&store, b"past", Some(now - 1));
            set_expiring(&store, b"future", Some(now + 3_600_000));
            set_expiring(&store, b"never", None);
        }
        assert_eq!(row_count(&path), 3);
        drop(Store::open(StoreLocation::File(path.clone())).unwrap());
        assert_eq!(row_count(&path), 2);
    }
}
