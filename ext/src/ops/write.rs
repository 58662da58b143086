//! `set`, `delete` and `atomic().commit()`: one op call per commit.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use deno_core::{op2, serde_v8, v8, JsBuffer, OpState, ResourceId};
use kv_engine::{
    now_ms, AtomicWrite, Check, Enqueue, KvValue, Mutation, MutationKind, Versionstamp,
};
use serde::Deserialize;

use crate::config::KvLimits;
use crate::database::DatabaseResource;
use crate::error::KvError;
use crate::key_arg::{read_key, KeyArg, KeyUse};
use crate::ops::database;
use crate::ops::write_args::MutationType;
use crate::shim::{field, settle, Fault};

/// A versionstamp check: `versionstamp: null` means "must not exist".
#[derive(Deserialize)]
pub struct CheckArg {
    #[serde(skip)]
    key: KeyArg,
    versionstamp: Option<String>,
}

/// A value already encoded by the shim: `encoding` is the `v_encoding`
/// (1 = V8 serialized, 2 = KvU64 little-endian, 3 = raw bytes).
#[derive(Deserialize)]
pub struct ValueArg {
    encoding: i64,
    bytes: serde_bytes::ByteBuf,
}

/// A mutation as the shim sends it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MutationArg {
    #[serde(skip)]
    key: KeyArg,
    #[serde(rename = "type")]
    kind: MutationType,
    value: Option<ValueArg>,
    expire_in: Option<f64>,
}

/// An enqueue as the shim sends it (payload already V8-serialized, delay
/// and backoff schedule checked by `write_args`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnqueueArg {
    payload: serde_bytes::ByteBuf,
    delay: f64,
    /// Read from the snapshots `op_kv_snapshot_key` made.
    #[serde(skip)]
    keys_if_undelivered: Vec<KeyArg>,
    backoff_schedule: Option<Vec<f64>>,
}

/// Reads the arguments of a commit as the shim sends them (arrays of
/// null-prototype objects): the keys of every check, then of every
/// mutation (Deno reports a bad key part before anything else), then the
/// rest.
fn write_args<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    checks: v8::Local<'s, v8::Array>,
    mutations: v8::Local<'s, v8::Array>,
    enqueues: v8::Local<'s, v8::Array>,
) -> Result<WriteArgs, Fault> {
    let checks = objects(scope, checks)?;
    let mutations = objects(scope, mutations)?;
    let enqueues = objects(scope, enqueues)?;
    let mut check_keys = Vec::with_capacity(checks.len());
    for &check in &checks {
        let key = field(scope, check, "key")?;
        check_keys.push(read_key(scope, key, KeyUse::Check, false)?);
    }
    let mut mutation_keys = Vec::with_capacity(mutations.len());
    for &mutation in &mutations {
        let key = field(scope, mutation, "key")?;
        let kind = field(scope, mutation, "type")?;
        let set = kind.is_string() && kind.to_rust_string_lossy(scope) == MutationType::Set.name();
        mutation_keys.push(read_key(scope, key, KeyUse::Write, set)?);
    }
    let mut undelivered = Vec::with_capacity(enqueues.len());
    for &enqueue in &enqueues {
        let keys = field(scope, enqueue, "keysIfUndelivered")?;
        let keys = objects(
            scope,
            v8::Local::try_from(keys).map_err(|_| KvError::ShimArgument)?,
        )?;
        let mut read = Vec::with_capacity(keys.len());
        for key in keys {
            read.push(read_key(scope, key.into(), KeyUse::Read, false)?);
        }
        undelivered.push(read);
    }
    let mut checks: Vec<CheckArg> = deserialize(scope, checks)?;
    let mut mutations: Vec<MutationArg> = deserialize(scope, mutations)?;
    let mut enqueues: Vec<EnqueueArg> = deserialize(scope, enqueues)?;
    for (check, key) in checks.iter_mut().zip(check_keys) {
        check.key = key;
    }
    for (mutation, key) in mutations.iter_mut().zip(mutation_keys) {
        mutation.key = key;
    }
    for (enqueue, keys) in enqueues.iter_mut().zip(undelivered) {
        enqueue.keys_if_undelivered = keys;
    }
    Ok(WriteArgs {
        checks,
        mutations,
        enqueues,
    })
}

/// The arguments of a commit, read.
struct WriteArgs {
    checks: Vec<CheckArg>,
    mutations: Vec<MutationArg>,
    enqueues: Vec<EnqueueArg>,
}

/// The arguments in `objects`, their fields other than keys.
fn deserialize<'s, T: serde::de::DeserializeOwned>(
    scope: &mut v8::PinScope<'s, '_>,
    objects: Vec<v8::Local<'s, v8::Object>>,
) -> Result<Vec<T>, KvError> {
    objects
        .into_iter()
        .map(|object| Ok(serde_v8::from_v8(scope, object.into())?))
        .collect()
}

