//! Atomic writes: checks, one new version, mutations and enqueues in a
//! single `BEGIN IMMEDIATE` transaction.

use rusqlite::{params, Connection, OptionalExtension};

use crate::atomic::{AtomicWrite, Check, CommitResult, Mutation, MutationKind};
use crate::error::EngineError;
use crate::key::encode_string_part;
use crate::queue_format::{backoff_to_json, keys_to_json};
use crate::random::{uuid_v4, version_increment};
use crate::store::Store;
use crate::v8_scalar::{self, Scalar};
use crate::value::KvValue;
use crate::versionstamp::Versionstamp;

/// Deno's version bump: adds a random increment. (Not `returning version`:
/// SQLite runs RETURNING through a temporary table, which cost about 8% of
/// an in-memory `set`.)
const BUMP_VERSION: &str = "update data_version set version = version + ?1 where k = 0";
/// The current version.
const SELECT_VERSION: &str = "select version from data_version where k = 0";
/// Version of a live (not expired) key.
const SELECT_LIVE_VERSION: &str =
    "select version from kv where k = ?1 and (expiration_ms < 0 or expiration_ms > ?2)";
/// Value of a live (not expired) key.
const SELECT_LIVE_VALUE: &str =
    "select v, v_encoding from kv where k = ?1 and (expiration_ms < 0 or expiration_ms > ?2)";
/// Insert or overwrite a key.
const POINT_SET: &str = "insert into kv (k, v, v_encoding, version, expiration_ms) \
     values (?1, ?2, ?3, ?4, ?5) on conflict(k) do update set \
     v = excluded.v, v_encoding = excluded.v_encoding, \
     version = excluded.version, expiration_ms = excluded.expiration_ms";
/// Remove a key.
const POINT_DELETE: &str = "delete from kv where k = ?1";
/// Add a queue message.
const QUEUE_INSERT: &str =
    "insert into queue (ts, id, data, backoff_schedule, keys_if_undelivered) \
     values (?1, ?2, ?3, ?4, ?5)";

/// Starts a new commit: bumps `data_version.version` like Deno (by a random
/// 1..10) and returns the new version.
pub(crate) fn bump_version(tx: &Connection) -> Result<i64, EngineError> {
    tx.prepare_cached(BUMP_VERSION)?
        .execute([version_increment()])?;
    Ok(tx
        .prepare_cached(SELECT_VERSION)?
        .query_row([], |row| row.get(0))?)
}

/// Writes `key` (with `v_encoding`, raw `bytes`) at `version`.
pub(crate) fn point_set(
    tx: &Connection,
    key: &[u8],
    encoding: i64,
    bytes: &[u8],
    version: i64,
    expire_at_ms: Option<i64>,
) -> Result<(), EngineError> {
    tx.prepare_cached(POINT_SET)?.execute(params![
        key,
        bytes,
        encoding,
        version,
        expire_at_ms.unwrap_or(-1)
    ])?;
    Ok(())
}

/// Whether a check holds.
fn check_holds(tx: &Connection, check: &Check, now_ms: i64) -> Result<bool, EngineError> {
    let version: Option<i64> = tx
        .prepare_cached(SELECT_LIVE_VERSION)?
        .query_row(params![check.key, now_ms], |row| row.get(0))
        .optional()?;
    Ok(version.map(Versionstamp::from_version) == check.versionstamp)
}

