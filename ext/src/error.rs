//! Errors the KV ops throw into JavaScript: one variant per message, each
//! message written once (Deno's text where Deno has one), with its
//! JavaScript class.

use std::path::PathBuf;
use std::sync::Arc;

use kv_engine::selector::SelectorError;
use kv_engine::EngineError;

/// An error of a KV op; the variant picks the message and the class.
#[derive(Debug, thiserror::Error, deno_error::JsError)]
pub enum KvError {
    // Keys.
    /// A key part of a type Deno KV cannot store.
    #[class(type)]
    #[error("expected string, number, bigint, ArrayBufferView, boolean")]
    InvalidKeyPart,
    /// A written key with no parts.
    #[class(type)]
    #[error("key cannot be empty")]
    EmptyKey,
    /// A written key past the limit.
    #[class(type)]
    #[error("Key too large for write (max {0} bytes)")]
    KeyTooLargeToWrite(usize),
    /// A read key or range end past the limit.
    #[class(type)]
    #[error("Key too large for read (max {0} bytes)")]
    KeyTooLargeToRead(usize),

    /// A key that is not an array (serde's words, as Deno's op says it).
    #[class(type)]
    #[error("serde_v8 error: invalid type; expected: array, got: {0}")]
    NotAnArray(String),
    /// A read key that is `null` or `undefined`.
    #[class(type)]
    #[error("Invalid range")]
    InvalidRange,
    /// A property read of `null` or `undefined` (V8's message): a written
    /// key, a `backoffSchedule`.
    #[class(type)]
    #[error("Cannot read properties of {0} (reading '{1}')")]
    NullishProperty(&'static str, &'static str),

