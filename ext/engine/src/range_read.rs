//! Range reads.

use rusqlite::Connection;

use crate::error::EngineError;
use crate::store::Store;
use crate::value::KvValue;
use crate::versionstamp::Versionstamp;

// The scans have no `LIMIT ?`: SQLite re-prepares a statement whose LIMIT
// is a bound parameter every time that parameter changes (measured: one
// re-prepare per read, a quarter of a point read's time). Rows are stepped
// lazily, so stopping after `limit` rows costs nothing more.

/// Forward range scan, skipping expired entries.
const SELECT_FORWARD: &str = "select k, v, v_encoding, version from kv \
     where k >= ?1 and k < ?2 and (expiration_ms < 0 or expiration_ms > ?3) \
     order by k asc";
/// Reverse range scan, skipping expired entries.
const SELECT_REVERSE: &str = "select k, v, v_encoding, version from kv \
     where k >= ?1 and k < ?2 and (expiration_ms < 0 or expiration_ms > ?3) \
     order by k desc";

/// Point read of one key, skipping an expired entry.
const SELECT_POINT: &str = "select v, v_encoding, version from kv \
     where k = ?1 and (expiration_ms < 0 or expiration_ms > ?2)";

/// A range of encoded keys to read: `start <= key < end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRange {
    /// First key of the range (inclusive).
    pub start: Vec<u8>,
    /// End of the range (exclusive).
    pub end: Vec<u8>,
    /// Most entries to return.
    pub limit: usize,
    /// Return entries from the end of the range backwards.
    pub reverse: bool,
}

/// A stored key-value pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The encoded key.
    pub key: Vec<u8>,
    /// The value.
    pub value: KvValue,
    /// The versionstamp of the commit that last wrote the key.
    pub versionstamp: Versionstamp,
}