/// The new value of a sum/min/max mutation given the current live value,
/// or `None` for set/delete. Follows Deno: min/max take KvU64s only; sum adds
/// KvU64s (wrapping), numbers to numbers and bigints to bigints (a bigint in
/// 0..2^64 also to a KvU64), and stores the operand on an absent key.
fn combine(kind: &MutationKind, current: Option<KvValue>) -> Result<Option<KvValue>, EngineError> {
    let (operand, op): (&KvValue, fn(u64, u64) -> u64) = match kind {
        MutationKind::Sum(n) => (n, u64::wrapping_add),
        MutationKind::Min(n) => (n, u64::min),
        MutationKind::Max(n) => (n, u64::max),
        MutationKind::Set(_) | MutationKind::Delete => return Ok(None),
    };
    if let KvValue::U64(operand) = operand {
        return match current {
            None => Ok(Some(KvValue::U64(*operand))),
            Some(KvValue::U64(existing)) => Ok(Some(KvValue::U64(op(existing, *operand)))),
            Some(_) => Err(EngineError::SumOnNonU64(kind.name())),
        };
    }
    if !matches!(kind, MutationKind::Sum(_)) {
        return Err(EngineError::NonU64Operand(kind.name()));
    }
    let scalar = match operand {
        KvValue::V8(bytes) => v8_scalar::decode(bytes),
        _ => None,
    };
    let Some(scalar) = scalar else {
        return Err(EngineError::InvalidSum(
            "Some of the parameters are not valid V8 values",
        ));
    };
    let Some(current) = current else {
        return Ok(Some(operand.clone()));
    };
    let current = match current {
        KvValue::U64(existing) => {
            return match scalar {
                Scalar::BigInt(b) => match u64::try_from(&b) {
                    Ok(n) => Ok(Some(KvValue::U64(existing.wrapping_add(n)))),
                    Err(_) => Err(EngineError::InvalidSum("Cannot sum KvU64 with BigInt")),
                },
                Scalar::Number(_) => Err(EngineError::InvalidSum("Cannot sum KvU64 with Number")),
            };
        }
        KvValue::V8(bytes) => v8_scalar::decode(&bytes),
        KvValue::Bytes(_) => None,
    };
    let sum = match (current, scalar) {
        (Some(Scalar::Number(a)), Scalar::Number(b)) => Scalar::Number(a + b),
        (Some(Scalar::BigInt(a)), Scalar::BigInt(b)) => Scalar::BigInt(a + b),
        (Some(Scalar::Number(_)), Scalar::BigInt(_)) => {
            return Err(EngineError::InvalidSum("Cannot sum Number with BigInt"))
        }
        (Some(Scalar::BigInt(_)), Scalar::Number(_)) => {
            return Err(EngineError::InvalidSum("Cannot sum BigInt with Number"))
        }
        (None, _) => return Err(EngineError::InvalidSum("unsupported value type")),
    };
    Ok(Some(KvValue::V8(v8_scalar::encode(&sum))))
}

/// Applies one mutation at `version`.
fn apply_mutation(
    tx: &Connection,
    mutation: &Mutation,
    version: i64,
    now_ms: i64,
) -> Result<(), EngineError> {
    let mut key_with_stamp;
    let key: &[u8] = if mutation.append_versionstamp {
        key_with_stamp = mutation.key.clone();
        key_with_stamp.extend(encode_string_part(
            &Versionstamp::from_version(version).to_hex(),
        ));
        &key_with_stamp
    } else {
        &mutation.key
    };
    match &mutation.kind {
        MutationKind::Set(value) => {
            let (encoding, bytes) = value.encoded_parts();
            point_set(tx, key, encoding, &bytes, version, mutation.expire_at_ms)
        }
        MutationKind::Delete => {
            tx.prepare_cached(POINT_DELETE)?.execute([key])?;
            Ok(())
        }
        kind => {
            let current = tx
                .prepare_cached(SELECT_LIVE_VALUE)?
                .query_row(params![key, now_ms], |row| {
                    Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, i64>(1)?))
                })
                .optional()?
                .map(|(bytes, encoding)| KvValue::from_encoded(encoding, bytes))
                .transpose()?;
            match combine(kind, current)? {
                Some(value) => {
                    let (encoding, bytes) = value.encoded_parts();
                    point_set(tx, key, encoding, &bytes, version, mutation.expire_at_ms)
                }
                None => Ok(()),
            }
        }
    }
}

/// Applies one atomic write inside an open transaction: checks, a new
/// version, mutations in order, enqueues. `Ok(None)` when a check fails
/// (nothing written). On error the caller must roll back.
fn apply_write(
    tx: &Connection,
    write: &AtomicWrite,
    now_ms: i64,
) -> Result<Option<CommitResult>, EngineError> {
    for check in &write.checks {
        if !check_holds(tx, check, now_ms)? {
            return Ok(None);
        }
    }
    let version = bump_version(tx)?;
    for mutation in &write.mutations {
        apply_mutation(tx, mutation, version, now_ms)?;
    }
    for enqueue in &write.enqueues {
        let delay = i64::try_from(enqueue.delay_ms).unwrap_or(i64::MAX);
        tx.prepare_cached(QUEUE_INSERT)?.execute(params![
            now_ms.saturating_add(delay),
            uuid_v4(),
            enqueue.payload,
            backoff_to_json(enqueue.backoff_schedule.as_deref()),
            keys_to_json(&enqueue.keys_if_undelivered),
        ])?;
    }
    Ok(Some(CommitResult {
        versionstamp: Versionstamp::from_version(version),
    }))
}

