//! The engine's error type.

use std::path::PathBuf;

/// Everything that can go wrong inside the storage engine.
///
/// The op layer maps these to Deno's JavaScript errors; variants whose
/// `Display` text is one of Deno's messages say so in their doc comment.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A `sum`, `min` or `max` mutation met an existing value that is not a
    /// `KvU64`. The payload is the mutation name (`"sum"`, `"min"`, `"max"`).
    /// Message is Deno's: `Failed to perform 'sum' mutation on a non-U64 value in the database`.
    #[error("Failed to perform '{0}' mutation on a non-U64 value in the database")]
    SumOnNonU64(&'static str),

    /// A `min` or `max` (or a KvU64 `sum`) whose operand is not a KvU64.
    /// Message is Deno's: `Failed to perform 'min' mutation on a non-U64 operand`.
    #[error("Failed to perform '{0}' mutation on a non-U64 operand")]
    NonU64Operand(&'static str),

    /// A `sum` of values Deno cannot add (e.g. `Cannot sum KvU64 with Number`,
    /// `unsupported value type`); the payload is Deno's message.
    #[error("{0}")]
    InvalidSum(&'static str),

    /// Bytes that are not a valid encoded key (unknown type tag, missing
    /// terminator, invalid UTF-8, truncated number, ...).
    #[error("invalid key: {0}")]
    InvalidKey(String),

    /// A key part that cannot be encoded. The message is Deno's text, e.g.
    /// `BigUint requires more than 255 bytes to be represented`.
    #[error("{0}")]
    UnencodableKey(String),

    /// A stored value whose `v_encoding` is not 1, 2 or 3.
    #[error("unknown value encoding {0}")]
    UnknownValueEncoding(i64),

    /// A stored value that does not fit its encoding (e.g. a KvU64 that is not 8 bytes).
    #[error("invalid value: {0}")]
    InvalidValue(String),

    /// A versionstamp string that is not 20 hex characters.
    #[error("invalid versionstamp: {0}")]
    InvalidVersionstamp(String),

    /// A row of the queue tables that cannot be understood.
    #[error("invalid queue message: {0}")]
    InvalidQueueMessage(String),

    /// The database file is not an SQLite database or is damaged.
    #[error("database file '{path}' is corrupt or not a database: {reason}")]
    Corrupt {
        /// The file that was opened.
        path: PathBuf,
        /// SQLite's description of the damage.
        reason: String,
    },

    /// The file is an SQLite database but not one laid out like Deno KV's.
    #[error("database file '{path}' is not a Deno KV database: {reason}")]
    SchemaMismatch {
        /// The file that was opened.
        path: PathBuf,
        /// What did not match.
        reason: String,
    },

    /// The database file could not be opened at all (missing directory,
    /// permissions, ...).
    #[error("failed to open database file '{path}': {source}{}", cause_text(.cause))]
    Open {
        /// The file that was opened.
        path: PathBuf,
        /// The underlying SQLite error.
        #[source]
        source: rusqlite::Error,
        /// What the file system says about the file or its directory, when
        /// that explains the failure (SQLite's message alone does not).
        cause: Option<String>,
    },

    /// Another connection (usually another process) held the database's
    /// lock for longer than the lock timeout ([`crate::lock_timeout`]).
    #[error(
        "database is locked: another process holds the lock on '{path}' (gave up after {} ms; set KVRT_LOCK_TIMEOUT_MS to wait longer)",
        waited.as_millis()
    )]
    Locked {
        /// The database file.
        path: PathBuf,
        /// How long it was waited for.
        waited: std::time::Duration,
    },

    /// The database file is open in another connection or process, so it
    /// cannot be replaced (restore).
    #[error("database file '{path}' is in use by another process (close every program that has it open and try again)")]
    InUse {
        /// The file that was checked.
        path: PathBuf,
    },

    /// A database file that must already exist does not.
    #[error("database file '{path}' does not exist")]
    NotFound {
        /// The missing file.
        path: PathBuf,
    },

    /// A file-system operation on a database or backup file failed.
    #[error("{what} '{path}': {source}")]
    Io {
        /// What was being done, e.g. `cannot write the backup`.
        what: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// Any other SQLite error.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
}

/// ` (<cause>)` after an open error, or nothing.
fn cause_text(cause: &Option<String>) -> String {
    cause
        .as_ref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default()
}
