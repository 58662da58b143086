//! The message queue, stored in Deno's `queue` (waiting) and
//! `queue_running` (delivered, awaiting the handler's outcome) tables.

use rusqlite::types::{Value, ValueRef};
use rusqlite::{params, OptionalExtension, Row};

use crate::commit::{bump_version, point_set};
use crate::error::EngineError;
use crate::queue_format::{backoff_from_json, keys_from_json};
use crate::store::Store;
use crate::value::ENCODING_V8;

/// Earliest ready message.
const SELECT_READY: &str = "select ts, id, data, backoff_schedule, keys_if_undelivered \
     from queue where ts <= ?1 order by ts, id limit 1";
/// Moves a waiting message to `queue_running`, keeping its columns as stored.
const MOVE_TO_RUNNING: &str = "insert or replace into queue_running \
     (deadline, id, data, backoff_schedule, keys_if_undelivered) \
     select ?1, id, data, backoff_schedule, keys_if_undelivered from queue where ts = ?2 and id = ?3";
/// Removes a waiting message.
const DELETE_WAITING: &str = "delete from queue where ts = ?1 and id = ?2";
/// A running message by id.
const SELECT_RUNNING: &str = "select data, backoff_schedule, keys_if_undelivered \
     from queue_running where id = ?1 limit 1";
/// Removes a running message.
const DELETE_RUNNING: &str = "delete from queue_running where id = ?1";
/// Adds a waiting message.
const INSERT_WAITING: &str = "insert or replace into queue \
     (ts, id, data, backoff_schedule, keys_if_undelivered) values (?1, ?2, ?3, ?4, ?5)";
/// Moves a running message's deadline.
const UPDATE_DEADLINE: &str = "update queue_running set deadline = ?1 where id = ?2";
/// Puts running messages whose deadline passed back into the queue.
const REQUEUE_EXPIRED: &str = "insert or replace into queue \
     (ts, id, data, backoff_schedule, keys_if_undelivered) \
     select ?1, id, data, backoff_schedule, keys_if_undelivered from queue_running where deadline <= ?1";
/// Removes running messages whose deadline passed.
const DELETE_EXPIRED_RUNNING: &str = "delete from queue_running where deadline <= ?1";
/// When the earliest waiting message becomes ready.
const NEXT_READY: &str = "select min(ts) from queue";
/// The earliest deadline of a running message.
const NEXT_DEADLINE: &str = "select min(deadline) from queue_running";

/// A message handed to a queue listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    /// Deno's message id (a UUID string).
    pub id: String,
    /// The V8-serialized message.
    pub payload: Vec<u8>,
    /// When the lease ends; past it the message may be delivered again.
    pub deadline_ms: i64,
    /// Keys written with the payload if delivery finally fails.
    pub keys_if_undelivered: Vec<Vec<u8>>,
    /// Retry delays (ms) still left.
    pub backoff_schedule: Vec<u64>,
}

/// The bytes of a text or blob column (queue JSON columns may be either).
fn text_or_blob(row: &Row<'_>, idx: usize) -> Result<Vec<u8>, EngineError> {
    match row.get_ref(idx)? {
        ValueRef::Text(b) | ValueRef::Blob(b) => Ok(b.to_vec()),
        ValueRef::Null => Ok(b"null".to_vec()),
        _ => Err(EngineError::InvalidQueueMessage(
            "JSON column has a numeric value".to_string(),
        )),
    }
}

/// Parses a backoff column; a damaged one means "no retries" so that a bad
/// row cannot block the queue.
fn lenient_backoff(raw: &[u8]) -> Vec<u64> {
    std::str::from_utf8(raw)
        .ok()
        .and_then(|s| backoff_from_json(s).ok())
        .unwrap_or_default()
}

/// Parses a keys column; a damaged one means "no keys" so that a bad row
/// cannot block the queue.
fn lenient_keys(raw: &[u8]) -> Vec<Vec<u8>> {
    keys_from_json(raw).unwrap_or_default()
}

