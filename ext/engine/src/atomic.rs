//! The description of an atomic write: checks, mutations and enqueues.

use crate::value::KvValue;
use crate::versionstamp::Versionstamp;

/// A condition the commit depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The encoded key.
    pub key: Vec<u8>,
    /// The versionstamp the key must have; `None` means it must not exist
    /// (an expired entry counts as absent).
    pub versionstamp: Option<Versionstamp>,
}

/// What a mutation does to its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MutationKind {
    /// Store the value.
    Set(KvValue),
    /// Remove the key.
    Delete,
    /// Add the operand (stored when the key is absent): KvU64s wrap modulo
    /// 2^64; like Deno, a serialized number adds to a number and a bigint to
    /// a bigint (or, if in 0..2^64, to a KvU64).
    Sum(KvValue),
    /// Keep the smaller KvU64 (stores the operand when the key is absent).
    Min(KvValue),
    /// Keep the larger KvU64 (stores the operand when the key is absent).
    Max(KvValue),
}

impl MutationKind {
    /// The mutation's name as Deno spells it.
    pub fn name(&self) -> &'static str {
        match self {
            MutationKind::Set(_) => "set",
            MutationKind::Delete => "delete",
            MutationKind::Sum(_) => "sum",
            MutationKind::Min(_) => "min",
            MutationKind::Max(_) => "max",
        }
    }
}

/// A change to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation {
    /// The encoded key (without the versionstamp part when `append_versionstamp`).
    pub key: Vec<u8>,
    /// What to do.
    pub kind: MutationKind,
    /// When the written entry expires (ms since the epoch); `None` never.
    pub expire_at_ms: Option<i64>,
    /// Append this commit's versionstamp to the key as a string part
    /// (`0x02`, 20 hex chars, `0x00`): Deno's `kv.commitVersionstamp()`.
    pub append_versionstamp: bool,
}

/// A queue message sent by the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueue {
    /// V8-serialized message.
    pub payload: Vec<u8>,
    /// Milliseconds before the message becomes ready.
    pub delay_ms: u64,
    /// Encoded keys that receive the payload if delivery finally fails.
    pub keys_if_undelivered: Vec<Vec<u8>>,
    /// Retry delays in ms; `None` gives the default `[100, 1000, 5000, 30000, 60000]`.
    pub backoff_schedule: Option<Vec<u32>>,
}

/// Everything one `commit()` does, applied all or nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AtomicWrite {
    /// Conditions checked first; any mismatch aborts the commit.
    pub checks: Vec<Check>,
    /// Changes, applied in order.
    pub mutations: Vec<Mutation>,
    /// Queue messages.
    pub enqueues: Vec<Enqueue>,
}

/// The outcome of a successful commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitResult {
    /// The versionstamp shared by every write of the commit.
    pub versionstamp: Versionstamp,
}
