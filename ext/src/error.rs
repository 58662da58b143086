//! Errors the KV ops throw into JavaScript, with Deno's classes and messages.

use kv_engine::EngineError;

/// An error of a KV op; the variant picks the JavaScript class.
#[derive(Debug, thiserror::Error, deno_error::JsError)]
pub enum KvError {
    /// Thrown as `TypeError` (Deno's class for invalid arguments and limits).
    #[class(type)]
    #[error("{0}")]
    Type(String),
    /// Thrown as a plain `Error`.
    #[class(generic)]
    #[error("{0}")]
    Generic(String),
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
        match err {
            EngineError::SumOnNonU64(_)
            | EngineError::NonU64Operand(_)
            | EngineError::InvalidSum(_)
            | EngineError::UnencodableKey(_) => KvError::Type(err.to_string()),
            other => KvError::Generic(other.to_string()),
        }
    }
}