/// The elements of an array the shim made, as objects.
fn objects<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    array: v8::Local<'s, v8::Array>,
) -> Result<Vec<v8::Local<'s, v8::Object>>, Fault> {
    let mut out = Vec::with_capacity(array.length() as usize);
    for i in 0..array.length() {
        let element = array.get_index(scope, i).ok_or(Fault::Thrown)?;
        out.push(v8::Local::try_from(element).map_err(|_| KvError::ShimArgument)?);
    }
    Ok(out)
}

/// Encodes a key that is written or checked, enforcing Deno's rules.
/// `context` prefixes an encoding failure the way Deno does
/// (`Invalid mutation: ...`), or replaces it (`Invalid check`).
fn write_key(key: &KeyArg, context: KeyContext, limits: &KvLimits) -> Result<Vec<u8>, KvError> {
    let bytes = key.encode().map_err(|err| match context {
        KeyContext::Mutation => KvError::InvalidMutation(Box::new(err)),
        KeyContext::Check => KvError::InvalidCheck,
        KeyContext::Enqueue => err,
    })?;
    if bytes.is_empty() {
        return Err(KvError::EmptyKey);
    }
    let max = limits.max_write_key_size_bytes;
    if bytes.len() > max {
        return Err(KvError::KeyTooLargeToWrite(max));
    }
    Ok(bytes)
}

/// Where a written key comes from, for its error messages.
#[derive(Clone, Copy)]
enum KeyContext {
    Check,
    Mutation,
    Enqueue,
}

/// The absolute expiry time of `expire_in` milliseconds from `now`.
fn expire_at(now: i64, expire_in: f64) -> Result<i64, KvError> {
    // Deno stores expirations as a timestamp that must stay a valid date.
    const MAX_EXPIRE_AT_MS: f64 = 8_210_266_876_799_999.0;
    let at = now as f64 + expire_in;
    if at > MAX_EXPIRE_AT_MS {
        // Shown as the integer JavaScript passed (the shim only lets
        // non-negative integers through).
        return Err(KvError::ExpireInTooLarge(expire_in as u64));
    }
    Ok(at as i64)
}

/// Second pass over a mutation whose key is already encoded: its value,
/// kind and expiry. Deno checks every key of a commit before any value.
fn to_mutation(
    key: Vec<u8>,
    arg: MutationArg,
    now: i64,
    sizes: &mut Sizes,
    limits: &KvLimits,
) -> Result<Mutation, KvError> {
    let value = match arg.value {
        Some(ValueArg { encoding, bytes }) => {
            let value = KvValue::from_encoded(encoding, bytes.into_vec())?;
            let size = value.encoded_len();
            let max = limits.max_value_size_bytes;
            if size > max {
                return Err(KvError::ValueTooLarge(max));
            }
            // Deno counts a valued mutation's key a second time, and its
            // key towards the total key size.
            sizes.payload += key.len() + size;
            sizes.keys += key.len();
            Some(value)
        }
        None => None,
    };
    let kind = match (arg.kind, value) {
        (MutationType::Delete, _) => MutationKind::Delete,
        (MutationType::Set, Some(v)) => MutationKind::Set(v),
        // Operands are checked when the commit reaches them, as in Deno.
        (MutationType::Sum, Some(v)) => MutationKind::Sum(v),
        (MutationType::Min, Some(v)) => MutationKind::Min(v),
        (MutationType::Max, Some(v)) => MutationKind::Max(v),
        (kind, None) => return Err(KvError::MutationWithoutValue(kind.name())),
    };
    let expire_at_ms = arg
        .expire_in
        .map(|expire_in| expire_at(now, expire_in))
        .transpose()?;
    Ok(Mutation {
        key,
        kind,
        expire_at_ms,
        append_versionstamp: arg.key.append_versionstamp,
    })
}

fn to_enqueue(arg: EnqueueArg, sizes: &mut Sizes, limits: &KvLimits) -> Result<Enqueue, KvError> {
    let max = limits.max_value_size_bytes;
    if arg.payload.len() > max {
        return Err(KvError::EnqueuePayloadTooLarge(max));
    }
    sizes.payload += arg.payload.len();
    let backoff_schedule = arg.backoff_schedule.map(|schedule| {
        sizes.payload += 4 * schedule.len();
        schedule
            .into_iter()
            .map(|interval| interval as u32)
            .collect()
    });
    let keys_if_undelivered = arg
        .keys_if_undelivered
        .into_iter()
        .map(|key| write_key(&key, KeyContext::Enqueue, limits))
        .collect::<Result<Vec<_>, KvError>>()?;
    Ok(Enqueue {
        payload: arg.payload.into_vec(),
        delay_ms: arg.delay as u64,
        keys_if_undelivered,
        backoff_schedule,
    })
}

/// Running totals of one commit, checked against Deno's limits.
#[derive(Default)]
struct Sizes {
    payload: usize,
    keys: usize,
}