impl Store {
    /// Takes the earliest message whose time has come (`ts <= now_ms`) and
    /// moves it to `queue_running` with deadline `now_ms + lease_ms`.
    pub fn dequeue_next(
        &self,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<QueueMessage>, EngineError> {
        self.write_tx(|tx| {
            let found = tx
                .prepare_cached(SELECT_READY)?
                .query_row([now_ms], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Vec<u8>>(2)?,
                        text_or_blob(row, 3),
                        text_or_blob(row, 4),
                    ))
                })
                .optional()?;
            let Some((ts, id, payload, backoff, keys)) = found else {
                return Ok(None);
            };
            let deadline_ms = now_ms.saturating_add(lease_ms);
            tx.prepare_cached(MOVE_TO_RUNNING)?
                .execute(params![deadline_ms, ts, id])?;
            tx.prepare_cached(DELETE_WAITING)?
                .execute(params![ts, id])?;
            Ok(Some(QueueMessage {
                id,
                payload,
                deadline_ms,
                keys_if_undelivered: lenient_keys(&keys?),
                backoff_schedule: lenient_backoff(&backoff?),
            }))
        })
    }

    /// Settles a delivered message. On success it is deleted. On failure it
    /// is queued again after the next backoff delay, or, when no retries are
    /// left, its payload is written (as a V8 value, in one new commit) to
    /// every `keys_if_undelivered` key and it is deleted. An unknown id (e.g.
    /// already settled) is ignored.
    pub fn finish_message(&self, id: &str, success: bool, now_ms: i64) -> Result<(), EngineError> {
        self.write_tx(|tx| {
            let found = tx
                .prepare_cached(SELECT_RUNNING)?
                .query_row([id], |row| {
                    Ok((
                        row.get::<_, Vec<u8>>(0)?,
                        text_or_blob(row, 1),
                        row.get::<_, Value>(2)?,
                    ))
                })
                .optional()?;
            let Some((payload, backoff, keys_column)) = found else {
                return Ok(());
            };
            tx.prepare_cached(DELETE_RUNNING)?.execute([id])?;
            if success {
                return Ok(());
            }
            let backoff = lenient_backoff(&backoff?);
            if let Some((first, rest)) = backoff.split_first() {
                let delay = i64::try_from(*first).unwrap_or(i64::MAX);
                let rest = serde_json::to_string(rest).unwrap_or_else(|_| "[]".to_string());
                tx.prepare_cached(INSERT_WAITING)?.execute(params![
                    now_ms.saturating_add(delay),
                    id,
                    payload,
                    rest,
                    keys_column
                ])?;
                return Ok(());
            }
            let keys = match &keys_column {
                Value::Text(t) => lenient_keys(t.as_bytes()),
                Value::Blob(b) => lenient_keys(b),
                _ => Vec::new(),
            };
            if !keys.is_empty() {
                let version = bump_version(tx)?;
                for key in &keys {
                    point_set(tx, key, ENCODING_V8, &payload, version, None)?;
                }
            }
            Ok(())
        })
    }

    /// Moves the deadline of a running message (the handler is still busy).
    /// Returns whether the message was still running.
    pub fn extend_lease(&self, id: &str, deadline_ms: i64) -> Result<bool, EngineError> {
        self.write_tx(|tx| {
            Ok(tx
                .prepare_cached(UPDATE_DEADLINE)?
                .execute(params![deadline_ms, id])?
                > 0)
        })
    }

    /// Puts every running message whose deadline is `<= now_ms` (its handler
    /// never finished, e.g. the process died) back into the queue, ready at
    /// once. Returns how many were requeued.
    pub fn requeue_expired_running(&self, now_ms: i64) -> Result<usize, EngineError> {
        self.write_tx(|tx| {
            tx.prepare_cached(REQUEUE_EXPIRED)?.execute([now_ms])?;
            Ok(tx
                .prepare_cached(DELETE_EXPIRED_RUNNING)?
                .execute([now_ms])?)
        })
    }

    /// When the earliest waiting message becomes ready (ms since the epoch).
    pub fn next_ready_at(&self) -> Result<Option<i64>, EngineError> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(NEXT_READY)?
                .query_row([], |row| row.get(0))?)
        })
    }

    /// The earliest deadline among running messages, i.e. when
    /// [`Store::requeue_expired_running`] next has work.
    pub fn next_running_deadline(&self) -> Result<Option<i64>, EngineError> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(NEXT_DEADLINE)?
                .query_row([], |row| row.get(0))?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atomic::{AtomicWrite, Enqueue};
    use crate::range_read::ReadRange;
    use crate::store::StoreLocation;
    use crate::value::KvValue;

    fn enqueue(
        store: &Store,
        payload: &[u8],
        delay_ms: u64,
        keys: Vec<Vec<u8>>,
        backoff: Option<Vec<u32>>,
        now: i64,
    ) {
        let write = AtomicWrite {
            enqueues: vec![Enqueue {
                payload: payload.to_vec(),
                delay_ms,
                keys_if_undelivered: keys,
                backoff_schedule: backoff,
            }],
            ..Default::default()
        };
        store.atomic_write(&write, now).unwrap().unwrap();
    }

    fn get(store: &Store, key: &[u8]) -> Option<crate::range_read::Entry> {
        let mut end = key.to_vec();
        end.push(0);
        let range = ReadRange {
            start: key.to_vec(),
            end,
            limit: 1,
            reverse: false,
        };
        store.read(&[range], 0).unwrap().remove(0).pop()
    }

    #[test]
    fn delay_and_order() {
        let store = Store::open(StoreLocation::Memory).unwrap();
        assert_eq!(store.next_ready_at().unwrap(), None);
        assert_eq!(store.dequeue_next(0, 1000).unwrap(), None);
        enqueue(&store, b"late", 500, vec![], None, 1000);
        enqueue(&store, b"early", 100, vec![], None, 1000);
        assert_eq!(store.next_ready_at().unwrap(), Some(1100));
        assert_eq!(store.dequeue_next(1099, 1000).unwrap(), None);
        let m = store.dequeue_next(1100, 1000).unwrap().unwrap();
        assert_eq!(m.payload, b"early");
        assert_eq!(m.deadline_ms, 2100);
        assert_eq!(m.backoff_schedule, vec![100, 1000, 5000, 30000, 60000]);
        assert_eq!(store.next_running_deadline().unwrap(), Some(2100));
        assert_eq!(store.next_ready_at().unwrap(), Some(1500));
        store.finish_message(&m.id, true, 1200).unwrap();
        assert_eq!(store.next_running_deadline().unwrap(), None);
        // Settling twice is harmless.
        store.finish_message(&m.id, false, 1200).unwrap();
        let m2 = store.dequeue_next(5000, 1000).unwrap().unwrap();
        assert_eq!(m2.payload, b"late");
        assert_ne!(m2.id, m.id);
        assert_eq!(m2.id.len(), 36);
    }

    #[test]
    fn backoff_then_undelivered() {
        let store = Store::open(StoreLocation::Memory).unwrap();
        let keys = vec![b"u1".to_vec(), b"u2".to_vec()];
        enqueue(
            &store,
            b"\xff\x10\x22\x01x",
            0,
            keys.clone(),
            Some(vec![10, 20]),
            0,
        );
        let m = store.dequeue_next(0, 1000).unwrap().unwrap();
        assert_eq!(m.keys_if_undelivered, keys);
        assert_eq!(m.backoff_schedule, vec![10, 20]);
        store.finish_message(&m.id, false, 100).unwrap();
        assert_eq!(store.next_ready_at().unwrap(), Some(110));
        let m = store.dequeue_next(110, 1000).unwrap().unwrap();
        assert_eq!(m.backoff_schedule, vec![20]);
        store.finish_message(&m.id, false, 200).unwrap();
        let m = store.dequeue_next(220, 1000).unwrap().unwrap();
        assert!(m.backoff_schedule.is_empty());
        let before = store.data_version().unwrap();
        assert!(get(&store, b"u1").is_none());
        store.finish_message(&m.id, false, 300).unwrap();
        assert_eq!(store.next_ready_at().unwrap(), None);
        assert_eq!(store.next_running_deadline().unwrap(), None);
        let u1 = get(&store, b"u1").unwrap();
        let u2 = get(&store, b"u2").unwrap();
        assert_eq!(u1.value, KvValue::V8(b"\xff\x10\x22\x01x".to_vec()));
        assert_eq!(u1.versionstamp, u2.versionstamp);
        assert!(u1.versionstamp.version() > before);
        assert_eq!(store.data_version().unwrap(), u1.versionstamp.version());
    }

    #[test]
    fn empty_schedule_means_one_attempt() {
        let store = Store::open(StoreLocation::Memory).unwrap();
        enqueue(&store, b"p", 0, vec![b"k".to_vec()], Some(vec![]), 0);
        let m = store.dequeue_next(0, 1000).unwrap().unwrap();
        store.finish_message(&m.id, false, 0).unwrap();
        assert_eq!(store.dequeue_next(i64::MAX, 1000).unwrap(), None);
        assert!(get(&store, b"k").is_some());
    }

    #[test]
    fn default_schedule_gives_six_attempts() {
        let store = Store::open(StoreLocation::Memory).unwrap();
        enqueue(&store, b"p", 0, vec![], None, 0);
        let mut attempts = 0;
        let mut now = 0;
        while let Some(m) = store.dequeue_next(now, 1000).unwrap() {
            attempts += 1;
            store.finish_message(&m.id, false, now).unwrap();
            now += 100_000;
        }
        assert_eq!(attempts, 6);
    }

    #[test]
    fn lease_extension_and_expired_running() {
        let store = Store::open(StoreLocation::Memory).unwrap();
        enqueue(&store, b"p", 0, vec![], Some(vec![]), 0);
        let m = store.dequeue_next(0, 1000).unwrap().unwrap();
        assert_eq!(store.requeue_expired_running(999).unwrap(), 0);
        assert!(store.extend_lease(&m.id, 5000).unwrap());
        assert_eq!(store.requeue_expired_running(4999).unwrap(), 0);
        assert_eq!(store.requeue_expired_running(5000).unwrap(), 1);
        assert!(!store.extend_lease(&m.id, 9000).unwrap());
        assert_eq!(store.next_ready_at().unwrap(), Some(5000));
        let again = store.dequeue_next(5000, 1000).unwrap().unwrap();
        assert_eq!(again.id, m.id);
        assert_eq!(again.payload, b"p");
    }

    #[test]
    fn messages_survive_reopen_in_denos_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let store = Store::open(StoreLocation::File(path.clone())).unwrap();
            enqueue(
                &store,
                b"a",
                100_000,
                vec![vec![2, 97, 0]],
                Some(vec![1, 2]),
                0,
            );
            enqueue(&store, b"b", 0, vec![], None, 0);
            let m = store.dequeue_next(10, 50).unwrap().unwrap();
            assert_eq!(m.payload, b"b");
        }
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            let (ts, backoff, keys, kind): (i64, String, String, String) = conn
                .query_row(
                    "select ts, backoff_schedule, keys_if_undelivered, typeof(keys_if_undelivered) from queue",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .unwrap();
            assert_eq!(
                (ts, backoff.as_str(), keys.as_str(), kind.as_str()),
                (100_000, "[1,2]", "[[2,97,0]]", "text")
            );
            let (deadline, backoff): (i64, String) = conn
                .query_row(
                    "select deadline, backoff_schedule from queue_running",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!(
                (deadline, backoff.as_str()),
                (60, "[100,1000,5000,30000,60000]")
            );
        }
        let store = Store::open(StoreLocation::File(path)).unwrap();
        assert_eq!(store.next_running_deadline().unwrap(), Some(60));
        assert_eq!(store.requeue_expired_running(60).unwrap(), 1);
        assert_eq!(store.dequeue_next(60, 10).unwrap().unwrap().payload, b"b");
        assert_eq!(
            store.dequeue_next(100_000, 10).unwrap().unwrap().payload,
            b"a"
        );
    }

    #[test]
    fn damaged_rows_do_not_block_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = Store::open(StoreLocation::File(path.clone())).unwrap();
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "insert into queue values (1, 'x', x'01', 'not json', x'7b'); \
                 insert into queue values (2, 'y', x'02', 'null', 'null');",
            )
            .unwrap();
        }
        for expected in [b"\x01", b"\x02"] {
            let m = store.dequeue_next(10, 10).unwrap().unwrap();
            assert_eq!(m.payload, expected);
            assert!(m.backoff_schedule.is_empty() && m.keys_if_undelivered.is_empty());
            store.finish_message(&m.id, false, 10).unwrap();
        }
        assert_eq!(store.dequeue_next(i64::MAX, 10).unwrap(), None);
    }
}