/// Reads one range with a cached statement.
fn read_range(
    conn: &Connection,
    range: &ReadRange,
    now_ms: i64,
) -> Result<Vec<Entry>, EngineError> {
    if range.limit == 0 || range.start >= range.end {
        return Ok(Vec::new());
    }
    let sql = if range.reverse {
        SELECT_REVERSE
    } else {
        SELECT_FORWARD
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(rusqlite::params![range.start, range.end, now_ms])?;
    let mut entries = Vec::with_capacity(range.limit.min(64));
    while entries.len() < range.limit {
        let Some(row) = rows.next()? else { break };
        let key: Vec<u8> = row.get(0)?;
        let bytes: Vec<u8> = row.get(1)?;
        let encoding: i64 = row.get(2)?;
        let version: i64 = row.get(3)?;
        entries.push(Entry {
            key,
            value: KvValue::from_encoded(encoding, bytes)?,
            versionstamp: Versionstamp::from_version(version),
        });
    }
    Ok(entries)
}

/// The live entry of `key`, if any.
fn read_point(conn: &Connection, key: &[u8], now_ms: i64) -> Result<Option<Entry>, EngineError> {
    let mut stmt = conn.prepare_cached(SELECT_POINT)?;
    let mut rows = stmt.query(rusqlite::params![key, now_ms])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let bytes: Vec<u8> = row.get(0)?;
    let encoding: i64 = row.get(1)?;
    let version: i64 = row.get(2)?;
    Ok(Some(Entry {
        key: key.to_vec(),
        value: KvValue::from_encoded(encoding, bytes)?,
        versionstamp: Versionstamp::from_version(version),
    }))
}

impl Store {
    /// The live entry of one key, like a [`Store::try_read`] of the range
    /// holding only `key`, without waiting: `Ok(None)` when another
    /// connection holds a lock that keeps the read from starting.
    pub fn try_get(&self, key: &[u8], now_ms: i64) -> Result<Option<Option<Entry>>, EngineError> {
        self.try_with_reader(|conn| read_point(conn, key, now_ms))
    }

    /// Reads every range, all in one consistent snapshot, returning one list
    /// of entries per range (in key order, or reversed). Entries whose
    /// expiration time is `<= now_ms` are never returned.
    pub fn read(&self, ranges: &[ReadRange], now_ms: i64) -> Result<Vec<Vec<Entry>>, EngineError> {
        self.with_reader(|conn| read_ranges(conn, ranges, now_ms))
    }

    /// [`Store::read`] without waiting: `Ok(None)` when another connection
    /// holds a lock that keeps the read from starting (call
    /// [`Store::wait_readable`] on a thread that may block, then retry).
    pub fn try_read(
        &self,
        ranges: &[ReadRange],
        now_ms: i64,
    ) -> Result<Option<Vec<Vec<Entry>>>, EngineError> {
        self.try_with_reader(|conn| read_ranges(conn, ranges, now_ms))
    }
}

/// The entries of every range, in one snapshot.
fn read_ranges(
    conn: &mut rusqlite::Connection,
    ranges: &[ReadRange],
    now_ms: i64,
) -> Result<Vec<Vec<Entry>>, EngineError> {
    {
        {
            if ranges.len() <= 1 {
                // A single statement is its own snapshot: no transaction needed.
                return ranges
                    .iter()
                    .map(|range| read_range(conn, range, now_ms))
                    .collect();
            }
            let tx = conn.transaction()?;
            let result = ranges
                .iter()
                .map(|range| read_range(&tx, range, now_ms))
                .collect::<Result<Vec<_>, _>>()?;
            tx.commit()?;
            Ok(result)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atomic::{AtomicWrite, Mutation, MutationKind};
    use crate::store::StoreLocation;

    fn range(start: &[u8], end: &[u8], limit: usize, reverse: bool) -> ReadRange {
        ReadRange {
            start: start.to_vec(),
            end: end.to_vec(),
            limit,
            reverse,
        }
    }

    fn set(store: &Store, key: &[u8], v: u64, expire_at_ms: Option<i64>, now: i64) {
        let write = AtomicWrite {
            mutations: vec![Mutation {
                key: key.to_vec(),
                kind: MutationKind::Set(KvValue::U64(v)),
                expire_at_ms,
                append_versionstamp: false,
            }],
            ..Default::default()
        };
        store.atomic_write(&write, now).unwrap().unwrap();
    }

    fn keys(entries: &[Entry]) -> Vec<Vec<u8>> {
        entries.iter().map(|e| e.key.clone()).collect()
    }

    #[test]
    fn ranges_limits_and_reverse() {
        for location in stores() {
            let store = Store::open(location.0).unwrap();
            for (i, k) in [b"a", b"b", b"c", b"d"].iter().enumerate() {
                set(&store, *k, i as u64, None, 0);
            }
            let out = store
                .read(
                    &[
                        range(b"a", b"d", 10, false),
                        range(b"a", b"z", 2, true),
                        range(b"b", b"b", 10, false),
                        range(b"c", b"a", 10, false),
                        range(b"a", b"z", 0, false),
                    ],
                    0,
                )
                .unwrap();
            assert_eq!(
                keys(&out[0]),
                vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
            );
            assert_eq!(keys(&out[1]), vec![b"d".to_vec(), b"c".to_vec()]);
            assert!(out[2].is_empty() && out[3].is_empty() && out[4].is_empty());
            assert_eq!(out[0][1].value, KvValue::U64(1));
            assert!(store.read(&[], 0).unwrap().is_empty());
        }
    }

    #[test]
    fn expired_entries_are_invisible() {
        let store = Store::open(StoreLocation::Memory).unwrap();
        set(&store, b"a", 1, Some(1000), 0);
        set(&store, b"b", 2, None, 0);
        set(&store, b"c", 3, Some(2000), 0);
        let all = range(b"", b"\xff", 100, false);
        assert_eq!(
            store.read(std::slice::from_ref(&all), 999).unwrap()[0].len(),
            3
        );
        assert_eq!(
            keys(&store.read(std::slice::from_ref(&all), 1000).unwrap()[0]),
            vec![b"b".to_vec(), b"c".to_vec()]
        );
        // The limit counts only live entries.
        let first = range(b"", b"\xff", 1, false);
        assert_eq!(
            keys(&store.read(&[first], 1500).unwrap()[0]),
            vec![b"b".to_vec()]
        );
        assert_eq!(store.read(&[all], 5000).unwrap()[0].len(), 1);
    }

    /// A memory store and a file store (with the directory that keeps it alive).
    fn stores() -> Vec<(StoreLocation, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        vec![
            (StoreLocation::Memory, None),
            (StoreLocation::File(path), Some(dir)),
        ]
    }

    #[test]
    fn point_reads_match_single_key_ranges() {
        for location in stores() {
            let store = Store::open(location.0).unwrap();
            set(&store, b"a", 1, None, 0);
            set(&store, b"b", 2, Some(1000), 0);
            for (key, now) in [
                (&b"a"[..], 0),
                (b"b", 999),
                (b"b", 1000),
                (b"c", 0),
                (b"", 0),
            ] {
                let mut end = key.to_vec();
                end.push(0);
                let ranged = store.read(&[range(key, &end, 1, false)], now).unwrap()[0]
                    .first()
                    .cloned();
                assert_eq!(
                    store.try_get(key, now).unwrap().unwrap(),
                    ranged,
                    "{key:?} at {now}"
                );
            }
            assert!(store.try_get(b"b", 1000).unwrap().unwrap().is_none());
        }
    }

    #[test]
    fn file_reads_see_writes_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let a = Store::open(StoreLocation::File(path.clone())).unwrap();
        let b = Store::open(StoreLocation::File(path)).unwrap();
        let all = range(b"", b"\xff", 100, false);
        for i in 0..20u64 {
            set(&a, &[b'k', i as u8], i, None, 0);
            let seen = b.read(std::slice::from_ref(&all), 0).unwrap();
            assert_eq!(seen[0].len() as u64, i + 1);
            let seen = a.read(std::slice::from_ref(&all), 0).unwrap();
            assert_eq!(seen[0].len() as u64, i + 1);
        }
    }

    /// Sets `x` and `y` to `i` in one commit.
    fn write_both(store: &Store, i: u64) {
        let write = AtomicWrite {
            mutations: [b"x", b"y"]
                .iter()
                .map(|k| Mutation {
                    key: k.to_vec(),
                    kind: MutationKind::Set(KvValue::U64(i)),
                    expire_at_ms: None,
                    append_versionstamp: false,
                })
                .collect(),
            ..Default::default()
        };
        store.atomic_write(&write, 0).unwrap().unwrap();
    }

    #[test]
    fn multi_range_reads_are_one_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = std::sync::Arc::new(Store::open(StoreLocation::File(path)).unwrap());
        write_both(&store, 0);
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 1..200u64 {
                    write_both(&store, i);
                }
            })
        };
        for _ in 0..200 {
            let out = store
                .read(
                    &[range(b"x", b"x\0", 1, false), range(b"y", b"y\0", 1, false)],
                    0,
                )
                .unwrap();
            assert_eq!(out[0][0].value, out[1][0].value);
            assert_eq!(out[0][0].versionstamp, out[1][0].versionstamp);
        }
        writer.join().unwrap();
    }
}