impl Sizes {
    fn check(&self, limits: &KvLimits) -> Result<(), KvError> {
        let max = limits.max_total_mutation_size_bytes;
        if self.payload > max {
            return Err(KvError::TotalMutationTooLarge(max));
        }
        let max = limits.max_total_key_size_bytes;
        if self.keys > max {
            return Err(KvError::TotalKeyTooLarge(max));
        }
        Ok(())
    }
}

/// Commits checks, mutations and enqueues atomically. Resolves to the
/// commit's versionstamp, or `null` when a check failed (nothing written).
/// (When reading a key ran JavaScript that threw, the op throws that, and
/// the future it returns is empty.)
#[op2(reentrant)]
#[string]
pub fn op_kv_atomic_write<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    checks: v8::Local<'s, v8::Array>,
    mutations: v8::Local<'s, v8::Array>,
    enqueues: v8::Local<'s, v8::Array>,
) -> Result<impl Future<Output = Result<Option<String>, KvError>> + use<>, KvError> {
    let args = settle(
        write_args(scope, checks, mutations, enqueues).map(Some),
        None,
    )?;
    Ok(async move {
        let Some(args) = args else {
            return Ok(None);
        };
        let (db, limits) = database(&state, rid)?;
        let write = validate_write(&limits, args, now_ms())?;
        commit(&db, write).await
    })
}

/// `kv.set`: one set, its value already encoded, with positional arguments
/// (no argument objects to read on the hot path). `expire_in` is negative
/// for none.
#[op2(reentrant)]
#[string]
pub fn op_kv_set<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    key: v8::Local<'s, v8::Value>,
    #[smi] encoding: i32,
    #[buffer] bytes: JsBuffer,
    expire_in: f64,
) -> Result<impl Future<Output = Result<Option<String>, KvError>> + use<>, KvError> {
    let key = settle(read_key(scope, key, KeyUse::Write, true).map(Some), None)?;
    Ok(async move {
        let Some(key) = key else {
            return Ok(None);
        };
        let (db, limits) = database(&state, rid)?;
        let mutation = MutationArg {
            key,
            kind: MutationType::Set,
            value: Some(ValueArg {
                encoding: i64::from(encoding),
                bytes: serde_bytes::ByteBuf::from(bytes.to_vec()),
            }),
            expire_in: (expire_in >= 0.0).then_some(expire_in),
        };
        let args = WriteArgs {
            checks: Vec::new(),
            mutations: vec![mutation],
            enqueues: Vec::new(),
        };
        let write = validate_write(&limits, args, now_ms())?;
        commit(&db, write).await
    })
}

/// Commits `write` through the database's backend: the versionstamp, or
/// `null` when a check failed.
async fn commit(db: &DatabaseResource, write: AtomicWrite) -> Result<Option<String>, KvError> {
    let versionstamp = db.backend.atomic_write(write).await?;
    Ok(versionstamp.map(|v| v.to_hex()))
}

/// Checks a write against Deno's limits, with Deno's messages in Deno's
/// order, and encodes it for a backend (`now` dates `expireIn`).
fn validate_write(limits: &KvLimits, args: WriteArgs, now: i64) -> Result<AtomicWrite, KvError> {
    let WriteArgs {
        checks,
        mutations,
        enqueues,
    } = args;
    if checks.len() > limits.max_checks {
        return Err(KvError::TooManyChecks(limits.max_checks));
    }
    if mutations.len() + enqueues.len() > limits.max_mutations {
        return Err(KvError::TooManyMutations(limits.max_mutations));
    }
    let mut sizes = Sizes::default();
    let checks = checks
        .into_iter()
        .map(|check| {
            let key = write_key(&check.key, KeyContext::Check, limits)?;
            sizes.payload += key.len();
            let versionstamp = check
                .versionstamp
                .map(|hex| Versionstamp::from_hex(&hex).map_err(|_| KvError::InvalidCheck))
                .transpose()?;
            Ok(Check { key, versionstamp })
        })
        .collect::<Result<Vec<_>, KvError>>()?;
    // Deno's order of errors: every expireIn, then every key, then values.
    for mutation in &mutations {
        if let Some(expire_in) = mutation.expire_in {
            expire_at(now, expire_in)?;
        }
    }
    let mut keyed = Vec::with_capacity(mutations.len());
    for mutation in mutations {
        let key = write_key(&mutation.key, KeyContext::Mutation, limits)?;
        sizes.payload += key.len();
        keyed.push((key, mutation));
    }
    let mutations = keyed
        .into_iter()
        .map(|(key, m)| to_mutation(key, m, now, &mut sizes, limits))
        .collect::<Result<Vec<_>, _>>()?;
    let enqueues = enqueues
        .into_iter()
        .map(|e| to_enqueue(e, &mut sizes, limits))
        .collect::<Result<Vec<_>, _>>()?;
    sizes.check(limits)?;
    Ok(AtomicWrite {
        checks,
        mutations,
        enqueues,
    })
}