/// Savepoint statements isolating one write of a group commit.
const SAVEPOINT: &str = "savepoint kv_write";
const ROLLBACK_TO: &str = "rollback to kv_write";
const RELEASE: &str = "release kv_write";

/// The outcome of one write of a group commit.
pub type WriteOutcome = Result<Option<CommitResult>, EngineError>;

impl Store {
    /// Commits `write` atomically at time `now_ms`.
    ///
    /// Returns `Ok(None)` when a check fails. Otherwise every mutation (in
    /// order) and enqueue is applied under one new versionstamp. If any
    /// mutation fails (e.g. `sum` on a non-U64 value) nothing persists.
    pub fn atomic_write(
        &self,
        write: &AtomicWrite,
        now_ms: i64,
    ) -> Result<Option<CommitResult>, EngineError> {
        self.write_tx(|tx| apply_write(tx, write, now_ms))
    }

    /// Group commit: applies `writes` in order in one transaction with one
    /// sync, each in its own savepoint, so a write that fails (or whose check
    /// fails) leaves no trace while the others still commit, each with its
    /// own, increasing versionstamp. The outer error means the transaction
    /// as a whole failed and none of the writes persisted.
    pub fn atomic_write_batch(
        &self,
        writes: &[&AtomicWrite],
        now_ms: i64,
    ) -> Result<Vec<WriteOutcome>, EngineError> {
        self.write_tx(|tx| {
            let mut outcomes = Vec::with_capacity(writes.len());
            for write in writes {
                tx.prepare_cached(SAVEPOINT)?.execute([])?;
                let outcome = apply_write(tx, write, now_ms);
                if outcome.is_err() {
                    tx.prepare_cached(ROLLBACK_TO)?.execute([])?;
                }
                tx.prepare_cached(RELEASE)?.execute([])?;
                outcomes.push(outcome);
            }
            Ok(outcomes)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atomic::Enqueue;
    use crate::key::{decode_key, encode_key, KeyPart};
    use crate::range_read::{Entry, ReadRange};
    use crate::store::StoreLocation;
    use std::sync::Arc;

    fn mutation(key: &[u8], kind: MutationKind) -> Mutation {
        Mutation {
            key: key.to_vec(),
            kind,
            expire_at_ms: None,
            append_versionstamp: false,
        }
    }

    fn commit(
        store: &Store,
        mutations: Vec<Mutation>,
    ) -> Result<Option<CommitResult>, EngineError> {
        store.atomic_write(
            &AtomicWrite {
                mutations,
                ..Default::default()
            },
            0,
        )
    }

    fn get_at(store: &Store, key: &[u8], now: i64) -> Option<Entry> {
        let mut end = key.to_vec();
        end.push(0);
        let range = ReadRange {
            start: key.to_vec(),
            end,
            limit: 1,
            reverse: false,
        };
        store.read(&[range], now).unwrap().remove(0).pop()
    }

    fn get(store: &Store, key: &[u8]) -> Option<Entry> {
        get_at(store, key, 0)
    }

    fn all(store: &Store) -> Vec<Entry> {
        let range = ReadRange {
            start: vec![],
            end: vec![0xff],
            limit: 1000,
            reverse: false,
        };
        store.read(&[range], 0).unwrap().remove(0)
    }

    fn memory() -> Store {
        Store::open(StoreLocation::Memory).unwrap()
    }

    #[test]
    fn set_and_delete_share_the_commit_versionstamp() {
        let store = memory();
        let r = commit(
            &store,
            vec![
                mutation(b"a", MutationKind::Set(KvValue::V8(vec![1]))),
                mutation(b"b", MutationKind::Set(KvValue::Bytes(vec![2]))),
            ],
        )
        .unwrap()
        .unwrap();
        let entries = all(&store);
        assert_eq!(entries.len(), 2);
        assert!(entries.iter().all(|e| e.versionstamp == r.versionstamp));
        assert_eq!(&r.versionstamp.0[8..], &[0, 0]);
        let v = r.versionstamp.version();
        assert!((1..10).contains(&v));
        assert_eq!(store.data_version().unwrap(), v);
        let r2 = commit(&store, vec![mutation(b"a", MutationKind::Delete)])
            .unwrap()
            .unwrap();
        assert!(r2.versionstamp > r.versionstamp);
        assert!(get(&store, b"a").is_none());
        assert_eq!(get(&store, b"b").unwrap().value, KvValue::Bytes(vec![2]));
    }

    #[test]
    fn failed_check_writes_nothing() {
        let store = memory();
        let first = commit(
            &store,
            vec![mutation(b"a", MutationKind::Set(KvValue::U64(1)))],
        )
        .unwrap()
        .unwrap();
        let version_before = store.data_version().unwrap();
        let write = AtomicWrite {
            checks: vec![
                Check {
                    key: b"a".to_vec(),
                    versionstamp: Some(first.versionstamp),
                },
                Check {
                    key: b"zz".to_vec(),
                    versionstamp: Some(first.versionstamp),
                },
            ],
            mutations: vec![mutation(b"b", MutationKind::Set(KvValue::U64(2)))],
            enqueues: vec![Enqueue {
                payload: vec![1],
                delay_ms: 0,
                keys_if_undelivered: vec![],
                backoff_schedule: None,
            }],
        };
        assert_eq!(store.atomic_write(&write, 0).unwrap(), None);
        assert!(get(&store, b"b").is_none());
        assert_eq!(store.data_version().unwrap(), version_before);
        assert_eq!(store.next_ready_at().unwrap(), None);

        // Matching checks (present with versionstamp, absent with None) pass.
        let ok = AtomicWrite {
            checks: vec![
                Check {
                    key: b"a".to_vec(),
                    versionstamp: Some(first.versionstamp),
                },
                Check {
                    key: b"zz".to_vec(),
                    versionstamp: None,
                },
            ],
            mutations: vec![mutation(b"b", MutationKind::Set(KvValue::U64(2)))],
            enqueues: vec![],
        };
        assert!(store.atomic_write(&ok, 0).unwrap().is_some());
        // "Must not exist" fails once the key exists.
        let exists = AtomicWrite {
            checks: vec![Check {
                key: b"b".to_vec(),
                versionstamp: None,
            }],
            ..Default::default()
        };
        assert_eq!(store.atomic_write(&exists, 0).unwrap(), None);
    }

    #[test]
    fn expired_entry_is_absent_for_checks_and_sums() {
        let store = memory();
        let mut m = mutation(b"a", MutationKind::Set(KvValue::U64(10)));
        m.expire_at_ms = Some(100);
        let stamp = commit(&store, vec![m]).unwrap().unwrap().versionstamp;
        let check = |vs: Option<Versionstamp>, now: i64| {
            store
                .atomic_write(
                    &AtomicWrite {
                        checks: vec![Check {
                            key: b"a".to_vec(),
                            versionstamp: vs,
                        }],
                        ..Default::default()
                    },
                    now,
                )
                .unwrap()
                .is_some()
        };
        assert!(check(Some(stamp), 99));
        assert!(!check(None, 99));
        assert!(check(None, 100));
        assert!(!check(Some(stamp), 100));
        // A sum on an expired entry starts from the operand, and clears the expiry.
        store
            .atomic_write(
                &AtomicWrite {
                    mutations: vec![mutation(b"a", MutationKind::Sum(KvValue::U64(5)))],
                    ..Default::default()
                },
                200,
            )
            .unwrap()
            .unwrap();
        assert_eq!(get_at(&store, b"a", 10_000).unwrap().value, KvValue::U64(5));
    }

    #[test]
    fn sum_min_max() {
        let store = memory();
        commit(
            &store,
            vec![
                mutation(b"s", MutationKind::Sum(KvValue::U64(5))),
                mutation(b"mn", MutationKind::Min(KvValue::U64(5))),
                mutation(b"mx", MutationKind::Max(KvValue::U64(5))),
            ],
        )
        .unwrap();
        assert_eq!(get(&store, b"s").unwrap().value, KvValue::U64(5));
        assert_eq!(get(&store, b"mn").unwrap().value, KvValue::U64(5));
        assert_eq!(get(&store, b"mx").unwrap().value, KvValue::U64(5));
        commit(
            &store,
            vec![
                mutation(b"s", MutationKind::Sum(KvValue::U64(u64::MAX))),
                mutation(b"mn", MutationKind::Min(KvValue::U64(3))),
                mutation(b"mx", MutationKind::Max(KvValue::U64(3))),
                mutation(b"s", MutationKind::Sum(KvValue::U64(1))),
            ],
        )
        .unwrap();
        assert_eq!(get(&store, b"s").unwrap().value, KvValue::U64(5));
        assert_eq!(get(&store, b"mn").unwrap().value, KvValue::U64(3));
        assert_eq!(get(&store, b"mx").unwrap().value, KvValue::U64(5));
        commit(
            &store,
            vec![mutation(b"mx", MutationKind::Max(KvValue::U64(9)))],
        )
        .unwrap();
        assert_eq!(get(&store, b"mx").unwrap().value, KvValue::U64(9));
    }

    #[test]
    fn failing_sum_writes_nothing() {
        let store = memory();
        commit(
            &store,
            vec![mutation(
                b"v8",
                MutationKind::Set(KvValue::V8(vec![0xff, 0x10, 0x49, 0x02])),
            )],
        )
        .unwrap();
        let before = store.data_version().unwrap();
        for kind in [
            MutationKind::Sum(KvValue::U64(1)),
            MutationKind::Min(KvValue::U64(1)),
            MutationKind::Max(KvValue::U64(1)),
        ] {
            let name = kind.name();
            let write = AtomicWrite {
                mutations: vec![
                    mutation(b"first", MutationKind::Set(KvValue::U64(1))),
                    mutation(b"v8", kind),
                    mutation(b"last", MutationKind::Set(KvValue::U64(1))),
                ],
                enqueues: vec![Enqueue {
                    payload: vec![1],
                    delay_ms: 0,
                    keys_if_undelivered: vec![],
                    backoff_schedule: None,
                }],
                ..Default::default()
            };
            let err = store.atomic_write(&write, 0).unwrap_err();
            assert!(matches!(err, EngineError::SumOnNonU64(n) if n == name));
            assert_eq!(
                err.to_string(),
                format!("Failed to perform '{name}' mutation on a non-U64 value in the database")
            );
            assert!(get(&store, b"first").is_none());
            assert!(get(&store, b"last").is_none());
            assert_eq!(store.data_version().unwrap(), before);
            assert_eq!(store.next_ready_at().unwrap(), None);
        }
        // The store still works afterwards.
        assert!(commit(
            &store,
            vec![mutation(b"ok", MutationKind::Sum(KvValue::U64(1)))]
        )
        .unwrap()
        .is_some());
    }

    #[test]
    fn expiry_is_stored_and_reset_by_overwrite() {
        let store = memory();
        let mut m = mutation(b"a", MutationKind::Set(KvValue::U64(1)));
        m.expire_at_ms = Some(50);
        commit(&store, vec![m]).unwrap();
        assert!(get_at(&store, b"a", 49).is_some());
        assert!(get_at(&store, b"a", 50).is_none());
        commit(
            &store,
            vec![mutation(b"a", MutationKind::Set(KvValue::U64(2)))],
        )
        .unwrap();
        assert!(get_at(&store, b"a", 1_000_000).is_some());
    }

    #[test]
    fn commit_versionstamp_is_appended_to_key() {
        let store = memory();
        let prefix = encode_key(&[KeyPart::String("log".into())]).unwrap();
        let mut m = mutation(&prefix, MutationKind::Set(KvValue::U64(1)));
        m.append_versionstamp = true;
        let r = commit(&store, vec![m]).unwrap().unwrap();
        let entries = all(&store);
        assert_eq!(entries.len(), 1);
        assert_eq!(
            decode_key(&entries[0].key).unwrap(),
            vec![
                KeyPart::String("log".into()),
                KeyPart::String(r.versionstamp.to_hex())
            ]
        );
    }

    #[test]
    fn versionstamps_increase_across_handles_and_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let a = Arc::new(Store::open(StoreLocation::File(path.clone())).unwrap());
        let b = Arc::new(Store::open(StoreLocation::File(path)).unwrap());
        let mut handles = Vec::new();
        for t in 0..4u8 {
            let store = if t % 2 == 0 { a.clone() } else { b.clone() };
            handles.push(std::thread::spawn(move || {
                let mut stamps = Vec::new();
                for i in 0..25u8 {
                    let r = commit(
                        &store,
                        vec![mutation(&[t, i], MutationKind::Sum(KvValue::U64(1)))],
                    )
                    .unwrap()
                    .unwrap();
                    stamps.push(r.versionstamp);
                }
                stamps
            }));
        }
        let mut all_stamps = Vec::new();
        for h in handles {
            let stamps = h.join().unwrap();
            assert!(stamps.windows(2).all(|w| w[0] < w[1]));
            all_stamps.extend(stamps);
        }
        let n = all_stamps.len();
        all_stamps.sort();
        all_stamps.dedup();
        assert_eq!(all_stamps.len(), n, "versionstamps must be unique");
        let last = all_stamps[n - 1].version();
        assert_eq!(a.data_version().unwrap(), last);
        assert_eq!(b.data_version().unwrap(), last);
        assert_eq!(all(&a).len(), 100);
    }

    #[test]
    fn data_version_sees_other_handles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let a = Store::open(StoreLocation::File(path.clone())).unwrap();
        let b = Store::open(StoreLocation::File(path)).unwrap();
        assert_eq!(b.data_version().unwrap(), 0);
        assert_eq!(b.data_version().unwrap(), 0);
        let r = commit(&a, vec![mutation(b"a", MutationKind::Delete)])
            .unwrap()
            .unwrap();
        assert_eq!(b.data_version().unwrap(), r.versionstamp.version());
        assert_eq!(a.data_version().unwrap(), r.versionstamp.version());
        let r = commit(&b, vec![mutation(b"a", MutationKind::Delete)])
            .unwrap()
            .unwrap();
        assert_eq!(a.data_version().unwrap(), r.versionstamp.version());
        assert_eq!(b.data_version().unwrap(), r.versionstamp.version());
    }

    #[test]
    fn group_commit_isolates_each_write() {
        let store = memory();
        commit(
            &store,
            vec![mutation(b"s", MutationKind::Set(KvValue::V8(vec![1])))],
        )
        .unwrap()
        .unwrap();
        let set = |key: &[u8]| AtomicWrite {
            mutations: vec![mutation(key, MutationKind::Set(KvValue::U64(7)))],
            ..Default::default()
        };
        let failing = AtomicWrite {
            mutations: vec![
                mutation(b"half", MutationKind::Set(KvValue::U64(1))),
                mutation(b"s", MutationKind::Sum(KvValue::U64(1))),
            ],
            ..Default::default()
        };
        let check_fails = AtomicWrite {
            checks: vec![Check {
                key: b"s".to_vec(),
                versionstamp: None,
            }],
            mutations: vec![mutation(b"never", MutationKind::Delete)],
            ..Default::default()
        };
        let (a, c) = (set(b"a"), set(b"c"));
        let outcomes = store
            .atomic_write_batch(&[&a, &failing, &check_fails, &c], 0)
            .unwrap();
        assert_eq!(outcomes.len(), 4);
        let first = outcomes[0].as_ref().unwrap().as_ref().unwrap().versionstamp;
        assert!(matches!(outcomes[1], Err(EngineError::SumOnNonU64("sum"))));
        assert!(matches!(outcomes[2], Ok(None)));
        let last = outcomes[3].as_ref().unwrap().as_ref().unwrap().versionstamp;
        assert!(first < last);
        assert_eq!(get(&store, b"a").unwrap().versionstamp, first);
        assert_eq!(get(&store, b"c").unwrap().versionstamp, last);
        assert!(get(&store, b"half").is_none());
        assert_eq!(get(&store, b"s").unwrap().value, KvValue::V8(vec![1]));
    }
}