    // Reads.
    /// A list batch's options that are not what the shim sends (a `cursor`
    /// that is not a string), in serde's words.
    #[class(type)]
    #[error(transparent)]
    Serde(#[from] deno_core::serde_v8::Error),
    /// A `consistency` other than `"strong"` and `"eventual"`.
    #[class(type)]
    #[error("unknown variant `{0}`, expected `strong` or `eventual`")]
    UnknownConsistency(String),
    /// More ranges in one read than the limit (`getMany`).
    #[class(type)]
    #[error("Too many ranges (max {0})")]
    TooManyRanges(usize),
    /// A `limit` or `batchSize` past the limit.
    #[class(type)]
    #[error("Too many entries (max {0})")]
    TooManyEntries(usize),
    /// A list selector or cursor Deno refuses.
    #[class(type)]
    #[error(transparent)]
    Selector(#[from] SelectorError),
    /// More keys in one `watch` than the limit.
    #[class(type)]
    #[error("Too many keys (max {0})")]
    TooManyKeys(usize),

    // Writes.
    /// More checks in one atomic operation than the limit.
    #[class(type)]
    #[error("Too many checks (max {0})")]
    TooManyChecks(usize),
    /// More mutations and enqueues in one atomic operation than the limit.
    #[class(type)]
    #[error("Too many mutations (max {0})")]
    TooManyMutations(usize),
    /// A check whose key or versionstamp is invalid.
    #[class(type)]
    #[error("Invalid check")]
    InvalidCheck,
    /// A mutation whose key cannot be encoded.
    #[class(type)]
    #[error("Invalid mutation: {0}")]
    InvalidMutation(Box<KvError>),
    /// `mutate()` with a `type` other than set, delete, sum, min and max.
    #[class(type)]
    #[error("Invalid mutation type")]
    InvalidMutationType,
    /// `mutate()` of a delete with a (truthy) value.
    #[class(type)]
    #[error("Invalid mutation 'delete' with value")]
    DeleteWithValue,
    /// `mutate()` of a set, sum, min or max without a `value`.
    #[class(type)]
    #[error("Invalid mutation '{0}' without value")]
    MutationWithoutValue(&'static str),
    /// An `expireIn` that ends past the largest date.
    #[class(type)]
    #[error("Invalid mutation: expireIn is too large: {0}")]
    ExpireInTooLarge(u64),
    /// A value past the limit.
    #[class(type)]
    #[error("Value too large (max {0} bytes)")]
    ValueTooLarge(usize),
    /// A forged `Deno.KvU64` whose `value` is not a bigint (the engine's
    /// message for a failed conversion to bigint).
    #[class(type)]
    #[error("cannot convert to bigint")]
    NotABigInt,
    /// An enqueued message past the value limit.
    #[class(type)]
    #[error("enqueue payload too large (max {0} bytes)")]
    EnqueuePayloadTooLarge(usize),
    /// An enqueue `delay` that is `NaN`.
    #[class(type)]
    #[error("Delay cannot be NaN")]
    DelayIsNaN,
    /// A negative enqueue `delay` (as JavaScript prints it).
    #[class(type)]
    #[error("Delay must be >= 0: received {0}")]
    NegativeDelay(String),
    /// An enqueue `delay` past the longest (as JavaScript prints it).
    #[class(type)]
    #[error("Delay cannot be greater than 30 days: received {0}")]
    DelayTooLong(String),
    /// A `backoffSchedule` with more intervals than allowed.
    #[class(type)]
    #[error("Invalid backoffSchedule, max {0} intervals allowed")]
    TooManyBackoffIntervals(usize),
    /// A `backoffSchedule` interval that is not an integer in range.
    #[class(type)]
    #[error("Invalid backoffSchedule, interval at index {0} is invalid")]
    InvalidBackoffInterval(usize),
    /// One atomic operation's keys and values past the limit.
    #[class(type)]
    #[error("Total mutation size too large (max {0} bytes)")]
    TotalMutationTooLarge(usize),
    /// One atomic operation's keys past the limit.
    #[class(type)]
    #[error("Total key size too large (max {0} bytes)")]
    TotalKeyTooLarge(usize),

    // Opening.
    /// `Deno.openKv("")`.
    #[class(type)]
    #[error("Filename cannot be empty")]
    EmptyFilename,
    /// `Deno.openKv(":name")`, other than `":memory:"`.
    #[class(type)]
    #[error("Filename cannot start with ':' unless prefixed with './'")]
    ColonFilename,
    /// A file name with a NUL byte.
    #[class(type)]
    #[error("file name contained an unexpected NUL byte")]
    NulInFilename,
    /// A file name or path longer than the OS accepts.
    #[class(generic)]
    #[error("File name too long (os error 36)")]
    FilenameTooLong,
    /// `Deno.openKv()` refused by the embedder ([`crate::DefaultLocation::Refuse`]).
    #[class(type)]
    #[error("{0}")]
    DefaultRefused(String),
    /// The default database's directory could not be created.
    #[class(generic)]
    #[error("Failed to create the database directory '{}': {source}", .dir.display())]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },

    // The extension itself.
    /// A key read back could not be made a JavaScript value.
    #[class(generic)]
    #[error("could not build a key in JavaScript")]
    KeyNotBuilt,
    /// A value read back could not be made a JavaScript value.
    #[class(generic)]
    #[error("could not build a value in JavaScript")]
    ValueNotBuilt,
    /// An op that needs the shim's helpers ran in a realm without them.
    #[class(generic)]
    #[error("the KV shim is not loaded in this realm")]
    ShimNotLoaded,
    /// An argument of another shape than the shim sends.
    #[class(type)]
    #[error("the KV shim sent an argument of the wrong shape")]
    ShimArgument,
    /// A KvU64 was read before the shim registered `Deno.KvU64`.
    #[class(generic)]
    #[error("Deno.KvU64 is not registered")]
    KvU64NotRegistered,
    /// The SQLite backend's commit thread could not start.
    #[class(generic)]
    #[error("cannot start the commit thread: {0}")]
    CommitThreadStart(std::io::Error),
    /// The SQLite backend's commit thread is gone.
    #[class(generic)]
    #[error("the commit thread has stopped")]
    CommitThreadStopped,
    /// A blocking database task panicked or was cancelled.
    #[class(generic)]
    #[error("database task failed: {0}")]
    TaskFailed(tokio::task::JoinError),

    // From elsewhere.
    /// An engine error that is Deno's `TypeError` (a sum on a non-U64
    /// value, a key part that cannot be encoded, ...).
    #[class(type)]
    #[error(transparent)]
    EngineType(Arc<EngineError>),
    /// Any other engine error (I/O, a damaged file, ...).
    #[class(generic)]
    #[error(transparent)]
    Engine(Arc<EngineError>),
    /// The database was closed (`Deno.errors.BadResource`).
    #[class(inherit)]
    #[error(transparent)]
    Resource(#[from] deno_core::error::ResourceError),
    /// Refused by the embedder's permission hook, or failed in a backend:
    /// thrown as made (class and message).
    #[class(inherit)]
    #[error(transparent)]
    Refused(#[from] deno_error::JsErrorBox),
}

impl From<EngineError> for KvError {
    fn from(err: EngineError) -> Self {
        KvError::from(Arc::new(err))
    }
}

/// An engine error shared by several failed writes (one failed batch).
impl From<Arc<EngineError>> for KvError {
    fn from(err: Arc<EngineError>) -> Self {
        match *err {
            EngineError::SumOnNonU64(_)
            | EngineError::NonU64Operand(_)
            | EngineError::InvalidSum(_)
            | EngineError::UnencodableKey(_) => KvError::EngineType(err),
            _ => KvError::Engine(err),
        }
    }
}
